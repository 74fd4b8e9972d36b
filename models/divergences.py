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

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from scipy.integrate import quad
from scipy.special import logsumexp

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


# ---------------------------------------------------------------------------------------------------
# q a Gaussian mixture Σ_k w_k N(means_k, sds_k²): D_CS in closed form


def log_gaussian_overlap(mean_a, sd_a, mean_b, sd_b):
    """log ∫N(x; a, A)N(x; b, B)dx = log N(a; b, A + B), elementwise (A = sd_a², B = sd_b²)."""
    variance = np.asarray(sd_a) ** 2 + np.asarray(sd_b) ** 2
    return -0.5 * (np.asarray(mean_a) - mean_b) ** 2 / variance - 0.5 * np.log(2 * np.pi * variance)


def cs_gaussian_mixture(mu_p, sigma_p, means, sds, weights):
    """D_CS(N(mu_p, sigma_p²), Σ_k weights_k N(means_k, sds_k²)) in closed form.

    means, sds and weights are sequences over components; every entry (and mu_p, sigma_p) may be an
    array over curve points, all broadcasting together. Each integral is a sum of Gaussian overlaps,
    added in log space (logsumexp) so that far-apart components cannot underflow.
    """
    n = len(means)
    mu_p, sigma_p, *per_component = np.broadcast_arrays(mu_p, sigma_p, *means, *sds, *weights)
    means, sds, weights = (np.stack(per_component[i * n : (i + 1) * n], axis=-1) for i in range(3))
    mu_p, sigma_p, log_weights = mu_p[..., None], sigma_p[..., None], np.log(weights)
    log_pq = logsumexp(log_weights + log_gaussian_overlap(mu_p, sigma_p, means, sds), axis=-1)
    log_pp = log_gaussian_overlap(mu_p, sigma_p, mu_p, sigma_p)[..., 0]
    pairs = log_gaussian_overlap(means[..., :, None], sds[..., :, None], means[..., None, :], sds[..., None, :])
    log_qq = logsumexp(log_weights[..., :, None] + log_weights[..., None, :] + pairs, axis=(-2, -1))
    return -log_pq + 0.5 * log_pp + 0.5 * log_qq


# ---------------------------------------------------------------------------------------------------
# Numerical integration (scipy.integrate.quad): the check of every closed form, and KL for mixtures

HALF_WIDTH = 10.0  # integrate over ±10 scales around the mass: a Gaussian's tail beyond holds < 1e-22
QUAD_OPTIONS = {"epsabs": 1e-10, "epsrel": 1e-9, "limit": 200}  # at least 10× tighter than the 1e-8 promised
LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
SQRT_2PI = math.sqrt(2 * math.pi)


class Numerical(NamedTuple):
    value: float
    abs_error: float  # quad's error estimate, carried through the logs and sums that build the value


# quad evaluates the densities a few thousand times per request, one float at a time; NumPy's per-call
# overhead would then be most of the cost, so plain floats take the math module's path (same formula).


def _log(value):
    return math.log(value) if isinstance(value, float) else np.log(value)


def _logaddexp(a, b):
    """log(eᵃ + eᵇ) without overflow."""
    if isinstance(a, float) and isinstance(b, float):
        return max(a, b) + math.log1p(math.exp(-abs(a - b)))
    return np.logaddexp(a, b)


def log_normal_pdf(x, mean, sd):
    """log N(x; mean, sd²), elementwise."""
    return -0.5 * ((x - mean) / sd) ** 2 - _log(sd) - LOG_SQRT_2PI


def log_mixture_pdf(x, means, sds, weights):
    """log Σ_k w_k N(x; means_k, sds_k²), added pairwise in log space.

    A loop over the (few) components rather than a component axis: each mean and sd may itself be an
    array broadcasting with x (one mixture per curve point), and plain floats stay fast inside quad.
    """
    log_terms = [_log(w) + log_normal_pdf(x, m, s) for m, s, w in zip(means, sds, weights, strict=True)]
    return functools.reduce(_logaddexp, log_terms)


