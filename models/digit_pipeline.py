"""Your own digit: what the VAE tab's models make of a drawing (the VAE tab's "Your own digit" and /vae_encode).

One call, `read_drawing`, takes a drawing and returns everything the view shows: the 28x28 input the model sees
(models/digit_input.py), its reconstruction, −ELBO and the IWAE −log p(x) in nats, where that likelihood falls
among the 2,000 test digits, the digit classifier's guess, the drawing's code on the 2-D model's map, and the
nearest training digits in the model's latent space.

The test digits' likelihoods (with the same estimator as a drawing's: IWAE, REFERENCE_SAMPLES draws,
models.vae.per_digit_likelihood) and the training digits' codes are computed once by
`python -m scripts.digit_reference` (minutes on a CPU) into checkpoints/vae_digit_reference.safetensors, whose JSON
record names the checksum of the weights they belong to.
"""

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from PIL import Image
from safetensors import SafetensorError
from safetensors.torch import load_file

from models.checkpoints import CheckpointError, checkpoint_paths
from models.classifier import DigitClassifier
from models.digit_input import PreparedDigit, prepare_digit
from models.metrics import file_sha256
from models.mnist import load_mnist
from models.vae import ConvVAE, per_digit_likelihood

REFERENCE_NAME = "vae_digit_reference"  # checkpoints/<this>.safetensors + .json
REFERENCE_SAMPLES = 100  # importance samples per digit, for the test digits and for a drawing alike
NEAREST = 5  # training digits shown beside a drawing
TRAIN_CODES_SEED = 0  # the one binarization of the training digits whose codes the neighbours are found among


def read_reference(checkpoint: str, directory: Path | None = None) -> dict[str, torch.Tensor]:
    """The test digits' −ELBO and −log p(x) and the training digits' codes under `checkpoint`, checked against its
    weights: {"test_negative_elbo", "test_negative_log_likelihood", "train_codes"}."""
    tensors_path, record_path = checkpoint_paths(REFERENCE_NAME, directory)
    try:
        record = json.loads(record_path.read_text())
        expected = record["models"][checkpoint]["weights_sha256"]
        tensors = load_file(str(tensors_path))
        reference = {key.split(".", 1)[1]: value for key, value in tensors.items() if key.startswith(f"{checkpoint}.")}
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as exc:
        raise CheckpointError(f"The digit reference {tensors_path} is missing or unreadable ({exc}).") from exc
    weights = checkpoint_paths(checkpoint, directory)[0]
    if expected != file_sha256(weights):
        raise CheckpointError(f"The digit reference {tensors_path} belongs to other weights than {weights}.")
    if set(reference) != {"test_negative_elbo", "test_negative_log_likelihood", "train_codes"}:
        raise CheckpointError(f"The digit reference {tensors_path} lacks parts for {checkpoint}.")
    return reference


@torch.no_grad()
def latent_codes(model: ConvVAE, binary: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """μ(x) of every binary digit, (N, latent) float32 on the CPU."""
    device = next(model.parameters()).device
    return torch.cat([model.encode(b.to(device))[0].float().cpu() for b in binary.split(batch_size)])


class DigitModels(NamedTuple):
    """What reading a drawing needs, for one VAE: built once per model (`digit_models`)."""

    vae: ConvVAE
    map_model: ConvVAE  # the 2-D VAE whose map the drawing is placed on
    classifier: DigitClassifier
    test_nll: np.ndarray  # (2000,) IWAE −log p(x) of each test digit, nats
    train_images: torch.Tensor  # (8000, 1, 28, 28) grey
    train_labels: torch.Tensor
    train_codes: torch.Tensor  # (8000, latent) μ(x) of one binarization of the training digits (TRAIN_CODES_SEED)


def digit_models(vae: ConvVAE, checkpoint: str, map_model: ConvVAE, classifier: DigitClassifier) -> DigitModels:
    """The reference of `checkpoint` (CheckpointError if missing or stale) and the training digits."""
    reference = read_reference(checkpoint)
    train_images, train_labels = load_mnist("train")
    test_nll = reference["test_negative_log_likelihood"].double().numpy()
    return DigitModels(vae, map_model, classifier, test_nll, train_images, train_labels, reference["train_codes"])


class DigitReading(NamedTuple):
    """Everything the view shows for one drawing under one VAE."""

    prepared: PreparedDigit
    reconstruction: torch.Tensor  # (1, 1, 28, 28): decoder means at z = μ(x)
    negative_elbo: float  # nats, E_q[−log p(x|z)] + KL(q(z|x) ‖ N(0, I)), averaged over the draws
    negative_log_likelihood: float  # nats, IWAE with REFERENCE_SAMPLES draws
    percentile: float  # % of the test digits whose likelihood is below the drawing's
    test_nll: np.ndarray  # the test digits' −log p(x), for the histogram
    digit: int  # the classifier's guess
    probability: float  # its softmax probability
    map_code: np.ndarray  # (2,) μ(x) under the 2-D model
    nearest: torch.Tensor  # (NEAREST, 1, 28, 28) grey training digits, nearest code first
    nearest_labels: list[int]
    nearest_distances: list[float]


@torch.no_grad()
def read_drawing(image: Image.Image, models: DigitModels, seed: int = 0) -> DigitReading | None:
    """A drawing -> its reading by one VAE; None when nothing is drawn."""
    prepared = prepare_digit(image)
    if prepared is None:
        return None
    vae = models.vae.eval()
    device = next(vae.parameters()).device
    binary = prepared.binary.to(device)
    parts = per_digit_likelihood(vae, binary, REFERENCE_SAMPLES, torch.Generator().manual_seed(seed))
    negative_elbo = (parts["reconstruction"] + parts["kl"]).item()
    nll = parts["negative_log_likelihood"].item()
    mu = vae.encode(binary)[0].float()
    reconstruction = torch.sigmoid(vae.decode(mu)).float().cpu()
    probabilities = torch.softmax(models.classifier.eval()(prepared.grey.to(device)).float(), dim=-1)[0].cpu()
    map_code = models.map_model.eval().encode(binary)[0].float().cpu().numpy()[0]
    distances = (models.train_codes - mu.cpu()).norm(dim=1)
    nearest = distances.argsort()[:NEAREST]
    return DigitReading(
        prepared,
        reconstruction,
        negative_elbo,
        nll,
        likelihood_percentile(nll, models.test_nll),
        models.test_nll,
        int(probabilities.argmax()),
        float(probabilities.max()),
        map_code,
        models.train_images[nearest],
        [int(models.train_labels[i]) for i in nearest],
        [float(distances[i]) for i in nearest],
    )


def likelihood_percentile(negative_log_likelihood: float, test_nll: np.ndarray) -> float:
    """The share (%) of test digits that the model finds less likely than this one (higher −log p(x))."""
    return float(100.0 * (test_nll > negative_log_likelihood).mean())
