"""Tab: KL vs Cauchy–Schwarz between p = N(μ₁, σ₁²) and q = N(μ₂, σ₂²), or q a two-component mixture.

Every shown divergence comes with its numerical-integration check (scipy's quad) and quad's error
estimate. One request, whatever its route (the endpoint, the page's events, drags, cases, links), goes through
`view`: validate, one call to models.divergences.compare (densities, sweeps, closed forms and quad checks); the
route then draws that result, and the figure functions only draw.

The page's charts, table and notes are in the page's language (demos/divergences/texts/divergences/strings.<lang>.json): the
tab's own events take the request and draw in its language; the public endpoint /divergences has no request and
answers in English. The numbers are the same in both.
"""

import math
from pathlib import Path
from typing import NamedTuple

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from demos import BenchCase, bidi, charts, html_table, live_drag, markdown, register_texts
from demos.language import DEFAULT_LANGUAGE, LANGUAGES, request_language, t
from demos.tab_spec import TabSpec
from demos.validation import flag, friendly_errors, number
from models import divergences as dv

register_texts(Path(__file__).resolve().parent / "texts")  # its catalogues, before any of its texts is read

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
    "*numerical*: scipy's `quad`; *abs. error*: quad's own error estimate for that number. "
    "For a mixture q no closed form of KL is known: its *closed form* cell is empty and only the numerical value exists. "
    "Shown to 6 significant digits; the `/divergences` API returns every digit."
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


def curve_y_top(values_now: dict) -> float:
    """KL grows without bound away from the current point; the y axis keeps the region around it readable."""
    return max(2.0, 2.5 * max(float(v) for v in values_now.values()))


def curve_figure(title, x_title, x, curves, x_now, values_now, log_x=False) -> go.Figure:
    """(b) or (c): the three divergences along one swept parameter, the current point marked."""
    traces = []
    for name in QUANTITIES:
        line = {"type": "scatter", "x": x, "y": curves[name], "name": name, "line": {"color": COLORS[name]}}
        marker = {"color": COLORS[name], "size": 10}
        now = {"type": "scatter", "x": [x_now], "y": [values_now[name]], "mode": "markers", "marker": marker}
        traces += [line, {**now, "showlegend": False, "hoverinfo": "x+y"}]
    y_top = curve_y_top(values_now)
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


# ---------------------------------------------------------------------------------------------------
# The page's view: the API's curves and numbers, drawn as SVG and HTML on the server (demos/charts.py, the renderer
# tabs 1 and 2 share; the page draws a drag's steps with its mirror).


def density_view(result: dv.Comparison, lang: str = DEFAULT_LANGUAGE) -> str:
    """(a) as on the page: p and q, and their overlap p·q (right axis), the integrand of ∫pq."""
    overlap = result.p * result.q
    series = [
        {"name": "p", "x": result.x, "y": result.p, "color": COLORS["p"]},
        {"name": "q", "x": result.x, "y": result.q, "color": COLORS["q"]},
        {
            "name": "p·q",
            "x": result.x,
            "y": overlap,
            "color": COLORS["overlap"],
            "right": True,
            "fill": True,
            "width": 1,
        },
    ]
    top = 1.05 * float(max(result.p.max(), result.q.max()))
    overlap_top = 1.05 * float(overlap.max()) or 1.0
    labels = charts.chart_labels(t("divergences.axis_x", lang), t("divergences.axis_density", lang), "p·q", lang)
    x_range = (float(result.x[0]), float(result.x[-1]))
    svg = charts.line_chart(series, x_range, (0.0, top), labels, y2=(0.0, overlap_top))
    legend = [("p", COLORS["p"]), ("q", COLORS["q"]), (t("divergences.legend_overlap", lang), COLORS["overlap"])]
    return charts.chart_html(t("divergences.title_a", lang), legend, svg, lang)


