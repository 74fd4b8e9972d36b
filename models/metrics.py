"""Sample-quality metrics for generated MNIST digits, in the feature space of the digit classifier.

- Fréchet distance between the Gaussians fitted to real and generated features (FID, Heusel et al. 2017),
  here on MNIST-classifier features rather than Inception-v3 ones: "FID (MNIST-classifier features)".
- Inception-style score exp E_x KL(p(y|x) || p(y)) with the classifier's class probabilities (Salimans et al.
  2016): 1 when every image gets the same prediction, 10 (the number of classes) when each is classified
  with certainty and the classes are used equally.
- Improved precision and recall (Kynkäänniemi et al. 2019): the real and generated manifolds are each
  approximated by balls around every sample reaching its k-th nearest neighbour; precision is the share of
  generated samples inside the real manifold, recall the share of real samples inside the generated one.
- PRD curves (Sajjadi et al. 2018): both feature sets are clustered together by k-means; the two histograms
  over the clusters give a whole curve of (precision, recall) pairs, summarised by F_8 (recall-like) and
  F_1/8 (precision-like).
- Perceptual path length (Karras et al. 2019, §3.2): how much the decoded image changes, in feature space, per
  small step along a latent interpolation. LPIPS (the paper's perceptual space) needs downloaded VGG weights,
  unavailable offline; the classifier's features stand in for it here.

The reference (real) side is the test split: its features, mean and covariance are computed once by
scripts/train_classifier.py and stored in checkpoints/mnist_reference_stats.safetensors.
"""

import copy
import hashlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn

from models.checkpoints import RETRAIN_COMMANDS, CheckpointError, checkpoint_paths, load_model
from models.classifier import CLASSIFIER_NAME, DigitClassifier
from models.device import select_device

REFERENCE_NAME = "mnist_reference_stats"
INCEPTION_SPLITS = 10
NEAREST_NEIGHBOURS = 3
PRD_CLUSTERS = 20  # Sajjadi et al.'s defaults: 20 clusters, 10 clusterings averaged, 1,001 slopes
PRD_RUNS = 10
PRD_ANGLES = 1001
PPL_EPSILON = 1e-4  # Karras et al.'s step
MIN_IMAGES = max(INCEPTION_SPLITS, NEAREST_NEIGHBOURS + 1)


def _psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a symmetric positive semi-definite matrix (tiny negative eigenvalues -> 0)."""
    eigenvalues, eigenvectors = torch.linalg.eigh(matrix)
    return (eigenvectors * eigenvalues.clamp_min(0.0).sqrt()) @ eigenvectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)), the same value as pytorch-fid.

    pytorch-fid takes scipy.linalg.sqrtm of the non-symmetric product sigma1 sigma2, whose rounding noise
    turns complex for singular covariances (ReLU features that never fire). Only the trace of the root is
    needed: the sum of the square roots of the product's eigenvalues, which equal the eigenvalues of the
    symmetric PSD matrix sigma1^(1/2) sigma2 sigma1^(1/2), found stably by eigvalsh. Accepts arrays or
    tensors; computes in float64 with torch (NumPy's multi-threaded OpenBLAS crawled on this shared CPU).
    """
    mu1, mu2 = (torch.atleast_1d(torch.as_tensor(mu, dtype=torch.float64)) for mu in (mu1, mu2))
    sigma1, sigma2 = (torch.atleast_2d(torch.as_tensor(sigma, dtype=torch.float64)) for sigma in (sigma1, sigma2))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
        raise ValueError(
            f"Means {tuple(mu1.shape)}, {tuple(mu2.shape)} and covariances {tuple(sigma1.shape)}, "
            f"{tuple(sigma2.shape)} do not fit."
        )
    sqrt_sigma1 = _psd_sqrt(sigma1)
    product_eigenvalues = torch.linalg.eigvalsh(sqrt_sigma1 @ sigma2 @ sqrt_sigma1)
    trace_sqrt_product = product_eigenvalues.clamp_min(0.0).sqrt().sum()
    difference = mu1 - mu2
    return (difference @ difference + sigma1.trace() + sigma2.trace() - 2.0 * trace_sqrt_product).item()


