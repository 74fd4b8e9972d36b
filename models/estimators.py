"""Monte Carlo estimators of the gradient η(μ) = d/dμ E_{z~N(μ,1)}[f(z)], and their exact variances.

Five estimators, each an average over N independent samples (Mohamed, Rosca, Figurnov & Mnih 2020, JMLR,
"Monte Carlo Gradient Estimation in Machine Learning"):

    pathwise                 f′(μ + ε),                  ε ~ N(0, 1)  (reparameterization: z = μ + ε)
    score                    f(z)·(z − μ),               z ~ N(μ, 1)  (REINFORCE: ∇_μ log N(z; μ, 1) = z − μ)
    score+baseline           (f(z_i) − b_i)·(z_i − μ),   b_i = mean of f over the other N − 1 samples
    score+optimal baseline   (f(z) − b*)·(z − μ),        b* = E[f(z)(z − μ)²] / E[(z − μ)²], by quadrature
    measure-valued           (f(μ + W) − f(μ − W)) / √(2π),   W ~ Rayleigh(1)

The constant b* is the one that minimises the variance of the score estimator with a constant baseline (set the
derivative of E[(f − b)²s²] in b to zero, s = z − μ); it is not E f. It is an oracle: it needs two integrals
over the very distribution whose gradient we estimate, which a real problem would have to estimate too.

All five are unbiased. Their exact variances come from a handful of one-dimensional expectations of f under
N(μ, 1) and under Rayleigh(1), computed by quadrature (`per_sample_moments`) — never by sampling.

Everything is NumPy and broadcasts: μ may be an array (a whole curve of exact variances in one call), and
`sample_estimates` draws repeats × N samples as one array.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

ESTIMATORS = ("pathwise", "score", "score+baseline", "score+optimal baseline", "measure-valued")
SQRT_2PI = math.sqrt(2 * math.pi)


class Objective(NamedTuple):
    value: Callable  # f(z, m)
    derivative: Callable  # f′(z, m), for the pathwise estimator
    gradient: Callable  # η(μ, m) = d/dμ E_{z~N(μ,1)}[f(z)], in closed form


OBJECTIVES = {
    # f(z) = m·z: E f = m·μ, so η = m; f′ is the constant m, hence a pathwise estimator with zero variance.
    "linear": Objective(
        value=lambda z, m: m * z,
        derivative=lambda z, m: np.full_like(z, m),
        gradient=lambda mu, m: np.full_like(mu, m),
    ),
    # f(z) = (m·z)²: E f = m²(μ² + 1), so η = 2m²μ.
    "square": Objective(
        value=lambda z, m: (m * z) ** 2,
        derivative=lambda z, m: 2 * m**2 * z,
        gradient=lambda mu, m: 2 * m**2 * mu,
    ),
    # f(z) = exp(−m·z²), m > 0: completing the square, E f = exp(−mμ²/(1+2m)) / √(1+2m).
    "gaussian": Objective(
        value=lambda z, m: np.exp(-m * z**2),
        derivative=lambda z, m: -2 * m * z * np.exp(-m * z**2),
        gradient=lambda mu, m: -2 * m * mu * np.exp(-m * mu**2 / (1 + 2 * m)) / (1 + 2 * m) ** 1.5,
    ),
    # f(z) = cos(m·z): E f = Re E e^{imz} = cos(mμ)·e^{−m²/2}, so η = −m·sin(mμ)·e^{−m²/2}.
    "cosine": Objective(
        value=lambda z, m: np.cos(m * z),
        derivative=lambda z, m: -m * np.sin(m * z),
        gradient=lambda mu, m: -m * np.sin(m * mu) * np.exp(-(m**2) / 2),
    ),
}


def check_objective(f: str, m: float) -> None:
    """f must be one of OBJECTIVES; the gaussian exp(−m·z²) needs m > 0, else E f is infinite or f constant."""
    if f not in OBJECTIVES:
        raise ValueError(f"unknown test function {f!r}; choose one of {', '.join(OBJECTIVES)}")
    if f == "gaussian" and not m > 0:
        raise ValueError(f"the gaussian test function exp(-m z²) needs m > 0, got m = {m}")


def true_gradient(f: str, m: float, mu) -> np.ndarray:
    check_objective(f, m)
    return OBJECTIVES[f].gradient(np.asarray(mu, dtype=float), m)


# --- Sampling -----------------------------------------------------------------------------------------------------


def prefix_sums(terms: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Σ of the first N entries along the last axis, for each N in the increasing `sizes`: the sums of the blocks
    between consecutive sizes, accumulated. One pass with no full running-sum array: for R × 10,000 draws it is
    ten times faster than np.cumsum(terms)[..., sizes − 1], whose result it equals to rounding."""
    if sizes[0] < 1 or np.any(np.diff(sizes) <= 0):
        raise ValueError(f"sample sizes must be positive and strictly increasing, got {sizes.tolist()}")
    starts = np.concatenate([[0], sizes[:-1]])
    return np.cumsum(np.add.reduceat(terms[..., : sizes[-1]], starts, axis=-1), axis=-1)


