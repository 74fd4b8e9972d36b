"""The pix2pix training loop (scripts/train_pix2pix.py) on a tiny aligned dataset, on the CPU.

No GPU is needed: the GPU options (bf16 autocast, channels-last) run their logic on the CPU here.
"""

import inspect
import os
import signal

import numpy as np
import pytest
import torch
from PIL import Image

from models.checkpoints import load_model, read_record
from models.pix2pix import PatchDiscriminator, UNetGenerator
from scripts import train_pix2pix


@pytest.fixture(scope="module")
def aligned(tmp_path_factory):
    """Eight 32x32 A|B pairs for training, two held out: B is a recolouring of A."""
    root = tmp_path_factory.mktemp("aligned")
    rng = np.random.default_rng(0)
    for split, count in (("train", 8), ("val", 2)):
        (root / split).mkdir()
        for i in range(count):
            a = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
            Image.fromarray(np.concatenate([a, 255 - a], axis=1)).save(root / split / f"{i}.png")
    return root


def train(aligned, tmp_path, *extra):
    argv = [
        "--name",
        "tiny",
        "--aligned",
        str(aligned),
        "--image-size",
        "32",
        "--ngf",
        "4",
        "--ndf",
        "4",
        "--batch-size",
        "4",
        "--log-every",
        "1",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--checkpoint-dir",
        str(tmp_path / "checkpoints"),
        *extra,
    ]
    threads = torch.get_num_threads()
    try:
        train_pix2pix.main(argv)
    finally:
        torch.set_num_threads(threads)
    return read_record("tiny", tmp_path / "checkpoints")


@pytest.mark.slow  # trains
def test_an_epoch_run_writes_a_finished_loadable_model_with_its_record(aligned, tmp_path):
    record = train(aligned, tmp_path, "--epochs", "2")
    assert record["finished"] is True and record["training"]["ended"] == "epochs done"
    assert record["training"]["steps"] == 4  # 8 pairs / batch 4 x 2 epochs
    assert {"command", "git_commit", "torch", "numpy", "data_sha256", "device"} <= set(record["provenance"])
    assert set(record["held_out"]) >= {"l1", "ssim", "sharpness_ratio", "checkerboard_ratio"}
    assert "l1_only" not in record["config"] and record["training"]["l1_only"] is False
    G, _ = load_model(UNetGenerator, "tiny", tmp_path / "checkpoints")
    D, d_record = load_model(PatchDiscriminator, "tiny_d", tmp_path / "checkpoints")
    assert G(torch.zeros(1, 3, 32, 32)).shape == (1, 3, 32, 32) and d_record["generator"] == "tiny"
    # the periodic snapshot is a loadable, unfinished model
    snapshot, snapshot_record = load_model(UNetGenerator, "tiny", tmp_path / "runs" / "tiny")
    assert snapshot_record["finished"] is False


@pytest.mark.slow  # trains
def test_resume_continues_from_the_saved_step(aligned, tmp_path):
    train(aligned, tmp_path, "--epochs", "1")
    record = train(aligned, tmp_path, "--epochs", "3")  # the same run, made longer: it picks up at step 2
    assert record["training"]["steps"] == 6
    assert [point["step"] for point in record["curve"]] == [2, 6]


@pytest.mark.slow  # trains
def test_a_time_budget_ends_the_run_with_the_decay_done(aligned, tmp_path):
    record = train(aligned, tmp_path, "--minutes", "0.05", "--l1-only")
    training = record["training"]
    assert training["ended"] == "time budget spent" and training["steps"] > 0
    assert training["train_seconds"] >= 3.0  # 0.05 minutes
    assert not (tmp_path / "checkpoints" / "tiny_d.json").exists()  # L1 only: no discriminator


@pytest.mark.slow  # trains
def test_the_gpu_options_run_on_the_cpu_too(aligned, tmp_path):
    record = train(aligned, tmp_path, "--epochs", "1", "--amp", "on", "--channels-last", "on")
    assert record["training"]["bf16_autocast"] is True and record["training"]["channels_last"] is True
    assert np.isfinite(record["held_out"]["l1"])
    assert all(np.isfinite(point["g_l1"]) for point in record["curve"])


def test_options_default_to_on_for_a_gpu_and_off_for_the_cpu():
    assert train_pix2pix.resolve("auto", torch.device("cuda")) is True
    assert train_pix2pix.resolve("auto", torch.device("cpu")) is False
    assert train_pix2pix.resolve("on", torch.device("cpu")) is True


