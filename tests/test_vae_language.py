"""The VAE tab and its live section in the page's language: on a Persian page (a request whose Referer has
?lang=fa) the server-made text (plot titles, axes, legends, tables, notes, status lines, error sentences) is
Persian with the same numbers; the public API (no request, or no Referer) answers exactly as before, in English."""

import re

import gradio as gr
import numpy as np
import pandas as pd
import pytest

from demos import bidi, filled, tab_sections
from demos import vae as vae_tab
from demos.language import t
from demos.vae import live_training as vae_live
from models.checkpoints import read_record
from models.vae_pipeline import QUALITY_SAMPLES
from tests.pages import NUMBER, PERSIAN, Page

FA = Page("http://127.0.0.1:7860/?tab=vae&lang=fa")
EN = Page("http://127.0.0.1:7860/?tab=vae")


def plain(text) -> str:
    return bidi.plain(str(text))


def persian(text) -> bool:
    return bool(PERSIAN.search(plain(text)))


def numbers(text: str) -> list[str]:
    return NUMBER.findall(plain(text))


def vae(key: str, **values) -> str:
    """A catalogue string as a reader sees it (its direction marks left out, as `plain` leaves them out)."""
    return plain(t(f"vae.{key}", "fa", **values))


def live(key: str, **values) -> str:
    return plain(t(f"vae_live.{key}", "fa", **values))


def figure_texts(figure) -> tuple:
    layout = figure.layout
    return (
        layout.title.text,
        layout.xaxis.title.text,
        layout.yaxis.title.text,
        layout.legend.title.text,
        [trace.name for trace in figure.data],
    )


# --- VAE tab -----------------------------------------------------------------------------------------------------


def test_metrics_table_on_a_persian_page_has_persian_rows_and_headers_and_the_apis_numbers():
    english = vae_tab.vae_metrics("cs", QUALITY_SAMPLES, 0)
    assert english == vae_tab.vae_metrics("cs", QUALITY_SAMPLES, 0, request=EN)  # an English page: as the API
    assert [row[0] for row in english] == list(vae_tab.METRIC_ROWS)  # the API's table, unchanged
    table = vae_tab.vae_metrics("cs", QUALITY_SAMPLES, 0, request=FA)
    assert isinstance(table, pd.DataFrame)
    assert [plain(header) for header in table.columns] == [vae("metrics_header_metric"), vae("metrics_header_value")]
    names = [plain(name) for name in table.iloc[:, 0]]
    assert names == [vae(vae_tab.METRIC_KEYS[row]) for row in vae_tab.METRIC_ROWS]
    assert sum(persian(name) for name in names) >= 6  # FID/IS of samples, precision, recall, PPL, its error
    assert table.iloc[:, 1].tolist() == [value for _, value in english]


def test_prd_and_latent_map_figures_follow_the_page_and_keep_their_data():
    english, figure = (
        vae_tab.metrics_plot("kl", QUALITY_SAMPLES, 0),
        vae_tab.metrics_plot("kl", QUALITY_SAMPLES, 0, request=FA),
    )
    assert figure_texts(english)[:3] == (
        "PRD curve of the samples against the test digits (Sajjadi et al. 2018)",
        "recall β",
        "precision α",
    )
    assert [plain(text) for text in figure_texts(figure)[:3]] == [
        vae("prd_title"),
        vae("prd_recall"),
        vae("prd_precision"),
    ]
    assert all(persian(text) for text in figure_texts(figure)[:3])
    assert figure.data[0].x == english.data[0].x and figure.data[0].y == english.data[0].y

    state = vae_tab.loaded()
    english, figure = vae_tab.latent_map_figure(state.latent_map), vae_tab.latent_map_figure(state.latent_map, "fa")
    assert figure_texts(english)[0::3] == ("μ(x) of the 2,000 test digits, coloured by label", "digit")
    assert plain(figure.layout.title.text) == vae("latent_map_title") and persian(figure.layout.title.text)
    assert plain(figure.layout.legend.title.text) == vae("digit")
    assert all(
        np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y) for a, b in zip(english.data, figure.data, strict=True)
    )


