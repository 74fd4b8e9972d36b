"""Server-side validation for every public endpoint.

API callers skip the sliders, so each endpoint re-checks its inputs here and answers bad ones with
one human sentence (gr.Error). `friendly_errors` turns anything unexpected into such a sentence
too, logging the traceback on the server instead of showing it to a student.
"""

import functools
import inspect
import logging
import math
from numbers import Real

import gradio as gr

log = logging.getLogger("gml")


def number(value, name: str, low: float, high: float, *, low_open: bool = False) -> float:
    """A finite real number in [low, high] (or (low, high] with low_open)."""
    if isinstance(value, bool) or value is None:
        raise gr.Error(f"{name} must be a number, got {value!r}.")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise gr.Error(f"{name} must be a number, got {_short(value)}.") from None
    if not isinstance(value, Real):
        raise gr.Error(f"{name} must be a number, got a {type(value).__name__}.")
    value = float(value)
    if not math.isfinite(value):
        raise gr.Error(f"{name} must be a finite number, got {value}.")
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        bracket = "(" if low_open else "["
        raise gr.Error(f"{name} must be in {bracket}{low:g}, {high:g}], got {value:g}.")
    return value


def integer(value, name: str, low: int, high: int) -> int:
    """A whole number in [low, high]; 3.0 is accepted as 3, 3.5 is not."""
    as_float = number(value, name, low, high)
    if not as_float.is_integer():
        raise gr.Error(f"{name} must be a whole number, got {as_float:g}.")
    return int(as_float)


def choice(value, name: str, options) -> str:
    """One of a fixed set of strings."""
    options = list(options)
    if not isinstance(value, str) or value not in options:
        raise gr.Error(f"{name} must be one of {', '.join(map(repr, options))}; got {_short(value)}.")
    return value


def flag(value, name: str) -> bool:
    """A boolean (true/false, 1/0 also accepted from API callers)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise gr.Error(f"{name} must be true or false, got {_short(value)}.")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


UNEXPECTED_ERROR = (
    "Something went wrong while computing this result; the error has been logged. Please try other values."
)


def friendly_errors(fn):
    """Let gr.Error through; log anything else and answer with a sentence, never a traceback.

    Works for streaming endpoints too: an error raised mid-stream by a generator becomes the same sentence."""

    def answer(error: Exception) -> gr.Error:
        log.error("Unexpected error in %s", fn.__name__, exc_info=error)
        return gr.Error(UNEXPECTED_ERROR)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as error:
                raise answer(error) from None

        return stream

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as error:
            raise answer(error) from None

    return wrapper


class ValidatedNumber(gr.Number):
    """A gr.Number whose value reaches the endpoint exactly as sent.

    gr.Number's own preprocessing fails on a list or a string without a message; with this component the
    endpoint's validator (above) answers every bad value with its sentence. Use it where an event cannot take
    `preprocess=False` because another of its inputs (an image) needs preprocessing.
    """

    is_template = True  # drawn by gr.Number's front end

    def preprocess(self, payload):
        return payload
