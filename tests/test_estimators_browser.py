"""Tab 1 in headless Chromium: dragging a slider redraws the table while the mouse is down, and mouse-up (or a
key press) brings every plot to the slider's final value."""

import re

import pytest

from demos import estimators as tab
from scripts.chromium import open_app, press_and_move

pytestmark = pytest.mark.slow


def shown_eta(page) -> str:
    """η as the estimates chart's title states it (the last chart of the tab to be redrawn)."""
    title = page.locator("#estimators-estimates b").text_content()
    return re.search(r"η = (\S+)\)", title).group(1)


def test_drag_updates_the_table_live_and_everything_on_release(browser, app_url):
    assert tab.DEFAULTS["f"] == "square" and tab.DEFAULTS["m"] == 1.0  # η = 2μ below
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, app_url)
    panel = page.get_by_role("tabpanel").filter(visible=True).first
    table = panel.locator("#estimators-table table").first
    slider = panel.get_by_label("range slider for μ", exact=True)
    slider.scroll_into_view_if_needed()
    start_table = table.inner_text()
    assert shown_eta(page) == "2"

    press_and_move(page, slider, 10, slider.bounding_box()["width"] / 160)  # about 10 steps of 0.05 over a second
    # Still holding the mouse: the table has followed the drag.
    page.wait_for_function(
        "([table, before]) => table.innerText !== before", arg=[table.element_handle(), start_table], timeout=20_000
    )
    page.mouse.up()
    mu = float(slider.input_value())
    assert mu > tab.DEFAULTS["mu"]
    # After mouse-up every plot, including the estimates (not redrawn during the drag), shows the final μ.
    page.wait_for_function(
        "(eta) => [...document.querySelectorAll('#estimators-estimates b')]"
        ".some((t) => t.textContent.includes(`η = ${eta})`))",
        arg=f"{2 * mu:.4g}",
        timeout=20_000,
    )
    assert f"{2 * mu:g}" in table.inner_text()

    # A key press is no drag: it redraws everything too.
    slider.focus()
    page.keyboard.press("ArrowRight")
    mu_after_key = float(slider.input_value())
    assert mu_after_key == pytest.approx(mu + 0.05)
    page.wait_for_function(
        "(eta) => [...document.querySelectorAll('#estimators-estimates b')]"
        ".some((t) => t.textContent.includes(`η = ${eta})`))",
        arg=f"{2 * mu_after_key:.4g}",
        timeout=20_000,
    )
    page.close()


@pytest.mark.parametrize(
    ("name", "viewport", "scale"),
    [("projector", {"width": 853, "height": 480}, 1.5), ("phone", {"width": 390, "height": 844}, 2)],
)
def test_controls_sit_beside_or_above_the_plot_they_drive(browser, app_url, artifacts_dir, name, viewport, scale):
    """Projector: 1280×720 at 150 % zoom (853×480 CSS px); the first screen shows the sliders and the live plot
    beside them. Phone (390 px): the plot starts right below the controls, within one screen of the μ slider."""
    page = browser.new_page(viewport=viewport, device_scale_factor=scale)
    open_app(page, app_url)
    panel = page.get_by_role("tabpanel").filter(visible=True).first
    plot = panel.locator("#estimators-by_n svg").first
    plot.wait_for()
    page.screenshot(path=str(artifacts_dir / f"estimators-{name}.png"))
    sliders = [panel.get_by_label(f"range slider for {label}", exact=True) for label in ("μ", "log₁₀ N (drag)")]
    plot_box = plot.bounding_box()
    if name == "projector":
        assert plot_box["y"] < viewport["height"] / 2  # the plot starts in the upper half of the first screen
        for slider in sliders:
            box = slider.bounding_box()
            assert box["y"] + box["height"] <= viewport["height"], "a slider is below the first screen"
            assert box["x"] + box["width"] <= plot_box["x"], "the slider is not beside the plot"
    else:
        mu_box = sliders[0].bounding_box()
        assert mu_box["y"] < plot_box["y"] < mu_box["y"] + viewport["height"]
        assert plot_box["width"] <= viewport["width"]
        # Titles are not clipped: each title line fits inside the plot's width.
        for name in tab.PLOTS:  # each chart within the screen, its title and legend inside the chart's width
            chart = panel.locator(f"#estimators-{name}")
            outer, svg = chart.bounding_box(), chart.locator("svg").bounding_box()
            assert outer["x"] >= 0 and outer["x"] + outer["width"] <= viewport["width"]
            assert svg["width"] >= 300 - 40, "the charts are side by side on a phone: too narrow to read"
            for part in chart.locator("b, span").all():
                box = part.bounding_box()
                assert outer["x"] - 1 <= box["x"] and box["x"] + box["width"] <= outer["x"] + outer["width"] + 1
        # The table fits, or scrolls within its block: no number is cut off out of reach.
        fits_or_scrolls = """(table) => { const box = table.closest('#estimators-table');
          for (let e = table; e !== box; e = e.parentElement)
            if (getComputedStyle(e).overflowX === 'auto' && e.getBoundingClientRect().right <= innerWidth) return true;
          return table.getBoundingClientRect().right <= box.getBoundingClientRect().right + 1; }"""
        assert panel.locator("#estimators-table table").evaluate(fits_or_scrolls)
        # So does the homework panel's table of closed forms (a Markdown table).
        panel.get_by_text("Homework questions (predict first, then reveal)").click()
        numbers = panel.locator("#estimators-homework-numbers table").first
        numbers.wait_for()
        assert numbers.evaluate(fits_or_scrolls.replace("#estimators-table", "#estimators-homework-numbers"))
    page.close()


