"""Tab `vae`, section "Train live": a small VAE with a 2-D latent trains from scratch in the student's session.

`build()` is called at the end of the VAE tab's build; the model and its trainer live in models/vae_live.py.
It lays the section out and nothing more: the page opens on the untrained model of seed 0 (`initial_snapshot`, no
trainer and no optimizer); a student's session, with its trainer, is made by their first Play, Step or Reset (an
API call makes its own).
After every UPDATE_SECONDS of training the section redraws the loss curves, the encoder's map of 1,000 test
digits and the decoder on a grid of the latent plane; during Play the next update trains while the current one
is drawn and sent.

Classroom safety. Trainings run in their own concurrency group (LIVE_QUEUE: at most MAX_LIVE_TRAININGS at
once, the others wait in Gradio's queue with their position shown), never in demos.TORCH_QUEUE, so the other
tabs' previews do not wait behind them. Their chunks run on MAX_LIVE_TRAININGS dedicated threads at a lower
CPU priority (LIVE_NICE), one torch thread each (the app sets torch.set_num_threads(1)), so that a preview
that needs a core gets it first. A Play run pauses itself after PLAY_SECONDS; when the browser tab closes,
Gradio marks the session's events dead on the disconnect and never resumes the generator, so its training
stops at the next update.

Public API (a stream: one update per tenth of an epoch):
    /vae_train_live (regularizer, lam, epochs, seed) → (loss table, map figure, grid image)
        regularizer ∈ {kl, cs}; lam ∈ [0, 5]; epochs ∈ [1, 5]; seed ∈ [0, 2³¹−1]
        loss table `epoch, reconstruction, kl, cs, loss` (chunk means, nats per digit); the grid image is
        11 × 11 decoded digits (308 × 308 px, greyscale) on z ∈ [−3.5, 3.5]², the map's axes.
"""

import functools
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from demos import BenchCase, bidi, markdown
from demos.language import DEFAULT_LANGUAGE, request_language, t
from demos.validation import choice, friendly_errors, integer, log, number
from models.mnist import MnistDataError, load_mnist
from models.vae_live import REGULARIZERS, LiveTrainer, Snapshot, map_subset, untrained_snapshot

MAX_LIVE_TRAININGS = 2
LIVE_QUEUE = {"concurrency_id": "vae_live", "concurrency_limit": MAX_LIVE_TRAININGS}
LIVE_NICE = 10  # the priority of the project's background trainings: previews (nice 0) come first
PLAY_SECONDS = 60  # a Play run pauses itself after this, so that the queue moves on
SESSION_TTL_S = 1800  # a session's model is dropped after 30 min without an update
UPDATE_SECONDS = 0.3  # in the section, each update trains this long: with drawing, about 2.5 updates per second
CHUNK_STEPS = 8  # in the API, each update is 8 steps, a tenth of an epoch (80 minibatches of 100): reproducible
MAP_DIGITS = 1000
GRID_STEPS = 11
GRID_EXTENT = 3.5
LAMBDAS = (0.0, 5.0)
EPOCHS = (1, 5)
MAX_SEED = 2**31 - 1
REGULARIZER_NAMES = {"kl": "KL", "cs": "D_CS"}
TABLE_HEADERS = ["epoch", "reconstruction", "kl", "cs", "loss"]
DIGIT_COLOURS = [  # Plotly's default qualitative palette: ten distinct hues, one per digit
    "#636efa",
    "#EF553B",
    "#00cc96",
    "#ab63fa",
    "#FFA15A",
    "#19d3f3",
    "#FF6692",
    "#B6E880",
    "#FF97FF",
    "#FECB52",
]


def plot_text(key: str, lang: str = DEFAULT_LANGUAGE, /, **values) -> str:
    """A string for a Plotly title, axis or legend: SVG text in a left-to-right chart, so Persian is isolated
    right to left (English unchanged)."""
    return bidi.line(t(key, lang, **values), lang)


def _lower_priority() -> None:
    # On Linux a thread is a task with its own nice value: this lowers only the calling training thread.
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LIVE_NICE)
    except (AttributeError, OSError):  # not Linux, or not allowed: the thread keeps the normal priority
        log.info("Live VAE training threads run at normal priority.")


