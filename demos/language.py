"""The page's language: English or Persian (right to left), chosen by `?lang=` or the switch in the page header.

- Component strings (labels, info texts, buttons) go through one `gr.I18n` catalogue, `UI`, read from
  demos/texts/ui.<lang>.json. Gradio's frontend picks the catalogue from the browser's language; the script in
  `HEAD` makes `?lang=` win over it, and the switch reloads the page with the new `?lang=`.
- Long texts (explanations, homework) are Markdown files per language (demos/texts/<tab>/<part>.<lang>.md); every
  `demos.markdown(...)` block is swapped for its Persian file on page load.
- Server-made text (plot titles, axis labels, table headers and notes, error sentences) comes from each tab's
  demos/texts/<tab>/strings.<lang>.json through `tab_string`, in the language of `request_language(request)`: the
  page's `?lang=`, read from the request's Referer, so the UI speaks Persian while the public API (no Referer)
  keeps English.
- Persian runs right to left; formulas, numbers, code and plots stay left to right inside it. Digits stay Latin
  everywhere, so a number reads the same in both languages and in the API's answers.
"""

import functools
import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import gradio as gr

from demos import bidi, filled, gradio_seam, static_text, texts_dir

LANGUAGES = {"en": "English", "fa": "فارسی"}
DEFAULT_LANGUAGE = "en"
TEXTS_DIR = Path(__file__).resolve().parent / "texts"
FONT_PATH = Path(__file__).resolve().parent / "static" / "fonts" / "Vazirmatn-NL-wght.woff2"


def _read_catalogue(lang: str) -> dict[str, str]:
    catalogue = json.loads((TEXTS_DIR / f"ui.{lang}.json").read_text(encoding="utf-8"))
    return {key: bidi.in_direction(text, lang) for key, text in catalogue.items()}


CATALOGUES = {lang: _read_catalogue(lang) for lang in LANGUAGES}
UI = gr.I18n(**CATALOGUES)


def register_ui_strings(strings: dict[str, dict[str, str]]) -> None:
    """Add {lang: {key: text}} to the component catalogue (a tab's title, declared by the tab: demos.tab_spec)."""
    for lang, entries in strings.items():
        CATALOGUES[lang].update({key: bidi.in_direction(text, lang) for key, text in entries.items()})


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values) -> str:
    """A catalogue string for server-made text (plot titles, notices, errors), formatted with `values`."""
    return CATALOGUES[lang if lang in CATALOGUES else DEFAULT_LANGUAGE][key].format(**values)


@functools.cache
def _tab_strings(tab: str, lang: str) -> dict[str, str]:
    path = texts_dir(tab) / f"strings.{lang}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def tab_string(tab: str, key: str, lang: str = DEFAULT_LANGUAGE, /, **values) -> str:
    """A tab's server-made string (plot title, axis or legend label, table header, note, error sentence) in
    `lang`, formatted with `values`: demos/texts/<tab>/strings.<lang>.json, English where a key is missing."""
    text = _tab_strings(tab, lang).get(key) or _tab_strings(tab, DEFAULT_LANGUAGE)[key]
    return bidi.in_direction(text.format(**values), lang)  # the values' runs isolated too, once


TRANSLATED_PROPS = ("label", "info", "placeholder")


def ui_key(text: str) -> str:
    """The catalogue key of a component string: its English text, hashed (stable, and free of the dots that the
    frontend's catalogue would read as nesting)."""
    return "ui." + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def labelled_choices(block) -> list[tuple[int, str]]:
    """(index, label) of a Radio's or Dropdown's choices shown under a label of their own, (label, value) with
    label ≠ value; a choice shown as its value (an API value, such as `linear`) is not translated."""
    return [
        (index, label)
        for index, (label, value) in enumerate(getattr(block, "choices", None) or [])
        if isinstance(label, str) and label != str(value) and not label.startswith("__i18n__")
    ]


def component_strings(demo: gr.Blocks) -> list[tuple[object, str | int, str]]:
    """(block, attribute, English text) for every plain-string label, info, placeholder, button text, labelled
    choice (attribute: its index) and short Markdown of the app: what the catalogue must translate. (Markdown that
    events rewrite is made in the page's language by its tab instead.)"""
    found = []
    computed = {id(output) for event in gradio_seam.events(demo) for output in event.outputs}
    for block in gradio_seam.blocks(demo):
        props = TRANSLATED_PROPS + (("value",) if isinstance(block, gr.Button) else ())
        for prop in props:
            text = getattr(block, prop, None)
            if isinstance(text, str) and text.strip() and not text.startswith("__i18n__"):  # not catalogued already
                found.append((block, prop, text))
        found += [(block, index, label) for index, label in labelled_choices(block)]
        text = getattr(block, "value", None) if isinstance(block, gr.Markdown) else None
        # (the language switch's own load event rewrites the catalogued ones: they stay catalogue strings)
        computed_here = id(block) in computed and not gradio_seam.tag_of(block, "catalogued", False)
        skip = (
            gradio_seam.tag_of(block, "text") is not None
            or gradio_seam.tag_of(block, "untranslated", False)
            or computed_here
        )
        if isinstance(text, str) and text.strip() and not text.startswith("__i18n__") and not skip:
            found.append((block, "value", text))
    return found


def localize(demo: gr.Blocks) -> list[gr.Markdown]:
    """Point every catalogued component string at the catalogue (the frontend translates labels, info texts,
    placeholders and buttons); return the short Markdown blocks, which the server swaps on load instead."""
    markdowns = []
    for block, prop, text in component_strings(demo):
        key = ui_key(text)
        if key not in CATALOGUES[DEFAULT_LANGUAGE]:
            continue
        if isinstance(block, gr.Markdown):
            markdowns.append(gradio_seam.tag(block, "catalogued"))
        elif isinstance(prop, int):  # a choice's label (Gradio translates I18n labels of choices, not their values)
            choices = list(block.choices)
            choices[prop] = (UI(key), choices[prop][1])
            gradio_seam.set_property(block, "choices", choices)
        else:
            gradio_seam.set_property(block, prop, UI(key))
    return markdowns


def translate(text: str, lang: str) -> str:
    """A catalogued English string in `lang` (unchanged where the catalogue has no entry)."""
    return CATALOGUES.get(lang, {}).get(ui_key(text), text)


def language_of(query: dict) -> str:
    lang = query.get("lang")
    if isinstance(lang, list):
        lang = lang[0] if lang else None
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def request_language(request: gr.Request | None) -> str:
    """The language of the page that sent this request; English for API callers."""
    if request is None:
        return DEFAULT_LANGUAGE
    query = dict(getattr(request, "query_params", {}) or {})
    if "lang" not in query:
        referer = (getattr(request, "headers", {}) or {}).get("referer", "")
        query = parse_qs(urlparse(referer).query)
    return language_of(query)


# Gradio injects this after its frontend chose a catalogue from navigator.language: the script (demos/static/
# language_head.js) marks the page for the right-to-left rules and switches the frontend's locale itself.
HEAD = f"<script>\n({static_text('language_head.js')})({gradio_seam.locale_js()});\n</script>"
SWITCH_JS = static_text("language_switch.js")


def css() -> str:
    """The bundled Persian font (served by the app itself) and the right-to-left rules (demos/static/language.css)."""
    return filled(static_text("language.css"), {"font_url": f"/gradio_api/file={FONT_PATH}"})


def static_paths() -> list[Path]:
    return [FONT_PATH]