def test_homework_terms_table_in_persian_has_the_same_numbers():
    _, _, _, english = vae_tab.homework_q2b(7)
    _, _, _, table = vae_tab.homework_q2b(7, FA)
    assert [plain(h) for h in table.columns] == [vae(key) for key in vae_tab.TERMS_HEADERS]
    assert all(persian(header) for header in table.columns)
    assert plain(table.iloc[1, 0]) == vae("term_log_likelihood") and english[1][0] == "log p(x) (IWAE estimate)"
    assert table.iloc[:, 1:].values.tolist() == [row[1:] for row in english]


def test_metric_presets_on_a_persian_page_show_the_persian_table():
    *_, table, figure, _ = vae_tab.homework_kl(FA)
    assert persian(table.columns[0]) and persian(figure.layout.title.text)
    in_english = vae_tab.vae_metrics("kl", QUALITY_SAMPLES, 0, "normal")
    assert table.iloc[:, 1].tolist() == [value for _, value in in_english]


def test_number_tables_and_formulas_in_persian_quote_the_same_numbers():
    state = vae_tab.loaded()
    pairs = [
        (vae_tab.likelihood_markdown(state.records), vae_tab.likelihood_markdown(state.records, "fa")),
        (
            vae_tab.transposed_conv_markdown(state.models["kl"]),
            vae_tab.transposed_conv_markdown(state.models["kl"], "fa"),
        ),
        (vae_tab.overlap_markdown(4, 2), vae_tab.overlap_markdown(4, 2, "fa")),
    ]
    for english, persian_text in pairs:
        assert not persian(english) and persian(persian_text)
        assert numbers(english) == numbers(persian_text)
    assert plain(pairs[0][1].splitlines()[0]) == vae("likelihood_header")
    assert vae("transposed_legend") in plain(pairs[1][1])
    assert pairs[0][0].startswith("| model | latent | regularizer, λ | test −ELBO (nats) |")  # English as before


def test_homework_sentences_built_from_the_records_are_persian_in_the_persian_text():
    records = {name: read_record(name) for name in ("vae_kl", "vae_kl_prior", "vae_cs", "vae_cs_prior", "vae_kl_2d")}
    values = vae_tab.facts(records, vae_tab.sanity_record())
    answer = filled(tab_sections("vae", "homework", "fa")["q3_is_answer"], values)
    assert "{{" not in answer
    assert values["sanity_one_class_fa"] in answer and values["sanity_collapse_fa"] in answer
    assert persian(values["sanity_one_class_fa"]) and persian(values["sanity_collapse_fa"])
    assert not persian(values["sanity_one_class"]) and values["sanity_one_class"] not in answer
    assert numbers(values["sanity_collapse"]) == numbers(values["sanity_collapse_fa"])
    rows = {row["key"]: row for row in vae_tab.sanity_record()["rows"]}
    one = rows["class_1_only"]
    assert values["sanity_one_class"] == (  # the English text as before
        f"{one['images']:,} training digits of class 1 alone score IS {one['IS']:.2f} "
        f"(FID {one['FID']:.0f}, recall {one['recall']:.2f})"
    )


