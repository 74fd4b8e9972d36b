"""The fitted prior of the VAEs (models/latent_prior.py): its density, its sampler, its EM fit, the likelihood
and path length under it, and the shipped records that choose and report it."""

import math

import pytest
import torch

from models.checkpoints import read_record
from models.latent_prior import GaussianMixture, fit_mixture
from models.mnist import binarize, load_mnist
from models.vae import ConvVAE, evaluate_likelihood, log_normal
from models.vae_pipeline import sample_images

pytestmark = pytest.mark.usefixtures("one_thread_per_module")


def three_component_mixture() -> GaussianMixture:
    """A 2-D mixture with unequal weights and correlated, unequal covariances."""
    mixture = GaussianMixture(3, 2).double()
    mixture.log_weights = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64).log()
    mixture.means = torch.tensor([[-2.0, 0.0], [1.5, 1.0], [0.5, -2.5]], dtype=torch.float64)
    mixture.scale_tril = torch.tensor(
        [[[0.6, 0.0], [0.3, 0.5]], [[1.0, 0.0], [-0.4, 0.7]], [[0.4, 0.0], [0.0, 0.9]]], dtype=torch.float64
    )
    return mixture


def test_the_standard_normal_is_n_0_i_and_samples_as_before():
    prior = GaussianMixture.standard_normal(16)
    z = torch.randn(7, 3, 16, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(prior.log_prob(z), log_normal(z, torch.zeros(16), torch.zeros(16)), atol=1e-4)
    assert prior.is_standard_normal and not three_component_mixture().is_standard_normal
    # z = T·ε with ε from the seed, as the tab drew N(0, I) samples before the prior was an object
    drawn = prior.sample(5, torch.Generator().manual_seed(3), temperature=0.7)
    assert torch.equal(drawn, 0.7 * torch.randn(5, 16, generator=torch.Generator().manual_seed(3)))


def test_mixture_density_integrates_to_one_and_sums_its_components():
    mixture = three_component_mixture()
    axis = torch.linspace(-9, 9, 721, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), dim=-1)
    cell = (axis[1] - axis[0]) ** 2
    assert (mixture.log_prob(grid).exp().sum() * cell).item() == pytest.approx(1.0, abs=1e-6)
    point = torch.tensor([0.3, -0.7], dtype=torch.float64)
    by_hand = sum(
        torch.distributions.MultivariateNormal(mean, scale_tril=tril).log_prob(point).exp() * weight
        for mean, tril, weight in zip(mixture.means, mixture.scale_tril, mixture.log_weights.exp(), strict=True)
    )
    assert mixture.log_prob(point).item() == pytest.approx(math.log(by_hand.item()), rel=1e-12)


def test_samples_follow_the_weights_means_and_temperature():
    mixture = three_component_mixture()
    n = 40_000
    z = mixture.sample(n, torch.Generator().manual_seed(1))
    weights = mixture.log_weights.exp()
    mean = (weights[:, None] * mixture.means).sum(0)
    covariances = mixture.scale_tril @ mixture.scale_tril.transpose(1, 2)
    second = (weights[:, None, None] * (covariances + mixture.means[:, :, None] * mixture.means[:, None, :])).sum(0)
    standard_error = ((second.diagonal() - mean**2) / n).sqrt()
    assert ((z.mean(0) - mean).abs() < 4 * standard_error).all()
    # the covariance too: Σ = Σ_c w_c (L_c L_cᵀ + m_c m_cᵀ) − m mᵀ, each entry within 4 standard errors
    covariance = second - mean[:, None] * mean[None, :]
    sample_covariance = torch.cov(z.double().T)
    centred = z.double() - z.double().mean(0)
    entry_se = ((centred[:, :, None] * centred[:, None, :]).var(0) / n).sqrt()
    assert ((sample_covariance - covariance).abs() < 4 * entry_se).all()
    # T = 0 puts every draw on its component's centre, in the weights' proportions (binomial standard errors)
    centres = mixture.sample(n, torch.Generator().manual_seed(2), temperature=0.0)
    shares = torch.stack([(centres == centre).all(1).double().mean() for centre in mixture.means])
    assert torch.allclose(shares.sum(), torch.tensor(1.0, dtype=torch.float64))
    assert ((shares - weights).abs() < 4 * (weights * (1 - weights) / n).sqrt()).all()


