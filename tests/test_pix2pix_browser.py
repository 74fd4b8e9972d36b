"""The sketch tab in headless Chromium (launches the app and a browser: slow)."""

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow


def test_browser_strokes_on_the_canvas_produce_an_image(browser, app_url, artifacts_dir):
    import urllib.request
    from io import BytesIO

    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(app_url, wait_until="networkidle")
    page.get_by_role("tab", name="Sketch → image").click()
    page.locator("#pix2pix-canvas button[aria-label='Brush']").first.click()  # as a student must, first
    canvas = page.locator("#pix2pix-canvas canvas").first
    canvas.wait_for()
    box = canvas.bounding_box()
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, min(box["width"], box["height"]) / 3
    strokes = [  # a smiley, drawn with the mouse: face, two eyes, mouth
        [(cx + r * np.cos(t), cy + r * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40)],
        [(cx - r / 3, cy - r / 3), (cx - r / 3, cy - r / 6)],
        [(cx + r / 3, cy - r / 3), (cx + r / 3, cy - r / 6)],
        [(cx + r / 2 * np.cos(t), cy + r / 2 * np.sin(t)) for t in np.linspace(0.2 * np.pi, 0.8 * np.pi, 12)],
    ]
    for stroke in strokes:
        page.mouse.move(*stroke[0])
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*point, steps=2)
        page.mouse.up()
    output = page.locator("#pix2pix-output img")
    output.wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)  # the last stroke's result replaces the earlier ones
    page.screenshot(path=str(artifacts_dir / "pix2pix-drawn.png"), full_page=True)
    src = output.get_attribute("src")
    with urllib.request.urlopen(src if src.startswith("http") else app_url.rstrip("/") + src) as response:
        image = np.asarray(Image.open(BytesIO(response.read())).convert("RGB"))
    page.close()
    assert (image.astype(int).sum(axis=2) < 600).mean() > 0.05, "the generated image is blank"


def test_browser_clicking_an_example_fills_the_canvas_and_the_output(browser, app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(app_url, wait_until="networkidle")
    page.get_by_role("tab", name="Sketch → image").click()
    page.get_by_role("tabpanel").filter(visible=True).locator(".gallery-item").first.click()
    page.locator("#pix2pix-output img").wait_for(timeout=30_000)
    status = page.get_by_text("Generated in").first
    status.wait_for(timeout=30_000)
    assert "CPU" in status.inner_text() or "CUDA" in status.inner_text()
    page.close()
