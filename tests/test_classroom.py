"""Classroom: every view is a link, lecture mode on a 1280×720 projector, Persian (right to left) and English.

The parsing of links is tested directly; the rest drives the real page in headless Chromium.
"""

import json
import math
import re

import gradio as gr
import pytest

import app
from demos import TEXTS_DIR, bidi, catalogue_folders, classroom, gradio_seam
from demos.language import CATALOGUES, component_strings, key_of, request_language, t, tab_of, translate

ENGLISH_TEXT_FILES = sorted(path for folder in catalogue_folders().values() for path in folder.glob("*.en.md"))


@pytest.fixture(scope="module")
def linked():
    demo = app.build_app()
    return classroom.linked_tabs(demo, [tab.name for tab in app.TABS])


@pytest.mark.slow  # builds the whole app
def test_every_tab_links_its_public_parameters(linked):
    keys = {name: [control.key for control in tab.controls] for name, tab in linked.items()}
    assert keys["estimators"] == ["f", "m", "mu", "n", "repeats", "seed"]
    assert keys["divergences"] == ["mu1", "sigma1", "mu2", "sigma2", "mixture", "mu3", "sigma3", "weight"]
    assert {"model", "n", "temperature", "seed", "digit_index", "span"} <= set(keys["vae"])
    assert {"model", "stochastic", "seed"} <= set(keys["pix2pix"])


@pytest.mark.slow
def test_a_link_clamps_or_ignores_bad_values_with_one_notice_each(linked):
    view = classroom.parse_link({"tab": "divergences", "mu1": "2", "sigma1": "0.01", "mu2": "x", "foo": "1"}, linked)
    assert view.tab == "divergences"
    values = {control.key: view.values.get(id(control.component)) for control in linked["divergences"].controls}
    assert values["mu1"] == 2 and values["sigma1"] == pytest.approx(0.1) and values["mu2"] is None
    assert len(view.notices) == 3 and any("0.01" in notice for notice in view.notices)


@pytest.mark.slow
def test_unknown_tab_and_reserved_keys(linked):
    view = classroom.parse_link({"tab": "nope", "lang": "fa", "lecture": "1"}, linked)
    assert view.tab is None and not view.values and len(view.notices) == 1
    assert classroom.parse_link({"mu": "1"}, linked).tab == "estimators"  # no tab: the first one, as the page opens


@pytest.mark.parametrize(
    ("component", "text", "value"),
    [
        (gr.Checkbox(label="c"), "true", True),
        (gr.Checkbox(label="c"), "0", False),
        (gr.Checkbox(label="c"), "maybe", None),
        (gr.Radio(["kl", "cs"], label="r"), "cs", "cs"),
        (gr.Radio(["kl", "cs"], label="r"), "KL", None),
        (gr.Slider(-5, 5, label="s"), "nan", None),
        (gr.Slider(-5, 5, label="s"), "1e9", 5),
        (gr.Number(precision=0, label="n"), "12.7", 13),
    ],
)
def test_values_are_parsed_like_the_control_would_take_them(component, text, value):
    assert classroom.parse_value(component, text)[0] == value


def test_every_english_key_and_text_has_a_persian_translation():
    assert set(CATALOGUES["en"]) == set(CATALOGUES["fa"]), set(CATALOGUES["en"]) ^ set(CATALOGUES["fa"])
    assert all(CATALOGUES["fa"][key].strip() for key in CATALOGUES["fa"])
    missing = [str(path) for path in ENGLISH_TEXT_FILES if not path.with_name(path.name[:-6] + ".fa.md").is_file()]
    assert not missing, f"no Persian translation of {missing}"


@pytest.mark.slow  # builds the whole app
def test_every_string_the_app_shows_is_in_the_catalogue():
    """A new label, button or note that nobody catalogued would stay English on the Persian page."""
    demo = app.build_app()
    missing = sorted({text for block, _, text in component_strings(demo) if key_of(text, tab_of(block)) is None})
    assert not missing, f"run `python -m scripts.extract_ui_strings` and translate: {missing[:10]}"


def test_persian_texts_keep_every_formula_of_the_english_ones():
    """A translator translates words, not maths: the same display formulas, in the same order."""
    for path in ENGLISH_TEXT_FILES:
        persian = path.with_name(path.name[:-6] + ".fa.md")
        if persian.is_file():
            formulas = [re.findall(r"\$\$(.+?)\$\$", p.read_text(), re.DOTALL) for p in (path, persian)]
            assert formulas[0] == formulas[1], path


