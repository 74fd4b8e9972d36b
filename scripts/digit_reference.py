"""What the VAE tab's "Your own digit" compares a drawing with: checkpoints/vae_digit_reference.{safetensors,json}

    python -m scripts.digit_reference

For each of vae_kl and vae_cs: the −ELBO and IWAE −log p(x) (nats) of each of the 2,000 binarized test digits, with
models.digit_pipeline.REFERENCE_SAMPLES importance samples (the estimator a drawing gets), and the codes μ(x) of the
8,000 training digits (one binarization, TRAIN_CODES_SEED) among which a drawing's nearest neighbours are found. The
record holds the checksum of the weights they were computed with: the tab refuses a stale file. A few minutes on
two CPU cores.
"""

import argparse
import json
import time

import torch
from safetensors.torch import save_file
from tqdm import tqdm

from models.checkpoints import checkpoint_paths, load_model, provenance
from models.digit_pipeline import REFERENCE_NAME, REFERENCE_SAMPLES, TRAIN_CODES_SEED, latent_codes
from models.metrics import file_sha256
from models.mnist import binarize, binarized_test_split, load_mnist, mnist_sha256
from models.vae import ConvVAE, per_digit_likelihood

CHECKPOINTS = ("vae_kl", "vae_cs")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    digits, _ = binarized_test_split()
    train_binary = binarize(load_mnist("train")[0], TRAIN_CODES_SEED)
    models, tensors = {}, {}
    for name in CHECKPOINTS:
        model, _ = load_model(ConvVAE, name)
        generator = torch.Generator().manual_seed(args.seed)
        elbo, nll = [], []
        for batch in tqdm(digits.split(args.batch_size), desc=name, mininterval=10):
            parts = per_digit_likelihood(model, batch, REFERENCE_SAMPLES, generator)
            elbo += (parts["reconstruction"] + parts["kl"]).tolist()
            nll += parts["negative_log_likelihood"].tolist()
        tensors[f"{name}.test_negative_elbo"] = torch.tensor(elbo)
        tensors[f"{name}.test_negative_log_likelihood"] = torch.tensor(nll)
        tensors[f"{name}.train_codes"] = latent_codes(model, train_binary)
        models[name] = {"weights_sha256": file_sha256(checkpoint_paths(name)[0])}
        print(f"{name}: mean −ELBO {sum(elbo) / len(elbo):.2f}, mean IWAE −log p(x) {sum(nll) / len(nll):.2f} nats")
    record = {
        "what": "per test digit (binarized test split, in order): −ELBO and IWAE −log p(x) in nats; "
        "μ(x) of the training digits (binarized with train_codes_seed, in order)",
        "train_codes_seed": TRAIN_CODES_SEED,
        "importance_samples": REFERENCE_SAMPLES,
        "seed": args.seed,
        "seconds": round(time.perf_counter() - started, 1),
        "provenance": provenance(mnist_sha256()),
        "models": models,
    }
    weights, record_path = checkpoint_paths(REFERENCE_NAME)
    save_file(tensors, str(weights))
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {weights} and {record_path}")


if __name__ == "__main__":
    main()
