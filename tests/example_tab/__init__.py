"""A test-only tab, the smallest a tab can be: one slider, one view, one public endpoint (tests/test_adding_a_tab.py).

It is declared exactly as docs/adding_a_tab.md says and lives in its own package with its own texts; nothing else in
the project names it. The test registers it in an app of its own and finds it covered by the app's machinery.
"""

from pathlib import Path

import gradio as gr

from demos import BenchCase, register_texts
from demos.language import request_language, t
from demos.tab_spec import TabSpec
from demos.validation import friendly_errors, number

register_texts(Path(__file__).resolve().parent / "texts")  # its catalogue, texts/example/, before it is read

X_RANGE = (-10.0, 10.0)


def view(x: float, lang: str = "en") -> str:
    """The tab's one view of its parameter: x² as a sentence in `lang`."""
    x = number(x, "x", *X_RANGE)
    return t("example.square", lang, x=f"{x:g}", square=f"{x * x:g}")


@friendly_errors
def example_square(x):
    """The public endpoint /example_square(x): the view, in English."""
    return view(x)


@friendly_errors
def page_view(x, request: gr.Request = None):
    """The page's event: the view in the page's language."""
    return view(x, request_language(request))


def build() -> None:
    x = gr.Slider(*X_RANGE, value=2.0, step=0.5, label="x", elem_id="example-x")
    shown = gr.Markdown(view(2.0), elem_id="example-view")
    x.input(page_view, x, shown, api_visibility="private", preprocess=False, show_progress="hidden")
    # preprocess=False: raw values reach the validator, which answers every bad one with a sentence
    hidden = gr.Markdown(visible=False)
    gr.Button(visible=False).click(example_square, x, hidden, api_name="example_square", preprocess=False)


TAB = TabSpec(
    name="example",
    build=build,
    endpoints={"example_square": ("x",)},
    bench_cases=(BenchCase("/example_square (x = 3)", "/example_square", example_square, {"x": 3.0}, "number->text"),),
    presets={"x = 3": {"x": 3.0}},
)
