"""Inference for the VAE tab, one function per view, each returning everything that view draws.

The network, its loss and its training are in models/vae.py; here a trained model is *used*: prior samples,
reconstructions, latent traversals, interpolations, the 2-D latent map, the per-digit terms of the ELBO, and
the sample-quality report (FID, IS, precision/recall, PRD, PPL). Images are decoder means: for each pixel the
Bernoulli probability of ink, p(x_i = 1 | z), shown as a grey level.
"""

import copy
from typing import NamedTuple

import numpy as np
import torch
from scipy.stats import norm

from models.latent_prior import GaussianMixture
from models.metrics import MnistEvaluator, PrdCurve, lerp
from models.vae import ConvVAE, per_digit_likelihood

QUALITY_SAMPLES = 2000  # default prior samples for the quality report: as many as the test split has digits
PRD_STRIDE = 10  # the report keeps every 10th of the 1,001 slopes of the PRD curve: 101 points draw it smoothly


def _on(model: ConvVAE, inputs: torch.Tensor) -> torch.Tensor:
    """Inputs on the model's device and in its dtype (float32, or bfloat16 for a preview copy: demos/vae/__init__.py)."""
    weight = next(model.parameters())
    return inputs.to(weight.device, weight.dtype)


def _means(model: ConvVAE, z: torch.Tensor) -> torch.Tensor:
    """Decoder means p(x_i = 1 | z), float32 on the CPU, whatever the model's device and dtype."""
    return torch.sigmoid(model.decode(_on(model, z)).float()).cpu()


@torch.no_grad()
def sample_images(
    model: ConvVAE, n: int, temperature: float = 1.0, seed: int = 0, prior: GaussianMixture | None = None
) -> torch.Tensor:
    """n digits decoded from prior codes (default N(0, I): z = temperature·ε), Bernoulli means in [0, 1],
    (n, 1, 28, 28). `prior` may be a mixture fitted to the training codes (models/latent_prior.py)."""
    model.eval()
    prior = prior or GaussianMixture.standard_normal(model.latent_dim)
    z = prior.sample(n, torch.Generator().manual_seed(seed), temperature)
    return _means(model, z)