def integrate(f, centre, scale, breakpoints=()) -> Numerical:
    """∫ f(x) dx over centre ± HALF_WIDTH·scale, by quad in t = (x − centre)/scale.

    The substitution leaves the integral unchanged for any centre and scale; putting them on the
    integrand's mass is what keeps quad accurate when one density is 10⁴ times narrower than the
    other. Breakpoints (other densities' means) split the range where f has narrow features.
    """
    centre, scale = float(centre), float(scale)  # plain floats keep every evaluation on the fast path
    inner_breaks = {(b - centre) / scale for b in breakpoints} - {0.0}
    split_at = sorted(t for t in {0.0, *inner_breaks} if abs(t) < HALF_WIDTH)
    value, error = quad(lambda t: f(centre + scale * t), -HALF_WIDTH, HALF_WIDTH, points=split_at, **QUAD_OPTIONS)
    return Numerical(scale * value, scale * error)


def log_overlap_numerical(mean_a, sd_a, mean_b, sd_b) -> Numerical:
    """log ∫N(x; a, A)N(x; b, B)dx by quad, for checking log_gaussian_overlap.

    Integrated around the product's mass (precision-weighted mean, combined sd) with the log-integrand
    shifted by its value there, so the integral stays near 1 even where the overlap itself underflows.
    """
    precision = sd_a**-2 + sd_b**-2
    centre = (mean_a * sd_a**-2 + mean_b * sd_b**-2) / precision
    shift = log_normal_pdf(centre, mean_a, sd_a) + log_normal_pdf(centre, mean_b, sd_b)

    def shifted_product(x):
        return math.exp(log_normal_pdf(x, mean_a, sd_a) + log_normal_pdf(x, mean_b, sd_b) - shift)

    integral = integrate(shifted_product, centre, precision**-0.5)
    return Numerical(shift + math.log(integral.value), integral.abs_error / integral.value)


def _sum(terms: list[Numerical]) -> Numerical:
    return Numerical(sum(t.value for t in terms), sum(t.abs_error for t in terms))


def _log_sum(terms: list[Numerical]) -> Numerical:
    """log Σ exp(terms); the result's error is at most the largest term's, bounded here by their sum."""
    return Numerical(float(logsumexp([t.value for t in terms])), sum(t.abs_error for t in terms))


def numerical_divergences(mu_p, sigma_p, means, sds, weights) -> dict[str, Numerical]:
    """KL(p‖q), KL(q‖p) and D_CS(p,q) by quad for p = N(mu_p, sigma_p²) and q = Σ_k w_k N(means_k, sds_k²).

    KL(p‖q) = E_p[log p − log q] is integrated around p; KL(q‖p) = Σ_k w_k E_{q_k}[log q − log p] around
    each component, both split at q's means, where log q can bend sharply (log p is a plain parabola);
    D_CS from its three integrals ∫pq, ∫p², ∫q², each expanded into products of two Gaussians.
    """
    components = list(zip(means, sds, weights, strict=True))

    def log_p(x):
        return log_normal_pdf(x, mu_p, sigma_p)

    def log_q(x):
        return log_mixture_pdf(x, means, sds, weights)

    kl_pq = integrate(lambda x: math.exp(log_p(x)) * (log_p(x) - log_q(x)), mu_p, sigma_p, breakpoints=means)

    def kl_qp_share(m, s, w):  # w_k E_{q_k}[log q − log p]
        term = integrate(lambda x: math.exp(log_normal_pdf(x, m, s)) * (log_q(x) - log_p(x)), m, s, breakpoints=means)
        return Numerical(w * term.value, w * term.abs_error)

    kl_qp = _sum([kl_qp_share(m, s, w) for m, s, w in components])

    def weighted_overlap(log_weight, *gaussians):
        overlap = log_overlap_numerical(*gaussians)
        return Numerical(log_weight + overlap.value, overlap.abs_error)

    log_pq = _log_sum([weighted_overlap(math.log(w), mu_p, sigma_p, m, s) for m, s, w in components])
    log_pp = log_overlap_numerical(mu_p, sigma_p, mu_p, sigma_p)
    log_qq = _log_sum(  # ∫q² = Σ_j Σ_k w_j w_k ∫q_j q_k
        [weighted_overlap(math.log(wj * wk), mj, sj, mk, sk) for mj, sj, wj in components for mk, sk, wk in components]
    )
    cs = Numerical(
        -log_pq.value + 0.5 * log_pp.value + 0.5 * log_qq.value,
        log_pq.abs_error + 0.5 * log_pp.abs_error + 0.5 * log_qq.abs_error,
    )
    return {"KL(p||q)": kl_pq, "KL(q||p)": kl_qp, "D_CS(p,q)": cs}


