"""One Persian word per concept (demos/texts/glossary.json): no Persian text (demos/texts/ and each tab package's
texts/) uses a word the glossary avoids or a colloquial phrase it lists; each glossary term's first use in a Persian
Markdown file carries its English in brackets; the glossary is one-to-one; docs/glossary.md shows the same table.
Reads files only (fast)."""

import json
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "demos" / "texts"
GLOSSARY = json.loads((TEXTS / "glossary.json").read_text(encoding="utf-8"))
TERMS = GLOSSARY["terms"]
FOLDERS = sorted(
    path.parent for path in [*TEXTS.glob("*/strings.fa.json"), *ROOT.glob("demos/*/texts/*/strings.fa.json")]
)
MARKDOWN = sorted(path for folder in FOLDERS for path in folder.glob("*.fa.md"))
CATALOGUES = sorted(folder / "strings.fa.json" for folder in FOLDERS) + [TEXTS / "ui.fa.json"]

LETTER = "\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff"  # Arabic-script letters (no digits or punctuation)
MARKS = "[\u064b-\u065f\u0670]*"  # short vowels and other diacritics (the kasra of an ezafe: «واریانسِ»)
# Inflections a word takes in the texts: the ezafe «ٔ», plurals, «ای», possessives; «ی» only after «ا» or «و»
# (رمزگشای), since after a consonant it also makes another word (رمزگذار → رمزگذاری, encoding).
SUFFIX = "(?:\u0654|\u200c?(?:هایشان|هایش|هایی|های|ها|ای|اش|شان)|(?<=[او])ی)?"
END = f"(?![{LETTER}\u200c\u064b-\u065f\u0670\u0654])"
START = f"(?<![{LETTER}\u200c\u064b-\u065f\u0670\u0654])"


def words(fa: str) -> list[str]:
    return [word.rstrip("\u0654") for word in fa.split()]


@cache
def pattern(fa: str, avoid: bool = False) -> re.Pattern:
    """A Persian term as a whole word (or words, across a wrapped line), with its inflections."""
    suffix = SUFFIX[:-2] + "|\u200c?ی)?" if avoid else SUFFIX  # an avoided word is caught in any form
    body = r"[ \t\n]+".join(re.escape(word) + MARKS + suffix + MARKS for word in words(fa))
    return re.compile(START + body + END)


def persian_values(value) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in persian_values(item)]
    if isinstance(value, list):
        return [text for item in value for text in persian_values(item)]
    return [value] if isinstance(value, str) else []


