"""Pick the compute device in one place: CUDA when present, else CPU; GML_DEVICE overrides."""

import os

import torch

DEVICE_ENV = "GML_DEVICE"


def select_device() -> torch.device:
    """Return the device every model runs on.

    Set GML_DEVICE=cpu (or cuda, cuda:1, ...) to override the automatic choice.
    """
    requested = os.environ.get(DEVICE_ENV, "").strip()
    if requested:
        device = torch.device(requested)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"{DEVICE_ENV}={requested} but no CUDA GPU is available.")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_label(device: torch.device) -> str:
    """Human name of a device: the GPU model for CUDA, 'CPU' otherwise."""
    if device.type == "cuda":
        return f"CUDA GPU ({torch.cuda.get_device_name(device)})"
    return "CPU"
