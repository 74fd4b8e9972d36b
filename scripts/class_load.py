"""A classroom on one server: one real Chromium student drags sliders while synthetic students replay real drags.

    python -m scripts.class_load                                  # 60 dragging students (1 real), 10 torch, 40 s
    python -m scripts.class_load --students 30 --runs 2 --write   # also writes docs/measured/class_load.md
    python -m scripts.class_load --baseline bd2165c --write       # that commit's app first, then this checkout's
    python -m scripts.class_load --checkout /tmp/old --label before --write   # the app of another checkout
    python -m scripts.class_load --url http://127.0.0.1:7860/     # an app you started (loopback only)
    python -m scripts.class_load --quiet-check                    # also the real student's drags with no load

Method. The app runs in its own process (scripts/bench.py's start_server) unless --url names one; everything else
runs in this process, on the same machine.
  1. Recording, before any load: in headless Chromium (1280×900 CSS px) the slider μ of "Gradient estimators" and
     the slider μ₁ of "KL vs Cauchy–Schwarz" are dragged once each with scripts/measure_drag.py's drag() (after one
     warm-up drag each), and every HTTP request the page sends from the pointer-down on the slider until the view
     is quiet after release is recorded (Playwright's page.on("request")): method, path, body, time since the
     pointer-down. A POST to …/queue/join is a queue event (the page then reads its result from the
     …/queue/data?session_hash=… event stream); any other request under /gradio_api/ (e.g. the gr.HTML server
     function …/component_server/ a drag step posts) is replayed as it was. Not replayed: the event-stream reads
     themselves (part of their queue event), the heartbeat, and static assets, scripts, styles, fonts and images
     (a browser keeps them in its cache). Nothing about the drag protocol is assumed: whatever the page sends is
     what the class sends.
  2. Synthetic students (--students − 1; half replay the μ drag, half the μ₁ drag) are asyncio tasks on one
     httpx client in a thread of this process. Each has its own session hash, written over the page's wherever it
     occurs in a path or body. Each replays its drag over and over, closed-loop like the page: a request leaves when
     the student's previous one has answered and not before its recorded time after the pointer-down; a request
     is skipped when a later recorded request of the same route (same server function, same queue event) is due
     already: the page sends only the newest values, and Gradio keeps only the last trigger of an event. A queue
     event is a join and then a read of the session's event stream until that event's process_completed. Between
     drags a student pauses 0.5–2 s (uniform; seeded by --seed and the student's number).
  3. Torch students (--torch-students) are gradio_client clients, one thread each, calling /vae_sample,
     /vae_traverse, /vae_encode and /sketch2image in turn with a 1-s pause after each answer (new seeds and digits
     each call, so that no cache answers).
  4. The real student: once the load has run RAMP_S s, Chromium drags μ and μ₁ in turn, --runs times each, with
     measure_drag's drag(), on two pages opened before the load, one per slider (an idle page costs CPU: a page
     per drag, as measure_drag opens, would load the machine with idle pages; before each drag the observers of
     the page's last one are disconnected). The load lasts --duration s, or until the real student's last drag
     has settled if that is later.

Tables.
  Real student, one row per slider and load:
    updates/s                   distinct table states the page showed during the drag, per second of drag
                                (measure_drag's column): median of the drags, and the worst (lowest);
    mouse-up → final view       from mouse-up to the last redraw of a plot or table: median, and the worst
                                (highest);
    drag took                   median time from the first move to mouse-up (2 s when the page keeps up).
    "recording, no load" is the recorded drag itself; "quiet" rows (--quiet-check) are --runs drags with no load.
  Server calls, one row per route: calls sent during the load, p50 and p95 of the time to the answer (a
    queue event: from its join to its process_completed), and errors (an HTTP error status, an {"error": …}
    answer of a server function, a failed or missing process_completed, a connection error or timeout, an
    exception in gradio_client).
  Below them: the load's length, the synthetic drag requests sent (all routes) and their rate, the recorded
  requests skipped as superseded, the CPU seconds used during the load (each also as a share of one core) by the
  server process, this process (the students), this process's Chromium and Playwright driver, and the rest of the
  machine (all its busy CPU time, /proc/stat, less those three: other people's work on a shared machine), and the
  load average (os.getloadavg(), 1 minute) at the start and at the end of the load. The load average counts this
  run's own threads too (the server's worker threads above all); the "rest of the machine" figure does not.

--baseline COMMIT checks that commit out into a temporary git worktree, serves its app with this Python and runs
the same class on it, then on this checkout. --checkout DIR serves the app of another checkout (e.g. a worktree
you made). --write puts each run in docs/measured/class_load.md (or the path given) as a section of its own, keyed
by label, commit and number of students, so that a rerun replaces only its own section.
"""

