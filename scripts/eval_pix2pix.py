"""Evaluate the pix2pix generators on the held-out emoji: docs/pix2pix_results.md, docs/pix2pix_heldout.png

    python -m scripts.eval_pix2pix
    python -m scripts.eval_pix2pix --checkpoint-dir runs/candidates --checkpoint-dir checkpoints   # compare

On the held-out emoji (never seen in training) it reports L1 and SSIM against the real emoji, the sharpness
ratio (mean gradient magnitude of the outputs over that of the real images; 1 = as sharp as the real thing),
the checkerboard ratio (spectral energy at the Nyquist frequency of the outputs over that of the real images;
above 1 = a pixel-period pattern the real emoji do not have), and the CPU time of one single-image forward pass
on one thread. It stores the metrics in each checkpoint's JSON record ("held_out"), writes the table, and a grid
of (sketch, L1 only, GAN, real) rows from the first checkpoint folder.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models.checkpoints import CHECKPOINT_DIR, checkpoint_paths, load_model, read_record
from models.pix2pix import UNetGenerator
from models.pix2pix_data import load_emoji_pairs
from models.pix2pix_pipeline import GENERATORS
from models.pix2pix_training import generate_all, held_out_metrics
from scripts.bench import percentiles, time_calls

ROOT = Path(__file__).resolve().parent.parent
LABELS = {"l1": "L1 only", "gan": "GAN (L1 + adversarial)"}  # grid column order


def inference_milliseconds(G: UNetGenerator, calls: int) -> tuple[float, float]:
    """p50 and p95 of one 1-image forward pass on the CPU, after a warm-up."""
    x = torch.zeros(1, G.in_channels, G.image_size, G.image_size)
    with torch.inference_mode():
        return percentiles(time_calls(lambda: G(x), calls, warmup=5))


def grid(columns: list[torch.Tensor], rows: int, blocks: int) -> Image.Image:
    """`rows` x `blocks` groups of the columns side by side, 2 px white gutters."""
    size, gap = columns[0].shape[-1], 2
    images = [
        [(c[i].expand(3, -1, -1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8) for c in columns]
        for i in range(rows * blocks)
    ]
    width = blocks * (len(columns) * (size + gap) + 3 * gap)
    canvas = np.full((rows * (size + gap), width, 3), 255, np.uint8)
    for index, group in enumerate(images):
        row, block = index % rows, index // rows
        left = block * (len(columns) * (size + gap) + 3 * gap)
        for column, image in enumerate(group):
            x = left + column * (size + gap)
            canvas[row * (size + gap) : row * (size + gap) + size, x : x + size] = image
    return Image.fromarray(canvas)


def describe(record: dict) -> str:
    """The levers of a model from its record: 'ngf 16, resize decoder, from an L1 generator, SN D, 30 epochs'."""
    training = record.get("training", {})
    parts = [f"ngf {record['config']['ngf']}", f"{record['config'].get('upsample', 'transposed')} decoder"]
    if training.get("initialized_from"):
        parts.append(f"fine-tuned from {Path(training['initialized_from']['checkpoint']).name}")
    if "spectral norm True" in (training.get("discriminator") or ""):
        parts.append("spectral-norm D")
    if "lr 2e-4" not in training.get("optimizer", "lr 2e-4") and "lr 0.0002" not in training.get("optimizer", ""):
        parts.append(training["optimizer"].split(" betas")[0].replace("Adam ", ""))
    epochs = training.get("epochs_done", training.get("epochs"))
    return ", ".join(parts) + (f", {epochs} epochs" if epochs is not None else "")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "pix2pix" / "emoji128.npz")
    parser.add_argument("--checkpoint-dir", type=Path, action="append", help="repeatable; default checkpoints/")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--rows", type=int, default=6)
    parser.add_argument("--blocks", type=int, default=2, help="groups of (sketch, L1, GAN, real) side by side")
    parser.add_argument("--timing-calls", type=int, default=100)
    args = parser.parse_args(argv)
    directories = args.checkpoint_dir or [CHECKPOINT_DIR]
    torch.set_num_threads(1)  # the machine is shared; inference is timed on one thread

    held_out = load_emoji_pairs(args.data, held_out=True)
    rows, first_outputs, sketches, reals = [], {}, None, None
    for directory in directories:
        for key in LABELS:
            name = GENERATORS[key]
            if not checkpoint_paths(name, directory)[0].is_file():  # a candidate folder may hold one of the two
                continue
            G, record = load_model(UNetGenerator, name, directory)
            sketches, fake, reals = generate_all(G, held_out, torch.device("cpu"))
            if directory == directories[0]:
                first_outputs[key] = fake
            metrics = held_out_metrics(fake, reals)
            metrics["cpu_inference_ms_p50"], metrics["cpu_inference_ms_p95"] = inference_milliseconds(
                G, args.timing_calls
            )
            record["held_out"] = metrics
            checkpoint_paths(name, directory)[1].write_text(json.dumps(record, indent=2) + "\n")
            rows.append((f"{LABELS[key]}: {describe(read_record(name, directory))} ({directory.name}/)", metrics))

    args.out.mkdir(parents=True, exist_ok=True)
    # Spread the shown examples over the held-out set with a fixed stride, not hand-picked.
    shown = torch.linspace(0, len(held_out) - 1, args.rows * args.blocks).round().long()
    columns = [sketches[shown], *(first_outputs[key][shown] for key in LABELS), reals[shown]]
    grid(columns, args.rows, args.blocks).save(args.out / "pix2pix_heldout.png", optimize=True)

    lines = [
        f"| model ({len(held_out)} held-out emoji) | L1 ↓ | SSIM ↑ | sharpness ratio (1 = real) | "
        "checkerboard ratio (1 = real) | CPU ms p50 / p95 |",
        "|---|---|---|---|---|---|",
    ]
    for label, m in rows:
        lines.append(
            f"| {label} | {m['l1']:.4f} ± {m['l1_se']:.4f} | {m['ssim']:.3f} ± {m['ssim_se']:.3f} | "
            f"{m['sharpness_ratio']:.3f} ± {m['sharpness_ratio_se']:.3f} | "
            f"{m['checkerboard_ratio']:.2f} ± {m['checkerboard_ratio_se']:.2f} | "
            f"{m['cpu_inference_ms_p50']:.1f} / {m['cpu_inference_ms_p95']:.1f} |"
        )
    lines.append("")
    lines.append(
        f"Data: `{args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT) else args.data}`. ± one standard "
        "error (over images; bootstrap for the ratios). CPU: one thread, 1 image, p50 / p95 of "
        f"{args.timing_calls} calls. Grid (`pix2pix_heldout.png`, {directories[0].name}/): sketch, L1 only, GAN, real."
    )
    table = "\n".join(lines) + "\n"
    (args.out / "pix2pix_results.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
