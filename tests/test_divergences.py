"""Divergences between Gaussians: closed forms, numerical checks, PyTorch gradients, and the /divergences API."""

import itertools

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from scipy.integrate import quad

from models import divergences as dv


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


def test_rendering_never_calls_models(monkeypatch):
    from demos import divergences as tab

    d = tab.DEFAULTS
    result = dv.compare(d["mu1"], d["sigma1"], [d["mu2"]], [d["sigma2"]], [1.0], tab.SHIFTS, tab.SIGMA2_SWEEP)
    for name in dir(dv):
        if callable(getattr(dv, name)) and not isinstance(getattr(dv, name), type):
            monkeypatch.setattr(dv, name, lambda *args, _name=name, **kwargs: pytest.fail(f"render called dv.{_name}"))
    figures_and_table = tab.render(result, d["mu1"], d["sigma1"], d["mu2"], d["sigma2"])
    assert len(figures_and_table) == 4


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
