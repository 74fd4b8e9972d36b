"""The app assembles, serves, and exposes its public endpoints."""

import urllib.request

import app


def test_tabs_in_order():
    assert [title for title, _ in app.TABS] == [
        "Gradient estimators",
        "KL vs Cauchy–Schwarz",
        "VAE explorer",
        "Sketch → image",
    ]


def test_cli_defaults_and_env(monkeypatch):
    args = app.parse_args([])
    assert (args.host, args.port, args.share) == ("127.0.0.1", 7860, False)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8123")
    args = app.parse_args([])
    assert (args.host, args.port) == ("0.0.0.0", 8123)
    assert app.parse_args(["--port", "9000", "--share"]).port == 9000


def test_page_serves(app_url):
    with urllib.request.urlopen(app_url, timeout=30) as response:
        assert response.status == 200
        assert "Generative Models Lab" in response.read().decode()
