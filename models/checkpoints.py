"""Weights as safetensors + a JSON record side by side (never pickle), as diffusers does.

    checkpoints/<name>.safetensors   the state dict
    checkpoints/<name>.json          {"config": constructor arguments, "provenance": how it was made, ...metrics}

`config` is exactly the model class's constructor arguments (every model keeps them as `model.config`), so one
function, `load_model(ModelClass, name)`, rebuilds any model. Loading checks that every expected key is present
with the expected shape, so a truncated, corrupt or mismatched file raises CheckpointError with a sentence a
person can act on.
"""

import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINT_DIR = ROOT / "checkpoints"
CHECKPOINT_DIR_ENV = "GML_CHECKPOINT_DIR"  # points the app at another folder (tests use a broken copy)


def checkpoint_dir() -> Path:
    return Path(os.environ.get(CHECKPOINT_DIR_ENV) or CHECKPOINT_DIR)


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable or does not fit the model."""


def checkpoint_paths(name: str, directory: Path | None = None) -> tuple[Path, Path]:
    directory = Path(directory) if directory else checkpoint_dir()
    return directory / f"{name}.safetensors", directory / f"{name}.json"


# The one place that says how each shipped checkpoint is rebuilt (messages of disabled tabs, docs/training.md).
RETRAIN_COMMANDS = {
    "mnist_classifier": "python -m scripts.train_classifier",
    "mnist_reference_stats": "python -m scripts.train_classifier",
    # A VAE's fitted prior is fitted to its codes: retraining the VAE means refitting its prior.
    "vae_kl": "python -m scripts.train_vae --regularizer kl --latent 16 --blocks 1 --epochs 150 && "
    "python -m scripts.fit_vae_prior --model vae_kl",
    "vae_cs": "python -m scripts.train_vae --regularizer cs --latent 16 --lam 1 --blocks 1 --epochs 150 && "
    "python -m scripts.fit_vae_prior --model vae_cs",
    "vae_kl_prior": "python -m scripts.fit_vae_prior --model vae_kl",
    "vae_cs_prior": "python -m scripts.fit_vae_prior --model vae_cs",
    "vae_digit_reference": "python -m scripts.digit_reference",
    "vae_kl_2d": "python -m scripts.train_vae --regularizer kl --latent 2 --blocks 1 --epochs 150 --warmup-epochs 5",
    "pix2pix_gan": "python -m scripts.build_pix2pix_data && "
    "python -m scripts.train_pix2pix --name pix2pix_gan --init-from checkpoints/pix2pix_l1 --ndf 16 --spectral-norm "
    "--lr 1e-4 --minutes 40",
    "pix2pix_gan_d": "python -m scripts.build_pix2pix_data && "
    "python -m scripts.train_pix2pix --name pix2pix_gan --init-from checkpoints/pix2pix_l1 --ndf 16 --spectral-norm "
    "--lr 1e-4 --minutes 40",
    "pix2pix_l1": "python -m scripts.build_pix2pix_data && "
    "python -m scripts.train_pix2pix --name pix2pix_l1 --l1-only --ngf 16 --upsample resize --minutes 35",
}


COMMIT_ENV = "GML_GIT_COMMIT"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def provenance(data_sha256: str | None, device: str | None = None) -> dict:
    """How a checkpoint was produced: command line, commit, library versions and the data's checksum."""
    commit = _git("rev-parse", "HEAD")
    if not commit:  # a copy of the tree without .git (e.g. sent to a GPU machine): its commit given by the sender
        commit = os.environ.get(COMMIT_ENV, "unknown")
    elif _git("status", "--porcelain", "--untracked-files=no"):
        commit += "+uncommitted changes"
    script = Path(sys.argv[0]).resolve()
    if script.is_relative_to(ROOT / "scripts"):  # recorded the way README runs it: python -m scripts.<name>
        command = ["python", "-m", script.with_suffix("").relative_to(ROOT).as_posix().replace("/", "."), *sys.argv[1:]]
    else:
        command = sys.argv
    return {
        "command": shlex.join(command),
        "git_commit": commit,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "device": device or "cpu",
        "data_sha256": data_sha256,
    }


