"""Convolutional VAE for 28×28 MNIST digits, regularized by KL or by the Cauchy–Schwarz divergence.

    encoder  x (1×28×28) → Conv 3×3/2 → 32×14×14 → Conv 3×3/2 → 64×7×7 → Linear 256 → μ, log σ²   q_φ(z|x)
    decoder  z → Linear 256 → Linear 64·7·7 → ConvTranspose 3×3/2 → 32×14×14 → ConvTranspose 3×3/2 → 1×28×28
             Bernoulli logits, p_θ(x|z)

Loss per image = BCE summed over the 784 pixels + λ · R(q_φ(z|x) ‖ N(0, I)), with R the KL divergence
(λ = 1 gives the negative ELBO) or D_CS. Whatever trained the model, `evaluate_elbo` reports the true
negative ELBO, E_q[−log p(x|z)] + KL, in nats per test digit, so the two regularizers are compared on
the same bound. Grey levels in [0, 1] are used as Bernoulli targets, as in pytorch/examples.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from models.divergences import cs_to_standard_normal_torch, kl_to_standard_normal_torch

REGULARIZERS = {"kl": kl_to_standard_normal_torch, "cs": cs_to_standard_normal_torch}
IMAGE_SHAPE = (1, 28, 28)


class ConvVAE(nn.Module):
    def __init__(self, latent_dim: int = 16, channels: int = 32, hidden: int = 256):
        super().__init__()
        self.config = {"latent_dim": latent_dim, "channels": channels, "hidden": hidden}
        self.latent_dim = latent_dim
        self.feature_shape = (2 * channels, 7, 7)  # 28 → 14 → 7 after two stride-2 convolutions
        features = math.prod(self.feature_shape)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, channels, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(features, hidden),
            nn.ReLU(),
        )
        self.to_mu = nn.Linear(hidden, latent_dim)
        self.to_logvar = nn.Linear(hidden, latent_dim)
        # output_padding=1 undoes the rounding down of the stride-2 convolutions: (7−1)·2 − 2 + 3 + 1 = 14.
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, features),
            nn.ReLU(),
            nn.Unflatten(1, self.feature_shape),
            nn.ConvTranspose2d(2 * channels, channels, kernel_size=3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(channels, 1, kernel_size=3, stride=2, padding=1, output_padding=1),
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """μ and log σ² of q_φ(z|x), each (batch, latent_dim)."""
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits of p_θ(x|z), (batch, 1, 28, 28)."""
        return self.decoder(z)


def build_model(config: dict) -> ConvVAE:
    """The network described by a checkpoint's config (extra keys such as the regularizer are ignored)."""
    return ConvVAE(latent_dim=config["latent_dim"], channels=config["channels"], hidden=config["hidden"])


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = μ + σ·ε with ε ~ N(0, I): a sample of q_φ(z|x) that gradients flow through."""
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def reconstruction_nats(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """−log p_θ(x|z) under independent Bernoulli pixels, summed over pixels: shape (batch,)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(dim=1)


def loss_per_image(model: nn.Module, x: torch.Tensor, regularizer: str, lam: float) -> torch.Tensor:
    """The training objective, one-sample reconstruction term + λ·R, in nats per image (batch,)."""
    mu, logvar = model.encode(x)
    logits = model.decode(reparameterize(mu, logvar))
    return reconstruction_nats(logits, x) + lam * REGULARIZERS[regularizer](mu, logvar)


def train(
    model: nn.Module,
    images: torch.Tensor,
    *,
    regularizer: str,
    lam: float,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    test_images: torch.Tensor | None = None,
    progress: bool = True,
) -> list[dict]:
    """Adam on shuffled minibatches of the train images; returns the curve, one entry per epoch.

    Each entry holds the mean training loss over the epoch and, when test_images are given, the test
    negative ELBO (one sample per digit: a cheap running check; `evaluate_elbo` gives the final number).
    """
    if regularizer not in REGULARIZERS:
        raise ValueError(f"regularizer must be one of {sorted(REGULARIZERS)}, got {regularizer!r}.")
    torch.manual_seed(seed)
    device = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    curve = []
    for epoch in tqdm(range(1, epochs + 1), desc=f"{regularizer}-VAE", unit="epoch", disable=not progress):
        model.train()
        order = torch.randperm(len(images))
        total = 0.0
        for start in range(0, len(images), batch_size):
            x = images[order[start : start + batch_size]].to(device)
            loss = loss_per_image(model, x, regularizer, lam).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
        entry = {"epoch": epoch, "train_loss": total / len(images)}
        if test_images is not None:
            entry["test_negative_elbo"] = evaluate_elbo(model, test_images, samples=1, seed=seed)["negative_elbo"]
        curve.append(entry)
    return curve


