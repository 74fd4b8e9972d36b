"""Tab: Gradient estimators — pathwise, score, two baselines and measure-valued, measured beside exact.

One public endpoint, /estimators(f, m, mu, n, repeats, seed), returns three Plotly figures and a table; the page
shows the same curves and numbers as SVG charts (demos/charts.py) and HTML, and every control re-runs it live.
Every route (the endpoint, the page's events, drags, cases, links) goes through `view`, which validates the request
and makes one call, models.estimators.run_experiment; the route then draws its result, and the figure and chart
functions only format what the result holds.

Titles, axis and legend labels, table headers, the homework box and error sentences are in the page's language
(demos/estimators/texts/estimators/strings.<lang>.json): the tab's own events take the request and draw in its language;
the public endpoint has no request and answers in English. The numbers are the same in both.
"""

import functools
import math
from pathlib import Path
from typing import NamedTuple

import gradio as gr
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from demos import LATEX_DELIMITERS, BenchCase, bidi, charts, html_table, live_drag, markdown, register_texts
from demos.language import DEFAULT_LANGUAGE, LANGUAGES, filled_label, request_language, t
from demos.tab_spec import TabSpec
from demos.validation import Sentence, choice, friendly_errors, integer, number
from models import estimators as model
from models.estimators import CLOSED_FORM_OBJECTIVES, ESTIMATORS, OBJECTIVES, EstimatorsResult, run_experiment

register_texts(Path(__file__).resolve().parent / "texts")  # its catalogues, before any of its texts is read

M_RANGE = (-3.0, 3.0)  # scale of f; the gaussian f additionally needs m > 0
MU_RANGE = (-4.0, 4.0)
N_RANGE = (1, 10_000)
REPEATS_RANGE = (2, 1_000)
SEED_RANGE = (0, 99_999)
MAX_DRAWS = 1_000_000  # cap on n × repeats per estimator, so that one request stays well under a second
DEFAULTS = {"f": "square", "m": 1.0, "mu": 1.0, "n": 10, "repeats": 100, "seed": 0}  # R = 100: every N fits MAX_DRAWS


def _case(f: str, m: float, mu: float, n: int = 10) -> dict:
    """A case's control values: R = 1000 independent estimates (fits MAX_DRAWS up to N = 1,000), seed 0."""
    return {"f": f, "m": m, "mu": mu, "n": n, "repeats": 1000, "seed": 0}


# Cases a lecturer shows ("Cases to show" buttons, each also a link: docs/presets.md). Every name is a claim about
# its case that tests/test_estimators.py checks against the exact variances. The homework questions' cases keep
# their values: the answers (demos/estimators/texts/estimators/homework.<lang>.md) cite them.
CASES = {  # each case's id: its name is `estimators.preset.<id>`, filled with the case's own μ and m
    "linear_pathwise_zero": _case("linear", 1.0, 1.0),
    "square_closed_forms": _case("square", 1.0, 1.0),
    "square_pathwise_4m4": _case("square", 1.5, 2.0),
    "score_explodes": _case("square", 1.0, 4.0),
    "score_sign": _case("linear", 1.0, 0.0),
    "linear_baseline_cuts": _case("linear", 1.0, 4.0),
    "cosine_baseline_raises": _case("cosine", 1.0, 0.0, n=2),
    "square_measure_valued_zero": _case("square", 1.0, 0.0),
    "square_pathwise_lowest": _case("square", 1.0, 3.0),
    "cosine_equal_cost": _case("cosine", 1.0, 1.0),
    "cosine_pathwise_highest": _case("cosine", 3.0, 1.0),
}


def preset_name(case: str) -> str:
    """A case's English name (its button, its link): the numbers it quotes are the case's own, and `cut`, the
    factor by which the mean baseline divides the score estimator's variance there (the exact variances)."""
    values = CASES[case]
    exact = {name: float(variance) for name, variance in model.exact_variances(**values_of(values)).items()}
    cut = exact["score"] / exact["score+baseline"] if exact["score+baseline"] else math.inf
    return filled_label(f"estimators.preset.{case}", mu=values["mu"], m=values["m"], cut=cut)


def values_of(case: dict) -> dict:
    return {"f": case["f"], "m": case["m"], "mu": case["mu"], "n": case["n"]}


