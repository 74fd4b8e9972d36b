"""The page's language: English or Persian (right to left), chosen by `?lang=` or the switch in the page header.

- Every short text has one readable id in one catalogue: a tab's in demos/<tab>/texts/<tab>/strings.<lang>.json (its
  component strings under `ui.*` and `preset.*`, its server-made text under the rest), the app's in
  demos/texts/ui.<lang>.json (`app.*`). `t(id, lang, **values)` reads any of them, namespaced by catalogue
  (`t("divergences.ratio_numbers", lang, ratio=...)`), and handles Persian direction itself.
- Component strings (labels, info texts, buttons, choices, short Markdown) reach the frontend through one `gr.I18n`
  catalogue, `UI`, keyed by those ids: `localize` finds each component's id through the English catalogue of the
  tab it sits in (a reverse index). Gradio's frontend picks the catalogue from the browser's language; the script
  in `HEAD` makes `?lang=` win over it, and the switch reloads the page with the new `?lang=`.
  scripts/extract_ui_strings.py reports a component string with no id and writes it an English entry.
- Long texts (explanations, homework) are Markdown files per language (demos/<tab>/texts/<tab>/<part>.<lang>.md); every
  `demos.markdown(...)` block is swapped for its Persian file on page load; numbers they quote are {{placeholders}}.
- Server-made text (plot titles, axis labels, table headers and notes, error sentences) is made in the language of
  `request_language(request)`: the page's `?lang=`, read from the request's Referer, so the UI speaks Persian while
  the public API (no Referer) keeps English.
- Persian runs right to left; formulas, numbers, code and plots stay left to right inside it. Digits stay Latin
  everywhere, so a number reads the same in both languages and in the API's answers.
"""

import functools
import json
import re
import string
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import gradio as gr

from demos import bidi, catalogue_folders, filled, gradio_seam, static_text, texts_dir

LANGUAGES = {"en": "English", "fa": "فارسی"}
DEFAULT_LANGUAGE = "en"
TEXTS_DIR = Path(__file__).resolve().parent / "texts"
FONT_PATH = Path(__file__).resolve().parent / "static" / "fonts" / "Vazirmatn-NL-wght.woff2"


COMPONENT_PREFIXES = ("ui.", "preset.")  # a tab catalogue's component strings: labels, buttons, choices, presets
TRANSLATED_PROPS = ("label", "info", "placeholder")
_REGISTERED: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}  # tabs.<name>: titles (demos.tab_spec)
_ARABIC = re.compile(f"[{bidi.ARABIC_SCRIPT}]")
_PART = re.compile(r"^<!--\w+-->$")  # a slot for a whole part of a sentence (demos.bidi.fill): placed as it is
_LTR_NEIGHBOUR = re.compile(r"[A-Za-z0-9\u0370-\u03ff=+\u2212×/^_·]")  # a value here is part of a longer run


@functools.cache
def _app_strings(lang: str) -> dict[str, str]:
    return json.loads((TEXTS_DIR / f"ui.{lang}.json").read_text(encoding="utf-8"))


@functools.cache
def _tab_strings(tab: str, lang: str) -> dict[str, str]:
    path = texts_dir(tab) / f"strings.{lang}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def catalogue_names() -> list[str]:
    """Every catalogue with strings: the shared ones of demos/texts and those of the tabs' texts/ folders."""
    return sorted(name for name, folder in catalogue_folders().items() if (folder / "strings.en.json").is_file())


def _raw(key: str, lang: str) -> str:
    """The catalogue text of `key` in `lang` (English where the language lacks it), unformatted."""
    tab, _, name = key.partition(".")
    english = _tab_strings(tab, DEFAULT_LANGUAGE)
    if name in english:
        return _tab_strings(tab, lang).get(name) or english[name]
    for table in (_REGISTERED.get(lang, {}), _app_strings(lang), _REGISTERED[DEFAULT_LANGUAGE]):
        if key in table:
            return table[key]
    return _app_strings(DEFAULT_LANGUAGE)[key]


def _neighbours_ltr(before: str, after: str) -> bool:
    before, after = before.rstrip(" \u00a0"), after.lstrip(" \u00a0")
    inside = before.count(bidi.LRI) > before.count(bidi.PDI)  # the template isolates this run itself
    return inside or bool(before and _LTR_NEIGHBOUR.match(before[-1])) or bool(after and _LTR_NEIGHBOUR.match(after[0]))


