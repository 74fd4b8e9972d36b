"""Tab `vae`: what a convolutional VAE trained on binarized MNIST learned, KL- or CS-regularized.

Prior samples, latent traversals, interpolations, reconstructions, the 2-D latent map, the likelihood of each
model, the sample-quality metrics (FID, IS, precision/recall, PRD, PPL on MNIST-classifier features) and the
homework questions. Every computation is one call into models/vae_pipeline.py; this module validates the
inputs, makes that call and draws the result. Long texts are in demos/vae/texts/vae/.

Public API. Images are RGB uint8 grids of 28 px digits with a 2 px gap around each, upscaled ×k by nearest
neighbour: R rows and C columns make an image k·(30·R + 2) px high and k·(30·C + 2) px wide. `prior` is
"mixture" (default: the Gaussian mixture fitted to the training digits' codes, models/latent_prior.py) or
"normal" (N(0, I), the prior the VAEs were trained with).
    /vae_sample   (model, n, temperature, seed, prior) → n prior samples in rows of 8, k = 4
    /vae_traverse (model, digit_index, span)           → (traversal 16 rows × 9 columns, k = 2; the test digit, k = 4)
    /vae_metrics  (model, n, seed, prior)              → table `metric, value`
"""

import copy
import functools
import json
import math
import threading
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

import gradio as gr
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import torch

from demos import (
    LATEX_DELIMITERS,
    METRICS_QUEUE,
    TORCH_QUEUE,
    BenchCase,
    bidi,
    markdown,
    register_texts,
    show_unavailable,
)
from demos.gradio_seam import tag
from demos.language import DEFAULT_LANGUAGE, LANGUAGES, filled_label, request_language, t
from demos.tab_spec import TabSpec
from demos.vae import live_training, own_digit
from demos.validation import choice, friendly_errors, integer, number
from models.checkpoints import RETRAIN_COMMANDS, CheckpointError, checkpoint_paths, load_model
from models.classifier import CLASSIFIER_NAME
from models.device import preview_dtype, select_device
from models.latent_prior import GaussianMixture
from models.metrics import MnistEvaluator, PrdCurve
from models.mnist import MnistDataError, binarized_test_split
from models.vae import ConvVAE, encoder_shapes, transposed_conv_overlap, transposed_conv_shapes
from models.vae_pipeline import (
    QUALITY_SAMPLES,
    LatentMap,
    QualityReport,
    digit_terms,
    interpolate,
    latent_map,
    quality_report,
    reconstruct,
    sample_images,
    traverse,
)

register_texts(Path(__file__).resolve().parent / "texts")  # its catalogues, before any of its texts is read

MODELS = {"kl": ("KL-VAE", "vae_kl"), "cs": ("CS-VAE", "vae_cs")}  # API value → (label, checkpoint)
# API value → label; the fitted mixture's checkpoint is "<the VAE's checkpoint>_prior"
PRIORS = {"mixture": "fitted mixture (where the training codes lie)", "normal": "N(0, I) (the training prior)"}
DEFAULT_PRIOR = "mixture"
MAP_CHECKPOINT = "vae_kl_2d"

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
METRIC_ROWS = (
    "FID samples",
    "FID reconstructions",
    "IS samples",
    "precision",
    "recall",
    "PPL",
    "PPL standard error",
    "F8 (PRD)",
    "F1/8 (PRD)",
)
METRIC_KEYS = dict(  # each row's key in demos/vae/texts/vae/strings.<lang>.json
    zip(
        METRIC_ROWS,
        (
            "metric_fid_samples",
            "metric_fid_reconstructions",
            "metric_is_samples",
            "metric_precision",
            "metric_recall",
            "metric_ppl",
            "metric_ppl_standard_error",
            "metric_f8",
            "metric_f1_8",
        ),
        strict=True,
    )
)
# The sample and traversal controls as the page opens (API parameter names)
DEFAULTS = {
    "model": "kl",
    "prior": DEFAULT_PRIOR,
    "n": 32,
    "temperature": 1.0,
    "seed": 0,
    "digit_index": 0,
    "span": 3.0,
}
# Cases a lecturer shows ("Cases to show" buttons, each also a link: docs/presets.md). Every name is a claim about
# its case that tests/test_vae.py checks on the shipped models.
SAMPLE_CASES = {  # each case's id: its name is `vae.preset.<id>`, filled with the case's own temperature
    "fitted_mixture": {**DEFAULTS, "n": 64},
    "normal_holes": {**DEFAULTS, "n": 64, "prior": "normal"},
    "cs_normal_holes": {**DEFAULTS, "n": 64, "model": "cs", "prior": "normal"},
    "temperature_low": {**DEFAULTS, "n": 64, "temperature": 0.5},
    "temperature_high": {**DEFAULTS, "n": 64, "temperature": 2.0},
}
SAMPLE_PRESETS = {
    filled_label(f"vae.preset.{case}", temperature=values["temperature"]): values
    for case, values in SAMPLE_CASES.items()
}
SAMPLE_CONTROLS = ("model", "prior", "n", "temperature", "seed", "digit_index", "span")  # what a preset sets
PRESETS = SAMPLE_PRESETS | own_digit.PRESETS  # every named case of the tab, as links (scripts/preset_links.py)
QUALITY_CACHE_SIZE = 64  # distinct (model, prior, n, seed) reports kept; a classroom mostly asks for the defaults
DIGIT_IMPORTANCE_SAMPLES = 500  # per digit, for the live decomposition of the homework's question 2b


def plot_text(key: str, lang: str = DEFAULT_LANGUAGE, /, **values) -> str:
    """A string for a Plotly title, axis or legend: SVG text in a left-to-right chart, so Persian is isolated
    right to left (English unchanged)."""
    return bidi.line(t(key, lang, **values), lang)


