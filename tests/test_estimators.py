"""Gradient estimators: unbiasedness, exact variances (against independent integration and against sampling), API.

Statistical tests use fixed seeds, so they are deterministic; their tolerances are what a correct implementation
would pass with probability ≈ 1 − 1e-4 per check, so a failure means a wrong formula, not bad luck.
"""

import base64
import inspect
import json
import math
import re

import gradio as gr
import numpy as np
import pandas as pd
import pytest
from gradio_client.exceptions import AppError
from numpy.polynomial.hermite_e import hermegauss
from scipy import integrate, stats

from demos import bidi, tab_sections, tab_text
from demos import estimators as tab
from demos.language import t
from models.estimators import (
    ESTIMATORS,
    OBJECTIVES,
    exact_variances,
    per_sample_moments,
    prefix_sums,
    sample_estimates,
    true_gradient,
)
from tests import chart_reading
from tests.retired_phrases import RETIRED

SCALES = {"linear": 1.5, "square": 1.0, "gaussian": 0.7, "cosine": 2.0}
MUS = (-2.5, 0.3, 1.7)
SIZES = (1, 2, 50)  # one draw serves all three: no baseline yet, the smallest U-statistic, nearly Gaussian
REPEATS = 4000
TAIL = 1e-4  # two-sided tail probability of each statistical check


# Adaptive quadrature (independent of the trapezoidal grids in models/) to a relative 1e-11; the absolute 1e-300
# only lets an identically zero integrand (pathwise with linear f) finish. Breakpoints at the peaks of f and of
# the density keep narrow bumps from being stepped over; beyond 14 standard deviations nothing is left.
QUAD = {"epsabs": 1e-300, "epsrel": 1e-11, "limit": 500}


