"""Check that every component string of the app has a readable id, and give new ones an English entry.

    python -m scripts.extract_ui_strings           # report, and write new English entries with a slug id
    python -m scripts.extract_ui_strings --check   # report only; exit status 1 when a string has no id

A component string (a label, info text, placeholder, button text, labelled choice or short Markdown block:
demos.language.component_strings) is found by its English text in the catalogue of the tab it sits in,
demos/<tab>/texts/<tab>/strings.en.json, under a readable id (`ui.mu1`, `preset.narrow_far`); the app's own strings are in
demos/texts/ui.en.json (`app.subtitle`). A string with no id stays English on the Persian page: this script writes it
to its tab's English catalogue under a slug of its text (rename it if you like), and lists the ids that the Persian
catalogue still lacks, for a human to translate. tests/test_catalogues.py checks both catalogues in the fast tier.
"""

import json
import re
import sys
import unicodedata

from gradio.i18n import I18nData

import app
from demos import gradio_seam, texts_dir
from demos.language import COMPONENT_PREFIXES, TEXTS_DIR, catalogue_names, component_strings, key_of, tab_of

I18N_PREFIX = "__i18n__"  # how gr.I18n keys read as strings
GREEK = {"μ": "mu", "σ": "sigma", "λ": "lambda", "η": "eta", "ε": "eps", "π": "pi"}


def slug(text: str, words: int = 4) -> str:
    """A readable id for an English text: its first words, lower case ("log₁₀ N (drag)" → "log10_n_drag")."""
    text = "".join(GREEK.get(char, char) for char in text)
    text = re.sub("[₀-₉]", lambda digit: str(ord(digit.group()) - 0x2080), unicodedata.normalize("NFKD", text))
    return "_".join(re.findall("[a-z0-9]+", text.lower())[:words]) or "text"


def keys_in_use(demo) -> set[str]:
    """Catalogue ids the built app points at (build_app localizes every string that has one)."""
    keys = set()
    for block in gradio_seam.blocks(demo):
        labels = [choice[0] for choice in getattr(block, "choices", None) or [] if isinstance(choice, (tuple, list))]
        for text in [getattr(block, prop, None) for prop in ("label", "info", "placeholder", "value")] + labels:
            if isinstance(text, I18nData):
                keys.add(text.key)
            elif isinstance(text, str) and text.startswith(I18N_PREFIX):  # a Markdown value holds the string form
                keys.add(json.loads(text[len(I18N_PREFIX) :])["key"])
    for block in gradio_seam.tagged(gradio_seam.blocks(demo), "catalogued"):  # short Markdown, swapped on load
        keys.add(key_of(block.value, tab_of(block)))
    return keys


def catalogue_path(tab: str | None, lang: str):
    return TEXTS_DIR / f"ui.{lang}.json" if tab is None else texts_dir(tab) / f"strings.{lang}.json"


def read(path) -> dict[str, str]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def main(check: bool = False) -> int:
    demo = app.build_app()  # localizes every string that has an id
    new: dict[str | None, dict[str, str]] = {}
    for block, _, text in component_strings(demo):
        tab = tab_of(block)
        if key_of(text, tab) is not None:  # a short Markdown block: the server swaps it on load, by its id
            continue
        entries = new.setdefault(tab, {})
        if text in entries.values():
            continue
        english = read(catalogue_path(tab, "en"))
        base = f"app.{slug(text)}" if tab is None else f"ui.{slug(text)}"
        key, n = base, 2
        while key in english or key in entries:
            key, n = f"{base}_{n}", n + 1
        entries[key] = text
        print(f"no id: {text!r} ({tab or 'app'}) -> {key}")
    if not check:
        for tab, entries in new.items():
            if entries:
                path = catalogue_path(tab, "en")
                indent = 1 if tab is None or path.read_text(encoding="utf-8").startswith('{\n "') else 2
                path.write_text(json.dumps(read(path) | entries, ensure_ascii=False, indent=indent) + "\n", "utf-8")
    in_use = keys_in_use(demo)
    for tab in catalogue_names():
        unused = [key for key in read(catalogue_path(tab, "en")) if key.startswith(COMPONENT_PREFIXES)]
        unused = [key for key in unused if f"{tab}.{key}" not in in_use]
        if unused:
            print(f"{tab}: ids the app does not show (kept; delete them if they are retired): {unused}")
    for tab in [None, *catalogue_names()]:
        missing = sorted(set(read(catalogue_path(tab, "en"))) - set(read(catalogue_path(tab, "fa"))))
        if missing:
            print(f"{catalogue_path(tab, 'fa')}: translate {missing}")
    count = sum(map(len, new.values()))
    print(f"{count} component strings without an id" + ("" if check or not count else " (English entries written)"))
    return 1 if check and count else 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))
