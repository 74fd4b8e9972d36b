"""A classroom at once: K concurrent gradio_client clients × R rounds over every public endpoint.

    python -m scripts.load_test                      # starts the app on loopback, 30 clients × 3 rounds
    python -m scripts.load_test --clients 8 --rounds 2
    python -m scripts.load_test --think 3            # each student reads for 3 s (on average) between clicks
    python -m scripts.load_test --baseline cf666f6   # the same load on that commit's app, then on this one
    python -m scripts.load_test --baseline cf666f6 --repeat 3   # three runs each, alternated, pooled
    python -m scripts.load_test --url http://127.0.0.1:7860/   # an app you started (loopback only)
    python -m scripts.load_test --floor              # the same clients on Gradio's no-op floor app instead

Prints p50/p95/p99 latency per endpoint and overall, the number of errors, the server's peak RSS, and the CPU
seconds the server and the clients (this process) used: both share this machine's cores, a classroom's
browsers would not.

Without --think the test is a closed loop: each client sends its next call as soon as the last one answers, so
the 30 clients are always waiting somewhere, and by Little's law mean latency = clients ÷ throughput. With
--think, each client pauses an exponential time of that mean (seeded) between calls, like a student reading a
result: the load is then what a class sends, and latency says how the server copes with it.

--floor serves scripts/bench.py's no-op endpoints (the app's component types, queue settings and image cache,
no computation) and sends them the same load: the throughput Gradio itself allows on this machine, a ceiling for
the app's.

--baseline COMMIT checks that commit out into a temporary git worktree, serves its app with this Python, and runs
the same clients on it (parameters its API lacks are left out), then on this checkout: one table, one machine,
one session. One run's p95 rests on the slowest few of 90 calls and moves by tens of percent from run to run (so
does the commit's): --repeat K alternates K runs per side and pools their calls, and the table shows each run's
p95 beside the pooled one.
"""

import argparse
import os
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from scripts.loopback import loopback_client, require_loopback
from scripts.report import publish

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def bench_cases():
    """Every public endpoint call the tabs declare, with gradio_client arguments."""
    import app

    return [case for tab in app.TABS for case in tab.bench_cases]


def served_calls(url: str, cases, without=()) -> list[tuple[str, str, dict]]:
    """(label, api_name, gradio_client kwargs) of each case the app at `url` serves, leaving out the parameters its
    API does not have (an older commit's app, in a comparison)."""
    api = loopback_client(url).view_api(print_info=False, return_format="dict")["named_endpoints"]
    calls = []
    for case in cases:
        if case.api_name in without or case.api_name not in api:
            continue
        accepted = {parameter["parameter_name"] for parameter in api[case.api_name]["parameters"]}
        kwargs = {name: value for name, value in (case.client_kwargs or case.kwargs).items() if name in accepted}
        calls.append((case.label, case.api_name, kwargs))
    return calls


def run_load(
    url: str,
    clients: int,
    rounds: int,
    deadline_s: float = 600.0,
    without=(),
    think_s: float = 0.0,
    seed: int = 0,
    cases=None,
) -> dict:
    """Hammer `url` with `clients` concurrent clients, each calling every case (default: the tabs' BENCH_CASES)
    once per round; return latencies (s) per case and the errors."""
    require_loopback(url)
    calls = served_calls(url, bench_cases() if cases is None else cases, without)
    latencies = {label: [] for label, _, _ in calls}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + deadline_s

    def one_client(index: int) -> None:
        client = loopback_client(url)
        pauses = np.random.default_rng([seed, index])
        for round_index in range(rounds):
            # Each client walks the endpoints from a different starting point, like a class clicking around.
            for offset in range(len(calls)):
                if think_s > 0:
                    time.sleep(pauses.exponential(think_s))
                if time.monotonic() > stop_at:
                    with lock:
                        errors.append(f"client {index}: deadline of {deadline_s:.0f} s reached")
                    return
                label, api_name, kwargs = calls[(index + round_index + offset) % len(calls)]
                start = time.perf_counter()
                try:
                    client.predict(**kwargs, api_name=api_name)
                except Exception as exc:  # a load test counts every failure, whatever its type
                    with lock:
                        errors.append(f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
                    continue
                with lock:
                    latencies[label].append(time.perf_counter() - start)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one_client, range(clients)))
    return {"latencies": latencies, "errors": errors}


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size of a process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found")


