"""The VAE tab's live training: the small 2-D VAE and its trainer, the views, validation and the streaming API."""

import json
import math
import socket
import time

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from demos.vae import live_training as vae_live
from demos.validation import UNEXPECTED_ERROR
from models.divergences import cs_to_standard_normal, kl_to_standard_normal
from models.mnist import load_mnist
from models.vae_live import (
    LiveTrainer,
    LiveVAE,
    latent_grid,
    loss_terms,
    map_subset,
    objective,
    untrained_snapshot,
)
from scripts.loopback import loopback_client


@pytest.fixture(scope="module")
def digits():
    train_images, _ = load_mnist("train")
    map_images, map_labels = map_subset(*load_mnist("test"), 200)
    return train_images[:2000], map_images, map_labels


def small_trainer(digits, **kwargs) -> LiveTrainer:
    return LiveTrainer(*digits, hidden=64, **kwargs)


@pytest.mark.slow  # 200 steps: about 9 s on the loaded 2-core machine
def test_training_lowers_the_objective(digits, one_thread):
    trainer = small_trainer(digits, seed=0)
    held_out = digits[1]  # the map's test digits, never trained on

    def objective_per_digit():  # the same ε for both evaluations, so the difference is the training's alone
        with torch.no_grad():
            return objective(loss_terms(trainer.model, held_out, torch.Generator().manual_seed(1)), "kl", 1.0)

    before = objective_per_digit()
    trainer.advance(200)
    drop = before - objective_per_digit()
    assert drop.mean() > 4 * drop.std() / math.sqrt(len(drop))
    assert trainer.history[-1].loss < 0.8 * before.mean()


def test_an_update_stops_early_when_its_time_is_up(digits):
    trainer = small_trainer(digits)
    snapshot = trainer.advance(1000, seconds=0)
    assert snapshot.step == 1 and len(snapshot.history) == 1  # at least one step, then the time is up


def known_posterior_model(mu, logvar) -> LiveVAE:
    """A VAE whose encoder outputs (mu, logvar) for every input: zero weights, the posterior in the bias."""
    model = LiveVAE(hidden=8)
    with torch.no_grad():
        model.encoder[-1].weight.zero_()
        model.encoder[-1].bias.copy_(torch.tensor([*mu, *logvar]))
    return model


def test_regularizers_match_the_closed_forms_on_a_known_posterior():
    mu, logvar = [0.7, -1.3], [-0.5, 0.8]
    terms = loss_terms(known_posterior_model(mu, logvar), torch.zeros(3, 784), torch.Generator().manual_seed(0))
    # models.divergences' NumPy functions sum the univariate closed forms: an independent implementation.
    expected_kl = kl_to_standard_normal(np.array(mu), np.array(logvar))
    expected_cs = cs_to_standard_normal(np.array(mu), np.array(logvar))
    assert torch.allclose(terms.kl, torch.full((3,), float(expected_kl)), rtol=1e-6)
    assert torch.allclose(terms.cs, torch.full((3,), float(expected_cs)), rtol=1e-6)
    assert expected_kl > expected_cs > 0  # the two differ here, so a swapped pair would fail
    assert torch.allclose(objective(terms, "cs", 2.5), terms.reconstruction + 2.5 * terms.cs)
    assert torch.allclose(objective(terms, "kl", 2.5), terms.reconstruction + 2.5 * terms.kl)


def test_reconstruction_is_the_bernoulli_negative_log_likelihood():
    model = known_posterior_model([0.0, 0.0], [-30.0, -30.0])  # σ ≈ 3e-7: z is μ to float precision
    x = torch.bernoulli(torch.full((2, 784), 0.3), generator=torch.Generator().manual_seed(0))
    terms = loss_terms(model, x, torch.Generator().manual_seed(1))
    p = torch.sigmoid(model.decode(torch.zeros(1, 2)))
    expected = -(x * p.log() + (1 - x) * (1 - p).log()).sum(dim=1)
    assert torch.allclose(terms.reconstruction, expected, rtol=1e-4)


def test_map_points_are_the_encoder_means(digits):
    trainer = small_trainer(digits, seed=3)
    snapshot = trainer.advance(5)
    with torch.no_grad():
        mu, _ = trainer.model.encode(digits[1])
    np.testing.assert_array_equal(snapshot.map_means, mu.numpy())
    # and the figure draws exactly those points, each under its digit's label
    traces = vae_live.map_figure(snapshot).data
    for trace in traces:
        in_class = snapshot.map_labels == int(trace.name)
        np.testing.assert_array_equal(trace.x, snapshot.map_means[in_class, 0])
        np.testing.assert_array_equal(trace.y, snapshot.map_means[in_class, 1])
    assert sum(len(trace.x) for trace in traces) == len(digits[1])


