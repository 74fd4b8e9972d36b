"""Hugging Face ZeroGPU: run the torch endpoints on a borrowed GPU where the `spaces` package is importable.

On a ZeroGPU Space, `spaces.GPU(duration=...)` attaches a GPU to the process for the duration of each call of
the decorated function and releases it afterwards; elsewhere (this machine, a CPU Space, a dedicated-GPU Space)
`on_gpu` returns the function unchanged, so nothing changes. Results must leave the function as CPU data (NumPy,
PIL, floats), never CUDA tensors. Calls made outside a request (e.g. while the app is being built) get no GPU.
"""

import functools
import importlib
from collections.abc import Callable

GPU_SECONDS = 10  # per call: one forward pass takes milliseconds; a short duration keeps the visitors' quota


@functools.cache
def spaces_module():
    """The `spaces` package where it is importable (ZeroGPU Spaces), else None."""
    try:
        return importlib.import_module("spaces")
    except ImportError:
        return None


def active() -> bool:
    return spaces_module() is not None


def on_gpu(fn: Callable | None = None, *, duration: int = GPU_SECONDS):
    """Decorator: `spaces.GPU(duration=duration)(fn)` on ZeroGPU, `fn` itself elsewhere.

    Use as @on_gpu or @on_gpu(duration=30).
    """

    def decorate(function: Callable) -> Callable:
        spaces = spaces_module()
        return function if spaces is None else spaces.GPU(duration=duration)(function)

    return decorate(fn) if fn is not None else decorate
