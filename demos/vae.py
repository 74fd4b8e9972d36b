"""Tab: VAE explorer — what a convolutional VAE trained on real MNIST learned, KL- or CS-regularized.

Prior samples, latent traversals, interpolations, reconstructions, the 2-D latent map and a sample-quality
readout (FID, IS, precision/recall on MNIST-classifier features). The networks live in models/vae.py;
this module only loads them once and turns their outputs into pictures.

Public API. Images are RGB uint8 grids of 28 px digits with a 2 px gap around each, upscaled ×k by nearest
neighbour: R rows and C columns make an image k·(30·R + 2) px high and k·(30·C + 2) px wide.
    /vae_sample   (model, n, temperature, seed) → n prior samples in rows of 8, k = 4
    /vae_traverse (model, digit_index, span)    → (traversal 16 rows × 9 columns, k = 2; the test digit, k = 4)
    /vae_metrics  (model, n, seed)              → table `metric, value`
"""

import functools
import math
from typing import NamedTuple

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import torch
from scipy.stats import norm

from demos import LATEX_DELIMITERS, METRICS_QUEUE, TORCH_QUEUE, BenchCase, show_unavailable
from demos.validation import choice, friendly_errors, integer, number
from models.checkpoints import CheckpointError, load_state_into, read_record
from models.device import select_device
from models.metrics import MnistEvaluator
from models.mnist import MnistDataError, load_mnist
from models.vae import (
    ConvVAE,
    build_model,
    latent_activity,
    reconstruct,
    reconstruction_fid,
    sample_images,
    sample_quality,
    transposed_conv_shapes,
)

MODELS = {"kl": ("KL-VAE", "vae_kl"), "cs": ("CS-VAE", "vae_cs")}  # API value → (label, checkpoint)
MAP_CHECKPOINT = "vae_kl_2d"
CLASSIFIER_COMMAND = ".venv/bin/python -m scripts.train_classifier"
TRAIN_COMMANDS = {
    "vae_kl": ".venv/bin/python -m scripts.train_vae --regularizer kl --latent 16",
    "vae_cs": ".venv/bin/python -m scripts.train_vae --regularizer cs --latent 16 --lam 1",
    "vae_kl_2d": ".venv/bin/python -m scripts.train_vae --regularizer kl --latent 2",
}

SCALE = 4  # nearest-neighbour upscaling: a 28 px digit becomes 112 px, readable on a projector
TRAVERSE_SCALE = 2  # the 16 × 9 traversal is large already: at ×2 it fits one screen (964 × 544 px)
GAP = 2  # px between digits, before upscaling
GAP_COLOUR = (70, 70, 70)
MARK_COLOUR = (255, 150, 0)  # frames the base column of a traversal and the originals of an interpolation
SAMPLE_COLUMNS = 8
MAX_SAMPLES = 64
TEMPERATURES = (0.1, 3.0)
MAX_SEED = 2**31 - 1
TRAVERSE_STEPS = 9  # offsets −span … +span; the middle one (offset 0) is the digit's own code
SPANS = (0.5, 5.0)
INTERPOLATION_STEPS = 8
RECONSTRUCTIONS = 8
MAP_STEPS = 15  # the 2-D manifold is decoded on a 15 × 15 grid of prior quantiles
METRICS_SAMPLES = (100, 5000)
METRIC_ROWS = ("FID samples", "FID reconstructions", "IS samples", "precision", "recall")


class Loaded(NamedTuple):
    models: dict[str, ConvVAE]  # "kl" / "cs" → model
    records: dict[str, dict]  # checkpoint name → JSON record
    activity_order: dict[str, torch.Tensor]  # latent dims, most active first
    map_model: ConvVAE
    evaluator: MnistEvaluator
    test_images: torch.Tensor
    test_labels: torch.Tensor


def _load_checkpoint(name: str, device: torch.device) -> tuple[ConvVAE, dict]:
    try:
        record = read_record(name)
        return load_state_into(build_model(record["config"]), name).to(device).eval(), record
    except (CheckpointError, KeyError) as exc:
        raise CheckpointError(f"{exc} Train it with `{TRAIN_COMMANDS[name]}`.") from exc


