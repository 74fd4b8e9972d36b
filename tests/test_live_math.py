"""The page's own drag steps (demos/static/live_math.js, live_views.js) against models/ and the server's drawing.

During a slider drag of tabs 1 and 2 the browser computes and draws each step itself (demos/live_drag.py). These
tests run that JavaScript in Chromium on a grid of parameters, extreme ones included, so the two can never drift:
exact numbers (closed forms, quadrature) agree with models/ to rounding; the page's own Monte Carlo samples agree
with the exact variances within their standard error; the SVG charts, table cells and sentences are the server's,
character for character, in English and Persian.
"""

import dataclasses
import itertools
import math
import re

import numpy as np
import pytest

from demos import bidi, static_text
from demos import divergences as div_tab
from demos import estimators as est_tab
from models import divergences as dv
from models.estimators import ESTIMATORS, run_experiment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page(browser):
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    page.add_script_tag(content=static_text("live_math.js"))
    page.add_script_tag(content=static_text("live_views.js"))
    page.evaluate(
        "([e, d]) => { window.estimatorsConfig = e; window.divergencesConfig = d; }",
        [est_tab.live_config(), div_tab.live_config()],
    )
    yield page
    page.close()


def in_language(page, lang):
    page.evaluate("(fa) => document.body.classList.toggle('gml-fa', fa)", lang == "fa")


