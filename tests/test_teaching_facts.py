"""Facts the teaching texts state, each pinned by a computation, and the wrong sentences they replaced kept out.

The texts are demos/<tab>/texts/<catalogue>/*.{en,fa}.md (the Persian must say what the English says) and the docs. Each test
names the claim it checks; the number a text quotes is computed here, never typed from the text.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
from numpy.polynomial.hermite_e import hermegauss

import app  # noqa: F401  (each tab's package registers its texts as it is imported)
from demos import bidi, tab_sections, texts_dir
from models.divergences import cs_gaussians, kl_gaussians
from models.estimators import OBJECTIVES, closed_form_variances, exact_variances, true_gradient
from models.metrics import PRD_ANGLES, frechet_distance, prd_from_histograms

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "fa")

pytestmark = pytest.mark.usefixtures("one_thread_per_module")  # tests/conftest.py


def raw(tab: str, part: str, lang: str) -> str:
    """A text file as written (no direction marks), its lines joined so that a phrase may span a line break."""
    return " ".join((texts_dir(tab) / f"{part}.{lang}.md").read_text(encoding="utf-8").split())


def section(tab: str, part: str, key: str, lang: str = "en") -> str:
    """One `<!-- section: key -->` of a text as the reader sees it: no direction marks, lines joined."""
    return " ".join(bidi.plain(tab_sections(tab, part, lang)[key]).split())


def doc(name: str) -> str:
    return " ".join((ROOT / "docs" / name).read_text(encoding="utf-8").split())


def normal_expectation(g, mu: float, nodes: int = 80) -> float:
    """E g(z), z ~ N(mu, 1), by Gauss–Hermite quadrature (exact for polynomials of degree < 2·nodes)."""
    x, w = hermegauss(nodes)
    return float(np.sum(w * g(mu + x)) / math.sqrt(2 * math.pi))


# --- 1. pix2pix: the L1 optimum is a per-channel median, not a colour of the data ------------------------------

RED, GREEN, BLUE = np.eye(3)


def expected_losses(colours: np.ndarray, probabilities: np.ndarray, guesses: np.ndarray):
    """E‖y − g‖₁ and E‖y − g‖₂² for each guess g, y one of `colours` with `probabilities` (L1 per channel, summed)."""
    difference = guesses[:, None, :] - colours[None, :, :]
    l1 = (np.abs(difference).sum(axis=2) * probabilities).sum(axis=1)
    l2 = ((difference**2).sum(axis=2) * probabilities).sum(axis=1)
    return l1, l2


def colour_grid(step: float = 0.05) -> np.ndarray:
    axis = np.round(np.arange(0, 1 + step / 2, step), 10)
    return np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)


def test_the_l1_optimum_can_be_black_when_the_data_is_red_green_or_blue():
    """The homework's counterexample: red 0.4, green 0.4, blue 0.2 → per-channel medians (0, 0, 0), mean (0.4, 0.4, 0.2)."""
    colours, probabilities = np.stack([RED, GREEN, BLUE]), np.array([0.4, 0.4, 0.2])
    grid = colour_grid()
    l1, l2 = expected_losses(colours, probabilities, grid)
    assert np.allclose(grid[np.argmin(l1)], [0, 0, 0])  # black: a colour the data never has
    assert np.flatnonzero(np.isclose(l1, l1.min())).size == 1  # and the only optimum
    assert np.allclose(grid[np.argmin(l2)], probabilities @ colours) and np.allclose(
        grid[np.argmin(l2)], [0.4, 0.4, 0.2]
    )
    assert not any(np.allclose(grid[np.argmin(l1)], colour) for colour in colours)
    # Bimodal per channel with one mode above half the mass: the median sits on it, the mean between the modes.
    l1_two, l2_two = expected_losses(np.stack([RED, GREEN]), np.array([0.7, 0.3]), grid)
    assert np.allclose(grid[np.argmin(l1_two)], RED) and np.allclose(grid[np.argmin(l2_two)], [0.7, 0.3, 0])