def p50_p95_p99(samples_s) -> np.ndarray:
    return np.percentile(np.asarray(samples_s) * 1000, [50, 95, 99])


def format_table(result: dict) -> str:
    rows = ["| endpoint | calls | p50 (ms) | p95 (ms) | p99 (ms) |", "|---|---|---|---|---|"]
    everything = []
    for label, samples in result["latencies"].items():
        everything += samples
        if samples:
            p50, p95, p99 = p50_p95_p99(samples)
            rows.append(f"| {label} | {len(samples)} | {p50:.0f} | {p95:.0f} | {p99:.0f} |")
    if everything:
        p50, p95, p99 = p50_p95_p99(everything)
        rows.append(f"| **all** | {len(everything)} | {p50:.0f} | {p95:.0f} | {p99:.0f} |")
    return "\n".join(rows)


def measured_run(args, checkout: Path = ROOT) -> dict:
    """Start the app of `checkout` (or use --url), run the load, and add wall time, CPU and peak RSS."""
    from scripts.bench import cpu_seconds, floor_cases, free_port, start_server, write_blank_sketch

    server, url, cases = None, args.url, None
    if url is None:
        port = free_port()
        command = ["-m", "scripts.bench", "--serve-floor", str(port)] if args.floor else ["app.py", "--port", str(port)]
        server, _ = start_server(command, port, cwd=checkout)
        url = f"http://127.0.0.1:{port}/"
    sketches = tempfile.TemporaryDirectory() if args.floor else None
    if sketches:
        cases = floor_cases(write_blank_sketch(Path(sketches.name) / "sketch.png"))
    try:
        server_cpu = cpu_seconds(server.pid) if server else 0.0
        own_cpu, started = time.process_time(), time.perf_counter()
        result = run_load(url, args.clients, args.rounds, args.deadline, args.without, args.think, cases=cases)
        result["wall_s"] = time.perf_counter() - started
        result["client_cpu_s"] = time.process_time() - own_cpu
        result["server_cpu_s"] = cpu_seconds(server.pid) - server_cpu if server else None
        result["rss"] = f"{peak_rss_mb(server.pid):.0f} MB" if server else "n/a (external server)"
    finally:
        if sketches:
            sketches.cleanup()
        if server:
            server.terminate()
            server.wait(timeout=30)
    return result


def summary(result: dict) -> str:
    server_cpu = "n/a" if result["server_cpu_s"] is None else f"{result['server_cpu_s']:.0f} s"
    everything = [s for samples in result["latencies"].values() for s in samples]
    return (
        f"wall {result['wall_s']:.1f} s, errors {len(result['errors'])}, server peak RSS {result['rss']}, "
        f"CPU: server {server_cpu}, clients {result['client_cpu_s']:.0f} s; "
        f"throughput {len(everything) / result['wall_s']:.1f} calls/s, mean latency {np.mean(everything):.2f} s"
    )