def curve_view(title, x_label, x, curves, x_now, values_now, log_x=False, lang: str = DEFAULT_LANGUAGE) -> str:
    """(b) or (c) as on the page: the same curves, y range and markers as curve_figure."""
    series = [{"name": name, "x": x, "y": curves[name], "color": COLORS[name]} for name in QUANTITIES]
    markers = [{"name": name, "x": x_now, "y": values_now[name], "color": COLORS[name]} for name in QUANTITIES]
    labels = charts.chart_labels(x_label, t("divergences.axis_nats", lang), None, lang)
    x_range, y_range = (float(x[0]), float(x[-1])), (0.0, curve_y_top(values_now))
    svg = charts.line_chart(series, x_range, y_range, labels, log_x=log_x, markers=markers)
    return charts.chart_html(title, [(name, COLORS[name]) for name in QUANTITIES], svg, lang)


def table_html(result: dv.Comparison, mixture: bool, lang: str = DEFAULT_LANGUAGE) -> str:
    """The endpoint's table to six significant digits (quad's error estimate to two), and the D_CS / min KL line."""
    rows = [
        [name, "—" if closed is None else f"{closed:.6g}", f"{numerical:.6g}", f"{error:.2g}"]
        for name, closed, numerical, error in divergence_table(result)
    ]
    headers = [t(f"divergences.column.{key}", lang) for key in ("quantity", "closed_form", "numerical", "abs_error")]
    return (
        html_table(headers, rows)
        + f'<p{bidi.dir_attribute(lang)} style="font-size:0.9em;margin:4px 0">{ratio_text(result, mixture, lang)}</p>'
    )


