"""What both VAEs say of each named drawing (data/digit_cases/) or of any folder of drawings: a table.

    python -m scripts.measure_digit_cases                       # the named cases -> docs/measured/digit_cases.md
    python -m scripts.measure_digit_cases --folder my_digits/   # your own PNGs, printed only

Each drawing goes through the tab's own route (models.digit_pipeline.read_drawing): prepared as MNIST was,
scored by −ELBO and IWAE −log p(x) (nats), placed among the 2,000 test digits, read by the digit classifier.
"""

import argparse
from pathlib import Path

import torch
from PIL import Image

from models.checkpoints import load_model
from models.classifier import CLASSIFIER_NAME, DigitClassifier
from models.digit_pipeline import digit_models, read_drawing
from models.vae import ConvVAE

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "data" / "digit_cases"
OUT = ROOT / "docs" / "measured" / "digit_cases.md"
CHECKPOINTS = {"KL-VAE": "vae_kl", "CS-VAE": "vae_cs"}


def table(paths: list[Path]) -> str:
    classifier, _ = load_model(DigitClassifier, CLASSIFIER_NAME)
    map_model, _ = load_model(ConvVAE, "vae_kl_2d")
    models = {
        label: digit_models(load_model(ConvVAE, n)[0], n, map_model, classifier) for label, n in CHECKPOINTS.items()
    }
    header = "| drawing | classifier (probability) | " + " | ".join(
        f"{label}: −ELBO / −log p(x) / percentile" for label in models
    )
    lines = [header + " |", "|---|---|" + "---|" * len(models)]
    for path in paths:
        readings = [read_drawing(Image.open(path), m) for m in models.values()]
        if readings[0] is None:
            lines.append(f"| {path.stem} | (blank) |" + " |" * len(models))
            continue
        cells = [f"{r.negative_elbo:.1f} / {r.negative_log_likelihood:.1f} / {r.percentile:.1f} %" for r in readings]
        lines.append(
            f"| {path.stem} | {readings[0].digit} ({readings[0].probability:.2f}) | " + " | ".join(cells) + " |"
        )
    lines += [
        "",
        "Nats per drawing; percentile: the share of the 2,000 binarized test digits that the model finds less likely "
        "(IWAE, 100 importance samples, the same estimator for both). Written by `python -m scripts.measure_digit_cases`.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, help="PNG drawings to read instead of the named cases (printed only)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.folder:
        print(table(sorted(args.folder.glob("*.png"))))
        return
    from demos.vae.own_digit import CASES as NAMED

    text = table([CASES / f"{case}.png" for case in NAMED])
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
