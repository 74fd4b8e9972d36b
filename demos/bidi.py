"""Direction marks for server-made text drawn where the page's CSS cannot set its direction.

Plotly draws titles and axis labels as SVG text inside a left-to-right chart, and Gradio shows error sentences in a
toast of its own: there a Persian sentence with Latin parts (μ = 1, N, D_CS, a parameter name) would be laid out
left to right, its words in the wrong order. Unicode isolates fix that inside the text itself: a right-to-left
isolate around each Persian line, a left-to-right one around each value (numbers, formulas, code) placed in it.
English text is returned unchanged, so the public API's strings stay exactly as they were.
"""

import re

LRI, RLI, PDI = "\u2066", "\u2067", "\u2069"  # left-to-right isolate, right-to-left isolate, pop directional isolate
WORD_JOINER = "\u2060"  # no line break here
RTL_LANGUAGES = {"fa"}


def is_rtl(lang: str) -> bool:
    return lang in RTL_LANGUAGES


def dir_attribute(lang: str) -> str:
    """An HTML element's dir attribute for text in `lang` (none in English: English pages stay as they were)."""
    return ' dir="rtl"' if is_rtl(lang) else ""


def ltr(text: str, lang: str) -> str:
    """A value (number, formula, code) kept left to right inside text of `lang`."""
    return f"{LRI}{held_together(text)}{PDI}" if is_rtl(lang) else text


def line(text: str, lang: str) -> str:
    """Text of `lang` laid out in its own direction whatever its container's; Plotly's `<br>` lines each apart."""
    if not is_rtl(lang):
        return text
    return "<br>".join(f"{RLI}{part}{PDI}" for part in text.split("<br>"))


def plain(text: str) -> str:
    """The text without its direction marks, no-break spaces as spaces (what a reader sees)."""
    return text.translate({ord(LRI): None, ord(RLI): None, ord(PDI): None, ord(WORD_JOINER): None, 0xA0: " "})


# Persian text with left-to-right runs in it (a formula, an English name, a number with its unit, the brackets around
# them): without isolation a run that crosses a line end breaks apart, and one that starts with a bracket or a digit
# can reorder even on one line ("(1 − w)·N(…) + w·N(…)" shows as "N(…) + w·N(…)·(w − 1)"). `isolated` wraps each
# run in a left-to-right isolate and keeps a short run on one line; the catalogues apply it to every Persian string
# once, as they are read (demos/language.py), so that no caller thinks about direction.
ARABIC_SCRIPT = "\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff\u200c"  # Persian letters (and ZWNJ)
_ARABIC_SCRIPT = ARABIC_SCRIPT
# A run: from a Latin/Greek letter, digit, sign or opening bracket to the last such character before Persian text,
# a line end, or Markdown/HTML structure it must not swallow ($…$ formulas, `code`, <tags>, table pipes, "**").
# (" · " between two phrases separates them: "epoch 0.0 · 0 of 1,000 outside" is two runs, not one.)
_RUN = re.compile(
    rf"(?<![{_ARABIC_SCRIPT}\w])[A-Za-z0-9\u0370-\u03ff(\[+\u2212\-'\"√∞]"
    rf"(?:(?! · )[^{_ARABIC_SCRIPT}$`|*\n\u2066-\u2069،؛؟])*"
)
_PROTECTED = re.compile(  # formulas, code, tags, placeholders, runs already isolated, and Markdown list numbers
    r"\$\$.*?\$\$|\$[^$\n]*\$|`[^`\n]*`|<!--.*?-->|</?[A-Za-z][^<>\n]*>|\{\{?[a-z_0-9:.,]*\}?\}|\u2066[^\u2069]*\u2069|^[ \t]*\d+[.)][ \t]",
    re.S | re.M,
)
_TRAILING = ".,:;!?) "  # sentence punctuation after a run is Persian's, unless a bracket closes one opened inside
SHORT_RUN = 40  # characters: a formula or number this short never breaks across lines (no-break spaces)
# A formula or a number (digits, operators, Greek, sub- and superscripts) keeps to one line; English words may wrap.
_FORMULA = re.compile(r"[=<>+\u2212·×/^_\u00b2\u00b3\u2080-\u2089\u0370-\u03ff|‖]|^[-\u2212+]?\d[\d,.]*\s?%?$")
_BREAK_AFTER = re.compile(r"([\-\u2013/])")  # a line may break after these even between no-break spaces


def _wrap(match: re.Match) -> str:
    whole = match.group(0)
    start, end = 0, len(whole)
    # Brackets stay with the run only when both ends are in it; sentence punctuation after it is Persian's.
    while (
        end > start
        and (whole[end - 1] in _TRAILING or whole[end - 1] in "([")
        and not (whole[end - 1] == ")" and whole[start:end].count("(") >= whole[start:end].count(")"))
    ):
        end -= 1
    while start < end and whole[start] in "([" and whole[start:end].count("(") > whole[start:end].count(")"):
        start += 1
    run = whole[start:end]
    if not re.search(r"[A-Za-z0-9\u0370-\u03ff]", run):
        return whole  # punctuation alone takes the paragraph's direction
    return f"{whole[:start]}{LRI}{held_together(run)}{PDI}{whole[end:]}"


def held_together(run: str) -> str:
    """A formula or number of up to SHORT_RUN characters kept on one line; English words and longer runs may wrap,
    in order."""
    return unbroken(run) if len(run) <= SHORT_RUN and _FORMULA.search(run) else run


def unbroken(text: str) -> str:
    """Text no line break splits: no-break spaces, word joiners after the characters a line may break after."""
    return _BREAK_AFTER.sub("\\1\u2060", text.replace(" ", "\u00a0"))


# Templates with slots, for text whose numbers the page fills in itself during a slider drag
# (demos/static/live_views.js) exactly as the server does: a slot inside a value (a formula such as "μ = <slot>",
# already kept left to right and together by `ltr`) takes a number; a slot written as an HTML comment, which the
# isolation above leaves alone, takes a whole part of a sentence.
def slot(name: str) -> str:
    return f"\x00{name}\x00"


def fill(template: str, values: dict[str, str], lang: str) -> str:
    """A template's slots filled: numbers held together as their formula is, in a right-to-left language; parts."""
    for name, value in values.items():
        template = template.replace(slot(name), unbroken(value) if is_rtl(lang) else value)
        template = template.replace(f"<!--{name}-->", value)
    return template


def isolated(text: str) -> str:
    """Persian text with every left-to-right run isolated (formulas in $…$, code, tags and placeholders untouched)."""
    pieces, last = [], 0
    for protected in _PROTECTED.finditer(text):
        pieces.append(_RUN.sub(_wrap, text[last : protected.start()]))
        pieces.append(protected.group(0))
        last = protected.end()
    pieces.append(_RUN.sub(_wrap, text[last:]))
    return "".join(pieces)


def in_direction(text: str, lang: str) -> str:
    """A catalogue text (label, server-made string, Markdown) as the page shows it: in a right-to-left language with
    its left-to-right runs isolated. Every Persian text passes here once, as its catalogue or file is read."""
    return isolated(text) if is_rtl(lang) else text
