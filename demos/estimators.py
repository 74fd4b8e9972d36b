"""Tab: Gradient estimators — pathwise, score, two baselines and measure-valued, measured beside exact.

One public endpoint, /estimators(f, m, mu, n, repeats, seed), returns three Plotly figures and a table; every
control re-runs it live. Each request is validated here, makes one call, models.estimators.run_experiment, and
its result is drawn; the figure functions only format what the result holds.
"""

import math

import gradio as gr
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from demos import LATEX_DELIMITERS, BenchCase, tab_text
from demos.validation import choice, friendly_errors, integer, number
from models.estimators import ESTIMATORS, OBJECTIVES, EstimatorsResult, run_experiment

M_RANGE = (-3.0, 3.0)  # scale of f; the gaussian f additionally needs m > 0
MU_RANGE = (-4.0, 4.0)
N_RANGE = (1, 10_000)
REPEATS_RANGE = (2, 1_000)
SEED_RANGE = (0, 99_999)
MAX_DRAWS = 1_000_000  # cap on n × repeats per estimator, so that one request stays well under a second
DEFAULTS = {"f": "square", "m": 1.0, "mu": 1.0, "n": 10, "repeats": 100, "seed": 0}  # R = 100: every N fits MAX_DRAWS

TABLE_HEADERS = ["estimator", "mean", "true_gradient", "empirical_variance", "exact_variance"]
PLOT_HEIGHT = 360
COLORS = dict(zip(ESTIMATORS, ("#1f77b4", "#d62728", "#ff7f0e", "#9467bd", "#2ca02c"), strict=True))


@friendly_errors
def compare_estimators(f, m, mu, n, repeats, seed):
    """Sample R estimates of η(μ) per estimator; plot and tabulate their variance beside the exact one."""
    return render(run_experiment(*validate(f, m, mu, n, repeats, seed)))


def validate(f, m, mu, n, repeats, seed) -> tuple:
    """The endpoint's inputs checked and converted, each bad one answered with its sentence (gr.Error)."""
    f = choice(f, "f", OBJECTIVES)
    m = number(m, "m", *M_RANGE)
    if f == "gaussian" and m <= 0:
        raise gr.Error(f"The gaussian test function exp(−m·z²) needs m > 0, got m = {m:g}.")
    mu = number(mu, "mu", *MU_RANGE)
    n = integer(n, "n", *N_RANGE)
    repeats = integer(repeats, "repeats", *REPEATS_RANGE)
    seed = integer(seed, "seed", *SEED_RANGE)
    if n * repeats > MAX_DRAWS:
        raise gr.Error(
            f"n × repeats must be at most {MAX_DRAWS:,} per estimator, got {n:,} × {repeats:,} = {n * repeats:,}; "
            f"lower repeats to {MAX_DRAWS // n:,} or fewer."
        )
    return f, m, mu, n, repeats, seed


def render(result: EstimatorsResult) -> tuple:
    """The three figures and the table of one experiment (no computation beyond formatting)."""
    return variance_vs_n_figure(result), variance_vs_mu_figure(result), estimates_figure(result), table(result)


def table(result: EstimatorsResult) -> pd.DataFrame:
    rows = [
        [
            name,
            *map(
                significant,
                (
                    result.estimates[name].mean(),
                    result.true_gradient,
                    result.empirical_by_n[name][-1],
                    result.exact[name],
                ),
            ),
        ]
        for name in ESTIMATORS
    ]
    return pd.DataFrame(rows, columns=TABLE_HEADERS)


def significant(value) -> float:
    """Six significant digits: enough to compare empirical with exact, short enough to read in the table."""
    return float(f"{value:.6g}")


def line_name(name: str, exact: np.ndarray) -> str:
    # A log axis cannot show 0 (pathwise with linear f): say so in the legend rather than leave a gap unexplained.
    return f"{name} (exact 0, off the log axis)" if not np.any(exact) else name


def variance_traces(x_line, exact, x_markers, empirical) -> list[dict]:
    """One exact line per estimator, and all empirical markers as one trace (fewer traces draw faster)."""
    traces = [
        {
            "type": "scatter",
            "x": x_line,
            "y": exact[name],
            "mode": "lines",
            "name": line_name(name, exact[name]),
            "line": {"color": COLORS[name]},
        }
        for name in ESTIMATORS
    ]
    if empirical is not None:
        traces.append(
            {
                "type": "scatter",
                "x": np.concatenate([x_markers for _ in ESTIMATORS]),
                "y": np.concatenate([empirical[name] for name in ESTIMATORS]),
                "mode": "markers",
                "marker": {"color": [COLORS[name] for name in ESTIMATORS for _ in x_markers], "size": 8},
                "text": [name for name in ESTIMATORS for _ in x_markers],
                "name": "empirical",
                "showlegend": False,
            }
        )
    return traces


def variance_vs_n_figure(result: EstimatorsResult) -> go.Figure:
    traces = variance_traces(result.n_line, result.exact_by_n, result.sizes, result.empirical_by_n)
    title = f"Variance vs N at μ = {result.mu:g} (dotted: N = {result.n:,})"
    x_axis = {"title": {"text": "N (samples per estimate)"}, "type": "log"}
    return figure(traces, title, x_axis=x_axis, marked_x=result.n)