def test_at_half_red_half_green_the_l1_optimum_is_not_unique():
    colours, probabilities = np.stack([RED, GREEN]), np.array([0.5, 0.5])
    t = np.linspace(0, 1, 21)[:, None]
    segment = t * RED + (1 - t) * GREEN
    l1_segment, _ = expected_losses(colours, probabilities, segment)
    l1_grid, _ = expected_losses(colours, probabilities, colour_grid())
    assert np.allclose(l1_segment, l1_segment[0]) and np.isclose(l1_segment[0], l1_grid.min())
    square = np.array([[r, g, 0.0] for r in np.linspace(0, 1, 11) for g in np.linspace(0, 1, 11)])
    assert np.allclose(expected_losses(colours, probabilities, square)[0], l1_grid.min())  # every (r, g, 0)


def test_the_pix2pix_texts_no_longer_call_the_median_a_colour_of_the_data():
    retired = {
        "en": ["one of the colours the data has", "per-pixel *median*, which blurs less"],
        "fa": ["میانه یکی از رنگ‌هایی است که در داده‌ها هست", "*میانهٔ* پیکسل‌به‌پیکسل آن‌ها، که کمتر تار می‌کند"],
    }
    for lang in LANGUAGES:
        homework, explanation = raw("pix2pix", "homework", lang), raw("pix2pix", "explanation", lang)
        for phrase in retired[lang]:
            assert phrase not in homework and phrase not in explanation, (lang, phrase)
        answer = section("pix2pix", "homework", "lambda_answer", lang)
        for formula in ("$(0,0,0)$", "$(0.4,0.4,0.2)$", "$(1,0,0)$", "$(r,g,0)$"):
            assert formula in answer, (lang, formula)


# --- 2. estimators: the equal-cost comparison states its cost model ---------------------------------------------


def test_measure_valued_beats_pathwise_below_the_thresholds_the_answer_states():
    """f = (mz)²: measure-valued 4m⁴μ²(4/π − 1)/N against pathwise 4m⁴/N at equal N (|μ| < 1.91), and against
    pathwise at 2N, one unit per f or f′ evaluation (|μ| < 1.35)."""
    equal_n = 1 / math.sqrt(4 / math.pi - 1)
    equal_cost = 1 / math.sqrt(2 * (4 / math.pi - 1))
    assert f"{equal_n:.2f}" == "1.91" and f"{equal_cost:.2f}" == "1.35"
    for mu in (equal_cost - 1e-3, equal_cost + 1e-3, equal_n - 1e-3, equal_n + 1e-3):
        at_n, at_2n = closed_form_variances("square", 1.3, mu, 10), closed_form_variances("square", 1.3, mu, 20)
        assert (at_n["measure-valued"] < at_n["pathwise"]) == (mu < equal_n)
        assert (at_n["measure-valued"] < at_2n["pathwise"]) == (mu < equal_cost)
    for lang, unit in (("en", "counting one evaluation of $f$ or of $f'$ as one unit"), ("fa", "یک واحد")):
        for key in ("choose_answer", "cost_answer"):
            text = section("estimators", "homework", key, lang)
            assert unit in text or unit.replace("counting one", "Counting one") in text, (lang, key)
        assert r"1/\sqrt{2(4/\pi-1)}\approx1.35" in section("estimators", "homework", "choose_answer", lang), lang
    assert "fair comparison" not in raw("estimators", "homework", "en")
    assert "منصفانه" not in raw("estimators", "homework", "fa")
    strings = {lang: json.loads((texts_dir("estimators") / f"strings.{lang}.json").read_text()) for lang in LANGUAGES}
    assert "f′ as one unit" in strings["en"]["homework_cost"] and "f′" in strings["fa"]["homework_cost"]


# --- 3. estimators: the homework's sign μ − z gives an estimator biased by −2η -----------------------------------


@pytest.mark.parametrize(("f", "m", "mu"), [("linear", 1.0, 0.0), ("square", 1.5, 0.7), ("cosine", 1.0, 1.0)])
def test_the_wrong_sign_estimates_minus_eta(f, m, mu):
    value = OBJECTIVES[f].value
    eta = float(true_gradient(f, m, mu))
    right = normal_expectation(lambda z: value(z, m) * (z - mu), mu)
    wrong = normal_expectation(lambda z: value(z, m) * (mu - z), mu)
    assert right == pytest.approx(eta, abs=1e-12)
    assert wrong == pytest.approx(-eta, abs=1e-12) and wrong - eta == pytest.approx(-2 * eta, abs=1e-12)