def sample_estimates(
    f: str, m: float, mu, sizes, repeats: int, rng: np.random.Generator, optimal_baseline=None
) -> dict[str, np.ndarray]:
    """`repeats` independent estimates of η by each estimator, at every sample size in `sizes` (increasing).

    One array of repeats × max(sizes) draws serves all sizes: the estimate from N samples uses the first N draws
    of its row (running sums), so a whole variance-versus-N curve costs no more than its largest N. The same
    draws are shared by every μ in `mu` (common random numbers, so curves over μ are smooth).
    `optimal_baseline` is b* at each μ (as from `per_sample_moments`); by quadrature here when not given.
    Returns {estimator: array of shape mu.shape + (repeats, len(sizes))}.
    """
    check_objective(f, m)
    fn = OBJECTIVES[f]
    sizes = np.asarray(sizes, dtype=int)
    n_max = int(sizes.max())
    if optimal_baseline is None:
        optimal_baseline = per_sample_moments(f, m, mu).optimal_baseline
    optimal_baseline = np.asarray(optimal_baseline, dtype=float)[..., None, None]
    mu = np.asarray(mu, dtype=float)[..., None, None]
    eps = rng.standard_normal((repeats, n_max))
    w = rng.rayleigh(1.0, (repeats, n_max))

    z = mu + eps
    f_z = fn.value(z, m)
    per_sample = {
        "pathwise": fn.derivative(z, m),
        "score": f_z * eps,
        "score+optimal baseline": (f_z - optimal_baseline) * eps,
        "measure-valued": (fn.value(mu + w, m) - fn.value(mu - w, m)) / SQRT_2PI,
    }
    sums = {name: prefix_sums(terms, sizes) for name, terms in per_sample.items()}  # over the first N draws
    estimates = {name: total / sizes for name, total in sums.items()}

    # Leave-one-out baseline: with b_i = (N·f̄ − f_i)/(N − 1), the average of (f_i − b_i)(z_i − μ) simplifies to
    # Σ (f_i − f̄)(z_i − μ)/(N − 1) = (Σ f_i s_i − Σ f_i · Σ s_i / N)/(N − 1) with s_i = z_i − μ: running sums again.
    # With N = 1 there is no other sample to form a baseline; we then use b = 0, i.e. the plain score estimator.
    sum_f = prefix_sums(f_z, sizes)
    sum_s = prefix_sums(eps, sizes)
    leave_one_out = (sums["score"] - sum_f * sum_s / sizes) / np.maximum(sizes - 1, 1)
    estimates["score+baseline"] = np.where(sizes >= 2, leave_one_out, estimates["score"])
    return {name: estimates[name] for name in ESTIMATORS}


# --- Exact variances ----------------------------------------------------------------------------------------------
#
# Expectations over N(μ, 1) use the trapezoidal rule in ε = z − μ on [−12, 12] with step 0.1. For integrands that
# are analytic and decay like a Gaussian, the trapezoidal rule converges exponentially in 1/step (its error is the
# aliasing of the integrand's Fourier transform): with these 241 nodes every moment below is exact to rounding
# (relative 3e-13 at worst) for |m| ≤ 3, |μ| ≤ 4. Gauss–Hermite quadrature converges more slowly when f has a
# narrow bump: at m = 3, E[exp(−2m·z²)(z − μ)²] is off by 1e-2 with 50 nodes and 1e-5 with 100 (200 reach
# 5e-12), because exp(−6z²) is poorly fit by polynomials on the scale of N(0, 1).
#
# Expectations over Rayleigh(1), density w·exp(−w²/2) on w > 0, use the same rule in t = log w on [−10, 3] (an
# "exp-sinh" substitution): the integrand (f(μ + w) − f(μ − w))²·w² e^{−w²/2} becomes analytic on the whole line,
# decaying like e^{4t} on the left and doubly exponentially on the right, so the trapezoidal rule converges
# exponentially there too. tests/test_estimators.py checks both rules against scipy.integrate.quad.

