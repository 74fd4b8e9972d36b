"""Fit a Gaussian-mixture prior to a trained VAE's codes of the training digits; report it on the test split.

    python -m scripts.fit_vae_prior --model vae_kl     # checkpoints/vae_kl_prior
    python -m scripts.fit_vae_prior --model vae_cs     # checkpoints/vae_cs_prior

Why and how: models/latent_prior.py. The codes are `--draws` samples z ~ q(z|x) for each of the 7,000 training
digits, each draw on a fresh binarization (as in training). Every candidate number of components is fitted by EM
and judged by the FID of 2,000 prior samples against the 1,000 validation digits; the best one is kept (the
test split chooses nothing). Writes checkpoints/<model>_prior.safetensors and .json: config, the fit, the
selection table, provenance, and the same test report as the VAE's own record (negative ELBO and IWAE −log p(x)
with the mixture as p(z), FIDs, IS, precision/recall, PPL, PRD). A few minutes on two CPU cores.
"""

import argparse
import json
import time

import torch
from tqdm import tqdm

from models.checkpoints import load_model, provenance, save_checkpoint
from models.device import device_label, select_device
from models.latent_prior import fit_mixture
from models.metrics import MnistEvaluator
from models.mnist import binarize, binarized_test_split, mnist_sha256, train_validation_split
from models.vae import ConvVAE, reparameterize
from scripts.train_vae import test_report, validation_report

CANDIDATES = (1, 5, 10, 20, 30, 50)  # numbers of mixture components tried
DRAWS = 4  # codes per training digit
SEED = 0


@torch.no_grad()
def training_codes(model: ConvVAE, draws: int, seed: int) -> torch.Tensor:
    """`draws` codes z ~ q(z|x) per training digit (7,000 × draws, d), each on its own binarization."""
    train_images, _ = train_validation_split()
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    codes = []
    for draw in range(draws):
        binary = binarize(train_images, seed + 1000 + draw).to(device)
        for batch in binary.split(1000):
            codes.append(reparameterize(*model.encode(batch), generator=generator).cpu())
    return torch.cat(codes)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["vae_kl", "vae_cs"], required=True, help="the VAE checkpoint")
    parser.add_argument("--components", type=int, nargs="+", default=list(CANDIDATES), help="candidates to try")
    parser.add_argument("--draws", type=int, default=DRAWS, help="codes per training digit")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    device = select_device()
    model, vae_record = load_model(ConvVAE, args.model)
    model = model.to(device)
    evaluator = MnistEvaluator.load(device=device)
    codes = training_codes(model, args.draws, args.seed)
    candidates = []
    for components in tqdm(args.components, desc=f"{args.model}: mixtures"):
        mixture = fit_mixture(codes, components, seed=args.seed)
        validation = validation_report(model, evaluator, args.seed, mixture)
        candidates.append((mixture, {"components": components, **validation}))
        tqdm.write(f"{components:>3} components: validation FID samples {validation['fid_samples']:.1f}")
    best, _ = min(candidates, key=lambda candidate: candidate[1]["fid_samples"])
    test_images, _ = binarized_test_split()
    report = test_report(model, evaluator, test_images, args.seed, best)
    record = {
        "fit": {
            "vae": args.model,
            "vae_git_commit": vae_record["provenance"]["git_commit"],
            "codes": f"{args.draws} draws z ~ q(z|x) for each of the {len(codes) // args.draws} training digits",
            "method": "EM, full covariances, ridge 1e-4 (models/latent_prior.fit_mixture)",
            "seed": args.seed,
            "chosen_by": "validation FID of 2,000 samples against the 1,000 validation digits",
            "candidates": [row for _, row in candidates],
            "seconds": round(time.perf_counter() - started, 1),
            "device": device_label(device),
        },
        "provenance": provenance(mnist_sha256(), device_label(device)),
        "evaluation_device": device_label(device),
        "validation": next(row for mixture, row in candidates if mixture is best),
        **{key: report[key] for key in ("test", "sample_quality", "sample_quality_n", "sample_quality_seed")},
    }
    save_checkpoint(best, f"{args.model}_prior", record)
    print(json.dumps({key: record[key] for key in ("validation", "test", "sample_quality")}, indent=1)[:3000])
    print(f"Written checkpoints/{args.model}_prior.safetensors and .json")


if __name__ == "__main__":
    main()
