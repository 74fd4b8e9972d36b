"""Tab: Gradient estimators (placeholder until its issue lands)."""

import gradio as gr

BENCH_CASES = []


def build() -> None:
    gr.Markdown(
        "**Coming soon.** Estimate d/dμ E_{z~N(μ,1)}[f(z)] with the pathwise (reparameterization), score-function (REINFORCE), baseline-corrected and measure-valued estimators, and watch their variance change with μ and N — measured and exact, side by side."
    )
