"""scripts/class_load.py: its replay (what is sent, as whom, when) and tables (fast), and a small class (slow)."""

import argparse
import asyncio
import concurrent.futures
import json
import os
import random
import threading
import time

import httpx
import pytest

from scripts import class_load as cl
from scripts.chromium import CHROMIUM

CONFIG = {
    "dependencies": [{"id": 6, "api_name": "update_view_2"}],
    "components": [{"id": 63, "type": "html"}],
}
OLD = "t0371w5c45p"


def step_body(mu: float, final: bool = False) -> bytes:
    data = {"moved": "mu", "mu": mu, **({"final": True} if final else {})}
    return json.dumps({"data": data, "component_id": 63, "fn_name": "step", "session_hash": OLD}).encode()


JOIN_BODY = json.dumps({"data": [1.0, True], "fn_index": 6, "trigger_id": 10, "session_hash": OLD}).encode()


def recorded(offset, path="/gradio_api/component_server/", body=None, method="POST"):
    return cl.Recorded(
        offset,
        method,
        path,
        body,
        "application/json",
        cl.classify(method, path),
        cl.route_of(method, path, body, CONFIG),
    )


# A drag as today's page sends it: steps, the final step, then Gradio's event.
DRAG = [
    recorded(0.00, body=step_body(0.95)),
    recorded(0.10, body=step_body(0.90)),
    recorded(0.20, body=step_body(0.85)),
    recorded(0.30, body=step_body(0.85, final=True)),
    recorded(0.35, "/gradio_api/queue/join?", JOIN_BODY),
]


def test_requests_are_classified_for_replay():
    assert cl.classify("POST", "/gradio_api/queue/join?") == "queue"
    assert cl.classify("GET", f"/gradio_api/queue/data?session_hash={OLD}") == "skip"  # read with its join
    assert cl.classify("GET", f"/gradio_api/heartbeat/{OLD}") == "skip"
    assert cl.classify("GET", "/assets/KaTeX_Main-Regular.woff2") == "skip"  # a browser has it cached
    assert cl.classify("POST", "/gradio_api/component_server/") == "plain"
    assert cl.classify("GET", "/gradio_api/file=/tmp/gradio/x.png") == "plain"
    assert cl.classify("GET", "/gradio_api/file=demos/static/live_math.js", "script") == "skip"  # cached
    assert cl.classify("POST", "/gradio_api/component_server/", "fetch") == "plain"


def test_routes_name_the_event_or_server_function():
    assert DRAG[0].route == DRAG[3].route == "html #63 server function step"
    assert DRAG[4].route == "queue event update_view_2"
    assert cl.route_of("POST", "/gradio_api/queue/join", b'{"fn_index": 9}', CONFIG) == "queue event fn 9"
    assert cl.route_of("POST", "/gradio_api/upload?upload_id=1", b"\x00binary", CONFIG) == "POST /gradio_api/upload"


def test_the_students_own_session_hash_replaces_the_pages_everywhere():
    get = cl.Recorded(0, "GET", f"/gradio_api/queue/data?session_hash={OLD}", None, None, "skip", "x")
    assert cl.find_session_hash([get]) == OLD
    assert cl.find_session_hash(DRAG) == OLD
    assert cl.find_session_hash([cl.Recorded(0, "POST", "/x", b"{}", None, "plain", "x")]) is None
    assert cl.substitute(step_body(1.0), OLD, "abc") == step_body(1.0).replace(OLD.encode(), b"abc")
    assert OLD.encode() not in cl.substitute(JOIN_BODY, OLD, "abc")
    assert cl.substitute(f"/q?session_hash={OLD}", OLD, "abc") == "/q?session_hash=abc"
    assert cl.substitute(None, OLD, "abc") is None and cl.substitute(b"x", None, "abc") == b"x"
    hashes = [cl.new_session_hash(random.Random(f"0-drag-{i}")) for i in range(50)]
    assert len(set(hashes)) == 50 and all(len(h) == 11 and h.isalnum() and h == h.lower() for h in hashes)
    assert hashes[0] == cl.new_session_hash(random.Random("0-drag-0"))  # seeded