def feature_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and unbiased covariance of features (N, F), in float64 like pytorch-fid's np.mean / np.cov."""
    features = features.detach().cpu().double()
    return features.mean(dim=0), torch.cov(features.T)


def inception_score(probs: torch.Tensor, splits: int = INCEPTION_SPLITS) -> tuple[float, float]:
    """Mean and standard deviation over `splits` chunks of exp(mean_x KL(p(y|x) || p(y))), p(y) per chunk."""
    probs = torch.as_tensor(probs, dtype=torch.float64)
    if len(probs) < splits:
        raise ValueError(f"The inception score needs at least {splits} images, got {len(probs)}.")
    scores = []
    for chunk in torch.tensor_split(probs, splits):
        marginal = chunk.mean(dim=0, keepdim=True)
        # xlogy(0, .) = 0, so classes that no image predicts contribute nothing instead of 0 * log 0 = NaN.
        kl = (torch.xlogy(chunk, chunk) - torch.xlogy(chunk, marginal)).sum(dim=1)
        scores.append(kl.mean().exp())
    scores = torch.stack(scores)
    return scores.mean().item(), scores.std(correction=0).item()  # population sd, as in Salimans et al.'s code


def _squared_distance_blocks(points: torch.Tensor, centres: torch.Tensor, rows_per_block: int = 1024):
    """Squared Euclidean distances from successive blocks of points to all centres, as |p|^2 - 2 p.c + |c|^2.

    One matrix product per block: about four times faster than torch.cdist on this CPU, and the balls below
    only compare distances, so no square root is needed. Callers reduce each block at once, so memory stays
    at rows_per_block x len(centres) however many samples there are.
    """
    centre_norms = centres.square().sum(dim=1)
    for block in points.split(rows_per_block):
        yield (block.square().sum(dim=1, keepdim=True) - 2.0 * block @ centres.T + centre_norms).clamp_min_(0.0)


def _squared_knn_radii(features: torch.Tensor, k: int) -> torch.Tensor:
    """Squared distance from each sample to its k-th nearest other sample (the k+1 smallest include itself)."""
    return torch.cat(
        [block.topk(k + 1, dim=1, largest=False).values[:, k] for block in _squared_distance_blocks(features, features)]
    )


def _share_inside(points: torch.Tensor, centres: torch.Tensor, squared_radii: torch.Tensor) -> float:
    """Fraction of points lying inside at least one ball (centre, radius)."""
    inside = torch.cat([(block <= squared_radii).any(dim=1) for block in _squared_distance_blocks(points, centres)])
    return inside.double().mean().item()


