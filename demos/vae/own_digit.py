"""Tab `vae`, section "Your own digit": draw (or upload) a digit and see what the KL- and the CS-VAE make of it.

One view function, `read`, validates a drawing and makes one call per model into models/digit_pipeline.py; the
page (canvas strokes, uploads, named cases, links) and the public endpoint are adapters of it. The page shows
both models side by side; the API answers for the one it is asked about.

Public API:
    /vae_encode (image, model) → (the 28×28 input ×4, its reconstruction ×4, table `metric, value`)
        image: an image file (any size; dark ink on light paper or light on dark); model ∈ {kl, cs}
"""

import threading
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image

from demos import TORCH_QUEUE, BenchCase, bidi, html_table, markdown, tab_sections
from demos.gradio_seam import tag, upload_folder
from demos.language import DEFAULT_LANGUAGE, request_language, t
from demos.validation import ImageOrCanvas, Sentence, choice, friendly_errors
from models.checkpoints import RETRAIN_COMMANDS, CheckpointError
from models.digit_input import ink_of
from models.digit_pipeline import REFERENCE_NAME, DigitModels, DigitReading, digit_models, read_drawing, read_reference

CATALOGUE = "vae_digit"  # demos/vae/texts/vae_digit/: intro.<lang>.md (with the cases' notes), strings.<lang>.json
CASES_DIR = Path(__file__).resolve().parents[2] / "data" / "digit_cases"  # python -m scripts.build_digit_cases
CASES = {  # named drawing (its link value and file name) -> its label
    "clear": "a clear 7",
    "sloppy": "a hasty 2",
    "letter": "the letter A",
    "scribble": "a scribble",
    "blob": "a thick blob",
    "inverted": "white on black",
    "dash": "a single dash",
}
CANVAS_SIZE = (280, 280)
BRUSH = 22  # px on the 280 px canvas: after the 20 px box, a stroke about 2 px wide, like MNIST's
MAX_PIXELS = 4096 * 4096  # larger images are refused before any work (a decompression bomb is one sentence)
MODELS = {"kl": "KL-VAE", "cs": "CS-VAE"}
CHECKPOINTS = {"kl": "vae_kl", "cs": "vae_cs"}
ROWS = ("row_elbo", "row_nll", "row_percentile", "row_digit", "row_probability", "row_ink")  # the table's rows
# Links: ?tab=vae&drawing=<case> opens a named drawing (listed with the tab's other cases by scripts/preset_links.py).
PRESETS = {f"your own digit: {label}": {"drawing": case} for case, label in CASES.items()}


FORMULAS = {"elbo": "−ELBO", "nll": "−log p(x)"}  # kept left to right inside Persian


class Section(NamedTuple):
    """What the section takes from the VAE tab (demos/vae/__init__.py), given to `build`."""

    loaded: Callable  # () -> the tab's loaded models (demos.vae.Loaded)
    tile: Callable  # (digits, columns, scale=) -> an RGB grid
    map_figure: Callable  # (code, lang) -> the 2-D latent map with the code marked


_section: Section | None = None  # set by build(): the endpoint runs only in an app that built the section
_models: dict[str, DigitModels] = {}
_models_lock = threading.Lock()


def models_for(key: str) -> DigitModels:
    """The section's models for one VAE, built on first use (the training digits' codes take about a second)."""
    with _models_lock:
        if key not in _models:
            state = _section.loaded()
            try:
                _models[key] = digit_models(
                    state.models[key], CHECKPOINTS[key], state.map_model, state.evaluator.classifier
                )
            except CheckpointError as exc:
                raise Sentence(CATALOGUE, "unavailable", reason=str(exc)) from None
        return _models[key]


