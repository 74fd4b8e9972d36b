"""Sanity table for FID (MNIST-classifier features), IS and precision/recall, printed as Markdown.

    .venv/bin/python -m scripts.metrics_sanity

Every row is scored against the stored statistics of the 2,000-image test split, except the last one,
which compares two disjoint random 2,000-image draws from the train split with each other. FID is biased
upwards at small sample sizes, so that row (and the train-split row with 8,000 images) shows the
floor a perfect generator would reach with 2,000 samples.
"""

import argparse
import math
import statistics

import torch
from torchvision.transforms.functional import gaussian_blur

from models.metrics import MnistEvaluator, extract_features, feature_statistics, frechet_distance
from models.mnist import load_mnist

BLUR_SIGMAS = (0.5, 1.0, 1.5, 2.0, 3.0)
DRAW_SIZE = 2000


def blurred(images: torch.Tensor, sigma: float) -> torch.Tensor:
    kernel_size = 2 * math.ceil(3 * sigma) + 1  # +-3 sigma holds 99.7 % of the kernel's mass
    return gaussian_blur(images, [kernel_size, kernel_size], [sigma, sigma])


def row(label: str, count: int, scores: dict) -> str:
    return (
        f"| {label} | {count} | {scores['fid']:.2f} | {scores['inception_score']:.2f} "
        f"| {scores['precision']:.3f} | {scores['recall']:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10, help="random draw pairs for the small-sample row")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)

    evaluator = MnistEvaluator.load()
    train_images, train_labels = load_mnist("train")
    test_images, _ = load_mnist("test")

    print("| compared with the test split (2,000) | images | FID | IS | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|")
    print(row("test split itself", len(test_images), evaluator.evaluate(test_images)))
    print(row("train split (noise floor)", len(train_images), evaluator.evaluate(train_images)))
    blur_fids = []
    for sigma in BLUR_SIGMAS:
        scores = evaluator.evaluate(blurred(test_images, sigma))
        blur_fids.append(scores["fid"])
        print(row(f"test split, Gaussian blur sigma = {sigma:g} px", len(test_images), scores))
    for digit in (1, 0):
        # Train-split digits: a test digit would lie inside the reference set and count as "precise" trivially.
        only_digit = train_images[train_labels == digit]
        print(row(f"train digits of class {digit} only", len(only_digit), evaluator.evaluate(only_digit)))
    print(row("uniform noise in [0, 1]", DRAW_SIZE, evaluator.evaluate(torch.rand(DRAW_SIZE, 1, 28, 28))))

    train_features, _ = extract_features(evaluator.classifier, train_images, evaluator.device)
    draw_fids = []
    for _ in range(args.repeats):
        order = torch.randperm(len(train_features))
        first, second = train_features[order[:DRAW_SIZE]], train_features[order[DRAW_SIZE : 2 * DRAW_SIZE]]
        draw_fids.append(frechet_distance(*feature_statistics(first), *feature_statistics(second)))
    print(
        f"\nFID of {DRAW_SIZE:,} vs {DRAW_SIZE:,} disjoint random draws from the train split, {args.repeats} repeats: "
        f"mean {statistics.mean(draw_fids):.2f}, sd {statistics.stdev(draw_fids):.2f}, "
        f"range {min(draw_fids):.2f}-{max(draw_fids):.2f}."
    )
    monotonic = all(a < b for a, b in zip(blur_fids, blur_fids[1:], strict=False))
    print(f"FID grows monotonically with the blur: {'yes' if monotonic else 'NO'}.")


if __name__ == "__main__":
    main()