def normal_expectation(g, mu):
    """E g(z), z ~ N(μ, 1)."""
    density = lambda z: math.exp(-((z - mu) ** 2) / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return integrate.quad(lambda z: g(z) * density(z), mu - 14, mu + 14, points=sorted({0.0, mu}), **QUAD)[0]


def rayleigh_expectation(g):
    """E g(W), W ~ Rayleigh(1), density w·exp(−w²/2) on w > 0."""
    return integrate.quad(lambda w: g(w) * w * math.exp(-w * w / 2), 0, 14, points=[1, 2, 3, 4, 5], **QUAD)[0]


@pytest.fixture(scope="module")
def draws():
    """{(f, μ): estimates at SIZES}, one fixed-seed draw per pair."""
    return {
        (f, mu): sample_estimates(f, SCALES[f], mu, SIZES, REPEATS, np.random.default_rng([f_index, mu_index]))
        for f_index, f in enumerate(OBJECTIVES)
        for mu_index, mu in enumerate(MUS)
    }


# --- Closed forms ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("f", OBJECTIVES)
@pytest.mark.parametrize("mu", MUS)
def test_true_gradient_is_the_derivative_of_the_expectation(f, mu):
    objective, m, h = OBJECTIVES[f], SCALES[f], 1e-4
    expectation = lambda at: normal_expectation(lambda z: objective.value(np.float64(z), m), at)  # noqa: E731
    central_difference = (expectation(mu + h) - expectation(mu - h)) / (2 * h)  # error O(h²) ≈ 1e-8
    assert true_gradient(f, m, mu) == pytest.approx(central_difference, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("f", OBJECTIVES)
def test_derivative_matches_finite_differences(f):
    objective, m, h = OBJECTIVES[f], SCALES[f], 1e-5
    z = np.linspace(-3, 3, 13)
    central_difference = (objective.value(z + h, m) - objective.value(z - h, m)) / (2 * h)
    np.testing.assert_allclose(objective.derivative(z, m), central_difference, rtol=1e-8, atol=1e-8)


def test_gaussian_needs_positive_scale():
    with pytest.raises(ValueError, match="m > 0"):
        exact_variances("gaussian", 0.0, 0.5, 10)
    with pytest.raises(ValueError, match="m > 0"):
        sample_estimates("gaussian", -1.0, 0.5, [10], 2, np.random.default_rng(0))


# --- Exact variances against independent integration -------------------------------------------------------------


@pytest.mark.parametrize("f", OBJECTIVES)
@pytest.mark.parametrize(("m", "mu"), [(0.3, -4.0), (1.0, 0.0), (1.0, 0.7), (3.0, -1.2), (3.0, 4.0)])
def test_per_sample_variances_match_scipy_quad(f, m, mu):
    objective = OBJECTIVES[f]
    value = lambda z: objective.value(np.float64(z), m)  # noqa: E731
    eta = float(true_gradient(f, m, mu))
    mean_f = normal_expectation(value, mu)
    # b* = E[f s²] / E[s²], s = z − μ: the constant baseline that minimises the score estimator's variance.
    optimal = normal_expectation(lambda z: value(z) * (z - mu) ** 2, mu) / normal_expectation(
        lambda z: (z - mu) ** 2, mu
    )
    expected = {
        "pathwise": normal_expectation(lambda z: (objective.derivative(np.float64(z), m) - eta) ** 2, mu),
        "score": normal_expectation(lambda z: (value(z) * (z - mu) - eta) ** 2, mu),
        "centred_score": normal_expectation(lambda z: ((value(z) - mean_f) * (z - mu) - eta) ** 2, mu),
        "optimal_baseline": optimal,
        "optimal_score": normal_expectation(lambda z: ((value(z) - optimal) * (z - mu) - eta) ** 2, mu),
        "baseline_price": normal_expectation(lambda z: (value(z) - mean_f) ** 2, mu) + eta**2,
        "measure_valued": rayleigh_expectation(
            lambda w: ((value(mu + w) - value(mu - w)) / math.sqrt(2 * math.pi) - eta) ** 2
        ),
    }
    moments = per_sample_moments(f, m, mu)
    for field, reference in expected.items():
        # b* is 0 where f is even about μ (cosine at μ = 0); there only an absolute tolerance makes sense.
        absolute = 1e-12 if field == "optimal_baseline" else 1e-300
        assert float(getattr(moments, field)) == pytest.approx(reference, rel=1e-8, abs=absolute), field


def test_square_matches_the_closed_forms():
    m, mu, n = 1.3, np.linspace(-4, 4, 9), 7
    exact = exact_variances("square", m, mu, n)
    np.testing.assert_allclose(exact["pathwise"], 4 * m**4 / n, rtol=1e-12)
    np.testing.assert_allclose(exact["score"], m**4 * (mu**4 + 14 * mu**2 + 15) / n, rtol=1e-12)
    # (f(μ+W) − f(μ−W))/√(2π) = 4m²μW/√(2π), and E W² = 2 for Rayleigh(1).
    np.testing.assert_allclose(exact["measure-valued"], 4 * m**4 * mu**2 * (4 / math.pi - 1) / n, atol=1e-12)


def test_optimal_baseline_closed_forms():
    """b* and Var[(f − b*)(z − μ)] for the homework's two functions (derived by hand, checked with sympy)."""
    m, mu, n = 1.3, np.linspace(-4, 4, 9), 7
    linear = per_sample_moments("linear", m, mu)
    np.testing.assert_allclose(linear.optimal_baseline, m * mu, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(exact_variances("linear", m, mu, n)["score+optimal baseline"], 2 * m**2 / n, rtol=1e-12)
    square = per_sample_moments("square", m, mu)
    np.testing.assert_allclose(square.optimal_baseline, m**2 * (mu**2 + 3), rtol=1e-12)  # E f is m²(μ² + 1)
    np.testing.assert_allclose(
        exact_variances("square", m, mu, n)["score+optimal baseline"], 2 * m**4 * (4 * mu**2 + 3) / n, rtol=1e-12
    )


GRID_SCALES = (-3.0, -1.0, 0.05, 0.5, 1.0, 2.0, 3.0)
GRID_SIZES = np.array([1, 2, 3, 5, 10, 100, 10_000])


@pytest.mark.parametrize("f", OBJECTIVES)
def test_optimal_baseline_never_loses_to_score_or_mean_baseline(f):
    mu = np.linspace(-4, 4, 33)[:, None]
    for m in GRID_SCALES:
        if f == "gaussian" and m <= 0:
            continue
        exact = exact_variances(f, m, mu, GRID_SIZES)
        optimal = exact["score+optimal baseline"]
        slack = 1e-12 * exact["score"]  # rounding of the quadrature sums
        assert np.all(optimal <= exact["score"] + slack), m
        assert np.all(optimal <= exact["score+baseline"] + slack), m


def test_mean_baseline_can_raise_the_variance():
    """The numbers the tab's text states: cosine at m = 1, μ = 0, and linear at N = 2."""
    sizes = np.array([2, 3, 10, 100, 1_000, 10_000, 10**8])
    cosine = exact_variances("cosine", 1.0, 0.0, sizes)
    ratio = cosine["score+baseline"] / cosine["score"]
    assert np.all(ratio > 2.2) and np.all(np.diff(ratio) < 0)
    assert ratio[0] == pytest.approx(2.91, abs=0.005) and ratio[-1] == pytest.approx(2.24, abs=0.005)
    m, mu = 1.7, np.array([0.0, 1.0, 1.41, 1.42, 3.0])
    linear = exact_variances("linear", m, mu, 2)
    np.testing.assert_allclose(linear["score+baseline"], 2 * m**2, rtol=1e-12)
    np.testing.assert_allclose(linear["score"], m**2 * (mu**2 + 2) / 2, rtol=1e-12)
    assert list(linear["score+baseline"] > linear["score"]) == list(np.abs(mu) < math.sqrt(2))


@pytest.mark.parametrize("f", ["linear", "square"])
def test_homework_closed_forms_match_quadrature(f):
    from models.estimators import closed_form_variances

    for m in (-2.5, 0.4, 1.0, 3.0):
        for mu in (-4.0, -1.3, 0.0, 2.2):
            for n in (1, 2, 3, 10, 10_000):
                exact = exact_variances(f, m, mu, n)
                for name, value in closed_form_variances(f, m, mu, n).items():
                    assert value == pytest.approx(float(exact[name]), rel=1e-10, abs=1e-12 * m**4), (m, mu, n, name)


def tensor_hermite(dimensions: int, nodes: int):
    """Gauss–Hermite nodes and weights for E over N(0, I_d), d small: an integration rule unrelated to models/."""
    x, w = hermegauss(nodes)
    grids = np.meshgrid(*[x] * dimensions, indexing="ij")
    weights = np.prod(np.meshgrid(*[w / w.sum()] * dimensions, indexing="ij"), axis=0)
    return [grid.ravel() for grid in grids], weights.ravel()


@pytest.mark.parametrize(("f", "m", "mu"), [("square", 1.0, 0.8), ("cosine", 1.0, -0.6), ("linear", 2.0, 1.5)])
@pytest.mark.parametrize("n", [2, 3])
def test_baseline_variance_matches_direct_n_dimensional_integration(f, m, mu, n):
    """The U-statistic formula against Var of the estimator itself, integrated over all N samples at once."""
    (*eps,), weights = tensor_hermite(n, 40 if n == 3 else 80)  # exact for polynomials, ~1e-15 for cos(z)
    f_values = np.stack([OBJECTIVES[f].value(mu + e, m) for e in eps])
    scores = np.stack(eps)
    others_mean = (f_values.sum(axis=0) - f_values) / (n - 1)  # leave-one-out baseline b_i
    estimator = ((f_values - others_mean) * scores).mean(axis=0)
    eta = float(true_gradient(f, m, mu))
    assert weights @ estimator == pytest.approx(eta, rel=1e-10, abs=1e-12)
    direct_variance = weights @ (estimator - eta) ** 2
    assert float(exact_variances(f, m, mu, n)["score+baseline"]) == pytest.approx(direct_variance, rel=1e-8)


def test_baseline_at_one_sample_is_the_score_estimator():
    estimates = sample_estimates("cosine", 1.0, 0.4, [1], 50, np.random.default_rng(3))
    np.testing.assert_array_equal(estimates["score+baseline"], estimates["score"])
    exact = exact_variances("cosine", 1.0, 0.4, 1)
    assert exact["score+baseline"] == exact["score"]


def test_prefix_sums_are_the_running_sums_at_each_size():
    terms = np.random.default_rng(5).standard_normal((3, 7, 1000))
    sizes = np.array([1, 2, 3, 10, 999, 1000])
    np.testing.assert_allclose(prefix_sums(terms, sizes), np.cumsum(terms, axis=-1)[..., sizes - 1], atol=1e-10)
    np.testing.assert_allclose(
        prefix_sums(terms, np.array([40])), terms[..., :40].sum(axis=-1, keepdims=True), atol=1e-12
    )
    for bad in ([2, 2, 5], [5, 2], [0, 3]):
        with pytest.raises(ValueError, match="strictly increasing"):
            prefix_sums(terms, np.array(bad))


def test_linear_pathwise_has_zero_variance():
    estimates = sample_estimates("linear", 1.5, 0.4, [1, 10, 100], 20, np.random.default_rng(4))["pathwise"]
    np.testing.assert_allclose(estimates, 1.5, rtol=1e-14)
    assert np.all(exact_variances("linear", 1.5, np.linspace(-4, 4, 5), 10)["pathwise"] == 0)


# --- Sampling against the exact values ---------------------------------------------------------------------------


@pytest.mark.parametrize("f", OBJECTIVES)
@pytest.mark.parametrize("mu", MUS)
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_estimates_are_unbiased(draws, f, mu, estimator):
    """The mean of R estimates lies within 4 standard errors, √(exact variance / R), of the true gradient."""
    estimates = draws[f, mu][estimator]
    eta = float(true_gradient(f, SCALES[f], mu))
    standard_error = np.sqrt(exact_variances(f, SCALES[f], mu, np.array(SIZES))[estimator] / REPEATS)
    deviation = np.abs(estimates.mean(axis=0) - eta)
    assert np.all(deviation <= 4 * standard_error + 1e-12 * abs(eta)), (deviation, standard_error)


def sample_variance_interval(estimates: np.ndarray, tail: float) -> tuple[float, float]:
    """Where S²/σ² falls with probability 1 − tail: scaled chi-square with kurtosis-corrected degrees of freedom.

    For R Gaussian estimates (R − 1)S²/σ² ~ χ²(R − 1). The estimates are not Gaussian (f(z)(z − μ) is heavy-tailed
    for small N), and then Var(S²/σ²) = 2/(R − 1) + κ/R with κ their excess kurtosis. Matching that variance with
    χ²(d)/d (Satterthwaite) gives d = 2/(2/(R − 1) + κ/R), which is R − 1 again when κ = 0; κ is estimated from
    the sample.
    """
    repeats = len(estimates)
    centred = estimates - estimates.mean()
    kurtosis = np.mean(centred**4) / np.mean(centred**2) ** 2 - 3
    relative_variance = max(2 / (repeats - 1) + kurtosis / repeats, 2 / (repeats - 1))
    dof = 2 / relative_variance
    return stats.chi2.ppf(tail / 2, dof) / dof, stats.chi2.ppf(1 - tail / 2, dof) / dof


@pytest.mark.parametrize("f", OBJECTIVES)
@pytest.mark.parametrize("mu", MUS)
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_empirical_variance_matches_exact(draws, f, mu, estimator):
    estimates = draws[f, mu][estimator]
    exact = exact_variances(f, SCALES[f], mu, np.array(SIZES))[estimator]
    for column, size in enumerate(SIZES):
        empirical = estimates[:, column].var(ddof=1)
        if exact[column] == 0:  # linear pathwise: every estimate is exactly m
            assert empirical == 0
            continue
        low, high = sample_variance_interval(estimates[:, column], TAIL)
        assert low <= empirical / exact[column] <= high, (size, empirical, exact[column], low, high)


# --- The tab's endpoint ------------------------------------------------------------------------------------------


@pytest.mark.slow  # launches the app
def test_endpoint_returns_figures_and_the_table(client):
    kwargs = {"f": "cosine", "m": 1.5, "mu": -0.5, "n": 20, "repeats": 300, "seed": 7}
    by_n, by_mu, spread, table = client.predict(**kwargs, api_name="/estimators")
    assert table["headers"] == ["estimator", "mean", "true_gradient", "empirical_variance", "exact_variance"]
    assert [row[0] for row in table["data"]] == list(ESTIMATORS)
    assert "score+optimal baseline" in ESTIMATORS  # the oracle row, under its documented name
    exact = exact_variances("cosine", 1.5, -0.5, 20)
    for name, mean, eta, empirical, exact_variance in table["data"]:  # shown to six significant digits
        assert eta == pytest.approx(float(true_gradient("cosine", 1.5, -0.5)), rel=1e-5)
        assert exact_variance == pytest.approx(float(exact[name]), rel=1e-5)
        assert abs(mean - eta) <= 4 * math.sqrt(exact_variance / 300)
        assert np.isfinite(empirical)
    for plot in (by_n, by_mu, spread):
        assert plot["type"] == "plotly"
    # The same seed gives the same numbers.
    assert client.predict(**kwargs, api_name="/estimators")[3] == table


BAD_INPUTS = [
    ({"f": "quartic"}, "f must be one of"),
    ({"m": math.nan}, "m must be a finite number"),
    ({"mu": -math.inf}, "mu must be a finite number"),
    ({"m": "abc"}, "m must be a number"),
    ({"f": "gaussian", "m": 0.0}, "needs m > 0"),
    ({"mu": 4.5}, "mu must be in"),
    ({"n": 0}, "n must be in"),
    ({"n": None}, "n must be a number"),
    ({"n": 2.5}, "n must be a whole number"),
    ({"repeats": 1}, "repeats must be in"),
    ({"seed": -1}, "seed must be in"),
    ({"n": 10_000, "repeats": 101}, "n × repeats must be at most 1,000,000"),
]


@pytest.mark.parametrize(("change", "phrase"), BAD_INPUTS)
def test_bad_input_gets_a_sentence(change, phrase):
    with pytest.raises(gr.Error, match=re.escape(phrase)):
        tab.compare_estimators(**{**tab.DEFAULTS, **change})


@pytest.mark.slow  # launches the app
@pytest.mark.parametrize(
    ("change", "phrase"),
    # gradio_client cannot send NaN or infinity (not JSON); tests/test_hostile_inputs.py sends those over raw HTTP.
    [
        (change, phrase)
        for change, phrase in BAD_INPUTS
        if all(not isinstance(v, float) or math.isfinite(v) for v in change.values())
    ],
)
def test_endpoint_answers_bad_input_with_the_sentence(client, change, phrase):
    with pytest.raises(AppError, match=re.escape(phrase)):
        client.predict(**{**tab.DEFAULTS, **change}, api_name="/estimators")


def test_log_slider_reaches_both_ends_of_n():
    assert tab.n_from_log_slider(0) == 1
    assert tab.n_from_log_slider(1) == 10
    assert tab.n_from_log_slider(4) == 10_000


def test_figures_are_valid_plotly_specs():
    """The tab builds its figures without plotly's validation (speed); rebuilding them with it must pass."""
    import plotly.graph_objects as go

    for kwargs in (tab.DEFAULTS, {**tab.DEFAULTS, "f": "linear", "n": 1}, {**tab.DEFAULTS, "n": 10_000}):
        for figure in tab.compare_estimators(**kwargs)[:3]:
            go.Figure(figure.to_dict())  # raises on any invalid property


def sent(update) -> tuple[dict, object, object]:
    """A tab update as the browser gets it: ({plot name: chart HTML}, table, homework numbers); each chart and the
    table without the comment that makes each answer unlike the last (demos.live_drag.fresh)."""
    *charts, shown_table, numbers = update
    charts = {name: unfresh(chart) for name, chart in zip(tab.PLOTS, charts, strict=True)}
    return charts, page_table(unfresh(shown_table)), numbers


def unfresh(html: str) -> str:
    return re.sub(r"<!-- \d+ -->$", "", html)


def _shown_rows(html: str) -> list[list[str]]:
    """The body rows of an HTML table, as the cells' texts."""
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]
    return [row for row in rows if row]


def page_table(html: str) -> pd.DataFrame:
    """The page's HTML table read back as the API's table (numbers as shown: six significant digits)."""
    rows = [[row[0], *map(float, row[1:])] for row in _shown_rows(html)]
    return pd.DataFrame(rows, columns=re.findall(r"<th[^>]*>([^<]*)</th>", html))


def as_dict(figure) -> dict:
    return json.loads(figure.to_json())


def decoded(array) -> np.ndarray:
    """An array of a figure's JSON: plotly sends NumPy arrays as base64 typed arrays."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)


@pytest.mark.parametrize("lang", ["en", "fa"])
@pytest.mark.parametrize(
    "case",
    [
        tab.DEFAULTS,
        {**tab.DEFAULTS, "f": "linear", "mu": 4.0},
        {**tab.DEFAULTS, "f": "cosine", "n": 316, "repeats": 100},
    ],
)
def test_the_pages_charts_draw_the_apis_curves_and_markers(case, lang):
    """Each exact line of the page's variance charts passes through the API figure's points, read back through the
    chart's own tick labels (to the drawing's 0.1-unit rounding); a line that is 0 (linear f: pathwise) is not
    drawn and the legend says why; each dot is an API marker. The estimates chart has one violin per estimator."""
    result = tab.view(**case)
    by_n, by_mu, estimates, _ = tab.page_view(result, lang)
    for chart, figure in [(by_n, tab.variance_figure(result, "by_n")), (by_mu, tab.variance_figure(result, "by_mu"))]:
        read = chart_reading.y_reader(chart, log=True)
        for trace, name in zip(figure.data[: len(ESTIMATORS)], ESTIMATORS, strict=True):
            points = chart_reading.polyline(chart, name)
            y = np.asarray(trace.y, dtype=float)
            if not np.any(y):
                assert points.size == 0 and "0" in chart_reading.legend(chart)[ESTIMATORS.index(name)]
                continue
            assert len(points) == np.sum(y > 0)
            # in log10, within 0.2 SVG unit of the 200-unit axis (points and ticks are each rounded to 0.1 unit)
            span = np.log10(read(6.0) / read(206.0))
            np.testing.assert_allclose(np.log10(read(points[:, 1])), np.log10(y[y > 0]), atol=0.2 / 200 * span)
        markers = figure.data[len(ESTIMATORS) :]
        shown = chart_reading.dots(chart)
        if markers:
            expected = [v for v in np.asarray(markers[0].y, dtype=float) if v > 0]
            assert [value for _, value in shown] == pytest.approx([float(f"{v:.6g}") for v in expected], rel=1e-9)
        else:
            assert shown == []
    assert [group for group in re.findall(r'<g data-name="([^"]+)">', estimates)] == list(ESTIMATORS)


def test_the_page_and_each_drag_step_show_the_api_figures_and_table():
    public = tab.compare_estimators(**tab.DEFAULTS)  # what API callers get
    charts, shown_table, full_numbers = sent(tab.update_view(**tab.DEFAULTS))
    assert list(charts.values()) == list(tab.page_view(tab.view(**tab.DEFAULTS))[:3])
    assert [chart_reading.title(chart) for chart in charts.values()] == [f.layout.title.text for f in public[:3]]
    api_rows = [[row[0], *(f"{v:.6g}" for v in row[1:])] for row in public[3].values.tolist()]
    assert _shown_rows(tab.update_view(**tab.DEFAULTS)[3]) == api_rows  # the same numbers, to six digits
    # The final view of a drag (the page drew its steps itself): every chart and the table.
    controls = {**tab.DEFAULTS, "log_n": 1.0}
    final = tab.drag_step({**controls, "moved": "mu", "final": True})
    assert list(final["html"]) == list(tab.VIEW_IDS)
    assert [final["html"][f"estimators-{name}"] for name in tab.PLOTS] == list(charts.values())
    assert _shown_rows(final["html"]["estimators-table"]) == api_rows
    final = tab.drag_step({**controls, "log_n": 2.0, "n": 5, "moved": "log_n"})  # N from the slider, not the box
    assert final["values"] == {"estimators-n": 100} and "N = 100" in chart_reading.title(
        final["html"]["estimators-by_mu"]
    )
    with pytest.raises(gr.Error, match="repeats"):
        tab.drag_step({**controls, "repeats": -1, "moved": "repeats"})
    # Right after a drag drew the view, the event at mouse-up sends only the homework numbers.
    assert tab.update_view(**tab.DEFAULTS, drawn=True) == (*(gr.skip(),) * 4, full_numbers)
    assert tab.update_view(**tab.DEFAULTS, homework_open=False, drawn=True) == (gr.skip(),) * 5
    # Answers are never equal twice (Gradio would not redraw a view the drag drew over).
    assert tab.update_view(**tab.DEFAULTS)[0] != tab.update_view(**tab.DEFAULTS)[0]
    # With the homework panel closed its numbers are not sent; opening it fills them.
    assert tab.update_view(**tab.DEFAULTS, homework_open=False)[-1] == gr.skip()
    assert tab.show_homework_numbers(**tab.DEFAULTS) == (True, full_numbers)


def test_every_route_validates_and_computes_once_in_the_one_view(monkeypatch):
    """The endpoint, the page's events, a drag's final view, a case and an answer are adapters of `view`: each
    calls it once (and so validates and calls models/ once), and nothing else calls run_experiment."""
    calls, real_view = [], tab.view
    monkeypatch.setattr(tab, "view", lambda *args: calls.append("view") or real_view(*args))
    real_run = tab.run_experiment
    monkeypatch.setattr(tab, "run_experiment", lambda *args, **kwargs: calls.append("run") or real_run(*args, **kwargs))
    values = [tab.DEFAULTS[key] for key in ("f", "m", "mu", "n", "repeats", "seed")]
    routes = {
        "endpoint": lambda: tab.compare_estimators(*values),
        "page": lambda: tab.update_view(*values),
        "typed N": lambda: tab.update_view_from_box(*values),
        "log N": lambda: tab.update_view_from_log_slider(*values[:3], 1.5, *values[4:]),
        "homework panel": lambda: tab.show_homework_numbers(*values),
        "drag": lambda: tab.drag_step({**tab.DEFAULTS, "moved": "mu", "final": True}),
        "case": lambda: tab.apply_preset(next(iter(tab.PRESETS))),
        "answer": lambda: tab.show_answer(next(iter(tab.QUESTIONS))),
    }
    for route, call in routes.items():
        calls.clear()
        call()
        assert calls == ["view", "run"], route


def test_bench_cases_are_valid_calls_with_fixed_height_figures():
    for case in tab.BENCH_CASES:
        *figures, table = case.fn(**case.kwargs)
        assert list(table.columns) == tab.TABLE_HEADERS
        assert all(figure.layout.height == tab.PLOT_HEIGHT for figure in figures)


def test_typed_n_moves_the_log_slider_in_the_same_request():
    log_n, *views = tab.update_view_from_box(**{**tab.DEFAULTS, "n": 100})
    assert log_n == pytest.approx(2.0) and len(views) == 5
    assert tab.n_from_log_slider(tab.log_slider_from_n(1234)) == 1234
    assert tab.log_slider_from_n("many") == gr.update()  # bad N: the slider stays, the endpoint says why
    with pytest.raises(gr.Error, match="n must be a number"):
        tab.update_view_from_box(**{**tab.DEFAULTS, "n": "many"})


def test_dragging_log_n_sets_n_and_the_view_in_one_request():
    n, *views = tab.update_view_from_log_slider(**{k: v for k, v in tab.DEFAULTS.items() if k != "n"}, log_n=3)
    exact = tab.compare_estimators(**{**tab.DEFAULTS, "n": 1000})[3]["exact_variance"]
    assert n == 1000 and page_table(unfresh(views[3]))["exact_variance"].tolist() == [float(f"{v:.6g}") for v in exact]


# --- Homework panel ----------------------------------------------------------------------------------------------

CONTROL_NAMES = ("f", "m", "mu", "log_n", "n", "repeats", "seed")


def press(key):
    """Press a question's "Show answer": {control: value}, the table and the live numbers it shows."""
    reveal, *rest = tab.show_answer(key)
    assert reveal == gr.update(visible=True)
    controls = dict(zip(CONTROL_NAMES, rest[: len(CONTROL_NAMES)], strict=True))
    figures, table, numbers = sent(rest[len(CONTROL_NAMES) :])
    return controls, figures["by_mu"], table.set_index("estimator"), numbers


def test_every_question_has_an_answer_and_a_valid_preset():
    texts = tab_sections("estimators", "homework")
    assert set(texts) == {f"{key}_{part}" for key in tab.QUESTIONS for part in ("question", "answer")}
    for key, name in tab.QUESTIONS.items():
        preset = tab.PRESETS[name]
        controls, *_ = press(key)
        assert {name: controls[name] for name in preset} == preset
        assert controls["log_n"] == pytest.approx(math.log10(preset["n"]))
        assert tab.validate(**preset)  # within the sliders' ranges and the draw cap


@pytest.mark.parametrize("key", ["variances", "pathwise", "choose"])
def test_closed_forms_shown_match_the_formulas_of_the_answer(key):
    controls, _, table, numbers = press(key)
    m, mu, n = controls["m"], controls["mu"], controls["n"]
    assert controls["f"] == "square"
    formulas = {  # the table of question 1's answer, f = (mz)²
        "pathwise": 4 * m**4 / n,
        "score": m**4 * (mu**4 + 14 * mu**2 + 15) / n,
        "score+baseline": 2 * m**4 * (4 * mu**2 + 5) / n + 2 * m**4 * (4 * mu**2 + 1) / (n * (n - 1)),
        "score+optimal baseline": 2 * m**4 * (4 * mu**2 + 3) / n,
        "measure-valued": 4 * m**4 * mu**2 * (4 / math.pi - 1) / n,
    }
    for name, value in formulas.items():
        assert table.loc[name, "exact_variance"] == pytest.approx(value, rel=1e-5), name
        assert f"| {name} |" in numbers and f"| {value:.6g} | {value:.6g} |" in numbers, name


def test_linear_closed_forms_shown():
    result = tab.run_experiment("linear", -1.5, 0.7, 8, 50, 0)
    numbers = tab.homework_numbers(result)
    m, mu, n = -1.5, 0.7, 8
    for name, value in {
        "pathwise": 0.0,
        "score": m**2 * (mu**2 + 2) / n,
        "score+baseline": 2 * m**2 / (n - 1),
        "score+optimal baseline": 2 * m**2 / n,
        "measure-valued": m**2 * (4 / math.pi - 1) / n,
    }.items():
        assert result.exact[name] == pytest.approx(value, rel=1e-9, abs=1e-15)
        assert f"| {value:.6g} |" in numbers, name
    assert "(-1.5)^2" in numbers  # a negative m substituted in parentheses, so the square stays positive


def test_pathwise_answer_square_is_not_zero_and_flat_in_mu():
    controls, by_mu, table, _ = press("pathwise")
    expected = 4 * controls["m"] ** 4 / controls["n"]
    assert table.loc["pathwise", "exact_variance"] == pytest.approx(expected, rel=1e-6) and expected > 0
    assert f"{expected:.4g}" in tab_sections("estimators", "homework")["pathwise_answer"]
    points = chart_reading.polyline(by_mu, "pathwise")  # flat: one height all along μ, read off the chart
    assert len(points) == len(tab.model.MU_LINE) and np.ptp(points[:, 1]) == 0
    assert chart_reading.y_reader(by_mu, log=True)(points[0, 1]) == pytest.approx(expected, rel=0.02)


def test_sign_answer_score_estimates_average_plus_eta():
    controls, _, table, numbers = press("sign")
    eta, mean = table.loc["score", "true_gradient"], table.loc["score", "mean"]
    assert eta == controls["m"] == 1.0
    assert abs(mean - eta) <= 4 * math.sqrt(table.loc["score", "exact_variance"] / controls["repeats"])
    assert f"average {mean:.6g}" in numbers and f"would average {-mean:.6g}" in numbers


def test_baseline_answer_mean_baseline_is_worse_than_score():
    controls, _, table, _ = press("baseline")
    ratio = table.loc["score+baseline", "exact_variance"] / table.loc["score", "exact_variance"]
    assert controls["n"] == 2 and ratio == pytest.approx(2.91, abs=0.005)
    assert table.loc["score+optimal baseline", "exact_variance"] == table.loc["score", "exact_variance"]  # b* = 0


def test_choose_answer_pathwise_wins_at_its_preset():
    _, _, table, _ = press("choose")
    variances = table["exact_variance"]
    assert variances.idxmin() == "pathwise"


def test_cost_answer_compares_at_equal_evaluations():
    controls, _, table, numbers = press("cost")
    variances = table["exact_variance"]
    assert f"{2 * controls['n']:,} evaluations" in numbers
    for name, shown in (("measure-valued", variances["measure-valued"]), ("pathwise", variances["pathwise"] / 2)):
        assert f"{shown:.6g}" in numbers, name


# --- Cases to show: every name is a claim, checked against the exact variances -----------------------------------


def _other_estimators(result, name):
    return {other: value for other, value in result.exact.items() if other != name}


def _zero_pathwise(result):
    assert result.exact["pathwise"] == 0 and not result.empirical_by_n["pathwise"].any()  # every estimate is η
    assert all(value > 0 for value in _other_estimators(result, "pathwise").values())


def _closed_forms_match(result):
    assert result.closed_forms is not None
    for name, value in result.closed_forms.items():
        assert result.exact[name] == pytest.approx(value, rel=1e-9), name


def _pathwise_flat(result):
    expected = 4 * result.m**4 / result.n
    assert expected > 0
    np.testing.assert_allclose(result.exact_by_mu["pathwise"], expected, rtol=1e-9)


def _score_explodes(result):
    at_zero = exact_variances(result.f, result.m, 0.0, result.n)["score"]
    assert result.exact["score"] >= 10 * at_zero
    curve, mu = result.exact_by_mu["score"], result.mu_line
    assert np.all(np.diff(curve[mu >= 0]) > 0) and np.all(np.diff(curve[mu <= 0]) < 0)  # grows with |μ|


def _score_averages_plus_eta(result):
    eta, mean = result.true_gradient, result.estimates["score"].mean()
    spread = 4 * math.sqrt(result.exact["score"] / result.repeats)
    assert abs(eta) > 2 * spread  # +η and −η are told apart
    assert abs(mean - eta) <= spread


def _mean_baseline_cuts_8_times(result):
    assert 8 <= result.exact["score"] / result.exact["score+baseline"] < 8.5


def _mean_baseline_raises(result):
    assert result.exact["score+baseline"] > result.exact["score"]


def _zero_measure_valued(result):
    assert result.exact["measure-valued"] == 0 and not result.empirical_by_n["measure-valued"].any()
    assert all(value > 0 for value in _other_estimators(result, "measure-valued").values())


def _pathwise_lowest(result):
    assert min(result.exact, key=result.exact.get) == "pathwise"


def _measure_valued_lowest_at_equal_cost(result):
    twice = exact_variances(result.f, result.m, result.mu, 2 * result.n)  # two evaluations of f per sample
    assert all(result.exact["measure-valued"] < twice[name] for name in ESTIMATORS if name != "measure-valued")


def _pathwise_highest(result):
    assert max(result.exact, key=result.exact.get) == "pathwise"


# {case name: (the check of its claim, a change of its values that makes the claim false)}
CLAIMS = {
    "linear f: pathwise has zero variance": (_zero_pathwise, {"f": "square"}),
    "square f: closed forms match quadrature": (_closed_forms_match, {"f": "cosine"}),
    "square f: pathwise variance 4m⁴/N at every μ": (_pathwise_flat, {"f": "cosine"}),
    "score variance explodes with |μ|": (_score_explodes, {"mu": 1.0}),
    "score with z − μ: estimates average +η": (_score_averages_plus_eta, {"m": 0.0}),
    "linear f at μ = 4: the mean baseline cuts the score variance 8×": (_mean_baseline_cuts_8_times, {"mu": 1.0}),
    "cosine f at μ = 0: the mean baseline raises the variance": (_mean_baseline_raises, {"f": "square"}),
    "square f at μ = 0: measure-valued has zero variance": (_zero_measure_valued, {"mu": 1.0}),
    "square f at μ = 3: pathwise has the lowest variance": (_pathwise_lowest, {"mu": 1.0}),
    "cosine f at μ = 1: measure-valued lowest even at equal cost": (
        _measure_valued_lowest_at_equal_cost,
        {"m": 3.0, "mu": 0.5},
    ),
    "cosine f with m = 3: pathwise has the highest variance": (_pathwise_highest, {"m": 1.0, "mu": 0.0}),
}


def test_every_case_has_a_checked_claim_and_every_question_a_case():
    assert list(CLAIMS) == list(tab.PRESETS)
    sections = tab_sections("estimators", "homework")
    assert list(tab.QUESTIONS) == [key.removesuffix("_question") for key in sections if key.endswith("_question")]
    assert set(tab.QUESTIONS.values()) <= set(tab.PRESETS)


@pytest.mark.parametrize("name", list(CLAIMS))
def test_case_name_is_true_of_its_case(name):
    from models.estimators import run_experiment

    check, _ = CLAIMS[name]
    case = tab.PRESETS[name]
    check(run_experiment(**case))
    # The values a name cites are its case's: "square f", "μ = 3", "m = 3".
    cited = re.match(r"(linear|square|gaussian|cosine) f", name)
    assert cited is None or cited.group(1) == case["f"], name
    for key, symbol in (("mu", "μ"), ("m", r"\bm")):
        for value in re.findall(symbol + r" = (-?[0-9.]+)", name):
            assert float(value) == case[key], (name, key)


@pytest.mark.parametrize("name", list(CLAIMS))
def test_case_check_fails_where_its_claim_is_false(name):
    """Each check can fail: on a nearby case where the name's claim does not hold, it does."""
    from models.estimators import run_experiment

    check, breaking = CLAIMS[name]
    with pytest.raises(AssertionError):
        check(run_experiment(**{**tab.PRESETS[name], **breaking}))


@pytest.mark.parametrize("name", list(tab.PRESETS))
def test_case_button_sets_the_controls_and_draws_the_view_in_one_request(name):
    case = tab.PRESETS[name]
    outputs = tab.apply_preset(name)
    controls = dict(zip(CONTROL_NAMES, outputs[: len(CONTROL_NAMES)], strict=True))
    assert {key: controls[key] for key in case} == case and tab.validate(**case)
    assert controls["log_n"] == pytest.approx(math.log10(case["n"]))  # the log₁₀ N slider moves with N
    _, table, numbers = sent(outputs[len(CONTROL_NAMES) :])
    expected = tab.compare_estimators(**case)[3]
    assert table["exact_variance"].tolist() == [float(f"{v:.6g}") for v in expected["exact_variance"]]
    assert numbers.startswith("**At the current settings:**")
    # The button's event: the same controls; with the homework panel closed its numbers are not sent.
    clicked = tab.case_button(name)(False)
    assert clicked[: len(CONTROL_NAMES)] == outputs[: len(CONTROL_NAMES)] and clicked[-1] == gr.skip()


def test_case_buttons_are_on_the_page_outside_the_homework_panel_and_private():
    from demos.gradio_seam import blocks, events, parents

    with gr.Blocks() as demo:
        tab.build()
    buttons = {block.value: block for block in blocks(demo) if isinstance(block, gr.Button)}
    assert set(tab.PRESETS) <= set(buttons)
    for name in tab.PRESETS:
        for parent in parents(buttons[name]):
            assert not isinstance(parent, gr.Accordion), name  # shown without opening a panel
    case_ids = {id(buttons[name]) for name in tab.PRESETS}
    clicks = [block_fn for block_fn in events(demo) if any(id(t[0]) in case_ids for t in block_fn.targets)]
    assert len(clicks) == len(tab.PRESETS)
    for block_fn in clicks:
        assert block_fn.api_visibility == "private"
        (panel_open,) = block_fn.inputs  # whether the homework panel is open (its numbers are sent only then)
        assert isinstance(panel_open, gr.Checkbox) and not panel_open.visible
        assert len(block_fn.outputs) == len(CONTROL_NAMES) + 5  # the controls, the charts, table and numbers


def test_a_case_on_a_persian_page_draws_in_persian():
    name = next(iter(tab.PRESETS))
    outputs = tab.apply_preset(name, True, FA)
    charts, table, numbers = sent(outputs[len(CONTROL_NAMES) :])
    assert PERSIAN.search(chart_reading.title(charts["by_n"])) and PERSIAN.search(numbers)
    assert all(PERSIAN.search(column) for column in table.columns)


RETIRED_PHRASES = RETIRED["estimators"]["en"]


def test_no_retired_wrong_claim_in_the_tabs_texts():
    import models.estimators

    texts = {
        "explanation": tab_text("estimators", "explanation"),
        **tab_sections("estimators", "homework"),
        "models docstrings": models.estimators.__doc__ + models.estimators.exact_variances.__doc__,
        **{f"numbers for {key}": press(key)[3] for key in tab.QUESTIONS},
    }
    for where, text in texts.items():
        for phrase in RETIRED_PHRASES:
            assert phrase.lower() not in text.lower(), (where, phrase)
        # The homework's sign μ − z appears only where question 3 quotes it.
        if where != "sign_question":
            assert r"=\mu-z" not in text.replace(" ", ""), where


# --- The page's language -------------------------------------------------------------------------------------------

PERSIAN = re.compile(r"[\u0600-\u06FF]")
NUMBER_IN_TEXT = re.compile(r"[-+−]?\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?")  # Latin digits only


class PageRequest:
    """What Gradio hands a UI event: the page's address in the Referer (API callers send none)."""

    def __init__(self, lang):
        self.query_params = {}
        self.headers = {"referer": f"http://127.0.0.1:7860/?tab=estimators&lang={lang}"}


FA, EN = PageRequest("fa"), PageRequest("en")


def numbers_in(text: str) -> list[str]:
    return sorted(NUMBER_IN_TEXT.findall(bidi.plain(text)))


def texts_of(figure: dict) -> dict:
    """A figure's words: title, axis titles and legend, hover and category names."""
    layout = figure["layout"]
    return {
        "title": layout["title"]["text"],
        "x": layout["xaxis"].get("title", {}).get("text"),
        "y": layout["yaxis"]["title"]["text"],
        "names": [trace["name"] for trace in figure["data"]],
    }


def test_a_persian_page_gets_persian_plots_table_and_homework_with_the_same_numbers():
    english_charts, english_table, english_numbers = sent(tab.update_view(**tab.DEFAULTS, request=EN))
    charts, table, numbers = sent(tab.update_view(**tab.DEFAULTS, request=FA))
    result = run_experiment_for(tab.DEFAULTS)
    expected_titles = {
        "by_n": t("estimators.title_by_n", "fa", mu="μ = 1", n="N = 10"),
        "by_mu": t("estimators.title_by_mu", "fa", n="N = 10"),
        "estimates": t("estimators.title_estimates", "fa", repeats="100", eta=f"η = {result.true_gradient:.4g}"),
    }
    for name in tab.PLOTS:
        shown = chart_reading.title(charts[name])
        assert bidi.plain(shown) == bidi.plain(expected_titles[name]), name
        assert PERSIAN.search(shown) and PERSIAN.search(chart_reading.axis_labels(charts[name])[1]), name
        assert all(PERSIAN.search(name_) for name_ in chart_reading.legend(charts[name])[: len(ESTIMATORS)]), name
        # the same curves, markers and violins: only the words differ
        assert drawing(charts[name]) == drawing(english_charts[name]), name
        assert numbers_in(shown) == numbers_in(chart_reading.title(english_charts[name])), name
    assert PERSIAN.search(chart_reading.axis_labels(charts["by_n"])[0])
    assert list(table.columns) == tab.table_headers("fa") and all(PERSIAN.search(c) for c in table.columns)
    assert table.iloc[:, 1:].equals(english_table.iloc[:, 1:].set_axis(table.columns[1:], axis=1))
    assert [bidi.plain(row).split(" (")[-1].rstrip(")") for row in table.iloc[:, 0]] == list(ESTIMATORS)
    assert PERSIAN.search(numbers) and numbers_in(numbers) == numbers_in(english_numbers)
    assert t("estimators.homework_table_header", "fa") in numbers


def drawing(chart: str) -> list[str]:
    """A chart's geometry: every coordinate and point list of its SVG, in order (its words left out)."""
    return re.findall(r'(?:points|x|y|x1|x2|y1|y2|cx|cy|width|height)="([-\d., ]+)"', chart.split("<svg", 1)[1])


def run_experiment_for(kwargs):
    from models.estimators import run_experiment

    return run_experiment(**kwargs)


def test_the_api_and_an_english_page_keep_todays_english():
    figures = tab.compare_estimators(**tab.DEFAULTS)
    words = [texts_of(as_dict(figure)) for figure in figures[:3]]
    assert words[0]["title"] == "Variance vs N at μ = 1<br>(dotted: N = 10)"
    assert words[0]["x"] == "N (samples per estimate)" and words[0]["y"] == "variance"
    assert words[1]["title"] == "Variance vs μ at N = 10" and words[1]["x"] == "μ"
    assert words[2]["title"].startswith("The 100 estimates per estimator<br>(dashed: true gradient η = ")
    assert words[2]["y"] == "estimate of η" and words[2]["names"] == list(ESTIMATORS)
    assert words[0]["names"][: len(ESTIMATORS)] == list(ESTIMATORS)
    assert list(figures[3].columns) == tab.TABLE_HEADERS and figures[3]["estimator"].tolist() == list(ESTIMATORS)
    assert "font" not in as_dict(figures[0])["layout"]
    # an English page (or a call without a request) shows the API's words and table
    for request in (EN, None):
        charts, table, _ = sent(tab.update_view(**tab.DEFAULTS, request=request))
        for chart, api_words in zip(charts.values(), words, strict=True):
            assert chart_reading.title(chart) == api_words["title"]
            assert chart_reading.axis_labels(chart)[1] == api_words["y"]
        for name in ("by_n", "by_mu"):
            assert chart_reading.legend(charts[name]) == [*list(ESTIMATORS), "empirical"]
        assert chart_reading.legend(charts["estimates"]) == list(ESTIMATORS)
        assert chart_reading.axis_labels(charts["by_n"])[0] == words[0]["x"] and table.equals(figures[3])
    linear = tab.compare_estimators(**{**tab.DEFAULTS, "f": "linear"})
    assert texts_of(as_dict(linear[0]))["names"][0] == "pathwise (exact 0, off the log axis)"
    numbers = tab.homework_numbers(run_experiment_for(tab.DEFAULTS))
    assert numbers.startswith("**At the current settings:** f = `square`, m = 1, μ = 1, N = 10.")
    assert "| estimator | closed form | with these numbers | value | quadrature |" in numbers


def test_persian_chart_text_reads_right_to_left_with_its_numbers_left_to_right():
    """A Persian page's chart: title and legend in a right-to-left block, the axes left to right with each Persian
    axis title isolated right to left (SVG text is laid out in the chart's direction)."""
    charts, _, numbers = sent(tab.update_view(**tab.DEFAULTS, request=FA))
    for chart in charts.values():
        assert chart.startswith('<div dir="rtl"') and ' direction="ltr"' in chart
        for label in chart_reading.axis_labels(chart):
            if PERSIAN.search(label):
                assert label.startswith(bidi.RLI) and label.endswith(bidi.PDI)
    # a formula with its number is one left-to-right piece ("μ = 1", not "1 = μ" read right to left)
    assert bidi.ltr("μ = 1", "fa") in chart_reading.title(charts["by_n"])
    assert bidi.ltr("N = 10", "fa") in chart_reading.title(charts["by_n"])
    assert bidi.ltr("f = `square`", "fa") in numbers and bidi.ltr("N = 10", "fa") in numbers
    with pytest.raises(gr.Error) as caught:
        tab.update_view(**{**tab.DEFAULTS, "n": 10_000, "repeats": 101}, request=FA)
    assert bidi.ltr("10,000 × 101 = 1,010,000", "fa") in caught.value.message
    linear, _, _ = sent(tab.update_view(**{**tab.DEFAULTS, "f": "linear"}, request=FA))
    off_axis = chart_reading.legend(linear["by_n"])[0]
    assert PERSIAN.search(off_axis) and "0" in off_axis and "exact" not in off_axis


@pytest.mark.parametrize(("change", "phrase"), BAD_INPUTS)
def test_a_persian_page_gets_persian_error_sentences_the_api_english_ones(change, phrase):
    with pytest.raises(gr.Error) as english:
        tab.update_view(**{**tab.DEFAULTS, **change}, request=EN)
    with pytest.raises(gr.Error) as persian:
        tab.update_view(**{**tab.DEFAULTS, **change}, request=FA)
    assert phrase in english.value.message and not PERSIAN.search(english.value.message)
    assert PERSIAN.search(persian.value.message) and phrase not in persian.value.message
    assert numbers_in(persian.value.message) == numbers_in(english.value.message)


def test_every_event_of_the_tab_that_draws_text_gets_the_request_from_gradio():
    """Gradio passes gr.Request by position and reads its type hint only on a plain function (not through a
    functools.partial): every event that draws text must receive the request where its `request` parameter is."""
    from demos.gradio_seam import events, with_request

    with gr.Blocks() as demo:
        tab.build()
    marker = object()
    drawing = 0
    for block_fn in events(demo):
        if block_fn.fn is None or block_fn.api_visibility == "public":
            continue
        parameters = inspect.signature(block_fn.fn).parameters
        if "request" not in parameters:
            assert len(block_fn.outputs) <= 1, f"{block_fn.fn} draws the view without knowing the page's language"
            continue
        arguments = with_request(block_fn.fn, [None] * len(block_fn.inputs), marker)
        bound = inspect.signature(block_fn.fn).bind(*arguments)
        assert bound.arguments["request"] is marker, block_fn.fn
        drawing += 1
    # f/seed, N box, homework, three sliders and their mouse-ups, log N twice, the answers and the cases
    assert drawing >= 7 + len(tab.QUESTIONS) + len(tab.PRESETS)
