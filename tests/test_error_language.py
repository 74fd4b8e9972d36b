"""Error sentences follow the page's language: the public API answers in English, exactly as before; a UI event
sent from a Persian page answers in Persian, with the same values (one mechanism: validation.Sentence, re-said by
friendly_errors where the wrapped function takes the request)."""

import math
import re

import gradio as gr
import pytest

from demos import bidi, validation
from demos.language import t

PERSIAN = re.compile(r"[\u0600-\u06FF]")


class PageRequest:
    def __init__(self, lang):
        self.query_params = {}
        self.headers = {"referer": f"http://127.0.0.1:7860/?lang={lang}"}


FA, EN = PageRequest("fa"), PageRequest("en")

# The API's sentences, as they were before they came from a catalogue: they must not change.
ENGLISH = [
    (lambda: validation.number(None, "mu", -4, 4), "mu must be a number, got None."),
    (lambda: validation.number(True, "mu", -4, 4), "mu must be a number, got True."),  # a bool is no number
    (lambda: validation.integer(False, "n", 0, 10), "n must be a number, got False."),
    (lambda: validation.number("abc", "mu", -4, 4), "mu must be a number, got 'abc'."),
    (lambda: validation.number([1], "mu", -4, 4), "mu must be a number, got a list."),
    (lambda: validation.number(math.inf, "mu", -4, 4), "mu must be a finite number, got inf."),
    (lambda: validation.number(-5, "mu", -4, 4), "mu must be in [-4, 4], got -5."),
    (lambda: validation.number(0.1, "sigma", 0.1, 5, low_open=True), "sigma must be in (0.1, 5], got 0.1."),
    (lambda: validation.integer(2.5, "n", 1, 10_000), "n must be a whole number, got 2.5."),
    (lambda: validation.choice("x", "f", ["a", "b"]), "f must be one of 'a', 'b'; got 'x'."),
    (lambda: validation.flag("maybe", "mixture"), "mixture must be true or false, got 'maybe'."),
]


@pytest.mark.parametrize(("raise_it", "sentence"), ENGLISH)
def test_validators_say_todays_english_sentences(raise_it, sentence):
    with pytest.raises(gr.Error) as caught:
        raise_it()
    assert caught.value.message == sentence


@validation.friendly_errors
def page_event(call, request: gr.Request = None):
    """A UI event: it takes the request."""
    return call()


@validation.friendly_errors
def api_endpoint(call):
    """A public endpoint: no request."""
    return call()


@validation.friendly_errors
def page_stream(call, request: gr.Request = None):
    yield 1
    call()


def numbers(text: str) -> list[str]:
    return sorted(re.findall(r"-?\d+(?:\.\d+)?", bidi.plain(text)))


@pytest.mark.parametrize(("raise_it", "sentence"), ENGLISH)
def test_a_persian_page_gets_the_sentence_in_persian_with_the_same_values(raise_it, sentence):
    for call in (lambda: api_endpoint(raise_it), lambda: page_event(raise_it, EN), lambda: page_event(raise_it)):
        with pytest.raises(gr.Error) as english:
            call()
        assert english.value.message == sentence
    with pytest.raises(gr.Error) as persian:
        page_event(raise_it, FA)
    message = persian.value.message
    assert PERSIAN.search(message) and numbers(message) == numbers(sentence)
    name = sentence.split(" ")[0]
    assert bidi.ltr(name, "fa") in message  # the parameter's name kept left to right inside the Persian sentence
    assert message.startswith(bidi.RLI) and message.endswith(bidi.PDI)  # Gradio's toast has no direction of its own
    with pytest.raises(gr.Error) as streamed:
        list(page_stream(raise_it, FA))
    assert streamed.value.message == message


def test_the_request_is_found_by_keyword_too_and_only_where_the_function_takes_one():
    with pytest.raises(gr.Error) as caught:
        page_event(call=lambda: validation.number(9, "m", -3, 3), request=FA)
    assert PERSIAN.search(caught.value.message)
    assert validation._request_parameter(page_event) == "request"
    assert validation._request_parameter(api_endpoint) is None


def test_something_unexpected_is_one_sentence_in_the_page_language(caplog):
    def broken():
        raise ZeroDivisionError("a traceback no student should see")

    with pytest.raises(gr.Error) as api:
        api_endpoint(broken)
    assert api.value.message == validation.UNEXPECTED_ERROR == t("validation.unexpected", "en")
    assert validation.UNEXPECTED_ERROR.startswith("Something went wrong while computing this result")
    with pytest.raises(gr.Error) as persian:
        page_event(broken, FA)
    assert bidi.plain(persian.value.message) == t("validation.unexpected", "fa")
    assert PERSIAN.search(persian.value.message) and "traceback" not in persian.value.message
    with pytest.raises(gr.Error) as streamed:
        list(page_stream(broken, FA))
    assert streamed.value.message == persian.value.message


def test_an_uncatalogued_error_passes_unchanged():
    def plain():
        raise gr.Error("a sentence of its own")

    with pytest.raises(gr.Error) as caught:
        page_event(plain, FA)
    assert caught.value.message == "a sentence of its own"