def test_em_recovers_a_known_mixture_and_beats_its_likelihood():
    truth = three_component_mixture()
    z = truth.sample(6000, torch.Generator().manual_seed(4))
    fitted = fit_mixture(z, 3, seed=0).double()
    order = [int((fitted.means - mean).norm(dim=1).argmin()) for mean in truth.means]
    assert sorted(order) == [0, 1, 2]
    assert torch.allclose(fitted.means[order], truth.means, atol=0.1)
    assert torch.allclose(fitted.log_weights.exp()[order], truth.log_weights.exp(), atol=0.03)
    # maximum likelihood: the fit explains its own data at least as well as the distribution that drew it
    assert fitted.log_prob(z).mean() >= truth.log_prob(z).mean() - 1e-3


def test_a_mixture_equal_to_n_0_i_gives_the_standard_likelihood():
    # Two identical N(0, I) components are N(0, I) again, but take the mixture's path (log p(z) from the mixture,
    # KL by Monte Carlo): the IWAE value must agree with the exact path, the KL within its sampling error.
    torch.manual_seed(0)
    model = ConvVAE(latent_dim=4, channels=4, hidden=8, blocks=0).eval()
    doubled = GaussianMixture(2, 4)
    assert not doubled.is_standard_normal
    x = binarize(load_mnist("test")[0][:40], seed=0)
    exact = evaluate_likelihood(model, x, importance_samples=300, seed=5)
    through_mixture = evaluate_likelihood(model, x, importance_samples=300, seed=5, prior=doubled)
    assert through_mixture["iwae_negative_log_likelihood"] == pytest.approx(
        exact["iwae_negative_log_likelihood"], abs=1e-4
    )
    assert through_mixture["kl_prior"] == pytest.approx(exact["kl"], rel=0.05)
    assert exact["kl_prior"] == exact["kl"]


def test_samples_from_the_standard_prior_are_the_default_samples():
    torch.manual_seed(0)
    model = ConvVAE(latent_dim=4, channels=4, hidden=8, blocks=0).eval()
    standard = GaussianMixture.standard_normal(4)
    assert torch.equal(sample_images(model, 6, 0.8, seed=2), sample_images(model, 6, 0.8, seed=2, prior=standard))


@pytest.mark.parametrize("vae", ["vae_kl", "vae_cs"])
def test_shipped_priors_were_chosen_on_validation_and_sample_better(vae):
    record = read_record(f"{vae}_prior")
    candidates = record["fit"]["candidates"]
    best = min(candidates, key=lambda row: row["fid_samples"])
    assert record["config"]["components"] == best["components"] == record["validation"]["components"]
    assert record["fit"]["vae"] == vae
    # what the tab says: the fitted prior's samples are better digits than N(0, I)'s, on the test split
    assert record["sample_quality"]["FID samples"] < read_record(vae)["sample_quality"]["FID samples"]
    reconstructions = read_record(vae)["sample_quality"]["FID reconstructions"]
    assert record["sample_quality"]["FID reconstructions"] == pytest.approx(reconstructions, rel=1e-6)


def test_the_elbo_under_a_shifted_prior_pays_its_closed_form_kl():
    # p(x|z) ignores z, so log p(x) is known exactly; q(z|x) = N(1, I) and p(z) = N(a, s²I): −ELBO exceeds −log p(x)
    # by KL(q‖p) = ½ Σ_j [1/s² + (1 − a_j)²/s² − 1 + 2 log s], estimated here by Monte Carlo through the mixture.
    from tests.test_vae import model_whose_decoder_ignores_z

    model = model_whose_decoder_ignores_z(1.0)
    prior = GaussianMixture(1, 4)
    prior.means = torch.tensor([[0.5, -1.0, 2.0, 0.0]])
    prior.scale_tril = 1.2 * torch.eye(4)[None]  # s² < 2: the importance weights have finite variance
    x = binarize(load_mnist("test")[0][:30], seed=0)
    with torch.no_grad():
        exact = evaluate_likelihood(model, x, importance_samples=1, prior=None)["reconstruction_nats"]
    result = evaluate_likelihood(model, x, importance_samples=400, seed=2, prior=prior)
    s2 = 1.2**2
    kl = 0.5 * sum(1 / s2 + (1 - a) ** 2 / s2 - 1 + math.log(s2) for a in (0.5, -1.0, 2.0, 0.0))
    assert result["negative_elbo"] - exact == pytest.approx(kl, rel=0.02)
    # the IWAE bound is far closer to −log p(x), and not below it by more than its standard error
    assert exact - 4 * result["elbo_gap_standard_error"] <= result["iwae_negative_log_likelihood"]
    assert result["iwae_negative_log_likelihood"] - exact < 0.1 * (result["negative_elbo"] - exact)
