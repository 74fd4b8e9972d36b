"""Direction marks for server-made text drawn where the page's CSS cannot set its direction.

Plotly draws titles and axis labels as SVG text inside a left-to-right chart, and Gradio shows error sentences in a
toast of its own: there a Persian sentence with Latin parts (μ = 1, N, D_CS, a parameter name) would be laid out
left to right, its words in the wrong order. Unicode isolates fix that inside the text itself: a right-to-left
isolate around each Persian line, a left-to-right one around each value (numbers, formulas, code) placed in it.
English text is returned unchanged, so the public API's strings stay exactly as they were.
"""

LRI, RLI, PDI = "\u2066", "\u2067", "\u2069"  # left-to-right isolate, right-to-left isolate, pop directional isolate
RTL_LANGUAGES = {"fa"}


def is_rtl(lang: str) -> bool:
    return lang in RTL_LANGUAGES


def ltr(text: str, lang: str) -> str:
    """A value (number, formula, code) kept left to right inside text of `lang`."""
    return f"{LRI}{text}{PDI}" if is_rtl(lang) else text


def line(text: str, lang: str) -> str:
    """Text of `lang` laid out in its own direction whatever its container's; Plotly's `<br>` lines each apart."""
    if not is_rtl(lang):
        return text
    return "<br>".join(f"{RLI}{part}{PDI}" for part in text.split("<br>"))


def plain(text: str) -> str:
    """The text without its direction marks (what a reader sees)."""
    return text.translate({ord(mark): None for mark in (LRI, RLI, PDI)})
