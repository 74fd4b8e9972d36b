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
