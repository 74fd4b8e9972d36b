"""Tab: KL vs Cauchy–Schwarz between p = N(μ₁, σ₁²) and q = N(μ₂, σ₂²), or q a two-component mixture.

Every shown divergence comes with its numerical-integration check (scipy's quad) and quad's error
estimate. One request: validate, one call to models.divergences.compare (densities, sweeps, closed forms and
quad checks), then draw that result; the figure functions only draw.
"""

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from demos import LATEX_DELIMITERS, BenchCase, tab_text
from demos.validation import flag, friendly_errors, number
from models import divergences as dv

MU_RANGE = (-5.0, 5.0)
SIGMA_RANGE = (0.1, 5.0)
WEIGHT_RANGE = (0.01, 0.99)  # the mixture weight of the second component, kept strictly inside (0, 1)
DEFAULTS = {
    "mu1": 0.0,
    "sigma1": 1.0,
    "mu2": 1.5,
    "sigma2": 0.7,
    "mixture": False,
    "mu3": -2.0,
    "sigma3": 0.5,
    "weight": 0.3,
}
HEADERS = ["quantity", "closed_form", "numerical", "abs_error"]
QUANTITIES = ["KL(p||q)", "KL(q||p)", "D_CS(p,q)"]
CURVE_POINTS = 81
# (b) p slides past q: μ₁ − μ₂ covers every difference the sliders allow; (c) σ₂ sweeps its slider's range.
SHIFTS = np.linspace(MU_RANGE[0] - MU_RANGE[1], MU_RANGE[1] - MU_RANGE[0], CURVE_POINTS)
SIGMA2_SWEEP = np.geomspace(*SIGMA_RANGE, CURVE_POINTS)
FIGURE_HEIGHT = 330
# Plotly's default look, cut to the parts these line plots use: the whole template (colour scales, 3-D, maps, ...)
# is 30× larger, and copying and serialising it would cost about 1 ms per figure, every request.
_PLOTLY_DEFAULT_LAYOUT = pio.templates["plotly"].to_plotly_json()["layout"]
PLOTLY_TEMPLATE = {
    "layout": {
        key: _PLOTLY_DEFAULT_LAYOUT[key]
        for key in ("font", "title", "paper_bgcolor", "plot_bgcolor", "xaxis", "yaxis", "hovermode", "hoverlabel")
    }
}
COLORS = {
    "p": "#1f77b4",
    "q": "#ff7f0e",
    "overlap": "#2ca02c",  # the overlap p·q and D_CS, which is built from it, share a colour
    "D_CS(p,q)": "#2ca02c",
    "KL(p||q)": "#d62728",
    "KL(q||p)": "#9467bd",
}

TABLE_NOTE = (
    "*numerical*: scipy's `quad`; *abs_error*: quad's own error estimate for that number. "
    "For a mixture q, KL has no closed form: its *closed_form* cell is empty and only the numerical value exists."
)


def _mixture_parameters(mu2, sigma2, mixture, mu3, sigma3, weight):
    """q as (means, sds, weights) over its components: one Gaussian, or (1−weight, weight) of two."""
    if mixture:
        return [mu2, mu3], [sigma2, sigma3], [1.0 - weight, weight]
    return [mu2], [sigma2], [1.0]


def plotly_figure(traces: list[dict], layout: dict) -> go.Figure:
    """A figure from plain trace and layout dicts, without plotly's property validation.

    Validation (and copying plotly's full default template into every figure) costs about 8 ms per
    figure, more than all the math of a request; these specs are fixed in code and the tests rebuild every figure
    with validation on, so skipping it here loses nothing.
    """
    base_layout = {"template": PLOTLY_TEMPLATE, "height": FIGURE_HEIGHT, "legend": {"orientation": "h", "y": -0.22}}
    # float32 halves what travels to the browser and is far finer than a pixel.
    traces = [{**trace, "x": np.float32(trace["x"]), "y": np.float32(trace["y"])} for trace in traces]
    return go.Figure(data=traces, layout={**base_layout, **layout}, _validate=False)


