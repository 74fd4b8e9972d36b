"""scripts/measure_drag.py: its bookkeeping (fast) and one real drag in headless Chromium (slow)."""

import pytest

from scripts import measure_drag as md
from scripts.chromium import open_app


def test_summary_counts_distinct_table_states_and_the_last_redraw_after_mouse_up():
    log = {
        "inputs": [{"t": 100, "v": "1.05"}, {"t": 200, "v": "1.1"}, {"t": 300, "v": "1.1"}, {"t": 2500, "v": "9"}],
        "tables": [
            {"t": 50, "i": 0, "text": "before the drag"},
            {"t": 250, "i": 0, "text": "a"},
            {"t": 255, "i": 1, "text": "x"},  # another table: counted on its own (the busiest table counts)
            {"t": 258, "i": 0, "text": " "},  # emptied before the new content: no state
            {"t": 260, "i": 0, "text": "a"},  # a second mutation of the same state is no new render
            {"t": 400, "i": 0, "text": "b"},
            {"t": 2300, "i": 0, "text": "c"},
        ],
        "plots": [{"t": 420, "i": 0}, {"t": 2450, "i": 1}],
        "long": [{"t": 500, "d": 80}, {"t": 3000, "d": 90}],
    }
    row = md.summarize(log, started=100, released=2100)
    assert row["inputs"] == 2  # distinct values during the drag
    assert row["rendered"] == 2  # "a" and "b", capped at the inputs
    assert row["updates_per_s"] == pytest.approx(2 / 2.0)
    assert row["final_ms"] == pytest.approx(2450 - 2100)
    assert row["long_ms"] == 80 and row["busy"] == pytest.approx(80 / 2000)
    text = md.table([("Gradient estimators", "μ", [row])])
    assert "| Gradient estimators | μ | 2 of 2 | 1.0 | 350 ms | 2.0 s | 80 ms (4%) |" in text


def test_nothing_redrawn_after_mouse_up_means_zero():
    log = {"inputs": [], "tables": [], "plots": [{"t": 50, "i": 0}], "long": []}
    assert md.summarize(log, started=100, released=2100)["final_ms"] == 0


def test_every_slider_label_exists_in_its_tab():
    import gradio as gr

    from demos import divergences, estimators, gradio_seam

    for tab, module in {"Gradient estimators": estimators, "KL vs Cauchy–Schwarz": divergences}.items():
        with gr.Blocks() as blocks:
            module.build()
        labels = {block.label for block in gradio_seam.blocks(blocks) if isinstance(block, gr.Slider)}
        assert {label for t, label in md.SLIDERS if t == tab} <= labels, tab


@pytest.mark.slow
def test_one_real_drag_is_measured(browser, app_url):
    page = browser.new_page(viewport=md.VIEWPORT)
    open_app(page, app_url)
    row = md.drag(page, "Gradient estimators", "μ", profile=True)
    page.close()
    assert row["inputs"] >= 10  # the mouse moved the slider step by step
    assert 1 <= row["rendered"] <= row["inputs"] and row["final_ms"] > 0  # the final view was drawn after mouse-up
    assert row["profile"]["by_script"]  # the CPU profile has samples


def test_write_section_replaces_only_its_own_part(tmp_path):
    path = tmp_path / "live.md"
    md.write_section(path, "after", "table 1")
    md.write_section(path, "before", "table 2")
    path.write_text("# Title\n\nprose\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    md.write_section(path, "after", "table 3")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nprose\n\n<!-- measure_drag:after -->\ntable 3\n<!-- /measure_drag:after -->")
    assert "table 1" not in text and "<!-- measure_drag:before -->\ntable 2\n" in text
