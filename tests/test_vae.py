"""VAE explorer: the KL closed form, network shapes, a short training run, checkpoints and the public API."""

import math

import gradio as gr
import pytest
import torch
from gradio_client.exceptions import AppError
from PIL import Image

from demos import vae as vae_tab
from models.checkpoints import load_state_into, save_checkpoint
from models.divergences import kl_to_standard_normal_torch
from models.mnist import load_mnist
from models.vae import ConvVAE, build_model, loss_per_image, train, transposed_conv_shapes


def grid_size(rows: int, columns: int, scale: int) -> tuple[int, int]:
    """(width, height) of a documented digit grid: 28 px digits, 2 px gaps, upscaled ×scale."""
    return scale * (30 * columns + 2), scale * (30 * rows + 2)


def test_kl_closed_form_matches_monte_carlo():
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(4, generator=generator, dtype=torch.float64)
    logvar = torch.randn(4, generator=generator, dtype=torch.float64)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(4, dtype=torch.float64), 1.0)
    torch.manual_seed(1)
    z = q.sample((200_000,))
    log_ratio = (q.log_prob(z) - p.log_prob(z)).sum(dim=1)  # KL = E_q[log q(z) − log p(z)]
    standard_error = log_ratio.std() / math.sqrt(len(log_ratio))
    closed_form = kl_to_standard_normal_torch(mu, logvar)
    assert abs(log_ratio.mean() - closed_form) < 4 * standard_error


@pytest.mark.parametrize("latent_dim", [16, 2])
def test_encoder_decoder_shapes(latent_dim):
    model = ConvVAE(latent_dim=latent_dim)
    mu, logvar = model.encode(torch.rand(5, 1, 28, 28))
    assert mu.shape == logvar.shape == (5, latent_dim)
    assert model.decode(mu).shape == (5, 1, 28, 28)
    shapes = transposed_conv_shapes(model)
    assert [row["h_out_measured"] for row in shapes] == [14, 28]
    assert all(row["h_out_formula"] == row["h_out_measured"] for row in shapes)


@pytest.fixture
def one_thread():
    # A few tiny steps: more threads only contend for the shared CI cores (three times slower there).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("regularizer", ["kl", "cs"])
def test_short_training_lowers_the_loss(regularizer, one_thread):
    images = load_mnist("train")[0][:256]
    torch.manual_seed(0)
    model = ConvVAE()

    def losses():  # the same ε for both evaluations, so the difference is the training's alone
        torch.manual_seed(1)
        with torch.no_grad():
            return loss_per_image(model, images, regularizer, lam=1.0)

    before = losses()
    train(model, images, regularizer=regularizer, lam=1.0, epochs=2, batch_size=64, progress=False)
    drop = before - losses()
    assert drop.mean() > 4 * drop.std() / math.sqrt(len(drop))


def test_checkpoint_round_trip_is_exact(tmp_path):
    config = {"latent_dim": 16, "channels": 32, "hidden": 256, "regularizer": "kl", "lam": 1.0}
    torch.manual_seed(0)
    model = build_model(config)
    save_checkpoint(model, "vae_round_trip", {"config": config}, directory=tmp_path)
    restored = load_state_into(build_model(config), "vae_round_trip", directory=tmp_path)
    for (key, saved), loaded in zip(model.state_dict().items(), restored.state_dict().values(), strict=True):
        assert torch.equal(saved, loaded), key


def test_sample_endpoint_size(client):
    path = client.predict(model="kl", n=10, temperature=1.0, seed=3, api_name="/vae_sample")
    assert Image.open(path).size == grid_size(rows=2, columns=8, scale=4)


def test_traverse_endpoint_sizes(client):
    traversal, digit = client.predict(model="cs", digit_index=1999, span=2.0, api_name="/vae_traverse")
    assert Image.open(traversal).size == grid_size(rows=16, columns=9, scale=2)
    assert Image.open(digit).size == grid_size(rows=1, columns=1, scale=4)


def test_metrics_endpoint_table(client):
    table = client.predict(model="kl", n=200, seed=0, api_name="/vae_metrics")
    assert table["headers"] == ["metric", "value"]
    assert [row[0] for row in table["data"]] == [
        "FID samples",
        "FID reconstructions",
        "IS samples",
        "precision",
        "recall",
    ]
    assert all(math.isfinite(row[1]) for row in table["data"])


def test_samples_follow_the_seed():
    first = vae_tab.vae_sample("kl", 8, 1.0, 5)
    assert (first == vae_tab.vae_sample("kl", 8, 1.0, 5)).all()
    assert (first != vae_tab.vae_sample("kl", 8, 1.0, 6)).any()


@pytest.mark.parametrize(
    ("endpoint", "arguments"),
    [
        (vae_tab.vae_sample, ("vae", 8, 1.0, 0)),
        (vae_tab.vae_sample, ("kl", 0, 1.0, 0)),
        (vae_tab.vae_sample, ("kl", 65, 1.0, 0)),
        (vae_tab.vae_sample, ("kl", 8, 0.0, 0)),
        (vae_tab.vae_sample, ("kl", 8, -1.0, 0)),
        (vae_tab.vae_sample, ("kl", 8, "warm", 0)),
        (vae_tab.vae_sample, ("kl", 8, math.nan, 0)),
        (vae_tab.vae_sample, ("kl", 8, 1.0, -1)),
        (vae_tab.vae_traverse, ("cs", 2000, 3.0)),
        (vae_tab.vae_traverse, ("cs", 1.5, 3.0)),
        (vae_tab.vae_traverse, ("cs", None, 3.0)),
        (vae_tab.vae_traverse, ("cs", 0, 0.0)),
        (vae_tab.vae_traverse, ("cs", 0, 0.4)),
        (vae_tab.vae_traverse, ("cs", 0, math.inf)),
        (vae_tab.vae_metrics, ("kl", 99, 0)),
        (vae_tab.vae_metrics, ("kl", 5001, 0)),
        (vae_tab.vae_metrics, ("KL", 2000, 0)),
    ],
)
def test_bad_inputs_are_answered_with_a_sentence(endpoint, arguments):
    with pytest.raises(gr.Error):
        endpoint(*arguments)


def test_bad_input_through_the_api(client):
    with pytest.raises(AppError):
        client.predict(model="kl", n=8, temperature=-1.0, seed=0, api_name="/vae_sample")
