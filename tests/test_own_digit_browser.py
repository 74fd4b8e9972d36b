"""Your own digit in headless Chromium (launches the app and a browser: slow): the pen is ready at first sight, a
mouse stroke and a finger stroke are read by both VAEs, and a link opens a named drawing, in English and Persian."""

import pytest

from scripts.chromium import open_app
from tests.test_pix2pix_browser import draw_with_finger, draw_with_mouse

pytestmark = pytest.mark.slow

CANVAS = "#vae-digit-canvas"
SECTION = "#vae-digit-section"


def open_section(browser, app_url, query: str = "?tab=vae", **context):
    page = browser.new_context(**(context or {"viewport": {"width": 1400, "height": 1100}})).new_page()
    open_app(page, app_url + query)
    page.locator(f"{CANVAS} canvas").first.wait_for()
    page.locator(f"{CANVAS} canvas").first.scroll_into_view_if_needed()
    return page


def readings_shown(page, row: str = "classifier probability", timeout_ms: int = 90_000) -> str:
    """Wait until the section's readings table shows its last row; return the section's text."""
    page.locator(SECTION).get_by_text(row).first.wait_for(timeout=timeout_ms)
    return page.locator(SECTION).inner_text()


def a_one(box) -> list[list[tuple[float, float]]]:
    """A '1': one stroke down the middle of the canvas (the canvas element is wider than its page: stay central)."""
    cx, cy, h = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["height"] / 3
    return [[(cx + h / 8, cy - h), (cx, cy), (cx - h / 8, cy + h)]]


def test_browser_a_stroke_is_read_by_both_vaes_with_the_pen_ready(browser, app_url, artifacts_dir):
    page = open_section(browser, app_url)
    brush = page.locator(f"{CANVAS} button[aria-label='Brush']").first
    assert "highlight" in (brush.get_attribute("class") or ""), "the pen is not selected at first sight"
    draw_with_mouse(page, a_one(page.locator(f"{CANVAS} canvas").first.bounding_box()))
    text = readings_shown(page)
    assert "KL-VAE" in text and "CS-VAE" in text and "The digit classifier reads a 1" in text
    assert page.locator(f"{SECTION} .js-plotly-plot").count() == 2  # the histogram and the 2-D map
    page.locator(SECTION).screenshot(path=str(artifacts_dir / "own-digit-drawn.png"))
    page.context.close()


def test_browser_a_finger_stroke_on_a_phone_is_read(browser, app_url, artifacts_dir):
    page = open_section(browser, app_url, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    draw_with_finger(page, a_one(page.locator(f"{CANVAS} canvas").first.bounding_box()))
    assert "The digit classifier reads a 1" in readings_shown(page)
    page.locator(SECTION).screenshot(path=str(artifacts_dir / "own-digit-phone.png"))
    page.context.close()


def test_browser_a_link_opens_a_named_drawing_in_persian(browser, app_url, artifacts_dir):
    page = open_section(browser, app_url, "?tab=vae&drawing=blob&lang=fa")
    text = readings_shown(page, "احتمالِ دسته‌بند")
    assert "لکهٔ توپُر" in text  # the case's note, in Persian
    assert page.locator(f"{SECTION} input[type=radio]:checked").first.get_attribute("value") == "blob"
    page.locator(SECTION).screenshot(path=str(artifacts_dir / "own-digit-fa.png"))
    page.context.close()
