"""VAE tab: the likelihood and its bounds, the network, training, the inference pipeline, the texts' numbers,
the homework presets and the public API."""

import copy
import json
import math
import shutil

import gradio as gr
import pytest
import torch
from gradio_client.exceptions import AppError
from PIL import Image

from demos import filled, tab_sections
from demos import vae as vae_tab
from models.checkpoints import (
    CHECKPOINT_DIR,
    CHECKPOINT_DIR_ENV,
    RETRAIN_COMMANDS,
    CheckpointError,
    load_model,
    read_record,
    save_checkpoint,
)
from models.device import NATIVE_BFLOAT16_PROBES, preview_dtype
from models.divergences import kl_to_standard_normal_torch
from models.mnist import binarize, binarized_test_split, load_mnist
from models.vae import (
    ConvVAE,
    TrainingSettings,
    evaluate_likelihood,
    learning_rate,
    reconstruction_nats,
    regularizer_weight,
    shift_images,
    train,
    train_epoch,
    transposed_conv_overlap,
    transposed_conv_shapes,
)
from models.vae_pipeline import (
    digit_terms,
    interpolate,
    latent_activity,
    quality_report,
    reconstruct,
    reconstruction_fid,
    sample_images,
    traverse,
)


def grid_size(rows: int, columns: int, scale: int) -> tuple[int, int]:
    """(width, height) of a documented digit grid: 28 px digits, 2 px gaps, upscaled ×scale."""
    return scale * (30 * columns + 2), scale * (30 * rows + 2)


# --- The likelihood ---------------------------------------------------------------------------------------------


def test_kl_closed_form_matches_monte_carlo():
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(4, generator=generator, dtype=torch.float64)
    logvar = torch.randn(4, generator=generator, dtype=torch.float64)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(4, dtype=torch.float64), 1.0)
    torch.manual_seed(1)
    z = q.sample((200_000,))
    log_ratio = (q.log_prob(z) - p.log_prob(z)).sum(dim=1)  # KL = E_q[log q(z) − log p(z)]
    standard_error = log_ratio.std() / math.sqrt(len(log_ratio))
    closed_form = kl_to_standard_normal_torch(mu, logvar)
    assert abs(log_ratio.mean() - closed_form) < 4 * standard_error


def test_reconstruction_term_is_the_bernoulli_log_probability():
    logits = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    x = torch.bernoulli(torch.sigmoid(logits), generator=torch.Generator().manual_seed(1))
    exact = -torch.distributions.Bernoulli(logits=logits).log_prob(x).flatten(1).sum(dim=1)
    assert torch.allclose(reconstruction_nats(logits, x), exact, atol=1e-3)


def model_whose_decoder_ignores_z(posterior_mean: float) -> ConvVAE:
    """p(x|z) = p(x) for every z (so p(z|x) = p(z)); q(z|x) = N(posterior_mean, I) for every x."""
    torch.manual_seed(0)
    model = ConvVAE(latent_dim=4, channels=4, hidden=8, blocks=0)
    with torch.no_grad():
        model.decoder[0].weight.zero_()
        for head in (model.to_mu, model.to_logvar):
            head.weight.zero_()
            head.bias.zero_()
        model.to_mu.bias.fill_(posterior_mean)
    return model.eval()


def test_iwae_and_elbo_are_exact_when_q_is_the_true_posterior():
    # q = N(0, I) = p(z) = p(z|x): every importance weight equals p(x), so IWAE = −ELBO = −log p(x) for any k.
    model = model_whose_decoder_ignores_z(0.0)
    x = binarize(load_mnist("test")[0][:20], seed=0)
    with torch.no_grad():
        exact = reconstruction_nats(model.decode(torch.zeros(20, 4)), x).mean().item()
    result = evaluate_likelihood(model, x, importance_samples=7)
    assert result["iwae_negative_log_likelihood"] == pytest.approx(exact, rel=1e-6)
    assert result["negative_elbo"] == pytest.approx(exact, rel=1e-6)
    assert result["kl"] == pytest.approx(0.0, abs=1e-6)