import argparse
import asyncio
import datetime
import os
import platform
import random
import re
import shlex
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import numpy as np

from scripts import measure_drag as md
from scripts.bench import free_port, start_server
from scripts.chromium import CHROMIUM, launch, open_app
from scripts.loopback import loopback_client, require_loopback

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "measured" / "class_load.md"
DRAGS = [("Gradient estimators", "μ"), ("KL vs Cauchy–Schwarz", "μ₁")]  # (tab, slider): what the class drags
RAMP_S = 3.0  # the load runs this long before the real student's first drag
START_SPREAD_S = 2.0  # synthetic students start at a random moment within this
PAUSE_S = (0.5, 2.0)  # a synthetic student's pause between two drags: uniform in this range
TORCH_PAUSE_S = 1.0
REQUEST_TIMEOUT_S = 120.0
STOP_GRACE_S = 60.0  # after the load's end, requests under way get this long to answer
SESSION_HASH = re.compile(r"session_hash(?:=|\"\s*:\s*\")([A-Za-z0-9_-]+)")


# ---------------------------------------------------------------------------------------------------------------
# Recording


class Recorded(NamedTuple):
    """One request of a recorded drag."""

    offset_s: float  # since the pointer-down on the slider
    method: str
    path: str  # path and query, e.g. "/gradio_api/component_server/"
    body: bytes | None
    content_type: str | None
    kind: str  # "queue" (join, then the event stream), "plain" (sent as recorded) or "skip" (not replayed)
    route: str  # what the tables call it; requests of one route supersede each other


CACHED_RESOURCES = {"document", "stylesheet", "script", "font", "image", "media", "manifest", "texttrack"}


def classify(method: str, path: str, resource_type: str | None = None) -> str:
    """How a request the page sent is replayed: "queue", "plain" or "skip" (Playwright's `resource_type` says
    whether it was a fetch or something a browser keeps in its cache once loaded)."""
    bare = path.split("?", 1)[0]
    if method == "POST" and bare.endswith("/queue/join"):
        return "queue"
    if bare.endswith("/queue/data") or "/heartbeat/" in bare or "/gradio_api/" not in bare:
        return "skip"  # read as part of its queue event; the session heartbeat; static assets (cached)
    if method == "GET" and resource_type in CACHED_RESOURCES:
        return "skip"  # a file the page shows or runs: fetched once, then cached
    return "plain"


def route_of(method: str, path: str, body: bytes | None, config: dict | None = None) -> str:
    """A request's route: the queue event (by api_name) or server function it calls, else method and path."""
    payload = _json(body)
    bare = path.split("?", 1)[0]
    if isinstance(payload, dict) and "fn_index" in payload and bare.endswith("/queue/join"):
        names = {dep.get("id"): dep.get("api_name") for dep in (config or {}).get("dependencies", [])}
        return f"queue event {names.get(payload['fn_index']) or 'fn ' + str(payload['fn_index'])}"
    if isinstance(payload, dict) and "fn_name" in payload and "component_id" in payload:
        types = {c.get("id"): c.get("type") for c in (config or {}).get("components", [])}
        kind = types.get(payload["component_id"]) or "component"
        return f"{kind} #{payload['component_id']} server function {payload['fn_name']}"
    return f"{method} {bare}"


def _json(body):
    import orjson

    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def find_session_hash(requests) -> str | None:
    """The page's session hash, as its requests carry it (in a query string or a JSON body)."""
    for request in requests:
        for text in (request.path, (request.body or b"").decode("utf-8", "replace")):
            if match := SESSION_HASH.search(text):
                return match.group(1)
    return None


def substitute(data, old: str | None, new: str):
    """`data` (str or bytes) with every occurrence of session hash `old` replaced by `new`."""
    if data is None or not old:
        return data
    if isinstance(data, bytes):
        return data.replace(old.encode(), new.encode())
    return data.replace(old, new)