@pytest.mark.slow  # trains
def test_sigterm_finishes_the_model_instead_of_losing_it(aligned, tmp_path, monkeypatch):
    """A SIGTERM during training stops the loop at the next step; the model is still evaluated and written."""
    original_step = train_pix2pix.Trainer.step
    calls = []

    def step_then_terminate(self, sketch, real):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return original_step(self, sketch, real)

    monkeypatch.setattr(train_pix2pix.Trainer, "step", step_then_terminate)
    record = train(aligned, tmp_path, "--epochs", "50")
    assert record["training"]["ended"] == "stopped by a signal"
    assert record["training"]["steps"] == 2 and record["finished"] is True
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is removed afterwards


@pytest.mark.slow  # trains
def test_the_loop_reads_no_loss_back_between_log_steps(aligned, tmp_path, monkeypatch):
    """No per-step host sync: with --log-every 1000 the losses are read back only at the chunk's end."""
    reads = []
    original = torch.Tensor.tolist

    def counting_tolist(self):
        reads.append(tuple(self.shape))
        return original(self)

    original_item = torch.Tensor.item

    def item_outside_our_code(self):
        caller = inspect.stack()[1].filename  # torch's own CPU Adam reads its step counter; that is no device sync
        assert "train_pix2pix" not in caller and "models/pix2pix" not in caller, f".item() called from {caller}"
        return original_item(self)

    monkeypatch.setattr(torch.Tensor, "tolist", counting_tolist)
    monkeypatch.setattr(torch.Tensor, "item", item_outside_our_code)
    argv = ["--epochs", "3", "--log-every", "1000"]
    trainer_args = train_pix2pix.parse_args(
        ["--name", "tiny", "--aligned", str(aligned), "--image-size", "32", "--ngf", "4", "--ndf", "4"]
        + ["--batch-size", "4", "--runs-dir", str(tmp_path / "runs"), *argv]
    )
    trainer = train_pix2pix.Trainer(trainer_args, torch.device("cpu"))
    trainer.held_out = None  # the held-out evaluation reads metrics back by design; the loop must not
    with train_pix2pix.StopRequest() as stop:
        trainer.run(stop)
    assert trainer.meta["step"] == 6
    assert reads == [(3,)]  # one read of the three averaged losses, for the curve


def test_parse_args_defaults_to_30_epochs_and_rejects_both_lengths():
    assert train_pix2pix.parse_args(["--name", "x"]).epochs == 30
    with pytest.raises(SystemExit):
        train_pix2pix.parse_args(["--name", "x", "--epochs", "3", "--minutes", "2"])


@pytest.mark.slow  # trains
def test_a_fine_tune_starts_from_the_given_generator_with_the_options_recorded(aligned, tmp_path):
    """--init-from: the first step starts from the L1 run's weights (its config wins over --ngf and --upsample);
    --spectral-norm and --lr reach the discriminator and the record."""
    argv_l1 = ("--epochs", "1", "--l1-only", "--upsample", "resize")
    train(aligned, tmp_path, *argv_l1)
    start, _ = load_model(UNetGenerator, "tiny", tmp_path / "checkpoints")
    (tmp_path / "pretrained").mkdir()
    for suffix in (".safetensors", ".json"):
        (tmp_path / "checkpoints" / f"tiny{suffix}").rename(tmp_path / "pretrained" / f"tiny{suffix}")
    record = train(
        aligned, tmp_path, "--epochs", "1", "--init-from", str(tmp_path / "pretrained" / "tiny"),
        "--spectral-norm", "--lr", "1e-6", "--ngf", "8", "--runs-dir", str(tmp_path / "runs2"),
    )  # fmt: skip
    assert record["config"]["upsample"] == "resize" and record["config"]["ngf"] == 4
    assert record["training"]["initialized_from"]["checkpoint"].endswith("pretrained/tiny")
    assert "lr 1e-06" in record["training"]["optimizer"]
    tuned, _ = load_model(UNetGenerator, "tiny", tmp_path / "checkpoints")
    # two steps at lr 1e-6 barely move the weights: the run started from the pretrained generator
    drift = max((a - b).abs().max().item() for a, b in zip(start.parameters(), tuned.parameters(), strict=True))
    assert drift < 1e-3
    D, d_record = load_model(PatchDiscriminator, "tiny_d", tmp_path / "checkpoints")
    assert d_record["config"]["spectral_norm"] is True
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
