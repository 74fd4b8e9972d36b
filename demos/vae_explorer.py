"""Tab: VAE explorer (placeholder until its issue lands)."""

import gradio as gr

BENCH_CASES = []


def build() -> None:
    gr.Markdown(
        "**Coming soon.** Explore convolutional VAEs trained on real MNIST digits (KL- and CS-regularized): latent traversal, prior sampling, reconstructions, a 2-D latent map, and an FID readout."
    )