def test_iwae_lies_between_the_true_likelihood_and_the_elbo():
    # q = N(1, I) ≠ p(z|x) = N(0, I): −ELBO = −log p(x) + KL(q‖p) exactly (KL = 4·½ = 2 nats); with k = 200
    # the IWAE value is far closer to −log p(x), and never below it by more than its standard error.
    model = model_whose_decoder_ignores_z(1.0)
    x = binarize(load_mnist("test")[0][:50], seed=0)
    with torch.no_grad():
        exact = reconstruction_nats(model.decode(torch.zeros(50, 4)), x).mean().item()
    result = evaluate_likelihood(model, x, importance_samples=200, seed=3)
    assert result["negative_elbo"] - exact == pytest.approx(2.0, abs=1e-4)
    assert exact - 4 * result["elbo_gap_standard_error"] <= result["iwae_negative_log_likelihood"]
    assert result["iwae_negative_log_likelihood"] - exact < 0.1 * (result["negative_elbo"] - exact)
    assert result["elbo_gap"] > 1.8


def test_shipped_models_report_iwae_below_the_negative_elbo():
    for name in ("vae_kl", "vae_cs", "vae_kl_2d"):
        test = read_record(name)["test"]
        assert test["importance_samples"] >= 100 and test["digits"] == 2000
        assert test["iwae_negative_log_likelihood"] < test["negative_elbo"]
        assert test["elbo_gap"] > 4 * test["elbo_gap_standard_error"]


# --- Network, augmentation, schedule, training -------------------------------------------------------------------


@pytest.mark.parametrize(("latent_dim", "blocks"), [(16, 1), (2, 0)])
def test_encoder_decoder_shapes(latent_dim, blocks):
    model = ConvVAE(latent_dim=latent_dim, blocks=blocks)
    mu, logvar = model.encode(torch.rand(5, 1, 28, 28))
    assert mu.shape == logvar.shape == (5, latent_dim)
    assert model.decode(mu).shape == (5, 1, 28, 28)
    shapes = transposed_conv_shapes(model)
    assert [row["h_out_measured"] for row in shapes] == [14, 28]
    assert all(row["h_out_formula"] == row["h_out_measured"] for row in shapes)


def test_transposed_convolution_overlap_is_even_for_k4_and_a_checkerboard_for_k3():
    even = transposed_conv_overlap(kernel=4, stride=2)
    assert even.shape == (10, 10) and (even[2:-2, 2:-2] == 4).all()  # uneven only in the 2-px border
    uneven = transposed_conv_overlap(kernel=3, stride=2)
    assert set(uneven[2:-2, 2:-2].unique().tolist()) == {1, 2, 4}  # uneven everywhere
    assert uneven[2, 2] == 4 and uneven[2, 3] == 2 and uneven[3, 3] == 1  # alternating, like a checkerboard
    # The same counts as a scatter-add written out by hand: each input pixel adds a k × k block at s·(i, j).
    by_hand = torch.zeros(9, 9, dtype=torch.int64)
    for i in range(4):
        for j in range(4):
            by_hand[2 * i : 2 * i + 3, 2 * j : 2 * j + 3] += 1
    assert torch.equal(uneven, by_hand)