@pytest.mark.parametrize(
    ("call", "english"),
    [
        (lambda request: vae_tab.vae_sample("kl", 0, 1.0, 0, request=request), "n must be in [1, 64], got 0."),
        (lambda request: vae_tab.vae_traverse("cs", 2000, 3.0, request), "digit_index must be in [0, 1999], got 2000."),
        (
            lambda request: vae_tab.vae_metrics("KL", 2000, 0, request=request),
            "model must be one of 'kl', 'cs'; got 'KL'.",
        ),
        (lambda request: vae_tab.reconstructions("kl", -1, request), "seed must be in [0, 2.14748e+09], got -1."),
        (lambda request: vae_tab.homework_q2b(5000, request), "digit_index must be in [0, 1999], got 5000."),
        (lambda request: vae_tab.interpolation("kl", 0, 2000, request), "second digit must be in [0, 1999], got 2000."),
    ],
)
def test_error_sentences_are_persian_on_a_persian_page_and_english_for_the_api(call, english):
    for request in (None, EN):
        with pytest.raises(gr.Error) as raised:
            call(request)
        assert raised.value.message == english
    with pytest.raises(gr.Error) as raised:
        call(FA)
    assert persian(raised.value.message)
    assert numbers(raised.value.message) == numbers(english)
    assert "second digit" not in raised.value.message  # the interpolation names its digits in Persian


# --- Live section ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def snapshot():
    session = vae_live.LiveSession("cs", 0.5, 0)
    return session.advance(vae_live.CHUNK_STEPS)


def test_live_figures_follow_the_page_and_keep_their_data(snapshot):
    english, figure = vae_live.loss_figure(snapshot), vae_live.loss_figure(snapshot, "fa")
    assert (english.layout.title.text, english.layout.xaxis.title.text) == ("Training losses (nats per digit)", "epoch")
    assert [trace.name for trace in english.data] == ["reconstruction", "KL", "D_CS"]
    assert plain(figure.layout.title.text) == live("loss_title") and persian(figure.layout.title.text)
    assert plain(figure.layout.xaxis.title.text) == live("epoch_axis")
    assert plain(figure.data[0].name) == live("reconstruction")
    assert [trace.y for trace in figure.data] == [trace.y for trace in english.data]

    english, figure = vae_live.map_figure(snapshot), vae_live.map_figure(snapshot, "fa")
    assert re.fullmatch(r"μ\(x\), epoch 0\.1 · \d+ of 1,000 outside", english.layout.title.text)
    assert english.layout.legend.title.text == "digit"
    assert persian(figure.layout.title.text) and plain(figure.layout.legend.title.text) == live("digit")
    assert numbers(figure.layout.title.text) == numbers(english.layout.title.text)


def test_live_status_lines_follow_the_page_with_the_same_numbers(snapshot):
    english = vae_live.status_markdown(snapshot, "")
    assert english.startswith("**Epoch 0.1** (8 steps) · training on −log p(x|z) + 0.5·D_CS · last update: ")
    status = vae_live.status_markdown(snapshot, "", "fa")
    assert persian(status) and numbers(status) == numbers(english)

    session, *_, status = vae_live.reset("cs", 2.0, 5, FA)
    assert plain(status).endswith(live("reset")) and "2·D_CS" in status
    assert plain(vae_live.change_objective(session, "kl", 0.5, FA)) == plain(
        live("objective_changed", objective=live("objective", lam=0.5, regularizer="KL"))
    )
    assert "0.5·KL" in vae_live.change_objective(session, "kl", 0.5, FA)
    assert plain(vae_live.paused(session, FA)) == live("paused", epoch=0.0)
    assert vae_live.paused(session, EN) == "**Epoch 0.0** · paused."  # an English page: as before


def test_play_and_step_speak_the_pages_language(monkeypatch):
    monkeypatch.setattr(vae_live, "PLAY_SECONDS", 0)
    *_, status = next(vae_live.play(None, "kl", 1.0, 0, FA))
    assert plain(status).endswith(live("paused_after", seconds=0))
    *_, loss, _, _, status = next(vae_live.step_epoch(None, "kl", 1.0, 0, FA))
    assert plain(status).endswith(live("stepping")) and persian(loss.layout.title.text)


def test_live_error_sentences_are_persian_on_a_persian_page():
    session = vae_live.LiveSession("kl", 1.0, 0)
    with pytest.raises(gr.Error) as raised:
        vae_live.change_objective(session, "kl", 7)
    assert raised.value.message == "lam must be in [0, 5], got 7."
    with pytest.raises(gr.Error) as raised:
        vae_live.change_objective(session, "kl", 7, FA)
    assert persian(raised.value.message) and numbers(raised.value.message) == ["0", "5", "7"]
    with pytest.raises(gr.Error) as raised:
        vae_live.reset("kl", 1.0, -1, FA)
    assert persian(raised.value.message)