PRESETS = {preset_name(case): values for case, values in CASES.items()}  # name → values (TabSpec.presets)
# The homework questions, in the order of demos/estimators/texts/estimators/homework.en.md, with the case each "Show answer"
# sets the controls to.
QUESTIONS = {
    "variances": preset_name("square_closed_forms"),
    "pathwise": preset_name("square_pathwise_4m4"),
    "sign": preset_name("score_sign"),
    "baseline": preset_name("cosine_baseline_raises"),
    "choose": preset_name("square_pathwise_lowest"),
    "cost": preset_name("cosine_equal_cost"),
}
# The closed forms of homework question 1 in LaTeX; @mu, @m and @N stand for μ, m and N (symbol or number).
FORMULAS = {
    "linear": {
        "pathwise": "0",
        "score": r"\frac{@m^2(@mu^2+2)}{@N}",
        "score+baseline": r"\frac{2\cdot @m^2}{@N-1}",
        "score+optimal baseline": r"\frac{2\cdot @m^2}{@N}",
        "measure-valued": r"\frac{@m^2(4/\pi-1)}{@N}",
    },
    "square": {
        "pathwise": r"\frac{4\cdot @m^4}{@N}",
        "score": r"\frac{@m^4(@mu^4+14\cdot @mu^2+15)}{@N}",
        "score+baseline": r"\frac{2\cdot @m^4(4\cdot @mu^2+5)}{@N}+\frac{2\cdot @m^4(4\cdot @mu^2+1)}{@N(@N-1)}",
        "score+optimal baseline": r"\frac{2\cdot @m^4(4\cdot @mu^2+3)}{@N}",
        "measure-valued": r"\frac{4\cdot @m^4\cdot @mu^2(4/\pi-1)}{@N}",
    },
}

TABLE_HEADERS = ["estimator", "mean", "true_gradient", "empirical_variance", "exact_variance"]  # the API's columns
PLOT_HEIGHT = 360
COLORS = dict(zip(ESTIMATORS, ("#1f77b4", "#d62728", "#ff7f0e", "#9467bd", "#2ca02c"), strict=True))