class FakeRequest:
    def __init__(self, query=None, referer=""):
        self.query_params = query or {}
        self.headers = {"referer": referer}


def test_server_text_follows_the_page_language_and_the_api_keeps_english():
    assert request_language(FakeRequest({"lang": "fa"})) == "fa"
    assert request_language(FakeRequest(referer="http://x/?tab=vae&lang=fa")) == "fa"
    assert request_language(FakeRequest(referer="http://x/?lang=de")) == "en"
    assert request_language(FakeRequest()) == "en"  # gradio_client sends no Referer
    assert request_language(None) == "en"


# ---------------------------------------------------------------------------------------------------------------
# In the browser


def open_page(browser, url: str, **context):
    page = browser.new_context(**context).new_page()
    page.goto(url, wait_until="load", timeout=120_000)
    page.locator("[role=tab]").first.wait_for(timeout=120_000)
    page.wait_for_timeout(1500)  # the load events: link, language
    return page


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def panel_numbers(page) -> list[float]:
    """Every number written in the visible tab (tables, notes), as the student reads them."""
    return [float(match) for match in NUMBER.findall(page.locator("[role=tabpanel]:visible").first.inner_text())]


def shows(numbers: list[float], value: float) -> bool:
    return any(math.isclose(value, shown, rel_tol=1e-5, abs_tol=1e-9) for shown in numbers)


def wait_until_shown(page, values: list[float], timeout_s: float = 90) -> None:
    for _ in range(int(timeout_s * 2)):
        numbers = panel_numbers(page)
        missing = [value for value in values if not shows(numbers, value)]
        if not missing:
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"the page never showed {missing[:5]} (it shows {numbers[:40]})")


def table_values(table: dict) -> list[float]:
    return [
        float(cell) for row in table["data"] for cell in row if isinstance(cell, (int, float)) and math.isfinite(cell)
    ]


@pytest.mark.parametrize(
    ("tab", "endpoint", "params"),
    [
        ("divergences", "/divergences", {"mu1": 2, "sigma1": 0.5, "mu2": -1, "sigma2": 1.5}),
        ("estimators", "/estimators", {"f": "cosine", "m": 1.5, "mu": -0.5, "n": 30, "repeats": 50, "seed": 7}),
        ("vae", "/vae_metrics", {"model": "cs", "prior": "normal"}),
    ],
)
def test_a_link_reproduces_the_api_table(browser, app_url, client, tab, endpoint, params):
    answer = client.predict(**params, api_name=endpoint)
    expected = table_values(answer[-1] if isinstance(answer, (list, tuple)) else answer)
    query = "&".join(f"{key}={value}" for key, value in params.items())
    page = open_page(browser, f"{app_url}?tab={tab}&{query}")
    page.locator(f"[role=tab][aria-selected=true][data-tab-id={tab}]").wait_for(timeout=60_000)
    wait_until_shown(page, expected)
    page.context.close()


def test_copy_link_opens_the_same_view(browser, app_url, client):
    expected = table_values(client.predict(mu1=1.5, sigma1=1, mu2=1.5, sigma2=2, api_name="/divergences")[-1])
    page = open_page(browser, f"{app_url}?tab=divergences&mu1=1.5&sigma2=2")
    wait_until_shown(page, expected)
    page.locator("[role=tabpanel]:visible").get_by_role("button", name=re.compile("Copy link")).click()
    link_box = page.locator(
        "[role=tabpanel]:visible .gml-link-row textarea, [role=tabpanel]:visible .gml-link-row input"
    )
    for _ in range(40):
        link = link_box.first.input_value()
        if link:
            break
        page.wait_for_timeout(250)
    assert "tab=divergences" in link and "mu1=1.5" in link and "sigma2=2" in link
    again = open_page(browser, link)
    again.locator("[role=tab][aria-selected=true][data-tab-id=divergences]").wait_for(timeout=60_000)
    wait_until_shown(again, expected)
    page.context.close()
    again.context.close()


