"""Generative Models Lab: four tabs, one gr.Blocks app. This file only assembles.

python app.py                     # http://127.0.0.1:7860
python app.py --host 0.0.0.0 --port 8080 --share
"""

import argparse
import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry calls
# Gradio's /monitoring dashboard summarizes the last 10,000 events with pandas and by default rebuilds that summary
# after every event: 5 ms of the interpreter per event after 700 events, 21 ms after 10,000. Every 100 events
# instead (the dashboard lags by at most 100 events).
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")
# NumPy/SciPy work per request is small and up to two requests run it at once: one BLAS thread each, so
# concurrent requests do not oversubscribe the cores. (Must be set before NumPy is imported.)
for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import gradio as gr  # noqa: E402
import torch  # noqa: E402

from demos import (  # noqa: E402
    atomic_image_cache,
    classroom,
    divergences,
    estimators,
    gradio_seam,
    language,  # noqa: E402
    live_drag,
    pix2pix,
    static_text,
    translated_text,
    vae,
)
from demos.language import DEFAULT_LANGUAGE, HEAD, LANGUAGES, SWITCH_JS, UI, request_language, t  # noqa: E402
from demos.tab_spec import TabSpec  # noqa: E402
from models.device import device_label, select_device  # noqa: E402

__version__ = "0.1.0"

TITLE = "Generative Models Lab"


# The tabs, in the order of the tab bar: the only list of them (demos/tab_spec.py, docs/adding_a_tab.md).
TABS = [estimators.TAB, divergences.TAB, vae.TAB, pix2pix.TAB]
# Concurrency model (README, "Classroom load"): the torch previews share one worker and the metrics another
# (demos.TORCH_QUEUE, demos.METRICS_QUEUE), one torch thread each, so that together with the NumPy endpoints'
# two workers per endpoint they keep a 2-core machine busy without oversubscribing it; beyond QUEUE_MAX_SIZE
# waiting events a caller is told the app is busy and to try again, instead of waiting without end.
QUEUE_MAX_SIZE = 256
# Every preview writes an image of tens of KB to Gradio's cache: hundreds of megabytes in a lesson of 30 students
# dragging sliders, without end on a server that stays up. Every 10 minutes, images not served for an hour are
# deleted (demos/atomic_image_cache.py renews an image when it is served again); the rest when the server stops.
IMAGE_CACHE_SWEEP = (600, 3600)  # Gradio's delete_cache: (every, older than), in seconds
DEFAULT_CONCURRENCY_LIMIT = 2
torch.set_num_threads(int(os.environ.get("GML_TORCH_THREADS", "1")))

THEME = gr.themes.Default()  # its fonts ship inside the gradio package: nothing is fetched
CSS = static_text("app.css") + classroom.LECTURE_CSS + live_drag.CSS


def build_app(tabs: list[TabSpec] = TABS) -> gr.Blocks:
    """Assemble the tabs; each tab builds its own controls and endpoints."""
    atomic_image_cache.install()
    gradio_seam.defer_session_configs()
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=IMAGE_CACHE_SWEEP) as demo:
        gr.Markdown(f"# {TITLE}")
        gr.Markdown(UI("app.subtitle"))
        notice = gr.Markdown(visible=False, elem_classes="gml-link-notice")
        linked = {}
        with gr.Tabs(overflow_behavior="wrap") as tabs_block:  # every tab one tap away on a phone
            for tab in tabs:
                with gr.Tab(UI(f"tabs.{tab.name}"), id=tab.name, elem_id=f"tab-{tab.name}"):
                    tab.build()
                    linked[tab.name] = classroom.linked_tabs(demo, [tab.name])[tab.name]
                    classroom.add_link_controls(linked[tab.name])
        # Below the tabs, so that the first screen of a projector or a phone shows a tab's controls and plot.
        with gr.Row(equal_height=True, elem_classes="gml-settings"):
            lecture = gr.Checkbox(label=UI("app.lecture_mode"), value=False, scale=0, min_width=200)
            switch = gr.Radio(
                [(name, lang) for lang, name in LANGUAGES.items()],
                value=DEFAULT_LANGUAGE,
                label=UI("app.language"),
                scale=0,
                min_width=260,
            )
        footer = gr.Markdown(
            f"Generative Models Lab v{__version__} · {device_label(select_device())} · [API](?view=api)",
            elem_classes="gml-footer",
        )
        gradio_seam.tag(footer, "untranslated")  # a version, a device name and a link: the same in every language
        lecture.change(None, lecture, None, js=classroom.LECTURE_JS, api_visibility="private")
        switch.input(None, switch, None, js=SWITCH_JS, api_visibility="private")
        texts = gradio_seam.tagged(gradio_seam.blocks(demo), "text")  # demos.markdown(...) blocks
        short_texts = language.localize(demo)
        tab_blocks = [block for block in gradio_seam.blocks(demo) if isinstance(block, gr.Tab) and block.id in linked]

        def show_language(request: gr.Request):
            """Persian texts, and the tab titles (Gradio's tab bar keeps labels it drew before the locale switch)."""
            lang = request_language(request)
            if lang == DEFAULT_LANGUAGE:
                return {switch: gr.skip()}  # (an empty dict would read as one output value)
            return {
                switch: gr.Radio(value=lang),
                **{block: gr.Tab(label=t(f"tabs.{block.id}", lang)) for block in tab_blocks},
                **{block: translated_text(block, lang) for block in texts},
                **{block: language.translate(block.value, lang) for block in short_texts},
            }

        demo.load(
            show_language,
            None,
            [switch, *tab_blocks, *texts, *short_texts],
            api_visibility="private",
            show_progress="hidden",
        )
        classroom.wire_links(demo, tabs_block, linked, notice, lecture)
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=DEFAULT_CONCURRENCY_LIMIT)
    return demo


def launch_kwargs() -> dict:
    """Arguments for `launch()` that every entry point (CLI, tests, benchmarks) shares."""
    gr.set_static_paths(language.static_paths())  # the bundled Persian font, served by the app itself
    return {"theme": THEME, "css": CSS + language.css(), "head": HEAD, "ssr_mode": False, "i18n": UI}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--share", action="store_true", help="create a public gradio.live link (off by default)")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    build_app().launch(server_name=args.host, server_port=args.port, share=args.share, **launch_kwargs())


if __name__ == "__main__":
    main()
