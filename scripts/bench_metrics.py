"""Time FID + IS + precision/recall for 2,000 images, next to pytorch-fid and torchmetrics, in one run.

    OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python -m scripts.bench_metrics --threads 2

The variables give NumPy/SciPy one BLAS thread, as app.py does (pytorch-fid's step ran 20-100x slower on this
shared 2-core machine without them); --threads sets torch's threads (the app uses every core).

The 2,000 "generated" images are train-split digits (any 2,000 images cost the same). Every row gives the
median wall and CPU time over the repeats after one warm-up call; FID values are printed to show that the
three implementations agree on the same features.
"""

import argparse
import os
import statistics
import time

import torch
from pytorch_fid.fid_score import calculate_frechet_distance
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance

from models.device import device_label
from models.metrics import (
    MnistEvaluator,
    extract_features,
    feature_statistics,
    frechet_distance,
    inception_score,
    prd_curve,
    precision_recall,
)
from models.mnist import load_mnist


class ClassifierFeatures(nn.Module):
    """The digit classifier's penultimate layer in the shape torchmetrics expects of a custom feature network."""

    def __init__(self, evaluator: MnistEvaluator):
        super().__init__()
        self.classifier = evaluator.classifier
        self.num_features = evaluator.classifier.config["num_features"]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier.features_and_logits(images)[0]


def median_seconds(fn, repeats: int) -> tuple[float, float, object]:
    """Median wall time and median CPU time (all threads) of fn() over `repeats` calls after a warm-up
    call, and the last result. On a shared CPU the wall time grows with the load; the CPU time much less."""
    result = fn()
    wall, cpu = [], []
    for _ in range(repeats):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - wall_start)
        cpu.append(time.process_time() - cpu_start)
    return statistics.median(wall), statistics.median(cpu), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    evaluator = MnistEvaluator.load()
    images = load_mnist("train")[0][:2000]
    test_images = load_mnist("test")[0]
    features, probs = extract_features(evaluator.classifier, images, evaluator.device)
    mean, covariance = feature_statistics(features)
    reference = (evaluator.reference_mean, evaluator.reference_covariance)
    as_numpy = [statistic.numpy() for statistic in (mean, covariance, *reference)]

    torchmetrics_fid = FrechetInceptionDistance(
        feature=ClassifierFeatures(evaluator), normalize=True, reset_real_features=False, compute_with_cache=False
    ).to(evaluator.device)
    torchmetrics_fid.update(test_images.to(evaluator.device), real=True)

    def torchmetrics_full() -> float:
        torchmetrics_fid.reset()  # keeps the real-image sums
        torchmetrics_fid.update(images.to(evaluator.device), real=False)
        return torchmetrics_fid.compute().item()

    torchmetrics_full()  # leaves the fake sums of these images for timing compute() alone

    rows = [  # (label, timed call, whether the call returns a FID)
        (
            "ours: evaluate() = features + FID + IS + precision/recall + PRD",
            lambda: evaluator.evaluate(images)["fid"],
            True,
        ),
        (
            "ours: feature extraction only",
            lambda: extract_features(evaluator.classifier, images, evaluator.device),
            False,
        ),
        (
            "ours: Fréchet step (eigvalsh of S1^1/2 S2 S1^1/2)",
            lambda: frechet_distance(mean, covariance, *reference),
            True,
        ),
        ("ours: inception score (10 splits)", lambda: inception_score(probs), False),
        (
            "ours: PRD curve (20 clusters, 10 k-means runs)",
            lambda: prd_curve(evaluator.reference_features, features),
            False,
        ),
        (
            "ours: precision/recall (k = 3, 2,000 vs 2,000)",
            lambda: precision_recall(evaluator.reference_features, features),
            False,
        ),
        (
            "pytorch-fid: calculate_frechet_distance (scipy sqrtm)",
            lambda: calculate_frechet_distance(*as_numpy),
            True,
        ),
        ("torchmetrics: FID update + compute (our feature network)", torchmetrics_full, True),
        ("torchmetrics: FID compute only (eigvals of S1 S2)", lambda: torchmetrics_fid.compute().item(), True),
    ]
    print(
        f"Device: {device_label(evaluator.device)}, {torch.get_num_threads()} threads, 2,000 images of 28x28, "
        f"median of {args.repeats} runs after one warm-up; load average before the run {os.getloadavg()[0]:.1f} "
        "(the CPU is shared: wall times grow with the load)\n"
    )
    print("| step | wall time (ms) | CPU time (ms) | FID |")
    print("|---|---:|---:|---:|")
    for label, fn, returns_fid in rows:
        wall, cpu, result = median_seconds(fn, args.repeats)
        print(f"| {label} | {1000 * wall:.1f} | {1000 * cpu:.1f} | {f'{result:.4f}' if returns_fid else ''} |")


if __name__ == "__main__":
    main()