def _formatted(template: str, lang: str, values: dict) -> str:
    """`template` formatted; in a right-to-left language each value that is a left-to-right run on its own (a
    number, a formula, code: no Arabic-script letters) isolated with bidi.ltr. Persian values, part slots and
    values that continue a left-to-right run of the template ("k = {kernel}") go in as they are: the template's
    run, value included, is isolated once by bidi.in_direction."""
    if not bidi.is_rtl(lang):
        return template.format(**values)
    formatter = string.Formatter()
    pieces = list(formatter.parse(template))
    out = []
    for index, (literal, field, spec, conversion) in enumerate(pieces):
        out.append(literal)
        if field is None:
            continue
        value = formatter.convert_field(formatter.get_field(field, (), values)[0], conversion)
        shown = format(value, formatter.vformat(spec or "", (), values))
        after = pieces[index + 1][0] if index + 1 < len(pieces) else ""
        plain_value = not _ARABIC.search(shown) and not _PART.match(shown) and shown.strip()
        isolate = plain_value and not _neighbours_ltr("".join(out), after)
        out.append(bidi.ltr(shown, lang) if isolate else shown)
    return "".join(out)


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values) -> str:
    """A catalogue string by its id, in `lang`, formatted with `values`: the one way text is read.

    Ids are namespaced by catalogue: `divergences.ratio_numbers`, `vae.ui.model`, `divergences.preset.narrow_far`
    (demos/<tab>/texts/<tab>/strings.<lang>.json), `app.subtitle` and `tabs.<name>` (the app's). In Persian each value
    that is a left-to-right run stays left to right and the whole text is put in its direction once
    (bidi.in_direction): no caller thinks about direction."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return bidi.in_direction(_formatted(_raw(key, lang), lang, values), lang)


def _component_ids(tab: str) -> list[str]:
    return [f"{tab}.{key}" for key in _tab_strings(tab, DEFAULT_LANGUAGE) if key.startswith(COMPONENT_PREFIXES)]


_FILLED: dict[str, dict] = {}  # component ids with placeholders → their values (a preset name quoting its numbers)


def _shown(key: str, lang: str) -> str:
    """A component string as the page shows it: filled where it has placeholders (filled_label)."""
    try:
        return t(key, lang, **_FILLED.get(key, {}))
    except (KeyError, IndexError):  # placeholders not filled yet: its tab fills them as it is imported
        return bidi.in_direction(_raw(key, lang), lang)


def _read_catalogue(lang: str) -> dict[str, str]:
    """The frontend's catalogue: the app's strings and every tab's component strings, by id, in direction."""
    ids = list(_app_strings(DEFAULT_LANGUAGE)) + [key for tab in catalogue_names() for key in _component_ids(tab)]
    return {key: _shown(key, lang) for key in ids}


CATALOGUES = {lang: _read_catalogue(lang) for lang in LANGUAGES}
UI = gr.I18n(**CATALOGUES)


def filled_label(key: str, /, **values) -> str:
    """A component string with placeholders filled, in English (a preset's name that quotes the preset's numbers:
    `estimators.preset.square_pathwise_lowest` with mu=3): the page's catalogue and the reverse index hold it
    filled in every language from now on."""
    _FILLED[key] = values
    reverse_index.cache_clear()
    for lang in LANGUAGES:
        CATALOGUES[lang][key] = t(key, lang, **values)
    return t(key, DEFAULT_LANGUAGE, **values)


def register_ui_strings(strings: dict[str, dict[str, str]]) -> None:
    """Add {lang: {key: text}} to the component catalogue (a tab's title, declared by the tab: demos.tab_spec)."""
    for lang, entries in strings.items():
        _REGISTERED[lang].update(entries)
        CATALOGUES[lang].update({key: bidi.in_direction(text, lang) for key, text in entries.items()})


def register_tab_catalogue(tab: str) -> None:
    """A catalogue registered after this module was imported (demos.register_texts): its component strings join the
    frontend's catalogue."""
    for lang in LANGUAGES:
        CATALOGUES[lang].update({key: _shown(key, lang) for key in _component_ids(tab)})
    reverse_index.cache_clear()


@functools.cache
def reverse_index(tab: str | None) -> dict[str, str]:
    """English text → id of the component strings of a tab's catalogue (None: the app's); made once (filled_label
    and register_tab_catalogue start it afresh)."""
    if tab is None:
        return {text: key for key, text in _app_strings(DEFAULT_LANGUAGE).items()}
    return {_shown(key, DEFAULT_LANGUAGE): key for key in _component_ids(tab)}


def key_of(text: str, tab: str | None = None) -> str | None:
    """The id of a component's English text: in its tab's catalogue, else the app's, else any tab's."""
    for where in ([tab] if tab else []) + [None] + catalogue_names():
        key = reverse_index(where).get(text)
        if key:
            return key
    return None


def tab_of(block) -> str | None:
    """The name of the tab a block sits in (None outside every tab)."""
    return next((parent.id for parent in gradio_seam.parents(block) if isinstance(parent, gr.Tab)), None)


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
        key = key_of(text, tab_of(block))  # its id, through the English catalogue of the tab it sits in
        if key is None:
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
    """A catalogued component's English text in `lang` (unchanged where no catalogue has it)."""
    key = key_of(text)
    return text if key is None else CATALOGUES.get(lang, {}).get(key) or _shown(key, lang)


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
