"""Tab: Sketch -> image. Draw on a canvas; a pix2pix U-Net turns the lines into an emoji.

The demo reads the canvas (flattened on white paper, gray) and makes one call, models.pix2pix_pipeline.sketch_to_image,
which fits the drawing exactly as the training sketches were fitted and runs the generator (and the PatchGAN
for the heatmap); the demo then renders the result. The tab's long texts are in demos/pix2pix/texts/pix2pix/.
"""

import functools
import math
from pathlib import Path
from typing import NamedTuple

import gradio as gr
import matplotlib
import numpy as np
from PIL import Image

from demos import TORCH_QUEUE, BenchCase, markdown, register_texts, show_unavailable, tab_sections, zerogpu
from demos.language import DEFAULT_LANGUAGE, request_language, t
from demos.tab_spec import TabSpec
from demos.validation import Sentence, ValidatedNumber, choice, flag, friendly_errors, integer
from models.checkpoints import RETRAIN_COMMANDS, CheckpointError
from models.pix2pix_pipeline import GENERATORS, SketchResult, load_models, sketch_to_image

register_texts(Path(__file__).resolve().parent / "texts")  # its catalogues, before any of its texts is read

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "pix2pix_examples"
MAX_SIDE = 1024  # larger uploads are downscaled before anything else
MAX_SEED = 2**31 - 1
CANVAS_SIZE = (384, 384)
# Homework panel: what each "Show answer" sets (model, dropout, seed); None leaves the controls alone.
PRESETS = {
    "objective": {"model": "gan", "stochastic": False, "seed": 0},
    "unet": {"model": "gan", "stochastic": False, "seed": 0},
    "patchgan": {"model": "gan", "stochastic": False, "seed": 0},
    "dropout": {"model": "gan", "stochastic": True, "seed": 1},
    "lambda": {"model": "l1", "stochastic": False, "seed": 0},
    "cyclegan": None,
    "applications": {"model": "gan", "stochastic": False, "seed": 0},
}
TRAIN_COMMAND = " && ".join(  # the shared data-building step once
    dict.fromkeys(part for name in GENERATORS.values() for part in RETRAIN_COMMANDS[name].split(" && "))
)
CATALOGUE = "pix2pix"  # the tab's server-made text: demos/pix2pix/texts/pix2pix/strings.<lang>.json


def model_labels(lang: str = DEFAULT_LANGUAGE) -> list[tuple[str, str]]:
    """The model radio's choices (label, API value), labelled in `lang`."""
    return [(t("pix2pix.model_gan", lang), "gan"), (t("pix2pix.model_l1", lang), "l1")]


MODEL_LABELS = model_labels()
DRAW_HINT = t(
    "pix2pix.draw_hint"
)  # the status line before any drawing (English; `t("pix2pix.draw_hint", lang)` otherwise)


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
    raise Sentence(CATALOGUE, "not_readable", what=what)


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
        raise Sentence(CATALOGUE, "sketch_not_dict")
    composite = as_pil(sketch.get("composite"), "composite")
    if composite is not None:
        return flatten_on_white(composite)
    # API callers may send only a background and layers: stack them as the canvas would.
    parts = [as_pil(sketch.get("background"), "background")]
    layers = sketch.get("layers") or []
    if not isinstance(layers, list):
        raise Sentence(CATALOGUE, "layers_not_list")
    parts += [as_pil(layer, "layer") for layer in layers]
    parts = [p.convert("RGBA") for p in parts if p is not None]
    if not parts:
        return None
    paper = Image.new("RGBA", parts[0].size, "white")
    for part in parts:
        paper.alpha_composite(part.resize(paper.size) if part.size != paper.size else part)
    return flatten_on_white(paper)


# --- the model's result -> the view --------------------------------------------------------------------------


def models_or_error():
    """The loaded models, or the tab's own sentence naming the command that rebuilds them."""
    try:
        return load_models()
    except CheckpointError as exc:
        raise Sentence(CATALOGUE, "models_unavailable", reason=str(exc), command=TRAIN_COMMAND) from None


def generate(sketch, model: str, stochastic: bool, seed: int, judge: bool, twin: bool = False) -> SketchResult:
    """Validated inputs -> one call into models/: the canvas read here, everything else there."""
    models_or_error()
    return sketch_to_image(canvas_drawing(sketch), model, stochastic, seed, judge, twin)


def realness_overlay(image: np.ndarray, realness: np.ndarray) -> np.ndarray:
    """The output under a red (fake) to green (real) wash, one cell per PatchGAN logit, stretched over the image."""
    size = image.shape[0]
    cells = Image.fromarray(np.round(realness * 255).astype(np.uint8)).resize((size, size), Image.Resampling.NEAREST)
    heat = matplotlib.colormaps["RdYlGn"](np.asarray(cells, dtype=np.float32) / 255.0)[..., :3] * 255
    return np.round(0.45 * image + 0.55 * heat).astype(np.uint8)


