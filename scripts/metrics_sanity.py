"""Sanity table for FID (MNIST-classifier features), IS, precision/recall and PRD, printed as Markdown.

    python -m scripts.metrics_sanity

Also writes checkpoints/mnist_metrics_sanity.json (one entry per row, keyed, with provenance): the VAE tab's
homework answers quote its rows from there.

Every row is scored against the stored statistics of the 2,000-image test split, except the last one,
which compares two disjoint random 2,000-image draws from the train split with each other. FID is biased
upwards at small sample sizes, so that row (and the train-split row with 8,000 images) shows the
floor a perfect generator would reach with 2,000 samples.
"""

import argparse
import json
import math
import statistics

import torch
from torchvision.transforms.functional import gaussian_blur

from models.checkpoints import checkpoint_paths, provenance
from models.device import device_label
from models.metrics import MnistEvaluator, extract_features, feature_statistics, frechet_distance
from models.mnist import load_mnist, mnist_sha256

BLUR_SIGMAS = (0.5, 1.0, 1.5, 2.0, 3.0)
DRAW_SIZE = 2000
RECORD_NAME = "mnist_metrics_sanity"
COLLAPSE_COPIES = 200  # one digit per class, each repeated: mode collapse within every class


def blurred(images: torch.Tensor, sigma: float) -> torch.Tensor:
    kernel_size = 2 * math.ceil(3 * sigma) + 1  # +-3 sigma holds 99.7 % of the kernel's mass
    return gaussian_blur(images, [kernel_size, kernel_size], [sigma, sigma])


def row(key: str, label: str, images: torch.Tensor, evaluator: MnistEvaluator) -> dict:
    scores = evaluator.evaluate(images)
    return {
        "key": key,
        "label": label,
        "images": len(images),
        "FID": scores["fid"],
        "IS": scores["inception_score"],
        "precision": scores["precision"],
        "recall": scores["recall"],
        "F8": scores["f8"],
        "F1/8": scores["f1_8"],
    }


def markdown_row(entry: dict) -> str:
    return (
        f"| {entry['label']} | {entry['images']} | {entry['FID']:.2f} | {entry['IS']:.2f} | {entry['precision']:.3f} "
        f"| {entry['recall']:.3f} | {entry['F8']:.3f} | {entry['F1/8']:.3f} |"
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

    rows = [
        row("test", "test split itself", test_images, evaluator),
        row("train", "train split (noise floor)", train_images, evaluator),
    ]
    for sigma in BLUR_SIGMAS:
        rows.append(
            row(
                f"blur_{sigma:g}",
                f"test split, Gaussian blur sigma = {sigma:g} px",
                blurred(test_images, sigma),
                evaluator,
            )
        )
    for digit in (1, 0):
        # Train-split digits: a test digit would lie inside the reference set and count as "precise" trivially.
        only_digit = train_images[train_labels == digit]
        rows.append(row(f"class_{digit}_only", f"train digits of class {digit} only", only_digit, evaluator))
    first_of_each_class = torch.stack([train_images[train_labels == digit][0] for digit in range(10)])
    rows.append(
        row(
            "one_digit_per_class",
            f"one train digit per class, each repeated {COLLAPSE_COPIES} times",
            # Classes interleaved (0, 1, …, 9, 0, 1, …): IS scores splits of consecutive images, and 200 copies of one
            # digit in a row would make each split one class.
            first_of_each_class.repeat(COLLAPSE_COPIES, 1, 1, 1),
            evaluator,
        )
    )
    rows.append(row("noise", "uniform noise in [0, 1]", torch.rand(DRAW_SIZE, 1, 28, 28), evaluator))
    print("| compared with the test split (2,000) | images | FID | IS | precision | recall | F8 (PRD) | F1/8 (PRD) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for entry in rows:
        print(markdown_row(entry))
    blur_fids = [entry["FID"] for entry in rows if entry["key"].startswith("blur_")]

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
    record = {
        "rows": rows,
        "small_sample_fid": {"draw_size": DRAW_SIZE, "repeats": args.repeats, "fids": draw_fids},
        "provenance": provenance(mnist_sha256(), device_label(evaluator.device)),
    }
    checkpoint_paths(RECORD_NAME)[1].write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
