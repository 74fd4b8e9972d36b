"""Held-out comparison of the GAN and the L1-only pix2pix: metrics table, example grid, CPU inference time.

    python -m scripts.eval_pix2pix          # -> docs/pix2pix_results.md, docs/pix2pix_heldout.png

On the held-out emoji (never seen in training) it reports L1 and SSIM against the real emoji and the
sharpness ratio (mean gradient magnitude of the outputs over that of the real images; 1 = as sharp as the
real thing), writes a grid of (sketch, L1-only, GAN, real) rows, times single-image inference on one CPU
thread, and stores the metrics in each checkpoint's JSON record.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models.checkpoints import checkpoint_paths, read_record
from models.pix2pix import UNetGenerator, generate_all, held_out_metrics, load_generator
from models.pix2pix_data import load_emoji_pairs
from scripts.bench import percentiles, time_calls

ROOT = Path(__file__).resolve().parent.parent
MODELS = {"L1 only": "pix2pix_l1", "GAN (L1 + adversarial)": "pix2pix_gan"}  # grid column order


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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "pix2pix" / "emoji128.npz")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--rows", type=int, default=6)
    parser.add_argument("--blocks", type=int, default=2, help="groups of (sketch, L1, GAN, real) side by side")
    parser.add_argument("--timing-calls", type=int, default=100)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # the machine is shared; inference is timed on one thread

    held_out = load_emoji_pairs(args.data, held_out=True)
    results, outputs, sketches, reals = {}, {}, None, None
    for label, name in MODELS.items():
        G = load_generator(name)
        sketches, fake, reals = generate_all(G, held_out, torch.device("cpu"))
        outputs[label] = fake
        metrics = held_out_metrics(fake, reals)
        metrics["cpu_inference_ms_p50"], metrics["cpu_inference_ms_p95"] = inference_milliseconds(G, args.timing_calls)
        results[label] = metrics
        record = read_record(name)
        record["held_out"] = metrics
        checkpoint_paths(name)[1].write_text(json.dumps(record, indent=2) + "\n")

    args.out.mkdir(parents=True, exist_ok=True)
    # Spread the shown examples over the held-out set with a fixed stride, not hand-picked.
    shown = torch.linspace(0, len(held_out) - 1, args.rows * args.blocks).round().long()
    columns = [sketches[shown], *(outputs[label][shown] for label in MODELS), reals[shown]]
    grid(columns, args.rows, args.blocks).save(args.out / "pix2pix_heldout.png", optimize=True)

    lines = [
        f"| model ({len(held_out)} held-out emoji) | L1 ↓ | SSIM ↑ | sharpness ratio (1 = real) | CPU ms p50 / p95 |",
        "|---|---|---|---|---|",
    ]
    for label, m in results.items():
        lines.append(
            f"| {label} | {m['l1']:.4f} ± {m['l1_se']:.4f} | {m['ssim']:.3f} ± {m['ssim_se']:.3f} | "
            f"{m['sharpness_ratio']:.3f} ± {m['sharpness_ratio_se']:.3f} | "
            f"{m['cpu_inference_ms_p50']:.1f} / {m['cpu_inference_ms_p95']:.1f} |"
        )
    lines.append("")
    lines.append("± one standard error (over images; bootstrap for the ratio). Grid: sketch, L1 only, GAN, real.")
    table = "\n".join(lines) + "\n"
    (args.out / "pix2pix_results.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
