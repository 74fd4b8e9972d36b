"""KL and Cauchy–Schwarz divergences between Gaussians, in closed form and by numerical integration.

For p = N(μ₁, σ₁²) and q = N(μ₂, σ₂²):

    KL(p‖q)   = log(σ₂/σ₁) + (σ₁² + (μ₁−μ₂)²) / (2σ₂²) − ½
    D_CS(p,q) = −log∫pq + ½log∫p² + ½log∫q²
              = (μ₁−μ₂)² / (2(σ₁²+σ₂²)) + ½·log((σ₁²+σ₂²) / (2σ₁σ₂))

D_CS only needs integrals of products of two Gaussians, ∫N(x; a, A)N(x; b, B)dx = N(a; b, A+B), so it
stays in closed form when q is a Gaussian mixture; KL has a log of a sum inside its integral and does not.

A diagonal Gaussian against N(0, I) is the sum of its univariate terms. The VAE trains with the
PyTorch versions (written in log-variance, the parameter an encoder outputs); the NumPy versions sum
the univariate closed forms above, so the two are independent implementations checked against each other.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------------
# Univariate Gaussians, closed forms (NumPy, broadcasting)


def kl_gaussians(mu_p, sigma_p, mu_q, sigma_q):
    """KL(N(mu_p, sigma_p²) ‖ N(mu_q, sigma_q²)), elementwise."""
    mu_p, sigma_p, mu_q, sigma_q = map(np.asarray, (mu_p, sigma_p, mu_q, sigma_q))
    return np.log(sigma_q / sigma_p) + (sigma_p**2 + (mu_p - mu_q) ** 2) / (2 * sigma_q**2) - 0.5


def cs_gaussians(mu_p, sigma_p, mu_q, sigma_q):
    """D_CS(N(mu_p, sigma_p²), N(mu_q, sigma_q²)), elementwise; symmetric in p and q."""
    mu_p, sigma_p, mu_q, sigma_q = map(np.asarray, (mu_p, sigma_p, mu_q, sigma_q))
    variance_sum = sigma_p**2 + sigma_q**2
    return (mu_p - mu_q) ** 2 / (2 * variance_sum) + 0.5 * np.log(variance_sum / (2 * sigma_p * sigma_q))


# ---------------------------------------------------------------------------------------------------
# Diagonal Gaussian N(mu, diag exp(logvar)) against N(0, I), summed over the last dimension


def kl_to_standard_normal(mu, logvar):
    """KL(N(mu, diag σ²) ‖ N(0, I)) with σ² = exp(logvar); NumPy, shape = mu.shape[:-1]."""
    return kl_gaussians(mu, np.exp(0.5 * np.asarray(logvar)), 0.0, 1.0).sum(axis=-1)


def cs_to_standard_normal(mu, logvar):
    """D_CS(N(mu, diag σ²), N(0, I)) with σ² = exp(logvar); NumPy, shape = mu.shape[:-1]."""
    return cs_gaussians(mu, np.exp(0.5 * np.asarray(logvar)), 0.0, 1.0).sum(axis=-1)


def kl_to_standard_normal_torch(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²); differentiable, shape (batch,)."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)


def cs_to_standard_normal_torch(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """D_CS(N(mu, diag σ²) ‖ N(0, I)) = Σ μ²/(2(σ²+1)) + ½·log((σ²+1)/(2σ)); differentiable, shape (batch,).

    Written in logvar so no σ² is ever formed: 1/(σ²+1) = sigmoid(−logvar) and
    log(σ²+1) = softplus(logvar) stay finite for any logvar an encoder can output.
    """
    mean_term = 0.5 * mu.pow(2) * torch.sigmoid(-logvar)
    spread_term = 0.5 * (F.softplus(logvar) - math.log(2.0) - 0.5 * logvar)
    return (mean_term + spread_term).sum(dim=-1)