TRAINING_THREADS = ThreadPoolExecutor(MAX_LIVE_TRAININGS, thread_name_prefix="vae-live", initializer=_lower_priority)


@functools.cache
def training_digits():
    """The 8,000 training digits, loaded by the process's first session."""
    return load_mnist("train")[0]


@functools.cache
def map_digits():
    """The map's test digits (binarized once) and their labels, loaded once per process."""
    return map_subset(*load_mnist("test"), MAP_DIGITS)


@functools.cache
def initial_snapshot() -> Snapshot:
    """What the section opens on: the model of seed 0 before its first step, as a fresh session of seed 0 (Reset,
    or the first Play) shows it; drawn once per process, with no session and no optimizer."""
    return untrained_snapshot(
        *map_digits(), regularizer="kl", lam=1.0, seed=0, grid_steps=GRID_STEPS, grid_extent=GRID_EXTENT
    )


class LiveSession:
    """One browser session's (or one API call's) training; the lock serializes its chunks, because a cancelled
    Play may still be finishing its last chunk when the next Play or Step starts."""

    def __init__(self, regularizer: str, lam: float, seed: int):
        self.trainer = LiveTrainer(
            training_digits(),
            *map_digits(),
            regularizer=regularizer,
            lam=lam,
            seed=seed,
            grid_steps=GRID_STEPS,
            grid_extent=GRID_EXTENT,
        )
        self.lock = threading.Lock()

    def set_objective(self, regularizer: str, lam: float) -> None:
        self.trainer.regularizer, self.trainer.lam = regularizer, lam

    def _advance(self, steps: int, seconds: float | None) -> Snapshot:
        with self.lock:
            return self.trainer.advance(steps, seconds)

    def advance(self, steps: int, seconds: float | None = None) -> Snapshot:
        """Train `steps` minibatches (or for `seconds`) on a low-priority training thread; wait for the snapshot."""
        return TRAINING_THREADS.submit(self._advance, steps, seconds).result()

    def start_update(self) -> Future:
        """Start training for UPDATE_SECONDS, at most to the end of the epoch (a steady update rate on any
        machine), on a low-priority training thread; the future's result is the snapshot."""
        return TRAINING_THREADS.submit(self._advance, self.trainer.steps_to_epoch_end(), UPDATE_SECONDS)

    def snapshot(self) -> Snapshot:
        with self.lock:
            return self.trainer.snapshot()


# ---------------------------------------------------------------------------------------------------
# Views: a snapshot in, figures out; nothing here trains or evaluates


def _figure(data: list[dict], layout: dict) -> go.Figure:
    # Plotly's property validation costs ~60 ms per map figure, most of an update's drawing time; these dicts
    # are written here, not taken from users, so it is skipped (Plotly's own templates do the same).
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def loss_table(snapshot: Snapshot) -> list[list[float]]:
    """Rows `epoch, reconstruction, kl, cs, loss`, one per update."""
    return [
        [round(row.epoch, 3), round(row.reconstruction, 3), round(row.kl, 4), round(row.cs, 4), round(row.loss, 3)]
        for row in snapshot.history
    ]


def loss_figure(snapshot: Snapshot, lang: str = DEFAULT_LANGUAGE) -> go.Figure:
    """Reconstruction (left axis) and both regularizers of the posteriors (right axis) against epochs."""
    epochs = [row.epoch for row in snapshot.history]
    traces = [
        ("reconstruction", plot_text("vae_live.reconstruction", lang), "y"),
        ("kl", "KL", "y2"),
        ("cs", "D_CS", "y2"),
    ]
    data = [
        {
            "type": "scatter",
            "x": epochs,
            "y": [getattr(row, key) for row in snapshot.history],
            "name": name,
            "yaxis": axis,
        }
        for key, name, axis in traces
    ]
    layout = {
        "title": {"text": plot_text("vae_live.loss_title", lang)},
        "xaxis": {"title": {"text": plot_text("vae_live.epoch_axis", lang)}, "rangemode": "tozero"},
        "yaxis": {"title": {"text": "−log p(x|z)"}},
        "yaxis2": {
            "title": {"text": "KL, D_CS"},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
        },
        "legend": {"orientation": "h", "y": -0.25},
        "height": 400,
        "margin": {"l": 50, "r": 50, "t": 40, "b": 40},
        "uirevision": "losses",
    }
    return _figure(data, layout)


