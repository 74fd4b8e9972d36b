"""Tab: KL vs Cauchy–Schwarz (placeholder until its issue lands)."""

import gradio as gr

BENCH_CASES = []


def build() -> None:
    gr.Markdown(
        "**Coming soon.** Compare KL and the Cauchy–Schwarz divergence between two Gaussians (and a mixture), with closed forms checked by numerical integration, and see the CS-regularized VAE objective."
    )