def test_persian_page_runs_right_to_left_with_formulas_left_to_right(browser, app_url):
    page = open_page(browser, f"{app_url}?lang=fa&tab=divergences")  # tab 1 starts with its texts collapsed
    persian_titles = [CATALOGUES["fa"][f"tabs.{tab.name}"] for tab in app.TABS]
    page.get_by_role("tab", name=persian_titles[-1]).wait_for(timeout=60_000)
    assert page.locator("[role=tab]").all_inner_texts() == persian_titles
    persian = page.locator("[role=tabpanel]:visible .prose").filter(has_text=re.compile("[\u0600-\u06ff]"))
    prose = persian.filter(has=page.locator(".katex")).first  # Persian text with a formula inside
    prose.wait_for(state="attached", timeout=30_000)  # (a collapsed explanation is attached, not visible)
    assert prose.evaluate("e => getComputedStyle(e).direction") == "rtl"
    formula = prose.locator(".katex").first
    assert formula.evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert page.evaluate("document.fonts.check('16px Vazirmatn', 'سلام')")
    # The tab's charts are SVG drawn by the server: their numbers (−4, 0.05) read left to right too.
    chart = page.locator("[role=tabpanel]:visible svg[role=img]").first
    assert chart.evaluate("e => getComputedStyle(e.querySelector('text')).direction") == "ltr"
    page.context.close()


def test_a_persian_page_shows_persian_choice_labels_and_sends_the_same_values(browser, app_url):
    """A Radio's labelled choices come from the catalogue; the value an event sends is the API value."""
    from demos import vae as vae_tab

    page = open_page(browser, f"{app_url}?lang=fa&tab=vae")
    for label in vae_tab.PRIORS.values():
        page.get_by_text(translate(label, "fa"), exact=True).wait_for(timeout=60_000)
    samples = page.locator("[role=tabpanel]:visible img").first
    before = samples.get_attribute("src")
    page.get_by_text(translate(vae_tab.PRIORS["normal"], "fa"), exact=True).click()
    for _ in range(120):  # the event sent "normal", which its validator accepts: new samples, no error
        if samples.get_attribute("src") != before:
            break
        page.wait_for_timeout(250)
    assert samples.get_attribute("src") != before
    assert page.locator('[data-testid="toast-body"]').count() == 0
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_on_a_phone_every_tab_is_one_tap_away_and_no_page_scrolls_sideways(browser, app_url, lang):
    phone = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
    page = open_page(browser, f"{app_url}?lang={lang}", **phone)
    for tab in app.TABS:
        button = page.locator(f"[role=tab][data-tab-id={tab.name}]")
        assert button.is_visible(), f"tab {tab.name} hides behind a menu"  # visible in the bar: one tap
        button.tap()
        page.locator(f"[role=tab][aria-selected=true][data-tab-id={tab.name}]").wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        width, screen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= screen, f"{tab.name} ({lang}) scrolls sideways on a phone: {width} > {screen}"
    page.context.close()


