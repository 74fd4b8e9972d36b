"""Choose the shipped VAEs among trained candidates by their validation digits, never by the test split.

    python -m scripts.select_vae runs/candidates/*/checkpoints/vae_*.json

Each argument is the JSON record that `python -m scripts.train_vae` wrote for one candidate. The records are
grouped by what they are for (regularizer and latent size: vae_kl, vae_cs, vae_kl_2d); in each group the
candidate with the lowest FID of its 2,000 prior samples against the 1,000 validation digits wins (the VAE tab
exists to show samples; likelihoods are printed beside it). Prints one Markdown table per group, the winner
first, and writes them to docs/measured/select_vae.md.
"""

import argparse
import json
from pathlib import Path

from scripts.report import publish

SETTINGS = ("blocks", "channels", "epochs", "max_shift", "warmup_epochs", "lam")


def describe(record: dict) -> str:
    config, training = record["config"], record["training"]
    values = {**config, **training}
    return ", ".join(f"{key} {values[key]:g}" for key in SETTINGS)


def group_name(record: dict) -> str:
    name = f"vae_{record['training']['regularizer']}"
    return name + "_2d" if record["config"]["latent_dim"] == 2 else name


def table(records: list[tuple[Path, dict]]) -> str:
    lines = [
        "| candidate | settings | validation FID samples | validation FID reconstructions "
        "| validation −ELBO | validation IWAE −log p(x) | training time |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for path, record in records:
        validation, training = record["validation"], record["training"]
        lines.append(
            f"| {path.parent.parent.name} | {describe(record)} | {validation['fid_samples']:.1f} | "
            f"{validation['fid_reconstructions']:.1f} | {validation['negative_elbo']:.2f} | "
            f"{validation['iwae_negative_log_likelihood']:.2f} | {training['seconds']:.0f} s on {training['device']} |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", type=Path, nargs="+")
    args = parser.parse_args(argv)
    groups: dict[str, list] = {}
    for path in args.records:
        record = json.loads(path.read_text())
        groups.setdefault(group_name(record), []).append((path, record))
    sections = []
    for name, records in sorted(groups.items()):
        records.sort(key=lambda item: item[1]["validation"]["fid_samples"])
        winner = records[0][0].parent.parent.name
        sections.append(f"### {name}: chosen `{winner}`\n\n{table(records)}")
    publish("select_vae", "\n\n".join(sections))


if __name__ == "__main__":
    main()
