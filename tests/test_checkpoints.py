"""Checkpoint I/O: exact round trip, and a clear CheckpointError for every way a file can be bad."""

import json
import re

import pytest
import torch

from models.checkpoints import (
    CHECKPOINT_DIR,
    RETRAIN_COMMANDS,
    CheckpointError,
    load_model,
    load_state_into,
    provenance,
    read_record,
    save_checkpoint,
)


class Tiny(torch.nn.Sequential):
    def __init__(self, width: int = 3):
        super().__init__(torch.nn.Linear(4, width), torch.nn.BatchNorm1d(width))
        self.config = {"width": width}


def small_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return Tiny()


@pytest.fixture
def saved(tmp_path):
    model = small_model()
    save_checkpoint(model, "tiny", {"accuracy": 0.5}, directory=tmp_path)
    return model, tmp_path


def test_round_trip_is_exact(saved):
    model, directory = saved
    restored, record = load_model(Tiny, "tiny", directory)
    for key, value in model.state_dict().items():
        assert torch.equal(value, restored.state_dict()[key]), key
    assert record == read_record("tiny", directory) == {"config": {"width": 3}, "accuracy": 0.5}
    assert not restored.training


def test_environment_variable_points_at_another_folder(saved, monkeypatch):
    _, directory = saved
    monkeypatch.setenv("GML_CHECKPOINT_DIR", str(directory))
    assert read_record("tiny")["config"] == {"width": 3}


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="missing"):
        load_state_into(small_model(), "absent", tmp_path)
    with pytest.raises(CheckpointError, match="missing"):
        read_record("absent", tmp_path)


def test_truncated_file(saved):
    _, directory = saved
    path = directory / "tiny.safetensors"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CheckpointError, match="unreadable or corrupt"):
        load_state_into(small_model(), "tiny", directory)


def test_garbage_file(saved):
    _, directory = saved
    (directory / "tiny.safetensors").write_bytes(b"\x80\x04 this is a pickle, not safetensors")
    with pytest.raises(CheckpointError, match="unreadable or corrupt"):
        load_state_into(small_model(), "tiny", directory)


def test_wrong_shape(saved):
    _, directory = saved
    wider = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5))
    with pytest.raises(CheckpointError, match="shape"):
        load_state_into(wider, "tiny", directory)


def test_missing_keys(saved):
    _, directory = saved
    deeper = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 1))
    with pytest.raises(CheckpointError, match="missing keys"):
        load_state_into(deeper, "tiny", directory)


def test_non_finite_weights(tmp_path):
    model = small_model()
    with torch.no_grad():
        model[0].weight[0, 0] = float("nan")
    save_checkpoint(model, "nan", {}, directory=tmp_path)
    with pytest.raises(CheckpointError, match="NaN"):
        load_state_into(small_model(), "nan", tmp_path)


def test_record_config_must_be_the_constructor_arguments(tmp_path):
    with pytest.raises(ValueError, match="differs"):
        save_checkpoint(small_model(), "tiny", {"config": {"width": 4}}, directory=tmp_path)
    with pytest.raises(ValueError, match="no `config`"):
        save_checkpoint(torch.nn.Linear(2, 2), "plain", {}, directory=tmp_path)


def test_config_that_fits_no_constructor(saved):
    _, directory = saved
    (directory / "tiny.json").write_text(json.dumps({"config": {"depth": 2}}))
    with pytest.raises(CheckpointError, match="does not fit Tiny"):
        load_model(Tiny, "tiny", directory)


def test_provenance_names_command_commit_versions_and_data():
    record = provenance("abc123", "cpu")
    assert record["data_sha256"] == "abc123" and record["device"] == "cpu"
    assert record["torch"] == torch.__version__ and record["numpy"] and record["python"]
    assert len(record["git_commit"].split("+")[0]) == 40 and record["command"]


def test_bad_json(saved):
    _, directory = saved
    (directory / "tiny.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        read_record("tiny", directory)
    (directory / "tiny.json").write_text(json.dumps({"accuracy": 1}))
    with pytest.raises(CheckpointError, match="no 'config'"):
        read_record("tiny", directory)


def test_fp16_storage_loads_into_float32(tmp_path):
    model = small_model()
    save_checkpoint(model, "half", {}, directory=tmp_path, dtype=torch.float16)
    restored = load_state_into(small_model(), "half", tmp_path)
    assert restored[0].weight.dtype == torch.float32
    torch.testing.assert_close(restored[0].weight, model[0].weight, atol=1e-3, rtol=1e-3)


SHIPPED_RECORDS = sorted(path.with_suffix(".json") for path in CHECKPOINT_DIR.glob("*.safetensors"))
PROVENANCE_KEYS = {"command", "git_commit", "python", "torch", "numpy", "device", "data_sha256"}


@pytest.mark.parametrize("path", SHIPPED_RECORDS, ids=lambda path: path.stem)
def test_every_shipped_record_says_how_it_was_made(path):
    record = json.loads(path.read_text())
    assert set(record.get("provenance", {})) >= PROVENANCE_KEYS, (
        f"{path.name} lacks {PROVENANCE_KEYS - set(record.get('provenance', {}))}"
    )
    assert record["provenance"]["command"].startswith("python -m scripts.")
    assert path.stem in RETRAIN_COMMANDS, f"RETRAIN_COMMANDS does not say how to rebuild {path.stem}"


def test_every_retrain_command_is_documented():
    training_doc = (CHECKPOINT_DIR.parent / "docs" / "training.md").read_text()
    for name, command in RETRAIN_COMMANDS.items():
        for part in command.split(" && "):
            assert f"`{part}`" in training_doc or part in training_doc, f"docs/training.md lacks `{part}` ({name})"


def test_training_times_in_docs_are_the_records():
    """docs/training.md's time column, for the shipped models, is what their records say."""
    rows = {
        line.split("|")[1].strip(): line
        for line in (CHECKPOINT_DIR.parent / "docs" / "training.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| ")
    }
    classifier = json.loads((CHECKPOINT_DIR / "mnist_classifier.json").read_text())
    shown = re.search(r"\| (\d+) s \|$", rows["digit classifier + reference statistics"])
    assert abs(float(shown.group(1)) - classifier["training_seconds"]) <= 0.5
    for row, name in (("KL-VAE", "vae_kl"), ("CS-VAE (λ = 1)", "vae_cs"), ("2-D KL-VAE (latent map)", "vae_kl_2d")):
        training = json.loads((CHECKPOINT_DIR / f"{name}.json").read_text())["training"]
        # "<seconds> s on <the record's device>", whichever machine trained it
        shown = re.search(r"(\d+) s on " + re.escape(training["device"]), rows[row])
        assert shown and abs(float(shown.group(1)) - training["seconds"]) <= 0.5, row
