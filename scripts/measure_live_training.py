"""The VAE tab's live training, measured from outside: update rate, time to a readable map, and what it costs the
other tabs' previews.

    python -m scripts.measure_live_training                 # starts the app on loopback
    python -m scripts.measure_live_training --trainings 5 --calls 60

1. The section's Play (demos.vae.live_training.play, in this process, one torch thread as in the app; every update's
   figures serialized to JSON and its grid encoded to PNG as Gradio does, the transport excluded) for 30 s: the
   update rate and when the map becomes readable.
2. One live training through `/vae_train_live` (5 epochs, KL, λ = 1): when each update reaches the client, and
   how readable the map is at each epoch — the leave-one-out 5-nearest-neighbour accuracy of the digits' labels
   from their 2-D codes (chance 0.1). "Readable" means ≥ READABLE_ACCURACY; the shipped 2-D conv VAE
   (checkpoints/vae_kl_2d, 30 epochs) scores about 0.63 on the same 1,000 digits.
3. The previews' latency (`/vae_sample`, `/vae_traverse`, alternating, one client) alone, then while K live
   trainings stream at once (at most demos.vae.live_training.MAX_LIVE_TRAININGS run, the others wait in the queue).
"""

import argparse
import base64
import json
import os
import threading
import time

import numpy as np

from scripts.bench import cpu_seconds, free_port, percentiles, start_server
from scripts.loopback import loopback_client
from scripts.report import publish

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

READABLE_ACCURACY = 0.5
PLAY_SECONDS = 30
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


def play_in_process(seconds: float) -> list[tuple]:
    """(seconds since Play, CPU seconds of this process since Play, epoch, codes, labels) for every update of the
    section's Play during `seconds`."""
    import io

    import torch
    from PIL import Image

    from demos.vae import live_training as vae_live

    torch.set_num_threads(1)
    # What the app does once at its start: load the digits, draw the section's first (untrained) views.
    vae_live.map_figure(vae_live.LiveSession("kl", 1.0, 0).snapshot()).to_json()
    updates = []
    started, cpu_started = time.perf_counter(), cpu_seconds(os.getpid())
    stream = vae_live.play(None, **{key: TRAINING[key] for key in ("regularizer", "lam", "seed")})
    for session, loss_plot, map_plot, grid, _ in stream:
        loss_plot.to_json()  # what gr.Plot sends, as gradio_client receives it
        plot = {"type": "plotly", "plot": map_plot.to_json()}
        Image.fromarray(grid).save(io.BytesIO(), format="png")  # what gr.Image writes
        cpu = cpu_seconds(os.getpid()) - cpu_started
        updates.append((time.perf_counter() - started, cpu, session.trainer.epoch, plot))
        if updates[-1][0] >= seconds:
            break
    stream.close()
    return [(seconds, cpu, epoch, *map_points(plot)) for seconds, cpu, epoch, plot in updates]  # read back untimed


def one_training(client, server_pid: int) -> list[tuple]:
    """(seconds since submit, CPU seconds of the server since submit, epoch, codes, labels) for every update of
    one /vae_train_live stream."""
    started, cpu_started = time.perf_counter(), cpu_seconds(server_pid)
    job = client.submit(**TRAINING, api_name="/vae_train_live")
    updates = []
    for table, plot, _ in job:
        cpu = cpu_seconds(server_pid) - cpu_started
        updates.append((time.perf_counter() - started, cpu, table["data"][-1][0], plot))
    return [(seconds, cpu, epoch, *map_points(plot)) for seconds, cpu, epoch, plot in updates]


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
    stop = threading.Event()
    received = [0] * trainings
    jobs = [None] * trainings

    def trainer(index: int) -> None:
        # Polled, not iterated: a cancelled job never reports FINISHED, and gradio_client's iterator would poll it
        # every millisecond for ever, in a thread that never ends, on the machine being measured.
        own = loopback_client(url)
        earlier = 0  # updates of this client's finished trainings
        while not stop.is_set():
            job = jobs[index] = own.submit(**TRAINING, api_name="/vae_train_live")
            while not (job.done() or stop.is_set()):
                received[index] = earlier + len(job.outputs())
                time.sleep(0.05)
            earlier = received[index] = earlier + len(job.outputs())

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
        for thread in threads:
            thread.join()
        for job in jobs:  # running or queued: the next round starts from a quiet server
            if job is not None:
                job.cancel()
    return samples, updates, seconds