def test_after_a_drag_gradio_holds_the_dragged_value_and_the_release_sends_one_request(browser, app_url):
    """A drawn drag ends with one request (the final view's POST) and no queued event; Gradio still learns the
    slider's final value: a later event (a new seed, computed on the server from Gradio's values) shows it."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, app_url)
    panel = page.get_by_role("tabpanel").filter(visible=True).first
    slider = panel.get_by_label("range slider for μ", exact=True)
    slider.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    press_and_move(page, slider, 5, slider.bounding_box()["width"] / 80)
    sent = []
    page.on("request", lambda request: sent.append(request.url) if "/gradio_api/" in request.url else None)
    page.mouse.up()
    mu = float(slider.input_value())
    assert mu > tab.DEFAULTS["mu"]
    eta_shown = (
        "(eta) => [...document.querySelectorAll('#estimators-estimates b')]"
        ".some((t) => t.textContent.includes(`η = ${eta})`))"
    )
    page.wait_for_function(eta_shown, arg=f"{2 * mu:.4g}", timeout=20_000)
    page.wait_for_timeout(1000)
    assert [url for url in sent if "heartbeat" not in url] == [f"{app_url.rstrip('/')}/gradio_api/component_server/"]
    table = panel.locator("#estimators-table table").first
    before = table.inner_text()
    seed = panel.locator("#estimators-seed input")
    seed.fill("7")
    seed.press("Enter")
    # The seed's event: the server draws the view from Gradio's values, new samples (the table changes) at the
    # dragged μ (were Gradio's μ stale, η would be back at 2).
    page.wait_for_function("([t, b]) => t.innerText !== b", arg=[table.element_handle(), before], timeout=20_000)
    page.wait_for_timeout(1000)
    assert float(slider.input_value()) == mu
    assert page.evaluate(eta_shown, f"{2 * mu:.4g}")
    page.close()


def test_with_the_homework_panel_open_a_drag_also_updates_its_numbers(browser, app_url):
    """The homework numbers are typeset by Gradio, not drawn by the drag: while they are shown, the release also
    sends the slider's event, which brings them to the final μ."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, app_url)
    panel = page.get_by_role("tabpanel").filter(visible=True).first
    panel.get_by_text("Homework questions (predict first, then reveal)").click()
    numbers = panel.locator("#estimators-homework-numbers")
    numbers.get_by_text("μ = 1,").wait_for()
    slider = panel.get_by_label("range slider for μ", exact=True)
    slider.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    press_and_move(page, slider, 5, slider.bounding_box()["width"] / 80)
    page.mouse.up()
    mu = float(slider.input_value())
    assert mu > tab.DEFAULTS["mu"]
    numbers.get_by_text(f"μ = {mu:g},").wait_for(timeout=20_000)
    page.close()