def test_grid_decodes_the_latent_plane_with_z2_upwards(digits):
    trainer = LiveTrainer(*digits, hidden=64, grid_steps=5, grid_extent=2.0)
    snapshot = trainer.snapshot()
    codes = latent_grid(5, 2.0)
    assert codes[0].tolist() == [-2.0, 2.0] and codes[4].tolist() == [2.0, 2.0] and codes[-1].tolist() == [2.0, -2.0]
    with torch.no_grad():
        bottom_left = torch.sigmoid(trainer.model.decode(torch.tensor([[-2.0, -2.0]]))).reshape(28, 28)
    np.testing.assert_allclose(snapshot.grid[4 * 28 :, :28], bottom_left.numpy(), rtol=1e-6)
    assert snapshot.grid.shape == (140, 140)
    assert vae_live.grid_image(snapshot).dtype == np.uint8


def test_the_untrained_snapshot_is_a_fresh_trainers_without_making_one(digits):
    trainer = LiveTrainer(*digits, hidden=64, seed=4, regularizer="cs", lam=2.0, grid_steps=5, grid_extent=2.0)
    settings = {"regularizer": "cs", "lam": 2.0, "seed": 4, "grid_steps": 5, "grid_extent": 2.0, "hidden": 64}
    untrained, fresh = untrained_snapshot(*digits[1:], **settings), trainer.snapshot()
    for name, value in fresh._asdict().items():
        np.testing.assert_array_equal(getattr(untrained, name), value, err_msg=name)


def test_building_the_section_makes_no_session_and_no_optimizer(monkeypatch):
    """Start-up lays out: a session, its trainer and torch.optim.Adam (whose first use imports torch._dynamo) wait
    for a student's first request; the page opens on the same views as a fresh session of seed 0."""

    def refused(*args, **kwargs):
        raise AssertionError("made while the app is built")

    monkeypatch.setattr(vae_live.LiveSession, "__init__", refused)
    monkeypatch.setattr(torch.optim, "Adam", refused)
    with gr.Blocks():
        vae_live.build()
        shown = vae_live.layout(vae_live.initial_snapshot())  # what build lays out, again, to read its values
    monkeypatch.undo()
    _, _, figure, image, _ = vae_live.reset("kl", 1.0, 0)
    np.testing.assert_array_equal(np.asarray(Image.open(shown.grid.value["path"])), image)
    assert json.loads(shown.map_plot.value["plot"])["data"] == json.loads(figure.to_json())["data"]


def test_same_seed_same_training_and_the_global_rng_is_untouched(digits, one_thread):
    torch.manual_seed(123)
    global_state = torch.get_rng_state()
    first = small_trainer(digits, seed=7).advance(3)
    second = small_trainer(digits, seed=7).advance(3)
    other = small_trainer(digits, seed=8).advance(3)
    assert torch.equal(torch.get_rng_state(), global_state)
    np.testing.assert_array_equal(first.map_means, second.map_means)
    assert first.history == second.history
    assert not np.array_equal(first.map_means, other.map_means)


def test_the_objective_can_change_between_chunks(digits, one_thread):
    kl_only = small_trainer(digits, seed=1)
    switched = small_trainer(digits, seed=1)
    kl_only.advance(2)
    switched.advance(2)
    switched.regularizer, switched.lam = "cs", 4.0
    kl_only.advance(2)
    switched.advance(2)
    assert [(row.regularizer, row.lam) for row in switched.history] == [("kl", 1.0), ("cs", 4.0)]
    assert not torch.equal(kl_only.model.encoder[0].weight, switched.model.encoder[0].weight)
    row = switched.history[-1]  # it trained on −log p(x|z) + 4·D_CS, not on KL
    assert (
        abs(row.loss - (row.reconstruction + 4.0 * row.cs)) < 1e-3 < abs(row.loss - (row.reconstruction + 4.0 * row.kl))
    )


