"""Divergences between Gaussians: closed forms, numerical checks, PyTorch gradients, and the /divergences API."""

import itertools
import re

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from scipy.integrate import quad

from demos import charts, tab_sections, tab_text
from demos.language import t
from models import divergences as dv
from scripts.chromium import open_app, press_and_move
from tests import chart_reading
from tests.retired_phrases import RETIRED


def _random_diagonal(seed, batch=5, dim=4, dtype=torch.float64):
    generator = torch.Generator().manual_seed(seed)
    mu = torch.randn(batch, dim, generator=generator, dtype=dtype) * 2
    logvar = torch.randn(batch, dim, generator=generator, dtype=dtype) * 3
    return mu, logvar


@pytest.mark.parametrize(
    ("numpy_fn", "torch_fn"),
    [
        (dv.kl_to_standard_normal, dv.kl_to_standard_normal_torch),
        (dv.cs_to_standard_normal, dv.cs_to_standard_normal_torch),
    ],
)
def test_diagonal_numpy_and_torch_agree(numpy_fn, torch_fn):
    mu, logvar = _random_diagonal(seed=0)
    from_torch = torch_fn(mu, logvar)
    assert from_torch.shape == (5,)
    np.testing.assert_allclose(from_torch.numpy(), numpy_fn(mu.numpy(), logvar.numpy()), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("torch_fn", [dv.kl_to_standard_normal_torch, dv.cs_to_standard_normal_torch])
def test_diagonal_torch_gradients(torch_fn):
    mu, logvar = _random_diagonal(seed=1, batch=3, dim=2)
    assert torch.autograd.gradcheck(torch_fn, (mu.requires_grad_(), logvar.requires_grad_()))


def test_diagonal_is_sum_of_univariate():
    mu, logvar = _random_diagonal(seed=2)
    sigma = np.exp(0.5 * logvar.numpy())
    for torch_fn, univariate in [
        (dv.kl_to_standard_normal_torch, dv.kl_gaussians),
        (dv.cs_to_standard_normal_torch, dv.cs_gaussians),
    ]:
        per_dimension = [univariate(mu[:, d].numpy(), sigma[:, d], 0.0, 1.0) for d in range(mu.shape[1])]
        np.testing.assert_allclose(torch_fn(mu, logvar).numpy(), np.sum(per_dimension, axis=0), rtol=1e-12)


def test_cs_torch_stays_finite_for_extreme_logvar():
    mu = torch.zeros(1, 3, dtype=torch.float32)
    logvar = torch.tensor([[-80.0, 0.0, 80.0]], requires_grad=True)
    value = dv.cs_to_standard_normal_torch(mu, logvar)
    value.sum().backward()
    assert torch.isfinite(value).all() and torch.isfinite(logvar.grad).all()
    # For σ² = 1 the CS term vanishes; at the extremes it grows like |logvar|/4.
    expected = 0.5 * (-np.log(2) + 40) + 0.5 * (80 - np.log(2) - 40)
    assert value.item() == pytest.approx(expected, rel=1e-5)


# ---------------------------------------------------------------------------------------------------
# Univariate closed forms against numerical integration

MEANS = [-5.0, 0.0, 2.5]
SDS = [0.01, 0.3, 1.0, 4.0, 100.0]  # ratios up to 10⁴ either way: very unequal variances
GRID = list(itertools.product(MEANS, SDS, MEANS, SDS))


def _tolerance(value):
    return 1e-8 * max(1.0, abs(value))  # 1e-8, relative once a divergence exceeds 1 (KL reaches 5e7 here)


def _closed_forms(mu1, sigma1, mu2, sigma2):
    return dv.closed_forms(mu1, sigma1, [mu2], [sigma2], [1.0])


@pytest.mark.parametrize(("mu1", "sigma1", "mu2", "sigma2"), GRID)
def test_closed_forms_match_quad(mu1, sigma1, mu2, sigma2):
    numerical = dv.numerical_divergences(mu1, sigma1, [mu2], [sigma2], [1.0])
    for name, closed in _closed_forms(mu1, sigma1, mu2, sigma2).items():
        gap = abs(closed - numerical[name].value)
        assert gap <= _tolerance(closed), (name, closed, numerical[name])
        # The table's abs_error column is quad's estimate: it must not claim more accuracy than it has.
        assert gap <= numerical[name].abs_error + 1e-12 * max(1.0, abs(closed)), (name, closed, numerical[name])


def test_mixture_parametrisation_of_one_gaussian_matches_closed_form():
    for mu1, sigma1, mu2, sigma2 in GRID[::7]:
        mixture = dv.cs_gaussian_mixture(mu1, sigma1, [mu2], [sigma2], [1.0])
        assert mixture == pytest.approx(dv.cs_gaussians(mu1, sigma1, mu2, sigma2), rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------------------------------------------
# Properties of D_CS


def _random_pairs(seed, n=200):
    rng = np.random.default_rng(seed)
    return rng.uniform(-5, 5, n), np.exp(rng.uniform(-3, 3, n)), rng.uniform(-5, 5, n), np.exp(rng.uniform(-3, 3, n))


def test_cs_is_symmetric_and_non_negative():
    mu1, sigma1, mu2, sigma2 = _random_pairs(seed=3)
    forward, backward = dv.cs_gaussians(mu1, sigma1, mu2, sigma2), dv.cs_gaussians(mu2, sigma2, mu1, sigma1)
    np.testing.assert_allclose(forward, backward, rtol=1e-13, atol=1e-15)
    assert np.all(forward > 0)  # p ≠ q for every random pair
    np.testing.assert_allclose(dv.cs_gaussians(mu1, sigma1, mu1, sigma1), 0.0, atol=1e-15)


def test_cs_is_half_kl_at_equal_variances():
    mu1, sigma, mu2, _ = _random_pairs(seed=4)
    np.testing.assert_allclose(
        dv.cs_gaussians(mu1, sigma, mu2, sigma), dv.kl_gaussians(mu1, sigma, mu2, sigma) / 2, rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(
        dv.cs_gaussians(mu1, sigma, mu2, sigma), dv.kl_gaussians(mu2, sigma, mu1, sigma) / 2, rtol=1e-12, atol=1e-15
    )


def test_mixture_cs_is_non_negative_and_zero_only_at_p():
    rng = np.random.default_rng(5)
    mu1, mu2, mu3 = rng.uniform(-5, 5, (3, 100))
    sigma1, sigma2, sigma3 = np.exp(rng.uniform(-2, 2, (3, 100)))
    weight = rng.uniform(0.01, 0.99, 100)
    assert np.all(dv.cs_gaussian_mixture(mu1, sigma1, [mu2, mu3], [sigma2, sigma3], [1 - weight, weight]) > 0)
    # Two copies of p are p itself, whatever the weights.
    np.testing.assert_allclose(
        dv.cs_gaussian_mixture(mu1, sigma1, [mu1, mu1], [sigma1, sigma1], [1 - weight, weight]), 0.0, atol=1e-12
    )


# ---------------------------------------------------------------------------------------------------
# q a two-component mixture


def _random_mixtures(seed, n, log_sd_range=(-3.0, 3.0)):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        mu1, mu2, mu3 = rng.uniform(-5, 5, 3)
        sigma1, sigma2, sigma3 = np.exp(rng.uniform(*log_sd_range, 3))
        weight = rng.uniform(0.01, 0.99)
        yield mu1, sigma1, [mu2, mu3], [sigma2, sigma3], [1 - weight, weight]


def test_mixture_cs_closed_form_matches_quad():
    for mu1, sigma1, means, sds, weights in _random_mixtures(seed=6, n=60, log_sd_range=(np.log(0.01), np.log(100))):
        closed = dv.cs_gaussian_mixture(mu1, sigma1, means, sds, weights)
        numerical = dv.numerical_divergences(mu1, sigma1, means, sds, weights)["D_CS(p,q)"]
        assert abs(closed - numerical.value) <= _tolerance(closed), (mu1, sigma1, means, sds, weights)


def test_mixture_of_identical_components_has_the_single_gaussian_kl():
    for mu1, sigma1, mu2, sigma2 in GRID[::5]:
        numerical = dv.numerical_divergences(mu1, sigma1, [mu2, mu2], [sigma2, sigma2], [0.3, 0.7])
        for name, closed in _closed_forms(mu1, sigma1, mu2, sigma2).items():
            assert abs(numerical[name].value - closed) <= _tolerance(closed), (name, mu1, sigma1, mu2, sigma2)


def test_mixture_kl_matches_plain_quad_over_the_real_line():
    """The centred, split integration against quad's own infinite-range rule on the raw integrand."""
    for mu1, sigma1, means, sds, weights in _random_mixtures(seed=7, n=15, log_sd_range=(np.log(0.3), np.log(3))):

        def log_p(x, mu1=mu1, sigma1=sigma1):
            return dv.log_normal_pdf(x, mu1, sigma1)

        def log_q(x, means=means, sds=sds, weights=weights):
            return dv.log_mixture_pdf(x, means, sds, weights)

        options = {"epsabs": 1e-12, "epsrel": 1e-12, "limit": 500}
        kl_pq, _ = quad(lambda x: np.exp(log_p(x)) * (log_p(x) - log_q(x)), -np.inf, np.inf, **options)
        kl_qp, _ = quad(lambda x: np.exp(log_q(x)) * (log_q(x) - log_p(x)), -np.inf, np.inf, **options)
        numerical = dv.numerical_divergences(mu1, sigma1, means, sds, weights)
        assert numerical["KL(p||q)"].value == pytest.approx(kl_pq, rel=1e-8, abs=1e-8)
        assert numerical["KL(q||p)"].value == pytest.approx(kl_qp, rel=1e-8, abs=1e-8)


def test_curve_kl_on_grid_matches_quad():
    for mu1, sigma1, means, sds, weights in _random_mixtures(seed=8, n=40, log_sd_range=(np.log(0.1), np.log(5))):
        kl_pq, kl_qp = dv.kl_on_grid(mu1, sigma1, means, sds, weights)
        numerical = dv.numerical_divergences(mu1, sigma1, means, sds, weights)
        assert kl_pq == pytest.approx(numerical["KL(p||q)"].value, rel=1e-3, abs=1e-6)
        assert kl_qp == pytest.approx(numerical["KL(q||p)"].value, rel=1e-3, abs=1e-6)


def test_divergence_values_vectorise_over_curve_points():
    shifts = np.linspace(-3, 3, 7)
    curves = dv.divergence_values(1.0 + shifts, 0.8, [1.0, -2.0], [0.5, 1.5], [0.6, 0.4])
    for i, shift in enumerate(shifts):
        pointwise = dv.numerical_divergences(1.0 + shift, 0.8, [1.0, -2.0], [0.5, 1.5], [0.6, 0.4])
        for name, values in curves.items():
            assert values[i] == pytest.approx(pointwise[name].value, rel=1e-4)


# ---------------------------------------------------------------------------------------------------
# The tab's endpoint: figures, table, bad input


def test_endpoint_returns_valid_figures_and_the_table():
    from demos.divergences import DEFAULTS, HEADERS, divergences

    *figures, table = divergences(**{**DEFAULTS, "mixture": True})
    for figure in figures:
        go.Figure(figure.to_dict())  # built without validation for speed; a bad property would raise here
    assert HEADERS == ["quantity", "closed_form", "numerical", "abs_error"]
    assert [row[0] for row in table] == ["KL(p||q)", "KL(q||p)", "D_CS(p,q)"]
    assert table[0][1] is None and table[1][1] is None  # KL against a mixture has no closed form
    assert table[2][1] == pytest.approx(table[2][2], abs=1e-8)


def _table_rows(result):
    table = result[-1]
    assert table["headers"] == ["quantity", "closed_form", "numerical", "abs_error"]
    return {row[0]: row[1:] for row in table["data"]}


@pytest.mark.slow
def test_api_equal_variances_show_cs_as_half_kl(client):
    rows = _table_rows(client.predict(mu1=-1.0, sigma1=0.8, mu2=1.5, sigma2=0.8, api_name="/divergences"))
    assert set(rows) == {"KL(p||q)", "KL(q||p)", "D_CS(p,q)"}
    for closed, numerical, abs_error in rows.values():
        assert abs(closed - numerical) <= 1e-8 and 0 <= abs_error < 1e-8
    assert rows["D_CS(p,q)"][0] == pytest.approx(rows["KL(p||q)"][0] / 2, rel=1e-12)
    assert rows["KL(p||q)"][0] == pytest.approx(2.5**2 / (2 * 0.8**2), rel=1e-12)


@pytest.mark.slow
def test_api_mixture(client):
    rows = _table_rows(
        client.predict(
            mu1=0.0,
            sigma1=1.0,
            mu2=1.0,
            sigma2=0.5,
            mixture=True,
            mu3=-2.0,
            sigma3=1.5,
            weight=0.4,
            api_name="/divergences",
        )
    )
    assert rows["KL(p||q)"][0] is None and rows["KL(p||q)"][1] > 0
    expected = dv.cs_gaussian_mixture(0.0, 1.0, [1.0, -2.0], [0.5, 1.5], [0.6, 0.4])
    assert rows["D_CS(p,q)"][0] == pytest.approx(expected, rel=1e-12)


BAD_INPUTS = [
    ({"sigma1": 0.0}, "sigma1"),
    ({"sigma2": -1.0}, "sigma2"),
    ({"mu1": float("nan")}, "mu1"),
    ({"mu2": float("inf")}, "mu2"),
    ({"mu1": 1e6}, "mu1"),
    ({"sigma1": "wide"}, "sigma1"),
    ({"sigma2": None}, "sigma2"),
    ({"weight": 1.0}, "weight"),
    ({"weight": 0.0}, "weight"),
    ({"sigma3": 0.0}, "sigma3"),
    ({"mixture": "maybe"}, "mixture"),
]


@pytest.mark.parametrize(("change", "named"), BAD_INPUTS)
def test_bad_input_is_one_sentence(change, named):
    from demos.divergences import DEFAULTS, divergences

    with pytest.raises(gr.Error) as caught:
        divergences(**{**DEFAULTS, "mixture": True, **change})
    assert named in caught.value.message and "Traceback" not in caught.value.message


@pytest.mark.slow
@pytest.mark.parametrize("change", [{"sigma1": 0.0}, {"weight": 1.5}, {"mu2": "x"}])
def test_api_bad_input_is_an_error(client, change):
    from gradio_client.exceptions import AppError

    arguments = {"mu1": 0.0, "sigma1": 1.0, "mu2": 1.0, "sigma2": 1.0, "mixture": True, **change}
    with pytest.raises(AppError):
        client.predict(**arguments, api_name="/divergences")


# ---------------------------------------------------------------------------------------------------
# One-way flow: the endpoint makes one call into models/, the figures only draw its result


def test_endpoint_makes_one_call_into_models(monkeypatch):
    from demos import divergences as tab

    calls = []
    real_compare = dv.compare
    monkeypatch.setattr(dv, "compare", lambda *args: calls.append(args) or real_compare(*args))
    tab.divergences(**{**tab.DEFAULTS, "mixture": True})
    assert len(calls) == 1


def test_every_route_validates_and_computes_once_in_the_one_view(monkeypatch):
    """The endpoint, the page's events, a drag's final view, a case and an answer are adapters of `view`: each
    calls it once, and it makes the one call into models/."""
    from demos import divergences as tab

    calls, real_view, real_compare = [], tab.view, dv.compare
    monkeypatch.setattr(tab, "view", lambda *args: calls.append("view") or real_view(*args))
    monkeypatch.setattr(dv, "compare", lambda *args: calls.append("compare") or real_compare(*args))
    routes = {
        "endpoint": lambda: tab.divergences(**tab.DEFAULTS),
        "page": lambda: tab.live_view(**tab.DEFAULTS),
        "drag": lambda: tab.drag_step({"mu1": 0.5, "moved": "mu1", "final": True}),
        "case": lambda: tab.apply_preset(next(iter(tab.PRESETS))),
        "answer": lambda: tab.show_answer(next(iter(tab.QUESTIONS))),
    }
    for route, call in routes.items():
        calls.clear()
        call()
        assert calls == ["view", "compare"], route


def test_rendering_never_calls_models(monkeypatch):
    from demos import divergences as tab

    d = tab.DEFAULTS
    result = dv.compare(d["mu1"], d["sigma1"], [d["mu2"]], [d["sigma2"]], [1.0], tab.SHIFTS, tab.SIGMA2_SWEEP)
    for name in dir(dv):
        if callable(getattr(dv, name)) and not isinstance(getattr(dv, name), type):
            monkeypatch.setattr(dv, name, lambda *args, _name=name, **kwargs: pytest.fail(f"render called dv.{_name}"))
    figures_and_table = tab.render(result, d["mu1"], d["sigma1"], d["mu2"], d["sigma2"])
    page = tab.page_view(result, **{**d, "mixture": False})
    assert len(figures_and_table) == len(page) == 4


def test_comparison_closed_forms_are_computed_once(monkeypatch):
    """closed_forms runs once for the current p and q (the two sweeps are other arguments)."""
    current = []
    real = dv.closed_forms

    def counting(mu_p, sigma_p, means, sds, weights):
        current.append(np.ndim(mu_p) == 0 and np.ndim(sds[0]) == 0)  # not a point of either sweep
        return real(mu_p, sigma_p, means, sds, weights)

    monkeypatch.setattr(dv, "closed_forms", counting)
    dv.compare(0.0, 1.0, [1.5], [0.7], [1.0], np.linspace(-1, 1, 5), np.geomspace(0.1, 5, 5))
    assert current.count(True) == 1


# ---------------------------------------------------------------------------------------------------
# Homework Q2a: D_CS ≤ min(KL(p‖q), KL(q‖p)), and what the tab says about it


def _min_kl(mu1, sigma1, mu2, sigma2):
    return np.minimum(dv.kl_gaussians(mu1, sigma1, mu2, sigma2), dv.kl_gaussians(mu2, sigma2, mu1, sigma1))


def test_cs_is_below_both_kls_for_every_pair_of_gaussians():
    """The homework panel's claim: any means, any variances (variance ratios up to 10⁶ here), ratio below 1."""
    shift, sigma1 = np.meshgrid(np.linspace(-10, 10, 401), np.geomspace(1e-3, 1e3, 241))
    cs, smallest = dv.cs_gaussians(shift, sigma1, 0.0, 1.0), _min_kl(shift, sigma1, 0.0, 1.0)
    different = (shift != 0) | (sigma1 != 1)
    assert np.all(cs[different] < smallest[different])
    assert np.max(cs[different] / smallest[different]) < 1
    # ... and no constant below 1 works: the "narrow p far from a wider q" case comes close (the text says ≈ 0.97).
    assert dv.cs_gaussians(-5.0, 0.1, 5.0, 0.8) / _min_kl(-5.0, 0.1, 5.0, 0.8) == pytest.approx(0.97, abs=0.005)
    assert dv.cs_gaussians(-50.0, 0.01, 50.0, 1.0) / _min_kl(-50.0, 0.01, 50.0, 1.0) > 0.999  # "tends to 1"


def test_variance_terms_of_the_proof():
    """h(r) = r − 1 − ½log r − log((1+r)/2) ≥ 0, zero only at r = 1: twice KL's variance term minus D_CS's."""
    r = np.geomspace(1e-6, 1e6, 2001)
    h = r - 1 - 0.5 * np.log(r) - np.log((1 + r) / 2)
    np.testing.assert_allclose(h, 2 * (dv.kl_gaussians(0, np.sqrt(r), 0, 1) - dv.cs_gaussians(0, np.sqrt(r), 0, 1)))
    assert np.all(h[r != 1] > 0)


def _multivariate_divergences(mean_p, cov_p, mean_q, cov_q):
    """KL(p‖q), KL(q‖p) and D_CS(p,q) for multivariate Gaussians, from the textbook formulas."""
    d = len(mean_p)

    def kl(m0, c0, m1, c1):
        inverse, delta = np.linalg.inv(c1), m1 - m0
        logdet = np.linalg.slogdet(c1)[1] - np.linalg.slogdet(c0)[1]
        return 0.5 * (np.trace(inverse @ c0) + delta @ inverse @ delta - d + logdet)

    delta, total = mean_p - mean_q, cov_p + cov_q
    cs = 0.5 * delta @ np.linalg.solve(total, delta) + 0.5 * np.linalg.slogdet(total / 2)[1]
    cs -= 0.25 * (np.linalg.slogdet(cov_p)[1] + np.linalg.slogdet(cov_q)[1])
    return kl(mean_p, cov_p, mean_q, cov_q), kl(mean_q, cov_q, mean_p, cov_p), cs


def test_cs_is_below_both_kls_for_multivariate_gaussians():
    rng = np.random.default_rng(9)
    for _ in range(500):
        d = rng.integers(1, 5)
        factors = [rng.normal(size=(d, d)) * np.exp(rng.uniform(-2, 2)) for _ in range(2)]
        cov_p, cov_q = (f @ f.T + 1e-3 * np.eye(d) for f in factors)
        kl_pq, kl_qp, cs = _multivariate_divergences(rng.normal(0, 3, d), cov_p, rng.normal(0, 3, d), cov_q)
        assert 0 < cs < min(kl_pq, kl_qp)
    # The textbook formula agrees with the tab's univariate closed form in one dimension.
    kl_pq, kl_qp, cs = _multivariate_divergences(np.array([0.3]), np.eye(1) * 0.25, np.array([-1.0]), np.eye(1) * 4)
    assert cs == pytest.approx(dv.cs_gaussians(0.3, 0.5, -1.0, 2.0), rel=1e-12)


def test_inequality_fails_for_the_mixture_case():
    """The counterexample the homework panel shows: p = N(0, 1), q = 0.7·N(0, 1) + 0.3·N(4, 0.1²)."""
    numerical = dv.numerical_divergences(0.0, 1.0, [0.0, 4.0], [1.0, 0.1], [0.7, 0.3])
    cs = dv.cs_gaussian_mixture(0.0, 1.0, [0.0, 4.0], [1.0, 0.1], [0.7, 0.3])
    assert cs == pytest.approx(numerical["D_CS(p,q)"].value, rel=1e-9)
    assert cs > numerical["KL(p||q)"].value + 0.1  # far beyond quad's error
    assert numerical["KL(p||q)"].value == pytest.approx(-np.log(0.7), abs=0.002)  # "close to −log 0.7"


def test_cs_is_non_negative_and_the_halfless_formula_is_not():
    """D_CS = −log(∫pq / √(∫p²∫q²)) ≥ 0 and scale-free; without the ½ factors it is negative for wide p = q."""

    def integrals(mu1, sigma1, mu2, sigma2):
        pq = dv.log_gaussian_overlap(mu1, sigma1, mu2, sigma2)
        return pq, dv.log_gaussian_overlap(mu1, sigma1, mu1, sigma1), dv.log_gaussian_overlap(mu2, sigma2, mu2, sigma2)

    mu1, sigma1, mu2, sigma2 = _random_pairs(seed=10)
    log_pq, log_pp, log_qq = integrals(mu1, sigma1, mu2, sigma2)
    np.testing.assert_allclose(-log_pq + 0.5 * log_pp + 0.5 * log_qq, dv.cs_gaussians(mu1, sigma1, mu2, sigma2))
    assert np.all(dv.cs_gaussians(mu1, sigma1, mu2, sigma2) > 0)
    # Rescaling x by 3 leaves D_CS unchanged, but changes the halfless version.
    log_pq3, log_pp3, log_qq3 = integrals(3 * mu1, 3 * sigma1, 3 * mu2, 3 * sigma2)
    np.testing.assert_allclose(-log_pq3 + 0.5 * log_pp3 + 0.5 * log_qq3, -log_pq + 0.5 * log_pp + 0.5 * log_qq)
    assert np.all(np.abs((-log_pq3 + log_pp3 + log_qq3) - (-log_pq + log_pp + log_qq)) > 0.1)
    sigma = np.array([0.1, 0.28, 0.29, 1.0, 5.0])
    log_integral = dv.log_gaussian_overlap(0.0, sigma, 0.0, sigma)  # log∫p², and ∫pq = ∫q² = ∫p² at p = q
    halfless = -log_integral + log_integral + log_integral
    np.testing.assert_allclose(halfless, -np.log(2 * sigma * np.sqrt(np.pi)))
    assert list(halfless < 0) == list(sigma > 1 / (2 * np.sqrt(np.pi)))  # negative beyond σ ≈ 0.28


# ---------------------------------------------------------------------------------------------------
# Presets and "Show answer": each sets the controls, and the numbers shown are the closed forms


TABLE_ROW = re.compile(r"<tr><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td></tr>")


def _shown(view):
    """(table rows by quantity as [closed form or None, numerical, abs error], ratio line) from the page's view."""
    *_charts, table = view
    rows = {
        name: [None if closed == "—" else float(closed), float(numerical), float(error)]
        for name, closed, numerical, error in TABLE_ROW.findall(table)
    }
    return rows, re.search(r"<p[^>]*>(.*)</p>", table).group(1)


SIX_DIGITS = 5e-6  # the page shows six significant digits: relative rounding error at most 5e-6


def _check_view_against_closed_forms(case, view):
    from demos import divergences as tab

    rows, ratio_line = _shown(view)
    assert list(rows) == tab.QUANTITIES
    if case["mixture"]:
        weights = [1 - case["weight"], case["weight"]]
        expected = {
            "D_CS(p,q)": dv.cs_gaussian_mixture(
                case["mu1"], case["sigma1"], [case["mu2"], case["mu3"]], [case["sigma2"], case["sigma3"]], weights
            )
        }
        assert rows["KL(p||q)"][0] is None and rows["KL(q||p)"][0] is None
    else:
        p, q = (case["mu1"], case["sigma1"]), (case["mu2"], case["sigma2"])
        expected = {"KL(p||q)": dv.kl_gaussians(*p, *q), "KL(q||p)": dv.kl_gaussians(*q, *p)}
        expected["D_CS(p,q)"] = dv.cs_gaussians(*p, *q)
    for name, value in expected.items():
        assert rows[name][0] == pytest.approx(value, rel=SIX_DIGITS, abs=1e-15), name
        assert rows[name][1] == pytest.approx(value, rel=SIX_DIGITS, abs=1e-10), name
    values = {name: rows[name][0] if rows[name][0] is not None else rows[name][1] for name in rows}
    smallest = min(values["KL(p||q)"], values["KL(q||p)"])
    if smallest == 0:
        assert "p = q" in ratio_line
    else:
        shown_ratio = float(re.search(r"D_CS / min KL = ([0-9.e+-]+)</b>", ratio_line).group(1))
        assert shown_ratio == pytest.approx(values["D_CS(p,q)"] / smallest, rel=3 * SIX_DIGITS)
    assert list(case) == tab.PARAMETERS


@pytest.mark.parametrize("name", list(__import__("demos.divergences", fromlist=["PRESETS"]).PRESETS))
def test_preset_sets_the_controls_and_shows_the_closed_forms(name):
    from demos import divergences as tab

    outputs = tab.apply_preset(name)
    controls, view = outputs[: len(tab.PARAMETERS)], outputs[len(tab.PARAMETERS) :]
    case = tab.PRESETS[name]
    assert list(controls) == [case[key] for key in tab.PARAMETERS]
    for key, value in case.items():  # every preset is a valid input of the public API
        if key != "mixture":
            low, high = {"mu": tab.MU_RANGE, "si": tab.SIGMA_RANGE, "we": tab.WEIGHT_RANGE}[key[:2]]
            assert low <= value <= high, (key, value)
    _check_view_against_closed_forms(case, view)


def test_show_answer_reveals_and_demonstrates():
    from demos import divergences as tab

    sections = tab_sections("divergences", "homework")
    assert set(sections) == {"intro"} | {f"{q}_{part}" for q in tab.QUESTIONS for part in ("question", "answer")}
    for question, case_name in tab.QUESTIONS.items():
        outputs = tab.show_answer(question)
        if case_name is None:  # one output: the answer alone (a 1-tuple would reach the Markdown as its value)
            assert isinstance(outputs, gr.Markdown) and outputs.visible is True
            continue
        assert outputs[0].visible is True
        controls = outputs[1 : 1 + len(tab.PARAMETERS)]
        assert list(controls) == [tab.PRESETS[case_name][key] for key in tab.PARAMETERS]
        _check_view_against_closed_forms(tab.PRESETS[case_name], outputs[1 + len(tab.PARAMETERS) :])


def test_answers_show_what_they_claim():
    from demos import divergences as tab

    def view_of(question):
        outputs = tab.show_answer(question)
        return _shown(outputs[1 + len(tab.PARAMETERS) :])

    rows, ratio_line = view_of("equal")  # "both KLs are 2, D_CS = 1, the ratio is ½"
    assert [rows[name][0] for name in tab.QUANTITIES] == pytest.approx([2.0, 2.0, 1.0], rel=1e-12)
    assert "D_CS / min KL = 0.5</b>" in ratio_line
    rows, ratio_line = view_of("mixture")  # "the ratio is above 1, D_CS above KL(p‖q)"
    assert rows["D_CS(p,q)"][1] > rows["KL(p||q)"][1] and "fails here" in ratio_line
    rows, ratio_line = view_of("negative")  # "p = q: every row of the table is 0"
    assert all(abs(value) < 1e-12 for row in rows.values() for value in row[:2]) and "p = q" in ratio_line
    _, ratio_line = view_of("unequal")  # "a ratio of about 0.97"
    assert "D_CS / min KL = 0.97" in ratio_line


# Phrases the tab once showed or that state a wrong fact; none may come back.
RETIRED_PHRASES = RETIRED["divergences"]["en"]


def test_tab_texts_contain_no_retired_phrase():
    from demos import divergences as tab

    texts = [tab_text("divergences", "explanation"), tab_text("divergences", "homework"), tab.TABLE_NOTE]
    texts += list(tab.PRESETS) + [tab.ratio_text(*_comparison_and_flag(case)) for case in tab.PRESETS.values()]
    for text in texts:
        flat = " ".join(text.split())
        for phrase in RETIRED_PHRASES:
            assert phrase.lower() not in flat.lower(), (phrase, flat[:200])


def _comparison_and_flag(case):
    from demos import divergences as tab

    params, result = tab.view(**case)
    return result, params["mixture"]


# ---------------------------------------------------------------------------------------------------
# The page draws the API's numbers: same table values (to six digits), same curves (to a tenth of an SVG unit)


def _api_and_page(case):
    from demos import divergences as tab

    params, result = tab.view(**case)
    return tab.render(result, **params), tab.page_view(result, **params), tab.live_view(**case)


@pytest.mark.parametrize(
    "preset", ["equal variances: D_CS = KL/2", "far-apart Gaussians", "mixture q: no closed form of KL is known"]
)
def test_page_shows_the_api_numbers_and_curves(preset):
    from demos import divergences as tab

    case = tab.PRESETS[preset]
    (figure_a, figure_b, figure_c, table), page, live = _api_and_page(case)
    assert page == live  # the page's handler draws exactly this
    rows, _ = _shown(page)
    for name, closed, numerical, error in table:
        assert rows[name][0] == (None if closed is None else float(f"{closed:.6g}"))
        assert rows[name][1] == float(f"{numerical:.6g}") and rows[name][2] == float(f"{error:.2g}")

    box = charts.BOX
    for figure, chart in [(figure_b, page[1]), (figure_c, page[2])]:
        log_x = figure.layout.xaxis.type == "log"
        y_top = figure.layout.yaxis.range[1]
        for trace in figure.data[::2]:  # the curves; the odd traces are the markers
            x, y = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
            points = chart_reading.polyline(chart, trace.name)
            inside = points[:, 1] > box["top"] + 0.05  # not a crossing of the top edge
            px = charts.scale(x, x[0], x[-1], box["left"], box["right"], log_x)
            py = charts.scale(y, 0.0, y_top, box["bottom"], box["top"])
            # Every drawn point is one of the API's points, to the SVG's 0.1-unit rounding.
            nearest = np.abs(points[inside, 0][:, None] - px[None, :]).argmin(axis=1)
            np.testing.assert_allclose(points[inside, 0], px[nearest], atol=0.051)
            np.testing.assert_allclose(points[inside, 1], py[nearest], atol=0.051)
            # ... and every API point on the chart is drawn.
            assert inside.sum() == np.sum(py > box["top"] + 0.05) > 0


def test_page_chart_clips_only_what_is_off_the_chart():
    px = np.array([0.0, 10.0, 20.0, 30.0, 40.0, 50.0])
    py = np.array([50.0, -50.0, 50.0, 60.0, np.nan, 70.0])  # leaves through the top (y = 0) and comes back
    runs = charts.visible_runs(px, py, top=0.0)
    np.testing.assert_allclose(runs[0], [[0, 50], [5, 0]])
    np.testing.assert_allclose(runs[1], [[15, 0], [20, 50], [30, 60]])
    np.testing.assert_allclose(runs[2], [[50, 70]])  # a value a log axis cannot show splits the line there


@pytest.mark.slow
def test_dragging_a_slider_updates_the_table(browser, app_url):
    """A student drags μ₁ on tab 2: the table's numbers follow while dragging, and the last one is the slider's."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, app_url)
    page.get_by_role("tab", name="KL vs Cauchy–Schwarz").click()
    panel = page.get_by_role("tabpanel").filter(visible=True).first
    slider = panel.get_by_label("range slider for μ₁", exact=True)
    table = panel.locator("table").first
    page.wait_for_timeout(1000)
    before = table.inner_text()
    press_and_move(page, slider, 10, slider.bounding_box()["width"] / 40)
    page.mouse.up()
    final = float(slider.input_value())
    assert final > 1.0
    from demos import divergences as tab

    expected = tab.live_view(**{**tab.DEFAULTS, "mu1": final})[3]
    kl_pq = f"{_shown([expected])[0]['KL(p||q)'][0]:.6g}"
    page.wait_for_function(
        "([el, text]) => el.innerText.includes(text)", arg=[table.element_handle(), kl_pq], timeout=15000
    )
    assert table.inner_text() != before
    # Gradio learned the dragged μ₁ without a queued event, and kept the hidden mixture sliders as they were: the
    # mixture's view, computed on the server from Gradio's values, is the one for μ₁ = final.
    panel.locator("#divergences-mixture input").check()
    mixture = tab.live_view(**{**tab.DEFAULTS, "mu1": final, "mixture": True})[3]
    kl_pq = f"{_shown([mixture])[0]['KL(p||q)'][1]:.6g}"  # numerical: a mixture has no closed form
    page.wait_for_function(
        "([el, text]) => el.innerText.includes(text)", arg=[table.element_handle(), kl_pq], timeout=15000
    )
    page.close()


def _open_tab(page, title="KL vs Cauchy–Schwarz"):
    page.get_by_role("tablist").first.wait_for()  # the app has mounted
    tab = page.get_by_role("tab", name=title)
    if tab.count() and tab.first.is_visible():
        tab.first.click()
    else:  # a phone: the tab sits in Gradio's overflow menu
        page.evaluate(
            "t => [...document.querySelectorAll('button')].filter(b => b.textContent.trim() === t).pop().click()", title
        )
    panel = page.get_by_role("tabpanel").filter(visible=True).first
    panel.get_by_label("range slider for μ₁", exact=True).wait_for()
    page.wait_for_timeout(500)
    return panel


@pytest.mark.slow
def test_sliders_sit_beside_or_above_their_plot(browser, app_url):
    """Projector (1280×720 at 150%: 853×480 CSS px): the sliders and chart (a) on the first screen. Phone (390 px):
    chart (a) starts within one screen of the σ₂ slider, and no chart, title or legend is wider than the screen."""
    page = browser.new_page(viewport={"width": 853, "height": 480}, device_scale_factor=1.5)
    open_app(page, app_url)
    panel = _open_tab(page)
    chart_a = panel.locator("svg").first.bounding_box()
    slider = panel.get_by_label("range slider for μ₁", exact=True).bounding_box()
    assert chart_a["y"] + chart_a["height"] <= 480 and slider["y"] + slider["height"] <= 480
    assert slider["x"] + slider["width"] <= chart_a["x"]  # beside it, on the left
    page.close()

    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=3)
    open_app(page, app_url)
    panel = _open_tab(page)
    sigma2 = panel.get_by_label("range slider for σ₂", exact=True).bounding_box()
    charts = panel.locator("svg")
    assert charts.count() == 3
    chart_a = charts.first.bounding_box()
    assert sigma2["y"] < chart_a["y"] <= sigma2["y"] + 844
    for index in range(3):
        box = charts.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        heading = charts.nth(index).locator("xpath=preceding-sibling::div[1]")
        assert heading.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), heading.inner_text()
    page.close()


# ---------------------------------------------------------------------------------------------------
# The page's language: a Persian page gets Persian charts, table and notes with the same numbers; the API English

PERSIAN = re.compile(r"[\u0600-\u06FF]")


class PageRequest:
    """What Gradio hands a UI event: the page's address in the Referer (API callers send none)."""

    def __init__(self, lang):
        self.query_params = {}
        self.headers = {"referer": f"http://127.0.0.1:7860/?tab=divergences&lang={lang}"}


FA, EN = PageRequest("fa"), PageRequest("en")


def _words(html: str) -> str:
    """The text a reader sees in a piece of the page's HTML/SVG, direction marks removed."""
    from demos import bidi

    return bidi.plain(re.sub(r"<[^>]+>", " ", html))


def _numbers_drawn(html: str) -> list:
    """Everything numeric a view draws: polylines, markers, tick labels and table cells."""
    points = re.findall(r'points="([^"]+)"', html)
    circles = re.findall(r'<circle cx="([^"]+)" cy="([^"]+)"', html)
    ticks = re.findall(r">([-0-9.e+]+)</text>", html)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    return [points, circles, ticks, cells]


@pytest.mark.parametrize("mixture", [False, True])
def test_a_persian_page_gets_persian_charts_table_and_notes_with_the_same_numbers(mixture):
    from demos import divergences as tab

    case = {**tab.DEFAULTS, "mixture": mixture}
    english = tab.live_view(**case, request=EN)
    persian = tab.live_view(**case, request=FA)
    titles = [t(f"divergences.{key}", "fa") for key in ("title_a", "title_b", "title_c")]
    for chart, english_chart, title in zip(persian[:3], english[:3], titles, strict=True):
        assert f'<b style="margin-right:0.6em">{title}</b>' in chart and PERSIAN.search(title)
        assert _numbers_drawn(chart) == _numbers_drawn(english_chart)
        assert ' dir="rtl"' in chart and ' direction="ltr"' in chart  # Persian head, the chart itself left to right
    assert PERSIAN.search(_words(re.search(r"<svg.*</svg>", persian[0]).group(0)))  # axis labels drawn in Persian
    assert t("divergences.legend_overlap", "fa") in persian[0]
    table, english_table = persian[3], english[3]
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", table)
    assert headers == [
        t(f"divergences.column.{c}", "fa") for c in ("quantity", "closed_form", "numerical", "abs_error")
    ]
    assert all(PERSIAN.search(header) for header in headers)
    assert re.search("<tbody>.*</tbody>", table).group(0) == re.search("<tbody>.*</tbody>", english_table).group(0)
    ratio, english_ratio = (re.search(r"<p[^>]*>(.*)</p>", t).group(1) for t in (table, english_table))
    assert PERSIAN.search(ratio) and not PERSIAN.search(english_ratio)
    number = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
    assert sorted(number.findall(_words(ratio))) == sorted(number.findall(_words(english_ratio)))
    assert '<p dir="rtl"' in table


def test_the_api_and_an_english_page_keep_todays_english():
    from demos import divergences as tab

    figures = tab.divergences(**tab.DEFAULTS)
    assert [figure.layout.title.text for figure in figures[:3]] == [
        "(a) densities and their overlap",
        "(b) against μ₁ − μ₂",
        "(c) against σ₂ / σ₁",
    ]
    assert figures[1].layout.xaxis.title.text == "μ₁ − μ₂"
    assert figures[2].layout.xaxis.title.text == "σ₂ / σ₁ (log scale)"
    assert figures[0].layout.yaxis.title.text == "density" and figures[1].layout.yaxis.title.text == "divergence (nats)"
    assert [trace.name for trace in figures[0].data] == ["p", "q", "p·q (right axis)"]
    view = tab.live_view(**tab.DEFAULTS)
    assert view == tab.live_view(**tab.DEFAULTS, request=EN)
    assert view[0].startswith('<div style="font-size:0.9em;margin:0 0 2px 0"><b style="margin-right:0.6em">(a) ')
    assert 'aria-label="density against x"' in view[0] and ">nats</text>" in view[1]
    assert '<th style="text-align:left">quantity</th>' in view[3] and "abs. error</th>" in view[3]
    assert "Two Gaussians: always below 1 (proof in the homework questions), ½ at equal variances." in view[3]
    assert "dir=" not in "".join(view) and "direction=" not in "".join(view)


@pytest.mark.parametrize(("change", "named"), BAD_INPUTS)
def test_a_persian_page_gets_persian_error_sentences_the_api_english_ones(change, named):
    from demos import divergences as tab

    arguments = {**tab.DEFAULTS, "mixture": True, **change}
    with pytest.raises(gr.Error) as api:
        tab.divergences(**arguments)
    with pytest.raises(gr.Error) as english:
        tab.live_view(**arguments, request=EN)
    with pytest.raises(gr.Error) as persian:
        tab.live_view(**arguments, request=FA)
    assert english.value.message == api.value.message and not PERSIAN.search(api.value.message)
    assert PERSIAN.search(persian.value.message) and named in persian.value.message


def test_presets_and_answers_draw_in_the_page_language():
    from demos import divergences as tab

    name = next(iter(tab.PRESETS))
    persian = tab.apply_preset(name, FA)[len(tab.PARAMETERS) :]
    assert persian == tab.live_view(**tab.PRESETS[name], request=FA) and PERSIAN.search(persian[3])
    assert tab.show_answer("equal", FA)[1 + len(tab.PARAMETERS) :] == tab.live_view(
        **tab.PRESETS[tab.QUESTIONS["equal"]], request=FA
    )
    assert tab.with_request(tab.apply_preset, name)(FA) == tab.apply_preset(name, FA)


def test_every_event_of_the_tab_that_draws_text_gets_the_request_from_gradio():
    """Gradio passes gr.Request by position and reads its type hint only on a plain function (not through a
    functools.partial): every event that draws the view must receive the request where its parameter is."""
    import inspect

    from demos import divergences as tab
    from demos.gradio_seam import events, with_request

    with gr.Blocks() as demo:
        tab.build()
    marker, drawing = object(), 0
    for block_fn in events(demo):
        if block_fn.fn is None or block_fn.api_visibility == "public":
            continue
        if "request" not in inspect.signature(block_fn.fn).parameters:
            assert len(block_fn.outputs) <= 1, f"{block_fn.fn} draws the view without knowing the page's language"
            continue
        arguments = with_request(block_fn.fn, [None] * len(block_fn.inputs), marker)
        assert inspect.signature(block_fn.fn).bind(*arguments).arguments["request"] is marker, block_fn.fn
        drawing += 1
    assert drawing == 1 + len(tab.PRESETS) + len(tab.QUESTIONS)
