"""demos.zerogpu: spaces.GPU where the `spaces` package is importable, nothing elsewhere (with a fake module)."""

import sys
import types

import pytest

from demos import zerogpu


@pytest.fixture
def fake_spaces(monkeypatch):
    """A stand-in for Hugging Face's `spaces` package that records what GPU() wrapped, and with which duration."""
    calls = []

    def gpu(duration=60):
        def wrap(function):
            def on_borrowed_gpu(*args, **kwargs):
                calls.append((function.__name__, duration))
                return function(*args, **kwargs)

            return on_borrowed_gpu

        return wrap

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=gpu))
    zerogpu.spaces_module.cache_clear()
    yield calls
    zerogpu.spaces_module.cache_clear()


def test_without_spaces_the_function_is_returned_unchanged(monkeypatch):
    monkeypatch.setitem(sys.modules, "spaces", None)  # makes `import spaces` raise ImportError
    zerogpu.spaces_module.cache_clear()
    try:

        def forward(x):
            return x + 1

        assert zerogpu.on_gpu(forward) is forward
        assert zerogpu.on_gpu(duration=30)(forward) is forward
        assert not zerogpu.active()
    finally:
        zerogpu.spaces_module.cache_clear()


def test_with_spaces_each_call_runs_under_spaces_gpu_with_a_short_duration(fake_spaces):
    @zerogpu.on_gpu
    def forward(x):
        return x * 2

    @zerogpu.on_gpu(duration=30)
    def slower(x):
        return x - 1

    assert forward(21) == 42 and slower(1) == 0
    assert fake_spaces == [("forward", zerogpu.GPU_SECONDS), ("slower", 30)]
    assert zerogpu.GPU_SECONDS <= 15 and zerogpu.active()


@pytest.mark.slow  # reimports the tab (Gradio)
def test_the_sketch_endpoints_use_the_gpu_wrapper(fake_spaces):
    """Rebuilt under the fake `spaces`, the tab's torch endpoints go through spaces.GPU."""
    import importlib

    import demos.pix2pix as tab

    try:
        reloaded = importlib.reload(tab)
        assert reloaded.sketch2image.__name__ == "on_borrowed_gpu"
        assert reloaded.draw_on_gpu.__name__ == "on_borrowed_gpu"
    finally:
        zerogpu.spaces_module.cache_clear()
        sys.modules.pop("spaces", None)
        importlib.reload(tab)
