"""Collect every component string of the app into the English catalogue, demos/texts/ui.en.json.

    python -m scripts.extract_ui_strings     # then translate the new keys in demos/texts/ui.fa.json

Labels, info texts, placeholders, button texts and short Markdown blocks are keyed by a hash of their English
text (demos.language.ui_key); hand-written keys (app.*, tabs.*, classroom.*) are kept. A test fails when the app
shows a string that is not in the catalogue, or when the Persian catalogue lacks a key.
"""

import json

from gradio.i18n import I18nData

import app
from demos import gradio_seam
from demos.language import CATALOGUES, TEXTS_DIR, component_strings, ui_key

I18N_PREFIX = "__i18n__"  # how gr.I18n keys read as strings


def keys_in_use(demo) -> set[str]:
    """Catalogue keys the built app already points at (build_app localizes every catalogued string)."""
    keys = set()
    for block in gradio_seam.blocks(demo):
        labels = [choice[0] for choice in getattr(block, "choices", None) or [] if isinstance(choice, (tuple, list))]
        for text in [getattr(block, prop, None) for prop in ("label", "info", "placeholder", "value")] + labels:
            if isinstance(text, I18nData):
                keys.add(text.key)
            elif isinstance(text, str) and text.startswith(I18N_PREFIX):  # a Markdown value holds the string form
                keys.add(json.loads(text[len(I18N_PREFIX) :])["key"])
    return keys


def main() -> None:
    demo = app.build_app()
    in_use = keys_in_use(demo)
    english = {key: text for key, text in CATALOGUES["en"].items() if not key.startswith("ui.") or key in in_use}
    for _, _, text in component_strings(demo):
        english.setdefault(ui_key(text), text)
    path = TEXTS_DIR / "ui.en.json"
    path.write_text(json.dumps(english, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    missing = sorted(set(english) - set(CATALOGUES["fa"]))
    print(f"{len(english)} strings in {path.name}; {len(missing)} not yet in ui.fa.json")


if __name__ == "__main__":
    main()