_NORMAL_STEP = 0.1
NORMAL_NODES = np.arange(-12.0, 12.0 + _NORMAL_STEP / 2, _NORMAL_STEP)
NORMAL_WEIGHTS = _NORMAL_STEP * np.exp(-(NORMAL_NODES**2) / 2) / SQRT_2PI

_LOG_RAYLEIGH_STEP = 0.04
_log_w = np.arange(-10.0, 3.0 + _LOG_RAYLEIGH_STEP / 2, _LOG_RAYLEIGH_STEP)
RAYLEIGH_NODES = np.exp(_log_w)
RAYLEIGH_WEIGHTS = _LOG_RAYLEIGH_STEP * RAYLEIGH_NODES**2 * np.exp(-(RAYLEIGH_NODES**2) / 2)  # w·e^{−w²/2}·dw/dt


class SampleMoments(NamedTuple):
    """Per-sample quantities (arrays over μ) that fix the exact variance of every estimator at every N."""

    pathwise: np.ndarray  # Var f′(z)
    score: np.ndarray  # Var[f(z)(z − μ)]
    centred_score: np.ndarray  # Var[(f(z) − E f)(z − μ)]: the score estimator with the constant baseline E f
    optimal_baseline: np.ndarray  # b* = E[f(z)(z − μ)²] / E[(z − μ)²], the best constant baseline (not E f)
    optimal_score: np.ndarray  # Var[(f(z) − b*)(z − μ)] ≤ both of the above
    baseline_price: np.ndarray  # Var f + η²: what estimating the baseline from the other samples costs (see below)
    measure_valued: np.ndarray  # Var[(f(μ + W) − f(μ − W))/√(2π)]


def per_sample_moments(f: str, m: float, mu) -> SampleMoments:
    """The single-sample variances of the five estimators at each μ, by quadrature (vectorized over μ)."""
    check_objective(f, m)
    fn = OBJECTIVES[f]
    mu = np.asarray(mu, dtype=float)[..., None]  # quadrature nodes run along the last axis
    eta = fn.gradient(mu, m)

    def normal_mean(values):  # E over z = μ + ε, ε ~ N(0, 1)
        return values @ NORMAL_WEIGHTS

    eps = NORMAL_NODES
    f_z = fn.value(mu + eps, m)
    mean_f = normal_mean(f_z)[..., None]
    var_f = normal_mean((f_z - mean_f) ** 2)
    # Centred forms (subtracting the known mean η) avoid cancellation: e.g. linear f gives Var f′ = 0 exactly.
    pathwise = normal_mean((fn.derivative(mu + eps, m) - eta) ** 2)
    score = normal_mean((f_z * eps - eta) ** 2)
    centred_score = normal_mean(((f_z - mean_f) * eps - eta) ** 2)
    optimal_baseline = normal_mean(f_z * eps**2) / normal_mean(eps**2)
    optimal_score = normal_mean(((f_z - optimal_baseline[..., None]) * eps - eta) ** 2)

    w = RAYLEIGH_NODES
    coupled = (fn.value(mu + w, m) - fn.value(mu - w, m)) / SQRT_2PI
    # (coupled − η)² is not even in w, but coupled² is, which keeps the integrand smooth at w → 0; E coupled = η.
    eta_squared = eta[..., 0] ** 2
    measure_valued = coupled**2 @ RAYLEIGH_WEIGHTS - eta_squared
    return SampleMoments(
        pathwise, score, centred_score, optimal_baseline, optimal_score, var_f + eta_squared, measure_valued
    )