def density_figure(result: dv.Comparison) -> go.Figure:
    """(a) p, q and the overlap p·q, the integrand of ∫pq that D_CS is built from (right axis)."""
    x = result.x
    traces = [
        {"type": "scatter", "x": x, "y": result.p, "name": "p", "line": {"color": COLORS["p"]}},
        {"type": "scatter", "x": x, "y": result.q, "name": "q", "line": {"color": COLORS["q"]}},
        {
            "type": "scatter",
            "x": x,
            "y": result.p * result.q,
            "name": "p·q (right axis)",
            "yaxis": "y2",
            "fill": "tozeroy",
            "line": {"color": COLORS["overlap"], "width": 1},
        },
    ]
    layout = {
        "title": {"text": "(a) densities and their overlap"},
        "margin": {"l": 50, "r": 50, "t": 40, "b": 40},
        "xaxis": {"title": {"text": "x"}},
        "yaxis": {"title": {"text": "density"}, "rangemode": "tozero"},
        "yaxis2": {
            "title": {"text": "p·q"},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
        },
    }
    return plotly_figure(traces, layout)


def curve_figure(title, x_title, x, curves, x_now, values_now, log_x=False) -> go.Figure:
    """(b) or (c): the three divergences along one swept parameter, the current point marked."""
    traces = []
    for name in QUANTITIES:
        line = {"type": "scatter", "x": x, "y": curves[name], "name": name, "line": {"color": COLORS[name]}}
        marker = {"color": COLORS[name], "size": 10}
        now = {"type": "scatter", "x": [x_now], "y": [values_now[name]], "mode": "markers", "marker": marker}
        traces += [line, {**now, "showlegend": False, "hoverinfo": "x+y"}]
    # KL grows without bound away from the current point; keep the region around it readable.
    y_top = max(2.0, 2.5 * max(float(v) for v in values_now.values()))
    layout = {
        "title": {"text": title},
        "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
        "xaxis": {"title": {"text": x_title}, "type": "log" if log_x else "linear"},
        "yaxis": {"title": {"text": "divergence (nats)"}, "range": [0, y_top]},
    }
    return plotly_figure(traces, layout)


def divergence_table(result: dv.Comparison) -> list[list]:
    """Rows quantity, closed_form, numerical, abs_error; closed_form is None where none exists (KL, mixture)."""
    return [
        [name, result.closed.get(name), result.numerical[name].value, result.numerical[name].abs_error]
        for name in QUANTITIES
    ]


def render(result: dv.Comparison, mu1, sigma1, mu2, sigma2) -> tuple:
    """The endpoint's outputs drawn from one comparison: figures (a), (b), (c) and the table."""
    return (
        density_figure(result),
        curve_figure("(b) against μ₁ − μ₂", "μ₁ − μ₂", result.shifts, result.shift_curves, mu1 - mu2, result.now),
        curve_figure(
            "(c) against σ₂ / σ₁",
            "σ₂ / σ₁ (log scale)",
            result.sigma_ratios,
            result.ratio_curves,
            sigma2 / sigma1,
            result.now,
            log_x=True,
        ),
        divergence_table(result),
    )


