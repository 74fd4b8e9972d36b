"""The sketch tab in the page's language: on a Persian page (a request whose Referer has ?lang=fa) the live view's
status line, the model choices and the error sentences are Persian, with the same numbers; the public endpoint
/sketch2image and an English page answer exactly as before."""

from pathlib import Path

import gradio as gr
import pytest
from PIL import Image

from demos import bidi
from demos import pix2pix as tab
from demos.language import t
from tests.pages import NUMBER, PERSIAN, Page

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = sorted((ROOT / "data" / "pix2pix_examples").glob("*.png"))[0]
FA = Page("http://127.0.0.1:7860/?tab=pix2pix&lang=fa")
EN = Page("http://127.0.0.1:7860/?tab=pix2pix")


pytestmark = pytest.mark.usefixtures("one_thread_per_module")  # tests/conftest.py


def persian(text: str) -> bool:
    return bool(PERSIAN.search(text))


def numbers(text: str) -> list[str]:
    return NUMBER.findall(bidi.plain(text))


def fa(key: str, **values) -> str:
    return t(f"pix2pix.{key}", "fa", **values)


def canvas(image) -> dict:
    return {"background": None, "layers": [], "composite": image}


def test_the_status_line_follows_the_page_with_the_same_numbers():
    result = tab.generate(canvas(Image.open(EXAMPLE)), "gan", False, 0, judge=True)
    english, persian_line = tab.status_line(result), tab.status_line(result, "fa")
    assert english.startswith("Generated in **") and "The discriminator rates **" in english  # as before
    assert persian(persian_line) and not persian(english)
    assert numbers(persian_line) == numbers(english)
    assert bidi.plain(persian_line) == bidi.plain(
        fa(
            "status",
            ms=result.seconds * 1000,
            device=result.device,
            real=bidi.ltr(f"{100 * (result.realness > 0.5).mean():.0f}%", "fa"),
            mean=result.realness.mean(),
        )
    )


def test_the_live_view_on_a_persian_page_writes_its_status_in_persian():
    *_, english = tab.draw(canvas(Image.open(EXAMPLE)), "gan", False, 0, EN)
    *images, status = tab.draw(canvas(Image.open(EXAMPLE)), "gan", False, 0, FA)
    opening = fa("status", ms=0, device="", real=0, mean=0).split("**")[0]  # "Generated in" in Persian
    assert english.startswith("Generated in") and persian(status) and status.startswith(opening)
    assert all(image is not None for image in images)
    assert tab.draw(None, "gan", False, 0, FA)[-1] == fa("draw_hint")  # an empty canvas: the hint
    assert (
        tab.draw(None, "gan", False, 0)[-1]
        == tab.DRAW_HINT
        == "Draw something with the black pen (or pick an example)."
    )


@pytest.mark.parametrize(
    ("sketch", "settings", "english"),
    [
        (canvas("/no/such/file.png"), ("gan", False, 0), "The sketch's composite is not a readable image."),
        (
            "lines",
            ("gan", False, 0),
            "The sketch must be the canvas value: a dict with 'background', 'layers' and 'composite'.",
        ),
        (
            {"background": None, "layers": "x", "composite": None},
            ("gan", False, 0),
            "The sketch's 'layers' must be a list of images.",
        ),
        (None, ("gan", "maybe", 0), "stochastic must be true or false, got 'maybe'."),
        (None, ("vae", False, 0), "model must be one of 'gan', 'l1'; got 'vae'."),
    ],
)
def test_error_sentences_are_persian_on_a_persian_page_and_english_for_the_api(sketch, settings, english):
    for call in (lambda: tab.sketch2image(sketch, *settings), lambda: tab.draw(sketch, *settings, EN)):
        with pytest.raises(gr.Error) as raised:
            call()
        assert raised.value.message == english
    with pytest.raises(gr.Error) as raised:
        tab.draw(sketch, *settings, FA)
    assert persian(raised.value.message)
    assert numbers(raised.value.message) == numbers(english)


def test_the_model_choices_follow_the_page_on_load():
    from demos.gradio_seam import events

    with gr.Blocks() as demo:
        tab.build()
    event = next(block_fn for block_fn in events(demo) if block_fn.name == "page_language_choices")
    assert [target[1] for target in event.targets] == ["load"]
    assert event.fn(None) == event.fn(EN) == gr.skip()
    radio = event.fn(FA)
    assert radio.choices == [(fa("model_gan"), "gan"), (fa("model_l1"), "l1")]
    assert tab.MODEL_LABELS == [("GAN (L1 + adversarial)", "gan"), ("L1 only (baseline)", "l1")]