@functools.cache
def loaded() -> Loaded:
    """Models, evaluator and test split, loaded once per process (raises CheckpointError / MnistDataError)."""
    device = select_device()
    test_images, test_labels = load_mnist("test")
    models, records = {}, {}
    for key, (_, name) in MODELS.items():
        models[key], records[name] = _load_checkpoint(name, device)
    map_model, records[MAP_CHECKPOINT] = _load_checkpoint(MAP_CHECKPOINT, device)
    activity_order = {
        key: latent_activity(model, test_images).argsort(descending=True) for key, model in models.items()
    }
    try:
        evaluator = MnistEvaluator.load(device=device)
    except CheckpointError as exc:
        raise CheckpointError(f"{exc} The sample-quality metrics need it: `{CLASSIFIER_COMMAND}` rebuilds it.") from exc
    return Loaded(models, records, activity_order, map_model, evaluator, test_images, test_labels)


# ---------------------------------------------------------------------------------------------------
# Pictures


def tile(images: torch.Tensor, columns: int, marked_columns=(), scale: int = SCALE) -> np.ndarray:
    """Digits (N, 1, 28, 28) in [0, 1], row by row, as one RGB uint8 grid upscaled by nearest neighbour."""
    rows = math.ceil(len(images) / columns)
    cell = 28 + GAP
    canvas = np.empty((rows * cell + GAP, columns * cell + GAP, 3), dtype=np.uint8)
    canvas[:] = GAP_COLOUR
    for column in marked_columns:
        canvas[:, column * cell : (column + 1) * cell + GAP] = MARK_COLOUR
    pixels = (images[:, 0].clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
    for index, digit in enumerate(pixels):
        top, left = GAP + (index // columns) * cell, GAP + (index % columns) * cell
        canvas[top : top + 28, left : left + 28] = digit[..., None]
    return canvas.repeat(scale, axis=0).repeat(scale, axis=1)


def _model(model) -> ConvVAE:
    return loaded().models[choice(model, "model", MODELS)]


def _test_index(value, name: str) -> int:
    return integer(value, name, 0, len(loaded().test_images) - 1)


# ---------------------------------------------------------------------------------------------------
# Public endpoints


@friendly_errors
def vae_sample(model, n, temperature, seed) -> np.ndarray:
    """n ∈ [1, 64] digits decoded from z = temperature·ε, ε ~ N(0, I); temperature ∈ [0.1, 3]; seed ∈ [0, 2³¹−1]."""
    vae = _model(model)
    n = integer(n, "n", 1, MAX_SAMPLES)
    temperature = number(temperature, "temperature", *TEMPERATURES)
    seed = integer(seed, "seed", 0, MAX_SEED)
    return tile(sample_images(vae, n, temperature, seed), columns=min(n, SAMPLE_COLUMNS))


@friendly_errors
@torch.no_grad()
def vae_traverse(model, digit_index, span) -> tuple[np.ndarray, np.ndarray]:
    """Decode μ(x) + offset·e_d for test digit x (index ∈ [0, 1999]) and offsets −span…+span (span ∈ [0.5, 5]).

    Rows are the latent dims, most active first; the marked middle column is offset 0.
    """
    vae = _model(model)
    index = _test_index(digit_index, "digit_index")
    span = number(span, "span", *SPANS)
    state = loaded()
    digit = state.test_images[index : index + 1]
    mu, _ = vae.encode(digit.to(next(vae.parameters()).device))
    directions = torch.eye(vae.latent_dim, device=mu.device)[state.activity_order[model]]  # (dims, latent)
    offsets = torch.linspace(-span, span, TRAVERSE_STEPS, device=mu.device)
    codes = mu + offsets[None, :, None] * directions[:, None, :]  # (dims, steps, latent)
    images = torch.sigmoid(vae.decode(codes.reshape(-1, vae.latent_dim)))
    grid = tile(images, TRAVERSE_STEPS, marked_columns=[TRAVERSE_STEPS // 2], scale=TRAVERSE_SCALE)
    return grid, tile(digit, 1)


@functools.cache
def test_reconstruction_fid(model: str) -> float:
    """FID of a model's test-split reconstructions: the same for every request, so computed once."""
    state = loaded()
    return reconstruction_fid(state.models[model], state.evaluator, state.test_images)


@friendly_errors
def vae_metrics(model, n, seed) -> list[list]:
    """FID/IS/precision/recall of n ∈ [100, 5000] prior samples, and FID of the test split's reconstructions."""
    vae = _model(model)
    n = integer(n, "n", *METRICS_SAMPLES)
    seed = integer(seed, "seed", 0, MAX_SEED)
    quality = sample_quality(vae, loaded().evaluator, n=n, seed=seed)
    quality["FID reconstructions"] = test_reconstruction_fid(model)
    return [[row, round(quality[row], 4)] for row in METRIC_ROWS]  # rows of the `metric, value` table


# ---------------------------------------------------------------------------------------------------
# Interactive-only views (not public API)


@friendly_errors
@torch.no_grad()
def interpolate(model, first_index, second_index) -> np.ndarray:
    """Decode the straight line from μ(first) to μ(second); the originals frame it, marked."""
    vae = _model(model)
    first, second = _test_index(first_index, "first digit"), _test_index(second_index, "second digit")
    ends = loaded().test_images[[first, second]]
    mu, _ = vae.encode(ends.to(next(vae.parameters()).device))
    t = torch.linspace(0, 1, INTERPOLATION_STEPS, device=mu.device)[:, None]
    path = torch.sigmoid(vae.decode((1 - t) * mu[0] + t * mu[1])).cpu()
    row = torch.cat([ends[:1], path, ends[1:]])
    return tile(row, len(row), marked_columns=[0, len(row) - 1])


@friendly_errors
def reconstructions(model, seed) -> np.ndarray:
    """Random test digits (top row) and their reconstructions at z = μ(x) (bottom row)."""
    vae = _model(model)
    seed = integer(seed, "seed", 0, MAX_SEED)
    test_images = loaded().test_images
    picked = torch.randperm(len(test_images), generator=torch.Generator().manual_seed(seed))[:RECONSTRUCTIONS]
    originals = test_images[picked]
    return tile(torch.cat([originals, reconstruct(vae, originals).cpu()]), RECONSTRUCTIONS)


def random_index() -> int:
    return int(np.random.default_rng().integers(len(loaded().test_images)))


def random_seed() -> int:
    return int(np.random.default_rng().integers(MAX_SEED))


# ---------------------------------------------------------------------------------------------------
# The 2-D model: decoded manifold and encodings, fixed, so computed once at build


@torch.no_grad()
def latent_map(state: Loaded) -> tuple[np.ndarray, go.Figure]:
    vae = state.map_model
    device = next(vae.parameters()).device
    # Equally spaced prior quantiles: each cell covers the same prior mass (Kingma & Welling, 2014, fig. 4).
    quantiles = torch.tensor(norm.ppf(np.linspace(0.05, 0.95, MAP_STEPS)), dtype=torch.float32, device=device)
    z1, z2 = torch.meshgrid(quantiles, quantiles.flip(0), indexing="xy")  # z₂ grows upwards, like the scatter
    manifold = torch.sigmoid(vae.decode(torch.stack([z1, z2], dim=-1).reshape(-1, 2)))
    mu, _ = vae.encode(state.test_images.to(device))
    mu, labels = mu.cpu().numpy(), state.test_labels.numpy()
    figure = go.Figure(
        [
            go.Scattergl(
                x=mu[labels == digit, 0], y=mu[labels == digit, 1], mode="markers", name=str(digit), marker={"size": 4}
            )
            for digit in range(10)
        ]
    )
    figure.update_layout(
        title="μ(x) of the 2,000 test digits, coloured by label",
        xaxis_title="z₁",
        yaxis_title="z₂",
        legend_title="digit",
        height=520,
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
    )
    return tile(manifold, MAP_STEPS, scale=2), figure


# ---------------------------------------------------------------------------------------------------
# Explanations


THEORY = r"""
**The evidence lower bound.** The encoder outputs $q_\phi(z\mid x)=\mathcal N(\mu_\phi(x),\operatorname{diag}\sigma^2_\phi(x))$,
the decoder Bernoulli probabilities $\hat x=\operatorname{sigmoid}(\text{logits}_\theta(z))$ for the 784 pixels. For every $x$,
$$\log p_\theta(x)\;\ge\;\mathbb E_{q_\phi(z\mid x)}\big[\log p_\theta(x\mid z)\big]-\mathrm{KL}\big(q_\phi(z\mid x)\,\|\,\mathcal N(0,I)\big)=\mathrm{ELBO}(x),$$
and $-\log p_\theta(x\mid z)=-\sum_{i=1}^{784}\big[x_i\log\hat x_i+(1-x_i)\log(1-\hat x_i)\big]$ is the BCE summed over pixels.
The expectation is estimated with $z=\mu+\sigma\odot\varepsilon$, $\varepsilon\sim\mathcal N(0,I)$ (the reparameterization trick), so
gradients reach $\phi$.

**KL in closed form.** In one dimension, with $q=\mathcal N(\mu,\sigma^2)$ and $p=\mathcal N(0,1)$,
$$\mathrm{KL}(q\|p)=\mathbb E_q\Big[-\tfrac12\log 2\pi\sigma^2-\tfrac{(z-\mu)^2}{2\sigma^2}+\tfrac12\log 2\pi+\tfrac{z^2}{2}\Big]
=-\tfrac12\log\sigma^2-\tfrac12+\tfrac12(\sigma^2+\mu^2),$$
because $\mathbb E_q[(z-\mu)^2]=\sigma^2$ and $\mathbb E_q[z^2]=\sigma^2+\mu^2$. Independent dimensions add up:
$$\mathrm{KL}\big(q_\phi(z\mid x)\,\|\,\mathcal N(0,I)\big)=-\tfrac12\sum_{j}\big(1+\log\sigma_j^2-\mu_j^2-\sigma_j^2\big).$$

**The Cauchy–Schwarz regularizer.** $D_{\mathrm{CS}}(q,p)=-\log\int qp+\tfrac12\log\int q^2+\tfrac12\log\int p^2$ needs only
integrals of products of Gaussians, $\int\mathcal N(z;a,A)\,\mathcal N(z;b,B)\,dz=\mathcal N(a;b,A+B)$, so per dimension
$$D_{\mathrm{CS}}\big(\mathcal N(\mu,\sigma^2),\mathcal N(0,1)\big)=\frac{\mu^2}{2(\sigma^2+1)}+\frac12\log\frac{\sigma^2+1}{2\sigma},$$
summed over $j$. The CS-VAE minimizes $\text{BCE}+\lambda\,D_{\mathrm{CS}}$: not a bound on $\log p_\theta(x)$, so its
**true** negative ELBO (with the KL term) is reported beside the KL-VAE's. For small $\sigma$ it penalizes $-\tfrac12\log\sigma$
where KL penalizes $-\log\sigma$: a weaker pull of the posteriors towards the prior at $\lambda=1$.
"""

METRICS_NOTE = (
    "**FID** (Fréchet distance between Gaussians fitted to the features of the lab's MNIST classifier, not "
    "Inception-v3) is low only when the samples are both realistic and as diverse as the 2,000 real test digits: "
    "it compares means *and* covariances. It is biased upwards for small n (noisy covariances), so compare models "
    "at the same n. IS rewards confidently classified, class-balanced samples (10 at best); precision is the share "
    "of samples that look like real digits, recall the share of real digits the samples cover."
)


def transposed_conv_markdown(model: ConvVAE) -> str:
    """The output-size formula, evaluated on each ConvTranspose2d of the decoder as it is built."""
    lines = [
        r"**Upsampling with ConvTranspose2d.** The decoder maps $z$ through two linear layers to "
        f"{'×'.join(map(str, model.feature_shape))} features, then each transposed convolution applies",
        r"$$h_{\text{out}}=(h_{\text{in}}-1)\cdot s-2p+k+\text{output\_padding}$$",
        "(stride $s$, padding $p$, kernel $k$); on this decoder's real layers:",
    ]
    for row in transposed_conv_shapes(model):
        c_in, c_out = row["channels"]
        lines.append(
            f"$$\\text{{ConvTranspose2d}}({c_in}\\to{c_out}):\\;({row['h_in']}-1)\\cdot{row['stride']}-2\\cdot{row['padding']}"
            f"+{row['kernel']}+{row['output_padding']}={row['h_out_formula']}"
            f"\\quad(\\text{{measured: }}{row['h_out_measured']})$$"
        )
    return "\n".join(lines)


def results_markdown(records: dict[str, dict]) -> str:
    """The shipped models' test-split numbers, read from their JSON records."""
    lines = [
        "| model | latent | λ | test −ELBO (nats) | reconstruction MSE / pixel | FID samples | FID reconstructions | training |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, record in records.items():
        config, test, quality, training = record["config"], record["test"], record["sample_quality"], record["training"]
        lines.append(
            f"| `{name}` ({config['regularizer'].upper()}) | {config['latent_dim']} | {config['lam']:g} | "
            f"{test['negative_elbo']:.1f} ± {test['negative_elbo_standard_error']:.1f} | {test['reconstruction_mse']:.4f} | "
            f"{quality['FID samples']:.2f} | {quality['FID reconstructions']:.2f} | "
            f"{training['epochs']} epochs, {training['seconds']:.0f} s |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# UI


def build() -> None:
    try:
        state = loaded()
    except (CheckpointError, MnistDataError) as exc:
        show_unavailable(str(exc))
        return

    gr.Markdown(
        "A variational autoencoder compresses each 28×28 digit into a 16-number code $z$ and learns to decode "
        "codes drawn from the prior $\\mathcal N(0, I)$ back into digits. Compare the usual **KL**-regularized VAE "
        "with one regularized by the **Cauchy–Schwarz** divergence: walk along latent directions, sample, "
        "reconstruct, and score the samples.",
        latex_delimiters=LATEX_DELIMITERS,
    )
    index_input = functools.partial(gr.Number, precision=0, minimum=0, maximum=len(state.test_images) - 1)
    model = gr.Radio([(label, key) for key, (label, _) in MODELS.items()], value="kl", label="Model")

    with gr.Row():
        with gr.Column(scale=1):
            gr.Markdown("### Prior samples")
            n = gr.Slider(1, MAX_SAMPLES, value=32, step=1, label="n (number of samples)")
            temperature = gr.Slider(*TEMPERATURES, value=1.0, step=0.05, label="temperature (z = T·ε)")
            seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="seed")
            with gr.Row():
                sample_button = gr.Button("Sample", variant="primary")
                regenerate = gr.Button("Regenerate (new seed)")
        sample_image = gr.Image(vae_sample("kl", 32, 1.0, 0), label="Samples", format="png", scale=2)

    gr.Markdown(
        "### Latent traversal\nRows: the 16 latent dimensions, most active first (variance of μ over the test "
        "digits). Columns: offsets from −span to +span added to the digit's own code; the orange column is offset 0."
    )
    traversal, digit = vae_traverse("kl", 0, 3.0)
    with gr.Row():
        with gr.Column(scale=1):
            digit_index = index_input(0, label="test digit index")
            random_digit = gr.Button("Random digit")
            span = gr.Slider(*SPANS, value=3.0, step=0.5, label="span")
            traverse_button = gr.Button("Traverse", variant="primary")
            digit_image = gr.Image(digit, label="Test digit", format="png")
        traverse_image = gr.Image(traversal, label="Traversal", format="png", scale=3)

    gr.Markdown(
        "### Interpolation between two test digits\nThe decoded straight line from μ(first) to μ(second), framed by the two originals."
    )
    other_class = int((state.test_labels != state.test_labels[0]).nonzero()[0])  # open on two different digits
    with gr.Row():
        first_index = index_input(0, label="first digit index")
        second_index = index_input(other_class, label="second digit index")
    interpolation_image = gr.Image(interpolate("kl", 0, other_class), label="Interpolation", format="png")

    gr.Markdown("### Reconstructions\nRandom test digits (top) and their reconstructions at z = μ(x) (bottom).")
    with gr.Row():
        reconstruction_seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="seed")
        new_digits = gr.Button("New digits")
    reconstruction_image = gr.Image(reconstructions("kl", 0), label="Originals and reconstructions", format="png")

    gr.Markdown(
        f"### 2-D latent map\nA separate VAE with a 2-D latent (`{MAP_CHECKPOINT}`, KL): left, the decoder on a "
        f"{MAP_STEPS}×{MAP_STEPS} grid of prior quantiles; right, where the encoder puts each test digit."
    )
    manifold, scatter = latent_map(state)
    with gr.Row():
        gr.Image(manifold, label="Decoded manifold", format="png")
        gr.Plot(scatter, label="Test encodings")

    gr.Markdown("### Sample quality")
    with gr.Row():
        with gr.Column(scale=1):
            metrics_n = gr.Slider(*METRICS_SAMPLES, value=2000, step=100, label="n (prior samples)")
            metrics_seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="seed")
            metrics_button = gr.Button("Compute metrics", variant="primary")
        with gr.Column(scale=2):
            metrics_table = gr.Dataframe(headers=["metric", "value"], label="Metrics", interactive=False)
            gr.Markdown(METRICS_NOTE)

    with gr.Accordion("The math: ELBO, KL, Cauchy–Schwarz, transposed convolutions", open=False):
        gr.Markdown(THEORY, latex_delimiters=LATEX_DELIMITERS)
        gr.Markdown(transposed_conv_markdown(state.models["kl"]), latex_delimiters=LATEX_DELIMITERS)
        gr.Markdown("**The shipped models** (test split; `checkpoints/*.json`):\n\n" + results_markdown(state.records))

    gr.on(
        [sample_button.click, model.change, n.release, temperature.release, seed.submit],
        vae_sample,
        [model, n, temperature, seed],
        sample_image,
        api_name="vae_sample",
        preprocess=False,  # raw values reach the validators, which answer every bad one with a sentence
        **TORCH_QUEUE,
    )
    regenerate.click(random_seed, None, seed, api_visibility="private").then(
        vae_sample, [model, n, temperature, seed], sample_image, api_visibility="private", **TORCH_QUEUE
    )
    gr.on(
        [traverse_button.click, model.change, digit_index.submit, span.release],
        vae_traverse,
        [model, digit_index, span],
        [traverse_image, digit_image],
        api_name="vae_traverse",
        preprocess=False,  # raw values reach the validators, which answer every bad one with a sentence
        **TORCH_QUEUE,
    )
    random_digit.click(random_index, None, digit_index, api_visibility="private").then(
        vae_traverse, [model, digit_index, span], [traverse_image, digit_image], api_visibility="private", **TORCH_QUEUE
    )
    gr.on(
        [model.change, first_index.submit, second_index.submit],
        interpolate,
        [model, first_index, second_index],
        interpolation_image,
        api_visibility="private",
        **TORCH_QUEUE,
    )
    gr.on(
        [model.change, reconstruction_seed.submit],
        reconstructions,
        [model, reconstruction_seed],
        reconstruction_image,
        api_visibility="private",
        **TORCH_QUEUE,
    )
    new_digits.click(random_seed, None, reconstruction_seed, api_visibility="private").then(
        reconstructions, [model, reconstruction_seed], reconstruction_image, api_visibility="private", **TORCH_QUEUE
    )
    model.change(lambda: None, None, metrics_table, api_visibility="private")  # old numbers belong to the other model
    metrics_button.click(
        vae_metrics,
        [model, metrics_n, metrics_seed],
        metrics_table,
        api_name="vae_metrics",
        preprocess=False,
        **METRICS_QUEUE,
    )


BENCH_CASES = [
    BenchCase(
        "/vae_sample (64 digits)",
        "/vae_sample",
        vae_sample,
        {"model": "kl", "n": 64, "temperature": 1.0, "seed": 0},
        "number->image",
    ),
    BenchCase(
        "/vae_traverse (16 × 9)",
        "/vae_traverse",
        vae_traverse,
        {"model": "kl", "digit_index": 0, "span": 3.0},
        "number->image",
    ),
    BenchCase(
        "/vae_metrics (n = 2,000)",
        "/vae_metrics",
        vae_metrics,
        {"model": "kl", "n": 2000, "seed": 0},
        "number->plot+table",
    ),
]
