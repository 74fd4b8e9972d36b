"""Tab: Gradient estimators — pathwise, score, score+baseline and measure-valued, measured beside exact.

One public endpoint, /estimators(f, m, mu, n, repeats, seed), returns three Plotly figures and a table; every
control re-runs it live. The math lives in models/estimators.py; this module validates, samples and draws.
"""

import math

import gradio as gr
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from demos import LATEX_DELIMITERS, BenchCase
from demos.validation import choice, friendly_errors, integer, number
from models.estimators import ESTIMATORS, OBJECTIVES, exact_variances, sample_estimates, true_gradient

M_RANGE = (-3.0, 3.0)  # scale of f; the gaussian f additionally needs m > 0
MU_RANGE = (-4.0, 4.0)
N_RANGE = (1, 10_000)
REPEATS_RANGE = (2, 1_000)
SEED_RANGE = (0, 99_999)
MAX_DRAWS = 1_000_000  # cap on n × repeats per estimator, so that one request stays well under a second
DEFAULTS = {"f": "square", "m": 1.0, "mu": 1.0, "n": 10, "repeats": 100, "seed": 0}  # R = 100: every N fits MAX_DRAWS

# Sample sizes with empirical markers on the variance-vs-N plot (those below the current N, plus N itself).
N_MARKERS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000)
N_LINE = np.unique(np.round(np.logspace(0, 4, 81)).astype(int))
MU_LINE = np.linspace(*MU_RANGE, 161)
MU_MARKERS = np.arange(-4.0, 4.5, 1.0)
MU_MARKER_BUDGET = 200_000  # draws for the μ markers (9 × n × repeats); above it that plot shows exact lines only
TABLE_HEADERS = ["estimator", "mean", "true_gradient", "empirical_variance", "exact_variance"]
PLOT_HEIGHT = 360
COLORS = dict(zip(ESTIMATORS, ("#1f77b4", "#d62728", "#ff7f0e", "#2ca02c"), strict=True))

EXPLANATION = r"""
We estimate $\eta(\mu)=\dfrac{d}{d\mu}\,\mathbb{E}_{z\sim\mathcal{N}(\mu,1)}[f(z)]$ from $N$ samples, $R$ times over.

**Pathwise (reparameterization).** Write $z=\mu+\varepsilon$ with $\varepsilon\sim\mathcal{N}(0,1)$: the distribution
of $\varepsilon$ no longer depends on $\mu$, so the derivative moves inside,
$\eta=\mathbb{E}[f'(\mu+\varepsilon)]$. It needs a differentiable $f$ and a sampler that is a differentiable
function of the parameter. For `linear` $f(z)=mz$, $f'\equiv m$: every sample *is* $\eta$, so the variance is zero.

**Score function (REINFORCE).** Differentiate the density instead:
$\eta=\int f(z)\,\partial_\mu p(z;\mu)\,dz=\mathbb{E}\big[f(z)\,\partial_\mu\log p(z;\mu)\big]
=\mathbb{E}[f(z)(z-\mu)]$. It needs only values of $f$ (any $f$, even a black box or a discrete one), but its
variance grows with the size of $f$: adding a constant $c$ to $f$ adds the noise $c\,(z-\mu)$.

**Baseline.** Because $\mathbb{E}[z-\mu]=0$, subtracting any $b_i$ independent of $z_i$ keeps it unbiased. With
$b_i$ the mean of $f$ over the *other* $N-1$ samples, the estimator is the sample covariance of $f(z)$ and $z-\mu$,
with variance $\dfrac{\operatorname{Var}[(f-\mathbb{E}f)(z-\mu)]}{N}+\dfrac{\operatorname{Var}f+\eta^2}{N(N-1)}$:
it removes the noise that the mean of $f$ adds, at a price that fades like $1/N^2$. At $N=1$ there is no other
sample, so the baseline is $0$ and it is the plain score estimator.

**Measure-valued.** $\partial_\mu\mathcal{N}(z;\mu,1)=(z-\mu)\,\mathcal{N}(z;\mu,1)$ splits into a positive and a
negative part, each of mass $1/\sqrt{2\pi}$ and shaped as $\mu\pm W$ with $W\sim\text{Rayleigh}(1)$:
$\eta=\frac{1}{\sqrt{2\pi}}\,\mathbb{E}[f(\mu+W)-f(\mu-W)]$. Values of $f$ suffice, and using the same $W$ on
both sides (coupling) keeps the difference, and the variance, small for smooth $f$.

*Lines are exact variances (one-dimensional integrals by quadrature, no sampling); markers are the sample
variance of the $R$ estimates. Markers at $N$ below the current $N$ reuse the first samples of the same draws.*
"""


