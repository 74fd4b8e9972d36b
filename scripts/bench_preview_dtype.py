"""The VAE previews in float32 and in bfloat16 (models.device.preview_dtype): time and grey-level difference.

    python -m scripts.bench_preview_dtype

One torch thread, as in the app. Each row is the median of 21 calls after one warm-up, of the pipeline function
that the endpoint calls (64 prior samples; the 16 × 9 traversal), and the largest and mean difference between the
two dtypes' images, in grey levels (of 255). On a CPU without native bfloat16 the app keeps float32 whatever
this table says (the header line tells which applies here).
"""

import copy
import statistics
import time

import torch

from models.checkpoints import load_model
from models.device import preview_dtype
from models.mnist import binarized_test_split
from models.vae import ConvVAE
from models.vae_pipeline import sample_images, traverse
from scripts.report import publish

REPEATS = 21


def median_ms(draw, model) -> float:
    draw(model)
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        draw(model)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    torch.set_num_threads(1)
    digit = binarized_test_split()[0][:1]
    views = {
        "samples (64)": lambda model: sample_images(model, 64, seed=0),
        "traversal (16 × 9)": lambda model: traverse(model, digit, torch.arange(16), 3.0, 9).images,
    }
    lines = [
        f"The app's preview dtype on this machine's CPU: {str(preview_dtype(torch.device('cpu'))).removeprefix('torch.')}\n",
        "| model | view | float32 (ms) | bfloat16 (ms) | grey levels apart: max / mean |",
        "|---|---|---:|---:|---:|",
    ]
    for name in ("vae_kl", "vae_cs"):
        exact = load_model(ConvVAE, name)[0]
        fast = copy.deepcopy(exact).to(torch.bfloat16)
        for view, draw in views.items():
            apart = ((draw(exact) - draw(fast)) * 255).abs()
            lines.append(
                f"| `{name}` | {view} | {median_ms(draw, exact):.1f} | {median_ms(draw, fast):.1f} "
                f"| {apart.max():.1f} / {apart.mean():.2f} |"
            )
    publish("bench_preview_dtype", "\n".join(lines))


if __name__ == "__main__":
    main()
