"""The sketch tab in headless Chromium (launches the app and a browser: slow).

First sight (an example, its result and the discriminator's view, the pen selected), undo and clear, mouse
drawing, and finger drawing on a phone-sized touch screen.
"""

import urllib.request
from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from scripts.chromium import open_app

pytestmark = pytest.mark.slow

TAB = "Sketch → image"


def open_tab(browser, app_url, **context):
    page = browser.new_context(**context).new_page() if context else browser.new_page(viewport=DESKTOP)
    open_app(page, app_url)
    tab = page.get_by_role("tab", name=TAB)
    if tab.count() and tab.first.is_visible():
        tab.first.click()
    else:  # a phone-wide page shows one tab and puts the others under "More tabs"
        page.locator("button[aria-label='More tabs']").first.click()
        page.locator(".overflow-dropdown button", has_text=TAB).first.click()
    page.locator("#pix2pix-canvas canvas").first.wait_for()
    return page


DESKTOP = {"width": 1400, "height": 1100}


def image_at(page, app_url, selector: str) -> np.ndarray:
    src = page.locator(f"{selector} img").first.get_attribute("src")
    with urllib.request.urlopen(src if src.startswith("http") else app_url.rstrip("/") + src) as response:
        return np.asarray(Image.open(BytesIO(response.read())).convert("RGB"))


def src_of(page, selector: str) -> str | None:
    images = page.locator(f"{selector} img")
    return images.first.get_attribute("src") if images.count() else None


def wait_for_new_output(page, old_src, timeout_ms=60_000) -> None:
    """Until the generated image's source differs from old_src (the live view has answered)."""
    page.wait_for_function(
        """old => { const img = document.querySelector('#pix2pix-output img');
                    return (img ? img.getAttribute('src') : null) !== old; }""",
        arg=old_src,
        timeout=timeout_ms,
    )
    page.wait_for_timeout(1500)
    page.wait_for_timeout(500)


def ink_fraction(image: np.ndarray) -> float:
    """Share of clearly non-white pixels: 0 for the blank result of an empty canvas."""
    return float((image.astype(int).sum(axis=2) < 600).mean())


def smiley(box) -> list[list[tuple[float, float]]]:
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, min(box["width"], box["height"]) / 3
    return [
        [(cx + r * np.cos(t), cy + r * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40)],
        [(cx - r / 3, cy - r / 3), (cx - r / 3, cy - r / 6)],
        [(cx + r / 3, cy - r / 3), (cx + r / 3, cy - r / 6)],
        [(cx + r / 2 * np.cos(t), cy + r / 2 * np.sin(t)) for t in np.linspace(0.2 * np.pi, 0.8 * np.pi, 12)],
    ]


def draw_with_mouse(page, strokes) -> None:
    for stroke in strokes:
        page.mouse.move(*stroke[0])
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*point, steps=2)
        page.mouse.up()


def draw_with_finger(page, strokes) -> None:
    """Real touch events (Chrome DevTools protocol), as a phone's touch screen sends them."""
    cdp = page.context.new_cdp_session(page)
    for stroke in strokes:
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": stroke[0][0], "y": stroke[0][1]}]}
        )
        for x, y in stroke[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def canvas_box(page):
    return page.locator("#pix2pix-canvas canvas").first.bounding_box()


def test_browser_first_sight_shows_an_example_its_result_and_the_pen_selected(browser, app_url, artifacts_dir):
    page = open_tab(browser, app_url)
    # Before any click: a result, the discriminator's view and a status line are on the page.
    assert ink_fraction(image_at(page, app_url, "#pix2pix-output")) > 0.05
    assert image_at(page, app_url, "#pix2pix-heatmap").size > 0
    assert "Generated in" in page.locator("#pix2pix-status").inner_text()
    brush = page.locator("#pix2pix-canvas button[aria-label='Brush']").first
    assert "highlight" in (brush.get_attribute("class") or ""), "the pen is not selected at first sight"
    page.screenshot(path=str(artifacts_dir / "pix2pix-first-sight.png"), full_page=True)
    # The pen really is ready: a stroke drawn straight away changes the result.
    before = src_of(page, "#pix2pix-output")
    box = canvas_box(page)  # the canvas element is wider than the page drawn on it: stay near its centre
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, min(box["width"], box["height"]) / 4
    draw_with_mouse(page, [[(cx - r, cy + r), (cx, cy + r / 2), (cx + r, cy + r)]])
    wait_for_new_output(page, before)
    page.close()


def test_browser_new_drawing_undo_and_clear(browser, app_url, artifacts_dir):
    page = open_tab(browser, app_url)
    before = src_of(page, "#pix2pix-output")
    page.locator("#pix2pix-new").click()  # a blank page, the pen still selected
    wait_for_new_output(page, before)
    assert ink_fraction(image_at(page, app_url, "#pix2pix-output")) == 0.0
    blank_src = src_of(page, "#pix2pix-output")
    draw_with_mouse(page, smiley(canvas_box(page)))  # no click on the Brush first
    wait_for_new_output(page, blank_src)
    drawn = image_at(page, app_url, "#pix2pix-output")
    assert ink_fraction(drawn) > 0.05, "the generated image is blank"
    page.screenshot(path=str(artifacts_dir / "pix2pix-drawn.png"), full_page=True)
    # Undo removes the last stroke (the mouth): the result changes but is still a face.
    drawn_src = src_of(page, "#pix2pix-output")
    page.locator("#pix2pix-canvas button[aria-label='Undo']").first.click()
    wait_for_new_output(page, drawn_src)
    undone = image_at(page, app_url, "#pix2pix-output")
    assert ink_fraction(undone) > 0.05 and not np.array_equal(undone, drawn)
    # Clear empties the canvas: white paper and the drawing hint.
    undone_src = src_of(page, "#pix2pix-output")
    page.locator("#pix2pix-canvas button[aria-label='Clear canvas']").first.click()
    page.wait_for_function(
        "() => document.querySelector('#pix2pix-status').innerText.includes('Draw something')", timeout=60_000
    )
    cleared = src_of(page, "#pix2pix-output")
    assert cleared != undone_src
    page.close()


def test_browser_finger_drawing_on_a_phone_produces_an_image(browser, app_url, artifacts_dir):
    page = open_tab(browser, app_url, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    before = src_of(page, "#pix2pix-output")
    page.locator("#pix2pix-new").tap()
    wait_for_new_output(page, before)
    blank_src = src_of(page, "#pix2pix-output")
    page.locator("#pix2pix-canvas canvas").first.scroll_into_view_if_needed()
    draw_with_finger(page, smiley(canvas_box(page)))
    wait_for_new_output(page, blank_src)
    page.screenshot(path=str(artifacts_dir / "pix2pix-touch.png"), full_page=True)
    assert ink_fraction(image_at(page, app_url, "#pix2pix-output")) > 0.05, "the finger drawing gave a blank image"
    page.context.close()


def test_browser_clicking_an_example_fills_the_canvas_and_the_output(browser, app_url):
    page = open_tab(browser, app_url)
    page.locator("#pix2pix-new").click()
    page.wait_for_function(
        "() => document.querySelector('#pix2pix-status').innerText.includes('Draw something')", timeout=60_000
    )
    blank_src = src_of(page, "#pix2pix-output")
    page.get_by_role("tabpanel").filter(visible=True).locator(".gallery-item").nth(1).click()
    wait_for_new_output(page, blank_src)
    status = page.locator("#pix2pix-status").inner_text()
    assert "Generated in" in status and ("CPU" in status or "CUDA" in status)
    page.close()
