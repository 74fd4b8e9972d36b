"""Our KL-VAE against the pytorch/examples reference VAE, on the same split, for the same epochs.

    .venv/bin/python -m scripts.compare_reference_vae            # after scripts.train_vae made vae_kl

The reference is https://github.com/pytorch/examples/blob/main/vae/main.py: an MLP 784-400-20 encoder and
20-400-784 decoder, Adam 1e-3, batch 128, BCE summed over pixels + KL. Here its decoder returns logits
and the BCE takes them (numerically safer, the same loss). It trains on the 8,000 train digits for as
many epochs as vae_kl did, and both are scored by the same test negative ELBO estimate.
"""

import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn

from models.checkpoints import read_record
from models.mnist import load_mnist
from models.vae import IMAGE_SHAPE, build_model, evaluate_elbo, train


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
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    ours = read_record(args.ours)
    settings = ours["training"]
    train_images, _ = load_mnist("train")
    test_images, _ = load_mnist("test")
    torch.manual_seed(settings["seed"])
    reference = ReferenceMLPVAE()
    started = time.perf_counter()
    train(
        reference,
        train_images,
        regularizer="kl",
        lam=1.0,
        epochs=settings["epochs"],
        batch_size=128,
        lr=1e-3,
        seed=settings["seed"],
    )
    seconds = time.perf_counter() - started
    theirs = evaluate_elbo(reference, test_images, samples=ours["test"]["samples_per_digit"], seed=settings["seed"])

    print(f"Test split ({len(test_images)} digits), {settings['epochs']} epochs on {len(train_images)} train digits:\n")
    print("| model | parameters | test −ELBO (nats) | reconstruction | KL | training time |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    rows = [
        (f"ours: conv VAE `{args.ours}`", build_model(ours["config"]), ours["test"], settings["seconds"]),
        ("pytorch/examples MLP VAE", reference, theirs, seconds),
    ]
    for label, model, test, train_seconds in rows:
        parameters = sum(p.numel() for p in model.parameters())
        print(
            f"| {label} | {parameters:,} | {test['negative_elbo']:.2f} ± {test['negative_elbo_standard_error']:.2f} | "
            f"{test['reconstruction_nats']:.2f} | {test['kl']:.2f} | {train_seconds:.0f} s |"
        )


if __name__ == "__main__":
    main()