def exact_variances(f: str, m: float, mu, n) -> dict[str, np.ndarray]:
    """Exact variance of each N-sample estimator; μ and N broadcast against each other.

    Pathwise, score and measure-valued estimators are means of N i.i.d. terms: variance = per-sample variance / N.

    The leave-one-out baseline estimator equals the unbiased sample covariance of X = f(z) and Y = z − μ,
    ĝ = Σ (X_i − X̄)(Y_i − Ȳ)/(N − 1), whose mean is Cov(X, Y) = E[f(z)(z − μ)] = η. It is a U-statistic with
    kernel h = (X_1 − X_2)(Y_1 − Y_2)/2, so (Hoeffding) Var ĝ = [4(N − 2)ζ₁ + 2ζ₂] / (N(N − 1)) with
        ζ₁ = Var E[h | X_1, Y_1] = (μ₂₂ − η²)/4,   ζ₂ = Var h = (μ₂₂ + σ_X² σ_Y²)/2,
    where μ₂₂ = E[(X − EX)²(Y − EY)²], σ_Y² = 1 and σ_XY = η. Collecting terms,
        Var ĝ = (μ₂₂ − η²)/N + (σ_X² + η²)/(N(N − 1)).
    The first term is the variance of the score estimator with the constant baseline E f; the second is the
    price of estimating that baseline from the other samples, and it fades like 1/N². E f is not the best
    constant (b* is), so even the first term can exceed the plain score variance: for cos z at μ = 0 it is
    2.24 times larger, and the total is larger still at every N. At N = 1 no other sample exists: the estimator
    uses baseline 0 and its variance is the plain score variance.

    The score estimator with the oracle constant b* is a mean of i.i.d. terms: Var[(f − b*)(z − μ)] / N.
    """
    return variances_from_moments(per_sample_moments(f, m, mu), n)


def variances_from_moments(moments: SampleMoments, n) -> dict[str, np.ndarray]:
    """`exact_variances` from moments already computed: one quadrature pass serves every N."""
    n = np.asarray(n, dtype=float)
    with_baseline = moments.centred_score / n + moments.baseline_price / (n * np.maximum(n - 1, 1))
    return {
        "pathwise": moments.pathwise / n,
        "score": moments.score / n,
        "score+baseline": np.where(n >= 2, with_baseline, moments.score / n),
        "score+optimal baseline": moments.optimal_score / n,
        "measure-valued": moments.measure_valued / n,
    }


# --- Closed forms for the homework's two functions ----------------------------------------------------------------
#
# With s = z − μ ~ N(0, 1) and E s² = 1, E s⁴ = 3, E s⁶ = 15 (derived by hand, checked with sympy; the tests check
# them against the quadrature above): for f = m·z, f′ = m, b* = E f = mμ; for f = (m·z)², f′ = 2m²z,
# E f = m²(μ² + 1), b* = m²(μ² + 3). The measure-valued term is (f(μ + W) − f(μ − W))/√(2π) = 2mW/√(2π) resp.
# 4m²μW/√(2π), and E W² = 2. The leave-one-out baseline's variance is the U-statistic formula of `exact_variances`.

CLOSED_FORM_OBJECTIVES = ("linear", "square")


def closed_form_variances(f: str, m: float, mu: float, n: int) -> dict[str, float]:
    """Exact variance of each N-sample estimator for f = m·z or f = (m·z)², in closed form."""
    if f not in CLOSED_FORM_OBJECTIVES:
        raise ValueError(f"closed forms exist here only for {' and '.join(CLOSED_FORM_OBJECTIVES)}, not {f!r}")
    coupling = 4 / math.pi - 1  # Var of 2W/√(2π) per unit of its mean squared: E W² = 2
    if f == "linear":
        per_sample = {"pathwise": 0.0, "score": m**2 * (mu**2 + 2), "optimal": 2 * m**2, "mv": m**2 * coupling}
        centred, price = 2 * m**2, 2 * m**2
    else:
        per_sample = {
            "pathwise": 4 * m**4,
            "score": m**4 * (mu**4 + 14 * mu**2 + 15),
            "optimal": 2 * m**4 * (4 * mu**2 + 3),
            "mv": 4 * m**4 * mu**2 * coupling,
        }
        centred, price = 2 * m**4 * (4 * mu**2 + 5), 2 * m**4 * (4 * mu**2 + 1)
    with_baseline = centred / n + price / (n * (n - 1)) if n >= 2 else per_sample["score"] / n
    return {
        "pathwise": per_sample["pathwise"] / n,
        "score": per_sample["score"] / n,
        "score+baseline": with_baseline,
        "score+optimal baseline": per_sample["optimal"] / n,
        "measure-valued": per_sample["mv"] / n,
    }


