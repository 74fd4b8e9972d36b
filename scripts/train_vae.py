"""Train one convolutional VAE of the VAE explorer tab on the MNIST train split; report it on the test split.

    .venv/bin/python -m scripts.train_vae --regularizer kl --latent 16 --name vae_kl
    .venv/bin/python -m scripts.train_vae --regularizer cs --latent 16 --lam 1 --name vae_cs
    .venv/bin/python -m scripts.train_vae --regularizer kl --latent 2 --name vae_kl_2d

Writes checkpoints/<name>.safetensors (fp16) and checkpoints/<name>.json: config, λ, training curve,
training time, the test negative ELBO in nats (with its parts and standard error), the reconstruction
error and the FIDs. `--evaluate-only` recomputes the test numbers of an existing checkpoint, e.g.
after the metrics' classifier was retrained.
"""

import argparse
import time
from typing import NamedTuple

import torch

from models.checkpoints import load_state_into, read_record, save_checkpoint
from models.device import device_label, select_device
from models.metrics import MnistEvaluator
from models.mnist import load_mnist
from models.vae import REGULARIZERS, build_model, evaluate_elbo, reconstruction_fid, sample_quality, train

QUALITY_SAMPLES = 2000  # prior samples for FID/IS/precision/recall: as many as the test split has digits


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regularizer", choices=sorted(REGULARIZERS), default="kl")
    parser.add_argument("--latent", type=int, default=16, help="latent dimensions (16 main models, 2 for the map)")
    parser.add_argument("--lam", type=float, default=1.0, help="weight λ of the regularizer (1 with KL = the ELBO)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--name", default=None, help="checkpoint name (default vae_<regularizer>[_2d])")
    parser.add_argument("--evaluate-only", action="store_true", help="re-evaluate an existing checkpoint")
    args = parser.parse_args(argv)
    if args.name is None:
        args.name = f"vae_{args.regularizer}" + ("_2d" if args.latent == 2 else "")
    return args


def model_config(regularizer: str, latent: int, lam: float) -> dict:
    return {"latent_dim": latent, "channels": 32, "hidden": 256, "regularizer": regularizer, "lam": lam}


def test_report(model, evaluator, test_images, seed: int) -> dict:
    """Every number the record holds about a trained model, all on the test split."""
    return {
        "test": evaluate_elbo(model, test_images, seed=seed),
        "sample_quality": {
            "FID reconstructions": reconstruction_fid(model, evaluator, test_images),
            **sample_quality(model, evaluator, n=QUALITY_SAMPLES, seed=seed),
        },
        "sample_quality_n": QUALITY_SAMPLES,
    }


class Setup(NamedTuple):
    device: torch.device
    train_images: torch.Tensor
    test_images: torch.Tensor
    evaluator: MnistEvaluator


def prepare(threads: int) -> Setup:
    """CPU threads (0: torch's default), device, both splits and the evaluator: what every run needs first."""
    if threads:
        torch.set_num_threads(threads)
    device = select_device()
    return Setup(device, load_mnist("train")[0], load_mnist("test")[0], MnistEvaluator.load(device=device))


def train_and_report(config: dict, setup: Setup, *, epochs: int, batch_size: int, lr: float, seed: int):
    """Train a fresh model from `config`; return it (rounded to the fp16 it is stored in) and its record."""
    device, train_images, test_images, evaluator = setup
    torch.manual_seed(seed)
    model = build_model(config).to(device)
    started = time.perf_counter()
    curve = train(
        model,
        train_images,
        regularizer=config["regularizer"],
        lam=config["lam"],
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        test_images=test_images,
    )
    seconds = time.perf_counter() - started
    # The checkpoint is stored in fp16; evaluate exactly those weights, not the fp32 ones they came from.
    model.half().float()
    training = {
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
        "train_digits": len(train_images),
        "seconds": round(seconds, 1),
        "threads": torch.get_num_threads(),
        "device": device_label(device),
        "curve": curve,
    }
    record = {"config": config, "training": training} | test_report(model, evaluator, test_images, seed)
    return model, record


def main(argv=None) -> None:
    args = parse_args(argv)
    setup = prepare(args.threads)

    if args.evaluate_only:
        record = read_record(args.name)
        model = load_state_into(build_model(record["config"]).to(setup.device), args.name)
        record.update(test_report(model, setup.evaluator, setup.test_images, record["training"]["seed"]))
    else:
        model, record = train_and_report(
            model_config(args.regularizer, args.latent, args.lam),
            setup,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            seed=args.seed,
        )
    save_checkpoint(model, args.name, record, dtype=torch.float16)
    test = record["test"]
    print(
        f"{args.name}: test −ELBO {test['negative_elbo']:.2f} ± {test['negative_elbo_standard_error']:.2f} nats "
        f"(reconstruction {test['reconstruction_nats']:.2f} + KL {test['kl']:.2f}), "
        f"MSE {test['reconstruction_mse']:.4f}, sample quality {record['sample_quality']}"
    )


if __name__ == "__main__":
    main()
