"""CS-VAE λ sweep: does a larger weight on D_CS buy better prior samples at the cost of reconstructions?

    python -m scripts.sweep_cs_lambda --lams 0.5 1 2 4 8

Trains one CS-VAE per λ with vae_cs's recorded settings and network (only λ changes) and prints a Markdown table (also written to docs/measured/sweep_cs_lambda.md)
of test-split numbers (and the validation digits' sample FID, the number that would choose λ): negative ELBO and IWAE −log p(x) on the binarized test digits, sample and reconstruction
FID (MNIST-classifier features, 2,000 prior samples), D_CS and KL. The models are not kept.
"""

import argparse
import dataclasses

import torch

from models.checkpoints import read_record
from models.device import device_label, select_device
from models.metrics import MnistEvaluator
from models.mnist import binarized_test_split, train_validation_split
from models.vae import ConvVAE, TrainingSettings, train
from scripts.report import publish
from scripts.train_vae import test_report, validation_report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lams", type=float, nargs="+", default=[0.5, 1.0, 2.0, 4.0, 8.0])
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all cores)")
    args = parser.parse_args(argv)
    if min(args.lams) <= 0:
        parser.error("every λ must be positive")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = select_device()
    record = read_record("vae_cs")
    settings = TrainingSettings(**{field: record["training"][field] for field in TrainingSettings().as_record()})
    train_images, _ = train_validation_split()
    test_images, _ = binarized_test_split()
    evaluator = MnistEvaluator.load(device=device)

    rows = []
    for lam in args.lams:
        torch.manual_seed(settings.seed)
        model = ConvVAE(**record["config"]).to(device)
        train(model, train_images, dataclasses.replace(settings, lam=lam))
        model.half().float()  # scored as it would be shipped
        report = test_report(model, evaluator, test_images, settings.seed)
        test, quality = report["test"], report["sample_quality"]
        validation = validation_report(model, evaluator, settings.seed)
        rows.append(
            f"| {lam:g} | {validation['fid_samples']:.1f} | {quality['FID samples']:.1f} | {quality['FID reconstructions']:.1f} | "
            f"{test['reconstruction_nats']:.1f} | {test['cs']:.2f} | {test['kl']:.2f} | "
            f"{test['negative_elbo']:.1f} ± {test['negative_elbo_standard_error']:.1f} | "
            f"{test['iwae_negative_log_likelihood']:.1f} ± {test['iwae_negative_log_likelihood_standard_error']:.1f} |"
        )
    header = [
        f"CS-VAE, vae_cs's network and settings ({settings.epochs} epochs, seed {settings.seed}), device "
        f"{device_label(device)}; validation FID against the 1,000 validation digits, the rest on the test split:\n",
        "| λ | validation FID samples | FID samples | FID reconstructions | reconstruction (nats) | D_CS | KL "
        "| −ELBO (nats) | IWAE −log p(x) (nats) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    publish("sweep_cs_lambda", "\n".join(header + rows))


if __name__ == "__main__":
    main()
