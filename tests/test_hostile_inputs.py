"""Garbage through the public API: every endpoint, every parameter, answered in bounded time, never a crash.

Calls go over Gradio's plain HTTP API (not gradio_client), so values a client library would refuse to send —
NaN, ±inf, wrong types, 10,000-character strings, oversized or empty images — reach the server exactly as a hostile
caller would send them. A summary of outcomes per endpoint is written to test-artifacts/hostile_inputs.md.
"""

import io
import json
import math
import time
from collections import Counter, defaultdict

import httpx
import pytest
from PIL import Image

import app

CALL_TIMEOUT_S = 120  # generous for a loaded 2-core CI machine; a hang would blow far past it
IMAGE_COMPONENTS = {"sketchpad", "imageeditor", "image"}  # compared lower-case: view_api says "Imageeditor"

SCALAR_GARBAGE = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    -1,
    0,
    10**12,
    "",
    "x" * 10_000,
    None,
    [1, 2],
    {"a": 1},
    True,
]


def public_cases():
    """One valid call per public endpoint (from the tabs' BENCH_CASES)."""
    cases = {}
    for tab in app.TABS:
        for case in tab.bench_cases:
            cases.setdefault(case.api_name, case)
    return cases


def upload(http: httpx.Client, base: str, image: Image.Image | bytes, name: str = "x.png") -> dict:
    if isinstance(image, Image.Image):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        image = buffer.getvalue()
    response = http.post(f"{base}gradio_api/upload", files={"files": (name, image, "image/png")})
    response.raise_for_status()
    return {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}, "orig_name": name}


def to_wire(http, base, value):
    """Turn gradio_client's handle_file() references into uploaded FileData dicts, recursively."""
    if isinstance(value, dict) and value.get("meta", {}).get("_type") == "gradio.FileData":
        with open(value["path"], "rb") as handle:
            return upload(http, base, handle.read())
    if isinstance(value, dict):
        return {key: to_wire(http, base, item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_wire(http, base, item) for item in value]
    return value


def valid_data(http, base, info: dict, case) -> list:
    """The positional payload of a valid call: the bench case's arguments, else each parameter's default."""
    kwargs = to_wire(http, base, case.client_kwargs or case.kwargs)
    return [kwargs.get(p["parameter_name"], p.get("parameter_default")) for p in info["parameters"]]


def call(http: httpx.Client, base: str, api_name: str, data: list) -> tuple[str, str, float]:
    """POST one call and read its event stream: ('complete' | 'error', message, seconds)."""
    start = time.perf_counter()
    body = json.dumps({"data": data}, allow_nan=True)  # NaN and Infinity literals, as a hostile caller may send
    response = http.post(f"{base}gradio_api/call{api_name}", content=body, headers={"Content-Type": "application/json"})
    if response.status_code != 200:
        return "rejected", response.text[:200], time.perf_counter() - start
    event_id = response.json()["event_id"]
    outcome, message = "none", ""
    with http.stream("GET", f"{base}gradio_api/call{api_name}/{event_id}") as stream:
        event = None
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                outcome, message = event, line.split(":", 1)[1].strip()
                break
    return outcome, message, time.perf_counter() - start


def image_garbage(http, base):
    huge = Image.new("RGB", (6000, 6000), "white")
    return {
        "not an image": {"background": None, "layers": [], "composite": upload(http, base, b"not a png", "x.png")},
        "huge 6000x6000": {"background": None, "layers": [], "composite": upload(http, base, huge)},
        "1x1": {"background": None, "layers": [], "composite": upload(http, base, Image.new("RGB", (1, 1)))},
        "transparent": {
            "background": None,
            "layers": [],
            "composite": upload(http, base, Image.new("RGBA", (300, 200), (0, 0, 0, 0))),
        },
        "all black": {"background": None, "layers": [], "composite": upload(http, base, Image.new("L", (97, 131)))},
        "server file path": {"background": None, "layers": [], "composite": {"path": "/etc/passwd"}},
        "empty dict": {},
        "string": "x" * 10_000,
        "number": math.nan,
        "null": None,
    }


@pytest.fixture(scope="module")
def http():
    with httpx.Client(timeout=CALL_TIMEOUT_S) as client:
        yield client


def test_every_public_endpoint_has_a_bench_case(client):
    public = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert public, "the app exposes no public endpoint"
    assert public == set(public_cases()), "every public endpoint needs a BENCH_CASE (used here and in benchmarks)"


def test_hostile_inputs_never_crash_or_hang(app_url, client, http, artifacts_dir):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    cases = public_cases()
    outcomes: dict[str, Counter] = defaultdict(Counter)
    problems, completed = [], []
    for api_name, info in endpoints.items():
        case = cases[api_name]
        for index, parameter in enumerate(info["parameters"]):
            is_image = parameter["component"].lower() in IMAGE_COMPONENTS
            if is_image:
                garbage = image_garbage(http, app_url)
            else:
                garbage = {repr(value)[:30]: value for value in SCALAR_GARBAGE}
            for label, value in garbage.items():
                data = valid_data(http, app_url, info, case)
                data[index] = value
                outcome, message, seconds = call(http, app_url, api_name, data)
                outcomes[api_name][outcome] += 1
                where = f"{api_name} {parameter['parameter_name']}={label}"
                if outcome == "complete":
                    completed.append(where)
                if outcome not in ("complete", "error"):
                    problems.append(f"{where}: no answer ({outcome}: {message})")
                if seconds > CALL_TIMEOUT_S:
                    problems.append(f"{where}: took {seconds:.0f} s")
                # Gradio itself checks an image payload (the dict's schema, that each file is an image inside its upload
                # folder) before any app code runs, and refuses a bad one without a message (a known limitation,
                # README "Classroom load"); every other bad value must get the endpoint's own sentence.
                if outcome == "error" and not is_image and not (json.loads(message) or {}).get("error"):
                    problems.append(f"{where}: an error without a sentence for the caller")
                if "Traceback" in message or 'File "' in message:
                    problems.append(f"{where}: leaked a traceback: {message[:200]}")

    lines = ["| endpoint | hostile calls | answered with an error | completed (value coerced or ignored) |"]
    lines.append("|---|---|---|---|")
    for api_name, counts in sorted(outcomes.items()):
        lines.append(f"| {api_name} | {sum(counts.values())} | {counts['error']} | {counts['complete']} |")
    lines += ["", "Completed (a valid value, or one the component coerced):", *(f"- {where}" for where in completed)]
    (artifacts_dir / "hostile_inputs.md").write_text("\n".join(lines) + "\n")
    assert not problems, "\n".join(problems)

    # The app still serves everyone afterwards.
    for api_name, case in cases.items():
        outcome, message, _ = call(http, app_url, api_name, valid_data(http, app_url, endpoints[api_name], case))
        assert outcome == "complete", f"{api_name} no longer answers a valid call: {message}"