def precision_recall(
    real_features: torch.Tensor, fake_features: torch.Tensor, k: int = NEAREST_NEIGHBOURS
) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k-nearest-neighbour balls."""
    real_features, fake_features = real_features.float(), fake_features.float()
    if min(len(real_features), len(fake_features)) <= k:
        raise ValueError(f"Precision and recall with k = {k} need more than {k} samples per set.")
    precision = _share_inside(fake_features, real_features, _squared_knn_radii(real_features, k))
    recall = _share_inside(real_features, fake_features, _squared_knn_radii(fake_features, k))
    return precision, recall


def kmeans_labels(points: torch.Tensor, clusters: int, generator: torch.Generator, iterations: int = 30):
    """Cluster index of each point after Lloyd's algorithm from a k-means++ start (Arthur & Vassilvitskii 2007).

    Squared distances by one matrix product, the k-means++ distances updated one new centre at a time, and Lloyd
    stopped once no label changes (its fixed point); float32 is ample to compare distances. About 10 times faster
    than torch.cdist in float64 each step."""
    points = points.float()
    squared_norms = points.square().sum(dim=1)
    first = points[torch.randint(len(points), (1,), generator=generator)]
    centres = [first[0]]
    nearest = (points - first).square().sum(dim=1)  # squared distance to the nearest centre so far
    for _ in range(1, clusters):  # each next centre drawn with probability ∝ squared distance to the nearest one
        if nearest.sum() == 0:  # fewer distinct points than clusters: reuse one
            centres.append(centres[0])
            continue
        centre = points[torch.multinomial(nearest, 1, generator=generator)][0]
        centres.append(centre)
        nearest = torch.minimum(nearest, (points - centre).square().sum(dim=1))
    centres = torch.stack(centres)
    labels = None
    for _ in range(iterations + 1):
        distances = squared_norms[:, None] - 2.0 * points @ centres.T + centres.square().sum(dim=1)
        new_labels = distances.argmin(dim=1)
        if labels is not None and torch.equal(new_labels, labels):
            break
        labels = new_labels
        sums = torch.zeros_like(centres).index_add_(0, labels, points)
        counts = torch.bincount(labels, minlength=clusters).unsqueeze(1)
        centres = torch.where(counts > 0, sums / counts.clamp_min(1), centres)
    return new_labels


class PrdCurve(NamedTuple):
    precision: torch.Tensor  # (angles,) α(λ), one per slope λ
    recall: torch.Tensor  # (angles,) β(λ)
    f8: float  # max F_8 over the curve: high when the samples cover the real data (recall-like)
    f1_8: float  # max F_1/8: high when the samples lie where real data is (precision-like)


def prd_from_histograms(reference: torch.Tensor, model: torch.Tensor, angles: int = PRD_ANGLES):
    """α(λ) = Σ min(λ·P, Q) and β(λ) = α(λ)/λ for λ = tan θ, θ in (0, π/2): the PRD curve of Sajjadi et al.

    P is the reference (real) histogram, Q the model's. Identical histograms reach (1, 1) at λ = 1; histograms
    with no common cluster give (0, 0) everywhere.
    """
    reference, model = reference.double(), model.double()
    slopes = torch.tan(torch.linspace(1e-10, math.pi / 2 - 1e-10, angles, dtype=torch.float64))
    precision = torch.minimum(reference[None, :] * slopes[:, None], model[None, :]).sum(dim=1)
    return precision.clamp(0, 1), (precision / slopes).clamp(0, 1)


def max_f_beta(precision: torch.Tensor, recall: torch.Tensor, beta: float) -> float:
    """max over the curve of F_β = (1 + β²)·p·r / (β²·p + r)."""
    return ((1 + beta**2) * precision * recall / (beta**2 * precision + recall + 1e-10)).max().item()


def prd_curve(
    real_features: torch.Tensor,
    fake_features: torch.Tensor,
    clusters: int = PRD_CLUSTERS,
    runs: int = PRD_RUNS,
    seed: int = 0,
) -> PrdCurve:
    """The PRD curve (Sajjadi et al. 2018) of fake against real features, averaged over `runs` k-means clusterings
    of both sets together. The larger set is subsampled (seeded) to the smaller one's size, as the reference
    implementation requires equal sizes."""
    generator = torch.Generator().manual_seed(seed)
    size = min(len(real_features), len(fake_features))
    real = real_features[torch.randperm(len(real_features), generator=generator)[:size]]
    fake = fake_features[torch.randperm(len(fake_features), generator=generator)[:size]]
    precisions, recalls = [], []
    for _ in range(runs):
        labels = kmeans_labels(torch.cat([real, fake]), clusters, generator)
        reference = torch.bincount(labels[:size], minlength=clusters).double() / size
        model = torch.bincount(labels[size:], minlength=clusters).double() / size
        precision, recall = prd_from_histograms(reference, model)
        precisions.append(precision)
        recalls.append(recall)
    precision, recall = torch.stack(precisions).mean(dim=0), torch.stack(recalls).mean(dim=0)
    return PrdCurve(precision, recall, max_f_beta(precision, recall, 8.0), max_f_beta(precision, recall, 1 / 8))


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Great-circle interpolation between rows of a and b at fractions t (Karras et al.'s path in Z).

    Unlike StyleGAN's code the points are not first projected onto the unit sphere: a VAE's decoder does not
    normalise its input, and N(0, I) puts its mass near radius √d, where slerp between two draws stays.
    """
    cos_angle = ((a * b).sum(dim=1) / (a.norm(dim=1) * b.norm(dim=1))).clamp(-1, 1)
    angle = torch.acos(cos_angle)[:, None]
    t = t[:, None]
    return (torch.sin((1 - t) * angle) * a + torch.sin(t * angle) * b) / torch.sin(angle)


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Straight-line interpolation between rows of a and b at fractions t (Karras et al.'s path in W)."""
    return a + t[:, None] * (b - a)


class PathLength(NamedTuple):
    mean: float  # PPL: mean of the kept distances
    standard_error: float
    distances: torch.Tensor  # (n,) every pair's d(t)/ε², before the percentile filter
    kept: int  # pairs inside the 1st–99th percentile


@torch.no_grad()
def perceptual_path_length(
    decode: Callable[[torch.Tensor], torch.Tensor],
    features: Callable[[torch.Tensor], torch.Tensor],
    latent_dim: int,
    n: int,
    seed: int = 0,
    epsilon: float = PPL_EPSILON,
    batch_size: int = 500,
    sample_codes: Callable[[int, torch.Generator], torch.Tensor] | None = None,
    interpolate: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] = slerp,
) -> PathLength:
    """PPL (Karras et al. 2019, eq. 3): E ‖f(g(slerp(z₁, z₂; t))) − f(g(slerp(z₁, z₂; t + ε)))‖² / ε², with
    z₁, z₂ ~ N(0, I), t ~ U(0, 1), g the decoder and f the feature map. As in the StyleGAN code, pairs outside the
    1st–99th percentile are dropped before averaging. Run it in float64: the differences are ε-small.

    Another prior: `sample_codes(n, generator)` draws the ends (float64), and `interpolate` walks between them;
    StyleGAN uses slerp for its Gaussian z and lerp in its non-Gaussian W space."""
    generator = torch.Generator().manual_seed(seed)
    if sample_codes is None:

        def sample_codes(count: int, gen: torch.Generator) -> torch.Tensor:
            return torch.randn(count, latent_dim, generator=gen, dtype=torch.float64)

    first, second = sample_codes(n, generator), sample_codes(n, generator)
    t = torch.rand(n, generator=generator, dtype=torch.float64) * (1 - epsilon)
    distances = []
    for a, b, s in zip(first.split(batch_size), second.split(batch_size), t.split(batch_size), strict=True):
        here, there = features(decode(interpolate(a, b, s))), features(decode(interpolate(a, b, s + epsilon)))
        distances.append((here - there).flatten(1).square().sum(dim=1) / epsilon**2)
    distances = torch.cat(distances).cpu()
    low, high = torch.quantile(distances, torch.tensor([0.01, 0.99], dtype=distances.dtype))
    kept = distances[(distances >= low) & (distances <= high)]
    return PathLength(kept.mean().item(), (kept.std() / math.sqrt(len(kept))).item(), distances, len(kept))