def new_session_hash(rng: random.Random) -> str:
    """A session hash as Gradio's page makes one: 11 lowercase letters and digits."""
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(11))


# Installed before a recorded drag: the moment of the pointer-down on a slider, on the wall clock.
POINTER_DOWN = """
() => {
  window.__classLoadPointerDown = null;
  window.addEventListener('pointerdown', (event) => {
    if (event.target.matches && event.target.matches('input[type=range]'))
      window.__classLoadPointerDown = performance.timeOrigin + performance.now();
  }, true);
}
"""


# Installed once on a page that several drags share. measure_drag's OBSERVE adds observers at every drag; with
# these, each drag first disconnects the last one's (those whose callback writes to a drag log), so that a page's
# third drag costs the page what its first did.
OBSERVER_SHIM = """
() => {
  if (window.__classLoadObservers) return;
  window.__classLoadObservers = [];
  for (const name of ['MutationObserver', 'PerformanceObserver']) {
    const Native = window[name];
    window[name] = class extends Native {
      constructor(callback) {
        super(callback);
        if (/log\\.(plots|tables|long)\\.push/.test(String(callback))) window.__classLoadObservers.push(this);
      }
    };
  }
}
"""
DISCONNECT_OBSERVERS = """
() => {
  for (const observer of window.__classLoadObservers || []) observer.disconnect();
  if (window.__classLoadObservers) window.__classLoadObservers = [];
}
"""


def record_drag(page, tab: str, label: str, config: dict) -> tuple[list[Recorded], dict]:
    """Drag the slider once (measure_drag.drag) and record what the page sent; return the requests from the
    pointer-down on (all of them, "skip" ones included) and the drag's measurements."""
    seen = []
    listener = lambda request: seen.append((time.time() * 1000, request))  # noqa: E731
    page.evaluate(POINTER_DOWN)
    page.on("request", listener)
    try:
        row = md.drag(page, tab, label)
    finally:
        page.remove_listener("request", listener)
    down = page.evaluate("window.__classLoadPointerDown")
    if down is None:
        raise RuntimeError(f"no pointer-down on the slider {label} was seen")
    recorded = []
    for heard_ms, request in seen:
        started = (request.timing or {}).get("startTime") or -1
        started = started if started > 0 else heard_ms
        if started < down - 5:  # before the pointer-down (a few ms of clock slack)
            continue
        split = urlsplit(request.url)
        path = split.path + (f"?{split.query}" if split.query else "")
        body = request.post_data_buffer
        recorded.append(
            Recorded(
                offset_s=max(0.0, (started - down) / 1000),
                method=request.method,
                path=path,
                body=body,
                content_type=request.headers.get("content-type"),
                kind=classify(request.method, path, request.resource_type),
                route=route_of(request.method, path, body, config),
            )
        )
    return sorted(recorded, key=lambda r: r.offset_s), row


def describe_recording(label: str, recorded: list[Recorded]) -> str:
    """One line: what a recorded drag sends, by route."""
    replayed = [r for r in recorded if r.kind != "skip"]
    counts: dict[str, int] = {}
    for request in replayed:
        counts[request.route] = counts.get(request.route, 0) + 1
    span = max((r.offset_s for r in replayed), default=0.0)
    parts = ", ".join(f"{n} × {route}" for route, n in counts.items()) or "nothing"
    skipped = len(recorded) - len(replayed)
    return f"{label}: {len(replayed)} requests over {span:.1f} s ({parts}); {skipped} not replayed"


# ---------------------------------------------------------------------------------------------------------------
# Replay


def next_to_send(drag: list[Recorded], done: int, elapsed_s: float, coalesce: bool = True) -> int:
    """Index of the request a student sends next, once the first `done` of its drag have been sent or skipped,
    `elapsed_s` after its pointer-down: the first one not superseded by a later request of its route that is due
    already (the page sends only the newest values). The last request of a route is never superseded."""
    index = done
    while coalesce and index < len(drag):
        later = drag[index + 1 :]
        if not any(r.route == drag[index].route and r.offset_s <= elapsed_s for r in later):
            break
        index += 1
    return index