def map_figure(snapshot: Snapshot, lang: str = DEFAULT_LANGUAGE) -> go.Figure:
    """μ(x) of the map digits coloured by label, on the axes of the decoded grid.

    WebGL markers: redrawing 1,000 SVG markers a few times per second cost headless Chromium about 2.5× more
    main-thread time per update (measured here: 1.9 s against 0.8 s on the loaded 2-core machine)."""
    extent = snapshot.grid_extent
    means, labels = snapshot.map_means, snapshot.map_labels
    outside = int((np.abs(means) > extent).any(axis=1).sum())
    data = [
        {
            "type": "scattergl",
            "x": means[labels == digit, 0],
            "y": means[labels == digit, 1],
            "mode": "markers",
            "name": str(digit),
            "marker": {"size": 5, "color": DIGIT_COLOURS[digit]},
        }
        for digit in range(10)
    ]
    frame = [-extent, extent]
    layout = {
        "title": {
            "text": plot_text("vae_live.map_title", lang, epoch=snapshot.epoch, outside=outside, total=len(means))
        },
        "xaxis": {"title": {"text": "z₁"}, "range": frame},
        "yaxis": {"title": {"text": "z₂"}, "range": frame, "scaleanchor": "x"},
        "legend": {"title": {"text": plot_text("vae_live.digit", lang)}},
        "height": 400,
        "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
        "uirevision": "map",  # legend clicks and zoom survive the updates
    }
    return _figure(data, layout)


def grid_image(snapshot: Snapshot) -> np.ndarray:
    """The decoded latent plane as a greyscale uint8 image."""
    return (snapshot.grid * 255).round().astype(np.uint8)


def objective_text(regularizer: str, lam: float, lang: str = DEFAULT_LANGUAGE) -> str:
    return t("vae_live.objective", lang, lam=lam, regularizer=REGULARIZER_NAMES[regularizer])


def status_markdown(snapshot: Snapshot, note: str = "", lang: str = DEFAULT_LANGUAGE) -> str:
    """The status line: epoch, steps, objective and the last update's losses, then `note` (already in `lang`)."""
    objective = objective_text(snapshot.regularizer, snapshot.lam, lang)
    status = t("vae_live.status", lang, epoch=snapshot.epoch, steps=snapshot.step, objective=objective)
    if snapshot.history:
        last = snapshot.history[-1]
        status += t("vae_live.last_update", lang, reconstruction=last.reconstruction, kl=last.kl, cs=last.cs)
    return f"{status}. {note}".strip()


# ---------------------------------------------------------------------------------------------------
# Validation and the public endpoint


def _settings(regularizer, lam) -> tuple[str, float]:
    return choice(regularizer, "regularizer", REGULARIZERS), number(lam, "lam", *LAMBDAS)