def validated(model, stochastic, seed) -> tuple[str, bool, int]:
    return choice(model, "model", GENERATORS), flag(stochastic, "stochastic"), integer(seed, "seed", 0, MAX_SEED)


@zerogpu.on_gpu
@friendly_errors
def sketch2image(sketch, model: str = "gan", stochastic: bool = False, seed: int = 0) -> np.ndarray:
    """Public API: the canvas dict (background, layers, composite) -> the generated 128x128 RGB image.

    model: "gan" or "l1"; stochastic: keep dropout on at inference; seed: the dropout noise (0 to 2^31-1).
    An empty canvas gives a white image.
    """
    model, stochastic, seed = validated(model, stochastic, seed)
    return generate(sketch, model, stochastic, seed, judge=False).image


def status_line(result: SketchResult, lang: str = DEFAULT_LANGUAGE) -> str:
    """The live view's status in `lang`: the time and device, and how much of the output the PatchGAN calls real."""
    note = t("pix2pix.inverted", lang) if result.inverted else ""
    if result.realness is None:
        return note + t("pix2pix.draw_hint", lang)
    return note + t(
        "pix2pix.status",
        lang,
        ms=result.seconds * 1000,
        device=str(result.device),
        real=f"{100 * (result.realness > 0.5).mean():.0f}%",
        mean=result.realness.mean(),
    )


@friendly_errors
def draw(sketch, model, stochastic, seed, request: gr.Request = None):
    """The tab's live view: output, discriminator heatmap, the other model's output beside it (GAN and its L1-only
    twin), and a status line in the page's language."""
    model, stochastic, seed = validated(model, stochastic, seed)
    result = generate(sketch, model, stochastic, seed, judge=True, twin=True)
    status = status_line(result, request_language(request))
    if result.realness is None:
        return result.image, None, None, status
    heatmap = enlarged(realness_overlay(result.image, result.realness), 2)
    return enlarged(result.image, 3), heatmap, enlarged(result.twin, 2), status


draw_on_gpu = zerogpu.on_gpu(draw)  # the live view's handler; `draw` itself stays callable outside a request


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


def first_sight(example: str | None) -> tuple[dict | None, tuple]:
    """The canvas value and the live view (output, heatmap, status) shown before any click: a held-out example.

    A canvas that opens with a background already has its pen selected (Gradio picks the draw tool whenever a
    value is loaded); an empty one opens on the image tool. The empty drawing layer matters: without it, strokes
    on a canvas that opened with a value fire no change event (Gradio 6.31), and the view would never update.
    """
    if example is None:
        return None, (None, None, None, DRAW_HINT)
    value = {"background": example, "layers": [Image.new("RGBA", CANVAS_SIZE, (0, 0, 0, 0))], "composite": None}
    if zerogpu.active():  # no GPU outside a request: the first stroke or example computes the view
        return value, (None, None, None, DRAW_HINT)
    return value, draw(value, "gan", False, 0)


def blank_page() -> dict:
    """A new white page: clears the drawing and, being a loaded value, keeps the pen selected."""
    return {"background": Image.new("RGB", CANVAS_SIZE, "white"), "layers": [], "composite": None}


def reveal(key: str) -> tuple:
    """ "Show answer": the answer made visible, and the controls set to the case that shows it (or left alone)."""
    preset = PRESETS[key]
    if preset is None:
        return (gr.update(visible=True), gr.skip(), gr.skip(), gr.skip())
    return (gr.update(visible=True), preset["model"], preset["stochastic"], preset["seed"])


# --- the page: one builder per part, in page order, then the `wire_` functions that join them to the view --------


class Controls(NamedTuple):
    canvas: gr.Sketchpad
    new_drawing: gr.Button
    model: gr.Radio
    stochastic: gr.Checkbox
    seed: ValidatedNumber

    @property
    def inputs(self) -> list:
        """The endpoint's parameters, in its order (sketch, model, stochastic, seed)."""
        return [self.canvas, self.model, self.stochastic, self.seed]


class Views(NamedTuple):
    """What `draw` returns, in its order."""

    output: gr.Image
    heatmap: gr.Image
    twin: gr.Image
    status: gr.Markdown


def build_canvas(first_value: dict | None) -> Controls:
    """The canvas (opening on an example, the pen ready), its "New drawing" button and the model's settings."""
    with gr.Column():
        canvas = gr.Sketchpad(
            value=first_value,
            label="Your sketch",
            type="pil",
            image_mode="RGBA",
            canvas_size=CANVAS_SIZE,
            brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=4),
            layers=False,
            transforms=(),
            elem_id="pix2pix-canvas",
        )
        new_drawing = gr.Button("New drawing (blank page, pen ready)", size="sm", elem_id="pix2pix-new")
        with gr.Row():
            model = gr.Radio(MODEL_LABELS, value="gan", label="Model")
            stochastic = gr.Checkbox(False, label="Dropout at inference")
            seed = ValidatedNumber(0, label="Seed", precision=0, minimum=0, maximum=MAX_SEED)
    return Controls(canvas, new_drawing, model, stochastic, seed)


