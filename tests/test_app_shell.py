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


def test_every_public_endpoint_answers_a_valid_call(client):
    """Lists the API and calls each public endpoint once, with the arguments its tab benchmarks."""
    cases = {case.api_name: case for _, module in app.TABS for case in module.BENCH_CASES}
    public = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert set(public) == {
        "/estimators",
        "/divergences",
        "/vae_sample",
        "/vae_traverse",
        "/vae_metrics",
        "/sketch2image",
    }
    for api_name, info in public.items():
        result = client.predict(**(cases[api_name].client_kwargs or cases[api_name].kwargs), api_name=api_name)
        outputs = result if isinstance(result, tuple) else (result,)
        assert len(outputs) == len(info["returns"]), api_name
        assert all(output is not None for output in outputs), api_name