@friendly_errors
def vae_train_live(regularizer, lam, epochs, seed):
    """Train a fresh 2-D VAE for `epochs` ∈ [1, 5] epochs; yield (loss table, map figure, grid image) every tenth."""
    regularizer, lam = _settings(regularizer, lam)
    epochs = integer(epochs, "epochs", *EPOCHS)
    seed = integer(seed, "seed", 0, MAX_SEED)
    session = LiveSession(regularizer, lam, seed)
    for _ in range(epochs * session.trainer.steps_per_epoch // CHUNK_STEPS):
        snapshot = session.advance(CHUNK_STEPS)
        yield loss_table(snapshot), map_figure(snapshot), grid_image(snapshot)


def train_to_the_end(**kwargs) -> tuple:
    """The last update of a /vae_train_live stream: what a benchmark times when it calls the endpoint directly."""
    *_, last = vae_train_live(**kwargs)
    return last


# For the VAE tab's BENCH_CASES (scripts/bench.py, the load test, the hostile-input and app-shell tests).
BENCH_CASES = [
    BenchCase(
        "/vae_train_live (1 epoch, 10 updates)",
        "/vae_train_live",
        train_to_the_end,
        {"regularizer": "kl", "lam": 1.0, "epochs": 1, "seed": 0},
        "number->plot+table",
    )
]


# ---------------------------------------------------------------------------------------------------
# Interactive controls (not public API)


def _views(snapshot: Snapshot, lang: str, note_key: str, **values) -> tuple:
    """(loss figure, map figure, grid, status) in `lang`, the status ending with the note `note_key`."""
    note = t(f"vae_live.{note_key}", lang, **values)
    return (
        loss_figure(snapshot, lang),
        map_figure(snapshot, lang),
        grid_image(snapshot),
        status_markdown(snapshot, note, lang),
    )


def _session(session, regularizer, lam, seed) -> LiveSession:
    """The page's training session (a new one on first use), training with the controls' objective."""
    regularizer, lam = _settings(regularizer, lam)
    if session is None:
        session = LiveSession(regularizer, lam, integer(seed, "seed", 0, MAX_SEED))
    session.set_objective(regularizer, lam)
    return session


@friendly_errors
def play(session, regularizer, lam, seed, request: gr.Request = None):
    """Train until paused, or for PLAY_SECONDS; yields (session, loss figure, map figure, grid, status)."""
    session = _session(session, regularizer, lam, seed)
    lang = request_language(request)
    stop_at = time.monotonic() + PLAY_SECONDS
    update = session.start_update()
    while True:
        snapshot = update.result()
        if time.monotonic() >= stop_at:
            break
        update = session.start_update()  # the next update trains while this one is drawn and sent
        yield session, *_views(snapshot, lang, "training")
    yield session, *_views(snapshot, lang, "paused_after", seconds=PLAY_SECONDS)


@friendly_errors
def step_epoch(session, regularizer, lam, seed, request: gr.Request = None):
    """Train to the end of the current epoch, showing every update."""
    session = _session(session, regularizer, lam, seed)
    lang = request_language(request)
    while True:
        snapshot = session.start_update().result()
        if session.trainer.step % session.trainer.steps_per_epoch == 0:
            yield session, *_views(snapshot, lang, "epoch_end")
            return
        yield session, *_views(snapshot, lang, "stepping")


@friendly_errors
def reset(regularizer, lam, seed, request: gr.Request = None) -> tuple:
    """A fresh model from `seed`: its untrained map and decoded plane."""
    regularizer, lam = _settings(regularizer, lam)
    session = LiveSession(regularizer, lam, integer(seed, "seed", 0, MAX_SEED))
    return session, *_views(session.snapshot(), request_language(request), "reset")


@friendly_errors
def change_objective(session, regularizer, lam, request: gr.Request = None) -> str:
    """Apply a new regularizer or λ to the session's training from its next update."""
    if session is None:
        return gr.skip()
    regularizer, lam = _settings(regularizer, lam)
    session.set_objective(regularizer, lam)
    lang = request_language(request)
    return t("vae_live.objective_changed", lang, objective=objective_text(regularizer, lam, lang))


def paused(session, request: gr.Request = None) -> str:
    if session is None:
        return gr.skip()
    return t("vae_live.paused", request_language(request), epoch=session.trainer.epoch)


def regularizer_choices(lang: str = DEFAULT_LANGUAGE) -> list[tuple[str, str]]:
    return [(t(f"vae_live.regularizer_{key}", lang), key) for key in REGULARIZER_NAMES]


class LiveBlocks(NamedTuple):
    """The section's components, as `layout` makes them."""

    regularizer: gr.Radio
    lam: gr.Slider
    seed: gr.Number
    play: gr.Button
    pause: gr.Button
    step: gr.Button
    reset: gr.Button
    status: gr.Markdown
    loss_plot: gr.Plot
    map_plot: gr.Plot
    grid: gr.Image
    table: gr.Dataframe  # hidden: only the public endpoint fills it (API callers get the loss values as a table)
    epochs: gr.Number  # hidden: the public endpoint's input
    session: gr.State  # the student's LiveSession: None until their first Play, Step or Reset


def build() -> None:
    """The "Train live" section; call it inside the VAE tab's build, after its other sections."""
    with gr.Accordion("Train a VAE live", open=True):
        try:
            initial = initial_snapshot()
        except MnistDataError as exc:
            gr.Markdown(f"⚠️ **Live training is unavailable.** {exc}")
            return
        blocks = layout(initial)
    gr.on(  # no trigger and no input: on page load
        None,
        page_language_views,
        None,
        [blocks.regularizer, blocks.loss_plot, blocks.map_plot, blocks.status],
        api_visibility="private",
        show_progress="hidden",
    )
    wire_training(blocks)
    wire_api(blocks)


def layout(initial: Snapshot) -> LiveBlocks:
    """The section's explanation, controls and views, these showing `initial`."""
    markdown("vae_live", "intro")
    with gr.Row():
        regularizer = gr.Radio(regularizer_choices(), value="kl", label="Regularizer")
        lam = gr.Slider(*LAMBDAS, value=1.0, step=0.1, label="λ (weight of the regularizer)")
        seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed (used by Reset)")
    with gr.Row():
        play_button = gr.Button("▶ Play", variant="primary")
        pause_button = gr.Button("⏸ Pause")
        step_button = gr.Button("Step one epoch")
        reset_button = gr.Button("Reset")
    status = gr.Markdown(status_markdown(initial, t("vae_live.untrained")))
    with gr.Row():
        # The figures carry their own titles (with a label shown, Gradio widens their top margin to 100 px).
        loss_plot = gr.Plot(loss_figure(initial), label="Loss curves", show_label=False)
        map_plot = gr.Plot(map_figure(initial), label="Latent map", show_label=False)
        grid = gr.Image(grid_image(initial), label="Decoded latent plane", format="png", image_mode="L", height=400)
    table = gr.Dataframe(headers=TABLE_HEADERS, label="Loss table", visible=False)
    epochs = gr.Number(1, precision=0, visible=False)
    session = gr.State(None, time_to_live=SESSION_TTL_S)
    return LiveBlocks(
        regularizer,
        lam,
        seed,
        play_button,
        pause_button,
        step_button,
        reset_button,
        status,
        loss_plot,
        map_plot,
        grid,
        table,
        epochs,
        session,
    )


def page_language_views(request: gr.Request = None):
    """On a page in another language than English, the untrained views drawn at build time, in it."""
    lang = request_language(request)
    if lang == DEFAULT_LANGUAGE:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    initial = initial_snapshot()
    return (
        gr.Radio(choices=regularizer_choices(lang)),
        loss_figure(initial, lang),
        map_figure(initial, lang),
        status_markdown(initial, t("vae_live.untrained", lang), lang),
    )


def wire_training(blocks: LiveBlocks) -> None:
    """Play, Pause, Step and Reset, and a new objective applied to a running training."""
    views = [blocks.session, blocks.loss_plot, blocks.map_plot, blocks.grid, blocks.status]
    settings = [blocks.regularizer, blocks.lam, blocks.seed]
    training = {"show_progress_on": blocks.status, "api_visibility": "private", **LIVE_QUEUE}
    play_event = blocks.play.click(play, [blocks.session, *settings], views, **training)
    step_event = blocks.step.click(step_epoch, [blocks.session, *settings], views, **training)
    running = [play_event, step_event]
    blocks.pause.click(paused, blocks.session, blocks.status, cancels=running, api_visibility="private")
    blocks.reset.click(reset, settings, views, cancels=running, api_visibility="private")
    gr.on(
        [blocks.regularizer.change, blocks.lam.release],
        change_objective,
        [blocks.session, blocks.regularizer, blocks.lam],
        blocks.status,
        api_visibility="private",
    )


def wire_api(blocks: LiveBlocks) -> None:
    """The public endpoint /vae_train_live (no control of the section triggers it)."""
    gr.on(
        [],
        vae_train_live,
        [blocks.regularizer, blocks.lam, blocks.epochs, blocks.seed],
        [blocks.table, blocks.map_plot, blocks.grid],
        api_name="vae_train_live",
        preprocess=False,  # raw values reach the validators, which answer every bad one with a sentence
        **LIVE_QUEUE,
    )
