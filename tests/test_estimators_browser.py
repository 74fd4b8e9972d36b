"""Tab 1 in headless Chromium: dragging a slider redraws the table while the mouse is down, and mouse-up (or a
key press) brings every plot to the slider's final value."""

import re

import pytest

from demos import estimators as tab
from scripts.chromium import open_app

pytestmark = pytest.mark.slow


def shown_eta(page) -> str:
    """η as the estimates plot's title states it (the last plot of the tab to be redrawn)."""
    title = page.locator('[data-testid="plotly"] .gtitle').filter(has_text="estimates per estimator").text_content()
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

    box = slider.bounding_box()
    x = box["x"] + (tab.DEFAULTS["mu"] + 4) / 8 * box["width"]
    y = box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):  # about 10 slider steps (0.05 each) over a second
        page.mouse.move(x + step * box["width"] / 160, y)
        page.wait_for_timeout(100)
    # Still holding the mouse: the table has followed the drag.
    page.wait_for_function(
        "([table, before]) => table.innerText !== before", arg=[table.element_handle(), start_table], timeout=20_000
    )
    page.mouse.up()
    mu = float(slider.input_value())
    assert mu > tab.DEFAULTS["mu"]
    # After mouse-up every plot, including the estimates (not redrawn during the drag), shows the final μ.
    page.wait_for_function(
        "(eta) => [...document.querySelectorAll('[data-testid=\"plotly\"] .gtitle')]"
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
        "(eta) => [...document.querySelectorAll('[data-testid=\"plotly\"] .gtitle')]"
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
    plot = panel.locator('[data-testid="plotly"]').first
    plot.locator(".main-svg").first.wait_for()
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
        for each_plot in panel.locator('[data-testid="plotly"]').all():
            outer, title = each_plot.bounding_box(), each_plot.locator(".gtitle").bounding_box()
            assert outer["x"] - 1 <= title["x"] and title["x"] + title["width"] <= outer["x"] + outer["width"] + 1
    page.close()