def build_views(first_view: tuple) -> Views:
    """The generated image and its status line, the other model's image and the discriminator's heatmap."""
    with gr.Column():
        output = gr.Image(first_view[0], label="Generated", type="numpy", height=384, elem_id="pix2pix-output")
        status = gr.Markdown(first_view[3], elem_id="pix2pix-status")
        with gr.Row():
            twin = gr.Image(
                first_view[2],
                label="The other model, for comparison",
                height=256,
                elem_id="pix2pix-twin",
            )
            heatmap = gr.Image(
                first_view[1],
                label="Discriminator's view: green = looks real, red = looks fake",
                height=256,
                elem_id="pix2pix-heatmap",
            )
    return Views(output, heatmap, twin, status)


def build_homework() -> tuple[dict[str, gr.Button], dict[str, gr.Markdown]]:
    """The homework questions, each with its "Show answer" button and its hidden answer (both by question key)."""
    with gr.Accordion("Homework questions (predict first, then reveal)", open=False, elem_id="pix2pix-homework"):
        reveals, answers = {}, {}
        for key in PRESETS:
            markdown("pix2pix", "homework", f"{key}_question")
            reveals[key] = gr.Button("Show answer", size="sm")
            answers[key] = markdown("pix2pix", "homework", f"{key}_answer", visible=False)
    return reveals, answers


def wire_live_view(controls: Controls, views: Views, examples: gr.Examples) -> None:
    """Every change of the drawing or the settings redraws the view (draw, on the GPU where there is one)."""
    live_view = {
        "fn": draw_on_gpu,
        "inputs": controls.inputs,
        "outputs": list(views),
        "api_visibility": "private",
        **TORCH_QUEUE,
    }
    gr.on(
        [controls.canvas.change, controls.model.change, controls.stochastic.change, controls.seed.change],
        **live_view,
        show_progress="hidden",
        trigger_mode="always_last",
    )
    examples.load_input_event.then(**live_view)  # loading an example into the canvas fires no .change
    controls.new_drawing.click(blank_page, None, controls.canvas, api_visibility="private").then(**live_view)


def wire_answers(reveals: dict[str, gr.Button], answers: dict[str, gr.Markdown], controls: Controls) -> None:
    """ "Show answer": the answer, and the settings of its case. The controls' own .change events then redraw the
    view."""
    settings = [controls.model, controls.stochastic, controls.seed]
    for key, button in reveals.items():
        button.click(functools.partial(reveal, key), None, [answers[key], *settings], api_visibility="private")


def page_language_choices(request: gr.Request = None):
    """The model choices in the page's language (the live view's own rerun on load writes its status in it)."""
    lang = request_language(request)
    return gr.skip() if lang == DEFAULT_LANGUAGE else gr.Radio(choices=model_labels(lang))


def build() -> None:
    """The tab in page order: canvas and views, examples, homework, explanation; then its events and endpoint."""
    try:
        models = load_models()
    except CheckpointError as exc:
        show_unavailable(f"{exc} Train the models with `{TRAIN_COMMAND}`.")
        return
    examples_list = example_paths()
    first_value, first_view = first_sight(examples_list[0] if examples_list else None)
    gr.Markdown(
        "The pen is ready: draw over the example, or press **New drawing** for a blank page and draw an emoji's "
        f"outline. A pix2pix U-Net ({models.image_size}x{models.image_size}) paints it as you go. Your drawing is "
        "cropped to its lines and centred, like the training sketches."
    )
    with gr.Row():
        controls = build_canvas(first_value)
        views = build_views(first_view)
    examples = gr.Examples(examples_list, inputs=controls.canvas, label="Held-out sketches (never seen in training)")
    reveals, answers = build_homework()
    markdown("pix2pix", "explanation")
    wire_live_view(controls, views, examples)
    wire_answers(reveals, answers, controls)
    # No trigger: on page load.
    gr.on(None, page_language_choices, None, controls.model, api_visibility="private", show_progress="hidden")
    # The public endpoint: same computation, the image only. Its trigger is hidden; API clients call it by name.
    gr.Button(visible=False).click(sketch2image, controls.inputs, views.output, api_name="sketch2image", **TORCH_QUEUE)


def homework_cases() -> dict[str, dict]:
    """The cases the "Show answer" buttons set, each named by its question's first line (docs/presets.md)."""
    questions = tab_sections("pix2pix", "homework")
    return {
        "homework " + questions[f"{key}_question"].splitlines()[0].replace("**", "").strip(): values
        for key, values in PRESETS.items()
        if values is not None  # an answer that is text only sets no control
    }


TAB = TabSpec(
    name="pix2pix",
    build=build,
    endpoints={"sketch2image": ("sketch", "model", "stochastic", "seed")},
    bench_cases=tuple(BENCH_CASES),
    presets=homework_cases(),
)