@dataclass
class Stats:
    """What the students saw: latencies (s) per route, errors, counts. Shared by the threads (hold `lock`)."""

    latencies: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)  # route -> count
    error_samples: list = field(default_factory=list)
    sent: int = 0  # synthetic drag requests sent
    skipped: int = 0  # recorded requests skipped as superseded
    drags: int = 0  # synthetic drags replayed to the end
    retried: int = 0  # requests sent again on a new connection (the kept-alive one was closed)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, route: str, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.latencies.setdefault(route, []).append(seconds)
            self.errors.setdefault(route, 0)
            if error:
                self.errors[route] += 1
                if len(self.error_samples) < 20:
                    self.error_samples.append(f"{route}: {error[:200]}")


def answer_error(payload) -> str | None:
    """The error a server function's answer carries ({"error": sentence}), if any."""
    if isinstance(payload, dict) and payload.get("error"):
        return str(payload["error"])
    return None


def completion_error(message: dict) -> str | None:
    """The error of a process_completed message, if any."""
    output = message.get("output") or {}
    if message.get("success") is False or (isinstance(output, dict) and output.get("error")):
        error = output.get("error") if isinstance(output, dict) else output
        return str(error or "process_completed without success")
    return None


async def send(http, request: Recorded, recorded_hash: str | None, session: str, stats=None) -> str | None:
    """Send one recorded request as student `session`; wait for its answer (a queue event: its completion).

    A request that finds its kept-alive connection closed by the server before any answer (uvicorn closes idle
    ones after 5 s) is sent once more on a new one, as a browser does; `stats.retried` counts those."""
    import httpx
    import orjson

    stale = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)

    def count_retry() -> None:
        if stats is not None:
            stats.retried += 1

    path = substitute(request.path, recorded_hash, session)
    body = substitute(request.body, recorded_hash, session)
    headers = {"content-type": request.content_type} if request.content_type else {}
    for attempt in range(2):
        try:
            response = await http.request(request.method, path, content=body, headers=headers)
            break
        except stale:
            if attempt:
                raise
            count_retry()
    if response.status_code >= 400:
        return f"HTTP {response.status_code}: {response.text[:150]}"
    if request.kind != "queue":
        return answer_error(_json(response.content)) if "json" in response.headers.get("content-type", "") else None
    event_id = (_json(response.content) or {}).get("event_id")
    if not event_id:
        return f"join without an event_id: {response.text[:150]}"
    stream = path.split("?", 1)[0].removesuffix("/join") + "/data"
    for attempt in range(2):
        answered = False
        try:
            async with http.stream("GET", stream, params={"session_hash": session}) as events:
                answered = True  # from here on the server has the stream: reading it again could miss the event
                if events.status_code >= 400:
                    return f"event stream HTTP {events.status_code}"
                async for line in events.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    message = orjson.loads(line[5:])
                    kind = message.get("msg")
                    if kind == "process_completed" and message.get("event_id") == event_id:
                        return completion_error(message)
                    if kind == "unexpected_error":
                        return f"unexpected_error: {message.get('message')}"
                    if kind == "close_stream":
                        break
            return "the event stream closed before the event completed"
        except stale:
            if attempt or answered:
                raise
            count_retry()
    raise AssertionError("unreachable")


async def synthetic_student(http, index, drag, recorded_hash, label, stats, stop, seed, coalesce) -> None:
    """Replay `drag` over and over until `stop` is set (see the module docstring)."""
    loop = asyncio.get_running_loop()
    rng = random.Random(f"{seed}-drag-{index}")
    session = new_session_hash(rng)
    await asyncio.sleep(rng.uniform(0, START_SPREAD_S))
    while not stop.is_set():
        start, done = loop.time(), 0
        while done < len(drag) and not stop.is_set():
            index_next = next_to_send(drag, done, loop.time() - start, coalesce)
            wait = start + drag[index_next].offset_s - loop.time()
            if wait > 0:  # not before its recorded time; by then a later one may supersede it
                await asyncio.sleep(wait)
                continue
            stats.skipped += index_next - done
            request = drag[index_next]
            sent = time.perf_counter()
            stats.sent += 1
            try:
                error = await send(http, request, recorded_hash, session, stats)
            except Exception as exc:  # a load test counts every failure, whatever its type
                error = f"{type(exc).__name__}: {exc}"
            stats.answered(f"{label}: {request.route}", time.perf_counter() - sent, error)
            done = index_next + 1
        if done == len(drag):
            stats.drags += 1
        pause_until = loop.time() + rng.uniform(*PAUSE_S)
        while not stop.is_set() and loop.time() < pause_until:
            await asyncio.sleep(min(0.25, pause_until - loop.time()))


