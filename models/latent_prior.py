"""A prior for a trained VAE's latent space: N(0, I), or a Gaussian mixture fitted to the training digits' codes.

A VAE is trained with p(z) = N(0, I), but its regularizer only pulls each posterior q(z|x) towards that prior:
the aggregate posterior q(z) = E_x q(z|x), the region where the decoder learned to draw digits, keeps holes and
dense spots. A prior sample that lands in a hole decodes into something that is no digit. Fitting a mixture of
Gaussians to draws of q(z) after training ("ex-post density estimation", Ghosh et al. 2020, §4; the two-stage VAE
of Dai & Wipf 2019 fits a second VAE instead) puts the prior where the decoder was trained. The decoder is
unchanged: the fitted mixture is another prior of the same kind of generative model p(x) = ∫ p(x|z) p(z) dz, and
its likelihood is measured the same way (IWAE with the mixture's log p(z)).

The standard normal is the one-component mixture with mean 0 and covariance I, so every caller takes one type.
"""

import math

import torch
from torch import nn
from tqdm import tqdm

LOG_2PI = math.log(2 * math.pi)


class GaussianMixture(nn.Module):
    """p(z) = Σ_k w_k N(z; m_k, L_k L_kᵀ) over a `latent_dim`-dimensional space. Buffers, not parameters: the
    mixture is fitted by EM (fit_mixture), not by gradient descent."""

    def __init__(self, components: int, latent_dim: int):
        super().__init__()
        self.components, self.latent_dim = components, latent_dim
        self.config = {"components": components, "latent_dim": latent_dim}  # constructor arguments (checkpoints)
        self.register_buffer("log_weights", torch.full((components,), -math.log(components)))
        self.register_buffer("means", torch.zeros(components, latent_dim))
        self.register_buffer("scale_tril", torch.eye(latent_dim).repeat(components, 1, 1))

    @classmethod
    def standard_normal(cls, latent_dim: int) -> "GaussianMixture":
        """N(0, I): what every VAE here was trained with."""
        return cls(1, latent_dim)

    @property
    def is_standard_normal(self) -> bool:
        identity = torch.eye(self.latent_dim, dtype=self.scale_tril.dtype, device=self.scale_tril.device)
        return self.components == 1 and not self.means.any() and torch.equal(self.scale_tril[0], identity)

    def component_log_probs(self, z: torch.Tensor) -> torch.Tensor:
        """log N(z; m_k, L_k L_kᵀ) for z of shape (..., d) and every component k: shape (..., K)."""
        # With y = L_k⁻¹(z − m_k) the Mahalanobis distance is ‖y‖², and log det Σ_k = 2 Σ log diag L_k.
        identity = torch.eye(self.latent_dim, dtype=self.scale_tril.dtype, device=self.scale_tril.device)
        inverse = torch.linalg.solve_triangular(self.scale_tril, identity.expand_as(self.scale_tril), upper=False)
        shift = (inverse @ self.means.unsqueeze(-1)).squeeze(-1)  # L_k⁻¹ m_k, (K, d)
        solved = torch.einsum("kij,...j->...ki", inverse, z) - shift  # (..., K, d)
        log_det = 2 * self.scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)  # (K,)
        return -0.5 * (self.latent_dim * LOG_2PI + log_det + solved.square().sum(-1))

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) = log Σ_k w_k N(z; m_k, L_k L_kᵀ) for z of shape (..., d): shape (...)."""
        return torch.logsumexp(self.log_weights + self.component_log_probs(z), dim=-1)

    def sample(self, n: int, generator: torch.Generator, temperature: float = 1.0) -> torch.Tensor:
        """n codes z = m_c + T·L_c ε, c ~ w, ε ~ N(0, I) (T scales each draw's deviation from its component's
        centre; for N(0, I) that is z = T·ε). ε is drawn first, so N(0, I) gives the same codes as torch.randn."""
        dtype = self.means.dtype
        eps = torch.randn(n, self.latent_dim, generator=generator, dtype=dtype)
        if self.components == 1:
            component = torch.zeros(n, dtype=torch.long)
        else:
            component = torch.multinomial(self.log_weights.exp().cpu(), n, replacement=True, generator=generator)
        component = component.to(self.means.device)
        deviation = (self.scale_tril[component] @ eps.to(self.means.device).unsqueeze(-1)).squeeze(-1)
        return self.means[component] + temperature * deviation


@torch.no_grad()
def fit_mixture(
    codes: torch.Tensor, components: int, seed: int, iterations: int = 200, ridge: float = 1e-4
) -> GaussianMixture:
    """Maximum-likelihood Gaussian mixture with full covariances, by EM (Dempster, Laird & Rubin 1977) in float64.

    Starts from `components` distinct codes chosen at random as means and the codes' own covariance for every
    component; `ridge`·I keeps each covariance invertible. Stops after `iterations` or when the mean
    log-likelihood gains less than 1e-6 nats per code."""
    z = codes.double()
    n, d = z.shape
    generator = torch.Generator().manual_seed(seed)
    mixture = GaussianMixture(components, d).double()
    mixture.means = z[torch.randperm(n, generator=generator)[:components]].clone()
    covariance = torch.cov(z.T) + ridge * torch.eye(d, dtype=z.dtype)
    mixture.scale_tril = torch.linalg.cholesky(covariance).repeat(components, 1, 1)
    previous = -math.inf
    for _ in tqdm(range(iterations), desc=f"EM, {components} components", leave=False):
        # E step: responsibilities r_ik = p(component k | z_i).
        weighted = mixture.log_weights + mixture.component_log_probs(z)  # (n, K)
        log_likelihood = torch.logsumexp(weighted, dim=1)
        responsibility = (weighted - log_likelihood[:, None]).exp()
        # M step: weights, means and covariances that maximise the expected complete-data log-likelihood.
        mass = responsibility.sum(0) + 1e-12  # (K,)
        mixture.log_weights = (mass / n).log()
        mixture.means = (responsibility.T @ z) / mass[:, None]
        second_moments = (responsibility.T[:, :, None] * z).transpose(1, 2) @ z / mass[:, None, None]  # (K, d, d)
        covariances = second_moments - mixture.means[:, :, None] * mixture.means[:, None, :]
        mixture.scale_tril = torch.linalg.cholesky(covariances + ridge * torch.eye(d, dtype=z.dtype))
        mean_log_likelihood = log_likelihood.mean().item()
        if mean_log_likelihood - previous < 1e-6:
            break
        previous = mean_log_likelihood
    return mixture.float()