def test_the_sign_answer_says_biased_not_unbiased():
    for lang, must in (("en", "biased, with bias $-2\\eta$"), ("fa", "اریب است، با اریبی $-2\\eta$")):
        answer = section("estimators", "homework", "sign_answer", lang)
        assert must in answer, lang
    assert "still unbiased" not in raw("estimators", "homework", "en")
    assert "همچنان نااریب" not in raw("estimators", "homework", "fa")


# --- 4. estimators: the leave-one-out row is not a polynomial divided by N --------------------------------------


@pytest.mark.parametrize("n", [2, 3, 10, 57])
def test_the_leave_one_out_variance_has_a_one_over_n_times_n_minus_one_term(n):
    """Var = Var[(f − E f)(z − μ)]/N + (Var f + η²)/(N(N − 1)) (models.estimators.exact_variances)."""
    m, mu = 1.3, 0.6
    for f, centred, price in (
        ("linear", 2 * m**2, 2 * m**2),
        ("square", 2 * m**4 * (4 * mu**2 + 5), 2 * m**4 * (4 * mu**2 + 1)),
    ):
        expected = centred / n + price / (n * (n - 1))
        assert closed_form_variances(f, m, mu, n)["score+baseline"] == pytest.approx(expected, rel=1e-12)
        assert float(exact_variances(f, m, mu, n)["score+baseline"]) == pytest.approx(expected, rel=1e-8)
    assert 2 * m**2 / n + 2 * m**2 / (n * (n - 1)) == pytest.approx(2 * m**2 / (n - 1), rel=1e-12)
    # N·Var is not constant in N: no polynomial in m and μ divided by N
    scaled = [k * closed_form_variances("square", m, mu, k)["score+baseline"] for k in (2, 3)]
    assert scaled[0] != pytest.approx(scaled[1])


def test_the_variances_answer_names_the_leave_one_out_exception():
    for lang in LANGUAGES:
        answer = section("estimators", "homework", "variances_answer", lang)
        assert r"(\operatorname{Var}f+\eta^2)/\big(N(N-1)\big)" in answer, lang
    assert "divided by $N$:" not in raw("estimators", "homework", "en")


# --- 5. VAE: IWAE − ELBO only bounds KL(q‖p(z|x)) from below ----------------------------------------------------


def test_the_iwae_gap_is_below_the_kl_to_the_posterior():
    """Conjugate model p(z) = N(0, 1), p(x|z) = N(x; z, s²) with an inexact q: ELBO ≤ IWAE_k ≤ log p(x), so
    IWAE_k − ELBO ≤ log p(x) − ELBO = KL(q‖p(z|x))."""
    x, s, k = 1.5, 0.5, 10
    q_mean, q_sd = 0.6, 0.7
    post_mean, post_sd = x / (1 + s**2), s / math.sqrt(1 + s**2)
    log_px = -0.5 * math.log(2 * math.pi * (1 + s**2)) - x**2 / (2 * (1 + s**2))
    kl_posterior = float(kl_gaussians(q_mean, q_sd, post_mean, post_sd))
    expected_log_lik = -0.5 * math.log(2 * math.pi * s**2) - ((x - q_mean) ** 2 + q_sd**2) / (2 * s**2)
    elbo = expected_log_lik - float(kl_gaussians(q_mean, q_sd, 0, 1))
    assert log_px - elbo == pytest.approx(kl_posterior, rel=1e-12)
    z = np.random.default_rng(0).normal(q_mean, q_sd, size=(200_000, k))
    log_w = (
        -0.5 * np.log(2 * np.pi * s**2)
        - (x - z) ** 2 / (2 * s**2)
        - 0.5 * np.log(2 * np.pi)
        - z**2 / 2
        + 0.5 * np.log(2 * np.pi * q_sd**2)
        + (z - q_mean) ** 2 / (2 * q_sd**2)
    )
    per_draw = np.logaddexp.reduce(log_w, axis=1) - math.log(k)
    iwae, error = per_draw.mean(), per_draw.std() / math.sqrt(len(per_draw))
    assert elbo + 10 * error < iwae < log_px - 10 * error  # the gap IWAE − ELBO is strictly below the KL
    assert iwae - elbo < kl_posterior