# --- One experiment: everything the tab shows for one setting of its controls -----------------------------------

# Sample sizes with empirical markers on the variance-vs-N plot (those below the current N, plus N itself).
N_MARKERS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000)
N_LINE = np.unique(np.round(np.logspace(0, 4, 81)).astype(int))  # exact variance-vs-N curve, N = 1 … 10,000
MU_LINE = np.linspace(-4.0, 4.0, 161)  # exact variance-vs-μ curve
MU_MARKERS = np.arange(-4.0, 4.5, 1.0)  # empirical variance-vs-μ markers
MU_MARKER_BUDGET = 200_000  # draws for the μ markers (9 × N × R); above it the μ curve has exact lines only


@dataclass(frozen=True)
class EstimatorsResult:
    """One run of the experiment: R estimates per estimator, their variances measured and exact, and the curves."""

    f: str
    m: float
    mu: float
    n: int
    repeats: int
    true_gradient: float  # η(μ)
    optimal_baseline: float  # the oracle b* at μ
    estimates: dict[str, np.ndarray]  # the R estimates from N samples each, per estimator
    sizes: np.ndarray  # sample sizes with empirical markers on the N curve (the last one is N)
    empirical_by_n: dict[str, np.ndarray]  # sample variance of R estimates at each of `sizes`
    exact: dict[str, float]  # exact variance at (μ, N)
    n_line: np.ndarray
    exact_by_n: dict[str, np.ndarray]  # exact variance at μ along n_line
    mu_line: np.ndarray
    exact_by_mu: dict[str, np.ndarray]  # exact variance at N along mu_line
    mu_markers: np.ndarray
    empirical_by_mu: dict[str, np.ndarray] | None  # sample variance at N at each of mu_markers; None over budget
    closed_forms: dict[str, float] | None  # exact variances in closed form (linear and square only), else None


def run_experiment(f: str, m: float, mu: float, n: int, repeats: int, seed: int) -> EstimatorsResult:
    """Draw R estimates of η(μ) from N samples each per estimator (seeded), and the exact variances beside them.

    One quadrature pass (at μ and along the μ curve) gives every exact variance shown. The same random stream
    first draws the R × N samples (which also serve every smaller N on the N curve), then, within budget, the
    samples for the μ markers.
    """
    check_objective(f, m)
    rng = np.random.default_rng(seed)
    sizes = np.array([size for size in N_MARKERS if size < n] + [n])
    moments = per_sample_moments(f, m, np.concatenate([MU_LINE, MU_MARKERS, [mu]]))
    along_mu = SampleMoments(*(field[: len(MU_LINE)] for field in moments))
    at_markers = SampleMoments(*(field[len(MU_LINE) : -1] for field in moments))
    at_mu = SampleMoments(*(field[-1] for field in moments))

    by_size = sample_estimates(f, m, mu, sizes, repeats, rng, at_mu.optimal_baseline)  # {name: (R, len(sizes))}
    empirical_by_mu = None
    if len(MU_MARKERS) * n * repeats <= MU_MARKER_BUDGET:
        on_markers = sample_estimates(f, m, MU_MARKERS, [n], repeats, rng, at_markers.optimal_baseline)
        empirical_by_mu = {name: values[..., 0].var(axis=-1, ddof=1) for name, values in on_markers.items()}
    return EstimatorsResult(
        f=f,
        m=m,
        mu=mu,
        n=n,
        repeats=repeats,
        true_gradient=float(true_gradient(f, m, mu)),
        optimal_baseline=float(at_mu.optimal_baseline),
        estimates={name: values[:, -1] for name, values in by_size.items()},
        sizes=sizes,
        empirical_by_n={name: values.var(axis=0, ddof=1) for name, values in by_size.items()},
        exact={name: float(value) for name, value in variances_from_moments(at_mu, n).items()},
        n_line=N_LINE,
        exact_by_n=variances_from_moments(at_mu, N_LINE),
        mu_line=MU_LINE,
        exact_by_mu=variances_from_moments(along_mu, n),
        mu_markers=MU_MARKERS,
        empirical_by_mu=empirical_by_mu,
        closed_forms=closed_form_variances(f, m, mu, n) if f in CLOSED_FORM_OBJECTIVES else None,
    )
