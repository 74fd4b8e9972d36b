"""Tab: Sketch -> image. Draw on a canvas; a pix2pix U-Net turns the lines into an emoji.

The drawing is flattened on white, turned gray, cropped to its ink and centred with the same margin as the
training sketches, then resized to the model's 128x128. The output follows the drawing; a toggle compares
the GAN with its L1-only twin, another switches dropout on at inference, and the PatchGAN's verdict per
70x70 patch is shown as a heatmap over the output.
"""

import functools
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import matplotlib
import numpy as np
import torch
from PIL import Image

from demos import LATEX_DELIMITERS, TORCH_QUEUE, BenchCase, show_unavailable
from demos.validation import ValidatedNumber, choice, flag, friendly_errors, integer
from models.checkpoints import CheckpointError
from models.device import device_label, select_device
from models.pix2pix import (
    PatchDiscriminator,
    UNetGenerator,
    load_discriminator,
    load_generator,
    set_dropout,
    to_unit,
)

GENERATORS = {"gan": "pix2pix_gan", "l1": "pix2pix_l1"}  # API value -> checkpoint name
DISCRIMINATOR = "pix2pix_gan_d"
MODEL_LABELS = [("GAN (L1 + adversarial)", "gan"), ("L1 only (baseline)", "l1")]
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "pix2pix_examples"
MARGIN_FRACTION = 6 / 128  # white border of the training sketches (scripts/build_pix2pix_data.py)
INK_LEVEL = 0.25  # darkness above which a pixel counts as a stroke
MAX_SIDE = 1024  # larger uploads are downscaled before anything else
MAX_SEED = 2**31 - 1
DRAW_HINT = "Draw something with the black pen (or pick an example)."
TRAIN_COMMAND = (
    "python scripts/build_pix2pix_data.py && python scripts/train_pix2pix.py --name pix2pix_gan --ngf 16 --ndf 16 "
    "&& python scripts/train_pix2pix.py --name pix2pix_l1 --l1-only --ngf 16 --ndf 16"
)

EXPLANATION = r"""
**What you see.** pix2pix (Isola et al., 2017) learns a map $G$ from a sketch $x$ to an image $y$ from paired
examples; here about 1,200 Noto emoji and their edge drawings (the examples below are emoji it never saw).

**U-Net skips.** $G$ halves the image seven times down to $1\times1$ and back up; each decoder level also
receives the encoder's features of the same scale, so *where* your lines are need not squeeze through the
bottleneck; only *what* to paint does.

**PatchGAN.** The discriminator $D(x, y)$ outputs one logit per $70\times70$ patch (a $14\times14$ grid at
128 px): it judges local texture and sharpness, and the L1 term takes care of the global layout. The heatmap
shows $\sigma(D)$, its probability that each patch is a real emoji (green) rather than a generated one (red).
After training it hovers near $\tfrac12$ on its own generator's outputs, the equilibrium a GAN aims for. It
judges the L1-only outputs too, and, perhaps surprisingly, finds them *more* real: it only ever learned to spot
its own generator's artefacts, so it is no general judge of quality.

**The losses** (non-saturating GAN, $\lambda = 100$):
$$\mathcal{L}_D = -\tfrac12\,\mathbb{E}\big[\log D(x,y) + \log(1 - D(x,G(x)))\big], \qquad
\mathcal{L}_G = -\mathbb{E}\big[\log D(x,G(x))\big] + \lambda\,\mathbb{E}\,\lVert y - G(x)\rVert_1 .$$

**Why L1, not L2?** When a sketch allows several colourings, the L2-optimal output is their *mean* (muddy
brown), the L1-optimal one their per-pixel *median*, which blurs less. **Why a GAN term?** Either way a pixel
loss rewards hedging; $D$ punishes the blur it can see, so the GAN model commits to crisp colours (compare
with "L1 only"). **Dropout at inference** is the paper's noise source: switch it on and change the seed to
see how little the outputs vary, as the paper also found.
"""


@dataclass
class Pix2PixModels:
    generators: dict[str, UNetGenerator]
    discriminator: PatchDiscriminator
    device: torch.device
    image_size: int


@functools.cache
def load_models() -> Pix2PixModels:
    """Both generators and the discriminator, on the selected device, once per process."""
    device = select_device()
    generators = {key: load_generator(name).to(device) for key, name in GENERATORS.items()}
    discriminator = load_discriminator(DISCRIMINATOR).to(device)
    sizes = {g.image_size for g in generators.values()}
    if len(sizes) != 1:
        raise CheckpointError(f"The GAN and L1-only generators were trained at different sizes {sorted(sizes)}.")
    return Pix2PixModels(generators, discriminator, device, sizes.pop())


# --- the canvas value -> the model's input ---------------------------------------------------------------------


