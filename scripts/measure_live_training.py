"""The VAE tab's live training, measured from outside: update rate, time to a readable map, and what it costs the
other tabs' previews.

    python -m scripts.measure_live_training                 # starts the app on loopback
    python -m scripts.measure_live_training --trainings 5 --calls 60

1. One live training through `/vae_train_live` (5 epochs, KL, λ = 1): when each update reaches the client, and
   how readable the map is at each epoch — the leave-one-out 5-nearest-neighbour accuracy of the digits' labels
   from their 2-D codes (chance 0.1). "Readable" means ≥ READABLE_ACCURACY; the shipped 2-D conv VAE
   (checkpoints/vae_kl_2d, 30 epochs) scores about 0.63 on the same 1,000 digits.
2. The previews' latency (`/vae_sample`, `/vae_traverse`, alternating, one client) alone, then while K live
   trainings stream at once (at most demos.vae_live.MAX_LIVE_TRAININGS run, the others wait in the queue).
"""

import argparse
import base64
import json
import os
import threading
import time

import numpy as np

from scripts.bench import free_port, percentiles, start_server

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

READABLE_ACCURACY = 0.5
NEIGHBOURS = 5
PREVIEWS = [
    ("/vae_sample", {"model": "kl", "n": 64, "temperature": 1.0, "seed": 0}),
    ("/vae_traverse", {"model": "kl", "digit_index": 0, "span": 3.0}),
]
TRAINING = {"regularizer": "kl", "lam": 1.0, "epochs": 5, "seed": 0}