def test_shifts_move_digits_by_at_most_max_shift_and_keep_their_ink():
    images = load_mnist("test")[0][:64]
    shifted = shift_images(images, 1, torch.Generator().manual_seed(0))
    assert torch.allclose(shifted.sum(dim=(1, 2, 3)), images.sum(dim=(1, 2, 3)))  # MNIST's border is empty
    moved = 0
    for original, result in zip(images, shifted, strict=True):
        candidates = [torch.roll(original, (dy, dx), dims=(1, 2)) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
        assert any(torch.equal(result, candidate) for candidate in candidates)
        moved += not torch.equal(result, original)
    assert moved > 32  # 8 of 9 offsets move the digit
    assert shift_images(images, 0, torch.Generator()) is images


def test_schedule_and_warm_up():
    settings = TrainingSettings(lr=1e-3, lam=2.0, warmup_epochs=4)
    assert learning_rate(settings, 0, 100) == pytest.approx(1e-3)
    assert learning_rate(settings, 50, 100) == pytest.approx(5e-4)
    assert learning_rate(settings, 100, 100) == pytest.approx(0.0, abs=1e-12)
    assert regularizer_weight(settings, 0.0) == 0.0
    assert regularizer_weight(settings, 1.0) == pytest.approx(0.5)
    assert regularizer_weight(settings, 10.0) == 2.0
    with pytest.raises(ValueError, match="regularizer"):
        TrainingSettings(regularizer="mmd")


@pytest.mark.parametrize("regularizer", ["kl", "cs"])
def test_short_training_lowers_the_negative_elbo(regularizer, one_thread):
    images = load_mnist("train")[0][:256]
    binary = binarize(images, seed=5)
    torch.manual_seed(0)
    model = ConvVAE(channels=8, hidden=32)
    before = evaluate_likelihood(model, binary, importance_samples=1, seed=1)
    train(model, images, TrainingSettings(regularizer, epochs=3, batch_size=32, warmup_epochs=0), progress=False)
    after = evaluate_likelihood(model, binary, importance_samples=1, seed=1)
    drop = before["negative_elbo"] - after["negative_elbo"]
    assert drop > 4 * math.hypot(before["negative_elbo_standard_error"], after["negative_elbo_standard_error"])


def test_a_resumed_run_trains_exactly_like_an_uninterrupted_one(one_thread):
    images = load_mnist("train")[0][:96]
    settings = TrainingSettings(epochs=2, batch_size=32, warmup_epochs=1)
    torch.manual_seed(0)
    straight = ConvVAE(channels=4, hidden=16, blocks=0)
    resumed = copy.deepcopy(straight)
    train(straight, images, settings, progress=False)
    optimizer = torch.optim.Adam(resumed.parameters())
    train_epoch(resumed, optimizer, images, settings, epoch=1)
    restarted = copy.deepcopy(resumed)  # "a new process": fresh objects, the saved weights and Adam state
    restarted_optimizer = torch.optim.Adam(restarted.parameters())
    restarted_optimizer.load_state_dict(optimizer.state_dict())
    train(restarted, images, settings, optimizer=restarted_optimizer, start_epoch=2, progress=False)
    for (key, a), b in zip(straight.state_dict().items(), restarted.state_dict().values(), strict=True):
        assert torch.equal(a, b), key


def test_checkpoint_round_trip_through_the_one_loader(tmp_path):
    torch.manual_seed(0)
    model = ConvVAE(latent_dim=3, channels=8, hidden=16, blocks=2)
    save_checkpoint(model, "vae_round_trip", {"training": {"regularizer": "kl"}}, directory=tmp_path)
    restored, record = load_model(ConvVAE, "vae_round_trip", directory=tmp_path)
    assert record["config"] == {"latent_dim": 3, "channels": 8, "hidden": 16, "blocks": 2}
    for (key, saved), loaded in zip(model.state_dict().items(), restored.state_dict().values(), strict=True):
        assert torch.equal(saved, loaded), key


def test_shipped_records_hold_training_settings_and_provenance():
    for name in ("vae_kl", "vae_cs", "vae_kl_2d"):
        record = read_record(name)
        assert set(record["config"]) == {"latent_dim", "channels", "hidden", "blocks"}
        assert {"regularizer", "lam", "epochs", "seed", "seconds", "device", "curve"} <= set(record["training"])
        assert record["provenance"]["data_sha256"] == "ad2aadbd432661bcbaa1610a1c9e8bc1a683dd2a278d980a4bf4c02b09dad220"
        assert record["training"]["validation_digits"] == 1000 and record["training"]["train_digits"] == 7000


# --- Pipeline --------------------------------------------------------------------------------------------------


def test_traversal_and_interpolation_pass_through_the_digits_code():
    model, _ = load_model(ConvVAE, "vae_kl")
    digits = binarize(load_mnist("test")[0][:2], seed=0)
    result = traverse(model, digits[:1], torch.arange(16), span=2.0, steps=5)
    assert result.images.shape == (16 * 5, 1, 28, 28)
    with torch.no_grad():
        centre = torch.sigmoid(model.decode(model.encode(digits[:1])[0]))
    assert torch.allclose(result.images[2], centre[0], atol=1e-6)  # middle column: offset 0
    assert result.offsets.tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    row = interpolate(model, digits, steps=4)
    assert row.shape == (6, 1, 28, 28) and torch.equal(row[0], digits[0]) and torch.equal(row[-1], digits[1])
    assert torch.allclose(row[1], centre[0], atol=1e-6)  # t = 0 decodes μ(first)


@pytest.mark.parametrize("name", ["vae_kl", "vae_cs"])
def test_a_bfloat16_preview_model_draws_within_8_grey_levels_of_float32(name):
    model, _ = load_model(ConvVAE, name)
    preview = copy.deepcopy(model).to(torch.bfloat16)
    digits = binarize(load_mnist("test")[0][:200], seed=0)
    views = [
        lambda m: sample_images(m, 4 * vae_tab.MAX_SAMPLES, seed=0),  # four times the most the tab draws at once
        lambda m: traverse(m, digits[:1], torch.arange(16), span=3.0, steps=9).images,
        lambda m: interpolate(m, digits[:2], steps=10),
        lambda m: reconstruct(m, digits),
    ]
    for view in views:
        exact, fast = view(model), view(preview)
        assert exact.dtype == fast.dtype == torch.float32
        levels = ((exact - fast) * 255).abs()
        assert levels.max() <= 8 and levels.mean() <= 0.5, (levels.max(), levels.mean())
    assert next(model.parameters()).dtype == torch.float32  # the metrics' model is untouched


def test_previews_use_bfloat16_only_on_a_cpu_that_computes_it_natively(monkeypatch):
    assert preview_dtype(torch.device("cuda")) == torch.float32
    for probe in NATIVE_BFLOAT16_PROBES:
        monkeypatch.setattr(torch.cpu, probe, lambda: False)
    assert preview_dtype(torch.device("cpu")) == torch.float32
    monkeypatch.setattr(torch.cpu, NATIVE_BFLOAT16_PROBES[0], lambda: True)
    assert preview_dtype(torch.device("cpu")) == torch.bfloat16


@pytest.mark.slow  # encodes the 2,000 test digits with each VAE
@pytest.mark.parametrize("name", ["vae_kl", "vae_cs"])
def test_recorded_latent_activity_is_the_shipped_weights(name):
    """The traversal orders its rows by the record's activity (no encoding of 2,000 digits at start): it must be
    what the shipped weights give on the fixed binarization of the test split."""
    model, record = load_model(ConvVAE, name)
    with torch.inference_mode():
        activity = latent_activity(model, binarized_test_split()[0])
    assert torch.allclose(activity, torch.tensor(record["latent_activity"]), rtol=1e-4, atol=1e-6)


def test_digit_terms_satisfy_the_decomposition():
    model, _ = load_model(ConvVAE, "vae_cs")
    digit = binarize(load_mnist("test")[0][:1], seed=0)
    terms = digit_terms(model, digit, importance_samples=200)
    # E_q[log p(x|z)] = log p(x) − KL(q‖p(z|x)) + KL(q‖p(z)), with KL(q‖p(z|x)) ≥ 0 up to the IWAE's slack.
    assert -terms.reconstruction == pytest.approx(
        -terms.negative_log_likelihood - terms.kl_posterior + terms.kl_prior, abs=1e-3
    )
    assert terms.kl_posterior > -0.5


# --- Texts generated from the records ----------------------------------------------------------------------------


def test_texts_quote_the_records_and_leave_no_placeholder():
    records = {name: read_record(name) for name in ("vae_kl", "vae_kl_prior", "vae_cs", "vae_cs_prior", "vae_kl_2d")}
    values = vae_tab.facts(records, vae_tab.sanity_record())
    for part in ("explanation", "homework"):
        for body in tab_sections("vae", part).values():
            assert "{{" not in filled(body, values)
    prior = " ".join(filled(tab_sections("vae", "explanation")["prior"], values).split())
    for key in ("kl", "cs"):  # the prior section quotes each mixture's own record
        mixture = records[f"vae_{key}_prior"]
        assert f"{mixture['sample_quality']['FID samples']:.0f} from its mixture" in prior or (
            f"and {mixture['sample_quality']['FID samples']:.0f}." in prior
        )
        assert values[f"{key}_mixture_components"] == str(mixture["config"]["components"])
    for key in ("kl", "cs"):
        activity = torch.tensor(records[f"vae_{key}"]["latent_activity"])
        assert values[f"{key}_inactive"] == str(int((activity < 0.06).sum()))
    traversal = " ".join(filled(tab_sections("vae", "explanation")["traversal"], values).split())
    assert (
        f"{values['kl_inactive']} of the KL-VAE's 16 dimensions and {values['cs_inactive']} of the CS-VAE's"
        in traversal
    )


def test_the_cs_objective_exceeds_log_likelihood_as_the_q2b_answer_says():
    test = read_record("vae_cs")["test"]
    bracket = test["kl"] - test["cs"]  # KL(q‖p(z)) − λ·D_CS(q‖p(z)), λ = 1
    assert bracket > test["elbo_gap"] + 4 * test["elbo_gap_standard_error"]


def test_reconstruction_fid_is_below_sample_fid_as_the_q3c_answer_says():
    for name in ("vae_kl", "vae_cs"):
        quality = read_record(name)["sample_quality"]
        assert quality["FID reconstructions"] < quality["FID samples"]


def test_q3d_sanity_rows_show_inception_score_blind_to_collapse():
    rows = {row["key"]: row for row in vae_tab.sanity_record()["rows"]}
    collapse, one_class, test = rows["one_digit_per_class"], rows["class_1_only"], rows["test"]
    assert one_class["IS"] < 1.1 and collapse["IS"] > 0.9 * test["IS"]
    assert collapse["FID"] > 100 * max(test["FID"], 1.0) and collapse["recall"] < 0.05


# --- Homework presets --------------------------------------------------------------------------------------------


def test_q2b_preset_picks_the_cs_vae_and_shows_consistent_terms():
    model, answer, digit, rows = vae_tab.homework_q2b(7)
    assert model == "cs" and answer.visible is True and digit.shape == (128, 128, 3)
    values = {name: (here, mean) for name, here, mean in rows}
    kl_prior, cs_prior = values["KL(q(z|x) ‖ p(z))"], values["D_CS(q(z|x) ‖ p(z))"]
    bracket = values["KL(q‖p(z)) − λ·D_CS(q‖p(z)), λ = 1"]
    assert bracket[0] == pytest.approx(kl_prior[0] - cs_prior[0], abs=0.02)
    test = read_record("vae_cs")["test"]
    assert bracket[1] == pytest.approx(test["kl"] - test["cs"], abs=0.01)


def test_metric_presets_set_the_defaults_and_show_the_records_numbers():
    # the homework's answers quote the training prior's numbers, so their buttons show that prior
    model, prior, n, seed, table, _, answer = vae_tab.homework_model("kl")
    assert (model, prior, n, seed, answer.visible) == ("kl", "normal", 2000, 0, True)
    quality = read_record("vae_kl")["sample_quality"]
    assert dict(table)["FID samples"] == round(quality["FID samples"], 4)


# --- Cases to show: every name is a claim ------------------------------------------------------------------------


def sample_fid(name: str) -> float:
    return read_record(name)["sample_quality"]["FID samples"]


def test_prior_cases_claims_hold_on_the_test_split():
    # "fitted mixture: samples where the training codes lie" / "N(0, I): some samples fall into holes (higher FID)"
    for vae in ("vae_kl", "vae_cs"):
        assert sample_fid(f"{vae}_prior") < sample_fid(vae), vae
    # "CS-VAE from N(0, I): more holes than the KL-VAE": worse from N(0, I), and more to gain from the mixture
    assert sample_fid("vae_cs") > sample_fid("vae_kl")
    assert sample_fid("vae_cs") - sample_fid("vae_cs_prior") > sample_fid("vae_kl") - sample_fid("vae_kl_prior")


def test_temperature_cases_trade_precision_for_recall():
    # "temperature 0.5: cleaner, less varied digits" and "temperature 2: far from the codes, fewer real-looking
    # digits", for the case's model and prior (precision: share of samples among real digits; recall: share of
    # real digits covered)
    state = vae_tab.loaded()
    cool, hot = (PRESETS_BY_TEMPERATURE[t] for t in (0.5, 2.0))
    assert cool["model"] == hot["model"] and cool["prior"] == hot["prior"] == "mixture"

    def scores(temperature: float) -> dict:
        model, prior = state.models[cool["model"]], vae_tab.prior_of(cool["model"], cool["prior"])
        return state.evaluator.evaluate(sample_images(model, 1000, temperature, seed=0, prior=prior), seed=0)

    at_one, at_half, at_two = scores(1.0), scores(0.5), scores(2.0)
    assert at_half["precision"] > at_one["precision"] and at_half["recall"] < at_one["recall"]
    assert at_two["precision"] < at_one["precision"]


PRESETS_BY_TEMPERATURE = {case["temperature"]: case for case in vae_tab.SAMPLE_PRESETS.values()}


def test_every_case_sets_every_sample_control_in_range_and_draws_what_the_api_draws():
    for name, case in vae_tab.SAMPLE_PRESETS.items():
        assert set(case) == set(vae_tab.SAMPLE_CONTROLS), name
        if "temperature" in name:  # a name that quotes a value quotes the case's
            assert f"temperature {case['temperature']:g}" in name
        assert ("CS-VAE" in name) == (case["model"] == "cs") and ("N(0, I)" in name) == (case["prior"] == "normal")
    name = "CS-VAE from N(0, I): more holes than the KL-VAE"
    *values, samples, traversal, digit = vae_tab.apply_preset(name)
    case = vae_tab.SAMPLE_PRESETS[name]
    assert values == [case[key] for key in vae_tab.SAMPLE_CONTROLS]
    assert (samples == vae_tab.vae_sample("cs", case["n"], case["temperature"], case["seed"], "normal")).all()
    expected_traversal, expected_digit = vae_tab.vae_traverse("cs", case["digit_index"], case["span"])
    assert (traversal == expected_traversal).all() and (digit == expected_digit).all()


# --- Public API --------------------------------------------------------------------------------------------------


def test_sample_endpoint_size(client):
    path = client.predict(model="kl", n=10, temperature=1.0, seed=3, api_name="/vae_sample")
    assert Image.open(path).size == grid_size(rows=2, columns=8, scale=4)


def test_traverse_endpoint_sizes(client):
    traversal, digit = client.predict(model="cs", digit_index=1999, span=2.0, api_name="/vae_traverse")
    assert Image.open(traversal).size == grid_size(rows=16, columns=9, scale=2)
    assert Image.open(digit).size == grid_size(rows=1, columns=1, scale=4)


@pytest.mark.parametrize(
    ("prior", "record"), [(None, "vae_cs_prior"), ("mixture", "vae_cs_prior"), ("normal", "vae_cs")]
)
def test_metrics_endpoint_table_at_defaults_is_the_record(client, prior, record):
    chosen = {} if prior is None else {"prior": prior}  # no prior: the fitted mixture
    table = client.predict(model="cs", n=2000, seed=0, **chosen, api_name="/vae_metrics")
    assert table["headers"] == ["metric", "value"]
    assert [row[0] for row in table["data"]] == list(vae_tab.METRIC_ROWS)
    quality = read_record(record)["sample_quality"]
    assert all(value == round(quality[row], 4) for row, value in table["data"])


@pytest.mark.slow
@pytest.mark.parametrize("prior", ["normal", "mixture"])
def test_metrics_endpoint_computes_other_settings_and_reproduces_the_record(prior):
    table = dict(vae_tab.vae_metrics("kl", 200, 1, prior))
    assert all(math.isfinite(value) for value in table.values())
    state = vae_tab.loaded()
    model = state.models["kl"]
    fresh = quality_report(
        model,
        state.evaluator,
        2000,
        0,
        reconstruction_fid(model, state.evaluator, state.test_images),
        vae_tab.prior_of("kl", prior),
    )
    recorded = read_record(vae_tab.record_name("kl", prior))["sample_quality"]
    for row in vae_tab.METRIC_ROWS:
        assert fresh.rows[row] == pytest.approx(recorded[row], rel=1e-3, abs=1e-4), row


def test_samples_come_from_the_fitted_mixture_unless_normal_is_asked():
    state = vae_tab.loaded()
    from_mixture = sample_images(state.preview_models["kl"], 8, 1.0, seed=3, prior=state.mixtures["kl"])
    from_normal = sample_images(state.preview_models["kl"], 8, 1.0, seed=3)
    assert (vae_tab.vae_sample("kl", 8, 1.0, 3) == vae_tab.tile(from_mixture, 8)).all()  # the default
    assert (vae_tab.vae_sample("kl", 8, 1.0, 3, "normal") == vae_tab.tile(from_normal, 8)).all()
    assert (vae_tab.tile(from_mixture, 8) != vae_tab.tile(from_normal, 8)).any()


def test_samples_follow_the_seed():
    first = vae_tab.vae_sample("kl", 8, 1.0, 5)
    assert (first == vae_tab.vae_sample("kl", 8, 1.0, 5)).all()
    assert (first != vae_tab.vae_sample("kl", 8, 1.0, 6)).any()


@pytest.mark.parametrize(
    ("endpoint", "arguments", "sentence"),
    [
        (vae_tab.vae_sample, ("vae", 8, 1.0, 0), "model must be one of 'kl', 'cs'; got 'vae'."),
        (vae_tab.vae_sample, ("kl", 0, 1.0, 0), "n must be in [1, 64], got 0."),
        (vae_tab.vae_sample, ("kl", 65, 1.0, 0), "n must be in [1, 64], got 65."),
        (vae_tab.vae_sample, ("kl", 8, 0.0, 0), "temperature must be in [0.1, 3], got 0."),
        (vae_tab.vae_sample, ("kl", 8, -1.0, 0), "temperature must be in [0.1, 3], got -1."),
        (vae_tab.vae_sample, ("kl", 8, "warm", 0), "temperature must be a number, got 'warm'."),
        (vae_tab.vae_sample, ("kl", 8, math.nan, 0), "temperature must be a finite number, got nan."),
        (vae_tab.vae_sample, ("kl", 8, 1.0, -1), "seed must be in [0, 2.14748e+09], got -1."),
        (vae_tab.vae_traverse, ("cs", 2000, 3.0), "digit_index must be in [0, 1999], got 2000."),
        (vae_tab.vae_traverse, ("cs", 1.5, 3.0), "digit_index must be a whole number, got 1.5."),
        (vae_tab.vae_traverse, ("cs", None, 3.0), "digit_index must be a number, got None."),
        (vae_tab.vae_traverse, ("cs", 0, 0.0), "span must be in [0.5, 5], got 0."),
        (vae_tab.vae_traverse, ("cs", 0, 0.4), "span must be in [0.5, 5], got 0.4."),
        (vae_tab.vae_traverse, ("cs", 0, math.inf), "span must be a finite number, got inf."),
        (vae_tab.vae_metrics, ("kl", 99, 0), "n must be in [100, 5000], got 99."),
        (vae_tab.vae_metrics, ("kl", 5001, 0), "n must be in [100, 5000], got 5001."),
        (vae_tab.vae_metrics, ("KL", 2000, 0), "model must be one of 'kl', 'cs'; got 'KL'."),
        (vae_tab.vae_metrics, ("kl", 2000, 0.5), "seed must be a whole number, got 0.5."),
        (vae_tab.vae_metrics, ("kl", 2000, 0, "gmm"), "prior must be one of 'mixture', 'normal'; got 'gmm'."),
        (vae_tab.vae_sample, ("kl", 8, 1.0, 0, None), "prior must be one of 'mixture', 'normal'; got None."),
    ],
)
def test_bad_inputs_are_answered_with_the_endpoints_own_sentence(endpoint, arguments, sentence):
    with pytest.raises(gr.Error) as raised:
        endpoint(*arguments)
    assert raised.value.message == sentence


def test_bad_input_through_the_api(client):
    with pytest.raises(AppError, match=r"temperature must be in \[0\.1, 3\], got -1\."):
        client.predict(model="kl", n=8, temperature=-1.0, seed=0, api_name="/vae_sample")


def test_a_record_without_its_test_report_names_the_retrain_command(tmp_path, monkeypatch):
    for suffix in ("safetensors", "json"):
        shutil.copy(CHECKPOINT_DIR / f"vae_kl.{suffix}", tmp_path / f"vae_kl.{suffix}")
    record = json.loads((tmp_path / "vae_kl.json").read_text())
    del record["sample_quality"]
    (tmp_path / "vae_kl.json").write_text(json.dumps(record))
    monkeypatch.setenv(CHECKPOINT_DIR_ENV, str(tmp_path))
    with pytest.raises(CheckpointError, match="lacks sample_quality") as raised:
        vae_tab._load("vae_kl", torch.device("cpu"))
    assert RETRAIN_COMMANDS["vae_kl"] in str(raised.value)