async def swarm(url, students, recordings, stats, stop, seed, coalesce) -> None:
    """All synthetic students, on one httpx client; after `stop`, requests under way get STOP_GRACE_S."""
    import httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=2 * max(students, 1))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=REQUEST_TIMEOUT_S, verify=False) as http:
        tasks = []
        for index in range(students):
            label, drag, recorded_hash = recordings[index % len(recordings)]
            replayed = [r for r in drag if r.kind != "skip"]
            tasks.append(
                asyncio.create_task(
                    synthetic_student(http, index, replayed, recorded_hash, label, stats, stop, seed, coalesce)
                )
            )
        while not stop.is_set():
            await asyncio.sleep(0.1)
        _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_S) if tasks else (set(), set())
        for task in pending:
            task.cancel()


class TorchCall(NamedTuple):
    """A torch endpoint call as a student in the VAE or Sketch → image tab makes it (load_test.served_calls reads
    label, api_name and client_kwargs or kwargs)."""

    label: str
    api_name: str
    kwargs: dict
    client_kwargs: dict | None = None


def torch_calls() -> list[TorchCall]:
    from gradio_client import handle_file

    digit = ROOT / "data" / "digit_cases" / "clear.png"
    sketch = sorted((ROOT / "data" / "pix2pix_examples").glob("*.png"))[0]
    canvas = {"background": None, "layers": [], "composite": handle_file(str(sketch))}
    return [
        TorchCall(
            "/vae_sample", "/vae_sample", {"model": "kl", "n": 32, "temperature": 1.0, "seed": 0, "prior": "mixture"}
        ),
        TorchCall("/vae_traverse", "/vae_traverse", {"model": "kl", "digit_index": 0, "span": 3.0}),
        TorchCall("/vae_encode", "/vae_encode", {"image": handle_file(str(digit)), "model": "kl"}),
        TorchCall("/sketch2image", "/sketch2image", {"sketch": canvas, "model": "gan", "stochastic": False, "seed": 0}),
    ]


def vary(kwargs: dict, rng: random.Random) -> dict:
    """A new seed and digit each call, as a student clicking again gets: no cache answers."""
    varied = dict(kwargs)
    if "seed" in varied:
        varied["seed"] = rng.randrange(100_000)
    if "digit_index" in varied:
        varied["digit_index"] = rng.randrange(2000)
    return varied


def torch_student(client, index: int, calls, stats: Stats, stop: threading.Event, seed: int) -> None:
    rng = random.Random(f"{seed}-torch-{index}")
    stop.wait(rng.uniform(0, TORCH_PAUSE_S))
    turn = index
    while calls and not stop.is_set():
        label, api_name, kwargs = calls[turn % len(calls)]
        turn += 1
        started, error = time.perf_counter(), None
        try:
            client.predict(**vary(kwargs, rng), api_name=api_name)
        except Exception as exc:  # a load test counts every failure, whatever its type
            error = f"{type(exc).__name__}: {exc}"
        stats.answered(f"torch {label}", time.perf_counter() - started, error)
        stop.wait(TORCH_PAUSE_S)


# ---------------------------------------------------------------------------------------------------------------
# One run


def listening_pid(port: int) -> int | None:
    """The process listening on a loopback TCP port, if this user may see it (Linux /proc): the server's CPU."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (process / "fd").iterdir()):
                return int(process.name)
        except OSError:
            continue
    return None


def process_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds: its own and its ended children's) of every process this user can see."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / tick)  # utime … cstime
    return table


def tree_cpu(table: dict, root: int, exclude: int | None = None) -> float:
    """CPU seconds of `root` and its descendants (leaving out the subtree of `exclude`)."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        if pid == exclude or pid not in table:
            continue
        total += table[pid][1]
        stack += children.get(pid, [])
    return total


def machine_busy_s() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(server_pid: int | None) -> dict:
    """CPU seconds so far of the machine, the server, this process, and this process's other children (Chromium,
    Playwright's driver)."""
    table = process_table()
    own = table.get(os.getpid(), (0, 0.0))[1]
    return {
        "machine": machine_busy_s(),
        "server": tree_cpu(table, server_pid) if server_pid else None,
        "students": own,
        "browser": tree_cpu(table, os.getpid(), exclude=server_pid) - own,
    }


