"""Train the MNIST digit classifier (the metrics' feature network) and store the reference statistics.

    .venv/bin/python -m scripts.train_classifier            # a few minutes on 2 CPU threads

Trains on the train split only (with small random rotations, shifts and zooms), reports the test-split
accuracy, and writes
    checkpoints/mnist_classifier.safetensors + .json          weights, config, training record, accuracy
    checkpoints/mnist_reference_stats.safetensors + .json     test-split features, their mean and covariance
"""

import argparse
import math
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from models.checkpoints import checkpoint_paths, provenance, save_checkpoint
from models.classifier import CLASSIFIER_NAME, DigitClassifier
from models.device import device_label, select_device
from models.metrics import REFERENCE_NAME, ReferenceStats, extract_features, file_sha256
from models.mnist import load_mnist, mnist_sha256


def augment(images: torch.Tensor, max_degrees: float, max_shift: float, max_zoom: float) -> torch.Tensor:
    """Random rotation (degrees), shift (fraction of the half-width) and zoom per image, by resampling."""
    n = len(images)
    angle = torch.empty(n).uniform_(-max_degrees, max_degrees) * math.pi / 180
    scale = torch.empty(n).uniform_(1 - max_zoom, 1 + max_zoom)
    shift = torch.empty(n, 2).uniform_(-max_shift, max_shift)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta.to(images.device), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False, padding_mode="zeros")


def accuracy(model: DigitClassifier, images: torch.Tensor, labels: torch.Tensor, device: torch.device) -> float:
    _, probs = extract_features(model, images, device)
    return (probs.argmax(dim=1) == labels).double().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (the machine is shared)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = select_device()
    augmentation = {"max_degrees": 10.0, "max_shift": 0.12, "max_zoom": 0.1}  # shift 0.12 of 14 px ~ 1.7 px

    train_images, train_labels = load_mnist("train")
    test_images, test_labels = load_mnist("test")
    model = DigitClassifier().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = math.ceil(len(train_images) / args.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, total_steps=args.epochs * steps_per_epoch)

    start = time.perf_counter()
    progress = tqdm(total=args.epochs * steps_per_epoch, desc="classifier", unit="step")
    for epoch in range(args.epochs):
        model.train()
        for batch in torch.randperm(len(train_images)).split(args.batch_size):
            images = augment(train_images[batch].to(device), **augmentation)
            loss = F.cross_entropy(model(images), train_labels[batch].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            progress.update()
            progress.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}")
    progress.close()
    training_seconds = time.perf_counter() - start

    train_accuracy = accuracy(model, train_images, train_labels, device)
    test_accuracy = accuracy(model, test_images, test_labels, device)
    print(f"accuracy: train {train_accuracy:.4f}, test {test_accuracy:.4f} ({training_seconds:.0f} s)")
    save_checkpoint(
        model,
        CLASSIFIER_NAME,
        {
            "provenance": provenance(mnist_sha256(), device_label(device)),
            "training": {**vars(args), "optimizer": "AdamW, one-cycle schedule", "augmentation": augmentation},
            "train_accuracy": train_accuracy,
            "test_accuracy": test_accuracy,
            "training_seconds": round(training_seconds, 1),
        },
    )

    test_features, _ = extract_features(model, test_images, device)
    reference = ReferenceStats.from_features(test_features)
    classifier_sha256 = file_sha256(checkpoint_paths(CLASSIFIER_NAME)[0])
    save_checkpoint(reference, REFERENCE_NAME, {"classifier_sha256": classifier_sha256})
    print(f"Wrote {CLASSIFIER_NAME} and {REFERENCE_NAME} under checkpoints/.")


if __name__ == "__main__":
    main()