def as_pil(value, what: str) -> Image.Image | None:
    """An image from the editor dict (PIL through Gradio; NumPy or a path when called directly)."""
    if value is None or isinstance(value, Image.Image):
        return value
    if isinstance(value, np.ndarray) and value.ndim in (2, 3) and value.size:
        if value.dtype != np.uint8:
            scale = 255.0 if np.nanmax(value) <= 1.0 else 1.0
            value = np.clip(np.nan_to_num(value * scale), 0, 255).astype(np.uint8)
        return Image.fromarray(value if value.ndim == 2 or value.shape[2] in (3, 4) else value[..., 0])
    if isinstance(value, (str, Path)) and Path(value).is_file():
        try:
            with Image.open(value) as image:
                image.load()
                return image
        except OSError:
            pass
    raise gr.Error(f"The sketch's {what} is not a readable image.")


def flatten_on_white(image: Image.Image) -> Image.Image:
    """Transparent pixels become paper: the canvas exports strokes over alpha 0."""
    rgba = image.convert("RGBA")
    if max(rgba.size) > MAX_SIDE:
        rgba = rgba.reduce(math.ceil(max(rgba.size) / MAX_SIDE))  # box averaging: cheap and keeps thin lines
    return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("L")


def canvas_drawing(sketch) -> Image.Image | None:
    """The drawing as gray paper from the ImageEditor dict; None for an empty canvas."""
    if sketch is None:
        return None
    if not isinstance(sketch, dict):
        raise gr.Error("The sketch must be the canvas value: a dict with 'background', 'layers' and 'composite'.")
    composite = as_pil(sketch.get("composite"), "composite")
    if composite is not None:
        return flatten_on_white(composite)
    # API callers may send only a background and layers: stack them as the canvas would.
    parts = [as_pil(sketch.get("background"), "background")]
    layers = sketch.get("layers") or []
    if not isinstance(layers, list):
        raise gr.Error("The sketch's 'layers' must be a list of images.")
    parts += [as_pil(layer, "layer") for layer in layers]
    parts = [p.convert("RGBA") for p in parts if p is not None]
    if not parts:
        return None
    paper = Image.new("RGBA", parts[0].size, "white")
    for part in parts:
        paper.alpha_composite(part.resize(paper.size) if part.size != paper.size else part)
    return flatten_on_white(paper)


def fit_drawing(gray: Image.Image, size: int) -> tuple[Image.Image | None, str]:
    """Crop to the ink, centre it in a white square with the training margin, resize: (sketch or None, note)."""
    paper = np.asarray(gray, dtype=np.float32) / 255.0
    note = ""
    if paper.mean() < 0.5:  # light lines on a dark ground (or an all-black image): use the negative
        paper = 1.0 - paper
        note = "The image was mostly dark, so its negative was used (black lines on white). "
    rows, cols = np.nonzero(1.0 - paper > INK_LEVEL)
    if len(rows) == 0:
        return None, note
    crop = paper[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    side = max(crop.shape)
    square = np.ones((side, side), dtype=np.float32)
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    margin = round(MARGIN_FRACTION * size)
    inner = Image.fromarray(np.round(square * 255).astype(np.uint8)).resize(
        (size - 2 * margin, size - 2 * margin), Image.Resampling.LANCZOS
    )
    fitted = Image.new("L", (size, size), 255)
    fitted.paste(inner, (margin, margin))
    return fitted, note


# --- inference ------------------------------------------------------------------------------------------------

_inference_lock = threading.Lock()  # dropout on/off is model state shared by all requests


def blank(size: int) -> np.ndarray:
    return np.full((size, size, 3), 255, np.uint8)


@dataclass
class Result:
    image: np.ndarray  # H x W x 3 uint8
    realness: np.ndarray | None  # the PatchGAN's sigmoid per patch, or None when not asked for
    seconds: float  # the generator's forward pass alone
    note: str


def run(sketch, model: str, stochastic: bool, seed: int, judge: bool) -> Result:
    """Validated inputs -> the generated image and, if judge, the discriminator's verdict (None when empty)."""
    try:
        models = load_models()
    except CheckpointError as exc:
        raise gr.Error(f"The sketch models are not available: {exc} Train them with: {TRAIN_COMMAND}") from None
    drawing = canvas_drawing(sketch)
    fitted, note = fit_drawing(drawing, models.image_size) if drawing is not None else (None, "")
    if fitted is None:  # nothing drawn: white paper in, white paper out
        return Result(blank(models.image_size), None, 0.0, note)
    x = torch.from_numpy(np.asarray(fitted, dtype=np.float32) / 127.5 - 1)[None, None].to(models.device)
    generator = models.generators[model]
    with _inference_lock, torch.inference_mode(), torch.random.fork_rng():
        torch.manual_seed(seed)
        set_dropout(generator, stochastic)
        try:
            started = time.perf_counter()
            y = generator(x)
            if models.device.type == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - started
        finally:
            set_dropout(generator, False)
        realness = torch.sigmoid(models.discriminator(x, y))[0, 0].cpu().numpy() if judge else None
    image = (to_unit(y)[0].permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)
    return Result(image, realness, seconds, note)


def realness_overlay(image: np.ndarray, realness: np.ndarray) -> np.ndarray:
    """The output under a red (fake) to green (real) wash, one cell per PatchGAN logit, stretched over the image."""
    size = image.shape[0]
    cells = Image.fromarray(np.round(realness * 255).astype(np.uint8)).resize((size, size), Image.Resampling.NEAREST)
    heat = matplotlib.colormaps["RdYlGn"](np.asarray(cells, dtype=np.float32) / 255.0)[..., :3] * 255
    return np.round(0.45 * image + 0.55 * heat).astype(np.uint8)


def validated(model, stochastic, seed) -> tuple[str, bool, int]:
    return choice(model, "model", GENERATORS), flag(stochastic, "stochastic"), integer(seed, "seed", 0, MAX_SEED)


@friendly_errors
def sketch2image(sketch, model: str = "gan", stochastic: bool = False, seed: int = 0) -> np.ndarray:
    """Public API: the canvas dict (background, layers, composite) -> the generated 128x128 RGB image.

    model: "gan" or "l1"; stochastic: keep dropout on at inference; seed: the dropout noise (0 to 2^31-1).
    An empty canvas gives a white image.
    """
    model, stochastic, seed = validated(model, stochastic, seed)
    return run(sketch, model, stochastic, seed, judge=False).image


@friendly_errors
def draw(sketch, model, stochastic, seed):
    """The tab's live view: output, discriminator heatmap and a status line."""
    model, stochastic, seed = validated(model, stochastic, seed)
    result = run(sketch, model, stochastic, seed, judge=True)
    if result.realness is None:
        return result.image, None, f"{result.note}{DRAW_HINT}"
    device = device_label(load_models().device)
    status = (
        f"{result.note}Generated in **{result.seconds * 1000:.1f} ms** on **{device}**. "
        f"The discriminator rates **{100 * (result.realness > 0.5).mean():.0f}%** of the patches real "
        f"(mean probability {result.realness.mean():.2f})."
    )
    return enlarged(result.image, 3), enlarged(realness_overlay(result.image, result.realness), 2), status


def enlarged(image: np.ndarray, factor: int) -> np.ndarray:
    """Upscaled for display only, so that the browser does not show a postage stamp."""
    size = (image.shape[1] * factor, image.shape[0] * factor)
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))


