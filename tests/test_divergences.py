"""Divergences between Gaussians: closed forms, numerical checks, PyTorch gradients, and the /divergences API."""

import numpy as np
import pytest
import torch

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