# ---------------------------------------------------------------------------------------------------
# KL for mixtures along a whole curve at once: the trapezoid rule, vectorized


CURVE_HALF_WIDTH = 7.0  # a plot needs far less than quad's ±10: the Gaussian tail beyond ±7 holds < 1e-11


def kl_on_grid(mu_p, sigma_p, means, sds, weights):
    """(KL(p‖q), KL(q‖p)) for p = N(mu_p, sigma_p²), q = Σ_k w_k N(means_k, sds_k²), every argument an
    array over curve points (or a scalar); means, sds and weights are sequences over components.

    For the curves, where one quad per point would be too slow for live sliders: each expectation is
    the trapezoid rule in standardised coordinates, ∫φ(t)·g(m + s·t)dt. Its step is half the narrowest
    sd in units of s, which resolves the sharp bend where log q switches from one component to the
    other well enough for a plot (relative error below 1e-3, tested against quad); the table's numbers
    come from quad.
    """
    mu_p, sigma_p = np.asarray(mu_p, dtype=float)[..., None], np.asarray(sigma_p, dtype=float)[..., None]
    means, sds = (
        [np.asarray(m, dtype=float)[..., None] for m in means],
        [np.asarray(s, dtype=float)[..., None] for s in sds],
    )
    all_sds = [sigma_p, *sds]

    def expectation(g, mean, sd):  # E_{N(mean, sd²)}[g]
        step = 0.5 * min(1.0, min(float(np.min(other / sd)) for other in all_sds))
        t = np.arange(-CURVE_HALF_WIDTH, CURVE_HALF_WIDTH + step / 2, step)
        gaussian_weights = step * np.exp(-0.5 * t**2) / SQRT_2PI
        return (gaussian_weights * g(mean + sd * t)).sum(axis=-1)

    def log_ratio(x):  # log p − log q
        return log_normal_pdf(x, mu_p, sigma_p) - log_mixture_pdf(x, means, sds, weights)

    kl_pq = expectation(log_ratio, mu_p, sigma_p)
    kl_qp = sum(w * expectation(lambda x: -log_ratio(x), m, s) for m, s, w in zip(means, sds, weights, strict=True))
    return kl_pq, kl_qp


# ---------------------------------------------------------------------------------------------------
# What the tab shows: closed forms where they exist, every value along the curves, and the quad checks


def closed_forms(mu_p, sigma_p, means, sds, weights) -> dict[str, np.ndarray]:
    """Every divergence that has a closed form: all three for a single Gaussian q, only D_CS for a mixture."""
    if len(means) == 1:
        return {
            "KL(p||q)": kl_gaussians(mu_p, sigma_p, means[0], sds[0]),
            "KL(q||p)": kl_gaussians(means[0], sds[0], mu_p, sigma_p),
            "D_CS(p,q)": cs_gaussians(mu_p, sigma_p, means[0], sds[0]),
        }
    return {"D_CS(p,q)": cs_gaussian_mixture(mu_p, sigma_p, means, sds, weights)}