def _array(values) -> np.ndarray:
    """A Plotly JSON array: a plain list, or a typed array {"dtype", "bdata"} (base64)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)


def map_points(plot: dict) -> tuple[np.ndarray, np.ndarray]:
    """The codes and labels of a map figure as gradio_client returns it ({"type": "plotly", "plot": JSON})."""
    traces = json.loads(plot["plot"])["data"]
    codes = np.concatenate([np.stack([_array(t["x"]), _array(t["y"])], axis=1) for t in traces])
    labels = np.concatenate([np.full(len(_array(t["x"])), int(t["name"])) for t in traces])
    return codes, labels


def neighbour_accuracy(codes: np.ndarray, labels: np.ndarray, k: int = NEIGHBOURS) -> float:
    """Leave-one-out k-NN accuracy of the labels from the codes (majority vote, ties to the smaller digit)."""
    distances = ((codes[:, None, :] - codes[None, :, :]) ** 2).sum(axis=-1)
    np.fill_diagonal(distances, np.inf)
    votes = labels[np.argsort(distances, axis=1)[:, :k]]
    predicted = np.array([np.bincount(row, minlength=10).argmax() for row in votes])
    return float((predicted == labels).mean())


def one_training(client) -> list[tuple[float, float, dict]]:
    """(seconds since submit, epoch, map plot) for every update of one /vae_train_live stream."""
    started = time.perf_counter()
    job = client.submit(**TRAINING, api_name="/vae_train_live")
    updates = []
    for table, plot, _ in job:
        updates.append((time.perf_counter() - started, table["data"][-1][0], plot))
    return updates


def previews(client, calls: int) -> list[float]:
    samples = []
    for index in range(calls):
        api_name, kwargs = PREVIEWS[index % len(PREVIEWS)]
        start = time.perf_counter()
        client.predict(**kwargs, api_name=api_name)
        samples.append(time.perf_counter() - start)
    return samples


def previews_under_load(url: str, client, trainings: int, calls: int) -> tuple[list[float], int, float]:
    """Preview latencies while `trainings` other clients keep live trainings streaming (a new one as soon as one
    ends); the updates those trainings received while the previews were timed, and in how many seconds."""
    from gradio_client import Client

    stop = threading.Event()
    received = [0] * trainings
    jobs = [None] * trainings

    def trainer(index: int) -> None:
        own = Client(url, verbose=False, analytics_enabled=False)
        while not stop.is_set():
            jobs[index] = own.submit(**TRAINING, api_name="/vae_train_live")
            for _ in jobs[index]:
                received[index] += 1

    threads = [threading.Thread(target=trainer, args=(i,), daemon=True) for i in range(trainings)]
    for thread in threads:
        thread.start()
    time.sleep(5)  # let the trainings start and the queue fill
    received_at_start, started = sum(received), time.perf_counter()
    try:
        samples = previews(client, calls)
        seconds, updates = time.perf_counter() - started, sum(received) - received_at_start
    finally:
        stop.set()
        for job in jobs:  # running or queued: the next round starts from a quiet server
            if job is not None:
                job.cancel()
        for thread in threads:
            thread.join(timeout=60)
    return samples, updates, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trainings", type=int, default=5, help="concurrent live trainings in part 2 (default 5)")
    parser.add_argument("--calls", type=int, default=60, help="preview calls per condition (default 60)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternations quiet/loaded, so that drift in the machine's load cancels"
    )
    args = parser.parse_args()

    from gradio_client import Client

    load_before = os.getloadavg()[0]
    port = free_port()
    process, _ = start_server(["app.py", "--port", str(port)], port)
    url = f"http://127.0.0.1:{port}/"
    try:
        client = Client(url, verbose=False, analytics_enabled=False)
        updates = one_training(client)
        quiet, loaded, received, loaded_seconds = [], [], 0, 0.0
        per_round = max(1, args.calls // args.rounds)
        for _ in range(args.rounds):
            quiet += previews(client, per_round)
            samples, updates_received, seconds = previews_under_load(url, client, args.trainings, per_round)
            loaded += samples
            received += updates_received
            loaded_seconds += seconds
    finally:
        process.terminate()
        process.wait(timeout=30)

    arrivals = np.array([seconds for seconds, _, _ in updates])
    gaps = np.diff(arrivals)
    print(f"## One live training ({TRAINING}), {os.cpu_count()} CPUs")
    print(f"(1-minute load average {load_before:.1f} before the app started, {os.getloadavg()[0]:.1f} at the end)\n")
    print(
        f"{len(updates)} updates; first after {arrivals[0]:.2f} s; then {len(gaps) / (arrivals[-1] - arrivals[0]):.2f}"
    )
    print(f"updates/s (gap p50 {np.percentile(gaps, 50) * 1000:.0f} ms, p95 {np.percentile(gaps, 95) * 1000:.0f} ms)\n")
    print(f"| epoch | seconds since submit | map {NEIGHBOURS}-NN accuracy |")
    print("|---|---|---|")
    readable_at = None
    for seconds, epoch, plot in updates:
        accuracy = neighbour_accuracy(*map_points(plot))
        if readable_at is None and accuracy >= READABLE_ACCURACY:
            readable_at = seconds
        if abs(epoch - round(epoch)) < 1e-6 or epoch in (0.1, 0.5):
            print(f"| {epoch:.1f} | {seconds:.1f} | {accuracy:.3f} |")
    reached = f"{readable_at:.1f} s" if readable_at is not None else "not within the run"
    print(f"\nReadable map ({NEIGHBOURS}-NN accuracy ≥ {READABLE_ACCURACY}): {reached}\n")

    print(f"## Previews ({', '.join(name for name, _ in PREVIEWS)} alternating; {len(quiet)} calls per row,")
    print(f"in {args.rounds} rounds of quiet then loaded)\n")
    print("| condition | p50 (ms) | p95 (ms) | max (ms) |")
    print("|---|---|---|---|")
    for label, samples in [("no live training", quiet), (f"{args.trainings} live trainings streaming", loaded)]:
        p50, p95 = percentiles(samples)
        print(f"| {label} | {p50:.0f} | {p95:.0f} | {max(samples) * 1000:.0f} |")
    print(f"\nWhile the loaded row was timed, the trainings received {received} updates in {loaded_seconds:.0f} s")
    print(f"({received / loaded_seconds:.2f} updates/s in all, shared by the trainings that held a slot).")


if __name__ == "__main__":
    main()