@torch.inference_mode()
def extract_features(
    classifier: DigitClassifier, images: torch.Tensor, device: torch.device, batch_size: int = 256
) -> tuple[torch.Tensor, torch.Tensor]:
    """Penultimate features (N, F) and class probabilities (N, 10) of images (N, 1, 28, 28), on the CPU.

    Batches of 256 keep the first layer's activations (16 x 28 x 28 per image) in the CPU caches: on this
    machine they took 40 % less CPU time than batches of 1,000."""
    classifier.eval()
    features, probs = [], []
    for batch in images.split(batch_size):
        batch_features, logits = classifier.features_and_logits(batch.to(device, torch.float32))
        features.append(batch_features.cpu())
        probs.append(logits.softmax(dim=1).cpu())
    return torch.cat(features), torch.cat(probs)


class ReferenceStats(nn.Module):
    """Features of the real test split with their mean and covariance, kept as buffers so that
    models/checkpoints.py saves them as safetensors and checks their keys, shapes and values on load."""

    def __init__(self, num_images: int, num_features: int):
        super().__init__()
        self.config = {"num_images": num_images, "num_features": num_features}
        self.register_buffer("features", torch.zeros(num_images, num_features))
        self.register_buffer("mean", torch.zeros(num_features, dtype=torch.float64))
        self.register_buffer("covariance", torch.zeros(num_features, num_features, dtype=torch.float64))

    @classmethod
    def from_features(cls, features: torch.Tensor) -> "ReferenceStats":
        stats = cls(*features.shape)
        mean, covariance = feature_statistics(features)
        stats.features.copy_(features)
        stats.mean.copy_(mean)
        stats.covariance.copy_(covariance)
        return stats