def variance_vs_mu_figure(result: EstimatorsResult) -> go.Figure:
    traces = variance_traces(result.mu_line, result.exact_by_mu, result.mu_markers, result.empirical_by_mu)
    title = f"Variance vs μ at N = {result.n:,}" + (
        " (exact only: N × R too large to sample live)" if result.empirical_by_mu is None else ""
    )
    return figure(traces, title, x_axis={"title": {"text": "μ"}}, marked_x=result.mu)


def estimates_figure(result: EstimatorsResult) -> go.Figure:
    traces = [
        {
            "type": "violin",
            "y": result.estimates[name],
            "name": name,
            "line": {"color": COLORS[name]},
            "points": False,
            "box": {"visible": True},
            "meanline": {"visible": True},
        }
        for name in ESTIMATORS
    ]
    eta = result.true_gradient
    title = f"The {result.repeats:,} estimates per estimator (dashed: true gradient η = {eta:.4g})"
    y_axis = {"title": {"text": "estimate of η"}}
    true_line = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": eta, "y1": eta, "line": {"dash": "dash"}}
    return figure(traces, title, y_axis=y_axis, shapes=[true_line], showlegend=False)


def figure(traces, title, *, x_axis=None, y_axis=None, marked_x=None, shapes=(), showlegend=True) -> go.Figure:
    """A Plotly figure of fixed height, log-variance axis unless told otherwise, optional dotted marker line."""
    shapes = list(shapes)
    if marked_x is not None:
        shapes.append(
            {
                "type": "line",
                "yref": "paper",
                "x0": marked_x,
                "x1": marked_x,
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dot", "color": "gray"},
            }
        )
    layout = {
        "template": "none",  # Plotly's default template is ~7 kB of JSON per figure; the few styles we use follow
        "plot_bgcolor": "#f5f7fa",
        "title": {"text": title, "font": {"size": 14}},
        "height": PLOT_HEIGHT,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 90 if showlegend else 40},  # the legend sits below the axis
        "xaxis": x_axis or {},
        "yaxis": y_axis or {"title": {"text": "variance"}, "type": "log"},
        "shapes": shapes,
        "showlegend": showlegend,
        "legend": {"orientation": "h", "y": -0.3, "yanchor": "top"},
    }
    return go.Figure({"data": traces, "layout": layout})


@friendly_errors
def n_from_log_slider(log_n):
    """The N slider moves in log10 N, so 1 … 10,000 is reachable in one drag; the endpoint takes N itself."""
    return round(10 ** number(log_n, "log10 N", 0.0, math.log10(N_RANGE[1])))


def log_slider_from_n(n):
    """Typing N moves the log slider too (out-of-range N leaves it where it is; the endpoint reports the error)."""
    try:
        return math.log10(integer(n, "N", *N_RANGE))
    except gr.Error:
        return gr.update()


def build() -> None:
    with gr.Row():
        with gr.Column(scale=2):
            f = gr.Dropdown(list(OBJECTIVES), value=DEFAULTS["f"], label="test function f")
            m = gr.Slider(*M_RANGE, value=DEFAULTS["m"], step=0.05, label="scale m (gaussian needs m > 0)")
            mu = gr.Slider(*MU_RANGE, value=DEFAULTS["mu"], step=0.05, label="μ")
            log_n = gr.Slider(0, 4, value=math.log10(DEFAULTS["n"]), step=0.05, label="log₁₀ N (drag)")
            n = gr.Number(value=DEFAULTS["n"], precision=0, label="N, samples per estimate (1 … 10,000)")
            repeats = gr.Slider(
                *REPEATS_RANGE,
                value=DEFAULTS["repeats"],
                step=1,
                label=f"repeats R (independent estimates; N × R ≤ {MAX_DRAWS:,})",
            )
            seed = gr.Number(value=DEFAULTS["seed"], precision=0, label="seed")
        with gr.Column(scale=3):
            gr.Markdown(tab_text("estimators", "explanation"), latex_delimiters=LATEX_DELIMITERS)

    first = compare_estimators(**DEFAULTS)  # the page opens with results, no request needed
    with gr.Row():
        by_n = gr.Plot(first[0], label="variance vs N")
        by_mu = gr.Plot(first[1], label="variance vs μ")
    with gr.Row():
        spread = gr.Plot(first[2], label="estimates")
        table = gr.Dataframe(
            first[3], headers=TABLE_HEADERS, label="at the current settings", interactive=False, wrap=True
        )

    log_n.input(n_from_log_slider, log_n, n, api_visibility="private", show_progress="hidden")
    n.input(log_slider_from_n, n, log_n, api_visibility="private", show_progress="hidden")
    gr.on(
        [f.change, m.change, mu.change, n.change, repeats.change, seed.change],
        compare_estimators,
        [f, m, mu, n, repeats, seed],
        [by_n, by_mu, spread, table],
        api_name="estimators",
        api_visibility="public",
        # Raw payloads, so that NaN, strings or None reach our validators and get their sentence (Gradio's own
        # Number preprocessing would fail on them without one).
        preprocess=False,
        trigger_mode="always_last",
        show_progress="hidden",
    )


BENCH_CASES = [
    BenchCase("/estimators (defaults)", "/estimators", compare_estimators, DEFAULTS, "number->plot+table"),
    BenchCase(
        "/estimators (N = 10,000)", "/estimators", compare_estimators, {**DEFAULTS, "n": 10_000}, "number->plot+table"
    ),
]