def test_a_student_skips_steps_a_newer_one_of_their_route_supersedes():
    assert cl.next_to_send(DRAG, 0, 0.0) == 0  # on time: nothing to skip
    assert cl.next_to_send(DRAG, 1, 0.25) == 2  # step 1 answered late: 0.90 is stale, 0.85 is due
    assert cl.next_to_send(DRAG, 1, 0.32) == 3  # only the final step is sent
    assert cl.next_to_send(DRAG, 3, 5.0) == 3  # the last of its route is never skipped
    assert cl.next_to_send(DRAG, 4, 5.0) == 4  # another route does not supersede it
    assert cl.next_to_send(DRAG, 1, 0.32, coalesce=False) == 1
    assert cl.next_to_send(DRAG, 5, 9.0) == 5  # done


def sse(*messages) -> bytes:
    return b"".join(b"data: " + json.dumps(m).encode() + b"\n\n" for m in messages)


class FakeApp:
    """An app on httpx.MockTransport: answers steps and queue events, and logs what each session sent when."""

    def __init__(self, step_s=0.0, fail_step=None, fail_event=False, drop=()):
        self.log, self.step_s, self.fail_step, self.fail_event = [], step_s, fail_step, fail_event
        self.drop, self.requests = set(drop), 0  # requests (numbered from 0) whose connection closes unanswered
        self.busy: set[str] = set()
        self.overlaps = 0

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.requests - 1 in self.drop:
            raise httpx.ReadError("connection closed by the server", request=request)
        body = json.loads(request.content) if request.content else {}
        session = body.get("session_hash") or request.url.params.get("session_hash")
        self.log.append((time.monotonic(), request.method, request.url.path, session, body))
        if request.url.path.endswith("/component_server/"):
            self.overlaps += session in self.busy
            self.busy.add(session)
            await asyncio.sleep(self.step_s)
            self.busy.discard(session)
            if body["data"]["mu"] == self.fail_step:
                return httpx.Response(200, json={"error": "mu must be in [-4, 4]"})
            return httpx.Response(200, json={"html": {}})
        if request.url.path.endswith("/queue/join"):
            return httpx.Response(200, json={"event_id": f"e-{session}"})
        if request.url.path.endswith("/queue/data"):
            done = {"msg": "process_completed", "event_id": f"e-{session}", "success": not self.fail_event}
            done["output"] = {"error": "boom"} if self.fail_event else {"data": [1]}
            content = sse({"msg": "estimation", "event_id": f"e-{session}"}, {"msg": "heartbeat"}, done)
            return httpx.Response(200, content=content, headers={"content-type": "text/event-stream"})
        return httpx.Response(404)


def run(coro_fn, app: FakeApp):
    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(app.handler), base_url="http://test") as http:
            return await coro_fn(http)

    # In a thread of its own: in a full test session Playwright's sync API (the browser tests) leaves an event loop
    # running in this thread, where asyncio.run refuses to start another (the script runs its students in a thread too).
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def test_send_waits_for_the_event_and_counts_error_answers():
    app = FakeApp(fail_step=0.9)
    assert run(lambda http: cl.send(http, DRAG[0], OLD, "mine"), app) is None
    assert run(lambda http: cl.send(http, DRAG[1], OLD, "mine"), app) == "mu must be in [-4, 4]"
    assert run(lambda http: cl.send(http, DRAG[4], OLD, "mine"), app) is None
    paths = [(method, path, session) for _, method, path, session, _ in app.log]
    assert paths[-2:] == [("POST", "/gradio_api/queue/join", "mine"), ("GET", "/gradio_api/queue/data", "mine")]
    assert all(session == "mine" for *_, session in paths)
    assert "boom" in run(lambda http: cl.send(http, DRAG[4], OLD, "mine"), FakeApp(fail_event=True))
    missing = cl.Recorded(0, "POST", "/gradio_api/nothing", b"{}", None, "plain", "x")
    assert run(lambda http: cl.send(http, missing, OLD, "mine"), app).startswith("HTTP 404")