@friendly_errors
def divergences(
    mu1,
    sigma1,
    mu2,
    sigma2,
    mixture=DEFAULTS["mixture"],
    mu3=DEFAULTS["mu3"],
    sigma3=DEFAULTS["sigma3"],
    weight=DEFAULTS["weight"],
):
    """Densities, divergence curves and the closed-form-vs-quad table for p = N(mu1, sigma1²) and
    q = N(mu2, sigma2²), or q = (1 − weight)·N(mu2, sigma2²) + weight·N(mu3, sigma3²) when mixture is true."""
    mu1, mu2, mu3 = (number(value, name, *MU_RANGE) for value, name in [(mu1, "mu1"), (mu2, "mu2"), (mu3, "mu3")])
    sigma1, sigma2, sigma3 = (
        number(value, name, *SIGMA_RANGE)
        for value, name in [(sigma1, "sigma1"), (sigma2, "sigma2"), (sigma3, "sigma3")]
    )
    weight = number(weight, "weight", *WEIGHT_RANGE)
    means, sds, weights = _mixture_parameters(mu2, sigma2, flag(mixture, "mixture"), mu3, sigma3, weight)

    result = dv.compare(mu1, sigma1, means, sds, weights, SHIFTS, SIGMA2_SWEEP)
    return render(result, mu1, sigma1, mu2, sigma2)


BENCH_CASES = [
    BenchCase(
        "/divergences (two Gaussians)",
        "/divergences",
        divergences,
        {k: DEFAULTS[k] for k in ("mu1", "sigma1", "mu2", "sigma2")},
        "number->plot+table",
    ),
    BenchCase(
        "/divergences (mixture q)", "/divergences", divergences, {**DEFAULTS, "mixture": True}, "number->plot+table"
    ),
]


def build() -> None:
    figure_a, figure_b, figure_c, table = divergences(**DEFAULTS)
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            gr.Markdown("**p = N(μ₁, σ₁²)**")
            mu1 = gr.Slider(*MU_RANGE, value=DEFAULTS["mu1"], step=0.05, label="μ₁")
            sigma1 = gr.Slider(*SIGMA_RANGE, value=DEFAULTS["sigma1"], step=0.05, label="σ₁")
            gr.Markdown("**q = N(μ₂, σ₂²)** (or the mixture's first component)")
            mu2 = gr.Slider(*MU_RANGE, value=DEFAULTS["mu2"], step=0.05, label="μ₂")
            sigma2 = gr.Slider(*SIGMA_RANGE, value=DEFAULTS["sigma2"], step=0.05, label="σ₂")
            mixture = gr.Checkbox(value=DEFAULTS["mixture"], label="q is a mixture: (1 − w)·N(μ₂, σ₂²) + w·N(μ₃, σ₃²)")
            with gr.Column(visible=DEFAULTS["mixture"]) as mixture_controls:
                mu3 = gr.Slider(*MU_RANGE, value=DEFAULTS["mu3"], step=0.05, label="μ₃")
                sigma3 = gr.Slider(*SIGMA_RANGE, value=DEFAULTS["sigma3"], step=0.05, label="σ₃")
                weight = gr.Slider(*WEIGHT_RANGE, value=DEFAULTS["weight"], step=0.01, label="w (weight of N(μ₃, σ₃²))")
        with gr.Column(scale=2):
            plot_a = gr.Plot(value=figure_a, label="densities and overlap", show_label=False)
            table_out = gr.Dataframe(
                value=table,
                headers=HEADERS,
                datatype=["str", "number", "number", "number"],
                interactive=False,
                label="closed form vs numerical integration",
            )
            gr.Markdown(TABLE_NOTE)
    with gr.Row():
        plot_b = gr.Plot(value=figure_b, label="divergences against mu1 - mu2", show_label=False)
        plot_c = gr.Plot(value=figure_c, label="divergences against sigma2 / sigma1", show_label=False)
    gr.Markdown(tab_text("divergences", "explanation"), latex_delimiters=LATEX_DELIMITERS)

    inputs = [mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight]
    mixture.change(
        lambda on: gr.Column(visible=on), mixture, mixture_controls, api_visibility="private", show_progress="hidden"
    )
    gr.on(
        [control.input for control in inputs],
        divergences,
        inputs,
        [plot_a, plot_b, plot_c, table_out],
        api_name="divergences",
        preprocess=False,  # raw values reach the validators, which answer every bad one with a sentence
        trigger_mode="always_last",
        show_progress="hidden",
    )