def test_an_epoch_visits_every_training_digit_once(digits):
    trainer = small_trainer(digits)  # 2,000 digits: 20 minibatches of 100
    assert trainer.steps_per_epoch == 20
    seen = []
    for _ in range(trainer.steps_per_epoch):
        position = trainer.step % trainer.steps_per_epoch
        trainer._batch()
        seen.append(trainer.order[position * 100 : (position + 1) * 100])
        trainer.step += 1
    assert len(torch.cat(seen).unique()) == 2000
    assert vae_live.LiveSession("kl", 1.0, 0).trainer.steps_per_epoch == 80  # the app: all 8,000, ten updates


@pytest.mark.slow  # four trainings of two epochs
def test_what_the_section_says_about_lambda_and_cs(one_thread):
    """The intro's claims: λ = 0 lets σ collapse and the codes spread, a large λ pulls them in and widens σ, and at
    equal λ the CS posteriors end up narrower than the KL ones."""

    def trained(regularizer, lam):  # the section's own model and data, two epochs
        trainer = vae_live.LiveSession(regularizer, lam, seed=0).trainer
        trainer.advance(2 * trainer.steps_per_epoch)
        with torch.no_grad():
            mu, logvar = trainer.model.encode(trainer.map_images)
        return mu.pow(2).sum(dim=1).mean().sqrt(), (0.5 * logvar).exp().median()

    (spread_0, sigma_0), (spread_1, sigma_1), (spread_5, sigma_5) = (trained("kl", lam) for lam in (0.0, 1.0, 5.0))
    assert spread_0 > spread_1 > spread_5
    assert sigma_0 < 0.5 * sigma_1 and sigma_1 < sigma_5
    assert (
        trained("cs", 1.0)[1] < sigma_1
    )  # measured: median σ 0.007, 0.115, 0.313 (KL, λ = 0, 1, 5); 0.073 (CS, λ = 1)


# ---------------------------------------------------------------------------------------------------
# The section's views and endpoint


def test_loss_table_rows_follow_the_history(digits):
    trainer = small_trainer(digits, lam=2.0)
    trainer.advance(2)
    snapshot = trainer.advance(2)
    table = vae_live.loss_table(snapshot)
    assert [row[0] for row in table] == [0.1, 0.2]  # 2,000 digits: 20 steps per epoch
    for (_, reconstruction, kl, cs, loss), row in zip(table, snapshot.history, strict=True):
        assert (reconstruction, kl, cs) == pytest.approx((row.reconstruction, row.kl, row.cs), abs=1e-3)
        assert loss == pytest.approx(reconstruction + 2.0 * kl, rel=1e-3, abs=1e-2)


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        (("gauss", 1.0, 1, 0), "regularizer must be one of 'kl', 'cs'; got 'gauss'."),
        (("KL", 1.0, 1, 0), "regularizer must be one of 'kl', 'cs'; got 'KL'."),
        (("kl", -0.1, 1, 0), "lam must be in [0, 5], got -0.1."),
        (("kl", math.nan, 1, 0), "lam must be a finite number, got nan."),
        (("kl", "strong", 1, 0), "lam must be a number, got 'strong'."),
        (("cs", 1.0, 0, 0), "epochs must be in [1, 5], got 0."),
        (("cs", 1.0, 6, 0), "epochs must be in [1, 5], got 6."),
        (("cs", 1.0, 1.5, 0), "epochs must be a whole number, got 1.5."),
        (("cs", 1.0, 1, -1), "seed must be in [0, 2.14748e+09], got -1."),
        (("cs", 1.0, 1, None), "seed must be a number, got None."),
    ],
)
def test_bad_endpoint_values_get_the_endpoints_sentence(arguments, sentence):
    with pytest.raises(gr.Error) as raised:
        next(vae_live.vae_train_live(*arguments))
    assert raised.value.message == sentence


def test_an_unexpected_error_mid_stream_becomes_a_sentence(monkeypatch):
    def broken(self, steps):
        raise RuntimeError("boom")

    monkeypatch.setattr(vae_live.LiveSession, "advance", broken)
    with pytest.raises(gr.Error) as raised:
        next(vae_live.vae_train_live("kl", 1.0, 1, 0))
    assert raised.value.message == UNEXPECTED_ERROR


def test_play_pauses_itself_after_its_time_limit(monkeypatch):
    monkeypatch.setattr(vae_live, "PLAY_SECONDS", 0)
    updates = list(vae_live.play(None, "kl", 1.0, 0))
    assert len(updates) == 1  # one update, then the pause
    session, *_, status = updates[0]
    assert 1 <= session.trainer.step <= session.trainer.steps_per_epoch
    assert "Paused after 0 s" in status


