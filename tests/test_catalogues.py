"""The text catalogues, checked in the fast tier (no app build, no browser): the same ids and placeholders in every
language, every id the code reads exists, readable ids only, no retired phrase, and `t` puts values in direction.

A catalogue is demos/texts/ui.<lang>.json (the app's strings) or <folder>/strings.<lang>.json (a tab's, in its package's
texts/ folder, demos/<tab>/texts/<catalogue>/, or one the tabs share, demos/texts/<catalogue>/: its component strings
under ui.* and preset.*, its server-made text), with its Markdown parts beside it.
"""

import json
import re
import string
from pathlib import Path

import pytest

import app
from demos import SECTION_MARKER, TEXTS_DIR, bidi, catalogue_folders, text_in, texts_dir
from demos.language import CATALOGUES, LANGUAGES, catalogue_names, key_of, t
from tests.example_tab import TAB as EXAMPLE_TAB
from tests.retired_phrases import RETIRED

ROOT = Path(__file__).resolve().parent.parent
TABS = [*app.TABS, EXAMPLE_TAB]  # imported: each tab package has registered its texts/ folder
FOLDERS = sorted(folder / "strings.en.json" for folder in catalogue_folders().values())
CODE = sorted((ROOT / "demos").glob("**/*.py")) + [ROOT / "app.py", ROOT / "tests" / "example_tab" / "__init__.py"]
HASH_LIKE = re.compile(r"(^|\.)[0-9a-f]{8,}$")
DOUBLE = re.compile(r"\{\{([a-z_0-9]+)\}\}")


def read(path: Path) -> dict[str, str]:
    return json.loads(path.read_text(encoding="utf-8"))


def folder_name(path: Path) -> str:
    """A catalogue's name: its folder's."""
    return path.parent.name


def module_catalogue(path: Path) -> str:
    """The catalogue of a module's preset names: its tab's (a tab's module is its package's __init__.py)."""
    return path.parent.name if path.name == "__init__.py" else path.stem


def test_every_catalogue_folder_is_registered_once_by_its_package():
    on_disk = sorted(
        [*(ROOT / "demos").glob("texts/*/strings.en.json"), *(ROOT / "demos").glob("*/texts/*/strings.en.json")]
        + [*(ROOT / "tests" / "example_tab").glob("texts/*/strings.en.json")]
    )
    assert len(on_disk) == len({path.parent.name for path in on_disk}), "two catalogues of one name"
    assert on_disk == FOLDERS
    assert all(tab.name in catalogue_folders() for tab in TABS)


def catalogue_pairs() -> list[tuple[str, dict, dict]]:
    """(name, English, Persian) of every catalogue."""
    pairs = [("app", read(TEXTS_DIR / "ui.en.json"), read(TEXTS_DIR / "ui.fa.json"))]
    pairs += [(folder_name(path), read(path), read(path.with_name("strings.fa.json"))) for path in FOLDERS]
    return pairs


def fields(text: str) -> list[str]:
    """The format fields of a catalogue string ({name}, {name:.2f}), and its {{name}} placeholders."""
    if DOUBLE.search(text):
        return sorted(DOUBLE.findall(text))
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def test_every_catalogue_has_the_same_ids_in_english_and_persian():
    for name, english, persian in catalogue_pairs():
        assert set(english) == set(persian), f"{name}: ids differ: {sorted(set(english) ^ set(persian))}"
        assert all(text.strip() for text in persian.values()), f"{name}: an empty Persian string"


def test_every_catalogue_string_has_the_same_placeholders_in_both_languages_and_formats():
    for name, english, persian in catalogue_pairs():
        for key, text in english.items():
            assert fields(text) == fields(persian[key]), f"{name}.{key}: {fields(text)} ≠ {fields(persian[key])}"
            values = dict.fromkeys(fields(text), 1.0)
            for lang in LANGUAGES:
                t(key if name == "app" else f"{name}.{key}", lang, **values)  # a valid template in every language


def test_every_markdown_part_has_the_same_sections_and_placeholders_in_both_languages():
    for english in sorted(path for folder in catalogue_folders().values() for path in folder.glob("*.en.md")):
        persian = english.with_name(english.name[:-6] + ".fa.md")
        texts = [path.read_text(encoding="utf-8") for path in (english, persian)]
        assert SECTION_MARKER.findall(texts[0]) == SECTION_MARKER.findall(texts[1]), english
        for en_part, fa_part in zip(SECTION_MARKER.split(texts[0]), SECTION_MARKER.split(texts[1]), strict=True):
            persian_names = [name.removesuffix("_fa") for name in DOUBLE.findall(fa_part)]  # a sentence's Persian
            assert sorted(DOUBLE.findall(en_part)) == sorted(persian_names), (english, en_part[:80])


def test_ids_are_readable_not_hashes():
    for name, english, _ in catalogue_pairs():
        hashed = [key for key in english if HASH_LIKE.search(key)]
        assert not hashed, f"{name}: hash-like ids {hashed}: give each a readable id (scripts/extract_ui_strings.py)"
    assert not [key for key in CATALOGUES["en"] if HASH_LIKE.search(key)]


# Ids in code: t("tab.key", ...), UI("app.key"), plot_text/cell("tab.key"), t(f"tab.{...}") (at least one id matches).
ID_CALL = re.compile(r"""(?<![\w.])(?:t|UI|plot_text|cell|filled_label)\(\s*(f?)"([^"]+)\"""")
PRESET_CALL = re.compile(r"""(?<![\w.])preset_name\("([^"]+)"\)""")  # a case id of the module's own tab


