"""Pick the compute device in one place: CUDA when present, else CPU; GML_DEVICE overrides. And the dtype the
live previews compute in on that device."""

import os

import torch

DEVICE_ENV = "GML_DEVICE"
NATIVE_BFLOAT16_PROBES = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's CPU-feature checks


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


def preview_dtype(device: torch.device) -> torch.dtype:
    """The dtype of the models that draw the live previews (the metrics and likelihoods always use float32).

    bfloat16 on a CPU that computes it natively (AVX-512 BF16 or AMX): there the VAE decoders run about twice as
    fast, and the decoded grey levels stay within 8/255 of float32's (tests/test_vae.py). float32
    elsewhere: a GPU is fast enough, and an older CPU would emulate bfloat16 more slowly than float32.
    """
    if device.type != "cpu":
        return torch.float32
    native = [getattr(torch.cpu, probe, lambda: False)() for probe in NATIVE_BFLOAT16_PROBES]
    return torch.bfloat16 if any(native) else torch.float32
