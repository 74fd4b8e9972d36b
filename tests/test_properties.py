"""Property-based tests (hypothesis) over the math functions' whole input domains."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from models.divergences import (
    cs_gaussians,
    cs_to_standard_normal,
    cs_to_standard_normal_torch,
    kl_gaussians,
    kl_to_standard_normal_torch,
)
from models.estimators import ESTIMATORS, OBJECTIVES, exact_variances, true_gradient
from models.metrics import frechet_distance

means = st.floats(-50, 50)
scales = st.floats(1e-3, 1e3)
logvars = st.floats(-80, 80)


@given(means, scales, means, scales)
def test_cs_is_symmetric_nonnegative_and_finite(mu1, s1, mu2, s2):
    forward, backward = cs_gaussians(mu1, s1, mu2, s2), cs_gaussians(mu2, s2, mu1, s1)
    assert np.isfinite(forward)
    assert forward >= 0
    assert forward == pytest.approx(backward, rel=1e-12, abs=1e-15)


@given(means, scales, means, scales)
def test_kl_is_nonnegative(mu1, s1, mu2, s2):
    # −1e-12 absorbs rounding where the closed form subtracts nearly equal terms.
    assert kl_gaussians(mu1, s1, mu2, s2) >= -1e-12


@given(means, scales, means)
def test_cs_is_half_of_kl_at_equal_variances(mu1, sigma, mu2):
    assert cs_gaussians(mu1, sigma, mu2, sigma) == pytest.approx(kl_gaussians(mu1, sigma, mu2, sigma) / 2, rel=1e-9)


@given(st.lists(st.tuples(means, logvars), min_size=1, max_size=8))
def test_torch_regularizers_finite_with_finite_gradients_anywhere_an_encoder_can_go(pairs):
    mu = torch.tensor([[m for m, _ in pairs]], dtype=torch.float64, requires_grad=True)
    logvar = torch.tensor([[v for _, v in pairs]], dtype=torch.float64, requires_grad=True)
    for regularizer in (kl_to_standard_normal_torch, cs_to_standard_normal_torch):
        value = regularizer(mu, logvar)
        (grad_mu, grad_logvar) = torch.autograd.grad(value.sum(), (mu, logvar))
        assert torch.isfinite(value).all() and value.item() >= -1e-9
        assert torch.isfinite(grad_mu).all() and torch.isfinite(grad_logvar).all()
    numpy_value = cs_to_standard_normal(mu.detach().numpy(), logvar.detach().numpy())
    assert cs_to_standard_normal_torch(mu, logvar).item() == pytest.approx(float(numpy_value[0]), rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None, derandomize=True)  # the same examples on every run
@given(
    st.sampled_from(sorted(OBJECTIVES)),
    st.floats(-3, 3),
    st.floats(-4, 4),
    st.integers(1, 10_000),
)
def test_exact_variances_are_finite_and_nonnegative(f, m, mu, n):
    assume(f != "gaussian" or m > 0)  # exp(−m·z²) has no finite mean for m ≤ 0; the app refuses it
    variances = exact_variances(f, m, mu, n)
    assert set(variances) == set(ESTIMATORS)
    for name, variance in variances.items():
        assert np.isfinite(variance) and variance >= -1e-12, (name, variance)
    assert np.isfinite(true_gradient(f, m, mu))


@settings(max_examples=40, deadline=None, derandomize=True)  # the same examples on every run
@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_frechet_distance_is_nonnegative_and_zero_on_itself(dim, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(dim, dim)), rng.normal(size=(dim, dim))
    mu1, mu2 = rng.normal(size=dim), rng.normal(size=dim)
    sigma1, sigma2 = a @ a.T, b @ b.T
    scale = 1 + np.trace(sigma1) + np.trace(sigma2)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) >= -1e-9 * scale
    assert abs(frechet_distance(mu1, sigma1, mu1, sigma1)) <= 1e-9 * scale
