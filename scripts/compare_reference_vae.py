"""Our KL-VAE against the pytorch/examples reference VAE, on the same digits, with the same training recipe.

    python -m scripts.compare_reference_vae            # after scripts.train_vae made vae_kl

The reference is https://github.com/pytorch/examples/blob/main/vae/main.py: an MLP 784-400-20 encoder and
20-400-784 decoder, BCE summed over pixels + KL. Here its decoder returns logits and the BCE takes them
(numerically safer, the same loss). It is trained by models.vae.train with vae_kl's recorded settings (the same
7,000 dynamically binarized digits, epochs, schedule, warm-up, shifts and seed), so only the networks differ,
and both are scored on the fixed binarization of the test split: negative ELBO and IWAE −log p(x).
"""

import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn

from models.checkpoints import load_model
from models.device import device_label, select_device
from models.mnist import binarized_test_split, train_validation_split
from models.vae import IMAGE_SHAPE, ConvVAE, TrainingSettings, evaluate_likelihood, train
from scripts.report import publish


class ReferenceMLPVAE(nn.Module):
    """pytorch/examples' VAE, with the encode/decode interface of models.vae.ConvVAE."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h1 = F.relu(self.fc1(x.flatten(1)))
        return self.fc21(h1), self.fc22(h1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.fc4(F.relu(self.fc3(z))).view(-1, *IMAGE_SHAPE)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours", default="vae_kl", help="checkpoint whose training settings and result are compared")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all cores)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = select_device()

    ours, record = load_model(ConvVAE, args.ours)
    ours = ours.to(device)
    settings = TrainingSettings(**{field: record["training"][field] for field in TrainingSettings().as_record()})
    train_images, _ = train_validation_split()
    test_images, _ = binarized_test_split()
    torch.manual_seed(settings.seed)
    reference = ReferenceMLPVAE().to(device)
    started = time.perf_counter()
    train(reference, train_images, settings)
    seconds = time.perf_counter() - started
    samples = record["test"]["importance_samples"]
    theirs = evaluate_likelihood(reference, test_images, importance_samples=samples, seed=settings.seed)

    lines = [
        f"Binarized test split ({len(test_images)} digits, IWAE k = {samples}), {settings.epochs} epochs on "
        f"{len(train_images)} train digits, device {device_label(device)}:\n",
        "| model | parameters | test −ELBO (nats) | IWAE −log p(x) (nats) | reconstruction | KL | training time |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = [
        (f"ours: conv VAE `{args.ours}`", ours, record["test"], record["training"]["seconds"]),
        ("pytorch/examples MLP VAE", reference, theirs, seconds),
    ]
    for label, model, test, train_seconds in rows:
        parameters = sum(p.numel() for p in model.parameters())
        lines.append(
            f"| {label} | {parameters:,} | {test['negative_elbo']:.2f} ± {test['negative_elbo_standard_error']:.2f} | "
            f"{test['iwae_negative_log_likelihood']:.2f} ± {test['iwae_negative_log_likelihood_standard_error']:.2f} | "
            f"{test['reconstruction_nats']:.2f} | {test['kl']:.2f} | {train_seconds:.0f} s |"
        )
    publish("compare_reference_vae", "\n".join(lines))


if __name__ == "__main__":
    main()
