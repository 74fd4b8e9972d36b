"""Train one convolutional VAE of the VAE tab on binarized MNIST digits; report it on the test split.

    python -m scripts.train_vae --regularizer kl --latent 16             # checkpoints/vae_kl
    python -m scripts.train_vae --regularizer cs --latent 16 --lam 1     # checkpoints/vae_cs
    python -m scripts.train_vae --regularizer kl --latent 2              # checkpoints/vae_kl_2d

Trains on 7,000 of the 8,000 training digits and follows the negative ELBO of the other 1,000 (the
validation digits, which choose settings; the test split is only used for the final report). Resumable: the
same command continues from runs/<name>/resume.* (written after every epoch). Writes
checkpoints/<name>.safetensors (fp16) and checkpoints/<name>.json: config (the constructor's arguments),
training settings and curve, provenance, and the test report (negative ELBO and IWAE −log p(x) on the
fixed binarization of the test split, FIDs, IS, precision/recall, PPL, PRD, latent activity).
`--evaluate-only` recomputes the test report of an existing checkpoint.
"""

import argparse
import json
import time

import torch

from models.checkpoints import ROOT, load_model, load_resume, provenance, save_checkpoint, save_resume
from models.device import device_label, select_device
from models.latent_prior import GaussianMixture
from models.metrics import MnistEvaluator
from models.mnist import binarize, binarized_test_split, mnist_sha256, train_validation_split
from models.vae import REGULARIZERS, ConvVAE, TrainingSettings, evaluate_likelihood, train
from models.vae_pipeline import (
    QUALITY_SAMPLES,
    latent_activity,
    quality_report,
    reconstruct,
    reconstruction_fid,
    sample_images,
)

RUNS_DIR = ROOT / "runs"
IMPORTANCE_SAMPLES = 100  # per test digit for the IWAE bound on −log p(x)

VALIDATION_BINARIZATION_SEED = 1  # one fixed binarization of the validation digits (the test split uses its own)


def parse_args(argv=None) -> argparse.Namespace:
    defaults = TrainingSettings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regularizer", choices=sorted(REGULARIZERS), default=defaults.regularizer)
    parser.add_argument("--latent", type=int, default=16, help="latent dimensions (16 main models, 2 for the map)")
    parser.add_argument("--lam", type=float, default=defaults.lam, help="weight λ of the regularizer (KL, 1: the ELBO)")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr, help="peak learning rate (cosine decay to 0)")
    parser.add_argument("--warmup-epochs", type=float, default=defaults.warmup_epochs, help="λ rises from 0 over these")
    parser.add_argument("--max-shift", type=int, default=defaults.max_shift, help="shift augmentation, pixels")
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=0, help="residual blocks per resolution")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all cores)")
    parser.add_argument("--name", default=None, help="checkpoint name (default vae_<regularizer>[_2d])")
    parser.add_argument("--evaluate-only", action="store_true", help="recompute the test report of a checkpoint")
    args = parser.parse_args(argv)
    if args.name is None:
        args.name = f"vae_{args.regularizer}" + ("_2d" if args.latent == 2 else "")
    return args


def train_resumable(model: ConvVAE, settings: TrainingSettings, name: str) -> dict:
    """Train, saving the run after every epoch to runs/<name>/resume.*; the same command picks it up again."""
    train_images, validation_images = train_validation_split()
    validation = binarize(validation_images, VALIDATION_BINARIZATION_SEED)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    resume_path = RUNS_DIR / name / "resume"
    resume_path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"epoch": 0, "curve": [], "seconds": 0.0, "settings": settings.as_record(), "config": model.config}
    if resume_path.with_suffix(".safetensors").is_file():
        previous = load_resume(resume_path, {"model": model}, {"adam": optimizer})
        if previous["settings"] != meta["settings"] or previous["config"] != model.config:
            raise SystemExit(f"{resume_path}.* belongs to other settings; delete runs/{name}/ to start afresh.")
        meta = {key: previous[key] for key in meta}
        print(f"resumed {name} after epoch {meta['epoch']}/{settings.epochs}", flush=True)
    started = time.perf_counter() - meta["seconds"]

    def save(epoch: int, entry: dict) -> None:
        entry["seconds"] = round(time.perf_counter() - started, 1)
        meta.update(epoch=epoch, curve=meta["curve"] + [entry], seconds=time.perf_counter() - started)
        save_resume(resume_path, {"model": model}, {"adam": optimizer}, meta)

    train(
        model,
        train_images,
        settings,
        validation=validation,
        optimizer=optimizer,
        start_epoch=meta["epoch"] + 1,
        on_epoch=save,
    )
    return {
        **settings.as_record(),
        "train_digits": len(train_images),
        "validation_digits": len(validation_images),
        "seconds": round(meta["seconds"], 1),
        "threads": torch.get_num_threads(),
        "curve": meta["curve"],
    }