def comparison_table(befores: list[dict], afters: list[dict], commit: str) -> str:
    """p50 / p95 of each endpoint over all the calls of each side's runs, ✓ where this checkout's p95 is not above
    the commit's; with several runs, each run's own p95 in brackets (how much one run's figure moves)."""
    rows = [
        f"| endpoint | {commit} p50 / p95 (ms) | this checkout p50 / p95 (ms) | p95 not worse |",
        "|---|---|---|---|",
    ]

    def cell(runs: list[dict], label: str) -> tuple[str, float]:
        p50, p95, _ = p50_p95_p99([s for run in runs for s in run["latencies"][label]])
        each = [p50_p95_p99(run["latencies"][label])[1] for run in runs]
        per_run = "" if len(runs) == 1 else f" ({', '.join(f'{p:.0f}' for p in each)})"
        return f"{p50:.0f} / {p95:.0f}{per_run}", p95

    for label in afters[0]["latencies"]:
        now, now95 = cell(afters, label)
        if not befores[0]["latencies"].get(label):
            rows.append(f"| {label} | (not served) | {now} | |")
            continue
        old, old95 = cell(befores, label)
        rows.append(f"| {label} | {old} | {now} | {'✓' if now95 <= old95 else '✗'} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--think", type=float, default=0.0, metavar="SECONDS", help="mean pause between calls")
    parser.add_argument("--url", help="an already running app on loopback (default: start one)")
    parser.add_argument("--baseline", metavar="COMMIT", help="run the same load on COMMIT's app first")
    parser.add_argument("--deadline", type=float, default=900.0, help="stop after this many seconds")
    parser.add_argument(
        "--without",
        metavar="ENDPOINT",
        action="append",
        default=[],
        help="leave an endpoint out of the mix (repeatable)",
    )
    parser.add_argument("--floor", action="store_true", help="load Gradio's no-op floor app instead of this app")
    parser.add_argument("--repeat", type=int, default=1, help="with --baseline: runs per side (default 1)")
    args = parser.parse_args()
    if args.baseline and args.url:
        parser.error("--baseline starts both apps itself; leave out --url")
    if args.floor and (args.baseline or args.url or args.without):
        parser.error("--floor starts the floor app itself; leave out --baseline, --url and --without")
    if args.clients < 1 or args.rounds < 1 or args.repeat < 1 or not args.think >= 0:
        parser.error("--clients, --rounds and --repeat must be at least 1 and --think at least 0")
    if args.repeat > 1 and not args.baseline:
        parser.error("--repeat is for comparisons: use it with --baseline")

    think = f", {args.think:g} s mean pause between calls" if args.think else ", no pause between calls"
    target = "the no-op floor calls (scripts/bench.py)" if args.floor else "the endpoint calls"
    setup = f"{args.clients} clients × {args.rounds} rounds over {target}{think}"
    variant = "-".join(
        part
        for part in (
            "floor" if args.floor else None,
            f"think-{args.think:g}s" if args.think else None,
            *(f"without-{endpoint.strip('/')}" for endpoint in args.without),
            f"vs-{args.baseline}" if args.baseline else None,
            f"x{args.repeat}" if args.repeat > 1 else None,
        )
        if part
    )
    if args.baseline:
        befores, afters = [], []
        with tempfile.TemporaryDirectory() as tmp:
            checkout = Path(tmp) / "baseline"
            subprocess.run(
                ["git", "worktree", "add", "--detach", "-q", str(checkout), args.baseline], cwd=ROOT, check=True
            )
            try:
                for _ in range(args.repeat):  # alternated, so that a drift of the machine's load hits both sides
                    befores.append(measured_run(args, checkout))
                    afters.append(measured_run(args))
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT, check=True)
        runs = f"{args.repeat} runs each, alternated, " if args.repeat > 1 else ""
        text = (
            f"{setup}, on {args.baseline}'s app and then on this checkout's ({runs}p50 / p95 over all their calls)\n\n"
            + "".join(
                f"- {side}{f', run {index + 1}' if args.repeat > 1 else ''}: {summary(result)}\n"
                for side, results in ((args.baseline, befores), ("this checkout", afters))
                for index, result in enumerate(results)
            )
            + f"\n{comparison_table(befores, afters, args.baseline)}"
        )
        errors = [error for result in befores + afters for error in result["errors"]]
    else:
        result = measured_run(args)
        text = f"{setup}, {summary(result)}\n\n{format_table(result)}"
        errors = result["errors"]
    publish("load_test", text + "".join(f"\nerror: {error}" for error in errors[:20]), variant or None)


if __name__ == "__main__":
    main()
