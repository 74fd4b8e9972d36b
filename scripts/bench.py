"""Latency of every public endpoint, beside Gradio's own floor, as a Markdown table.

    python -m scripts.bench              # 30 calls per endpoint
    python -m scripts.bench --calls 50

For each endpoint in the tabs' BENCH_CASES it reports
  - compute: the endpoint function called directly in this process (the work alone);
  - end to end: the same call through gradio_client against the app running in its own process;
  - floor: a no-op endpoint with the same input/output component types, served the same way in the same run,
    so the ratio end-to-end / floor says how much the endpoint adds to what Gradio itself costs;
and the app's cold start: from process start to the first HTTP 200.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from scripts.loopback import loopback_client
from scripts.report import publish

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

FLOOR_IMAGE_SIZE = 512  # the image the no-op floor returns, about the size the image endpoints return


def build_floor_app():
    """No-op endpoints with the component types of the real ones, queued and caching images as app.py does: what
    Gradio costs by itself."""
    import gradio as gr
    import plotly.graph_objects as go

    import app
    from demos import atomic_image_cache

    atomic_image_cache.install()

    figure = go.Figure(go.Scatter(x=[0, 1], y=[0, 1]))
    table = [["a", 0.0, 0.0], ["b", 0.0, 0.0], ["c", 0.0, 0.0], ["d", 0.0, 0.0]]
    image = np.full((FLOOR_IMAGE_SIZE, FLOOR_IMAGE_SIZE, 3), 255, dtype=np.uint8)
    with gr.Blocks(analytics_enabled=False) as floor:
        number = gr.Number()
        gr.Button("plot+table").click(
            lambda x: (figure, table), number, [gr.Plot(), gr.Dataframe()], api_name="number_plot_table"
        )
        gr.Button("image").click(lambda x: image, number, gr.Image(), api_name="number_image")
        sketch = gr.Sketchpad()
        gr.Button("sketch").click(lambda s: image, sketch, gr.Image(), api_name="sketch_image")
    floor.queue(max_size=app.QUEUE_MAX_SIZE, default_concurrency_limit=app.DEFAULT_CONCURRENCY_LIMIT)
    return floor


FLOORS = {  # floor kind -> api_name of its no-op endpoint
    "number->plot+table": "/number_plot_table",
    "number->image": "/number_image",
    "sketch->image": "/sketch_image",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server process; one that ignores SIGTERM for 10 s is killed (it must not outlive the run)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def start_server(
    args: list[str], port: int, cwd: Path = ROOT, log: Path | None = None
) -> tuple[subprocess.Popen, float]:
    """Start a server process (in `cwd`, another checkout for a comparison; its output into `log`, or discarded);
    return it and the seconds until its first HTTP 200."""
    started = time.perf_counter()
    output = log.open("ab") if log else subprocess.DEVNULL
    try:
        process = subprocess.Popen([sys.executable, *args], cwd=cwd, stdout=output, stderr=output, env=os.environ)
    finally:
        if log:
            output.close()  # the child holds its own copy
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - started < 300:
        if process.poll() is not None:
            raise RuntimeError(f"server {args} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server {args} did not answer within 300 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc): what the work costs whatever the load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ms = np.asarray(samples_s) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def connection_cpu_ms(verify: bool, repeats: int = 20) -> float:
    """CPU milliseconds to open (and close) one httpx client, with or without loading the CA bundle."""
    import httpx

    started = time.process_time()
    for _ in range(repeats):
        httpx.Client(verify=verify).close()
    return (time.process_time() - started) / repeats * 1000


def time_calls(call, calls: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def floor_kwargs(kind: str, sketch_path: str) -> dict:
    from gradio_client import handle_file

    if kind == "sketch->image":
        return {"s": {"background": None, "layers": [], "composite": handle_file(sketch_path)}}
    return {"x": 1.0}


def write_blank_sketch(path: Path) -> str:
    """A white 256 × 256 RGBA sketch, what the sketch->image floor is sent."""
    from PIL import Image

    Image.fromarray(np.full((256, 256, 4), 255, np.uint8)).save(path)
    return str(path)


def floor_cases(sketch_path: str) -> list:
    """One call of each no-op floor endpoint, as the tabs' BENCH_CASES are written (for scripts/load_test.py)."""
    from demos import BenchCase

    return [
        BenchCase(f"no-op {kind}", api_name, lambda **_: None, floor_kwargs(kind, sketch_path), kind)
        for kind, api_name in FLOORS.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=30, help="timed calls per endpoint (default 30)")
    parser.add_argument("--serve-floor", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve_floor:  # child process: serve the no-op floor app until killed
        build_floor_app().launch(server_port=args.serve_floor, ssr_mode=False, quiet=True)
        return

    import app

    app_port, floor_port = free_port(), free_port()
    app_process, cold_start = start_server(["app.py", "--port", str(app_port)], app_port)
    floor_process, _ = start_server(["-m", "scripts.bench", "--serve-floor", str(floor_port)], floor_port)
    try:
        app_client = loopback_client(f"http://127.0.0.1:{app_port}/")
        floor_client = loopback_client(f"http://127.0.0.1:{floor_port}/")

        with tempfile.TemporaryDirectory() as tmp:
            sketch_path = write_blank_sketch(Path(tmp) / "sketch.png")

            floor_ms = {}
            for case in floor_cases(sketch_path):
                samples = time_calls(
                    lambda case=case: floor_client.predict(**case.kwargs, api_name=case.api_name), args.calls
                )
                floor_ms[case.floor] = percentiles(samples)

            app.build_app()  # loads every tab's models in this process, for the direct (compute-only) timings
            rows = []
            for tab in app.TABS:
                for case in tab.bench_cases:
                    compute = percentiles(time_calls(lambda case=case: case.fn(**case.kwargs), args.calls))
                    client_kwargs = case.client_kwargs or case.kwargs
                    end_to_end = percentiles(
                        time_calls(
                            lambda case=case, kw=client_kwargs: app_client.predict(**kw, api_name=case.api_name),
                            args.calls,
                        )
                    )
                    rows.append((case.label, compute, end_to_end, case.floor))
    finally:
        for process in (app_process, floor_process):
            stop_server(process)

    lines = [
        f"Cold start (process start → first HTTP 200): {cold_start:.1f} s",
        f"{args.calls} timed calls per row; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs",
        "",
        "| endpoint | compute p50 / p95 (ms) | end-to-end p50 / p95 (ms) | no-op floor p50 (ms) | ratio to floor |",
        "|---|---|---|---|---|",
    ]
    for label, (c50, c95), (e50, e95), kind in rows:
        f50 = floor_ms[kind][0]
        lines.append(
            f"| {label} | {c50:.1f} / {c95:.1f} | {e50:.0f} / {e95:.0f} | {f50:.0f} ({kind}) | {e50 / f50:.2f}× |"
        )
    lines += [
        "",
        "No-op floors (p50 / p95 ms): " + ", ".join(f"{k} {v[0]:.0f} / {v[1]:.0f}" for k, v in floor_ms.items()),
        "Client CPU per new httpx connection (gradio_client opens one per request; scripts/loopback.py skips the CA "
        f"bundle): {connection_cpu_ms(True):.1f} ms with the CA bundle, {connection_cpu_ms(False):.1f} ms without",
    ]
    publish("bench", "\n".join(lines))


if __name__ == "__main__":
    main()