def test_the_texts_no_longer_say_the_gap_estimates_the_kl():
    for lang in LANGUAGES:
        likelihood = section("vae", "explanation", "likelihood", lang)
        assert r"\mathrm{KL}(q(z\mid x)\,\|\,p(z\mid x))=\log p(x)-\mathrm{ELBO}(x)" in likelihood, lang
    assert "the gap between them estimates" not in raw("vae", "explanation", "en")
    assert "gap estimates KL" not in doc("vae.md")
    q2b = section("vae", "homework", "q2b_answer")
    assert "exceeds $\\log p(x)$ by about {{cs_excess}}" not in q2b
    assert "an upper bound on how far it exceeds $\\log p(x)$" in q2b


# --- 6. The live VAE: D_CS charges a code's mean μ²/(2(σ² + 1)), KL μ²/2 ----------------------------------------


@pytest.mark.parametrize("sigma", [0.05, 0.5, 1.0, 2.0])
def test_the_mean_terms_of_kl_and_cs(sigma):
    mu = np.linspace(-3, 3, 13)
    kl_term = kl_gaussians(mu, sigma, 0.0, 1.0) - kl_gaussians(0.0, sigma, 0.0, 1.0)
    cs_term = cs_gaussians(mu, sigma, 0.0, 1.0) - cs_gaussians(0.0, sigma, 0.0, 1.0)
    np.testing.assert_allclose(kl_term, mu**2 / 2, atol=1e-12)
    np.testing.assert_allclose(cs_term, mu**2 / (2 * (sigma**2 + 1)), atol=1e-12)
    assert np.all(cs_term <= kl_term)
    if sigma == 1.0:
        np.testing.assert_allclose(cs_term, mu**2 / 4, atol=1e-12)


def test_the_live_intro_no_longer_says_both_charge_half_mu_squared():
    assert "Both divergences charge" not in raw("vae_live", "intro", "en")
    assert "هر دو واگرایی برای میانگینِ یک کد" not in raw("vae_live", "intro", "fa")
    for lang in LANGUAGES:
        assert r"$\mu^2/4$" in raw("vae_live", "intro", lang), lang


# --- 7. pix2pix: what SRGAN, style transfer, CycleGAN and the PatchGAN really are ------------------------------


def test_the_pix2pix_texts_say_what_the_cited_work_did():
    applications = section("pix2pix", "homework", "applications_answer")
    assert "same pixel-plus-adversarial loss" not in applications
    assert (
        "VGG features" in applications and "Gatys et al." in applications and "neither pairs nor a GAN" in applications
    )
    cyclegan = section("pix2pix", "homework", "cyclegan_answer")
    assert "Johnson et al." in cyclegan and "need not share the input's fine detail" not in cyclegan
    assert "so it judges local texture" not in raw("pix2pix", "explanation", "en")
    assert "not just local texture" in raw("pix2pix", "explanation", "en")
    assert "not just local texture" in section("pix2pix", "homework", "patchgan_answer")
    applications = section("pix2pix", "homework", "applications_answer", "fa")
    assert "همین زیان پیکسلی به‌اضافهٔ تخاصمی" not in applications
    assert "VGG" in applications and "Gatys et al." in applications
    assert "Johnson et al." in section("pix2pix", "homework", "cyclegan_answer", "fa")
    assert "نه فقط بافت محلی" in raw("pix2pix", "explanation", "fa")
    assert "نه فقط بافت محلی" in section("pix2pix", "homework", "patchgan_answer", "fa")


# --- 8. Small overreaches: FID, the transposed convolution, KL to a mixture -------------------------------------


def test_fid_sees_only_means_and_covariances():
    """Two very different distributions with the same mean and covariance: ±1 coin flips per coordinate and
    N(0, I). Their Gaussians coincide, so the FID between them is 0."""
    rng = np.random.default_rng(0)
    coins = rng.choice([-1.0, 1.0], size=(200_000, 3))
    gaussian = rng.normal(size=(200_000, 3))
    assert np.unique(coins).size == 2  # nothing like a Gaussian
    exact = frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(3))  # both populations' statistics
    assert exact == pytest.approx(0.0, abs=1e-12)
    sampled = frechet_distance(coins.mean(0), np.cov(coins.T), gaussian.mean(0), np.cov(gaussian.T))
    assert sampled < 1e-3