def as_image(value) -> Image.Image | None:
    """The drawing from a canvas dict (its composite, or background and layers stacked), a PIL image or a path."""
    if value is None:
        return None
    if isinstance(value, dict) and "path" in value:  # a file as an API caller sent it, unprocessed
        if not value["path"]:
            return None
        # Only files Gradio received: a caller may not make the server read its own files.
        path = Path(value["path"]).resolve()
        if not path.is_relative_to(upload_folder()):
            raise Sentence(CATALOGUE, "not_readable")
        return as_image(path)
    if isinstance(value, dict):
        parts = [value.get("composite")] if value.get("composite") is not None else []
        if not parts:
            layers = value.get("layers") or []
            parts = [value.get("background"), *(layers if isinstance(layers, list) else [])]
        images = [as_image(part) for part in parts if part is not None]
        if not images:
            return None
        page = Image.new("RGBA", images[0].size, (0, 0, 0, 0))
        for image in images:
            page.alpha_composite(image.convert("RGBA").resize(page.size))
        return page
    if isinstance(value, (str, Path)):
        try:
            image = Image.open(value)  # reads the header only: the size is known before the pixels are decoded
        except (OSError, Image.DecompressionBombError, ValueError):
            raise Sentence(CATALOGUE, "not_readable") from None
        with image:
            if image.width * image.height > MAX_PIXELS:
                raise Sentence(CATALOGUE, "too_large", pixels=f"{MAX_PIXELS:,}")
            try:
                image.load()
            except (OSError, ValueError):
                raise Sentence(CATALOGUE, "not_readable") from None
            return image
    if isinstance(value, Image.Image):
        if value.width * value.height > MAX_PIXELS:
            raise Sentence(CATALOGUE, "too_large", pixels=f"{MAX_PIXELS:,}")
        return value
    raise Sentence(CATALOGUE, "not_readable")


def read(image, key: str) -> DigitReading:
    """The view function: a validated drawing and model -> the model's reading (one call into models/)."""
    drawing = as_image(image)
    reading = read_drawing(drawing, models_for(key)) if drawing is not None else None
    if reading is None:
        raise Sentence(CATALOGUE, "blank")
    return reading


# --- rendering ---------------------------------------------------------------------------------------------------


def row_values(reading: DigitReading) -> list:
    return [
        round(reading.negative_elbo, 2),
        round(reading.negative_log_likelihood, 2),
        round(reading.percentile, 1),
        reading.digit,
        round(reading.probability, 3),
        int(reading.prepared.binary.sum()),
    ]


def histogram_figure(readings: dict[str, DigitReading], lang: str = DEFAULT_LANGUAGE) -> go.Figure:
    """The test digits' −log p(x) under each model, the drawing's value marked on each."""
    figure = go.Figure()
    colours = {"kl": "#636efa", "cs": "#EF553B"}
    for key, reading in readings.items():
        figure.add_histogram(x=reading.test_nll, name=MODELS[key], nbinsx=60, opacity=0.55, marker_color=colours[key])
        figure.add_vline(x=reading.negative_log_likelihood, line={"color": colours[key], "width": 3, "dash": "dash"})
    values = [r.negative_log_likelihood for r in readings.values()]
    low = min(min(values), *(np.percentile(r.test_nll, 0.5) for r in readings.values()))
    high = max(max(values), *(np.percentile(r.test_nll, 99.5) for r in readings.values()))
    figure.update_layout(
        barmode="overlay",
        title=bidi.line(t("vae_digit.histogram_title", lang, **FORMULAS), lang),
        xaxis={"title": bidi.line(t("vae_digit.histogram_axis", lang, **FORMULAS), lang), "range": [low - 5, high + 5]},
        yaxis_title=bidi.line(t("vae_digit.histogram_count", lang), lang),
        height=330,
        legend={"x": 0.99, "xanchor": "right", "y": 0.99},
        margin={"l": 40, "r": 10, "t": 60, "b": 40},
    )
    return figure


def note_markdown(readings: dict[str, DigitReading], lang: str = DEFAULT_LANGUAGE) -> str:
    """One line per model in words: the classifier's guess and where the likelihood falls."""
    lines = []
    for key, reading in readings.items():
        formula = f"−log p(x) = {reading.negative_log_likelihood:.1f}"
        lines.append(
            t("vae_digit.reading", lang, model=MODELS[key], formula=formula, percentile=f"{reading.percentile:.0f} %")
        )
    first = next(iter(readings.values()))
    lines.append(t("vae_digit.classifier", lang, digit=first.digit, percent=f"{100 * first.probability:.0f} %"))
    if first.prepared.light_on_dark:
        lines.append(t("vae_digit.light_on_dark", lang))
    return "\n\n".join(lines)


def blank_view(lang: str = DEFAULT_LANGUAGE) -> tuple:
    return (None, None, None, None, t("vae_digit.hint", lang), None, None)