def cell(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A table cell or header: a Persian one isolated right to left, so that its Latin words (FID, PPL) keep their
    place whatever the cell's direction (English unchanged)."""
    return bidi.line(t(key, lang), lang)


def localized_table(rows: list[list], header_keys: tuple[str, ...], lang: str):
    """Rows for a Dataframe output: as they are in English (the component's own headers, and the public API's
    answer), with the headers in the page's language otherwise."""
    if lang == DEFAULT_LANGUAGE:
        return rows
    return pd.DataFrame(rows, columns=[cell(f"vae.{key}", lang) for key in header_keys])


class Loaded(NamedTuple):
    models: dict[str, ConvVAE]  # "kl" / "cs" → model
    preview_models: dict[str, ConvVAE]  # the same in models.device.preview_dtype: what the live previews decode with
    mixtures: dict[str, GaussianMixture]  # "kl" / "cs" → the prior fitted to that model's codes
    records: dict[str, dict]  # checkpoint name → JSON record
    activity_order: dict[str, torch.Tensor]  # latent dims, most active first
    map_model: ConvVAE
    latent_map: LatentMap
    evaluator: MnistEvaluator
    test_images: torch.Tensor  # the fixed binarization of the test split: what the models were scored on
    test_labels: torch.Tensor


# What the tab reads from a record, per model class
RECORD_SECTIONS = {
    ConvVAE: ("training", "test", "sample_quality", "latent_activity"),
    GaussianMixture: ("fit", "test", "sample_quality"),
}


def _load(name: str, device: torch.device, model_class: type = ConvVAE) -> tuple[torch.nn.Module, dict]:
    try:
        model, record = load_model(model_class, name)
        missing = [section for section in RECORD_SECTIONS[model_class] if section not in record]
        if missing:
            raise CheckpointError(f"The record of checkpoint {name} lacks {', '.join(missing)}.")
    except CheckpointError as exc:
        raise CheckpointError(f"{exc} Train it with `{RETRAIN_COMMANDS[name]}`.") from exc
    return model.to(device), record


@functools.cache
def loaded() -> Loaded:
    """Models, evaluator and test split, loaded once per process (raises CheckpointError / MnistDataError)."""
    device = select_device()
    test_images, test_labels = binarized_test_split()
    models, mixtures, records = {}, {}, {}
    for key, (_, name) in MODELS.items():
        models[key], records[name] = _load(name, device)
        mixtures[key], records[prior_checkpoint(key)] = _load(prior_checkpoint(key), device, GaussianMixture)
    map_model, records[MAP_CHECKPOINT] = _load(MAP_CHECKPOINT, device)
    activity_order = {  # from the records (the shipped weights' activity on these digits): 3 s less at start
        key: torch.tensor(records[name]["latent_activity"]).argsort(descending=True)
        for key, (_, name) in MODELS.items()
    }
    try:
        evaluator = MnistEvaluator.load(device=device)
    except CheckpointError as exc:
        raise CheckpointError(
            f"{exc} The sample-quality metrics need it: `{RETRAIN_COMMANDS[CLASSIFIER_NAME]}` rebuilds it."
        ) from exc
    dtype = preview_dtype(device)
    preview_models = {
        key: model if dtype == torch.float32 else copy.deepcopy(model).to(dtype) for key, model in models.items()
    }
    state = Loaded(
        models,
        preview_models,
        mixtures,
        records,
        activity_order,
        map_model,
        latent_map(map_model, test_images, test_labels, MAP_STEPS),
        evaluator,
        test_images,
        test_labels,
    )
    for key in MODELS:  # the default report of each model and prior is its record's: no computation
        for prior in PRIORS:
            _quality_cache[(key, prior, QUALITY_SAMPLES, 0)] = report_from_record(records[record_name(key, prior)])
    return state


def prior_checkpoint(model: str) -> str:
    """The checkpoint of the mixture fitted to a model's codes (scripts/fit_vae_prior.py)."""
    return f"{MODELS[model][1]}_prior"


def record_name(model: str, prior: str) -> str:
    """The record holding a model's numbers under a prior: the VAE's own for N(0, I), the mixture's otherwise."""
    return prior_checkpoint(model) if prior == "mixture" else MODELS[model][1]


def prior_of(model: str, prior: str) -> GaussianMixture | None:
    """The prior to sample a model from (None: N(0, I))."""
    return loaded().mixtures[model] if prior == "mixture" else None


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


def latent_map_figure(result: LatentMap, lang: str = DEFAULT_LANGUAGE) -> go.Figure:
    figure = go.Figure(
        [
            go.Scattergl(
                x=result.codes[result.labels == digit, 0],
                y=result.codes[result.labels == digit, 1],
                mode="markers",
                name=str(digit),
                marker={"size": 4},
            )
            for digit in range(10)
        ]
    )
    figure.update_layout(
        title=plot_text("vae.latent_map_title", lang),
        xaxis_title="z₁",
        yaxis_title="z₂",
        legend_title=plot_text("vae.digit", lang),
        height=520,
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
    )
    return figure


def digit_map_figure(code: np.ndarray, lang: str = DEFAULT_LANGUAGE) -> go.Figure:
    """The 2-D model's map of the test digits with one drawing's code μ(x) marked (the "Your own digit" section)."""
    figure = latent_map_figure(loaded().latent_map, lang)
    figure.add_scatter(
        x=[code[0]],
        y=[code[1]],
        mode="markers",
        name=plot_text("vae.your_digit", lang),
        marker={"symbol": "star", "size": 22, "color": "black", "line": {"color": "white", "width": 2}},
    )
    figure.update_layout(height=420, title=plot_text("vae.digit_map_title", lang))
    return figure


def prd_figure(label: str, report: QualityReport, lang: str = DEFAULT_LANGUAGE) -> go.Figure:
    prd = report.prd
    figure = go.Figure(
        go.Scatter(
            x=prd.recall.tolist(),
            y=prd.precision.tolist(),
            mode="lines",
            name=f"{label}: F8 {prd.f8:.3f}, F1/8 {prd.f1_8:.3f}",
        )
    )
    figure.update_layout(
        title=plot_text("vae.prd_title", lang),
        xaxis={"title": plot_text("vae.prd_recall", lang), "range": [0, 1.02]},
        yaxis={"title": plot_text("vae.prd_precision", lang), "range": [0, 1.02]},
        height=400,
        showlegend=True,
        legend={"x": 0.02, "y": 0.02},
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
    )
    return figure


def _model_key(model) -> str:
    return choice(model, "model", MODELS)


def _prior_key(prior) -> str:
    return choice(prior, "prior", PRIORS)


def _test_index(value, name: str) -> int:
    return integer(value, name, 0, len(loaded().test_images) - 1)


# ---------------------------------------------------------------------------------------------------
# Sample quality: computed once per (model, prior, n, seed), the defaults read from the checkpoint records


_quality_cache: OrderedDict[tuple[str, str, int, int], QualityReport] = OrderedDict()
_quality_lock = threading.Lock()


def report_from_record(record: dict) -> QualityReport:
    """The default report (n = 2,000, seed 0) exactly as the training script stored it."""
    quality = record["sample_quality"]
    curve = quality["prd_curve"]
    prd = PrdCurve(
        torch.tensor(curve["precision"]), torch.tensor(curve["recall"]), quality["F8 (PRD)"], quality["F1/8 (PRD)"]
    )
    return QualityReport({row: quality[row] for row in METRIC_ROWS}, prd)


def recorded_reconstruction_fid(model: str) -> float:
    """FID of a model's test-split reconstructions: deterministic, so the training script's value is the one."""
    return loaded().records[MODELS[model][1]]["sample_quality"]["FID reconstructions"]


def quality(model: str, prior: str, n: int, seed: int) -> QualityReport:
    key = (model, prior, n, seed)
    with _quality_lock:
        if key in _quality_cache:
            _quality_cache.move_to_end(key)
            return _quality_cache[key]
    state = loaded()
    report = quality_report(
        state.models[model], state.evaluator, n, seed, recorded_reconstruction_fid(model), prior_of(model, prior)
    )
    with _quality_lock:
        _quality_cache[key] = report
        while len(_quality_cache) > QUALITY_CACHE_SIZE + len(MODELS) * len(PRIORS):
            _quality_cache.popitem(last=False)
    return report


def _quality_arguments(model, n, seed, prior) -> tuple[str, str, int, int]:
    model, n, seed = _model_key(model), integer(n, "n", *METRICS_SAMPLES), integer(seed, "seed", 0, MAX_SEED)
    return model, _prior_key(prior), n, seed


# ---------------------------------------------------------------------------------------------------
# Public endpoints


@friendly_errors
def vae_sample(model, n, temperature, seed, prior=DEFAULT_PRIOR, request: gr.Request = None) -> np.ndarray:
    """n ∈ [1, 64] digits decoded from prior codes z = m_c + temperature·L_c·ε (N(0, I): z = temperature·ε);
    temperature ∈ [0.1, 3]; seed ∈ [0, 2³¹−1]; prior "mixture" or "normal"."""
    key = _model_key(model)
    n = integer(n, "n", 1, MAX_SAMPLES)
    temperature = number(temperature, "temperature", *TEMPERATURES)
    seed = integer(seed, "seed", 0, MAX_SEED)
    chosen = prior_of(key, _prior_key(prior))
    return tile(
        sample_images(loaded().preview_models[key], n, temperature, seed, chosen), columns=min(n, SAMPLE_COLUMNS)
    )


@friendly_errors
def vae_traverse(model, digit_index, span, request: gr.Request = None) -> tuple[np.ndarray, np.ndarray]:
    """Decode μ(x) + offset·e_d for test digit x (index ∈ [0, 1999]) and offsets −span…+span (span ∈ [0.5, 5]).

    Rows are the latent dims, most active first; the marked middle column is offset 0.
    """
    key = _model_key(model)
    index = _test_index(digit_index, "digit_index")
    span = number(span, "span", *SPANS)
    state = loaded()
    result = traverse(
        state.preview_models[key], state.test_images[index : index + 1], state.activity_order[key], span, TRAVERSE_STEPS
    )
    grid = tile(result.images, TRAVERSE_STEPS, marked_columns=[TRAVERSE_STEPS // 2], scale=TRAVERSE_SCALE)
    return grid, tile(result.digit, 1)


@friendly_errors
def vae_metrics(model, n, seed, prior=DEFAULT_PRIOR, request: gr.Request = None):
    """FID/IS/precision/recall/PPL/PRD of n ∈ [100, 5000] samples of the prior ("mixture" or "normal"), and FID
    of the test reconstructions.

    Rows of the `metric, value` table; on a page in another language, a table with its rows and headers in it."""
    return metrics_view(quality(*_quality_arguments(model, n, seed, prior)), request_language(request))


def metrics_view(report: QualityReport, lang: str = DEFAULT_LANGUAGE):
    rows = [[cell(f"vae.{METRIC_KEYS[row]}", lang), round(report.rows[row], 4)] for row in METRIC_ROWS]
    return localized_table(rows, ("metrics_header_metric", "metrics_header_value"), lang)


# ---------------------------------------------------------------------------------------------------
# Interactive-only views (not public API)


@friendly_errors
def metrics_plot(model, n, seed, prior=DEFAULT_PRIOR, request: gr.Request = None) -> go.Figure:
    """The PRD curve of the report that vae_metrics just produced (from the cache: nothing is recomputed)."""
    key, prior, n, seed = _quality_arguments(model, n, seed, prior)
    return prd_figure(MODELS[key][0], quality(key, prior, n, seed), request_language(request))


@friendly_errors
def interpolation(model, first_index, second_index, request: gr.Request = None) -> np.ndarray:
    """The decoded straight line from μ(first) to μ(second); the originals frame it, marked."""
    key = _model_key(model)
    lang = request_language(request)  # the names are words, not API parameters: in the page's language
    first = _test_index(first_index, t("vae.first_digit", lang))
    second = _test_index(second_index, t("vae.second_digit", lang))
    row = interpolate(loaded().preview_models[key], loaded().test_images[[first, second]], INTERPOLATION_STEPS)
    return tile(row, len(row), marked_columns=[0, len(row) - 1])


@friendly_errors
def reconstructions(model, seed, request: gr.Request = None) -> np.ndarray:
    """Random test digits (top row) and their reconstructions at z = μ(x) (bottom row)."""
    key = _model_key(model)
    seed = integer(seed, "seed", 0, MAX_SEED)
    test_images = loaded().test_images
    picked = torch.randperm(len(test_images), generator=torch.Generator().manual_seed(seed))[:RECONSTRUCTIONS]
    originals = test_images[picked]
    return tile(torch.cat([originals, reconstruct(loaded().preview_models[key], originals)]), RECONSTRUCTIONS)


TERMS_HEADERS = ("terms_header_term", "terms_header_digit", "terms_header_mean")


@friendly_errors
def decomposition(model, digit_index, lang: str = DEFAULT_LANGUAGE) -> tuple:
    """The terms of E_q[log p(x|z)] = log p(x) − KL(q‖p(z|x)) + KL(q‖p(z)) for one test digit (homework 2b):
    (the digit, rows `term, this digit, test-split mean`, a table with headers in `lang` where it is not English)."""
    key = _model_key(model)
    index = _test_index(digit_index, "digit_index")
    state = loaded()
    digit = state.test_images[index : index + 1]
    terms = digit_terms(state.models[key], digit, DIGIT_IMPORTANCE_SAMPLES)
    test = state.records[MODELS[key][1]]["test"]
    rows = [
        ["E_q[log p(x|z)]", -terms.reconstruction, -test["reconstruction_nats"]],
        [cell("vae.term_log_likelihood", lang), -terms.negative_log_likelihood, -test["iwae_negative_log_likelihood"]],
        ["IWAE − ELBO ≤ KL(q(z|x) ‖ p(z|x))", terms.kl_posterior, test["elbo_gap"]],
        ["KL(q(z|x) ‖ p(z))", terms.kl_prior, test["kl"]],
        ["D_CS(q(z|x) ‖ p(z))", terms.cs_prior, test["cs"]],
        ["KL(q‖p(z)) − λ·D_CS(q‖p(z)), λ = 1", terms.kl_prior - terms.cs_prior, test["kl"] - test["cs"]],
    ]
    rows = [[name, round(value, 2), round(mean, 2)] for name, value, mean in rows]
    return tile(digit, 1), localized_table(rows, TERMS_HEADERS, lang)


def apply_preset(name: str, request: gr.Request = None) -> tuple:
    """A case to show: its control values (SAMPLE_CONTROLS), then the samples, traversal and digit they give."""
    case = SAMPLE_PRESETS[name]
    samples = vae_sample(case["model"], case["n"], case["temperature"], case["seed"], case["prior"], request)
    traversal, digit = vae_traverse(case["model"], case["digit_index"], case["span"], request)
    return (*(case[key] for key in SAMPLE_CONTROLS), samples, traversal, digit)


def case_button(name: str):
    """The click event of a "Cases to show" button: apply_preset for its case, with the request."""

    def click(request: gr.Request = None):
        return apply_preset(name, request)

    return click


def random_index() -> int:
    return int(np.random.default_rng().integers(len(loaded().test_images)))


def random_seed() -> int:
    return int(np.random.default_rng().integers(MAX_SEED))


# ---------------------------------------------------------------------------------------------------
# Explanations built from the models (the prose is in demos/vae/texts/vae/)

INACTIVE_BELOW = 0.06  # latent activity under which a dimension counts as unused (collapsed to the prior)
SANITY_RECORD = "mnist_metrics_sanity"  # written by `python -m scripts.metrics_sanity`; its rows' keys:
SANITY_TEST, SANITY_ONE_CLASS, SANITY_COLLAPSE = "test", "class_1_only", "one_digit_per_class"


def facts(records: dict[str, dict], sanity: dict | None) -> dict[str, str]:
    """Every number the tab's prose quotes, formatted from the checkpoint records (never typed by hand)."""
    kl, cs = records["vae_kl"], records["vae_cs"]
    values = {}
    for key, record in (("kl", kl), ("cs", cs)):
        activity = torch.tensor(record["latent_activity"])
        test, quality = record["test"], record["sample_quality"]
        values |= {
            f"{key}_inactive": f"{int((activity < INACTIVE_BELOW).sum())}",
            f"{key}_least_active": f"{activity.min().item():.2f}",
            f"{key}_kl": f"{test['kl']:.1f}",
            f"{key}_cs": f"{test['cs']:.1f}",
            f"{key}_bracket": f"{test['kl'] - test['cs']:.1f}",
            f"{key}_gap": f"{test['elbo_gap']:.1f}",
            f"{key}_excess": f"{test['kl'] - test['cs'] - test['elbo_gap']:.1f}",
            f"{key}_elbo": f"{test['negative_elbo']:.1f}",
            f"{key}_recon": f"{test['reconstruction_nats']:.1f}",
            f"{key}_iwae": f"{test['iwae_negative_log_likelihood']:.1f}",
            f"{key}_fid_recon": f"{quality['FID reconstructions']:.0f}",
            f"{key}_fid_samples": f"{quality['FID samples']:.0f}",
        }
        mixture = records[prior_checkpoint(key)]
        values |= {
            f"{key}_mixture_components": f"{mixture['config']['components']}",
            f"{key}_mixture_fid_samples": f"{mixture['sample_quality']['FID samples']:.0f}",
            f"{key}_mixture_iwae": f"{mixture['test']['iwae_negative_log_likelihood']:.1f}",
            f"{key}_mixture_elbo": f"{mixture['test']['negative_elbo']:.1f}",
        }
    rows = {row["key"]: row for row in (sanity or {}).get("rows", [])}
    one_class, collapse = rows.get(SANITY_ONE_CLASS), rows.get(SANITY_COLLAPSE)

    # Sentences: `name` for the English text, `name_fa` for the Persian one (homework.<lang>.md).
    def scores(row: dict) -> dict:
        return {name: row[name] for name in ("images", "IS", "FID", "recall")}

    for lang in LANGUAGES:
        suffix = "" if lang == DEFAULT_LANGUAGE else f"_{lang}"
        values["sanity_one_class" + suffix] = (
            t("vae.sanity_one_class", lang, **scores(one_class))
            if one_class
            else t("vae.sanity_one_class_missing", lang)
        )
        values["sanity_collapse" + suffix] = (
            t(
                "vae.sanity_collapse",
                lang,
                **scores(collapse),
                repeats=collapse["images"] // 10,
                test_IS=rows[SANITY_TEST]["IS"],
            )
            if collapse and SANITY_TEST in rows
            else t("vae.sanity_collapse_missing", lang)
        )
    return values


def transposed_conv_markdown(model: ConvVAE, lang: str = DEFAULT_LANGUAGE) -> str:
    """The output-size formula, evaluated on each ConvTranspose2d of the decoder as it is built."""
    lines = [
        r"$$h_{\text{out}}=(h_{\text{in}}-1)\cdot s-2p+k+\text{output\_padding}$$",
        t("vae.transposed_legend", lang),
    ]
    measured = t("vae.transposed_measured", lang)
    for row in transposed_conv_shapes(model):
        c_in, c_out = row["channels"]
        lines.append(
            f"$$\\text{{ConvTranspose2d}}({c_in}\\to{c_out}):\\;({row['h_in']}-1)\\cdot{row['stride']}-2\\cdot{row['padding']}"
            f"+{row['kernel']}+{row['output_padding']}={row['h_out_formula']}"
            f"\\quad(\\text{{{measured}}}{row['h_out_measured']})$$"
        )
    return "\n".join(lines)


def encoder_markdown(model: ConvVAE, lang: str = DEFAULT_LANGUAGE) -> str:
    """The encoder's layers and the shape each outputs, read from the model as built (homework Q3)."""
    lines = [t("vae.encoder_legend", lang), "", f"| {t('vae.encoder_layer', lang)} | {t('vae.encoder_output', lang)} |"]
    lines.append("|---|---|")
    lines += [f"| `{name}` | {'×'.join(map(str, shape))} |" for name, shape in encoder_shapes(model)]
    return "\n".join(lines)


def likelihood_markdown(records: dict[str, dict], lang: str = DEFAULT_LANGUAGE) -> str:
    """Each shipped model's test likelihood, read from its JSON record: −ELBO beside the IWAE −log p(x); a VAE
    with its fitted mixture as p(z) is a model of its own, with its own row."""
    lines = [t("vae.likelihood_header", lang), "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |"]
    for name, record in records.items():
        test = record["test"]
        if "fit" in record:  # a fitted prior: the VAE it belongs to, with that prior
            vae = records[record["fit"]["vae"]]
            training = vae["training"]
            model = t("vae.likelihood_with_mixture", lang, name=record["fit"]["vae"], **record["config"])
            made = t("vae.likelihood_fit", lang, seconds=record["fit"]["seconds"], device=record["fit"]["device"])
            prior_kl = test["kl_prior"]
        else:
            training = record["training"]
            model = f"`{name}`"
            made = t(
                "vae.likelihood_training",
                lang,
                epochs=training["epochs"],
                minutes=training["seconds"] / 60,
                device=training["device"],
            )
            prior_kl = test["kl"]
        lines.append(
            f"| {model} | {record['config']['latent_dim']} | {training['regularizer'].upper()}, {training['lam']:g} | "
            f"{test['negative_elbo']:.2f} ± {test['negative_elbo_standard_error']:.2f} | "
            f"{test['iwae_negative_log_likelihood']:.2f} ± {test['iwae_negative_log_likelihood_standard_error']:.2f} | "
            f"{test['elbo_gap']:.2f} ± {test['elbo_gap_standard_error']:.2f} | "
            f"{test['reconstruction_nats']:.1f} + {prior_kl:.1f} | {made} |"
        )
    return "\n".join(lines)


def overlap_markdown(kernel: int, stride: int, lang: str = DEFAULT_LANGUAGE) -> str:
    counts = transposed_conv_overlap(kernel, stride).tolist()
    header = t("vae.overlap_caption", lang, kernel=kernel, stride=stride) + "\n\n|" + " |" * len(counts[0]) + "\n|"
    return header + "---|" * len(counts[0]) + "\n" + "\n".join("| " + " | ".join(map(str, r)) + " |" for r in counts)


def sanity_record() -> dict | None:
    """The metrics' sanity rows, or None where the record is missing (the answers then name its command)."""
    try:
        return json.loads(checkpoint_paths(SANITY_RECORD)[1].read_text())
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------------
# Homework questions: one sentence each, a "Show answer" that reveals the answer and sets the controls


class Controls(NamedTuple):
    model: gr.Radio
    prior: gr.Radio
    digit_index: gr.Number
    metrics_n: gr.Slider
    metrics_seed: gr.Number
    metrics_table: gr.Dataframe
    prd_plot: gr.Plot


@friendly_errors
def homework_q2b(digit_index, request: gr.Request = None):
    """Answer 2b: the CS-VAE's own terms for the chosen digit. Returns (model, answer, digit, terms table)."""
    digit, rows = decomposition("cs", digit_index, request_language(request))
    return "cs", gr.Column(visible=True), digit, rows


def homework_model(model: str, request: gr.Request = None):
    """Answers shown beside a model's metrics at their defaults, sampled from N(0, I) as the homework's VAE is:
    (model, prior, n, seed, metrics table, PRD plot, answer).

    The default report is the checkpoint record's, so the table matches the numbers the answer quotes."""
    table = vae_metrics(model, QUALITY_SAMPLES, 0, "normal", request)
    figure = metrics_plot(model, QUALITY_SAMPLES, 0, "normal", request)
    return model, "normal", QUALITY_SAMPLES, 0, table, figure, gr.Column(visible=True)


def homework_kl(request: gr.Request = None):
    return homework_model("kl", request)


def numbers_markdown(text: str) -> gr.Markdown:
    """Tables and formulas computed from the models and their records: numbers, not prose for the catalogue."""
    block = gr.Markdown(text, latex_delimiters=LATEX_DELIMITERS)
    return tag(block, "untranslated")


class HomeworkViews(NamedTuple):
    terms_table: gr.Dataframe
    overlaps: list[gr.Markdown]  # k = 4 and k = 3, stride 2


OVERLAPS = ((4, 2), (3, 2))  # (kernel, stride) of the homework's overlap tables


def build_homework(controls: Controls, values: dict[str, str]) -> HomeworkViews:
    def question(key: str):
        markdown("vae", "homework", f"{key}_question", values)
        button = gr.Button("Show answer", size="sm")
        answer = gr.Column(visible=False)
        with answer:
            markdown("vae", "homework", f"{key}_answer", values)
        return button, answer

    with gr.Accordion("Homework questions", open=False):
        button, answer = question("q2b")
        with answer, gr.Row():
            terms_digit = gr.Image(label="Test digit (binarized)", format="png", scale=1)
            terms_table = gr.Dataframe(
                headers=["term (nats)", "this digit", "test-split mean"], interactive=False, scale=3
            )
        button.click(
            homework_q2b,
            controls.digit_index,
            [controls.model, answer, terms_digit, terms_table],
            api_visibility="private",
            **METRICS_QUEUE,
        )
        sets_model = [
            controls.model,
            controls.prior,
            controls.metrics_n,
            controls.metrics_seed,
            controls.metrics_table,
            controls.prd_plot,
        ]
        for key in ("q3_elbo", "q3_transposed", "q3_fid_gap", "q3_is", "q3_metrics"):
            button, answer = question(key)
            if key == "q3_transposed":
                with answer, gr.Row():
                    overlaps = [numbers_markdown(overlap_markdown(*case)) for case in OVERLAPS]
            if key == "q3_is":  # nothing to set: the numbers are the sanity table's
                button.click(lambda: gr.Column(visible=True), None, answer, api_visibility="private")
            else:  # the KL-VAE with the metrics at their defaults: the table beside the answer matches its text
                button.click(homework_kl, None, [*sets_model, answer], api_visibility="private")
    return HomeworkViews(terms_table, overlaps)


# ---------------------------------------------------------------------------------------------------
# UI: one builder per panel, in page order, each laying out its controls and its views (drawn from the tab's
# defaults) and returning them; then the `wire_` functions, which join them to the endpoints.


class SamplesPanel(NamedTuple):
    cases: dict[str, gr.Button]  # "Cases to show": preset name → its button
    n: gr.Slider
    temperature: gr.Slider
    seed: gr.Number
    sample: gr.Button
    regenerate: gr.Button
    image: gr.Image


class TraversalPanel(NamedTuple):
    digit_index: gr.Number
    random_digit: gr.Button
    span: gr.Slider
    traverse: gr.Button
    digit_image: gr.Image
    image: gr.Image


class InterpolationPanel(NamedTuple):
    first_index: gr.Number
    second_index: gr.Number
    image: gr.Image


class ReconstructionsPanel(NamedTuple):
    seed: gr.Number
    new_digits: gr.Button
    image: gr.Image


class QualityPanel(NamedTuple):
    n: gr.Slider
    seed: gr.Number
    compute: gr.Button
    table: gr.Dataframe
    prd_plot: gr.Plot


def index_input(state: Loaded, value: int, label: str) -> gr.Number:
    """A box for the index of a test digit."""
    return gr.Number(value, precision=0, minimum=0, maximum=len(state.test_images) - 1, label=label)


def build_model_choice() -> tuple[gr.Radio, gr.Radio]:
    """The model and the prior every panel below reads."""
    with gr.Row():
        model = gr.Radio([(label, key) for key, (label, _) in MODELS.items()], value=DEFAULTS["model"], label="Model")
        prior = gr.Radio(
            [(label, key) for key, label in PRIORS.items()], value=DEFAULTS["prior"], label="Prior p(z) of the samples"
        )
    return model, prior


def build_samples(values: dict[str, str]) -> SamplesPanel:
    gr.Markdown("**Cases to show**")
    with gr.Row():
        cases = {name: gr.Button(name, size="sm", min_width=200) for name in SAMPLE_PRESETS}
    with gr.Row():
        with gr.Column(scale=1):
            gr.Markdown("### Prior samples")
            n = gr.Slider(1, MAX_SAMPLES, value=DEFAULTS["n"], step=1, label="n (number of samples)")
            temperature = gr.Slider(
                *TEMPERATURES, value=DEFAULTS["temperature"], step=0.05, label="temperature T (z = m + T·Lε)"
            )
            seed = gr.Number(DEFAULTS["seed"], precision=0, minimum=0, maximum=MAX_SEED, label="seed")
            with gr.Row():
                sample = gr.Button("Sample", variant="primary")
                regenerate = gr.Button("Regenerate (new seed)")
        first_samples = vae_sample(*(DEFAULTS[key] for key in ("model", "n", "temperature", "seed", "prior")))
        image = gr.Image(first_samples, label="Samples", format="png", scale=2)
    markdown("vae", "explanation", "prior", values)
    return SamplesPanel(cases, n, temperature, seed, sample, regenerate, image)


def build_traversal(state: Loaded, values: dict[str, str]) -> TraversalPanel:
    markdown("vae", "explanation", "traversal", values)
    traversal, digit = vae_traverse(DEFAULTS["model"], DEFAULTS["digit_index"], DEFAULTS["span"])
    with gr.Row():
        with gr.Column(scale=1):
            digit_index = index_input(state, DEFAULTS["digit_index"], "test digit index")
            random_digit = gr.Button("Random digit")
            span = gr.Slider(*SPANS, value=DEFAULTS["span"], step=0.5, label="span")
            traverse_button = gr.Button("Traverse", variant="primary")
            digit_image = gr.Image(digit, label="Test digit (binarized)", format="png")
        image = gr.Image(traversal, label="Traversal", format="png", scale=3)
    return TraversalPanel(digit_index, random_digit, span, traverse_button, digit_image, image)


def build_interpolation(state: Loaded, values: dict[str, str]) -> InterpolationPanel:
    markdown("vae", "explanation", "interpolation", values)
    other_class = int((state.test_labels != state.test_labels[0]).nonzero()[0])  # open on two different digits
    with gr.Row():
        first_index = index_input(state, 0, "first digit index")
        second_index = index_input(state, other_class, "second digit index")
    image = gr.Image(interpolation("kl", 0, other_class), label="Interpolation", format="png")
    return InterpolationPanel(first_index, second_index, image)


def build_reconstructions(values: dict[str, str]) -> ReconstructionsPanel:
    markdown("vae", "explanation", "reconstructions", values)
    with gr.Row():
        seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="seed")
        new_digits = gr.Button("New digits")
    image = gr.Image(reconstructions("kl", 0), label="Originals and reconstructions", format="png")
    return ReconstructionsPanel(seed, new_digits, image)


def build_latent_map(state: Loaded, values: dict[str, str]) -> gr.Plot:
    """The 2-D model's decoded manifold beside its map of the test digits (the plot, redrawn in the page's language)."""
    markdown("vae", "explanation", "latent_map", values)
    with gr.Row():
        gr.Image(tile(state.latent_map.manifold, MAP_STEPS, scale=2), label="Decoded manifold", format="png")
        return gr.Plot(latent_map_figure(state.latent_map), label="Test encodings")


def build_likelihood(state: Loaded, values: dict[str, str]) -> gr.Markdown:
    markdown("vae", "explanation", "likelihood", values)
    return numbers_markdown(likelihood_markdown(state.records))


def build_quality(values: dict[str, str]) -> QualityPanel:
    """The sample-quality metrics, opening on the KL-VAE's recorded report (no computation)."""
    markdown("vae", "explanation", "quality", values)
    with gr.Row():
        with gr.Column(scale=1):
            n = gr.Slider(*METRICS_SAMPLES, value=QUALITY_SAMPLES, step=100, label="n (prior samples)")
            seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="seed")
            compute = gr.Button("Compute metrics", variant="primary")
            table = gr.Dataframe(
                vae_metrics("kl", QUALITY_SAMPLES, 0), headers=["metric", "value"], label="Metrics", interactive=False
            )
        with gr.Column(scale=1):
            prd_plot = gr.Plot(metrics_plot("kl", QUALITY_SAMPLES, 0), label="PRD curve")
    markdown("vae", "explanation", "metrics_note", values)
    return QualityPanel(n, seed, compute, table, prd_plot)


def build_math(state: Loaded, values: dict[str, str]) -> tuple[gr.Markdown, gr.Markdown]:
    """The math, with the encoder's layers and the transposed-convolution arithmetic read from the KL-VAE."""
    with gr.Accordion("The math: ELBO, KL, Cauchy–Schwarz, transposed convolutions", open=False):
        markdown("vae", "explanation", "math", values)
        encoder = numbers_markdown(encoder_markdown(state.models["kl"]))
        transposed = numbers_markdown(transposed_conv_markdown(state.models["kl"]))
    return encoder, transposed


def build() -> None:
    """The tab, panel by panel in page order, then its events; "Your own digit" and "Train live" are sections of
    their own (demos/vae/own_digit.py, demos/vae/live_training.py)."""
    try:
        state = loaded()
    except (CheckpointError, MnistDataError) as exc:
        show_unavailable(str(exc))
        return
    values = facts(state.records, sanity_record())
    markdown("vae", "explanation", "intro", values)
    model, prior = build_model_choice()
    own_digit.build(model, own_digit.Section(loaded, tile, digit_map_figure))
    samples = build_samples(values)
    traversal = build_traversal(state, values)
    interpolation_panel = build_interpolation(state, values)
    reconstructions_panel = build_reconstructions(values)
    latent_plot = build_latent_map(state, values)
    likelihood = build_likelihood(state, values)
    quality_panel = build_quality(values)
    encoder, transposed = build_math(state, values)
    homework = build_homework(
        Controls(
            model,
            prior,
            traversal.digit_index,
            quality_panel.n,
            quality_panel.seed,
            quality_panel.table,
            quality_panel.prd_plot,
        ),
        values,
    )
    redrawn = [latent_plot, quality_panel.table, quality_panel.prd_plot, likelihood, encoder, transposed]
    wire_page_language([*redrawn, *homework.overlaps, homework.terms_table])
    wire_samples_and_traversal(model, prior, samples, traversal)
    wire_digit_rows(model, interpolation_panel, reconstructions_panel)
    wire_quality(model, prior, quality_panel)
    live_training.build()


def page_language_views(request: gr.Request = None):
    """On a page in another language than English, the views drawn at build time redrawn in it: the same
    numbers, the page's words (the controls' events draw in the page's language from then on)."""
    lang = request_language(request)
    if lang == DEFAULT_LANGUAGE:
        return [gr.skip()] * 9
    state = loaded()
    # what the page opens on: no computation
    report = report_from_record(state.records[record_name("kl", DEFAULT_PRIOR)])
    query = dict(getattr(request, "query_params", {}) or {})
    # A link to another model or prior redraws the metrics itself (its change event), in the page's language.
    linked_model = query.get("tab") == "vae" and (
        query.get("model", "kl") != "kl" or query.get("prior", DEFAULT_PRIOR) != DEFAULT_PRIOR
    )
    return [
        latent_map_figure(state.latent_map, lang),
        gr.skip() if linked_model else metrics_view(report, lang),
        gr.skip() if linked_model else prd_figure(MODELS["kl"][0], report, lang),
        likelihood_markdown(state.records, lang),
        encoder_markdown(state.models["kl"], lang),
        transposed_conv_markdown(state.models["kl"], lang),
        *(overlap_markdown(*case, lang) for case in OVERLAPS),
        localized_table([], TERMS_HEADERS, lang),
    ]


def wire_page_language(outputs: list) -> None:
    """On page load: page_language_views into the views it redraws, in its order."""
    gr.on(  # no trigger and no input: on page load
        None,
        page_language_views,
        None,
        outputs,
        api_visibility="private",
        show_progress="hidden",
    )


def wire_samples_and_traversal(
    model: gr.Radio, prior: gr.Radio, samples: SamplesPanel, traversal: TraversalPanel
) -> None:
    """/vae_sample and /vae_traverse, with the buttons that set their inputs (cases, new seed, random digit)."""
    sample_inputs = [model, samples.n, samples.temperature, samples.seed, prior]
    traverse_inputs = [model, traversal.digit_index, traversal.span]
    traverse_outputs = [traversal.image, traversal.digit_image]
    gr.on(
        [
            samples.sample.click,
            model.change,
            prior.change,
            samples.n.release,
            samples.temperature.release,
            samples.seed.submit,
        ],
        vae_sample,
        sample_inputs,
        samples.image,
        api_name="vae_sample",
        preprocess=False,  # raw values reach the validators, which answer every bad one with a sentence
        **TORCH_QUEUE,
    )
    samples.regenerate.click(random_seed, None, samples.seed, api_visibility="private").then(
        vae_sample, sample_inputs, samples.image, api_visibility="private", **TORCH_QUEUE
    )
    gr.on(
        [traversal.traverse.click, model.change, traversal.digit_index.submit, traversal.span.release],
        vae_traverse,
        traverse_inputs,
        traverse_outputs,
        api_name="vae_traverse",
        preprocess=False,  # raw values reach the validators, which answer every bad one with a sentence
        **TORCH_QUEUE,
    )
    # SAMPLE_CONTROLS, then the views they give
    controls = [model, prior, samples.n, samples.temperature, samples.seed, traversal.digit_index, traversal.span]
    for name, button in samples.cases.items():
        button.click(
            case_button(name),
            None,
            [*controls, samples.image, *traverse_outputs],
            api_visibility="private",
            **TORCH_QUEUE,
        )
    traversal.random_digit.click(random_index, None, traversal.digit_index, api_visibility="private").then(
        vae_traverse, traverse_inputs, traverse_outputs, api_visibility="private", **TORCH_QUEUE
    )


def wire_digit_rows(
    model: gr.Radio, interpolation_panel: InterpolationPanel, reconstructions_panel: ReconstructionsPanel
) -> None:
    """The interpolation and the reconstructions, redrawn for a new model or new digits."""
    gr.on(
        [model.change, interpolation_panel.first_index.submit, interpolation_panel.second_index.submit],
        interpolation,
        [model, interpolation_panel.first_index, interpolation_panel.second_index],
        interpolation_panel.image,
        api_visibility="private",
        **TORCH_QUEUE,
    )
    reconstruction_inputs = [model, reconstructions_panel.seed]
    gr.on(
        [model.change, reconstructions_panel.seed.submit],
        reconstructions,
        reconstruction_inputs,
        reconstructions_panel.image,
        api_visibility="private",
        **TORCH_QUEUE,
    )
    reconstructions_panel.new_digits.click(
        random_seed, None, reconstructions_panel.seed, api_visibility="private"
    ).then(reconstructions, reconstruction_inputs, reconstructions_panel.image, api_visibility="private", **TORCH_QUEUE)


def wire_quality(model: gr.Radio, prior: gr.Radio, quality_panel: QualityPanel) -> None:
    """/vae_metrics, then the PRD curve of the same report (from the cache)."""
    inputs = [model, quality_panel.n, quality_panel.seed, prior]
    gr.on(
        [quality_panel.compute.click, model.change, prior.change],
        vae_metrics,
        inputs,
        quality_panel.table,
        api_name="vae_metrics",
        preprocess=False,
        **METRICS_QUEUE,
    ).then(metrics_plot, inputs, quality_panel.prd_plot, api_visibility="private", **METRICS_QUEUE)


BENCH_CASES = (
    live_training.BENCH_CASES
    + own_digit.BENCH_CASES
    + [
        BenchCase(
            "/vae_sample (64 digits)",
            "/vae_sample",
            vae_sample,
            {"model": "kl", "n": 64, "temperature": 1.0, "seed": 0, "prior": DEFAULT_PRIOR},
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
            {"model": "kl", "n": 2000, "seed": 0, "prior": DEFAULT_PRIOR},
            "number->plot+table",
        ),
    ]
)

TAB = TabSpec(
    name="vae",
    build=build,
    endpoints={
        "vae_encode": ("image", "model"),
        "vae_sample": ("model", "n", "temperature", "seed", "prior"),
        "vae_traverse": ("model", "digit_index", "span"),
        "vae_metrics": ("model", "n", "seed", "prior"),
        "vae_train_live": ("regularizer", "lam", "epochs", "seed"),
    },
    bench_cases=tuple(BENCH_CASES),
    presets=PRESETS,
)
