"""Server-side validation for every public endpoint.

API callers skip the sliders, so each endpoint re-checks its inputs here and answers bad ones with
one human sentence (gr.Error). `friendly_errors` turns anything unexpected into such a sentence
too, logging the traceback on the server instead of showing it to a student.

Error sentences in the page's language, one mechanism for the whole app: a sentence is raised as a `Sentence`,
a gr.Error that remembers its catalogue key and values (demos.texts_dir(catalogue)/strings.<lang>.json); it is
raised in English, so the public API answers exactly as before. A UI event function takes
`request: gr.Request = None` (on a plain function: Gradio does not read the hint through a functools.partial) and
is wrapped in `friendly_errors`, which re-says every `Sentence`, and its own "something went wrong", in the
language of the page that sent the request. Values are formatted by the code that raises (numbers with Latin
digits, identical in every language); the catalogue only places them.
"""

import functools
import inspect
import logging
import math
from numbers import Real

import gradio as gr

from demos import bidi

# Inputs that reach their endpoint's validator unprocessed: subclasses of Gradio's components, so they are defined in
# the seam (demos/gradio_seam.py) and re-exported here, where the endpoints take their validation from.
from demos.gradio_seam import ImageOrCanvas as ImageOrCanvas
from demos.gradio_seam import ValidatedNumber as ValidatedNumber
from demos.language import DEFAULT_LANGUAGE, request_language, t

log = logging.getLogger("gml")
CATALOGUE = "validation"  # demos/texts/validation/strings.<lang>.json: this module's sentences


class Sentence(gr.Error):
    """A gr.Error whose sentence comes from a catalogue: English as raised, any language through `said_in`."""

    def __init__(self, catalogue: str, key: str, **values: str):
        self.catalogue, self.key, self.values = catalogue, key, values
        super().__init__(t(f"{catalogue}.{key}", DEFAULT_LANGUAGE, **values))

    def said_in(self, lang: str) -> gr.Error:
        """The same error in `lang`. Gradio's toast has no direction of its own: a Persian sentence is isolated
        right to left, and each value in it (a name, a number, an interval) left to right."""
        if lang == DEFAULT_LANGUAGE:
            return self
        return gr.Error(bidi.line(t(f"{self.catalogue}.{self.key}", lang, **self.values), lang))


def said_in(error: gr.Error, lang: str) -> gr.Error:
    """An error in `lang` where its sentence is catalogued; other gr.Errors as they are."""
    return error.said_in(lang) if isinstance(error, Sentence) else error


def number(value, name: str, low: float, high: float, *, low_open: bool = False) -> float:
    """A finite real number in [low, high] (or (low, high] with low_open)."""
    if isinstance(value, bool) or value is None:
        raise Sentence(CATALOGUE, "not_a_number", name=name, got=repr(value))
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise Sentence(CATALOGUE, "not_a_number", name=name, got=_short(value)) from None
    if not isinstance(value, Real):
        raise Sentence(CATALOGUE, "wrong_type", name=name, type=type(value).__name__)
    value = float(value)
    if not math.isfinite(value):
        raise Sentence(CATALOGUE, "not_finite", name=name, got=f"{value}")
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        bracket = "(" if low_open else "["
        raise Sentence(CATALOGUE, "out_of_range", name=name, range=f"{bracket}{low:g}, {high:g}]", got=f"{value:g}")
    return value


def integer(value, name: str, low: int, high: int) -> int:
    """A whole number in [low, high]; 3.0 is accepted as 3, 3.5 is not."""
    as_float = number(value, name, low, high)
    if not as_float.is_integer():
        raise Sentence(CATALOGUE, "not_whole", name=name, got=f"{as_float:g}")
    return int(as_float)


def choice(value, name: str, options) -> str:
    """One of a fixed set of strings."""
    options = list(options)
    if not isinstance(value, str) or value not in options:
        raise Sentence(CATALOGUE, "not_a_choice", name=name, options=", ".join(map(repr, options)), got=_short(value))
    return value


def flag(value, name: str) -> bool:
    """A boolean (true/false, 1/0 also accepted from API callers)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise Sentence(CATALOGUE, "not_a_flag", name=name, got=_short(value))


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


UNEXPECTED_ERROR = t(f"{CATALOGUE}.unexpected")  # the API's sentence for anything unexpected


def _request_parameter(fn) -> str | None:
    """The name of fn's `gr.Request` parameter (a UI event's), None for a function without one (the API's)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    return next((p.name for p in parameters if p.annotation in (gr.Request, gr.Request | None)), None)


def friendly_errors(fn):
    """Let gr.Error through; log anything else and answer with a sentence, never a traceback.

    A function with a `request: gr.Request` parameter (a UI event) answers in the language of the page that sent
    it (every `Sentence` re-said, and the "something went wrong"); one without (a public endpoint), in English.
    Works for streaming endpoints too: an error raised mid-stream by a generator becomes the same sentence."""
    request_name = _request_parameter(fn)
    signature = inspect.signature(fn) if request_name else None

    def language(args, kwargs) -> str:
        if request_name is None:
            return DEFAULT_LANGUAGE
        try:
            request = signature.bind_partial(*args, **kwargs).arguments.get(request_name)
        except TypeError:
            return DEFAULT_LANGUAGE
        return request_language(request)

    def answer(error: Exception, args, kwargs) -> gr.Error:
        if isinstance(error, gr.Error):
            return said_in(error, language(args, kwargs))
        log.error("Unexpected error in %s", fn.__name__, exc_info=error)
        return Sentence(CATALOGUE, "unexpected").said_in(language(args, kwargs))

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as error:
                said = answer(error, args, kwargs)
                if said is error:
                    raise
                raise said from None

        return stream

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            said = answer(error, args, kwargs)
            if said is error:
                raise
            raise said from None

    return wrapper