def test_students_replay_closed_loop_each_as_themselves(monkeypatch):
    """Three students, 10 ms steps: each sends one request at a time, none before its recorded time, every request
    as its own session; all drags are counted, and the stop ends them."""
    monkeypatch.setattr(cl, "START_SPREAD_S", 0.05)
    monkeypatch.setattr(cl, "PAUSE_S", (0.05, 0.1))
    app, stats, stop = FakeApp(step_s=0.01), cl.Stats(), threading.Event()
    replayed = [r for r in DRAG if r.kind != "skip"]

    async def students(http):
        tasks = [cl.synthetic_student(http, i, replayed, OLD, "μ", stats, stop, 0, True) for i in range(3)]
        threading.Timer(1.2, stop.set).start()
        await asyncio.gather(*tasks)

    run(students, app)
    sessions = {session for *_, session, _ in app.log}
    assert len(sessions) == 3 and OLD not in sessions
    assert app.overlaps == 0  # closed loop
    assert stats.drags >= 3 and sum(stats.errors.values()) == 0
    assert stats.sent == sum(len(v) for v in stats.latencies.values())
    assert set(stats.latencies) == {"μ: html #63 server function step", "μ: queue event update_view_2"}
    for session in sessions:  # within a drag, request i leaves no earlier than its offset after the first
        times = [t for t, method, _, s, _ in app.log if s == session and method == "POST"]
        first = times[0]
        for t, request in zip(times[1:5], replayed[1:5], strict=True):
            assert t - first >= request.offset_s - 0.005


def fake_result(errors=0) -> dict:
    stats = cl.Stats()
    for i in range(20):
        stats.answered("μ: html #63 server function step", 0.010 * (i + 1), "boom" if i < errors else None)
    stats.answered("torch /vae_sample", 0.5)
    stats.sent, stats.drags = 21, 1
    row = {"updates_per_s": 4.0, "final_ms": 300.0, "drag_s": 2.1}
    worse = {"updates_per_s": 1.0, "final_ms": 900.0, "drag_s": 2.3}
    return {
        "url": "http://127.0.0.1:1/",
        "real": {"μ": [row, worse, row], "μ₁": [row]},
        "quiet": {},
        "recorded": {"μ": {"rows": [row], "line": "μ: 2 requests"}, "μ₁": {"rows": [row], "line": "μ₁: 2 requests"}},
        "stats": stats,
        "synthetic": 2,
        "load_s": 10.0,
        "cpu": {"machine": 14.0, "server": 5.0, "students": 1.0, "browser": 2.0, "others": 6.0},
        "load_start": (0.5, 0, 0),
        "load_end": (1.5, 0, 0),
    }


def test_tables_give_medians_worsts_percentiles_and_errors():
    args = argparse.Namespace(students=3, torch_students=1, duration=8.0, runs=3, seed=0)
    text = cl.report(fake_result(errors=2), args, "before", "abc1234")
    assert text.startswith("## before: abc1234, 3 students\n")
    assert "| μ (Gradient estimators) | 2 synthetic + 1 torch students | 3 | 4.0 (1.0) | 300 (900) ms | 2.1 s |" in text
    assert "| μ (Gradient estimators) | recording, no load | 1 | 4.0 | 300 ms | 2.1 s |" in text
    assert "| μ: html #63 server function step | 20 | 105 | 190 | 2 |" in text
    assert "| **torch students, all** | 1 | 500 | 500 | 0 |" in text
    assert "synthetic drag requests sent: 21 (2.1/s)" in text
    assert "server 5 s (50% of one core)" in text and "0.5 at the start of the load, 1.5 at the end" in text
    assert "(2 cores × 10 s = 20 CPU-s)" in text or os.cpu_count() != 2
    assert "the rest of the machine (other work) 6 s (60% of one core)" in text
    assert "- errors: 2\n  - μ: html #63 server function step: boom" in text


def test_write_block_replaces_only_its_own_run(tmp_path):
    path = tmp_path / "class_load.md"
    cl.write_block(path, "before: a, 30 students", "table 1")
    cl.write_block(path, "before: a, 60 students", "table 2")
    cl.write_block(path, "before: a, 30 students", "table 3")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Classroom load")
    assert "table 1" not in text and text.index("table 3") < text.index("table 2")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")