def test_a_transposed_convolution_is_the_adjoint_of_a_convolution():
    """conv_transpose2d(y) is the gradient with respect to x of <conv2d(x), y>: the transpose of the linear map."""
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(3, 2, 4, 4, generator=generator, dtype=torch.float64)  # conv: 2 → 3 channels
    x = torch.randn(1, 2, 8, 8, generator=generator, dtype=torch.float64, requires_grad=True)
    y = torch.randn(1, 3, 4, 4, generator=generator, dtype=torch.float64)
    (torch.nn.functional.conv2d(x, weight, stride=2, padding=1) * y).sum().backward()
    transposed = torch.nn.functional.conv_transpose2d(y, weight, stride=2, padding=1)
    assert transposed.shape == x.shape and torch.allclose(transposed, x.grad, atol=1e-12)
    for lang, must in (("en", "the adjoint (the transpose) of a convolution"), ("fa", "الحاقیِ (adjoint) یک کانولوشن")):
        assert must in section("vae", "homework", "q3_transposed_answer", lang), lang
    assert "is the gradient of a convolution" not in raw("vae", "homework", "en")


def test_no_text_claims_that_no_closed_form_exists():
    assert "form exists" not in raw("divergences", "explanation", "en")
    assert "هیچ فرم بسته‌ای وجود ندارد" not in raw("divergences", "explanation", "fa")
    assert "KL has no closed form" not in raw("divergences", "explanation", "en")
    for lang in LANGUAGES:
        metrics = raw("vae", "explanation", lang)
        assert "realistic and as diverse" not in metrics and "هم واقع‌نما باشند و هم به اندازهٔ" not in metrics


# --- 9. The docs describe the models that ship -------------------------------------------------------------------


def test_the_docs_describe_the_shipped_models():
    vae = doc("vae.md")
    assert "shipped models use none" not in vae and "The shipped models use `--blocks 1`" in vae
    for name in ("vae_kl", "vae_cs", "vae_kl_2d"):
        assert json.loads((ROOT / "checkpoints" / f"{name}.json").read_text())["config"]["blocks"] == 1, name
    pix2pix = doc("pix2pix.md")
    assert "ngf-32 generators are about 21 MB" not in pix2pix and "shipped generators (ngf 16)" in pix2pix
    for name in ("pix2pix_gan", "pix2pix_l1"):
        record = json.loads((ROOT / "checkpoints" / f"{name}.json").read_text())
        assert record["config"]["ngf"] == 16, name


# --- 10. The FID and PRD formulas beside the metrics -------------------------------------------------------------


@pytest.mark.parametrize("dimension", [1, 3, 6])
def test_fid_is_the_formula_the_text_writes(dimension):
    """FID = ‖μ_r − μ_g‖² + tr(Σ_r + Σ_g − 2(Σ_r Σ_g)^{1/2}) against models.metrics.frechet_distance."""
    rng = np.random.default_rng(dimension)
    a, b = rng.normal(size=(dimension, dimension)), rng.normal(size=(dimension, dimension))
    sigma_r, sigma_g = a @ a.T + 0.1 * np.eye(dimension), b @ b.T + 0.1 * np.eye(dimension)
    mu_r, mu_g = rng.normal(size=dimension), rng.normal(size=dimension)
    root = scipy.linalg.sqrtm(sigma_r @ sigma_g).real
    formula = np.sum((mu_r - mu_g) ** 2) + np.trace(sigma_r + sigma_g - 2 * root)
    assert frechet_distance(mu_r, sigma_r, mu_g, sigma_g) == pytest.approx(formula, rel=1e-9)
    if dimension == 1:  # the squared 2-Wasserstein distance of two 1-D Gaussians: (μ₁ − μ₂)² + (σ₁ − σ₂)²
        wasserstein = (mu_r[0] - mu_g[0]) ** 2 + (math.sqrt(sigma_r[0, 0]) - math.sqrt(sigma_g[0, 0])) ** 2
        assert formula == pytest.approx(wasserstein, rel=1e-9)