def example_paths() -> list[str]:
    return sorted(str(p) for p in EXAMPLES_DIR.glob("*.png"))


def _bench_cases() -> list[BenchCase]:
    """/sketch2image on a held-out example, sent as the canvas sends it (composite only)."""
    examples = example_paths()
    if not examples:
        return []
    from gradio_client import handle_file

    settings = {"model": "gan", "stochastic": False, "seed": 0}
    composite = Image.open(examples[0]).convert("RGBA")
    return [
        BenchCase(
            "/sketch2image (GAN, held-out example)",
            "/sketch2image",
            sketch2image,
            {"sketch": {"background": None, "layers": [], "composite": composite}, **settings},
            "sketch->image",
            client_kwargs={
                "sketch": {"background": None, "layers": [], "composite": handle_file(examples[0])},
                **settings,
            },
        )
    ]


BENCH_CASES = _bench_cases()


def build() -> None:
    try:
        models = load_models()
    except CheckpointError as exc:
        show_unavailable(f"{exc} Train the models with `{TRAIN_COMMAND}`.")
        return
    gr.Markdown(
        "Pick the pen (left of the canvas) and draw an emoji's outline: a pix2pix U-Net "
        f"({models.image_size}x{models.image_size}) paints it as you go. Your drawing is cropped to its lines and "
        "centred, like the training sketches."
    )
    with gr.Row():
        with gr.Column():
            canvas = gr.Sketchpad(
                label="Your sketch",
                type="pil",
                image_mode="RGBA",
                canvas_size=(384, 384),
                brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=4),
                layers=False,
                transforms=(),
                elem_id="pix2pix-canvas",
            )
            with gr.Row():
                model = gr.Radio(MODEL_LABELS, value="gan", label="Model")
                stochastic = gr.Checkbox(False, label="Dropout at inference")
                seed = ValidatedNumber(0, label="Seed", precision=0, minimum=0, maximum=MAX_SEED)
        with gr.Column():
            output = gr.Image(label="Generated", type="numpy", height=384, elem_id="pix2pix-output")
            status = gr.Markdown(DRAW_HINT)
            heatmap = gr.Image(label="Discriminator's view: green = looks real, red = looks fake", height=256)
    examples = gr.Examples(example_paths(), inputs=canvas, label="Held-out sketches (never seen in training)")
    gr.Markdown(
        EXPLANATION,
        latex_delimiters=LATEX_DELIMITERS,
    )

    inputs = [canvas, model, stochastic, seed]
    live_view = {
        "fn": draw,
        "inputs": inputs,
        "outputs": [output, heatmap, status],
        "api_visibility": "private",
        **TORCH_QUEUE,
    }
    gr.on(
        [canvas.change, model.change, stochastic.change, seed.change],
        **live_view,
        show_progress="hidden",
        trigger_mode="always_last",
    )
    examples.load_input_event.then(**live_view)  # loading an example into the canvas fires no .change
    # The public endpoint: same computation, the image only. Its trigger is hidden; API clients call it by name.
    gr.Button(visible=False).click(sketch2image, inputs, output, api_name="sketch2image", **TORCH_QUEUE)
