"""Screenshots of every tab for the docs: English and Persian, lecture mode on a projector, and a phone.

    python -m scripts.screenshots          # writes docs/screenshots/*.png and docs/screenshots/README.md

Starts the app on loopback, opens each view in headless Chromium (scripts/chromium.py) and saves the first
screen of each tab (what a student sees before scrolling): desktop 1280×800 in English and Persian, lecture mode
at 1280×720, and a 390×844 touch phone. Each view waits for the app's tabs and then for the tab's plots.
"""

import time
from pathlib import Path

from scripts.bench import free_port, start_server
from scripts.chromium import launch, open_app

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
VIEWS = {  # name: (query, browser context options)
    "en": ("", {"viewport": {"width": 1280, "height": 800}}),
    "fa": ("&lang=fa", {"viewport": {"width": 1280, "height": 800}}),
    "lecture": ("&lecture=1", {"viewport": {"width": 1280, "height": 720}}),
    "phone": ("", {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}),
}


def tab_names() -> list[str]:
    import app  # (the tab list only: the screenshots are of an app served in its own process)

    return [tab.name for tab in app.TABS]


def shoot(url: str, tabs: list[str], out: Path, browser=None) -> list[Path]:
    """Every view of every named tab of the app at `url`, saved as out/<tab>-<view>.png (in `browser`, else in a
    headless Chromium of its own)."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                return shoot(url, tabs, out, browser)
            finally:
                browser.close()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for view, (query, options) in VIEWS.items():
        context = browser.new_context(**options)
        page = context.new_page()
        for tab in tabs:
            started = time.perf_counter()
            open_app(page, f"{url.rstrip('/')}/?tab={tab}{query}")
            page.wait_for_timeout(2500)  # the tab's first figures and the language switch
            path = out / f"{tab}-{view}.png"
            page.screenshot(path=str(path))
            written.append(path)
            print(f"{path}  ({time.perf_counter() - started:.1f} s)", flush=True)
        context.close()
    return written


def main() -> None:
    port = free_port()
    server, _ = start_server(["app.py", "--port", str(port)], port)
    try:
        shoot(f"http://127.0.0.1:{port}", tab_names(), OUT)
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [
        "# Screenshots",
        "",
        "Written by `python -m scripts.screenshots`: the first screen of each tab (before any scrolling), opened by",
        "its link. en / fa: 1280×800; lecture: `&lecture=1` at 1280×720 (a projector); phone: 390×844 with touch.",
        "",
        "| tab | English | Persian | lecture (projector) | phone |",
        "|---|---|---|---|---|",
    ]
    for tab in tab_names():
        cells = [f"![{tab} {view}]({tab}-{view}.png)" for view in VIEWS]
        lines.append(f"| {tab} | " + " | ".join(cells) + " |")
    (OUT / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
