"""One package per tab, demos/<tab>/: its module (`__init__.py`, UI and glue only) and its texts (texts/).

Each tab module exposes `build()`, called once inside its `gr.Tab` by app.py, and `BENCH_CASES`, the
endpoint calls that scripts/bench.py times (compute alone and end to end). A tab's long texts (explanations,
homework questions) live in demos/<tab>/texts/<tab>/<part>.<lang>.md, so that a translator edits text, not code.
"""

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import gradio as gr

from demos import bidi, gradio_seam


class BenchCase(NamedTuple):
    label: str  # row name in the benchmark table, e.g. "/estimators (defaults)"
    api_name: str  # "/estimators"
    fn: Callable  # the endpoint function, called directly to time the compute alone
    kwargs: dict  # keyword arguments for the direct call (and for gradio_client unless client_kwargs is given)
    floor: str  # the no-op floor it is compared with: "number->plot+table", "number->image", "sketch->image"
    client_kwargs: dict | None = None  # what gradio_client sends when it differs (e.g. files via handle_file)


# Endpoints that run a torch model share one worker (a call computes in tens of ms: queueing beats contending for
# the cores; see docs/benchmarks.md); the sample-quality metrics (seconds when not cached) get a worker of their
# own, so that they never hold up the live previews of the other students.
TORCH_QUEUE = {"concurrency_id": "torch", "concurrency_limit": 1}
METRICS_QUEUE = {"concurrency_id": "metrics", "concurrency_limit": 1}


# How every tab's explanation marks its formulas: $$display$$ and $inline$.
LATEX_DELIMITERS = [
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
]


TEXTS_DIR = Path(__file__).resolve().parent / "texts"  # the app's own texts, and the catalogues the tabs share
STATIC_DIR = Path(__file__).resolve().parent / "static"
SECTION_MARKER = re.compile(r"^<!-- section: ([a-z0-9_]+) -->[ \t]*$", re.MULTILINE)


_TEXT_ROOTS: list[Path] = [TEXTS_DIR]  # folders of catalogues: demos/texts and each tab package's texts/


def register_texts(folder: Path) -> None:
    """A tab package's texts/ folder: one folder per catalogue in it, named by the catalogue (strings.<lang>.json
    and its Markdown parts). A tab package calls it at its top, before any of its texts is read; the catalogues'
    component strings join the frontend's catalogue (demos.language)."""
    folder = Path(folder).resolve()
    if folder in _TEXT_ROOTS:
        return
    names = {path.name for path in folder.iterdir() if path.is_dir()}
    clash = names & set(catalogue_folders())
    if clash:
        raise ValueError(f"{folder}: catalogues already registered elsewhere: {sorted(clash)}")
    _TEXT_ROOTS.append(folder)
    from demos import language  # here, not above: demos.language imports this module

    for name in sorted(names):
        language.register_tab_catalogue(name)


def catalogue_folders() -> dict[str, Path]:
    """Every catalogue's folder by its name: those of demos/texts and of every registered texts/ folder."""
    return {path.name: path for root in _TEXT_ROOTS for path in sorted(root.iterdir()) if path.is_dir()}


def texts_dir(tab: str) -> Path:
    """The folder of a catalogue's texts (a tab's, or a shared one): strings.<lang>.json and its Markdown parts."""
    return catalogue_folders().get(tab, TEXTS_DIR / tab)


@functools.cache
def tab_text(tab: str, part: str, lang: str = "en") -> str:
    """The Markdown (with LaTeX) of the tab's <part>.<lang>.md, read once per process (right to left with its
    left-to-right runs isolated: demos.bidi.in_direction)."""
    return bidi.in_direction((texts_dir(tab) / f"{part}.{lang}.md").read_text(encoding="utf-8").strip(), lang)


@functools.cache
def static_text(name: str) -> str:
    """A browser file of demos/static/ (JavaScript or CSS), read once per process: code for the browser lives in
    files of its own language, not in Python strings."""
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def tab_sections(tab: str, part: str, lang: str = "en") -> dict[str, str]:
    """A text file cut at its `<!-- section: key -->` lines: {key: Markdown}, in file order."""
    pieces = SECTION_MARKER.split(tab_text(tab, part, lang))
    return {key: body.strip() for key, body in zip(pieces[1::2], pieces[2::2], strict=True)}


def filled(text: str, values: dict[str, str] | None) -> str:
    """Replace each {{name}} of a text with its value (plain replacement: LaTeX braces stay untouched)."""
    for name, value in (values or {}).items():
        text = text.replace("{{" + name + "}}", value)
    return text


def markdown(tab: str, part: str, section: str | None = None, values: dict | None = None, **kwargs) -> gr.Markdown:
    """A Markdown block showing a tab's text file (or one section of it), with LaTeX and its {{name}} placeholders
    filled from `values`; app.py swaps in the page's language on load, which is why long texts are made here and
    not with a plain gr.Markdown."""
    source = (tab, part, section, values)
    block = gr.Markdown(text_in(source, "en"), latex_delimiters=LATEX_DELIMITERS, **kwargs)
    return gradio_seam.tag(block, "text", source)


def text_in(source: tuple, lang: str) -> str:
    tab, part, section, values = source
    return filled(tab_sections(tab, part, lang)[section] if section else tab_text(tab, part, lang), values)


def translated_text(block: gr.Markdown, lang: str) -> str:
    """The text of a `markdown(...)` block in a language."""
    return text_in(gradio_seam.tag_of(block, "text"), lang)


def html_table(headers: list[str], rows: list[list]) -> str:
    """A compact table for gr.HTML: the first column left, the others right-aligned in tabular digits (cells are
    written as given: format the numbers before). Wider than the screen (a phone), it scrolls: its numbers stay
    whole."""
    cell = "padding:2px 6px;text-align:right"
    head = f'<th style="text-align:left">{headers[0]}</th>' + "".join(
        f'<th style="{cell}">{h}</th>' for h in headers[1:]
    )
    body = "".join(
        f'<tr><td style="padding:2px 6px">{row[0]}</td>'
        + "".join(f'<td style="{cell}">{v}</td>' for v in row[1:])
        + "</tr>"
        for row in rows
    )
    return (
        '<div style="overflow-x:auto">'
        '<table style="width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:0.9em">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def show_unavailable(reason: str) -> None:
    """Stand-in for a tab whose model cannot be loaded: one clear message; the other tabs keep working."""
    gr.Markdown(f"⚠️ **This tab is unavailable.** {reason}", elem_classes="gml-unavailable")