def test_prd_is_the_formula_the_text_writes():
    """α(λ) = Σ min(λP, Q), β(λ) = Σ min(P, Q/λ), P the real histogram (the reference), Q the model's."""
    rng = np.random.default_rng(0)
    real, model = rng.dirichlet(np.ones(20)), rng.dirichlet(np.ones(20))
    precision, recall = prd_from_histograms(torch.tensor(real), torch.tensor(model))
    slopes = np.tan(np.linspace(1e-10, math.pi / 2 - 1e-10, PRD_ANGLES))
    alpha = np.minimum(slopes[:, None] * real[None, :], model[None, :]).sum(axis=1)
    beta = np.minimum(real[None, :], model[None, :] / slopes[:, None]).sum(axis=1)
    np.testing.assert_allclose(precision.numpy(), np.clip(alpha, 0, 1), atol=1e-12)
    np.testing.assert_allclose(recall.numpy(), np.clip(beta, 0, 1), atol=1e-9)
    for lang in LANGUAGES:
        note = section("vae", "explanation", "metrics_note", lang)
        assert r"\operatorname{tr}\big(\Sigma_r+\Sigma_g-2(\Sigma_r\Sigma_g)^{1/2}\big)" in note, lang
        assert r"\alpha(\lambda)=\sum_\omega\min\big(\lambda P(\omega),Q(\omega)\big)" in note, lang
        assert r"\beta(\lambda)=\sum_\omega\min\big(P(\omega),Q(\omega)/\lambda\big)" in note, lang


# --- 11. Q2b: a toy model where L_cs exceeds log p(x) exactly ----------------------------------------------------


def test_l_cs_exceeds_log_p_x_exactly_in_the_conjugate_gaussian_model():
    """p(z) = N(0, 1), p(x|z) = N(x; z, s²), q = the exact posterior: ELBO = log p(x), KL(q‖p(z|x)) = 0, and
    L_cs − log p(x) = KL(q‖p(z)) − D_CS(q‖p(z)) > 0 at λ = 1."""
    x, s = 1.5, 0.5
    q_mean, q_var = x / (1 + s**2), s**2 / (1 + s**2)
    log_px = -0.5 * math.log(2 * math.pi * (1 + s**2)) - x**2 / (2 * (1 + s**2))  # log N(x; 0, 1 + s²)
    expected_log_lik = -0.5 * math.log(2 * math.pi * s**2) - ((x - q_mean) ** 2 + q_var) / (2 * s**2)
    kl = float(kl_gaussians(q_mean, math.sqrt(q_var), 0.0, 1.0))
    cs = float(cs_gaussians(q_mean, math.sqrt(q_var), 0.0, 1.0))
    assert expected_log_lik - kl == pytest.approx(log_px, abs=1e-12)  # the ELBO is exact
    post_mean, post_sd = x / (1 + s**2), s / math.sqrt(1 + s**2)
    assert float(kl_gaussians(q_mean, math.sqrt(q_var), post_mean, post_sd)) == pytest.approx(0.0, abs=1e-12)
    l_cs = expected_log_lik - cs
    assert l_cs - log_px == pytest.approx(kl - cs, abs=1e-12) and kl - cs > 0
    assert l_cs - log_px == pytest.approx(0.38, abs=0.005)
    for lang in LANGUAGES:
        q2b = section("vae", "homework", "q2b_answer", lang)
        assert "$x=1.5$" in q2b and "$s=0.5$" in q2b and f"${l_cs - log_px:.2f}$" in q2b, lang
        assert r"\mathcal N\big(x/(1+s^2),\,s^2/(1+s^2)\big)" in q2b, lang


def test_the_encoder_table_is_the_shipped_encoder_as_built():
    """Q3: the tab shows the encoder's layers with their output shapes, read from the model (both languages)."""
    import demos.vae as vae_tab
    from demos.bidi import plain
    from models.checkpoints import load_model
    from models.vae import ConvVAE

    model, record = load_model(ConvVAE, "vae_kl")
    english, persian = vae_tab.encoder_markdown(model), plain(vae_tab.encoder_markdown(model, "fa"))
    channels, latent = record["config"]["channels"], record["config"]["latent_dim"]
    for table in (english, persian):
        assert f"| `Conv2d 1→{channels}, kernel 4, stride 2, padding 1` | {channels}×14×14 |" in table
        assert f"| `Conv2d {channels}→{2 * channels}, kernel 4, stride 2, padding 1` | {2 * channels}×7×7 |" in table
        assert table.count("ResidualBlock") == 2 * record["config"]["blocks"]
        assert f"(μ)` | {latent} |" in table and f"(log σ²)` | {latent} |" in table