@friendly_errors
def page_view(canvas, request: gr.Request = None) -> tuple:
    """The page's adapter: both models' readings drawn as the section's outputs; a blank page gives the hint."""
    lang = request_language(request)
    try:
        readings = {key: read(canvas, key) for key in MODELS}
    except Sentence as said:
        if said.key != "blank":
            raise
        return blank_view(lang)
    tile = _section.tile
    first = next(iter(readings.values()))
    headers = [bidi.line(t("vae_digit.header_metric", lang), lang), *MODELS.values()]
    columns = [row_values(reading) for reading in readings.values()]
    rows = [
        [bidi.line(t(f"vae_digit.{key}", lang, **FORMULAS), lang), *(values[i] for values in columns)]
        for i, key in enumerate(ROWS)
    ]
    return (
        tile(first.prepared.binary, 1),
        tile(torch.cat([r.reconstruction for r in readings.values()]), len(readings)),
        html_table(headers, rows),
        tile(torch.cat([r.nearest for r in readings.values()]), len(first.nearest), scale=2),
        note_markdown(readings, lang),
        histogram_figure(readings, lang),
        _section.map_figure(first.map_code, lang),
    )


def page_value(background: Image.Image) -> dict:
    """A canvas value that opens with the pen selected: a background and an empty layer to draw on. (Gradio selects
    the pen when a value is loaded; without the layer, strokes on it fire no change event: see demos/pix2pix/.)"""
    layer = Image.new("RGBA", background.size, (0, 0, 0, 0))
    return {"background": background.convert("RGB"), "layers": [layer], "composite": None}


def case_value(case: str) -> dict:
    """A named case on the canvas, to draw over."""
    return page_value(Image.open(CASES_DIR / f"{case}.png"))


def blank_value() -> dict:
    return page_value(Image.new("RGB", CANVAS_SIZE, "white"))


def case_note(case: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    return tab_sections(CATALOGUE, "intro", lang)[f"case_{case}"] if case in CASES else ""


class DrawingColumn(NamedTuple):
    canvas: gr.Sketchpad
    new_page: gr.Button
    upload: gr.UploadButton
    drawing: gr.Radio  # the named drawings
    case_text: gr.Markdown  # the named drawing's note


class ReadingViews(NamedTuple):
    """What the page shows of a drawing, in page_view's order."""

    seen: gr.Image
    reconstruction: gr.Image
    table: gr.HTML
    nearest: gr.Image
    note: gr.Markdown
    histogram: gr.Plot
    digit_map: gr.Plot


def reference_error() -> str | None:
    """Why the section is unavailable (its reference is missing or broken), or None. Cheap: a 1 MB file and two
    checksums, so a broken reference disables this section at start, not the tab."""
    try:
        for checkpoint in CHECKPOINTS.values():
            read_reference(checkpoint)
    except CheckpointError as exc:
        return f"⚠️ **Your own digit is unavailable.** {exc} Rebuild it with `{RETRAIN_COMMANDS[REFERENCE_NAME]}`."
    return None


def build(model_choice: gr.Radio, section: Section) -> None:
    """The section; call it inside the VAE tab's build, with the tab's model choice (for the API) and helpers."""
    global _section
    _section = section
    unavailable = reference_error()
    if unavailable:
        gr.Markdown(unavailable, elem_classes="gml-unavailable")
        return
    with gr.Accordion(
        "Your own digit: draw one and see what the VAEs make of it", open=True, elem_id="vae-digit-section"
    ):
        markdown(CATALOGUE, "intro", "intro")
        with gr.Row():
            drawing = build_drawing_column()
            with gr.Column(scale=2):
                with gr.Row():
                    seen = gr.Image(label="What the models see (28×28, binarized)", format="png", height=140)
                    reconstruction = gr.Image(label="Reconstructions: KL-VAE, CS-VAE", format="png", height=140)
                note = gr.Markdown(t("vae_digit.hint"))
                table = gr.HTML(elem_id="vae-digit-readings")  # wraps on a phone, where a Dataframe would scroll
        with gr.Row():
            histogram = gr.Plot(label="Likelihood among the test digits", show_label=False)
            digit_map = gr.Plot(label="On the 2-D latent map", show_label=False)
        nearest = gr.Image(label="Nearest training digits in latent space (top: KL-VAE, bottom: CS-VAE)", format="png")
        views = ReadingViews(seen, reconstruction, table, nearest, note, histogram, digit_map)
        api_image = ImageOrCanvas(type="filepath", visible=False)  # a file, or a canvas dict like /sketch2image's
        api_seen, api_reconstruction = gr.Image(format="png", visible=False), gr.Image(format="png", visible=False)
        api_table = gr.Dataframe(headers=["metric", "value"], visible=False)
    gr.on(None, page_language_hint, None, note, api_visibility="private", show_progress="hidden")  # on load
    wire_page(drawing, views)
    # The public endpoint: one model, the image only. Its trigger is hidden; API clients call it by name.
    gr.Button(visible=False).click(
        vae_encode,
        [api_image, model_choice],
        [api_seen, api_reconstruction, api_table],
        api_name="vae_encode",
        preprocess=False,  # raw values reach the validators, which answer every bad one with a sentence
        **TORCH_QUEUE,
    )


def build_drawing_column() -> DrawingColumn:
    """The canvas, with its new page, upload and named drawings."""
    with gr.Column(scale=1):
        canvas = gr.Sketchpad(
            value=blank_value(),
            label="Draw a digit",
            type="pil",
            image_mode="RGBA",
            canvas_size=CANVAS_SIZE,
            brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=BRUSH),
            layers=False,
            transforms=(),
            elem_id="vae-digit-canvas",
        )
        with gr.Row():
            new_page = gr.Button("New page (pen ready)", size="sm")
            upload = gr.UploadButton("Upload an image", file_types=["image"], size="sm")
        drawing = gr.Radio(
            [(label, case) for case, label in CASES.items()],
            value=None,
            label="Named drawings",
            elem_id="vae-digit-cases",
        )
        tag(drawing, "link_key", "drawing")  # a link opens a named case: ?tab=vae&drawing=letter
        case_text = gr.Markdown()
    return DrawingColumn(canvas, new_page, upload, drawing, case_text)