def test_a_small_class_runs_without_errors():
    args = argparse.Namespace(
        students=3, torch_students=2, duration=8.0, runs=1, seed=0, url=None, quiet_check=False, every_request=False
    )
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # its own Playwright, apart from the browser tests' one
        result = pool.submit(cl.class_run, args).result()
    text = cl.report(result, args, "this checkout", "test")
    assert sum(result["stats"].errors.values()) == 0, result["stats"].error_samples
    for label in ("μ", "μ₁"):
        assert len(result["real"][label]) == 1, text
        assert result["real"][label][0]["inputs"] >= 10, text  # the mouse really moved the slider
        assert f"| {label} (" in text and "2 synthetic + 2 torch students | 1 |" in text
    assert result["stats"].sent > 0 and result["cpu"]["server"] > 0 and result["cpu"]["browser"] > 0
    assert {route.split(":")[0] for route in result["stats"].latencies} >= {"μ", "μ₁"}
    assert {f"torch {call.label}" for call in cl.torch_calls()} <= set(result["stats"].latencies), text
    assert "- errors: 0" in text


def test_error_answers_are_recognised():
    assert cl.completion_error({"msg": "process_completed", "success": True, "output": {"data": [1]}}) is None
    assert cl.completion_error({"success": False, "output": {"error": "Queue is full"}}) == "Queue is full"
    assert cl.completion_error({"success": False, "output": {}}) == "process_completed without success"
    assert cl.answer_error({"error": "mu must be in [-4, 4]"}) == "mu must be in [-4, 4]"
    assert cl.answer_error({"html": {}}) is None and cl.answer_error([1, 2]) is None


def test_a_closed_kept_alive_connection_is_retried_once_as_a_browser_does():
    stats = cl.Stats()
    assert run(lambda http: cl.send(http, DRAG[0], OLD, "mine", stats), FakeApp(drop={0})) is None
    assert run(lambda http: cl.send(http, DRAG[4], OLD, "mine", stats), FakeApp(drop={0})) is None  # the join
    assert run(lambda http: cl.send(http, DRAG[4], OLD, "mine", stats), FakeApp(drop={1})) is None  # its stream
    assert stats.retried == 3
    with pytest.raises(httpx.ReadError):  # a second failure is the server's
        run(lambda http: cl.send(http, DRAG[0], OLD, "mine", stats), FakeApp(drop={0, 1}))


def test_cpu_is_split_between_server_students_browser_and_the_rest():
    table = cl.process_table()
    me = os.getpid()
    assert me in table and cl.tree_cpu(table, me) >= table[me][1] > 0
    assert cl.tree_cpu(table, me, exclude=me) == 0
    fake = {1: (0, 10.0), 2: (1, 5.0), 3: (2, 1.0), 4: (1, 2.0)}  # 2 has a child 3
    assert cl.tree_cpu(fake, 1) == 18.0 and cl.tree_cpu(fake, 1, exclude=2) == 12.0
    before = {"machine": 100.0, "server": 10.0, "students": 1.0, "browser": 2.0}
    after = {"machine": 130.0, "server": 25.0, "students": 4.0, "browser": 6.0}
    assert cl.cpu_used(before, after) == {
        "machine": 30.0,
        "server": 15.0,
        "students": 3.0,
        "browser": 4.0,
        "others": 8.0,
    }
    snapshot = cl.cpu_snapshot(None)
    assert snapshot["server"] is None and snapshot["machine"] > 0 and snapshot["students"] > 0


def test_the_observer_shim_recognises_every_observer_measure_drag_installs():
    """Drags that share a page disconnect the last drag's observers: the shim must know each one OBSERVE makes."""
    import re

    from scripts import measure_drag as md

    pattern = re.compile(re.search(r"if \(/(.+?)/\.test", cl.OBSERVER_SHIM).group(1).replace("\\\\", "\\"))
    chunks = re.split(r"new (?:Mutation|Performance)Observer\(", md.OBSERVE)[1:]
    assert len(chunks) >= 3  # the charts, the tables, the long tasks
    assert all(pattern.search(chunk.split("\n")[0] + chunk.split("\n")[1]) for chunk in chunks), chunks
