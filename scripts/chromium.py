"""The one headless Chromium of the browser tests and the browser measurements (Debian's package, via Playwright)."""

CHROMIUM = "/usr/bin/chromium"
# Without these flags Chromium keeps calling home, and this machine's closed network refuses it noisily.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright):
    """A headless Chromium browser from a started `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def open_app(page, url: str, timeout_ms: int = 120_000) -> None:
    """Open the app and wait until its tabs are drawn. (Not "networkidle": the Train-live section keeps Gradio's
    session heartbeat open, so the network never goes idle.)"""
    page.goto(url, wait_until="load", timeout=timeout_ms)
    page.locator("[role=tab]").first.wait_for(timeout=timeout_ms)
    page.wait_for_timeout(1000)  # the load events: links, language, first renders


def press_and_move(page, slider, moves: int, px_per_move: float) -> None:
    """Press the mouse on a range slider's thumb (where its value sits) and move it right `moves` times, 100 ms
    apart, as a hand drags; the caller releases (page.mouse.up())."""
    low, high = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
    box = slider.bounding_box()
    x = box["x"] + (float(slider.input_value()) - low) / (high - low) * box["width"]
    y = box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for move in range(1, moves + 1):
        page.mouse.move(x + move * px_per_move, y)
        page.wait_for_timeout(100)