@torch.no_grad()
def evaluate_elbo(
    model: nn.Module, images: torch.Tensor, samples: int = 10, seed: int = 0, batch_size: int = 500
) -> dict:
    """Negative ELBO in nats per digit, its parts and its standard error over the digits.

    −ELBO(x) = E_q[−log p(x|z)] + KL(q(z|x) ‖ N(0, I)); the expectation is averaged over `samples` draws
    of z per digit (an unbiased estimate), the KL is exact. D_CS is reported beside it for comparison.
    reconstruction_mse is the mean squared error per pixel of the decoder mean at z = μ.
    """
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    recon, kl, cs, squared_error = [], [], [], 0.0
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device)
        mu, logvar = model.encode(x)
        draws = [reconstruction_nats(model.decode(reparameterize(mu, logvar, generator)), x) for _ in range(samples)]
        recon.append(torch.stack(draws).mean(dim=0))
        kl.append(kl_to_standard_normal_torch(mu, logvar))
        cs.append(cs_to_standard_normal_torch(mu, logvar))
        squared_error += (torch.sigmoid(model.decode(mu)) - x).pow(2).sum().item()
    recon, kl, cs = torch.cat(recon), torch.cat(kl), torch.cat(cs)
    negative_elbo = recon + kl
    return {
        "negative_elbo": negative_elbo.mean().item(),
        "negative_elbo_standard_error": (negative_elbo.std() / math.sqrt(len(images))).item(),
        "reconstruction_nats": recon.mean().item(),
        "kl": kl.mean().item(),
        "cs": cs.mean().item(),
        "reconstruction_mse": squared_error / images.numel(),
        "samples_per_digit": samples,
    }


@torch.no_grad()
def sample_images(model: ConvVAE, n: int, temperature: float = 1.0, seed: int = 0) -> torch.Tensor:
    """n digits decoded from z = temperature·ε, ε ~ N(0, I): Bernoulli means in [0, 1], (n, 1, 28, 28)."""
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    z = temperature * torch.randn(n, model.latent_dim, generator=generator, device=device)
    return torch.sigmoid(model.decode(z))


@torch.no_grad()
def reconstruct(model: ConvVAE, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Decoder means at z = μ(x): the model's reconstruction of each digit, (N, 1, 28, 28) in [0, 1]."""
    model.eval()
    device = next(model.parameters()).device
    parts = [
        torch.sigmoid(model.decode(model.encode(images[s : s + batch_size].to(device))[0]))
        for s in range(0, len(images), batch_size)
    ]
    return torch.cat(parts)


@torch.no_grad()
def latent_activity(model: ConvVAE, images: torch.Tensor) -> torch.Tensor:
    """Variance over the digits of each μ_d (Burda et al., 2016): near 0 means dimension d is unused."""
    model.eval()
    mu, _ = model.encode(images.to(next(model.parameters()).device))
    return mu.var(dim=0)


def sample_quality(model: ConvVAE, evaluator, n: int, seed: int) -> dict:
    """FID, IS, precision and recall of n prior samples (temperature 1).

    `evaluator` is a models.metrics.MnistEvaluator (features of an MNIST classifier, not Inception).
    """
    metrics = evaluator.evaluate(sample_images(model, n, seed=seed))
    return {
        "FID samples": metrics["fid"],
        "IS samples": metrics["inception_score"],
        "precision": metrics["precision"],
        "recall": metrics["recall"],
    }


def reconstruction_fid(model: ConvVAE, evaluator, test_images: torch.Tensor) -> float:
    """FID of the reconstructions of the test split (deterministic: decoder means at z = μ)."""
    return evaluator.evaluate(reconstruct(model, test_images))["fid"]


def transposed_conv_shapes(model: ConvVAE) -> list[dict]:
    """Each ConvTranspose2d of the decoder: its h_in, s, p, k, output_padding, and h_out twice —
    from (h_in − 1)·s − 2p + k + output_padding, and as measured by running the decoder."""
    shapes, rows = [], []
    hooks = [
        layer.register_forward_hook(
            lambda layer, inputs, output: shapes.append((inputs[0].shape[-1], output.shape[-1]))
        )
        for layer in model.decoder
        if isinstance(layer, nn.ConvTranspose2d)
    ]
    try:
        with torch.no_grad():
            model.decode(torch.zeros(1, model.latent_dim, device=next(model.parameters()).device))
    finally:
        for hook in hooks:
            hook.remove()
    layers = [layer for layer in model.decoder if isinstance(layer, nn.ConvTranspose2d)]
    for layer, (h_in, measured) in zip(layers, shapes, strict=True):
        s, p, k, op = layer.stride[0], layer.padding[0], layer.kernel_size[0], layer.output_padding[0]
        rows.append(
            {
                "channels": (layer.in_channels, layer.out_channels),
                "h_in": h_in,
                "stride": s,
                "padding": p,
                "kernel": k,
                "output_padding": op,
                "h_out_formula": (h_in - 1) * s - 2 * p + k + op,
                "h_out_measured": measured,
            }
        )
    return rows