# The ratio line as templates (demos.bidi.fill): the page's drag steps fill the same ones (live_config).
def ratio_templates(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The ratio line's sentences in `lang`, with slots for its numbers and parts (see fill)."""
    return {
        "numbers": t(
            "divergences.ratio_numbers",
            lang,
            ratio=f"D_CS / min KL = {bidi.slot('ratio')}",
            cs=f"D_CS = {bidi.slot('cs')}",
            kl_pq=f"KL(p‖q) = {bidi.slot('kl_pq')}",
            kl_qp=f"KL(q‖p) = {bidi.slot('kl_qp')}",
        ),
        "mixture": t("divergences.ratio_mixture", lang, numbers="<!--numbers-->", verdict="<!--verdict-->"),
        "gaussians": t("divergences.ratio_gaussians", lang, numbers="<!--numbers-->"),
        "undefined": t("divergences.ratio_undefined", lang),
        "verdict_fails": t("divergences.verdict_fails", lang),
        "verdict_holds": t("divergences.verdict_holds", lang),
    }


def ratio_text(result: dv.Comparison, mixture: bool, lang: str = DEFAULT_LANGUAGE) -> str:
    """The homework's inequality D_CS ≤ min KL, live (HTML): the ratio for the current sliders and what is known."""
    values, ratio = result.values, result.cs_over_min_kl
    templates = ratio_templates(lang)
    if math.isnan(ratio):
        return templates["undefined"]
    shown = {"ratio": ratio, "cs": values["D_CS(p,q)"], "kl_pq": values["KL(p||q)"], "kl_qp": values["KL(q||p)"]}
    numbers = bidi.fill(templates["numbers"], {name: f"{value:.6g}" for name, value in shown.items()}, lang)
    if mixture:
        verdict = templates["verdict_fails" if ratio > 1 else "verdict_holds"]
        return bidi.fill(templates["mixture"], {"numbers": numbers, "verdict": verdict}, lang)
    return bidi.fill(templates["gaussians"], {"numbers": numbers}, lang)


def view(mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight) -> tuple[dict, dv.Comparison]:
    """The tab's one view path: every input validated (each bad one answered with its own sentence), then the one
    call into models/; returns the validated parameters and the comparison. The public endpoint (render), the
    page's events, drags, cases, answers and links (live_view → page_view) are adapters that draw its result."""
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
    params, result = view(mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight)
    return render(result, **params)


def page_view(
    result: dv.Comparison, mu1, sigma1, mu2, sigma2, mixture, lang: str = DEFAULT_LANGUAGE, **_
) -> tuple[str, str, str, str]:
    """What the page shows, drawn from the same comparison as the endpoint: charts (a), (b), (c), the table."""
    return (
        density_view(result, lang),
        curve_view(
            t("divergences.title_b", lang),
            t("divergences.axis_shift", lang),
            result.shifts,
            result.shift_curves,
            mu1 - mu2,
            result.now,
            lang=lang,
        ),
        curve_view(
            t("divergences.title_c", lang),
            t("divergences.axis_ratio", lang),
            result.sigma_ratios,
            result.ratio_curves,
            sigma2 / sigma1,
            result.now,
            log_x=True,
            lang=lang,
        ),
        table_html(result, mixture, lang),
    )


@friendly_errors
def live_view(
    mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight, request: gr.Request = None
) -> tuple[str, str, str, str]:
    """The page's view for its controls, in the language of the page that sent `request`: the endpoint's curves
    and numbers, and the live D_CS / min KL line."""
    params, result = view(mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight)
    return page_view(result, **params, lang=request_language(request))


# ---------------------------------------------------------------------------------------------------
# Cases a lecturer shows, and the homework questions that each set the sliders to one of them

PARAMETERS = list(DEFAULTS)  # the endpoint's parameters, in the order of its controls
CASES = {  # each case's id: its name is `divergences.preset.<id>` in the tab's catalogue, in every language
    "equal_variances": {**DEFAULTS, "mu1": 0.0, "sigma1": 1.0, "mu2": 2.0, "sigma2": 1.0},
    "p_equals_q": {**DEFAULTS, "mu1": 1.0, "sigma1": 1.5, "mu2": 1.0, "sigma2": 1.5},
    "unequal_variances": {**DEFAULTS, "mu1": 0.0, "sigma1": 0.5, "mu2": 1.0, "sigma2": 2.0},
    "narrow_far": {**DEFAULTS, **{"mu1": -5.0, "sigma1": 0.1, "mu2": 5.0, "sigma2": 0.8}},
    "far_apart": {**DEFAULTS, "mu1": -4.0, "sigma1": 1.0, "mu2": 4.0, "sigma2": 1.0},
    "mixture_no_closed_kl": {**DEFAULTS, "mixture": True},
    "mixture_cs_above_kl": {
        **{"mu1": 0.0, "sigma1": 1.0, "mu2": 0.0, "sigma2": 1.0},
        **{"mixture": True, "mu3": 4.0, "sigma3": 0.1, "weight": 0.3},
    },
}


def preset_name(case: str) -> str:
    """A case's English name: its button, its link in docs/presets.md."""
    return t(f"divergences.preset.{case}")


PRESETS = {preset_name(case): values for case, values in CASES.items()}  # name → values (TabSpec.presets)
# The homework questions, in the order of demos/divergences/texts/divergences/homework.en.md, with the case each answer shows
# (None: the answer is text only; Q2b is answered live in the VAE tab).
ANSWER_CASES = {
    "equal": "equal_variances",
    "unequal": "narrow_far",
    "mixture": "mixture_cs_above_kl",
    "negative": "p_equals_q",
    "bound": None,
}
QUESTIONS = {question: case and preset_name(case) for question, case in ANSWER_CASES.items()}


def case_numbers(case: str) -> dict[str, str]:
    """The numbers a text quotes about a case, as its {{placeholders}} take them: the parameters from CASES (a
    mixture's weights too: {{weight}}, {{rest}} = 1 − w), and for two Gaussians D_CS / min KL computed by
    models.divergences, to two decimals (the text says "about")."""
    values = CASES[case]
    shown = {key: f"{values[key]:g}" for key in ("mu1", "sigma1", "mu2", "sigma2", "mu3", "sigma3", "weight")}
    if values["mixture"]:
        return shown | {"rest": f"{1 - values['weight']:g}"}
    p, q = (values["mu1"], values["sigma1"]), (values["mu2"], values["sigma2"])
    kl = min(dv.kl_gaussians(*p, *q), dv.kl_gaussians(*q, *p))
    ratio = float(dv.cs_gaussians(*p, *q) / kl) if kl > 0 else math.nan  # p = q: 0/0
    return shown | {"ratio": f"{ratio:.2f}"}


def answer_numbers(question: str) -> dict[str, str] | None:
    """The {{placeholders}} of a homework answer: the numbers of the case it shows."""
    case = ANSWER_CASES[question]
    return case_numbers(case) if case else None


VIEW_IDS = ("divergences-chart_a", "divergences-chart_b", "divergences-chart_c", "divergences-table")


def drag_step(values: dict, request: gr.Request = None) -> dict:
    """The final view of a slider drag (demos/live_drag.py; the page drew the steps itself), as HTML for its blocks."""
    controls = {key: values.get(key, DEFAULTS[key]) for key in PARAMETERS}  # the hidden mixture sliders: defaults
    return {"html": dict(zip(VIEW_IDS, live_view(**controls, request=request), strict=True))}


def live_config() -> dict:
    """What the page needs to compute and draw a drag step itself (demos/static/live_math.js, live_views.js), from
    the one source: the sliders' ranges and defaults, the model's grids, the charts' geometry and colours, and the
    texts in every language."""
    return {
        "defaults": DEFAULTS,
        "mu_range": MU_RANGE,
        "sigma_range": SIGMA_RANGE,
        "weight_range": WEIGHT_RANGE,
        "quantities": QUANTITIES,
        "shifts": SHIFTS.tolist(),
        "sigma2_sweep": SIGMA2_SWEEP.tolist(),
        "density_span": dv.DENSITY_SPAN,
        "curve_half_width": dv.CURVE_HALF_WIDTH,
        "quad_half_width": dv.HALF_WIDTH,
        "svg": charts.GEOMETRY,
        "colors": COLORS,
        "texts": {lang: live_texts(lang) for lang in LANGUAGES},
    }


def live_texts(lang: str) -> dict:
    """The charts' and the table's texts in `lang`, as density_view, curve_view and table_html write them."""
    curves = {"legend": [(name, COLORS[name]) for name in QUANTITIES]}
    return {
        "rtl": bidi.is_rtl(lang),
        "charts": {
            "a": {
                "title": t("divergences.title_a", lang),
                "legend": [
                    ("p", COLORS["p"]),
                    ("q", COLORS["q"]),
                    (t("divergences.legend_overlap", lang), COLORS["overlap"]),
                ],
                "labels": charts.chart_labels(
                    t("divergences.axis_x", lang), t("divergences.axis_density", lang), "p·q", lang
                ),
            },
            "b": {
                **curves,
                "title": t("divergences.title_b", lang),
                "labels": charts.chart_labels(
                    t("divergences.axis_shift", lang), t("divergences.axis_nats", lang), None, lang
                ),
            },
            "c": {
                **curves,
                "title": t("divergences.title_c", lang),
                "labels": charts.chart_labels(
                    t("divergences.axis_ratio", lang), t("divergences.axis_nats", lang), None, lang
                ),
            },
        },
        "ratio": ratio_templates(lang),
    }


def apply_preset(name: str, request: gr.Request = None) -> tuple:
    """The preset's control values, then the view they give (a preset sets the controls without an input event)."""
    case = PRESETS[name]
    return (*(case[key] for key in PARAMETERS), *live_view(**case, request=request))


def show_answer(question: str, request: gr.Request = None):
    """Reveal the answer and, where it has one, set the controls to the case that demonstrates it. (An answer
    without a case has one output: its value alone, not a 1-tuple, which Gradio would hand to the Markdown.)"""
    name = QUESTIONS[question]
    if name is None:
        return gr.Markdown(visible=True)
    return (gr.Markdown(visible=True), *apply_preset(name, request))


def with_request(fn, key: str):
    """A button's click event: fn(key, request). (A functools.partial would hide the request's type hint from
    Gradio, which then passes no request.)"""

    def click(request: gr.Request = None):
        return fn(key, request)

    return click


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


# ---------------------------------------------------------------------------------------------------
# UI: one builder per part of the page, in page order, each laying out its blocks (drawn from the tab's defaults)
# and returning them; then the `wire_` functions, which join them to the views above, and the hidden endpoint.

PAGE_EVENT = {"api_visibility": "private", "show_progress": "hidden"}  # the page's own events: not in the API


class Controls(NamedTuple):
    mu1: gr.Slider
    sigma1: gr.Slider
    mu2: gr.Slider
    sigma2: gr.Slider
    mixture: gr.Checkbox
    mu3: gr.Slider
    sigma3: gr.Slider
    weight: gr.Slider
    mixture_controls: gr.Column  # μ₃, σ₃ and w, shown while q is a mixture

    @property
    def inputs(self) -> list:
        """The endpoint's parameters, in its order (PARAMETERS)."""
        return [self.mu1, self.sigma1, self.mu2, self.sigma2, self.mixture, self.mu3, self.sigma3, self.weight]


def parameter_slider(name: str, value_range: tuple[float, float], label: str, step: float = 0.05) -> gr.Slider:
    """One parameter's slider, at its default, with the elem_id the live drag and the links read it by."""
    return gr.Slider(*value_range, value=DEFAULTS[name], step=step, label=label, elem_id=f"divergences-{name}")


def build_controls() -> Controls:
    """The column of sliders: p, then q (and the mixture's second component, hidden until it is one)."""
    with gr.Column(scale=1, min_width=250):
        gr.Markdown("**p = N(μ₁, σ₁²)**")
        mu1 = parameter_slider("mu1", MU_RANGE, "μ₁")
        sigma1 = parameter_slider("sigma1", SIGMA_RANGE, "σ₁")
        gr.Markdown("**q = N(μ₂, σ₂²)** (or the mixture's first component)")
        mu2 = parameter_slider("mu2", MU_RANGE, "μ₂")
        sigma2 = parameter_slider("sigma2", SIGMA_RANGE, "σ₂")
        mixture = gr.Checkbox(
            value=DEFAULTS["mixture"],
            label="q is a mixture: (1 − w)·N(μ₂, σ₂²) + w·N(μ₃, σ₃²)",
            elem_id="divergences-mixture",
        )
        with gr.Column(visible=DEFAULTS["mixture"]) as mixture_controls:
            mu3 = parameter_slider("mu3", MU_RANGE, "μ₃")
            sigma3 = parameter_slider("sigma3", SIGMA_RANGE, "σ₃")
            weight = parameter_slider("weight", WEIGHT_RANGE, "w (weight of N(μ₃, σ₃²))", step=0.01)
    return Controls(mu1, sigma1, mu2, sigma2, mixture, mu3, sigma3, weight, mixture_controls)


def build_controls_and_views() -> tuple[Controls, list[gr.HTML]]:
    """The sliders beside chart (a) and the table, charts (b) and (c) below; returns the controls and the views
    (charts a, b, c and the table: page_view's order), drawn at the defaults."""
    view_a, view_b, view_c, view_table = live_view(**DEFAULTS)
    with gr.Row(equal_height=False):
        controls = build_controls()
        with gr.Column(scale=2, min_width=300):
            chart_a = gr.HTML(view_a, js_on_load=None, elem_id="divergences-chart_a")
            table = gr.HTML(view_table, js_on_load=None, elem_id="divergences-table")
            gr.Markdown(TABLE_NOTE)
    with gr.Row():  # each chart in a column at least 300 px wide: a phone stacks them (gr.HTML ignores min_width)
        with gr.Column(min_width=300):
            chart_b = gr.HTML(view_b, js_on_load=None, elem_id="divergences-chart_b")
        with gr.Column(min_width=300):
            chart_c = gr.HTML(view_c, js_on_load=None, elem_id="divergences-chart_c")
    return controls, [chart_a, chart_b, chart_c, table]


def attach_live_drag(controls: Controls) -> None:
    """Slider drags drawn in the page, the final view from drag_step (demos/live_drag.py)."""
    sliders = dict(zip(PARAMETERS, controls.inputs, strict=True))
    del sliders["mixture"]
    live_drag.attach(drag_step, "divergences", live_config(), sliders, checkboxes={"mixture": controls.mixture})


def build_homework(controls: Controls, views: list[gr.HTML]) -> dict[str, gr.Button]:
    """The homework panel: the "Cases to show" buttons (returned, wired by wire_cases), then each question with its
    "Show answer", wired as it is made: it reveals the answer and sets the controls to its case, if it has one."""
    with gr.Accordion("Homework questions", open=False):
        gr.Markdown("**Cases to show**")
        with gr.Row():
            cases = {name: gr.Button(name, size="sm", min_width=200) for name in PRESETS}
        markdown("divergences", "homework", "intro")
        for question, case in QUESTIONS.items():
            markdown("divergences", "homework", f"{question}_question")
            button = gr.Button("Show answer", size="sm")
            answer = markdown("divergences", "homework", f"{question}_answer", answer_numbers(question), visible=False)
            outputs = [answer] if case is None else [answer, *controls.inputs, *views]
            button.click(with_request(show_answer, question), None, outputs, **PAGE_EVENT)
    return cases


def wire_cases(cases: dict[str, gr.Button], controls: Controls, views: list[gr.HTML]) -> None:
    """A case sets the controls and shows its view, in one request."""
    for name, button in cases.items():
        button.click(with_request(apply_preset, name), None, [*controls.inputs, *views], **PAGE_EVENT)


def wire_controls(controls: Controls, views: list[gr.HTML]) -> None:
    """The mixture checkbox shows its sliders; every control redraws the view (live_view, not again right after a
    drag drew it)."""
    controls.mixture.change(lambda on: gr.Column(visible=on), controls.mixture, controls.mixture_controls, **PAGE_EVENT)
    gr.on(
        [control.input for control in controls.inputs],
        live_drag.unless_drawn(live_view, len(views)),
        [*controls.inputs, live_drag.drawn_flag()],
        views,
        js=live_drag.AFTER_DRAG_JS,
        preprocess=False,  # the same validators as the API
        trigger_mode="always_last",  # while a drag outruns the server, only the newest position is computed
        **PAGE_EVENT,
    )


def build_api(controls: Controls) -> None:
    """The public endpoint, for API callers only: its Plotly figures and full-precision table go to outputs that are
    never shown, and no control of the page triggers its hidden button."""
    api_outputs = [gr.Plot(visible=False) for _ in range(3)] + [
        gr.Dataframe(headers=HEADERS, datatype=["str", "number", "number", "number"], interactive=False, visible=False)
    ]
    gr.Button(visible=False).click(
        divergences,
        controls.inputs,
        api_outputs,
        api_name="divergences",
        preprocess=False,  # raw values reach the validators, which answer every bad one with a sentence
        show_progress="hidden",
    )


def build() -> None:
    """The tab in page order: controls, charts and table, homework, explanation; then its events and endpoint."""
    controls, views = build_controls_and_views()
    attach_live_drag(controls)
    cases = build_homework(controls, views)
    markdown("divergences", "explanation")
    wire_cases(cases, controls, views)
    wire_controls(controls, views)
    build_api(controls)


TAB = TabSpec(
    name="divergences",
    build=build,
    endpoints={"divergences": tuple(PARAMETERS)},
    bench_cases=tuple(BENCH_CASES),
    presets=PRESETS,
)
