"""The app assembles, serves, and exposes its public endpoints."""

import json
import urllib.request
from pathlib import Path

import app
from demos import estimators, gradio_seam
from demos.language import CATALOGUES


def test_each_tab_has_one_name_for_its_module_texts_and_docs():
    root = Path(app.__file__).resolve().parent
    names = [tab.name for tab in app.TABS]
    assert len(set(names)) == len(names) >= 4
    for name in names:
        assert (root / "demos" / name / "__init__.py").is_file() and (root / "docs" / f"{name}.md").is_file(), name
        assert (root / "demos" / name / "texts" / name / "strings.en.json").is_file(), name
        assert list((root / "tests").glob(f"test_{name}*.py")), name


def test_cli_defaults_and_env(monkeypatch):
    args = app.parse_args([])
    assert (args.host, args.port, args.share) == ("127.0.0.1", 7860, False)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8123")
    args = app.parse_args([])
    assert (args.host, args.port) == ("0.0.0.0", 8123)
    assert app.parse_args(["--port", "9000", "--share"]).port == 9000


def test_page_serves_the_four_tabs_in_order(app_url):
    with urllib.request.urlopen(app_url, timeout=30) as response:
        assert response.status == 200
        assert "Generative Models Lab" in response.read().decode()
    with urllib.request.urlopen(app_url + "config", timeout=30) as response:
        components = json.load(response)["components"]
    served = [(c["props"].get("id"), c["props"].get("label")) for c in components if c["type"] == "tabitem"]
    assert [tab_id for tab_id, _ in served] == [tab.name for tab in app.TABS]
    for (tab_id, label), tab in zip(served, app.TABS, strict=True):  # titles come from the language catalogue
        assert f'"tabs.{tab_id}"' in label and CATALOGUES["en"][f"tabs.{tab_id}"] == tab.title()


def test_every_public_endpoint_answers_a_valid_call(client):
    """Lists the API and calls each public endpoint once, with the arguments its tab benchmarks."""
    cases = {case.api_name: case for tab in app.TABS for case in tab.bench_cases}
    public = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert set(public) == {
        "/estimators",
        "/divergences",
        "/vae_sample",
        "/vae_traverse",
        "/vae_metrics",
        "/vae_encode",
        "/vae_train_live",
        "/sketch2image",
    }
    # Each tab declares its endpoints and their parameters (its link keys) in its TabSpec: the app serves exactly those.
    declared = {f"/{name}": list(parameters) for tab in app.TABS for name, parameters in tab.endpoints.items()}
    assert {name: [p["parameter_name"] for p in info["parameters"]] for name, info in public.items()} == declared
    for api_name, info in public.items():
        result = client.predict(**(cases[api_name].client_kwargs or cases[api_name].kwargs), api_name=api_name)
        outputs = result if isinstance(result, tuple) else (result,)
        assert len(outputs) == len(info["returns"]), api_name
        assert all(output is not None for output in outputs), api_name


def test_gradios_monitoring_summary_is_not_rebuilt_after_every_event(served_app, client):
    """Five calls rebuild the pandas summary at most once (every 100 events, app.py), not five times."""
    with gradio_seam.monitoring_summary_rebuilds(served_app) as rebuilds:
        for seed in range(5):
            client.predict(**{**estimators.DEFAULTS, "seed": seed}, api_name="/estimators")
    assert len(rebuilds) <= 1