@torch.no_grad()
def reconstruct(model: ConvVAE, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Decoder means at z = μ(x): the model's reconstruction of each digit, (N, 1, 28, 28) in [0, 1]."""
    model.eval()
    parts = [
        _means(model, model.encode(_on(model, images[s : s + batch_size]))[0])
        for s in range(0, len(images), batch_size)
    ]
    return torch.cat(parts)


@torch.no_grad()
def latent_activity(model: ConvVAE, images: torch.Tensor) -> torch.Tensor:
    """Variance over the digits of each μ_d (Burda et al., 2016): near 0 means dimension d is unused."""
    model.eval()
    mu, _ = model.encode(_on(model, images))
    return mu.float().var(dim=0).cpu()


class Traversal(NamedTuple):
    images: torch.Tensor  # (dims · steps, 1, 28, 28): row r varies dimension dims[r]
    digit: torch.Tensor  # (1, 1, 28, 28), the digit whose code is the centre
    dims: torch.Tensor  # latent dimensions in row order (most active first)
    offsets: torch.Tensor  # (steps,) added to μ_d(x), −span … +span


@torch.no_grad()
def traverse(model: ConvVAE, digit: torch.Tensor, dims: torch.Tensor, span: float, steps: int) -> Traversal:
    """Decode μ(x) + offset·e_d for each dimension d in `dims` and `steps` offsets from −span to +span."""
    model.eval()
    mu = model.encode(_on(model, digit))[0].float()
    directions = torch.eye(model.latent_dim, device=mu.device)[dims]  # (rows, latent)
    offsets = torch.linspace(-span, span, steps)
    codes = mu + offsets.to(mu.device)[None, :, None] * directions[:, None, :]  # (rows, steps, latent)
    images = _means(model, codes.reshape(-1, model.latent_dim))
    return Traversal(images, digit.cpu(), dims, offsets)


@torch.no_grad()
def interpolate(model: ConvVAE, ends: torch.Tensor, steps: int) -> torch.Tensor:
    """The first digit, the decoded straight line from μ(first) to μ(second) in `steps` points, the second
    digit: (steps + 2, 1, 28, 28)."""
    model.eval()
    mu = model.encode(_on(model, ends))[0].float()
    t = torch.linspace(0, 1, steps, device=mu.device)[:, None]
    path = _means(model, (1 - t) * mu[0] + t * mu[1])
    return torch.cat([ends[:1].cpu(), path, ends[1:].cpu()])


class LatentMap(NamedTuple):
    manifold: torch.Tensor  # (steps², 1, 28, 28), row by row from the top (z₂ high) to the bottom
    codes: np.ndarray  # (N, 2) μ(x) of each digit
    labels: np.ndarray  # (N,)


@torch.no_grad()
def latent_map(model: ConvVAE, images: torch.Tensor, labels: torch.Tensor, steps: int) -> LatentMap:
    """A 2-D model's decoder on a steps × steps grid of prior quantiles, and the encodings of the digits."""
    if model.latent_dim != 2:
        raise ValueError(f"The latent map needs a 2-D latent, this model has {model.latent_dim}.")
    model.eval()
    # Equally spaced prior quantiles: each cell covers the same prior mass (Kingma & Welling, 2014, fig. 4).
    quantiles = torch.tensor(norm.ppf(np.linspace(0.05, 0.95, steps)), dtype=torch.float32)
    z1, z2 = torch.meshgrid(quantiles, quantiles.flip(0), indexing="xy")  # z₂ grows upwards, like the scatter
    manifold = _means(model, torch.stack([z1, z2], dim=-1).reshape(-1, 2))
    mu, _ = model.encode(_on(model, images))
    return LatentMap(manifold, mu.float().cpu().numpy(), labels.numpy())


class DigitTerms(NamedTuple):
    """The terms of E_q[log p(x|z)] = log p(x) − KL(q(z|x) ‖ p(z|x)) + KL(q(z|x) ‖ p(z)) for one digit, in nats."""

    reconstruction: float  # E_q[−log p(x|z)]
    kl_prior: float  # KL(q(z|x) ‖ N(0, I)), exact
    cs_prior: float  # D_CS(q(z|x) ‖ N(0, I)), exact
    negative_log_likelihood: float  # −log p(x), IWAE estimate
    kl_posterior: float  # KL(q(z|x) ‖ p(z|x)) = log p(x) − ELBO, with the IWAE estimate of log p(x)


@torch.no_grad()
def digit_terms(model: ConvVAE, binary_digit: torch.Tensor, importance_samples: int, seed: int = 0) -> DigitTerms:
    """Each term of the ELBO's decomposition for one binary digit (1, 1, 28, 28)."""
    parts = per_digit_likelihood(model, binary_digit, importance_samples, torch.Generator().manual_seed(seed))
    reconstruction, kl, cs, nll = (
        parts[key].item() for key in ("reconstruction", "kl", "cs", "negative_log_likelihood")
    )
    return DigitTerms(reconstruction, kl, cs, nll, reconstruction + kl - nll)


class QualityReport(NamedTuple):
    rows: dict[str, float]  # the `/vae_metrics` rows, in order
    prd: PrdCurve  # F-scores from the whole curve; the curve itself at every PRD_STRIDE-th slope


def reconstruction_fid(model: ConvVAE, evaluator: MnistEvaluator, test_images: torch.Tensor) -> float:
    """FID of the reconstructions of the test split (deterministic: decoder means at z = μ)."""
    return evaluator.evaluate(reconstruct(model, test_images))["fid"]


def path_length(model: ConvVAE, evaluator: MnistEvaluator, n: int, seed: int, prior: GaussianMixture | None = None):
    """Perceptual path length of the decoder (means in [0, 1]) in the classifier's feature space, float64.

    Paths run between two prior codes: great circles for N(0, I) (StyleGAN's Z), straight lines between codes
    of a fitted mixture (like StyleGAN's non-Gaussian W)."""
    decoder = copy.deepcopy(model).double().eval()
    path = {}
    if prior is not None and not prior.is_standard_normal:
        mixture = copy.deepcopy(prior).double()
        path = {"sample_codes": lambda count, generator: mixture.sample(count, generator), "interpolate": lerp}

    def decode(z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(decoder.decode(_on(decoder, z)))

    return evaluator.path_length(decode, model.latent_dim, n, seed, **path)


def quality_report(
    model: ConvVAE,
    evaluator: MnistEvaluator,
    n: int,
    seed: int,
    fid_reconstructions: float,
    prior: GaussianMixture | None = None,
) -> QualityReport:
    """Every sample-quality number of n prior samples (temperature 1), beside the (cached) reconstruction FID.

    `evaluator` is a models.metrics.MnistEvaluator (features of an MNIST classifier, not Inception); `prior`
    defaults to N(0, I)."""
    scores = evaluator.evaluate(sample_images(model, n, seed=seed, prior=prior), seed=seed)
    ppl = path_length(model, evaluator, n, seed, prior)
    rows = {
        "FID samples": scores["fid"],
        "FID reconstructions": fid_reconstructions,
        "IS samples": scores["inception_score"],
        "precision": scores["precision"],
        "recall": scores["recall"],
        "PPL": ppl.mean,
        "PPL standard error": ppl.standard_error,
        "F8 (PRD)": scores["f8"],
        "F1/8 (PRD)": scores["f1_8"],
    }
    prd = scores["prd"]
    return QualityReport(rows, prd._replace(precision=prd.precision[::PRD_STRIDE], recall=prd.recall[::PRD_STRIDE]))