def persian_texts() -> list[tuple[str, str]]:
    texts = [(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")) for path in MARKDOWN]
    for path in CATALOGUES:
        values = persian_values(json.loads(path.read_text(encoding="utf-8")))
        texts += [(f"{path.relative_to(ROOT).as_posix()}: {text[:40]}", text) for text in values]
    return texts


def prose(markdown: str) -> str:
    """Markdown as read, formulas, code, comments and placeholders blanked (same length, no brackets left)."""
    blank = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$|```.*?```|`[^`\n]*`|<!--.*?-->|\{\{[^}]*\}\}", re.S)
    return blank.sub(lambda match: re.sub(r"[^\n]", "∎", match.group(0)), markdown)


def uses(term: dict, text: str) -> list[re.Match]:
    """The term's uses, leaving out those inside a longer glossary term that contains it (مولد in مدل مولد)."""
    inner = words(term["fa"])
    longer = [
        other
        for other in TERMS
        if len(words(other["fa"])) > len(inner)
        and any(words(other["fa"])[i : i + len(inner)] == inner for i in range(len(words(other["fa"]))))
    ]
    covered = [match.span() for other in longer for match in pattern(other["fa"]).finditer(text)]
    return [
        match
        for match in pattern(term["fa"]).finditer(text)
        if not any(start <= match.start() < end for start, end in covered)
    ]


def simple(english: str) -> str:
    return " ".join(re.sub(r"[-‐‑–—_/]", " ", english.lower()).split())


def bracket_after(text: str, end: int) -> str | None:
    """The bracket that follows a term in its clause (at most 60 characters of Persian words between them), or None."""
    gap = re.match(r"[^()\n.،؛:؟!]*(?:\n[^()\n.،؛:؟!]*)?\(", text[end:])
    if not gap or len(gap.group(0)) > 60:
        return None
    depth, start = 0, end + gap.end()
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth < 0:
            return text[start:index]
    return text[start:]


def bracket_around(text: str, start: int) -> str | None:
    """The bracket a term stands in, as in «(بازسازی، reconstruction)», or None."""
    depth = 0
    for index in range(start - 1, max(start - 200, 0) - 1, -1):
        if text[index] == "\n" and text[index - 1 : index] == "\n":
            return None
        depth += {")": 1, "(": -1}.get(text[index], 0)
        if depth < 0:
            return bracket_after(text, index)
    return None


def test_the_glossary_is_one_to_one():
    english = [term["en"] for term in TERMS]
    persian = [term["fa"] for term in TERMS]
    assert len(set(english)) == len(english), "an English term listed twice"
    assert len(set(persian)) == len(persian), "a Persian term chosen for two concepts"
    avoided = {word for term in TERMS for word in term["avoid"]}
    assert not avoided & set(persian), "a chosen term is also avoided"
    for term in TERMS:
        assert set(term) <= {"en", "fa", "avoid", "also"} and term["en"] and term["fa"]
        # an avoided word is not a form of the chosen term itself
        assert not any(pattern(term["fa"]).search(word) for word in term["avoid"]), term


@pytest.mark.parametrize("name, text", persian_texts(), ids=[name for name, _ in persian_texts()])
def test_persian_texts_use_no_avoided_word_or_colloquial_phrase(name, text):
    found = [
        f"{match.group(0)!r} (for {term['en']!r}, use {term['fa']!r})"
        for term in TERMS
        for word in term["avoid"]
        for match in pattern(word, avoid=True).finditer(text)
    ]
    found += [f"{phrase!r} (colloquial)" for phrase in GLOSSARY["colloquial"] if phrase in text]
    assert not found, f"{name}: {'; '.join(found)}"


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda path: path.relative_to(ROOT / "demos").as_posix())
def test_each_terms_first_use_in_a_markdown_file_gives_its_english(path):
    text = prose(path.read_text(encoding="utf-8"))
    missing = []
    for term in TERMS:
        found = uses(term, text)
        if not found:
            continue
        first = found[0]
        forms = [simple(form) for form in [term["en"], *term.get("also", [])]]
        brackets = [bracket_after(text, first.end()), bracket_around(text, first.start())]
        if not any(bracket and any(form in simple(bracket) for form in forms) for bracket in brackets):
            bracket = brackets[0]
            line = text.count("\n", 0, first.start()) + 1
            missing.append(f"line {line}: «{first.group(0)}» needs ({term['en']}) (found {bracket!r})")
    assert not missing, f"{path.relative_to(ROOT)}:\n" + "\n".join(missing)


def test_persian_formulas_keep_no_english_words():
    """\\text{…} in a Persian formula holds notation only (cGAN, in/out); words go in the sentence."""
    notation = {"cGAN", "cyc", "in", "out", "output\\_padding", "logits", "Rayleigh"}
    for path in MARKDOWN:
        for text in re.findall(r"\\text\{([^}]*)\}", path.read_text(encoding="utf-8")):
            assert text in notation, f"{path.name}: \\text{{{text}}}"


def test_the_docs_page_shows_the_glossary():
    rows = []
    for line in (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and cells[0] not in ("English", "") and set(cells[0]) != {"-"}:
            avoided = sorted(
                word.strip() for word in cells[2].replace("«", "").replace("»", "").split("،") if word.strip()
            )
            rows.append((cells[0], cells[1].strip("«»"), avoided))
    assert rows == [(term["en"], term["fa"], sorted(term["avoid"])) for term in TERMS]