def wait_until_quiet(server_pid: int, timeout: float = 60.0) -> float:
    """Seconds until the server uses under a tenth of a core over half a second (its cancelled trainings have
    stopped), so that a "no live training" row is timed on a quiet server; raises if it never gets there."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        before = cpu_seconds(server_pid)
        time.sleep(0.5)
        if cpu_seconds(server_pid) - before < 0.05:
            return time.perf_counter() - started
    raise RuntimeError(f"the server was still busy {timeout:.0f} s after its live trainings were cancelled")


def progress(title: str, updates: list[tuple]) -> list[str]:
    """Update rate, and the map's readability every 5 s, of (seconds, CPU seconds, epoch, codes, labels) updates."""
    times = np.array([update[0] for update in updates])
    gaps = np.diff(times)
    lines = [
        f"## {title}\n",
        f"{len(updates)} updates; the first after {times[0]:.2f} s, then {len(gaps) / (times[-1] - times[0]):.2f}",
        f"updates/s (gap p50 {np.percentile(gaps, 50) * 1000:.0f} ms, p95 {np.percentile(gaps, 95) * 1000:.0f} ms)\n",
        f"| seconds | CPU seconds | epoch | map {NEIGHBOURS}-NN accuracy |",
        "|---|---|---|---|",
    ]
    readable_at, next_row = None, 0.0
    for index, (seconds, cpu, epoch, codes, labels) in enumerate(updates):
        accuracy = neighbour_accuracy(codes, labels)
        if readable_at is None and accuracy >= READABLE_ACCURACY:
            readable_at = (seconds, cpu)
        if seconds >= next_row or index == len(updates) - 1:
            lines.append(f"| {seconds:.1f} | {cpu:.1f} | {epoch:.2f} | {accuracy:.3f} |")
            next_row = seconds + 5.0
    reached = "not reached" if readable_at is None else "after {:.1f} s ({:.1f} CPU seconds)".format(*readable_at)
    return [*lines, f"\nReadable map ({NEIGHBOURS}-NN accuracy ≥ {READABLE_ACCURACY}): {reached}\n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trainings", type=int, default=5, help="concurrent live trainings in part 2 (default 5)")
    parser.add_argument("--calls", type=int, default=60, help="preview calls per condition (default 60)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternations quiet/loaded, so that drift in the machine's load cancels"
    )
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    played = play_in_process(PLAY_SECONDS)
    port = free_port()
    process, _ = start_server(["app.py", "--port", str(port)], port)
    url = f"http://127.0.0.1:{port}/"
    try:
        client = loopback_client(url)
        updates = one_training(client, process.pid)
        quiet, loaded, received, loaded_seconds, quiet_after = [], [], 0, 0.0, []
        per_round = max(1, args.calls // args.rounds)
        for _ in range(args.rounds):
            quiet += previews(client, per_round)
            samples, updates_received, seconds = previews_under_load(url, client, args.trainings, per_round)
            quiet_after.append(wait_until_quiet(process.pid))
            loaded += samples
            received += updates_received
            loaded_seconds += seconds
    finally:
        process.terminate()
        process.wait(timeout=30)

    lines = [
        f"1-minute load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end\n",
        *progress(f"Play in the section ({PLAY_SECONDS} s, in process)", played),
        *progress(f"One training through the server ({TRAINING})", updates),
        f"## Previews ({', '.join(name for name, _ in PREVIEWS)} alternating; {len(quiet)} calls per row,",
        f"in {args.rounds} rounds of quiet then loaded)\n",
        "| condition | p50 (ms) | p95 (ms) | max (ms) |",
        "|---|---|---|---|",
    ]
    for label, samples in [("no live training", quiet), (f"{args.trainings} live trainings streaming", loaded)]:
        p50, p95 = percentiles(samples)
        lines.append(f"| {label} | {p50:.0f} | {p95:.0f} | {max(samples) * 1000:.0f} |")
    lines += [
        f"\nWhile the loaded row was timed, the trainings received {received} updates in {loaded_seconds:.0f} s",
        f"({received / loaded_seconds:.2f} updates/s in all, shared by the trainings that held a slot).",
        f"After each loaded row, the cancelled trainings had stopped (server under a tenth of a core) within "
        f"{max(quiet_after):.1f} s.",
    ]
    publish("measure_live_training", "\n".join(lines))


if __name__ == "__main__":
    main()