def test_reset_and_a_new_objective_act_on_the_session():
    session, *_, status = vae_live.reset("cs", 2.0, 5)
    assert (session.trainer.step, session.trainer.regularizer, session.trainer.lam) == (0, "cs", 2.0)
    assert "2·D_CS" in status
    assert "0.5·KL" in vae_live.change_objective(session, "kl", 0.5)
    assert (session.trainer.regularizer, session.trainer.lam) == ("kl", 0.5)
    with pytest.raises(gr.Error, match=r"lam must be in \[0, 5\], got 7\."):
        vae_live.change_objective(session, "kl", 7)


@pytest.mark.slow
def test_step_runs_to_the_end_of_the_epoch():
    session = vae_live.reset("kl", 1.0, 0)[0]
    session.advance(vae_live.CHUNK_STEPS)  # a tenth of the way in
    statuses = [status for *_, status in vae_live.step_epoch(session, "kl", 1.0, 0)]
    assert session.trainer.epoch == 1.0
    assert "end of the epoch" in statuses[-1]
    assert all("Stepping" in status for status in statuses[:-1])


def test_live_trainings_have_their_own_capped_queue():
    from demos.gradio_seam import events

    with gr.Blocks() as demo:
        vae_live.build()
    groups = {fn.name: (fn.concurrency_id, fn.concurrency_limit) for fn in events(demo)}
    expected = (vae_live.LIVE_QUEUE["concurrency_id"], vae_live.MAX_LIVE_TRAININGS)
    for name in ("play", "step_epoch", "vae_train_live"):
        assert groups[name] == expected
    assert expected[0] != "torch"


# ---------------------------------------------------------------------------------------------------
# Through the server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_app():
    """A small Blocks app holding only the live section, served in this process."""
    torch.set_num_threads(1)
    with gr.Blocks() as demo:
        vae_live.build()
    demo.queue()
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False)
    yield demo, f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.mark.slow
def test_one_epoch_streams_ten_updates_through_the_client(live_app, tmp_path):
    from PIL import Image

    client = loopback_client(live_app[1], download_files=str(tmp_path))
    job = client.submit(regularizer="cs", lam=0.5, epochs=1, seed=0, api_name="/vae_train_live")
    updates = list(job)
    assert len(updates) == 10
    tables = [table["data"] for table, _, _ in updates]
    assert [len(rows) for rows in tables] == list(range(1, 11))
    assert tables[-1][-1][0] == 1.0  # the last row closes the epoch
    epoch, reconstruction, kl, cs, loss = tables[-1][-1]
    assert loss == pytest.approx(reconstruction + 0.5 * cs, rel=1e-3)
    _, plot, image_path = updates[-1]
    traces = json.loads(plot["plot"])["data"]
    assert sorted(int(trace["name"]) for trace in traces) == list(range(10))
    assert Image.open(image_path).size == (vae_live.GRID_STEPS * 28,) * 2
    with pytest.raises(Exception, match=r"epochs must be in \[1, 5\], got 9\."):
        client.predict(regularizer="kl", lam=1.0, epochs=9, seed=0, api_name="/vae_train_live")


@pytest.mark.slow
def test_closing_the_connection_stops_the_training(live_app, monkeypatch):
    import httpx

    from demos.gradio_seam import events

    chunks = []
    advance = vae_live.LiveSession.advance
    monkeypatch.setattr(
        vae_live.LiveSession, "advance", lambda self, steps: chunks.append(steps) or advance(self, steps)
    )
    demo, url = live_app
    fn_index = next(fn.index for fn in events(demo) if fn.api_name == "vae_train_live")
    session_hash = "closing-test"
    with httpx.Client(base_url=url, timeout=60) as http:
        http.post(
            "gradio_api/queue/join",
            json={"data": ["kl", 1.0, 5, 0], "fn_index": fn_index, "session_hash": session_hash},
        ).raise_for_status()
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
            generating = 0
            for line in stream.iter_lines():
                generating += '"process_generating"' in line
                if generating == 2:
                    break  # leaving the block closes the connection, as a closed browser tab does
    time.sleep(3)  # the server notices at its next message; a chunk already started may finish
    settled = len(chunks)
    time.sleep(3)
    assert len(chunks) == settled < 50  # stopped, long before the 5 epochs (50 chunks) it was asked for