ESTIMATOR_GRID = [
    {"f": f, "m": m, "mu": mu, "n": n, "repeats": repeats, "seed": seed}
    for (f, m), mu, (n, repeats), seed in itertools.product(
        [("linear", 1.0), ("square", -3.0), ("square", 0.5), ("gaussian", 0.01), ("gaussian", 3.0), ("cosine", 3.0)],
        [-4.0, 0.0, 1.35],
        [(1, 1000), (2, 400), (10, 100), (500, 2000 // 10)],
        [7],
    )
] + [{"f": "square", "m": 1.0, "mu": 4.0, "n": 10_000, "repeats": 100, "seed": 3}]  # the largest N × R allowed


def js_estimators(page, case):
    return page.evaluate(
        """(values) => {
          const r = window.gmlLiveMath.estimators(window.estimatorsConfig, values);
          const arrays = (d) => d && Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Array.from(v)]));
          return {...r, estimates: arrays(r.estimates), exactByN: arrays(r.exactByN), exactByMu: arrays(r.exactByMu),
                  empiricalByN: arrays(r.empiricalByN), empiricalByMu: arrays(r.empiricalByMu)};
        }""",
        case,
    )


@pytest.mark.parametrize("case", ESTIMATOR_GRID, ids=lambda c: "{f}-m{m}-mu{mu}-N{n}-R{repeats}".format(**c))
def test_the_pages_exact_variances_are_the_models(page, case):
    js, py = js_estimators(page, case), run_experiment(**case)
    assert js["trueGradient"] == pytest.approx(py.true_gradient, rel=1e-12, abs=1e-15)
    assert js["sizes"] == py.sizes.tolist()
    for name in ESTIMATORS:
        scale = max(np.abs(py.exact_by_n[name]).max(), np.abs(py.exact_by_mu[name]).max(), 1e-300)
        assert js["exact"][name] == pytest.approx(py.exact[name], rel=1e-9, abs=1e-12 * scale), name
        np.testing.assert_allclose(js["exactByN"][name], py.exact_by_n[name], rtol=1e-9, atol=1e-12 * scale)
        np.testing.assert_allclose(js["exactByMu"][name], py.exact_by_mu[name], rtol=1e-9, atol=1e-12 * scale)
    assert (js["empiricalByMu"] is None) == (py.empirical_by_mu is None)


def test_the_pages_samples_are_unbiased_with_the_exact_variance_within_their_standard_error(page):
    """Over the whole grid, each estimator's R estimates from the page's own draws: their mean is η and their
    sample variance the exact variance, each within 4.5 standard errors (estimated from the same estimates: the
    sample variance's from their fourth central moment)."""
    worst = 0.0
    for case in ESTIMATOR_GRID:
        js, py = js_estimators(page, case), run_experiment(**case)
        for name in ESTIMATORS:
            estimates, exact = np.array(js["estimates"][name]), py.exact[name]
            r = len(estimates)
            if exact < 1e-14 * max(1.0, py.true_gradient**2):  # zero variance: every estimate is η itself
                np.testing.assert_allclose(estimates, py.true_gradient, rtol=1e-9, atol=1e-9)
                continue
            mean_z = abs(estimates.mean() - py.true_gradient) / math.sqrt(exact / r)
            centred = estimates - estimates.mean()
            m2, m4 = (centred**2).mean(), (centred**4).mean()
            variance_se = math.sqrt(max(m4 - m2**2 * (r - 3) / (r - 1), 1e-300) / r)
            variance_z = abs(estimates.var(ddof=1) - exact) / variance_se
            assert js["empiricalByN"][name][-1] == pytest.approx(estimates.var(ddof=1), rel=1e-9)
            worst = max(worst, mean_z, variance_z)
            assert mean_z < 4.5 and variance_z < 4.5, (case, name, mean_z, variance_z)
    assert worst > 1.0  # the check measures something: some deviation of a standard error or more occurs


DIVERGENCE_GRID = [
    *div_tab.PRESETS.values(),
    {**div_tab.DEFAULTS, "mu1": 5.0, "sigma1": 5.0, "mu2": -5.0, "sigma2": 0.1},
    {**div_tab.DEFAULTS, "mu1": -5.0, "sigma1": 0.1, "mu2": -5.0, "sigma2": 0.1},
    {**div_tab.DEFAULTS, "mu1": 2.35, "sigma1": 0.4, "mu2": -1.2, "sigma2": 3.3},
    {"mu1": 5.0, "sigma1": 0.1, "mu2": -5.0, "sigma2": 5.0, "mixture": True, "mu3": 5.0, "sigma3": 0.1, "weight": 0.99},
    {
        "mu1": -2.0,
        "sigma1": 2.0,
        "mu2": 3.0,
        "sigma2": 0.1,
        "mixture": True,
        "mu3": -5.0,
        "sigma3": 5.0,
        "weight": 0.01,
    },
]


def js_divergences(page, case):
    return page.evaluate("(v) => window.gmlLiveMath.divergences(window.divergencesConfig, v)", case)


@pytest.mark.parametrize("case", DIVERGENCE_GRID, ids=range(len(DIVERGENCE_GRID)))
def test_the_pages_divergences_are_the_models(page, case):
    js = js_divergences(page, case)
    _, py = div_tab.view(**case)
    for name, value in py.closed.items():
        assert js["closed"][name] == pytest.approx(value, rel=1e-10, abs=1e-13)
    for name in div_tab.QUANTITIES:
        assert js["now"][name] == pytest.approx(py.now[name], rel=1e-7, abs=1e-10)
        np.testing.assert_allclose(js["shiftCurves"][name], py.shift_curves[name], rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(js["ratioCurves"][name], py.ratio_curves[name], rtol=1e-7, atol=1e-10)
        # The page's check column (trapezoid rule) against quad: both within 1e-8 of the truth.
        assert js["numerical"][name]["value"] == pytest.approx(py.numerical[name].value, abs=2e-8)
        assert js["numerical"][name]["abs_error"] < 1e-8
    np.testing.assert_allclose(js["x"], py.x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(js["p"], py.p, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(js["q"], py.q, rtol=1e-9, atol=1e-300)


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?")


def assert_same_drawing(page_html: str, server_html: str) -> None:
    """The same SVG and HTML, character for character, except that a coordinate may differ by one rounding step:
    0.1 SVG unit, where a point falls on a tie (x.x5) that the browser's arithmetic and NumPy's round apart (the
    log-scale sweep's geometric grid puts every fourth point on one)."""
    assert NUMBER.split(page_html) == NUMBER.split(server_html)
    page_numbers, server_numbers = NUMBER.findall(page_html), NUMBER.findall(server_html)
    assert len(page_numbers) == len(server_numbers)
    differing = [(a, b) for a, b in zip(page_numbers, server_numbers, strict=True) if a != b]
    assert all(abs(float(a) - float(b)) <= 0.1 + 1e-9 for a, b in differing), differing[:5]


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_the_page_draws_a_divergences_step_as_the_server_does(page, lang):
    in_language(page, lang)
    for case in DIVERGENCE_GRID:
        params, result = div_tab.view(**case)
        server = div_tab.page_view(result, **params, lang=lang)
        js = page.evaluate("(v) => window.gmlLiveViews.divergences(window.divergencesConfig, v)", case)
        for index, block in enumerate(div_tab.VIEW_IDS[:3]):
            assert_same_drawing(js["html"][block], server[index])
        cells = js["cells"]["divergences-table"]
        for row, name in zip(cells, div_tab.QUANTITIES, strict=True):
            closed = result.closed.get(name)
            assert row[0] == ("—" if closed is None else f"{closed:.6g}")
            assert float(row[1]) == pytest.approx(float(f"{result.numerical[name].value:.6g}"), rel=2e-6, abs=2e-8)
        if not params["mixture"]:  # every number of the sentence is a closed form: the same characters
            assert js["paragraphs"]["divergences-table"] == div_tab.ratio_text(result, False, lang)
            assert f"<p{bidi.dir_attribute(lang)} " in server[3]
    in_language(page, "en")


@pytest.mark.parametrize("lang", ["en", "fa"])
@pytest.mark.parametrize(("moved", "n"), [("mu", 10), ("log_n", 200), ("log_n", 316)])  # 316: no μ markers
@pytest.mark.parametrize(("f", "m", "mu"), [("linear", 1.0, -2.45), ("square", -3.0, 4.0), ("gaussian", 0.01, 0.0)])
def test_the_page_draws_an_estimators_step_as_the_server_does(page, lang, moved, n, f, m, mu):
    """The chart the moved slider drives, as the server draws it from the same numbers: the page's step has its own
    samples, so the server's chart is drawn with the page's empirical variances (its exact lines are the model's,
    checked above); then every character agrees (a line off the log axis, markers, ticks, title, legend)."""
    in_language(page, lang)
    case = {**est_tab.DEFAULTS, "f": f, "m": m, "mu": mu, "n": n, "repeats": 100}
    plot = "by_n" if moved == "mu" else "by_mu"
    js = page.evaluate(
        """(values) => {
          const step = window.gmlLiveViews.estimators(window.estimatorsConfig, values);
          const r = window.gmlLiveMath.estimators(window.estimatorsConfig, values, values.moved === "log_n");
          const arrays = (d) => d && Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Array.from(v)]));
          return {step, byN: arrays(r.empiricalByN), byMu: arrays(r.empiricalByMu)};
        }""",
        {**case, "moved": moved, "log_n": math.log10(n)},
    )
    result = run_experiment(**case)
    page_numbers = {"by_n": js["byN"], "by_mu": js["byMu"]}[plot]
    field = {"by_n": "empirical_by_n", "by_mu": "empirical_by_mu"}[plot]
    shown = dataclasses.replace(
        result, **{field: page_numbers and {name: np.asarray(v) for name, v in page_numbers.items()}}
    )
    assert list(js["step"]["html"]) == [f"estimators-{plot}"]
    assert_same_drawing(js["step"]["html"][f"estimators-{plot}"], est_tab.variance_chart(shown, plot, lang))
    assert js["step"]["values"] == {"estimators-n": n}
    rows = js["step"]["cells"]["estimators-table"]
    assert [row[1] for row in rows] == [f"{result.true_gradient:.6g}"] * len(ESTIMATORS)
    assert [row[3] for row in rows] == [f"{result.exact[name]:.6g}" for name in ESTIMATORS]
    in_language(page, "en")


def test_the_page_formats_numbers_as_python_does(page):
    numbers = [0.0, 1.0, -2.5, 123456.0, 1234567.0, 0.0001234567, 0.00001234567, 9.9999996, 1e-300, 5e22, 0.1 + 0.2]
    js = page.evaluate(
        "(xs) => xs.map((x) => [window.gmlLiveMath.formatG(x), window.gmlLiveMath.formatG(x, 2)])", numbers
    )
    assert js == [[f"{x:.6g}", f"{x:.2g}"] for x in numbers]
    assert dv.QUAD_OPTIONS["epsabs"] <= 1e-10  # the 1e-8 the tests above allow the page's check column is 100× looser