def validation_report(
    model: ConvVAE, evaluator: MnistEvaluator, seed: int, prior: GaussianMixture | None = None
) -> dict:
    """The numbers that choose a model's settings, on the 1,000 validation digits (never the test split): the
    likelihood of their fixed binarization and the FIDs of prior samples and of reconstructions against them.
    `prior`: the prior of the samples and of the likelihood (default N(0, I))."""
    _, validation_images = train_validation_split()
    binary = binarize(validation_images, VALIDATION_BINARIZATION_SEED)
    likelihood = evaluate_likelihood(model, binary, importance_samples=IMPORTANCE_SAMPLES, seed=seed, prior=prior)
    samples = sample_images(model, QUALITY_SAMPLES, seed=seed, prior=prior)
    return {
        "negative_elbo": likelihood["negative_elbo"],
        "iwae_negative_log_likelihood": likelihood["iwae_negative_log_likelihood"],
        "fid_samples": evaluator.fid_against(samples, validation_images),
        "fid_reconstructions": evaluator.fid_against(reconstruct(model, binary), validation_images),
        "digits": len(validation_images),
    }


def test_report(
    model: ConvVAE,
    evaluator: MnistEvaluator,
    test_images: torch.Tensor,
    seed: int,
    prior: GaussianMixture | None = None,
) -> dict:
    """Every number the record holds about a trained model, all on the (binarized) test split; `prior`: the prior
    of the samples and of the likelihood (default N(0, I)).

    sample_quality is exactly what `/vae_metrics` answers at its defaults (n = 2,000, seed 0), so the tab shows it
    without computing it again."""
    fid_reconstructions = reconstruction_fid(model, evaluator, test_images)
    report = quality_report(model, evaluator, QUALITY_SAMPLES, seed, fid_reconstructions, prior)
    return {
        "test": evaluate_likelihood(model, test_images, importance_samples=IMPORTANCE_SAMPLES, seed=seed, prior=prior),
        "sample_quality": {
            **report.rows,
            "prd_curve": {
                "precision": [round(value, 5) for value in report.prd.precision.tolist()],
                "recall": [round(value, 5) for value in report.prd.recall.tolist()],
            },
        },
        "sample_quality_n": QUALITY_SAMPLES,
        "sample_quality_seed": seed,
        "latent_activity": latent_activity(model, test_images).tolist(),
    }


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = select_device()
    if args.evaluate_only:
        model, record = load_model(ConvVAE, args.name)
        model = model.to(device)
    else:
        settings = TrainingSettings(
            regularizer=args.regularizer,
            lam=args.lam,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            warmup_epochs=args.warmup_epochs,
            max_shift=args.max_shift,
            seed=args.seed,
        )
        torch.manual_seed(args.seed)
        model = ConvVAE(latent_dim=args.latent, channels=args.channels, blocks=args.blocks).to(device)
        training = train_resumable(model, settings, args.name)
        training["device"] = device_label(device)
        record = {"training": training, "provenance": provenance(mnist_sha256(), device_label(device))}
        # The checkpoint is stored in fp16; evaluate exactly those weights, not the fp32 ones they came from.
        model.half().float()
        save_checkpoint(model, args.name, record, dtype=torch.float16)  # the weights are safe before the long report
    test_images, _ = binarized_test_split()
    evaluator = MnistEvaluator.load(device=device)
    seed = record["training"]["seed"]
    # The app recomputes these on the CPU; the PRD k-means differs slightly between devices, so the record's
    # numbers say where they were computed.
    record["evaluation_device"] = device_label(device)
    record["validation"] = validation_report(model, evaluator, seed)
    record.update(test_report(model, evaluator, test_images, seed))
    save_checkpoint(model, args.name, record, dtype=torch.float16)
    print(json.dumps({key: record[key] for key in record if key not in ("training", "provenance")}, indent=1))


if __name__ == "__main__":
    main()
