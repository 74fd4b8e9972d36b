"""Weights as safetensors + a JSON config side by side (never pickle).

    checkpoints/<name>.safetensors   the state dict
    checkpoints/<name>.json          {"config": {...}, ...metrics and training record}

Loading checks that every expected key is present with the expected shape, so a truncated,
corrupt or mismatched file raises CheckpointError with a sentence a person can act on.
"""

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

CHECKPOINT_DIR = Path(__file__).resolve().parent.parent / "checkpoints"
CHECKPOINT_DIR_ENV = "GML_CHECKPOINT_DIR"  # points the app at another folder (tests use a broken copy)


def checkpoint_dir() -> Path:
    return Path(os.environ.get(CHECKPOINT_DIR_ENV) or CHECKPOINT_DIR)


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable or does not fit the model."""


def checkpoint_paths(name: str, directory: Path | None = None) -> tuple[Path, Path]:
    directory = Path(directory) if directory else checkpoint_dir()
    return directory / f"{name}.safetensors", directory / f"{name}.json"


def save_checkpoint(
    model: torch.nn.Module,
    name: str,
    record: dict,
    directory: Path | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[Path, Path]:
    """Write the model's state dict and its JSON record (which must hold a "config" key)."""
    if "config" not in record:
        raise ValueError("The checkpoint record needs a 'config' entry to rebuild the model.")
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
