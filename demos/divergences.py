"""Tab: KL vs Cauchy–Schwarz between p = N(μ₁, σ₁²) and q = N(μ₂, σ₂²), or q a two-component mixture.

Every shown divergence comes with its numerical-integration check (scipy's quad) and quad's error
estimate. One request: validate, one call to models.divergences.compare (densities, sweeps, closed forms and
quad checks), then draw that result; the figure functions only draw.
"""

import functools
import math

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from demos import LATEX_DELIMITERS, BenchCase, tab_sections, tab_text
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


def render(result: dv.Comparison, mu1, sigma1, mu2, sigma2, **_) -> tuple:
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


def ratio_text(result: dv.Comparison, mixture: bool) -> str:
    """The homework's inequality D_CS ≤ min KL, live: the ratio for the current sliders and what is known of it."""
    values, ratio = result.values, result.cs_over_min_kl
    if math.isnan(ratio):
        return "p = q: D_CS and both KLs are 0 (the ratio D_CS / min KL is undefined)."
    numbers = (
        f"**D_CS / min KL = {ratio:.6g}** (D_CS = {values['D_CS(p,q)']:.6g}, KL(p‖q) = {values['KL(p||q)']:.6g}, "
        f"KL(q‖p) = {values['KL(q||p)']:.6g})."
    )
    if mixture:
        verdict = "above 1: the inequality fails here" if ratio > 1 else "at most 1 here"
        return f"{numbers} q is a mixture: D_CS ≤ min KL is not guaranteed; {verdict}."
    return f"{numbers} Two Gaussians: always below 1 (proof in the homework questions), ½ at equal variances."


def _compare(mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight) -> tuple[dict, dv.Comparison]:
    """Validate every input (each bad one answered with its own sentence), then the one call into models/."""
    mu1, mu2, mu3 = (number(value, name, *MU_RANGE) for value, name in [(mu1, "mu1"), (mu2, "mu2"), (mu3, "mu3")])
    sigma1, sigma2, sigma3 = (
        number(value, name, *SIGMA_RANGE)
        for value, name in [(sigma1, "sigma1"), (sigma2, "sigma2"), (sigma3, "sigma3")]
    )
    weight = number(weight, "weight", *WEIGHT_RANGE)
    mixture = flag(mixture, "mixture")
    means, sds, weights = _mixture_parameters(mu2, sigma2, mixture, mu3, sigma3, weight)
    params = {"mu1": mu1, "sigma1": sigma1, "mu2": mu2, "sigma2": sigma2, "mixture": mixture}
    params |= {"mu3": mu3, "sigma3": sigma3, "weight": weight}
    return params, dv.compare(mu1, sigma1, means, sds, weights, SHIFTS, SIGMA2_SWEEP)


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
    params, result = _compare(mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight)
    return render(result, **params)


@friendly_errors
def live_view(mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight) -> tuple:
    """What the tab shows for its controls: the endpoint's figures and table, and the live D_CS / min KL line."""
    params, result = _compare(mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight)
    return (*render(result, **params), ratio_text(result, params["mixture"]))


# ---------------------------------------------------------------------------------------------------
# Cases a lecturer shows, and the homework questions that each set the sliders to one of them

PARAMETERS = list(DEFAULTS)  # the endpoint's parameters, in the order of its controls
PRESETS = {
    "equal variances: D_CS = KL/2": {**DEFAULTS, "mu1": 0.0, "sigma1": 1.0, "mu2": 2.0, "sigma2": 1.0},
    "p = q: every divergence is 0": {**DEFAULTS, "mu1": 1.0, "sigma1": 1.5, "mu2": 1.0, "sigma2": 1.5},
    "unequal variances: KL is not symmetric": {**DEFAULTS, "mu1": 0.0, "sigma1": 0.5, "mu2": 1.0, "sigma2": 2.0},
    "narrow p far from a wider q: D_CS / min KL near 1": {
        **DEFAULTS,
        **{"mu1": -5.0, "sigma1": 0.1, "mu2": 5.0, "sigma2": 0.8},
    },
    "far-apart Gaussians": {**DEFAULTS, "mu1": -4.0, "sigma1": 1.0, "mu2": 4.0, "sigma2": 1.0},
    "mixture q: KL has no closed form": {**DEFAULTS, "mixture": True},
    "mixture q: D_CS above min KL": {
        **{"mu1": 0.0, "sigma1": 1.0, "mu2": 0.0, "sigma2": 1.0},
        **{"mixture": True, "mu3": 4.0, "sigma3": 0.1, "weight": 0.3},
    },
}
# The homework questions, in the order of demos/texts/divergences/homework.en.md, with the case each answer shows
# (None: the answer is text only; Q2b is answered live in the VAE tab).
QUESTIONS = {
    "equal": "equal variances: D_CS = KL/2",
    "unequal": "narrow p far from a wider q: D_CS / min KL near 1",
    "mixture": "mixture q: D_CS above min KL",
    "negative": "p = q: every divergence is 0",
    "bound": None,
}


def apply_preset(name: str) -> tuple:
    """The preset's control values, then the view they give (a preset sets the controls without an input event)."""
    case = PRESETS[name]
    return (*(case[key] for key in PARAMETERS), *live_view(**case))


def show_answer(question: str) -> tuple:
    """Reveal the answer and, where it has one, set the controls to the case that demonstrates it."""
    name = QUESTIONS[question]
    return (gr.Markdown(visible=True),) if name is None else (gr.Markdown(visible=True), *apply_preset(name))


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
    figure_a, figure_b, figure_c, table, ratio = live_view(**DEFAULTS)
    homework = tab_sections("divergences", "homework")
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
            ratio_line = gr.Markdown(ratio)
            gr.Markdown("**Cases to show**")
            preset_buttons = {name: gr.Button(name, size="sm") for name in PRESETS}
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
    inputs = [mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight]
    view = [plot_a, plot_b, plot_c, table_out, ratio_line]
    with gr.Accordion("Homework questions", open=False):
        gr.Markdown(homework["intro"], latex_delimiters=LATEX_DELIMITERS)
        for question, case in QUESTIONS.items():
            gr.Markdown(homework[f"{question}_question"], latex_delimiters=LATEX_DELIMITERS)
            button = gr.Button("Show answer", size="sm")
            answer = gr.Markdown(homework[f"{question}_answer"], latex_delimiters=LATEX_DELIMITERS, visible=False)
            button.click(
                functools.partial(show_answer, question),
                None,
                [answer] if case is None else [answer, *inputs, *view],
                api_visibility="private",
                show_progress="hidden",
            )
    gr.Markdown(tab_text("divergences", "explanation"), latex_delimiters=LATEX_DELIMITERS)

    for name, button in preset_buttons.items():
        button.click(
            functools.partial(apply_preset, name),
            None,
            [*inputs, *view],
            api_visibility="private",
            show_progress="hidden",
        )
    mixture.change(
        lambda on: gr.Column(visible=on), mixture, mixture_controls, api_visibility="private", show_progress="hidden"
    )
    gr.on(
        [control.input for control in inputs],
        live_view,
        inputs,
        view,
        api_visibility="private",
        preprocess=False,  # the same validators as the API
        trigger_mode="always_last",
        show_progress="hidden",
    )
    # The public endpoint, for API callers only: no control of the page triggers this hidden button.
    gr.Button(visible=False).click(
        divergences,
        inputs,
        [plot_a, plot_b, plot_c, table_out],
        api_name="divergences",
        preprocess=False,  # raw values reach the validators, which answer every bad one with a sentence
        show_progress="hidden",
    )