# --- What a Persian page shows on load ---------------------------------------------------------------------------


def load_event(demo: gr.Blocks, outputs: int):
    """The tab's own load event that redraws what it built in the page's language (known by its outputs)."""
    from demos.gradio_seam import events

    return next(
        block_fn
        for block_fn in events(demo)
        if block_fn.name == "page_language_views"
        and len(block_fn.outputs) == outputs
        and [target[1] for target in block_fn.targets] == ["load"]
    )


def test_live_section_redraws_its_first_views_in_persian_on_load():
    with gr.Blocks() as demo:
        vae_live.build()
    event = load_event(demo, 4)
    assert event.fn(None) == event.fn(EN) == (gr.skip(),) * 4  # English pages keep what was built
    radio, loss, figure, status = event.fn(FA)
    assert [plain(label) for label, _ in radio.choices] == [live("regularizer_kl"), live("regularizer_cs")]
    assert persian(loss.layout.title.text) and persian(figure.layout.title.text)
    assert plain(status).endswith(live("untrained"))


def test_vae_tab_redraws_its_first_views_in_persian_on_load():
    with gr.Blocks() as demo:
        vae_tab.build()
    event = load_event(demo, 9)
    assert event.fn(None) == event.fn(EN) == [gr.skip()] * 9
    latent, table, prd, likelihood, encoder, transposed, overlap_4, overlap_3, terms = event.fn(FA)
    assert persian(latent.layout.title.text) and persian(prd.layout.title.text)
    assert table.iloc[:, 1].tolist() == [value for _, value in vae_tab.vae_metrics("kl", QUALITY_SAMPLES, 0)]
    assert all(persian(text) for text in (likelihood, encoder, transposed, overlap_4, overlap_3))
    assert [plain(header) for header in terms.columns] == [vae(key) for key in vae_tab.TERMS_HEADERS]
    link = Page("http://127.0.0.1:7860/?tab=vae&model=cs&lang=fa")
    link.query_params = {"tab": "vae", "model": "cs", "lang": "fa"}  # (Gradio's client sends the page's query)
    _, table, prd, *_ = event.fn(link)
    assert table == prd == gr.skip()  # the link's model.change draws the CS-VAE's metrics, in Persian
    link.query_params = {"tab": "vae", "prior": "normal", "lang": "fa"}
    _, table, prd, *_ = event.fn(link)
    assert table == prd == gr.skip()  # and a link to the other prior: its prior.change


# --- Through the server ------------------------------------------------------------------------------------------


def test_through_the_server_a_persian_page_gets_persian_and_the_api_client_english(app_url, client):
    """Gradio passes the request to the event: the page's Referer makes it Persian; gradio_client sends none."""
    import json

    import httpx

    with httpx.Client(base_url=app_url + "gradio_api/", timeout=120) as http:
        page = {"referer": app_url + "?tab=vae&lang=fa"}
        call = {"data": ["kl", QUALITY_SAMPLES, 0, "mixture"]}
        event = http.post("call/vae_metrics", json=call, headers=page).json()
        lines = http.get(f"call/vae_metrics/{event['event_id']}").text.splitlines()
    (table,) = json.loads(next(line for line in reversed(lines) if line.startswith("data:"))[5:])
    assert [plain(header) for header in table["headers"]] == [vae("metrics_header_metric"), vae("metrics_header_value")]
    english = client.predict(model="kl", n=QUALITY_SAMPLES, seed=0, api_name="/vae_metrics")
    assert english["headers"] == ["metric", "value"] and english["data"][0][0] == "FID samples"
    assert [row[1] for row in table["data"]] == [row[1] for row in english["data"]]