def estimator_name(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """An estimator as the legends name it: its identifier in English, its Persian name in Persian."""
    return t(f"estimators.estimator.{name}", lang)


def table_headers(lang: str = DEFAULT_LANGUAGE) -> list[str]:
    return [t(f"estimators.column.{column}", lang) for column in TABLE_HEADERS]


def view(f, m, mu, n, repeats, seed) -> EstimatorsResult:
    """The tab's one view path: its parameters validated (each bad one answered with its sentence), then the one
    call into models/. The public endpoint, the page's events, drags, cases, answers and links are adapters that
    draw its result (render, page_view, homework_numbers)."""
    return run_experiment(*validate(f, m, mu, n, repeats, seed))


@friendly_errors
def compare_estimators(f, m, mu, n, repeats, seed):
    """Sample R estimates of η(μ) per estimator; plot and tabulate their variance beside the exact one."""
    return render(view(f, m, mu, n, repeats, seed))


def validate(f, m, mu, n, repeats, seed) -> tuple:
    """The endpoint's inputs checked and converted, each bad one answered with its sentence (gr.Error)."""
    f = choice(f, "f", OBJECTIVES)
    m = number(m, "m", *M_RANGE)
    if f == "gaussian" and m <= 0:
        raise Sentence("estimators", "error_gaussian_m", m=f"m = {m:g}")
    mu = number(mu, "mu", *MU_RANGE)
    n = integer(n, "n", *N_RANGE)
    repeats = integer(repeats, "repeats", *REPEATS_RANGE)
    seed = integer(seed, "seed", *SEED_RANGE)
    if n * repeats > MAX_DRAWS:
        raise Sentence(
            "estimators",
            "error_draws",
            max=f"{MAX_DRAWS:,}",
            product=f"{n:,} × {repeats:,} = {n * repeats:,}",
            fewer=f"{MAX_DRAWS // n:,}",
        )
    return f, m, mu, n, repeats, seed


def render(result: EstimatorsResult) -> tuple:
    """The endpoint's three figures and table of one experiment, in English (no computation beyond formatting)."""
    return variance_figure(result, "by_n"), variance_figure(result, "by_mu"), estimates_figure(result), table(result)


def page_view(result: EstimatorsResult, lang: str = DEFAULT_LANGUAGE) -> tuple[str, str, str, str]:
    """What the page shows, drawn from the same result as the endpoint, in `lang`: the three charts and the table."""
    return (
        variance_chart(result, "by_n", lang),
        variance_chart(result, "by_mu", lang),
        estimates_chart(result, lang),
        table_html(result, lang),
    )


def table_row_name(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The table's estimator column: the identifier (the explanations name the rows by it), after the Persian
    name on a Persian page."""
    shown = estimator_name(name, lang)
    return name if shown == name else bidi.in_direction(f"{shown} ({name})", lang)


def table(result: EstimatorsResult, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    rows = [
        [
            table_row_name(name, lang),
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
    return pd.DataFrame(rows, columns=table_headers(lang))


def table_html(result: EstimatorsResult, lang: str = DEFAULT_LANGUAGE) -> str:
    """The page's table: the API's table, its numbers to six significant digits."""
    shown = table(result, lang)
    return html_table(list(shown.columns), [[row[0], *(f"{v:.6g}" for v in row[1:])] for row in shown.values.tolist()])


def significant(value) -> float:
    """Six significant digits: enough to compare empirical with exact, short enough to read in the table."""
    return float(f"{value:.6g}")


def legend_name(name: str, exact: np.ndarray, lang: str = DEFAULT_LANGUAGE) -> str:
    # A log axis cannot show 0 (pathwise with linear f): say so in the legend rather than leave a gap unexplained.
    shown = estimator_name(name, lang)
    return t("estimators.off_log_axis", lang, name=shown) if not np.any(exact) else shown


@functools.cache
def title_templates(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The plots' titles with slots for their numbers (demos.bidi.fill); the page's drag steps fill the same. Made
    once per language (read-only)."""
    return {
        "by_n": t("estimators.title_by_n", lang, mu=f"μ = {bidi.slot('mu')}", n=f"N = {bidi.slot('n')}"),
        "by_mu": t("estimators.title_by_mu", lang, n=f"N = {bidi.slot('n')}"),
        "by_mu_exact_only": t("estimators.title_by_mu_exact_only", lang, n=f"N = {bidi.slot('n')}"),
        "estimates": t("estimators.title_estimates", lang, repeats=bidi.slot("repeats"), eta=f"η = {bidi.slot('eta')}"),
    }


def title(result: EstimatorsResult, plot: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A plot's title for this result (one of PLOTS)."""
    key = "by_mu_exact_only" if plot == "by_mu" and result.empirical_by_mu is None else plot
    numbers = {"mu": f"{result.mu:g}", "n": f"{result.n:,}", "repeats": f"{result.repeats:,}"}
    return bidi.fill(title_templates(lang)[key], {**numbers, "eta": f"{result.true_gradient:.4g}"}, lang)


def variance_curves(result: EstimatorsResult, plot: str) -> tuple:
    """The exact lines' x and values, the empirical markers' x and values (None over budget), and the marked x, of
    the plot of variance against N ("by_n") or against μ ("by_mu")."""
    if plot == "by_n":
        return result.n_line, result.exact_by_n, result.sizes, result.empirical_by_n, result.n
    return result.mu_line, result.exact_by_mu, result.mu_markers, result.empirical_by_mu, result.mu


# ---------------------------------------------------------------------------------------------------
# The public endpoint's figures (Plotly, in English, as the API has always answered)


def variance_figure(result: EstimatorsResult, plot: str) -> go.Figure:
    """Variance against N (log axes) or against μ: the exact line per estimator, the empirical markers as one trace
    (fewer traces draw faster), the marked value dotted."""
    x_line, exact, x_markers, empirical, marked = variance_curves(result, plot)
    traces = [
        {
            "type": "scatter",
            "x": x_line,
            "y": exact[name],
            "mode": "lines",
            "name": legend_name(name, exact[name]),
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
                "name": t("estimators.empirical"),
                "showlegend": False,
            }
        )
    x_axis = (
        {"title": {"text": t("estimators.axis_n")}, "type": "log"}
        if plot == "by_n"
        else {"title": {"text": t("estimators.axis_mu")}}
    )
    return figure(traces, title(result, plot), x_axis=x_axis, marked_x=marked)


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
    y_axis = {"title": {"text": t("estimators.axis_estimate")}}
    true_line = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": eta, "y1": eta, "line": {"dash": "dash"}}
    return figure(traces, title(result, "estimates"), y_axis=y_axis, shapes=[true_line], showlegend=False)


def figure(traces, title, *, x_axis=None, y_axis=None, marked_x=None, shapes=(), showlegend=True) -> go.Figure:
    """A Plotly figure: fixed height, log-variance axis unless told otherwise, optional dotted marker line.

    Built without plotly's validation: it costs ~6 ms per figure, more than the whole experiment; these specs are
    fixed in code and tests/test_estimators.py rebuilds every figure with validation on."""
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
        # No template: plotly.py's default one is ~7 kB of JSON per figure; the few styles we use follow.
        "template": {},
        "plot_bgcolor": "#f5f7fa",
        "title": {"text": title, "font": {"size": 14}},  # two short lines: a phone shows them whole
        "height": PLOT_HEIGHT,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 120 if showlegend else 40},  # the legend sits below the axis
        "xaxis": x_axis or {},
        "yaxis": y_axis or {"title": {"text": t("estimators.axis_variance")}, "type": "log"},
        "shapes": shapes,
        "showlegend": showlegend,
        # Two columns of legend entries under the axis title, whatever the width: a phone shows them unclipped.
        "legend": {
            "orientation": "h",
            "x": -0.1,
            "y": -0.32,
            "yanchor": "top",
            "entrywidth": 0.5,
            "entrywidthmode": "fraction",
            "font": {"size": 11},
        },
    }
    return go.Figure({"data": traces, "layout": layout}, _validate=False)


# ---------------------------------------------------------------------------------------------------
# The page's charts (demos/charts.py, the renderer tabs 1 and 2 share; the page draws a drag's steps with its mirror,
# demos/static/live_views.js), in the page's language

EMPIRICAL_COLOR = "gray"  # the legend's key for the empirical markers (each marker has its estimator's colour)


@functools.cache
def chart_texts(plot: str, lang: str = DEFAULT_LANGUAGE) -> dict:
    """A variance chart's axis labels (charts.chart_labels), as the server and the page's drag steps draw them; made
    once per language (read-only)."""
    x_label = t("estimators.axis_n" if plot == "by_n" else "estimators.axis_mu", lang)
    return charts.chart_labels(x_label, t("estimators.axis_variance", lang), None, lang)


def variance_chart(result: EstimatorsResult, plot: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Variance against N (log axes) or against μ (log variance), as on the page: the exact lines, the empirical
    markers, the current N or μ dotted."""
    x_line, exact, x_markers, empirical, marked = variance_curves(result, plot)
    series = [{"name": name, "x": x_line, "y": exact[name], "color": COLORS[name]} for name in ESTIMATORS]
    names = {name: estimator_name(name, lang) for name in ESTIMATORS}
    markers = (
        [
            {"name": names[name], "x": x, "y": y, "color": COLORS[name]}
            for name in ESTIMATORS
            for x, y in zip(x_markers.tolist(), empirical[name].tolist(), strict=True)
        ]
        if empirical is not None
        else []
    )
    y_range = charts.log_range(*exact.values(), *(empirical.values() if empirical is not None else ()))
    x_range = (float(x_line[0]), float(x_line[-1]))
    svg = charts.line_chart(
        series,
        x_range,
        y_range,
        chart_texts(plot, lang),
        log_x=plot == "by_n",
        log_y=True,
        markers=markers,
        marked_x=marked,
    )
    legend = [(legend_name(name, exact[name], lang), COLORS[name]) for name in ESTIMATORS]
    if empirical is not None:
        legend.append((t("estimators.empirical", lang), EMPIRICAL_COLOR, "dot"))
    return charts.chart_html(title(result, plot, lang), legend, svg, lang)


def estimates_chart(result: EstimatorsResult, lang: str = DEFAULT_LANGUAGE) -> str:
    """The R estimates per estimator as violins with their quartiles and mean, the true gradient dashed."""
    groups = []
    for name in ESTIMATORS:
        stats = charts.violin_stats(result.estimates[name])
        shown = {key: f"{stats[key]:.4g}" for key in ("mean", "median", "q1", "q3")}
        summary = t("estimators.summary", lang, name=estimator_name(name, lang), **shown)
        groups.append(
            {"name": name, "values": result.estimates[name], "color": COLORS[name], "stats": stats, "summary": summary}
        )
    labels = charts.chart_labels(
        t("estimators.column.estimator", lang), t("estimators.axis_estimate", lang), None, lang
    )
    svg = charts.violin_chart(groups, labels, level=result.true_gradient)
    legend = [(estimator_name(name, lang), COLORS[name], "area") for name in ESTIMATORS]
    return charts.chart_html(title(result, "estimates", lang), legend, svg, lang)


def homework_numbers(result: EstimatorsResult, lang: str = DEFAULT_LANGUAGE) -> str:
    """The homework panel's live box: the closed forms with the current numbers, the sign check and the cost."""
    f = f"`{result.f}`"
    settings = {"f": f"f = {f}", "m": f"m = {result.m:g}", "mu": f"μ = {result.mu:g}", "n": f"N = {result.n:,}"}
    lines = [t("estimators.homework_settings", lang, **settings)]
    if result.closed_forms is None:
        objectives = t("estimators.and", lang).join(CLOSED_FORM_OBJECTIVES)
        lines.append(t("estimators.homework_no_closed_form", lang, objectives=objectives, f=f))
    else:
        values = {"@mu": number_latex(result.mu), "@m": number_latex(result.m), "@N": f"{result.n}"}
        lines += ["", t("estimators.homework_table_header", lang), "|---|---|---|---|---|"]
        for name in ESTIMATORS:
            # At N = 1 the leave-one-out estimator has no other sample: it is the score estimator.
            template = FORMULAS[result.f]["score" if name == "score+baseline" and result.n == 1 else name]
            symbolic = substitute(template, {"@mu": r"\mu", "@m": "m", "@N": "N"})
            lines.append(
                f"| {table_row_name(name, lang)} | ${symbolic}$ | ${substitute(template, values)}$ | "
                f"{result.closed_forms[name]:.6g} | {result.exact[name]:.6g} |"
            )
    mean_score = result.estimates["score"].mean()
    sign = {"repeats": f"{result.repeats:,}", "mean": f"{mean_score:.6g}", "negative": f"{-mean_score:.6g}"}
    cost = {
        "evaluations": f"{2 * result.n:,}",
        "n": f"N = {result.n:,}",
        "measure_valued": f"{result.exact['measure-valued']:.6g}",
        "pathwise": f"{result.exact['pathwise'] / 2:.6g}",
        "score": f"{result.exact['score'] / 2:.6g}",
    }
    lines += [
        "",
        t("estimators.homework_sign", lang, eta=f"η = {result.true_gradient:.6g}", **sign),
        "",
        t("estimators.homework_cost", lang, **cost),
    ]
    return "\n".join(lines)


def number_latex(value: float) -> str:
    """A number to put in place of a symbol in a formula: negative numbers in parentheses, so powers stay right."""
    return f"({value:g})" if value < 0 else f"{value:g}"


def substitute(template: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():  # @mu before @m, which is a prefix of it
        template = template.replace(placeholder, value)
    return template


PLOTS = ("by_n", "by_mu", "estimates")  # the tab's plots, also the suffixes of their elem_ids
VIEW_IDS = (*(f"estimators-{plot}" for plot in PLOTS), "estimators-table")  # page_view's blocks, in its order


@friendly_errors
def update_view(f, m, mu, n, repeats, seed, homework_open=True, drawn=False, request: gr.Request = None):
    """The tab's own update, in the language of the page that sent `request`: the three charts and the table
    (page_view), and the homework numbers while their panel is open.

    Slider drags do not come here at all (`drag_step`, demos/live_drag.py); right after one (`drawn`), the page shows
    the final view already and only the homework numbers (KaTeX) are sent."""
    if drawn is True and not homework_open:  # the drag's steps validated and drew all there is: nothing to compute
        return (gr.skip(),) * (len(VIEW_IDS) + 1)
    lang = request_language(request)
    result = view(f, m, mu, n, repeats, seed)
    numbers = homework_numbers(result, lang) if homework_open else gr.skip()  # closed: its KaTeX pass is saved
    if drawn is True:
        return (*(gr.skip(),) * len(VIEW_IDS), numbers)
    return (*map(live_drag.fresh, page_view(result, lang)), numbers)


def drag_step(values: dict, request: gr.Request = None) -> dict:
    """The final view of a slider drag (demos/live_drag.py; the page drew the steps itself): every chart, the
    table, and N (from the log₁₀ N slider when that one moved)."""
    lang = request_language(request)
    n = n_from_log_slider(values.get("log_n")) if values.get("moved") == "log_n" else values.get("n")
    result = view(values.get("f"), values.get("m"), values.get("mu"), n, values.get("repeats"), values.get("seed"))
    return {"html": dict(zip(VIEW_IDS, page_view(result, lang), strict=True)), "values": {"estimators-n": n}}


def live_config() -> dict:
    """What the page needs to compute and draw a drag step itself (demos/static/live_math.js, live_views.js), from
    the one source: the validators' ranges, the model's grids and quadrature rules, the colours, and the texts in
    every language."""
    return {
        "m_range": M_RANGE,
        "mu_range": MU_RANGE,
        "n_range": N_RANGE,
        "repeats_range": REPEATS_RANGE,
        "seed_range": SEED_RANGE,
        "max_draws": MAX_DRAWS,
        "n_markers": list(model.N_MARKERS),
        "n_line": model.N_LINE.tolist(),
        "mu_line": model.MU_LINE.tolist(),
        "mu_markers": model.MU_MARKERS.tolist(),
        "mu_marker_budget": model.MU_MARKER_BUDGET,
        "quadrature": {
            "normal_nodes": model.NORMAL_NODES.tolist(),
            "normal_weights": model.NORMAL_WEIGHTS.tolist(),
            "rayleigh_nodes": model.RAYLEIGH_NODES.tolist(),
            "rayleigh_weights": model.RAYLEIGH_WEIGHTS.tolist(),
        },
        "colors": COLORS,
        "empirical_color": EMPIRICAL_COLOR,
        "svg": charts.GEOMETRY,
        "texts": {lang: live_texts(lang) for lang in LANGUAGES},
    }


def live_texts(lang: str) -> dict:
    """The variance charts' texts in `lang` as variance_chart writes them."""
    return {
        "rtl": bidi.is_rtl(lang),
        "titles": title_templates(lang),
        "names": {name: estimator_name(name, lang) for name in ESTIMATORS},
        "off_log_axis": {name: legend_name(name, np.zeros(1), lang) for name in ESTIMATORS},
        "empirical": t("estimators.empirical", lang),
        "labels": {plot: chart_texts(plot, lang) for plot in ("by_n", "by_mu")},
    }


@friendly_errors
def update_view_from_log_slider(
    f, m, mu, log_n, repeats, seed, homework_open=True, drawn=False, request: gr.Request = None
):
    """Moving log₁₀ N: N and the view in one request."""
    n = n_from_log_slider(log_n)
    return n, *update_view(f, m, mu, n, repeats, seed, homework_open, drawn, request=request)


@friendly_errors
def update_view_from_box(f, m, mu, n, repeats, seed, homework_open=True, request: gr.Request = None):
    """Typing N: the view, and the log slider moved to match, in one request."""
    return log_slider_from_n(n), *update_view(f, m, mu, n, repeats, seed, homework_open, request=request)


@friendly_errors
def show_homework_numbers(f, m, mu, n, repeats, seed, request: gr.Request = None):
    """Opening the homework panel: mark it open and fill its numbers for the current settings."""
    return True, homework_numbers(view(f, m, mu, n, repeats, seed), request_language(request))


def apply_preset(name: str, homework_open=True, request: gr.Request = None) -> tuple:
    """A case's control values (the log₁₀ N slider with N), then the view they give, in one request: a preset
    sets the controls without an input event. The homework numbers are sent only while their panel is open."""
    case = PRESETS[name]
    controls = (case["f"], case["m"], case["mu"], math.log10(case["n"]), case["n"], case["repeats"], case["seed"])
    return (*controls, *update_view(**case, homework_open=homework_open, request=request))


def show_answer(question: str, request: gr.Request = None) -> tuple:
    """ "Show answer": reveal the answer, set the controls to its case, and show that case (one request)."""
    return (gr.update(visible=True), *apply_preset(QUESTIONS[question], True, request))


def answer_button(question: str):
    """The click event of a "Show answer" button: show_answer for its question, with the request. (A
    functools.partial would hide the request's type hint from Gradio, which then passes no request.)"""

    def click(request: gr.Request = None):
        return show_answer(question, request)

    return click


def case_button(name: str):
    """The click event of a "Cases to show" button: apply_preset for its case, whether the homework panel is open,
    and the request."""

    def click(homework_open=True, request: gr.Request = None):
        return apply_preset(name, homework_open, request)

    return click


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


# ---------------------------------------------------------------------------------------------------
# UI: one builder per part of the page, in page order, each laying out its blocks (drawn from the tab's defaults)
# and returning them; then the `wire_` functions, which join them to the views above, and the hidden endpoint.

# The page's own events. Raw payloads (preprocess=False), so that NaN, strings or None reach our validators and get
# their sentence (Gradio's own Number preprocessing would fail on them without one). always_last: while a request
# runs, only the newest value waits. Pointer drags of the sliders go through live_drag instead (one event at
# mouse-up).
LIVE_EVENT = {
    "api_visibility": "private",
    "preprocess": False,
    "show_progress": "hidden",
    "trigger_mode": "always_last",
}


class Controls(NamedTuple):
    f: gr.Dropdown
    m: gr.Slider
    mu: gr.Slider
    log_n: gr.Slider
    repeats: gr.Slider
    n: gr.Number
    seed: gr.Number

    @property
    def inputs(self) -> list:
        """The endpoint's parameters, in its order (f, m, mu, n, repeats, seed)."""
        return [self.f, self.m, self.mu, self.n, self.repeats, self.seed]

    @property
    def shown(self) -> list:
        """What a case sets, in apply_preset's order (the log₁₀ N slider with N)."""
        return [self.f, self.m, self.mu, self.log_n, self.n, self.repeats, self.seed]


class Homework(NamedTuple):
    panel: gr.Accordion
    reveals: dict[str, gr.Button]  # question key → its "Show answer" button
    answers: dict[str, gr.Markdown]
    numbers: gr.Markdown  # the live box: closed forms, sign check and cost at the current settings


def build_controls() -> Controls:
    """The column of controls, each with the elem_id the live drag and the links read it by."""
    with gr.Column(scale=1, min_width=300):
        f = gr.Dropdown(list(OBJECTIVES), value=DEFAULTS["f"], label="test function f", elem_id="estimators-f")
        m = gr.Slider(
            *M_RANGE, value=DEFAULTS["m"], step=0.05, label="scale m (gaussian needs m > 0)", elem_id="estimators-m"
        )
        mu = gr.Slider(*MU_RANGE, value=DEFAULTS["mu"], step=0.05, label="μ", elem_id="estimators-mu")
        log_n = gr.Slider(
            0, 4, value=math.log10(DEFAULTS["n"]), step=0.05, label="log₁₀ N (drag)", elem_id="estimators-log_n"
        )
        repeats = gr.Slider(
            *REPEATS_RANGE,
            value=DEFAULTS["repeats"],
            step=1,
            label=f"repeats R (independent estimates; N × R ≤ {MAX_DRAWS:,})",
            elem_id="estimators-repeats",
        )
        with gr.Row():
            n = gr.Number(
                value=DEFAULTS["n"], precision=0, label="N (1 … 10,000)", min_width=120, elem_id="estimators-n"
            )
            seed = gr.Number(
                value=DEFAULTS["seed"], precision=0, label="seed", min_width=120, elem_id="estimators-seed"
            )
    return Controls(f, m, mu, log_n, repeats, n, seed)


def page_chart(plot: str, shown: str) -> gr.HTML:
    """One of PLOTS as its page_view block, drawn at the defaults; the events and drags redraw it by its elem_id. In
    a column at least 300 px wide, so that a phone stacks the charts (gr.HTML's own min_width does not reach the
    page)."""
    with gr.Column(min_width=300):
        return gr.HTML(shown, js_on_load=None, elem_id=f"estimators-{plot}")


def build_controls_and_charts(first: EstimatorsResult) -> tuple[Controls, list[gr.HTML]]:
    """Controls beside the chart they drive (stacked above it on a phone), the other charts below; returns the
    controls and page_view's blocks (the charts and the table)."""
    by_n, by_mu, estimates, table = page_view(first)
    with gr.Row(equal_height=False):
        controls = build_controls()
        with gr.Column(scale=2, min_width=300):
            by_n = page_chart("by_n", by_n)
            gr.Markdown(
                "at the current settings (exact variance: closed form or quadrature)", elem_classes="gml-caption"
            )
            table = gr.HTML(table, js_on_load=None, elem_id="estimators-table")
    with gr.Row():
        by_mu = page_chart("by_mu", by_mu)
        estimates = page_chart("estimates", estimates)
    return controls, [by_n, by_mu, estimates, table]


def build_cases() -> dict[str, gr.Button]:
    """Beside the plots, not inside the homework panel: a lecturer shows a case with one click, panel closed."""
    gr.Markdown("**Cases to show**")
    with gr.Row():
        return {name: gr.Button(name, size="sm", min_width=200) for name in PRESETS}


def build_homework(first: EstimatorsResult) -> Homework:
    """The homework questions, each with its hidden answer, and the live numbers below them."""
    with gr.Accordion("Homework questions (predict first, then reveal)", open=False) as panel:
        reveals, answers = {}, {}
        for key in QUESTIONS:
            markdown("estimators", "homework", f"{key}_question")
            reveals[key] = gr.Button("Show answer", size="sm")
            answers[key] = markdown("estimators", "homework", f"{key}_answer", visible=False)
        numbers = gr.Markdown(
            homework_numbers(first), latex_delimiters=LATEX_DELIMITERS, elem_id="estimators-homework-numbers"
        )
    return Homework(panel, reveals, answers, numbers)


def wire_controls(controls: Controls, blocks: list[gr.HTML], homework: Homework) -> tuple[list, gr.Checkbox]:
    """The page's own events: every control redraws the view (update_view and its kin; slider drags through
    live_drag), and opening the homework panel fills its numbers. Returns the views (page_view's blocks and the
    homework numbers) and the hidden flag that says whether the panel is open."""
    c = controls
    views = [*blocks, homework.numbers]
    homework_open = gr.Checkbox(False, visible=False)
    controls_and_panel = [*c.inputs, homework_open]
    drawn = live_drag.drawn_flag()
    gr.on([c.f.input, c.seed.input], update_view, controls_and_panel, views, **LIVE_EVENT)
    c.n.input(update_view_from_box, controls_and_panel, [c.log_n, *views], **LIVE_EVENT)
    homework.panel.expand(show_homework_numbers, c.inputs, [homework_open, homework.numbers], **LIVE_EVENT)
    homework.panel.collapse(None, None, homework_open, js="() => false")
    for slider in (c.m, c.mu, c.repeats):
        slider.input(update_view, [*controls_and_panel, drawn], views, js=live_drag.AFTER_DRAG_JS, **LIVE_EVENT)
    log_inputs = [c.f, c.m, c.mu, c.log_n, c.repeats, c.seed, homework_open, drawn]
    c.log_n.input(update_view_from_log_slider, log_inputs, [c.n, *views], js=live_drag.AFTER_DRAG_JS, **LIVE_EVENT)
    live_drag.attach(
        drag_step,
        "estimators",
        live_config(),
        {"m": c.m, "mu": c.mu, "log_n": c.log_n, "repeats": c.repeats},
        numbers={"n": c.n, "seed": c.seed},
        texts={"f": c.f},
        filled=[c.n],
        event_if_shown=[homework.numbers],
    )
    return views, homework_open


def wire_cases_and_answers(
    controls: Controls, cases: dict[str, gr.Button], homework: Homework, views: list, homework_open: gr.Checkbox
) -> None:
    """ "Show answer" and "Cases to show": set the controls to a case and show its view, in one request."""
    for key, button in homework.reveals.items():
        button.click(answer_button(key), None, [homework.answers[key], *controls.shown, *views], **LIVE_EVENT)
    for name, button in cases.items():
        button.click(case_button(name), homework_open, [*controls.shown, *views], **LIVE_EVENT)


def build_api(controls: Controls) -> None:
    """The public endpoint /estimators: the same figures and table as the tab shows, as Plotly figures and a
    table. It hangs on a hidden button with hidden outputs: the tab's own events send JSON to the browser."""
    api = gr.Button(visible=False)
    api_plots = [gr.Plot(visible=False, label=label) for label in ("variance vs N", "variance vs μ", "estimates")]
    api.click(
        compare_estimators,
        controls.inputs,
        [*api_plots, gr.Dataframe(visible=False, headers=TABLE_HEADERS, label="at the current settings")],
        api_name="estimators",
        api_visibility="public",
        preprocess=False,
        show_progress="hidden",
    )


def build() -> None:
    """The tab in page order: controls and plots, cases, homework, explanation; then its events and endpoint."""
    first = view(**DEFAULTS)  # the page opens with results, no request needed
    controls, blocks = build_controls_and_charts(first)
    cases = build_cases()
    homework = build_homework(first)
    with gr.Accordion("How the estimators work", open=False):
        markdown("estimators", "explanation")
    views, homework_open = wire_controls(controls, blocks, homework)
    wire_cases_and_answers(controls, cases, homework, views, homework_open)
    build_api(controls)


BENCH_CASES = [
    BenchCase("/estimators (defaults)", "/estimators", compare_estimators, DEFAULTS, "number->plot+table"),
    BenchCase(
        "/estimators (N = 10,000)", "/estimators", compare_estimators, {**DEFAULTS, "n": 10_000}, "number->plot+table"
    ),
]

TAB = TabSpec(
    name="estimators",
    build=build,
    endpoints={"estimators": ("f", "m", "mu", "n", "repeats", "seed")},
    bench_cases=tuple(BENCH_CASES),
    presets=PRESETS,
)
