"""Write the measured tables of docs/vae.md from the checkpoint records, so that no number there is typed by hand.

    python -m scripts.vae_docs

Each table sits between `<!-- generated: NAME -->` and `<!-- /generated -->` in docs/vae.md and is replaced in
place; the prose around it is left alone. Sources: checkpoints/vae_*.json (written by scripts.train_vae),
checkpoints/mnist_metrics_sanity.json (scripts.metrics_sanity), and, for the previous generation of models, the
records as committed at PREVIOUS_COMMIT (read with `git show`).
"""

import json
import re
import subprocess

import torch

from models.checkpoints import ROOT, checkpoint_paths, read_record
from models.vae import ConvVAE

DOC = ROOT / "docs" / "vae.md"
MODELS = ("vae_kl", "vae_cs", "vae_kl_2d")
PRIORS = ("vae_kl_prior", "vae_cs_prior")  # the mixtures fitted to the codes of vae_kl and vae_cs
PREVIOUS_COMMIT = "cf666f6"  # the last commit with the grey-level models (BCE on grey levels, 30 epochs)
INACTIVE_BELOW = 0.06
GENERATED = re.compile(r"(<!-- generated: ([a-z_]+) -->\n)(.*?)(<!-- /generated -->)", re.DOTALL)


def previous_record(name: str) -> dict | None:
    try:
        text = subprocess.run(
            ["git", "show", f"{PREVIOUS_COMMIT}:checkpoints/{name}.json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return json.loads(text)


def bounds(test: dict) -> str:
    """The −ELBO, IWAE and gap cells of a likelihood row, each ± its standard error."""
    return " | ".join(
        f"{test[key]:.2f} ± {test[key + '_standard_error']:.2f}"
        for key in ("negative_elbo", "iwae_negative_log_likelihood", "elbo_gap")
    )


def likelihood_table(records: dict[str, dict], priors: dict[str, dict]) -> str:
    lines = [
        "| model | latent | regularizer, λ | parameters | test −ELBO (nats) | IWAE −log p(x) (nats) | ELBO − IWAE | "
        "reconstruction + KL | D_CS | dims with activity < 0.06 (least) |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, record in records.items():
        test, training = record["test"], record["training"]
        activity = torch.tensor(record["latent_activity"])
        parameters = sum(p.numel() for p in ConvVAE(**record["config"]).parameters())
        lines.append(
            f"| `{name}` | {record['config']['latent_dim']} | {training['regularizer'].upper()}, {training['lam']:g} | "
            f"{parameters:,} | {bounds(test)} | "
            f"{test['reconstruction_nats']:.2f} + {test['kl']:.2f} | {test['cs']:.2f} | "
            f"{int((activity < INACTIVE_BELOW).sum())} of {len(activity)} ({activity.min().item():.3f}) |"
        )
    for name, record in priors.items():
        test, vae = record["test"], records[record["fit"]["vae"]]
        training, components, dim = vae["training"], record["config"]["components"], record["config"]["latent_dim"]
        parameters = components * (1 + dim + dim * (dim + 1) // 2) - 1  # weights, means, covariances
        lines.append(
            f"| `{record['fit']['vae']}` + `{name}` ({components} Gaussians) | {dim} | "
            f"{training['regularizer'].upper()}, {training['lam']:g} | +{parameters:,} | "
            f"{bounds(test)} | "
            f"{test['reconstruction_nats']:.2f} + {test['kl_prior']:.2f} | – | – |"
        )
    samples = {record["test"]["importance_samples"] for record in records.values()}
    digits = {record["test"]["digits"] for record in records.values()}
    lines.append(
        f"\nNats per test digit on the fixed binarization of the test split ({', '.join(map(str, digits))} digits), "
        f"± one standard error over the digits; IWAE with k = {', '.join(map(str, samples))} importance samples per "
        "digit; the ELBO's expectation is averaged over the same draws, its KL is exact (for a fitted mixture, whose "
        "KL has no known closed form, it is averaged over the same draws too)."
    )
    return "\n".join(lines)


def quality_table(records: dict[str, dict], previous: dict[str, dict | None]) -> str:
    """Sample quality of each model (prior N(0, I), or a fitted mixture for the `*_prior` records)."""
    lines = [
        "| model | FID samples | FID reconstructions | IS samples | precision | recall | PPL (± s.e.) | F8 (PRD) | "
        "F1/8 (PRD) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, record in records.items():
        q = record["sample_quality"]
        label = f"`{record['fit']['vae']}` + `{name}`" if "fit" in record else f"`{name}`"
        lines.append(
            f"| {label} | {q['FID samples']:.1f} | {q['FID reconstructions']:.1f} | {q['IS samples']:.2f} | "
            f"{q['precision']:.3f} | {q['recall']:.3f} | {q['PPL']:.1f} ± {q['PPL standard error']:.1f} | "
            f"{q['F8 (PRD)']:.3f} | {q['F1/8 (PRD)']:.3f} |"
        )
    for name, record in previous.items():
        if record is None:
            continue
        q, test = record["sample_quality"], record["test"]
        lines.append(
            f"| previous `{name}` (grey levels, {PREVIOUS_COMMIT}; −ELBO {test['negative_elbo']:.2f} not a likelihood) | "
            f"{q['FID samples']:.1f} | {q['FID reconstructions']:.1f} | {q['IS samples']:.2f} | {q['precision']:.3f} | "
            f"{q['recall']:.3f} | – | – | – |"
        )
    return "\n".join(lines)


def prior_effect_table(records: dict[str, dict], priors: dict[str, dict]) -> str:
    """Each VAE's figures sampled from N(0, I) → from its fitted mixture: the same decoder, another prior."""
    lines = [
        "| VAE | test IWAE −log p(x) (nats) | FID samples | IS samples | precision | recall | F8 (PRD) | F1/8 (PRD) | PPL |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for record in priors.values():
        vae = records[record["fit"]["vae"]]
        before, after = vae["sample_quality"], record["sample_quality"]
        iwae = [r["test"]["iwae_negative_log_likelihood"] for r in (vae, record)]
        cells = [f"{iwae[0]:.2f} → {iwae[1]:.2f}"] + [
            f"{before[key]:{form}} → {after[key]:{form}}"
            for key, form in (
                ("FID samples", ".1f"),
                ("IS samples", ".2f"),
                ("precision", ".3f"),
                ("recall", ".3f"),
                ("F8 (PRD)", ".3f"),
                ("F1/8 (PRD)", ".3f"),
                ("PPL", ",.0f"),
            )
        ]
        lines.append(f"| `{record['fit']['vae']}` | {' | '.join(cells)} |")
    return "\n".join(lines)


def training_table(records: dict[str, dict]) -> str:
    lines = [
        "| model | network | epochs | batch | peak lr | warm-up epochs | max shift (px) | train / validation digits | "
        "last validation −ELBO (1 sample) | time | device, threads |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for name, record in records.items():
        t, c = record["training"], record["config"]
        lines.append(
            f"| `{name}` | channels {c['channels']}, hidden {c['hidden']}, residual blocks {c['blocks']} | {t['epochs']} | "
            f"{t['batch_size']} | {t['lr']:g} | {t['warmup_epochs']:g} | {t['max_shift']} | "
            f"{t['train_digits']:,} / {t['validation_digits']:,} | {t['curve'][-1]['validation_negative_elbo']:.2f} | "
            f"{t['seconds'] / 60:.1f} min | {t['device']}, {t['threads']} |"
        )
    return "\n".join(lines)


def prior_table(priors: dict[str, dict]) -> str:
    """Every candidate mixture of every fit, with the validation numbers that chose one."""
    lines = [
        "| fitted to | components | validation FID samples | validation FID reconstructions | validation −ELBO | "
        "validation IWAE −log p(x) | chosen |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for record in priors.values():
        for row in record["fit"]["candidates"]:
            chosen = "✓" if row["components"] == record["config"]["components"] else ""
            lines.append(
                f"| `{record['fit']['vae']}` | {row['components']} | {row['fid_samples']:.1f} | "
                f"{row['fid_reconstructions']:.1f} | {row['negative_elbo']:.2f} | "
                f"{row['iwae_negative_log_likelihood']:.2f} | {chosen} |"
            )
    fits = [
        f"`{record['fit']['vae']}` {record['fit']['seconds'] / 60:.1f} min on {record['fit']['device']}"
        for record in priors.values()
    ]
    codes = "; ".join(sorted({record["fit"]["codes"] for record in priors.values()}))
    lines.append(
        f"\nCodes: {codes}. Every candidate was fitted by EM and the one with the lowest validation FID kept. Fitting "
        f"and evaluating all candidates took {', '.join(fits)}."
    )
    return "\n".join(lines)


def sanity_table() -> str:
    path = checkpoint_paths("mnist_metrics_sanity")[1]
    if not path.is_file():
        return "(missing: run `python -m scripts.metrics_sanity`)"
    record = json.loads(path.read_text())
    lines = [
        "| compared with the test split (2,000) | images | FID | IS | precision | recall | F8 (PRD) | F1/8 (PRD) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in record["rows"]:
        lines.append(
            f"| {row['label']} | {row['images']:,} | {row['FID']:.2f} | {row['IS']:.2f} | {row['precision']:.3f} | "
            f"{row['recall']:.3f} | {row['F8']:.3f} | {row['F1/8']:.3f} |"
        )
    fids = torch.tensor(record["small_sample_fid"]["fids"])
    lines.append(
        f"\nFID of {record['small_sample_fid']['draw_size']:,} vs {record['small_sample_fid']['draw_size']:,} disjoint "
        f"random draws from the train split, {len(fids)} repeats: mean {fids.mean():.2f}, sd {fids.std():.2f}, "
        f"range {fids.min():.2f}–{fids.max():.2f}."
    )
    return "\n".join(lines)


def tables() -> dict[str, str]:
    """Every generated block of docs/vae.md, by marker name, from the records as they are now."""
    records = {name: read_record(name) for name in MODELS}
    priors = {name: read_record(name) for name in PRIORS}
    return {
        "vae_likelihood": likelihood_table(records, priors),
        "vae_quality": quality_table(records | priors, {name: previous_record(name) for name in MODELS}),
        "vae_prior_effect": prior_effect_table(records, priors),
        "vae_priors": prior_table(priors),
        "vae_training": training_table(records),
        "metrics_sanity": sanity_table(),
    }


def generated_blocks(text: str) -> dict[str, str]:
    """The generated blocks a text holds now, by marker name."""
    return {match[2]: match[3].rstrip("\n") for match in GENERATED.finditer(text)}


def main() -> None:
    written = tables()
    text = DOC.read_text(encoding="utf-8")
    missing = set(written) - set(generated_blocks(text))
    if missing:
        raise SystemExit(f"{DOC} has no marker for {sorted(missing)}.")
    DOC.write_text(GENERATED.sub(lambda m: m[1] + written[m[2]] + "\n" + m[4], text), encoding="utf-8")
    print(f"Wrote {len(written)} tables into {DOC.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