def save_checkpoint(
    model: torch.nn.Module,
    name: str,
    record: dict,
    directory: Path | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[Path, Path]:
    """Write the model's state dict and its JSON record: {"config": model.config} followed by `record`.

    `record` should hold a "provenance" entry (see `provenance`); its own "config", if any, must equal model.config.
    """
    config = getattr(model, "config", None)
    if not isinstance(config, dict):
        raise ValueError(f"{type(model).__name__} has no `config` dict of its constructor arguments.")
    if record.get("config", config) != config:
        raise ValueError("The record's config differs from the model's constructor arguments.")
    record = {"config": config} | {key: value for key, value in record.items() if key != "config"}
    weights_path, json_path = checkpoint_paths(name, directory)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    state = {}
    for key, tensor in model.state_dict().items():
        tensor = tensor.detach().cpu()
        if dtype is not None and tensor.is_floating_point():
            tensor = tensor.to(dtype)
        state[key] = tensor.contiguous()
    save_file(state, str(weights_path))
    json_path.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n")
    return weights_path, json_path


def read_record(name: str, directory: Path | None = None) -> dict:
    """The JSON record of a checkpoint (config, training curve, metrics)."""
    _, json_path = checkpoint_paths(name, directory)
    if not json_path.is_file():
        raise CheckpointError(f"Checkpoint config {json_path} is missing.")
    try:
        record = json.loads(json_path.read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"Checkpoint config {json_path} is not valid JSON ({exc}).") from exc
    if not isinstance(record, dict) or not isinstance(record.get("config"), dict):
        raise CheckpointError(f"Checkpoint config {json_path} has no 'config' section.")
    return record


def load_model(model_class: type[torch.nn.Module], name: str, directory: Path | None = None):
    """(model, record): `model_class(**config)` filled with checkpoint `name`'s weights, in eval mode."""
    record = read_record(name, directory)
    try:
        model = model_class(**record["config"])
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"The config of checkpoint {name} does not fit {model_class.__name__} ({exc}).") from exc
    return load_state_into(model, name, directory).eval(), record


def load_state_into(model: torch.nn.Module, name: str, directory: Path | None = None) -> torch.nn.Module:
    """Fill `model` with the weights of checkpoint `name`, checking keys and shapes first."""
    weights_path, _ = checkpoint_paths(name, directory)
    if not weights_path.is_file():
        raise CheckpointError(f"Checkpoint {weights_path} is missing.")
    try:
        state = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"Checkpoint {weights_path} is unreadable or corrupt ({exc}).") from exc
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"Checkpoint {weights_path} does not match the model: "
            f"{len(missing)} missing keys (e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]})."
        )
    for key, tensor in state.items():
        if tuple(tensor.shape) != tuple(expected[key].shape):
            raise CheckpointError(
                f"Checkpoint {weights_path}: '{key}' has shape {tuple(tensor.shape)}, "
                f"the model expects {tuple(expected[key].shape)}."
            )
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError(f"Checkpoint {weights_path}: '{key}' contains NaN or infinite values.")
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()})
    return model


def save_resume(path: Path, models: dict, optimizers: dict, meta: dict) -> None:
    """Weights and Adam moments as safetensors, counters and curves as JSON (no pickle)."""
    tensors = {
        f"{name}.{k}": v.detach().cpu().contiguous() for name, m in models.items() for k, v in m.state_dict().items()
    }
    groups = {}
    for name, optimizer in optimizers.items():
        state = optimizer.state_dict()
        groups[name] = state["param_groups"]
        for index, slots in state["state"].items():
            for slot, value in slots.items():
                tensors[f"optim.{name}.{index}.{slot}"] = value.detach().cpu().reshape(value.shape).contiguous()
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp))
    tmp.replace(path.with_suffix(".safetensors"))  # atomic: a kill mid-write leaves the previous state intact
    path.with_suffix(".json").write_text(json.dumps({**meta, "param_groups": groups}, indent=1))


def load_resume(path: Path, models: dict, optimizers: dict) -> dict:
    """Restore what save_resume wrote into `models` and `optimizers`; returns its meta."""
    tensors = load_file(str(path.with_suffix(".safetensors")))
    meta = json.loads(path.with_suffix(".json").read_text())
    for name, model in models.items():
        model.load_state_dict({k[len(name) + 1 :]: v for k, v in tensors.items() if k.startswith(f"{name}.")})
    for name, optimizer in optimizers.items():
        state: dict = {}
        for key, value in tensors.items():
            if key.startswith(f"optim.{name}."):
                _, _, index, slot = key.split(".")
                state.setdefault(int(index), {})[slot] = value
        optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"][name]})
    return meta
