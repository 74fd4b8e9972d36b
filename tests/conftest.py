"""Shared fixtures: the whole app, launched once in-process on a free port."""

import contextlib
import os
import socket

import pytest
import torch

from scripts.chromium import CHROMIUM, launch
from scripts.loopback import loopback_client

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    # Gradio reads GRADIO_TEMP_DIR at import time, so point it under pytest's tmp dir before any test imports it.
    base = config._tmp_path_factory.getbasetemp()
    os.environ["GRADIO_TEMP_DIR"] = str(base / "gradio")


# Tests that serve the app or drive a browser form the slow tier; `pytest -m "not slow"` leaves them out.
SLOW_FIXTURES = {"served_app", "app_url", "client", "browser"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def served_app():
    """The full app (its gr.Blocks), served in this process for the whole test session."""
    import app

    demo = app.build_app()
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **app.launch_kwargs())
    yield demo
    demo.close()


@pytest.fixture(scope="session")
def app_url(served_app):
    """URL of the full app."""
    return served_app.local_url


@pytest.fixture(scope="session")
def client(app_url, tmp_path_factory):
    """A gradio_client connected to the running app (analytics off, downloads under pytest's tmp dir)."""
    return loopback_client(app_url, download_files=str(tmp_path_factory.mktemp("downloads")))


@contextlib.contextmanager
def _one_torch_thread():
    # Small convolutions and tiny steps: more threads only contend for the shared CI cores (many times slower).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture
def one_thread():
    """One torch thread for this test."""
    with _one_torch_thread():
        yield


@pytest.fixture(scope="module")
def one_thread_per_module():
    """One torch thread for the whole module (use with pytestmark = pytest.mark.usefixtures(...))."""
    with _one_torch_thread():
        yield


def require_system_tool(path: str, package: str, what: str) -> None:
    """Skip a test whose Debian package is absent, except under CI=true (CI must install it: .ci/run)."""
    if not os.path.exists(path):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{path} is missing; CI must install Debian's {package} package.")
        pytest.skip(f"{path} is not installed (apt-get install {package}) — {what} tests skipped.")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; skipped where it is absent, except under CI=true."""
    require_system_tool(CHROMIUM, "chromium", "browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts_dir():
    """Screenshots and other evidence from the browser tests (gitignored)."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