def file_sha256(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


class MnistEvaluator:
    """The digit classifier and the stored real-data statistics, loaded once; `evaluate` scores a batch."""

    def __init__(self, classifier: DigitClassifier, reference: ReferenceStats, device: torch.device):
        self.classifier = classifier.to(device).eval()
        self.device = device
        self.reference_features = reference.features
        self.reference_mean = reference.mean
        self.reference_covariance = reference.covariance

    @classmethod
    def load(cls, device: torch.device | None = None, directory: Path | None = None) -> "MnistEvaluator":
        """Raises CheckpointError if a file is missing, corrupt, or the statistics belong to another classifier.

        `directory` defaults to checkpoints/ (or $GML_CHECKPOINT_DIR, see models/checkpoints.py)."""
        device = device or select_device()
        classifier, _ = load_model(DigitClassifier, CLASSIFIER_NAME, directory)
        reference, record = load_model(ReferenceStats, REFERENCE_NAME, directory)
        classifier_path = checkpoint_paths(CLASSIFIER_NAME, directory)[0]
        if record.get("classifier_sha256") != file_sha256(classifier_path):
            raise CheckpointError(
                f"The reference statistics {REFERENCE_NAME} were computed with a different classifier than "
                f"{classifier_path}; rerun `{RETRAIN_COMMANDS[CLASSIFIER_NAME]}`."
            )
        return cls(classifier, reference, device)

    def evaluate(self, images: torch.Tensor, seed: int = 0) -> dict:
        """FID (MNIST-classifier features), inception score, precision/recall and the PRD curve of images
        (N, 1, 28, 28) in [0, 1] against the test split: {"fid", "inception_score", "precision", "recall",
        "f8", "f1_8", "prd"}. `seed` drives the k-means of the PRD curve."""
        if not isinstance(images, torch.Tensor) or images.ndim != 4 or tuple(images.shape[1:]) != (1, 28, 28):
            shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise ValueError(f"Images must be a tensor of shape (N, 1, 28, 28), got {shape}.")
        if len(images) < MIN_IMAGES:
            raise ValueError(f"The metrics need at least {MIN_IMAGES} images, got {len(images)}.")
        if not torch.isfinite(images).all() or images.min() < 0 or images.max() > 1:
            raise ValueError("Image intensities must be finite and lie in [0, 1].")
        features, probs = extract_features(self.classifier, images, self.device)
        mean, covariance = feature_statistics(features)
        precision, recall = precision_recall(self.reference_features, features)
        prd = prd_curve(self.reference_features, features, seed=seed)
        return {
            "fid": frechet_distance(mean, covariance, self.reference_mean, self.reference_covariance),
            "inception_score": inception_score(probs)[0],
            "precision": precision,
            "recall": recall,
            "f8": prd.f8,
            "f1_8": prd.f1_8,
            "prd": prd,
        }

    def fid_against(self, images: torch.Tensor, real_images: torch.Tensor) -> float:
        """FID of images against another set of real digits, e.g. the validation digits that choose a model's
        settings (the stored statistics are the test split's, which must not choose anything)."""
        mean, covariance = feature_statistics(extract_features(self.classifier, images, self.device)[0])
        real_mean, real_covariance = feature_statistics(extract_features(self.classifier, real_images, self.device)[0])
        return frechet_distance(mean, covariance, real_mean, real_covariance)

    def path_length(
        self, decode: Callable[[torch.Tensor], torch.Tensor], latent_dim: int, n: int, seed: int = 0, **path
    ) -> PathLength:
        """PPL of a decoder (latent codes → images in [0, 1]) in this classifier's feature space, in float64.

        `decode` must accept float64 codes (e.g. a float64 copy of the network); `path` may name sample_codes and
        interpolate (see perceptual_path_length)."""
        classifier = copy.deepcopy(self.classifier).double().eval()
        return perceptual_path_length(
            decode, lambda images: classifier.features_and_logits(images)[0], latent_dim, n, seed=seed, **path
        )
