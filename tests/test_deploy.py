"""Two replicas behind nginx with session affinity (scripts/deploy_local.py, deploy/nginx.conf.template): a link, a
queued event, a streamed event, an upload and an output file, the Persian page, all through the proxy; then one
replica dies and new sessions still get answers from the other."""

import math
import re
from pathlib import Path

import httpx
import pytest

import app
from demos.language import CATALOGUES
from scripts.chromium import open_app
from scripts.deploy_local import NGINX, running
from scripts.loopback import loopback_client
from tests.conftest import require_system_tool

pytestmark = pytest.mark.slow

DIGIT = Path(__file__).resolve().parent.parent / "data" / "digit_cases" / "clear.png"
LINK = {"mu1": 2, "sigma1": 0.5, "mu2": -1, "sigma2": 1.5}
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@pytest.fixture(scope="module")
def deployment():
    require_system_tool(NGINX, "nginx", "deployment")
    with running(replicas=2) as deployment:
        yield deployment


@pytest.fixture(autouse=True)
def diagnosis(deployment):
    """After each test, the replicas' state and the logs' last lines: pytest shows them when the test failed."""
    yield
    print(deployment.diagnosis())


def new_client(deployment, downloads):
    """A fresh gradio_client (a new session: it gets its own affinity cookie); downloads=False keeps file URLs."""
    return loopback_client(deployment.url, download_files=downloads if downloads is False else str(downloads))


def served_by(deployment, line_contains: str) -> set[str]:
    """The replicas ("127.0.0.1:PORT") that served the logged requests containing `line_contains`."""
    return {line.rsplit("upstream=", 1)[1].split(", ")[-1] for line in deployment.access_log() if line_contains in line}


def table_numbers(table: dict) -> list[float]:
    return [float(cell) for row in table["data"] for cell in row[1:] if isinstance(cell, float) and math.isfinite(cell)]


def open_page(browser, url: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    open_app(page, url)
    return page


def test_a_session_stays_on_one_replica_for_events_streams_uploads_and_files(deployment, tmp_path):
    client = new_client(deployment, False)
    key = client.cookies["gml_replica"]  # set by the proxy on the client's first request (/config)

    table = client.predict(**LINK, api_name="/divergences")[-1]
    assert [row[0] for row in table["data"]] and table_numbers(table)

    updates = []
    for update in client.submit(regularizer="kl", lam=1.0, epochs=1, seed=0, api_name="/vae_train_live"):
        updates.append(update)
    assert len(updates) >= 2, "the streaming endpoint sent fewer than two updates through the proxy"
    assert [len(loss["data"]) for loss, _, _ in updates[:2]] == [1, 2]

    grid = client.predict(model="kl", n=4, temperature=1.0, seed=0, api_name="/vae_sample")
    assert grid["url"].startswith(deployment.url + "gradio_api/file="), grid["url"]  # X-Forwarded-Host kept the port
    answer = httpx.get(grid["url"], cookies=client.cookies, timeout=30)
    assert answer.status_code == 200 and answer.content.startswith(b"\x89PNG")

    from gradio_client import handle_file

    seen, reconstruction, readings = client.predict(image=handle_file(str(DIGIT)), model="kl", api_name="/vae_encode")
    assert {row[0] for row in readings["data"]} >= {"classifier digit"}  # the upload reached the replica that read it

    # Every request of this client went to one replica (the stream's and the upload's included).
    assert len(served_by(deployment, f"affinity={key} ")) == 1, "\n".join(deployment.access_log())


def test_a_link_and_the_persian_page_through_the_proxy(deployment, browser, tmp_path):
    expected = table_numbers(new_client(deployment, tmp_path).predict(**LINK, api_name="/divergences")[-1])
    query = "&".join(f"{key}={value}" for key, value in LINK.items())
    page = open_page(browser, f"{deployment.url}?tab=divergences&{query}")
    page.locator("[role=tab][aria-selected=true][data-tab-id=divergences]").wait_for(timeout=60_000)
    for _ in range(120):  # the link's values are applied by a queued event; its table is drawn with them
        shown = [float(n) for n in NUMBER.findall(page.locator("[role=tabpanel]:visible").first.inner_text())]
        missing = [v for v in expected if not any(math.isclose(v, s, rel_tol=1e-5, abs_tol=1e-9) for s in shown)]
        if not missing:
            break
        page.wait_for_timeout(500)
    assert not missing, f"the linked view never showed {missing[:5]}"
    assert page.locator(".toast-body.error").count() == 0
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["gml_replica"]
    assert len(served_by(deployment, f"affinity={cookie} ")) == 1  # the page and all its calls: one replica
    page.context.close()

    page = open_page(browser, f"{deployment.url}?lang=fa")
    persian_titles = [CATALOGUES["fa"][f"tabs.{tab.name}"] for tab in app.TABS]
    page.get_by_role("tab", name=persian_titles[-1]).wait_for(timeout=60_000)
    assert page.locator("[role=tab]").all_inner_texts() == persian_titles
    assert page.locator("[role=tablist]").first.evaluate("e => getComputedStyle(e).direction") == "rtl"
    page.context.close()


def test_when_a_replica_dies_new_sessions_go_to_the_other(deployment, browser, tmp_path):
    """Kill the replica that cookieless clients (hashed by address) reach: new clients, pages and cookieless calls
    are passed to the live one."""
    httpx.get(deployment.url + "gradio_api/info", timeout=30).raise_for_status()  # no cookie: hashed on 127.0.0.1
    (address,) = served_by(deployment, "affinity=127.0.0.1 ")
    dead = next(i for i, replica in enumerate(deployment.replicas) if address.endswith(f":{replica.port}"))
    deployment.kill(dead)
    live = f"127.0.0.1:{deployment.replicas[1 - dead].port}"

    assert httpx.get(deployment.url + "gradio_api/info", timeout=30).status_code == 200
    for index in range(4):
        client = new_client(deployment, tmp_path / str(index))
        table = client.predict(mu1=index, sigma1=1, mu2=0, sigma2=1, api_name="/divergences")[-1]
        assert table_numbers(table)
        assert served_by(deployment, f"affinity={client.cookies['gml_replica']} ") == {live}
    for _ in range(2):
        page = open_page(browser, f"{deployment.url}?tab=divergences")
        page.locator("[role=tab][aria-selected=true][data-tab-id=divergences]").wait_for(timeout=60_000)
        assert page.locator(".toast-body.error").count() == 0
        page.context.close()
    failed_over = [line for line in deployment.access_log() if f"upstream={address}, {live}" in line]
    assert failed_over, "no request was passed from the dead replica to the live one"