def page_language_hint(request: gr.Request = None):
    """The hint in the page's language (a link to a named drawing writes its reading there instead)."""
    lang = request_language(request)
    linked = "drawing" in dict(getattr(request, "query_params", {}) or {})
    return gr.skip() if lang == DEFAULT_LANGUAGE or linked else t("vae_digit.hint", lang)


def wire_page(drawing: DrawingColumn, views: ReadingViews) -> None:
    """Every change of the canvas (a stroke, a new page, an upload, a named drawing) read by page_view."""
    view = {"fn": page_view, "outputs": list(views), "api_visibility": "private", **TORCH_QUEUE}
    canvas, page = drawing.canvas, [drawing.canvas, drawing.case_text]
    canvas.change(inputs=canvas, show_progress="hidden", trigger_mode="always_last", **view)
    drawing.new_page.click(blank_value, None, canvas, api_visibility="private").then(inputs=canvas, **view)
    drawing.upload.upload(uploaded, drawing.upload, page, api_visibility="private").then(inputs=canvas, **view)
    drawing.drawing.change(opened_case, drawing.drawing, page, api_visibility="private").then(inputs=canvas, **view)


@friendly_errors
def uploaded(path, request: gr.Request = None) -> tuple:
    """An uploaded image becomes the canvas's page (checked first: a broken or huge file is one sentence)."""
    image = as_image(path)
    if image is None:
        raise Sentence(CATALOGUE, "not_readable")
    ink, _ = ink_of(image)  # transparency resolved as the paper, light-on-dark turned dark-on-light
    page = Image.fromarray(np.round(255 * (1 - ink)).astype(np.uint8))
    page.thumbnail((1024, 1024))
    return page_value(page), ""


def opened_case(case, request: gr.Request = None) -> tuple:
    if case not in CASES:
        return gr.skip(), ""
    return case_value(case), case_note(case, request_language(request))


@friendly_errors
def vae_encode(image, model="kl") -> tuple:
    """Public API: an image of one digit -> (the 28×28 input ×4, its reconstruction ×4, table `metric, value`).

    image: any size, dark ink on light paper or light on dark; model: "kl" or "cs". A blank image, or one that is
    unreadable or over MAX_PIXELS, is answered with one sentence."""
    key = choice(model, "model", MODELS)
    reading = read(image, key)
    table = [[t(f"vae_digit.{key}", **FORMULAS), value] for key, value in zip(ROWS, row_values(reading), strict=True)]
    return _section.tile(reading.prepared.binary, 1), _section.tile(reading.reconstruction, 1), table


def _bench_cases() -> list[BenchCase]:
    """/vae_encode on the named clear digit, sent as an API caller sends a file."""
    from gradio_client import handle_file

    path = CASES_DIR / "clear.png"
    if not path.is_file():
        return []
    return [
        BenchCase(
            "/vae_encode (a drawn 7)",
            "/vae_encode",
            vae_encode,
            {"image": Image.open(path), "model": "kl"},
            "number->image",
            client_kwargs={"image": handle_file(str(path)), "model": "kl"},
        )
    ]


BENCH_CASES = _bench_cases()
