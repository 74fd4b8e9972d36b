"""A new tab is one declaration: a test-only tab (tests/example_tab/, named nowhere else) registered in an app of its
own gets links, language switching, server-side validation, hostile-input, load and screenshot coverage from the
app's own machinery (docs/adding_a_tab.md).
"""

import json
import socket
import urllib.request

import httpx
import pytest

import app
from demos import classroom
from demos.language import CATALOGUES
from scripts.load_test import run_load
from scripts.screenshots import VIEWS, shoot
from tests.example_tab import TAB
from tests.test_hostile_inputs import SCALAR_GARBAGE, call

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def example_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo = app.build_app(tabs=[TAB])
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **app.launch_kwargs())
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_the_tab_is_laid_out_with_its_title_in_both_languages(example_url):
    with urllib.request.urlopen(example_url + "config", timeout=30) as response:
        components = json.load(response)["components"]
    tabs = [c["props"] for c in components if c["type"] == "tabitem"]
    assert [tab["id"] for tab in tabs] == ["example"] and '"tabs.example"' in tabs[0]["label"]
    assert CATALOGUES["en"]["tabs.example"] == "Example" and CATALOGUES["fa"]["tabs.example"] == "نمونه"


def test_a_link_opens_the_tab_with_its_parameter_in_english_and_persian(browser, example_url):
    from scripts.chromium import open_app

    page = browser.new_page()
    open_app(page, f"{example_url}?tab=example&x=3")
    page.get_by_text("The square of 3 is 9.").wait_for(timeout=30_000)
    open_app(page, f"{example_url}?tab=example&x=-1.5&lang=fa")
    page.get_by_role("tab", name="نمونه").wait_for(timeout=30_000)
    page.get_by_text("برابر").wait_for(timeout=30_000)
    assert "2.25" in page.locator("#example-view").inner_text()
    open_app(page, f"{example_url}?tab=example&x=99")  # out of range: clamped, with a notice
    assert page.locator("#example-view").inner_text().startswith("The square of 10 ")
    page.close()


def test_its_presets_are_links_and_its_endpoint_is_linked_by_its_parameter_names(example_url):
    demo = app.build_app(tabs=[TAB])
    linked = classroom.linked_tabs(demo, ["example"])
    assert [control.key for control in linked["example"].controls] == list(TAB.endpoints["example_square"])
    for name, values in TAB.presets.items():
        view = classroom.parse_link({"tab": "example", **{k: str(v) for k, v in values.items()}}, linked)
        assert view.tab == "example" and not view.notices, name
        assert list(view.values.values()) == [values["x"]]


def test_hostile_input_gets_one_sentence_and_the_tab_still_answers(example_url):
    with httpx.Client(timeout=60) as http:
        for value in SCALAR_GARBAGE:
            outcome, message, _ = call(http, example_url, "/example_square", [value])
            assert outcome in ("complete", "error"), (value, outcome, message)
            assert "Traceback" not in message and 'File "' not in message
            if outcome == "error":
                assert (json.loads(message) or {}).get("error"), value  # a sentence for the caller
        outcome, message, _ = call(http, example_url, "/example_square", [3])
        assert outcome == "complete" and "The square of 3 is 9." in message


def test_the_load_test_calls_its_endpoint(example_url):
    result = run_load(example_url, clients=4, rounds=3, cases=TAB.bench_cases)
    assert not result["errors"] and len(result["latencies"]["/example_square (x = 3)"]) == 12


def test_the_screenshots_cover_it(browser, example_url, tmp_path):
    written = shoot(example_url, [TAB.name], tmp_path, browser)
    assert [path.name for path in written] == [f"example-{view}.png" for view in VIEWS]
    assert all(path.stat().st_size > 5_000 for path in written)