@pytest.mark.parametrize("tab", [tab.name for tab in app.TABS])
def test_lecture_mode_is_larger_and_never_wider_than_a_projector(browser, app_url, tab):
    sizes = {}
    for lecture in ("0", "1"):
        page = open_page(browser, f"{app_url}?tab={tab}&lecture={lecture}", viewport={"width": 1280, "height": 720})
        page.wait_for_timeout(1500)
        panel = page.locator("[role=tabpanel]:visible")
        font_size = "e => parseFloat(getComputedStyle(e).fontSize)"
        prose = panel.locator(".prose p, .prose li")
        # body text: the tab's prose where it is drawn (explanations start collapsed), else the tab bar's labels
        text = (prose if prose.count() else page.locator("[role=tab]")).first.evaluate(font_size)
        ticks = panel.locator(".xtick text")
        if panel.locator(".js-plotly-plot").count():
            ticks.first.wait_for(state="attached", timeout=60_000)
        tick = ticks.first.evaluate(font_size) if ticks.count() else None
        sizes[lecture] = [text, tick, *page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")]
        page.context.close()
    (text_off, tick_off, _, _), (text_on, tick_on, width, screen) = sizes["0"], sizes["1"]
    assert text_on >= 1.3 * text_off, json.dumps(sizes)
    if tick_off:
        assert tick_on >= 1.3 * tick_off, json.dumps(sizes)
    assert width <= screen, f"lecture mode overflows horizontally on {tab}: {width} > {screen}"


def test_every_tab_string_has_a_persian_translation_with_the_same_placeholders():
    placeholder = re.compile(r"\{(\w*)[^{}]*\}")
    files = sorted(folder / "strings.en.json" for folder in catalogue_folders().values())
    for english_path in files:
        english = json.loads(english_path.read_text(encoding="utf-8"))
        persian = json.loads(english_path.with_name("strings.fa.json").read_text(encoding="utf-8"))
        assert set(english) == set(persian), f"{english_path.parent.name}: keys differ {set(english) ^ set(persian)}"
        for key, text in english.items():
            assert sorted(placeholder.findall(text)) == sorted(placeholder.findall(persian[key])), key


@pytest.mark.slow  # builds the whole app
def test_every_preset_link_sets_exactly_the_presets_values(linked):
    from urllib.parse import parse_qsl, urlparse

    from scripts.preset_links import document, preset_link, presets

    rows = presets()
    assert {tab for tab, _, _ in rows} == {tab.name for tab in app.TABS if tab.presets}
    for tab, name, values in rows:
        query = dict(parse_qsl(urlparse(preset_link(tab, values)).query))
        view = classroom.parse_link(query, linked)
        assert view.tab == tab and not view.notices, (name, view.notices)
        by_key = {control.key: id(control.component) for control in linked[tab].controls}
        assert {key: view.values[by_key[key]] for key in values} == pytest.approx(values), name
    assert (TEXTS_DIR.parent.parent / "docs" / "presets.md").read_text(encoding="utf-8") == document(), (
        "docs/presets.md is stale: run python -m scripts.preset_links"
    )


# ---------------------------------------------------------------------------------------------------------------
# Link notices and the first view in the page's language

PERSIAN = re.compile(r"[\u0600-\u06FF]")


def test_link_notices_keep_todays_english_and_follow_a_persian_page():
    from demos import bidi
    from demos.language import UI

    slider = gr.Slider(-5, 5, label="s")
    assert classroom.parse_value(slider, "1e9")[1] == "“s” was 1e+09, outside its range: set to 5."
    assert classroom.parse_value(slider, "x")[1] == "“s” takes a number; ignored “x”."
    assert classroom.parse_value(gr.Checkbox(label="c"), "maybe")[1] == "“c” takes true or false; ignored “maybe”."
    assert classroom.parse_value(gr.Radio(["kl", "cs"], label="r"), "KL")[1] == "“r” is one of kl, cs; ignored “KL”."
    value, persian = classroom.parse_value(slider, "1e9", "fa")
    assert value == 5 and PERSIAN.search(persian)
    assert bidi.ltr("1e+09", "fa") in persian and bidi.ltr("5", "fa") in persian  # numbers stay left to right
    # a catalogued label is named as the page shows it, not as the catalogue's key
    seed = gr.Number(label=UI("estimators.ui.seed"), precision=0)
    assert classroom.parse_value(seed, "many")[1] == "“seed” takes a number; ignored “many”."
    assert CATALOGUES["fa"]["estimators.ui.seed"] in classroom.parse_value(seed, "many", "fa")[1]


def small_linked_app():
    """One tab whose view takes the request (it says which language it drew in) and a public endpoint."""

    def view(x, detail=False, request: gr.Request = None):  # (the request after a parameter the event leaves out)
        if x > 0.9:
            from demos.validation import Sentence

            raise Sentence("validation", "out_of_range", name="x", range="[0, 0.9]", got=f"{x:g}")
        return f"{x:g} {request_language(request)}"

    with gr.Blocks() as demo:
        with gr.Tabs() as tabs_block, gr.Tab("t", id="t"):
            x = gr.Slider(0, 1, label="x")
            shown = gr.Markdown()
            x.input(view, x, shown)
            gr.Button(visible=False).click(lambda x: x, x, shown, api_name="t", api_visibility="public")
        notice, lecture = gr.Markdown(visible=False), gr.Checkbox()
        tabs = classroom.linked_tabs(demo, ["t"])
        classroom.wire_links(demo, tabs_block, tabs, notice, lecture)
    functions = {event.fn.__name__: event.fn for event in gradio_seam.events(demo) if event.fn is not None}
    return functions["apply"], functions["rerun"]


def test_a_persian_page_redraws_its_tabs_in_persian_on_load_and_says_its_notices_in_persian():
    load, rerun = small_linked_app()
    # a Persian page without a link: no notice, and the view is drawn again in Persian
    fa = FakeRequest({"lang": "fa"})
    _, notice, _, state, _ = load(fa)
    assert notice.visible is False and state == {"tab": None, "lang": "fa"}
    assert rerun(fa, state, 0.5) == (gr.skip(), "0.5 fa")
    # an English page without a link: nothing to redraw
    en = FakeRequest({})
    _, _, _, state, _ = load(en)
    assert rerun(en, state, 0.5) == (gr.skip(), gr.skip())
    # a Persian link with a clamped value: its notice in Persian, the view drawn with the request
    linked = FakeRequest({"lang": "fa", "tab": "t", "x": "7"})
    _, notice, _, state, value = load(linked)
    assert PERSIAN.search(notice.value) and "7" in notice.value and value["value"] == 1
    said, _ = rerun(linked, state, 1.0)
    assert said.value.startswith(t("classroom.not_used", "fa", error="")[:10]) and "0.9" in said.value
    assert PERSIAN.search(said.value.split(":", 1)[1])  # the view's own sentence, in Persian too
    english = FakeRequest({"tab": "t", "x": "7"})
    _, notice, _, state, _ = load(english)
    assert notice.value == "“x” was 7, outside its range: set to 1."
    said, _ = rerun(english, state, 1.0)
    assert said.value == "The link's values were not used: x must be in [0, 0.9], got 1."


def wait_for_text(locator, pattern, timeout_s: float = 60) -> str:
    for _ in range(int(timeout_s * 4)):
        text = (locator.first.text_content() or "") if locator.count() else ""  # (SVG text has no inner_text)
        text = bidi.plain(text)  # as a reader sees it: no direction marks, no-break spaces as spaces
        if pattern.search(text):
            return text
        locator.page.wait_for_timeout(250)
    raise AssertionError(f"never matched {pattern.pattern}: {text!r}")


def test_a_persian_page_opens_with_persian_plots_tables_and_error_sentences(browser, app_url):
    """What the server draws follows the page: charts and tables of a tab opened by the link, those of a tab
    opened later by a tap (drawn on load while hidden), and an error sentence."""
    page = open_page(browser, f"{app_url}?lang=fa&tab=divergences")
    panel = page.locator("[role=tabpanel]:visible")
    wait_for_text(panel.locator("th"), PERSIAN)  # the table's headers
    wait_for_text(panel.locator("b").filter(has_text="(a)"), PERSIAN)  # chart (a)'s title
    # a preset button (a click event of its own, with the request): its case, still in Persian
    panel.get_by_text(
        CATALOGUES["fa"]["divergences.ui.homework_questions"], exact=True
    ).first.click()  # the homework accordion
    panel.get_by_role(
        "button", name=CATALOGUES["fa"]["divergences.preset.equal_variances"]
    ).click()  # equal variances: D_CS = KL/2
    ratio = wait_for_text(
        panel.locator("p").filter(has_text=re.compile(r"D_CS\W+min\W+KL")), re.compile("= 0.5(?![0-9])")
    )
    assert PERSIAN.search(ratio)
    page.get_by_role("tab", name=CATALOGUES["fa"]["tabs.estimators"]).click()
    wait_for_text(page.locator("#estimators-by_n b"), PERSIAN)  # the chart's title
    wait_for_text(page.locator("[role=tabpanel]:visible .table-wrap th, [role=tabpanel]:visible th"), PERSIAN)
    seed = page.locator("[role=tabpanel]:visible input[type=number]").last  # the seed box
    seed.fill("-1")
    seed.press("Enter")
    toast = wait_for_text(page.locator('[data-testid="toast-body"]'), PERSIAN)
    assert "seed" in toast and "-1" in toast
    page.context.close()


def test_link_keys_are_unique_within_a_tab_and_a_named_case_control_is_linked():
    """Two endpoints of one tab sharing a parameter name: the second is reached as `<endpoint>.<name>`; a control
    tagged with a link key (a named case, not an API parameter) is linked under that key. (Fast: a tiny app.)"""

    def first(n, seed):
        return n

    def second(n, model):
        return n

    with gr.Blocks() as demo, gr.Tabs(), gr.Tab("T", id="t"):
        n1, seed, n2 = gr.Number(1), gr.Number(0), gr.Slider(1, 10)
        model, case = gr.Radio(["a", "b"]), gr.Radio(["x", "y"])
        gradio_seam.tag(case, "link_key", "drawing")
        out = gr.Number()
        gr.Button().click(first, [n1, seed], out, api_name="first")
        gr.Button().click(second, [n2, model], out, api_name="second")
    keys = [control.key for control in classroom.linked_tabs(demo, ["t"])["t"].controls]
    assert keys == ["n", "seed", "second.n", "model", "drawing"]
    assert len(keys) == len(set(keys))
