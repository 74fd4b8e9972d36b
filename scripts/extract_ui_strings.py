"""Collect every component string of the app into the English catalogue, demos/texts/ui.en.json.

    python -m scripts.extract_ui_strings     # then translate the new keys in demos/texts/ui.fa.json

Labels, info texts, placeholders, button texts and short Markdown blocks are keyed by a hash of their English
text (demos.language.ui_key); hand-written keys (app.*, tabs.*, classroom.*) are kept. A test fails when the app
shows a string that is not in the catalogue, or when the Persian catalogue lacks a key.
"""

import json

import app
from demos.language import CATALOGUES, TEXTS_DIR, component_strings, ui_key


def main() -> None:
    demo = app.build_app()
    english = {key: text for key, text in CATALOGUES["en"].items() if not key.startswith("ui.")}
    for _, _, text in component_strings(demo):
        english.setdefault(ui_key(text), text)
    path = TEXTS_DIR / "ui.en.json"
    path.write_text(json.dumps(english, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    missing = sorted(set(english) - set(CATALOGUES["fa"]))
    print(f"{len(english)} strings in {path.name}; {len(missing)} not yet in ui.fa.json")


if __name__ == "__main__":
    main()
