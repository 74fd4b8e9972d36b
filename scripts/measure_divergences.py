"""Accuracy and speed of the KL vs Cauchy–Schwarz tab, as the Markdown tables in its README part.

    python -m scripts.measure_divergences              # 200 timed calls per row
    python -m scripts.measure_divergences --calls 50

Accuracy: every closed form against quad over a grid of means and very unequal sds (ratios up to 10⁴),
the mixture D_CS against quad, and the curves' trapezoid-rule KL against quad. Speed: the quad checks
alone, the whole /divergences endpoint (math, Plotly figures and table) and the page's update per slider step
(math, SVG charts and HTML table), called directly in this process, as wall-clock percentiles and as CPU time
per call (what a machine to itself would show).
"""

import argparse
import itertools
import os
import time

import numpy as np

from demos import divergences as tab
from models import divergences as dv
from scripts.bench import percentiles, time_calls

MEANS = [-5.0, 0.0, 2.5]
SDS = [0.01, 0.3, 1.0, 4.0, 100.0]


def random_mixtures(seed: int, n: int, sd_range: tuple[float, float]):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        mu1, mu2, mu3 = rng.uniform(-5, 5, 3)
        sigma1, sigma2, sigma3 = np.exp(rng.uniform(*np.log(sd_range), 3))
        weight = rng.uniform(0.01, 0.99)
        yield mu1, sigma1, [mu2, mu3], [sigma2, sigma3], [1 - weight, weight]


def relative_gap(a, b) -> float:
    return abs(a - b) / max(1.0, abs(b))


def accuracy_rows() -> list[tuple[str, int, float, float]]:
    """(check, cases, largest gap relative to max(1, |value|), largest quad error estimate)."""
    gaps, estimates = {name: [] for name in tab.QUANTITIES}, {name: [] for name in tab.QUANTITIES}
    for mu1, sigma1, mu2, sigma2 in itertools.product(MEANS, SDS, MEANS, SDS):
        closed = dv.closed_forms(mu1, sigma1, [mu2], [sigma2], [1.0])
        numerical = dv.numerical_divergences(mu1, sigma1, [mu2], [sigma2], [1.0])
        for name in tab.QUANTITIES:
            gaps[name].append(relative_gap(numerical[name].value, closed[name]))
            estimates[name].append(numerical[name].abs_error / max(1.0, abs(closed[name])))
    n_grid = len(MEANS) ** 2 * len(SDS) ** 2
    rows = [
        (f"{name}, two Gaussians, closed form vs quad", n_grid, max(gaps[name]), max(estimates[name])) for name in gaps
    ]

    mixture_gaps, mixture_estimates = [], []
    for case in random_mixtures(seed=0, n=200, sd_range=(0.01, 100)):
        numerical = dv.numerical_divergences(*case)["D_CS(p,q)"]
        closed = dv.cs_gaussian_mixture(*case)
        mixture_gaps.append(relative_gap(numerical.value, closed))
        mixture_estimates.append(numerical.abs_error / max(1.0, abs(closed)))
    rows.append(("D_CS(p,q), mixture q, closed form vs quad", 200, max(mixture_gaps), max(mixture_estimates)))

    curve_gaps = []
    for case in random_mixtures(seed=1, n=200, sd_range=tab.SIGMA_RANGE):
        numerical = dv.numerical_divergences(*case)
        for name, on_grid in zip(["KL(p||q)", "KL(q||p)"], dv.kl_on_grid(*case), strict=True):
            curve_gaps.append(abs(on_grid - numerical[name].value) / max(1e-3, numerical[name].value))
    rows.append(("KL, mixture q, curves' trapezoid rule vs quad (relative)", 400, max(curve_gaps), float("nan")))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per row (default 200)")
    args = parser.parse_args()

    print("| check | cases | largest gap / max(1, value) | largest quad error estimate / max(1, value) |")
    print("|---|---|---|---|")
    for check, cases, gap, estimate in accuracy_rows():
        print(f"| {check} | {cases} | {gap:.1e} | {'—' if np.isnan(estimate) else f'{estimate:.1e}'} |")

    d = tab.DEFAULTS
    single = {k: d[k] for k in ("mu1", "sigma1", "mu2", "sigma2")}
    mixture = {**d, "mixture": True}
    p = (d["mu1"], d["sigma1"])
    single_q = ([d["mu2"]], [d["sigma2"]], [1.0])
    mixture_q = ([d["mu2"], d["mu3"]], [d["sigma2"], d["sigma3"]], [1 - d["weight"], d["weight"]])
    rows = [
        ("quad checks, two Gaussians (5 integrals)", lambda: dv.numerical_divergences(*p, *single_q)),
        ("quad checks, mixture q (10 integrals)", lambda: dv.numerical_divergences(*p, *mixture_q)),
        ("whole /divergences call, two Gaussians", lambda: tab.divergences(**single)),
        ("whole /divergences call, mixture q", lambda: tab.divergences(**mixture)),
        (
            "the page's update per slider step (live_view), two Gaussians",
            lambda: tab.live_view(**{**d, "mixture": False}),
        ),
        ("the page's update per slider step (live_view), mixture q", lambda: tab.live_view(**mixture)),
    ]
    print(f"\n{args.calls} timed calls per row; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print("| computation (defaults) | wall p50 (ms) | wall p95 (ms) | CPU per call (ms) |")
    print("|---|---|---|---|")
    for label, call in rows:
        # On a shared machine wall time includes waiting for a core; the process's CPU time does not.
        cpu_start = time.process_time()
        p50, p95 = percentiles(time_calls(call, args.calls, warmup=0))
        cpu_ms = (time.process_time() - cpu_start) / args.calls * 1000
        print(f"| {label} | {p50:.2f} | {p95:.2f} | {cpu_ms:.2f} |")

    corner_cpu_ms = []
    for mixture_on, mu1, sigma1, mu2, sigma2, mu3, sigma3, weight in corners():
        cpu_start = time.process_time()
        tab.divergences(mu1, sigma1, mu2, sigma2, mixture_on, mu3, sigma3, weight)
        corner_cpu_ms.append((time.process_time() - cpu_start) * 1000)
    print(
        f"\nCPU per call over the {len(corner_cpu_ms)} corners of the slider ranges (each once): "
        f"median {np.median(corner_cpu_ms):.1f} ms, p95 {np.percentile(corner_cpu_ms, 95):.1f} ms, "
        f"max {np.max(corner_cpu_ms):.1f} ms"
    )


def corners():
    """Every extreme of the sliders (μ₂ also at 0), for q a single Gaussian and a mixture."""
    mus, sigmas = tab.MU_RANGE, tab.SIGMA_RANGE
    return itertools.product([False, True], mus, sigmas, [mus[0], 0.0, mus[1]], sigmas, mus, sigmas, tab.WEIGHT_RANGE)


if __name__ == "__main__":
    main()