def ids_in_code() -> list[tuple[str, str, bool]]:
    found = []
    for path in CODE:
        for formatted, key in ID_CALL.findall(path.read_text(encoding="utf-8")):
            found.append((str(path.relative_to(ROOT)), key, bool(formatted)))
        found += [
            (str(path.relative_to(ROOT)), f"{module_catalogue(path)}.preset.{case}", False)
            for case in PRESET_CALL.findall(path.read_text())
        ]
    return found


def known_ids() -> set[str]:
    ids = set(read(TEXTS_DIR / "ui.en.json")) | {f"tabs.{name}" for name in catalogue_names()}
    ids |= {f"{folder_name(path)}.{key}" for path in FOLDERS for key in read(path)}
    return ids


def test_every_id_the_code_reads_exists():
    ids, missing = known_ids(), []
    found = ids_in_code()
    assert len(found) > 100, "the scan finds the code's t(...) calls"
    for where, key, formatted in found:
        if formatted:
            pattern = re.compile("^" + re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(key)) + "$")
            if not any(pattern.match(known) for known in ids):
                missing.append((where, key))
        elif key not in ids:
            missing.append((where, key))
    assert not missing, f"ids the code reads that no catalogue has: {missing}"


def test_no_retired_phrase_comes_back_in_any_language():
    for catalogue, by_language in RETIRED.items():
        for lang, phrases in by_language.items():
            files = sorted(texts_dir(catalogue).glob(f"*.{lang}.md")) + [texts_dir(catalogue) / f"strings.{lang}.json"]
            for path in files:
                text = path.read_text(encoding="utf-8")
                text = " ".join((" ".join(read(path).values()) if path.suffix == ".json" else text).split())
                for phrase in phrases:
                    assert phrase.lower() not in text.lower(), (str(path.relative_to(ROOT)), phrase)


# ---------------------------------------------------------------------------------------------------------------
# t: one function, direction handled in it


def test_t_isolates_left_to_right_values_and_places_persian_ones_as_they_are():
    LRI, PDI = bidi.LRI, bidi.PDI
    english = t("estimators.title_by_mu", "en", n="N = 10")
    assert english == "variance vs μ at N = 10" or LRI not in english  # English unchanged, no marks
    persian = t("estimators.title_by_mu", "fa", n="N = 10")
    assert f"{LRI}N\u00a0=\u00a010{PDI}" in persian  # a formula value: isolated, held on one line
    verdict = t("divergences.verdict_holds", "fa")
    mixture = t("divergences.ratio_mixture", "fa", numbers="<!--numbers-->", verdict=verdict)
    assert verdict in mixture and "<!--numbers-->" in mixture  # Persian values and part slots: as they are
    assert f"{LRI}<!--numbers-->" not in mixture
    kernel = t("vae.overlap_caption", "fa", kernel=3, stride=2)  # values inside the template's own run: one isolate
    assert f"{LRI}k = 3, s = 2{PDI}" in bidi.plain(kernel).replace(" ", "") or "k = 3, s = 2" in bidi.plain(kernel)
    assert kernel.count(LRI) == 2  # "k = 3, s = 2" and "(kernel taps)": no isolate of its own around 3 or 2


def test_component_ids_are_found_through_the_english_catalogue_of_their_tab():
    assert key_of("narrow p far from a wider q: D_CS / min KL near 1", "divergences") == "divergences.preset.narrow_far"
    assert key_of("Show answer", "vae") == "vae.ui.show_answer"
    assert key_of("# Generative Models Lab") == "app.title"
    assert CATALOGUES["fa"]["divergences.preset.narrow_far"] == t("divergences.preset.narrow_far", "fa")
    assert key_of("a label nobody catalogued", "vae") is None


def test_the_narrow_far_numbers_come_from_the_preset_and_the_computation():
    from demos import divergences as tab
    from models import divergences as dv

    case = tab.CASES["narrow_far"]
    kl = min(dv.kl_gaussians(-5.0, 0.1, 5.0, 0.8), dv.kl_gaussians(5.0, 0.8, -5.0, 0.1))
    for lang in LANGUAGES:
        answer = text_in(("divergences", "homework", "unequal_answer", tab.answer_numbers("unequal")), lang)
        mu1, sigma1, mu2, sigma2 = (f"{case[key]:g}" for key in ("mu1", "sigma1", "mu2", "sigma2"))
        assert rf"p=\mathcal N({mu1}, {sigma1}^2)" in answer and rf"q=\mathcal N({mu2}, {sigma2}^2)" in answer
        assert f"${dv.cs_gaussians(-5.0, 0.1, 5.0, 0.8) / kl:.2f}$" in answer and "{{" not in answer
        raw = (texts_dir("divergences") / f"homework.{lang}.md").read_text(encoding="utf-8")
        typed = re.findall(r"0\.97|0\.[18]\^2|log 0\.7", raw)
        assert not typed, f"homework.{lang}.md types {typed}: use the case's {{{{placeholders}}}}"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_frontend_catalogue_entry_is_a_component_or_app_id(lang):
    assert all(key.split(".")[0] in {"app", "classroom", "tabs", *catalogue_names()} for key in CATALOGUES[lang])