@friendly_errors
def compare_estimators(f, m, mu, n, repeats, seed):
    """Sample R estimates of η(μ) per estimator; plot and tabulate their variance beside the exact one."""
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

    rng = np.random.default_rng(seed)
    sizes = [size for size in N_MARKERS if size < n] + [n]
    estimates = sample_estimates(f, m, mu, sizes, repeats, rng)  # {name: (repeats, len(sizes))}
    empirical_by_n = {name: values.var(axis=0, ddof=1) for name, values in estimates.items()}
    current = {name: values[:, -1] for name, values in estimates.items()}
    eta = float(true_gradient(f, m, mu))
    exact_now = exact_variances(f, m, mu, n)

    by_n = variance_vs_n_figure(f, m, mu, n, sizes, empirical_by_n)
    by_mu = variance_vs_mu_figure(f, m, mu, n, repeats, rng)
    spread = estimates_figure(current, eta)
    table = pd.DataFrame(
        [
            [name, *map(significant, (current[name].mean(), eta, empirical_by_n[name][-1], exact_now[name]))]
            for name in ESTIMATORS
        ],
        columns=TABLE_HEADERS,
    )
    return by_n, by_mu, spread, table


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


def variance_vs_n_figure(f, m, mu, n, sizes, empirical_by_n) -> go.Figure:
    traces = variance_traces(N_LINE, exact_variances(f, m, mu, N_LINE), np.asarray(sizes), empirical_by_n)
    title = f"Variance vs N at μ = {mu:g} (dotted: N = {n:,})"
    return figure(traces, title, x_axis={"title": {"text": "N (samples per estimate)"}, "type": "log"}, marked_x=n)


def variance_vs_mu_figure(f, m, mu, n, repeats, rng) -> go.Figure:
    empirical = None
    if len(MU_MARKERS) * n * repeats <= MU_MARKER_BUDGET:
        estimates = sample_estimates(f, m, MU_MARKERS, [n], repeats, rng)  # {name: (len(MU_MARKERS), repeats, 1)}
        empirical = {name: values[..., 0].var(axis=-1, ddof=1) for name, values in estimates.items()}
    traces = variance_traces(MU_LINE, exact_variances(f, m, MU_LINE, n), MU_MARKERS, empirical)
    title = f"Variance vs μ at N = {n:,}" + (
        " (exact only: N × R too large to sample live)" if empirical is None else ""
    )
    return figure(traces, title, x_axis={"title": {"text": "μ"}}, marked_x=mu)


def estimates_figure(current: dict[str, np.ndarray], eta: float) -> go.Figure:
    traces = [
        {
            "type": "violin",
            "y": current[name],
            "name": name,
            "line": {"color": COLORS[name]},
            "points": False,
            "box": {"visible": True},
            "meanline": {"visible": True},
        }
        for name in ESTIMATORS
    ]
    title = f"The {len(current[ESTIMATORS[0]]):,} estimates per estimator (dashed: true gradient η = {eta:.4g})"
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
            gr.Markdown(
                EXPLANATION,
                latex_delimiters=LATEX_DELIMITERS,
            )

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