def divergence_values(mu_p, sigma_p, means, sds, weights, closed=None) -> dict[str, np.ndarray]:
    """KL(p‖q), KL(q‖p), D_CS(p,q) for the curves: the closed forms (passed in when already computed), and
    the trapezoid rule for the KLs that have none (q a mixture). Arguments as kl_on_grid."""
    values = dict(closed_forms(mu_p, sigma_p, means, sds, weights) if closed is None else closed)
    if len(means) > 1:
        values["KL(p||q)"], values["KL(q||p)"] = kl_on_grid(mu_p, sigma_p, means, sds, weights)
    return values


DENSITY_SPAN = 4.5  # the density plot reaches 4.5 sds beyond every component: the tails left out are < 1e-4 of a peak


def density_grid(centres, widths) -> np.ndarray:
    """Plot points: a coarse grid over every density plus a fine one around each, so narrow peaks stay smooth."""
    centres, widths = np.asarray(centres, dtype=float), np.asarray(widths, dtype=float)
    coarse = np.linspace(np.min(centres - DENSITY_SPAN * widths), np.max(centres + DENSITY_SPAN * widths), 200)
    fine = [np.linspace(c - DENSITY_SPAN * w, c + DENSITY_SPAN * w, 80) for c, w in zip(centres, widths, strict=True)]
    return np.sort(np.concatenate([coarse, *fine]))


@dataclass(frozen=True)
class Comparison:
    """Everything the tab shows for p = N(mu_p, sigma_p²) against q = Σ_k w_k N(means_k, sds_k²)."""

    x: np.ndarray  # the density plot's grid
    p: np.ndarray  # p(x) on it
    q: np.ndarray  # q(x) on it
    closed: dict[str, float]  # closed forms, only where one exists (all three for a Gaussian q, D_CS for a mixture)
    numerical: dict[str, Numerical]  # every divergence by quad, with quad's error estimate
    now: dict[str, float]  # the curves' values at p and q themselves: where the curves' markers sit
    shifts: np.ndarray  # μ_p − μ_q along curve (b): p slides past q
    shift_curves: dict[str, np.ndarray]
    sigma_ratios: np.ndarray  # σ_q/σ_p along curve (c): q's (first) component widens
    ratio_curves: dict[str, np.ndarray]

    @property
    def values(self) -> dict[str, float]:
        """The three divergences as shown: the closed form where one exists, else quad's value."""
        return {name: self.closed.get(name, check.value) for name, check in self.numerical.items()}

    @property
    def cs_over_min_kl(self) -> float:
        """D_CS / min(KL(p‖q), KL(q‖p)); nan when p = q, where all three vanish."""
        values = self.values
        smallest_kl = min(values["KL(p||q)"], values["KL(q||p)"])
        return values["D_CS(p,q)"] / smallest_kl if smallest_kl > 1e-12 else math.nan


def compare(mu_p, sigma_p, means, sds, weights, shifts, sigma_q_sweep) -> Comparison:
    """The densities, the quad checks and both sweeps for the tab, each computed once.

    shifts: the values of μ_p − means[0] for curve (b) (p moves, q stays); sigma_q_sweep: the values of
    sds[0] for curve (c) (q's first component widens, p stays).
    """
    x = density_grid([mu_p, *means], [sigma_p, *sds])
    closed = closed_forms(mu_p, sigma_p, means, sds, weights)
    sigma_q_sweep = np.asarray(sigma_q_sweep, dtype=float)
    return Comparison(
        x=x,
        p=np.exp(log_normal_pdf(x, mu_p, sigma_p)),
        q=np.exp(log_mixture_pdf(x, means, sds, weights)),
        closed={name: float(value) for name, value in closed.items()},
        numerical=numerical_divergences(mu_p, sigma_p, means, sds, weights),
        now={name: float(v) for name, v in divergence_values(mu_p, sigma_p, means, sds, weights, closed).items()},
        shifts=np.asarray(shifts, dtype=float),
        shift_curves=divergence_values(means[0] + np.asarray(shifts, dtype=float), sigma_p, means, sds, weights),
        sigma_ratios=sigma_q_sweep / sigma_p,
        ratio_curves=divergence_values(mu_p, sigma_p, means, [sigma_q_sweep, *sds[1:]], weights),
    )
