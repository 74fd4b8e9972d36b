"""A classroom at once: K concurrent gradio_client clients × R rounds over every public endpoint.

    python -m scripts.load_test                      # starts the app on loopback, 30 clients × 3 rounds
    python -m scripts.load_test --clients 8 --rounds 2
    python -m scripts.load_test --url http://127.0.0.1:7860/   # an app you started (loopback only)

Prints p50/p95/p99 latency per endpoint and overall, the number of errors, and the server's peak RSS.
Traffic goes to loopback only; every loop is bounded in count and time.
"""

import argparse
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from scripts.report import publish

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def bench_cases():
    """Every public endpoint call the tabs declare, with gradio_client arguments."""
    import app

    return [case for _, module in app.TABS for case in module.BENCH_CASES]


def run_load(url: str, clients: int, rounds: int, deadline_s: float = 600.0, without: str | None = None) -> dict:
    """Hammer `url` with `clients` concurrent clients; return latencies (s) per endpoint and the errors."""
    from gradio_client import Client

    host = urlparse(url).hostname
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        raise ValueError(f"Refusing to load-test {url}: only loopback addresses are allowed.")
    cases = [case for case in bench_cases() if case.api_name != without]
    latencies = {case.label: [] for case in cases}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + deadline_s

    def one_client(index: int) -> None:
        client = Client(url, verbose=False, analytics_enabled=False)
        for round_index in range(rounds):
            # Each client walks the endpoints from a different starting point, like a class clicking around.
            for offset in range(len(cases)):
                if time.monotonic() > stop_at:
                    with lock:
                        errors.append(f"client {index}: deadline of {deadline_s:.0f} s reached")
                    return
                case = cases[(index + round_index + offset) % len(cases)]
                start = time.perf_counter()
                try:
                    client.predict(**(case.client_kwargs or case.kwargs), api_name=case.api_name)
                except Exception as exc:  # a load test counts every failure, whatever its type
                    with lock:
                        errors.append(f"{case.label}: {type(exc).__name__}: {str(exc)[:200]}")
                    continue
                with lock:
                    latencies[case.label].append(time.perf_counter() - start)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one_client, range(clients)))
    return {"latencies": latencies, "errors": errors}


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of a process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found")


def format_table(result: dict) -> str:
    rows = ["| endpoint | calls | p50 (ms) | p95 (ms) | p99 (ms) |", "|---|---|---|---|---|"]
    everything = []
    for label, samples in result["latencies"].items():
        everything += samples
        if samples:
            p50, p95, p99 = np.percentile(np.asarray(samples) * 1000, [50, 95, 99])
            rows.append(f"| {label} | {len(samples)} | {p50:.0f} | {p95:.0f} | {p99:.0f} |")
    if everything:
        p50, p95, p99 = np.percentile(np.asarray(everything) * 1000, [50, 95, 99])
        rows.append(f"| **all** | {len(everything)} | {p50:.0f} | {p95:.0f} | {p99:.0f} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", help="an already running app on loopback (default: start one)")
    parser.add_argument("--deadline", type=float, default=900.0, help="stop after this many seconds")
    parser.add_argument("--without", metavar="ENDPOINT", help="leave one endpoint out of the mix, e.g. /vae_train_live")
    args = parser.parse_args()

    server = None
    url = args.url
    if url is None:
        from scripts.bench import free_port, start_server

        port = free_port()
        server, _ = start_server(["app.py", "--port", str(port)], port)
        url = f"http://127.0.0.1:{port}/"
    try:
        started = time.perf_counter()
        result = run_load(url, args.clients, args.rounds, args.deadline, args.without)
        wall = time.perf_counter() - started
        rss = f"{peak_rss_mb(server.pid):.0f} MB" if server else "n/a (external server)"
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)

    summary = (
        f"{args.clients} clients × {args.rounds} rounds over {len(result['latencies'])} endpoint calls each, "
        f"wall {wall:.1f} s, errors {len(result['errors'])}, server peak RSS {rss}\n\n{format_table(result)}"
    )
    variant = f"without-{args.without.strip('/')}" if args.without else None
    publish("load_test", summary + "".join(f"\nerror: {error}" for error in result["errors"][:20]), variant)


if __name__ == "__main__":
    main()
