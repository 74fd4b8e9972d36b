"""Tab: Sketch → image (placeholder until its issue lands)."""

import gradio as gr

BENCH_CASES = []


def build() -> None:
    gr.Markdown(
        "**Coming soon.** Draw on a canvas and watch a pix2pix model (U-Net + PatchGAN) turn your lines into an emoji."
    )