def cpu_used(before: dict, after: dict) -> dict:
    """CPU seconds each part used between two snapshots; "others": the rest of the machine (other users' work)."""
    used = {key: None if before[key] is None else after[key] - before[key] for key in before}
    used["others"] = used["machine"] - sum(used[key] or 0.0 for key in ("server", "students", "browser"))
    return used


def commit_of(checkout: Path) -> str:
    """The checkout's commit, short, with "+ changes" when tracked files differ from it."""
    git = ["git", "-C", str(checkout)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
    status = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    return commit.stdout.strip() + (" + changes" if status.stdout.strip() else "")


def percentile_ms(samples_s, q: float) -> float:
    return float(np.percentile(np.asarray(samples_s) * 1000, q))


def class_run(args, checkout: Path = ROOT) -> dict:
    """One class: start the app of `checkout` (or use --url), record, load, measure; return everything measured."""
    import httpx
    from playwright.sync_api import sync_playwright

    from scripts.load_test import served_calls

    began = time.monotonic()
    progress = lambda what: print(f"[{time.monotonic() - began:5.0f} s] {what}", file=sys.stderr)  # noqa: E731
    server, url = None, args.url
    if url is None:
        port = free_port()
        server, _ = start_server(["app.py", "--port", str(port)], port, cwd=checkout)
        url = f"http://127.0.0.1:{port}/"
        progress(f"app of {checkout} up at {url}")
    require_loopback(url)
    server_pid = server.pid if server else listening_pid(urlsplit(url).port or 80)
    result = {"url": url, "real": {}, "quiet": {}, "recorded": {}}
    try:
        config = httpx.get(url.rstrip("/") + "/config", timeout=60).json()
        with sync_playwright() as playwright:
            browser = launch(playwright)

            def fresh_page():
                page = browser.new_page(viewport=md.VIEWPORT)
                open_app(page, url)
                return page

            page = fresh_page()
            for tab, label in DRAGS:  # warm-up, not recorded: first requests, first renders
                md.drag(page, tab, label)
            page.close()
            recordings = []
            for tab, label in DRAGS:
                page = fresh_page()
                drag, row = record_drag(page, tab, label, config)
                page.close()
                replayed = [r for r in drag if r.kind != "skip"]
                if not replayed:
                    raise RuntimeError(f"the drag of {label} sent nothing to replay")
                recordings.append((label, drag, find_session_hash(drag)))
                result["recorded"][label] = {"rows": [row], "line": describe_recording(label, drag)}
                progress(f"recorded {result['recorded'][label]['line']}")
            if args.quiet_check:
                for tab, label in DRAGS:
                    for _ in range(args.runs):
                        page = fresh_page()
                        result["quiet"].setdefault(label, []).append(md.drag(page, tab, label))
                        page.close()
            # Opened before the load, one per slider: an idle page costs ~7% of a core here (and the real student has
            # one page open); the drags of a slider take turns on its page, each disconnecting the last one's
            # observers.
            pages = [fresh_page() for _ in DRAGS]
            for page in pages:
                page.evaluate(OBSERVER_SHIM)

            stats, stop, synthetic = Stats(), threading.Event(), args.students - 1
            calls = served_calls(url, torch_calls()) if args.torch_students else []
            # (gradio_client's own timeout is 5 s for an upload: a browser waits longer)
            clients = [
                loopback_client(url, httpx_kwargs={"timeout": REQUEST_TIMEOUT_S}) for _ in range(args.torch_students)
            ]
            result["load_start"] = os.getloadavg()
            cpu_before, started = cpu_snapshot(server_pid), time.monotonic()
            threads = [
                threading.Thread(
                    target=asyncio.run,
                    args=(swarm(url, synthetic, recordings, stats, stop, args.seed, not args.every_request),),
                    daemon=True,
                )
            ] + [
                threading.Thread(target=torch_student, args=(client, i, calls, stats, stop, args.seed), daemon=True)
                for i, client in enumerate(clients)
            ]
            for thread in threads:
                thread.start()
            progress(f"load started: {synthetic} synthetic and {args.torch_students} torch students")
            try:
                time.sleep(RAMP_S)
                for _ in range(args.runs):
                    for (tab, label), page in zip(DRAGS, pages, strict=True):
                        page.evaluate(DISCONNECT_OBSERVERS)
                        result["real"].setdefault(label, []).append(md.drag(page, tab, label))
                time.sleep(max(0.0, started + args.duration - time.monotonic()))
            finally:
                result["load_s"] = time.monotonic() - started
                stop.set()
                result["cpu"] = cpu_used(cpu_before, cpu_snapshot(server_pid))  # (pages still open: their CPU counts)
                result["load_end"] = os.getloadavg()
                for thread in threads:
                    thread.join(timeout=STOP_GRACE_S + 10)
                for client in clients:
                    client.close()
                progress(f"load ended after {result['load_s']:.0f} s; every student has stopped")
            for page in pages:
                page.close()
            browser.close()
        result["stats"] = stats
        result["synthetic"] = synthetic
    finally:
        if server:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    return result


# ---------------------------------------------------------------------------------------------------------------
# Tables


def median_worst(values, fmt: str, worst) -> str:
    """ "median (worst)" of the drags; one drag: its value."""
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{statistics.median(values):{fmt}} ({worst(values):{fmt}})"


def real_student_table(result: dict, load_name: str) -> str:
    lines = [
        "| slider | load | drags | updates/s, median (worst) | mouse-up → final view, median (worst) | drag took |",
        "|---|---|---|---|---|---|",
    ]
    for tab, label in DRAGS:
        for name, rows in (
            ("recording, no load", result["recorded"].get(label, {}).get("rows")),
            ("quiet (no load)", result["quiet"].get(label)),
            (load_name, result["real"].get(label)),
        ):
            if not rows:
                continue
            lines.append(
                f"| {label} ({tab}) | {name} | {len(rows)} | "
                f"{median_worst([r['updates_per_s'] for r in rows], '.1f', min)} | "
                f"{median_worst([r['final_ms'] for r in rows], '.0f', max)} ms | "
                f"{statistics.median(r['drag_s'] for r in rows):.1f} s |"
            )
    return "\n".join(lines)


def route_table(stats: Stats) -> str:
    lines = ["| route | calls | p50 (ms) | p95 (ms) | errors |", "|---|---|---|---|---|"]
    groups = {"synthetic drags, all routes": [], "torch students, all": []}
    errors = {name: 0 for name in groups}
    for route in sorted(stats.latencies, key=lambda r: (r.startswith("torch"), r)):
        samples = stats.latencies[route]
        group = "torch students, all" if route.startswith("torch ") else "synthetic drags, all routes"
        groups[group] += samples
        errors[group] += stats.errors[route]
        lines.append(
            f"| {route} | {len(samples)} | {percentile_ms(samples, 50):.0f} | {percentile_ms(samples, 95):.0f} | "
            f"{stats.errors[route]} |"
        )
    for name, samples in groups.items():
        if samples:
            lines.append(
                f"| **{name}** | {len(samples)} | {percentile_ms(samples, 50):.0f} | "
                f"{percentile_ms(samples, 95):.0f} | {errors[name]} |"
            )
    return "\n".join(lines)


def summary(result: dict, args) -> str:
    stats, cpu = result["stats"], result["cpu"]
    cores = os.cpu_count() or 1
    share = lambda seconds: f"{seconds:.0f} s ({seconds / result['load_s']:.0%} of one core)"  # noqa: E731
    server = "n/a (server process not found)" if cpu["server"] is None else share(cpu["server"])
    errors = sum(stats.errors.values())
    lines = [
        f"- load: {result['load_s']:.1f} s ({args.duration:g} s asked; the load lasts until the real student's "
        f"last drag has settled); {result['synthetic']} synthetic dragging students, {args.torch_students} torch "
        f"students, 1 real student",
        f"- synthetic drag requests sent: {stats.sent} ({stats.sent / result['load_s']:.1f}/s); drags replayed to "
        f"the end: {stats.drags}; recorded requests skipped as superseded: {stats.skipped}; sent again on a new "
        f"connection after the server had closed the kept-alive one (as a browser does): {stats.retried}",
        f"- CPU during the load ({cores} cores × {result['load_s']:.0f} s = {cores * result['load_s']:.0f} CPU-s): "
        f"server {server}; this process (the students) {share(cpu['students'])}; its Chromium and Playwright "
        f"driver {share(cpu['browser'])}; the rest of the machine (other work) {share(max(0.0, cpu['others']))}",
        f"- load average (1 min): {result['load_start'][0]:.1f} at the start of the load, "
        f"{result['load_end'][0]:.1f} at the end",
        f"- errors: {errors}",
    ]
    lines += [f"  - {sample}" for sample in stats.error_samples[:10]]
    return "\n".join(lines)


def report(result: dict, args, side: str, commit: str) -> str:
    """A run's section: heading, command, date and machine, the two tables and the summary."""
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    command = shlex.join(["python", "-m", "scripts.class_load", *sys.argv[1:]])
    load_name = f"{result['synthetic']} synthetic + {args.torch_students} torch students"
    recorded = "; ".join(entry["line"] for entry in result["recorded"].values())
    return (
        f"## {side}: {commit}, {args.students} students\n\n"
        f"`{command}` on {when} ({machine}); app {result['url']}, {args.runs} real drag(s) per slider, seed "
        f"{args.seed}.\n\n"
        f"Recorded drags (replayed by the synthetic students): {recorded}.\n\n"
        f"{real_student_table(result, load_name)}\n\n{route_table(result['stats'])}\n\n{summary(result, args)}\n"
    )


def write_block(path: Path, key: str, body: str) -> None:
    """Put `body` between the markers of `key` in `path` (appended when absent), keeping the rest."""
    start, end = f"<!-- class_load:{key} -->", f"<!-- /class_load:{key} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not text:
        text = (
            "# Classroom load: one real Chromium student among synthetic ones\n\n"
            "Written by `python -m scripts.class_load --write`; the method and the columns are in that script's "
            "docstring.\n"
        )
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = f"{text.rstrip()}\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def publish(result: dict, args, side: str, commit: str) -> None:
    text = report(result, args, side, commit)
    print(text)
    if args.write:
        write_block(args.write, f"{side}: {commit}, {args.students} students", text)
        print(f"(written to {args.write})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=60, help="dragging students, the real one included (60)")
    parser.add_argument("--torch-students", type=int, default=10, help="VAE and pix2pix students (10)")
    parser.add_argument("--duration", type=float, default=40.0, help="seconds of load, at least (40)")
    parser.add_argument("--runs", type=int, default=3, help="the real student's drags per slider (3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--url", help="an already running app on loopback (default: start this checkout's)")
    parser.add_argument("--baseline", metavar="COMMIT", help="run the same class on COMMIT's app first")
    parser.add_argument("--checkout", type=Path, help="serve the app of this other checkout instead of this one")
    parser.add_argument("--label", help="the section's name (default: 'this checkout', 'baseline' for --baseline)")
    parser.add_argument("--write", type=Path, nargs="?", const=DOC, help=f"write the tables to this file ({DOC})")
    parser.add_argument("--quiet-check", action="store_true", help="also the real student's drags with no load")
    parser.add_argument(
        "--every-request",
        action="store_true",
        help="synthetic students send every recorded request, even one a later one of its route supersedes",
    )
    args = parser.parse_args()
    if sum(bool(x) for x in (args.url, args.baseline, args.checkout)) > 1:
        parser.error("use one of --url, --baseline and --checkout")
    if args.students < 1 or args.torch_students < 0 or args.runs < 1 or not args.duration > 0:
        parser.error("--students and --runs must be at least 1, --torch-students at least 0, --duration above 0")
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is missing (apt-get install chromium).")

    if args.baseline:
        with tempfile.TemporaryDirectory() as tmp:
            checkout = Path(tmp) / "baseline"
            subprocess.run(
                ["git", "worktree", "add", "--detach", "-q", str(checkout), args.baseline], cwd=ROOT, check=True
            )
            try:
                publish(class_run(args, checkout), args, args.label or "baseline", commit_of(checkout))
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT, check=True)
        publish(class_run(args), args, "this checkout", commit_of(ROOT))
    elif args.checkout:
        publish(class_run(args, args.checkout.resolve()), args, args.label or "checkout", commit_of(args.checkout))
    else:
        commit = f"app at {args.url}" if args.url else commit_of(ROOT)
        publish(class_run(args), args, args.label or ("app" if args.url else "this checkout"), commit)


if __name__ == "__main__":
    main()
