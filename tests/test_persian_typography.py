"""Persian pages in headless Chromium: every left-to-right run (formula, number, English name, with its brackets) in
the Persian text of every tab displays whole and in reading order, at phone and desktop width (slow).

Read from the glyphs, not the strings: for each character of each run, `Range.getClientRects` gives where the browser
drew it. A run must read left to right within each line and top to bottom across lines; a formula or number of up to
demos.bidi.SHORT_RUN characters must stay on one line. Checked in labels, headings, Markdown, buttons, table cells,
plot titles, a link's notice and an error toast (the page's one-sentence answers to bad values), in every tab.
"""

import re

import pytest

import app
from demos.bidi import SHORT_RUN
from scripts.chromium import open_app

pytestmark = pytest.mark.slow

TABS = [tab.name for tab in app.TABS]
WIDTHS = (390, 1280)

# Returns the runs that are broken: [text, why]. KaTeX formulas (laid out in two dimensions by KaTeX itself) and
# Plotly's tick and legend labels (numbers and names alone in their own SVG text) are not Persian text.
CHECK_JS = """([shortRun]) => {
  const arabic = /[\\u0600-\\u06FF]/;
  const run = /[A-Za-z0-9\\u0370-\\u03FF(\\[+\\u2212\\-'"\u221a\u221e](?:(?! \u00b7 )[^\\u0600-\\u06FF\\u200c\\u060c\\u061b\\u061f\\n$|*\\u2066-\\u2069])*/g;
  const problems = [];
  const root = document.querySelector('gradio-app') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    const parent = node.parentElement;
    if (!parent || parent.closest('.katex, script, style, textarea')) continue;
    const inSvg = parent.closest('svg');
    if (inSvg && !parent.closest('.gtitle, .g-xtitle, .annotation-text')) continue;  // (y titles are rotated)
    const block = inSvg ? parent : parent.closest('p, li, h1, h2, h3, h4, td, th, label, button, span, div');
    if (!block || !arabic.test(block.textContent)) continue;  // Persian text only
    if (!parent.getClientRects().length) continue;  // not displayed (another tab, a closed accordion)
    for (const match of node.data.matchAll(run)) {
      let text = match[0], start = match.index;
      // as demos/bidi.py does: sentence punctuation after a run is Persian's; brackets belong to a run only whole
      while (text && /[.,:;!? \\u00a0(\\[]$/.test(text) && !(text.endsWith(')') && (text.split('(').length >= text.split(')').length))) text = text.slice(0, -1);
      while (text && /[(\\[]/.test(text[0]) && text.split('(').length > text.split(')').length) { text = text.slice(1); start += 1; }
      while (text.endsWith(')') && text.split(')').length > text.split('(').length) text = text.slice(0, -1);
      if (!/[A-Za-z0-9\\u0370-\\u03FF]/.test(text)) continue;
      const glyphs = [];
      for (let i = 0; i < text.length; i++) {
        if (/[\\s\\u00a0]/.test(text[i])) continue;
        const range = document.createRange();
        range.setStart(node, start + i); range.setEnd(node, start + i + 1);
        const box = range.getBoundingClientRect();
        if (box.width > 0) glyphs.push({i, x: box.left + box.width / 2, y: box.top + box.height / 2, h: box.height});
      }
      if (glyphs.length < 2) continue;
      const lines = [];
      for (const g of glyphs) {
        const line = lines.find(l => Math.abs(l.y - g.y) < g.h / 2);
        if (line) line.glyphs.push(g); else lines.push({y: g.y, glyphs: [g]});
      }
      const ordered = lines.every(l => l.glyphs.every((g, k) => k === 0 || g.x > l.glyphs[k - 1].x));
      const rows = glyphs.map(g => lines.findIndex(l => l.glyphs.includes(g)));
      const topDown = glyphs.every((g, k) => k === 0 || lines[rows[k]].y >= lines[rows[k - 1]].y - 1);
      const formula = /[=<>+\\u2212\u00b7\u00d7/^_\\u00b2\\u00b3\\u2080-\\u2089\\u0370-\\u03ff|\u2016]|^[-\\u2212+]?\\d[\\d,.]*\\s?%?$/.test(text);
      if (!ordered || !topDown) problems.push([text, 'out of reading order']);
      else if (formula && text.length <= shortRun && lines.length > 1) problems.push([text, 'split across lines']);
    }
  }
  return problems;
}"""


def open_persian(browser, app_url, tab: str, width: int, query: str = ""):
    context = browser.new_context(
        viewport={"width": width, "height": 1000}, is_mobile=width < 500, has_touch=width < 500
    )
    page = context.new_page()
    open_app(page, f"{app_url}?tab={tab}&lang=fa{query}")
    page.wait_for_timeout(4000)  # the language and link events, the first views
    return page


def open_every_section(page) -> None:
    """Open the tab's homework and other closed accordions and reveal its answers, so their text is drawn too."""
    panel = page.get_by_role("tabpanel").filter(visible=True)
    for accordion in panel.locator("button.label-wrap:not(.open)").all():
        if accordion.is_visible():
            accordion.click()
    page.wait_for_timeout(500)
    for button in panel.get_by_role("button", name="نمایش پاسخ").all():
        if button.is_visible():
            button.click()
            page.wait_for_timeout(300)
    page.wait_for_timeout(3000)


def show_an_error_sentence(page) -> None:
    """Type -1 into the tab's number boxes, last first, until one answers with its one-sentence error toast (where
    the box's own minimum keeps -1 from being sent, the link's notice is the tab's error sentence)."""
    boxes = page.get_by_role("tabpanel").filter(visible=True).locator("input[type=number]")
    for box in [box for box in boxes.all() if box.is_visible()][::-1][:4]:
        box.fill("-1")
        box.press("Enter")
        page.wait_for_timeout(3000)
        if page.locator('[data-testid="toast-body"]').count():
            return


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("tab", TABS)
def test_every_left_to_right_run_in_persian_displays_whole_and_in_order(browser, app_url, artifacts_dir, tab, width):
    page = open_persian(browser, app_url, tab, width, "&m=abc")  # a bad value: the page's notice sentence too
    open_every_section(page)
    show_an_error_sentence(page)
    sentences = page.locator('[data-testid="toast-body"], .gml-link-notice').all_inner_texts()
    problems = page.evaluate(CHECK_JS, [SHORT_RUN])
    page.screenshot(path=str(artifacts_dir / f"typography-{tab}-{width}.png"), full_page=True)
    page.context.close()
    assert not problems, f"{tab} at {width} px: " + "; ".join(f"{text!r} {why}" for text, why in problems[:15])
    assert any(re.search("[\u0600-\u06ff]", said) for said in sentences), f"{tab}: no Persian error sentence shown"
