"""Convolutional VAE for binarized 28×28 MNIST digits, regularized by KL or by the Cauchy–Schwarz divergence.

    encoder  x (1×28×28) → Conv 4×4/2 → 32×14×14 [→ residual blocks] → Conv 4×4/2 → 64×7×7 [→ residual blocks]
             → Linear 256 → μ, log σ²                                                      q_φ(z|x)
    decoder  z → Linear 256 → Linear 64·7·7 [→ residual blocks] → ConvTranspose 4×4/2 → 32×14×14
             [→ residual blocks] → ConvTranspose 4×4/2 → 1×28×28 Bernoulli logits           p_θ(x|z)

`blocks` residual blocks per resolution (3×3 convolutions, He et al. 2016) deepen both networks; the shipped
models use one, chosen on the validation digits among 0, 1 and 2 (docs/measured/select_vae.md): the best prior
samples, and 150 epochs still fit in 25 minutes on two CPU cores.

The likelihood is a true one: pixels are binary (ink or not) and p_θ(x|z) is a product of Bernoulli
distributions, so −log p_θ(x|z) is a real negative log-probability and the ELBO a real lower bound on
log p(x). Training binarizes every batch afresh (x ~ Bernoulli(grey level), "dynamic binarization", which
also fights overfitting on 8,000 digits); evaluation uses one fixed binarization (models.mnist.binarize).

Loss per image = −log p_θ(x|z) (one z ~ q) + λ · R(q_φ(z|x) ‖ N(0, I)), R = KL (λ = 1: the negative ELBO)
or D_CS. Whatever trained the model, `evaluate_likelihood` reports the true negative ELBO and the
importance-weighted bound (IWAE, Burda et al. 2016) on −log p(x), so both regularizers are judged on the
same likelihood.
"""

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from models.divergences import cs_to_standard_normal_torch, kl_to_standard_normal_torch
from models.latent_prior import GaussianMixture

REGULARIZERS = {"kl": kl_to_standard_normal_torch, "cs": cs_to_standard_normal_torch}
IMAGE_SHAPE = (1, 28, 28)
LOG_2PI = math.log(2 * math.pi)
DECODE_BATCH = 1000


class ResidualBlock(nn.Module):
    """x + Conv(SiLU(Conv(SiLU(x)))), 3×3, same size: more depth without harder optimisation (He et al. 2016)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.SiLU(),
            nn.Conv2d(channels, channels, kernel_size=3, padding=1),
            nn.SiLU(),
            nn.Conv2d(channels, channels, kernel_size=3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ConvVAE(nn.Module):
    def __init__(self, latent_dim: int = 16, channels: int = 32, hidden: int = 256, blocks: int = 0):
        super().__init__()
        self.config = {"latent_dim": latent_dim, "channels": channels, "hidden": hidden, "blocks": blocks}
        self.latent_dim = latent_dim
        self.feature_shape = (2 * channels, 7, 7)  # 28 → 14 → 7 after two stride-2 convolutions
        features = math.prod(self.feature_shape)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, channels, kernel_size=4, stride=2, padding=1),
            *(ResidualBlock(channels) for _ in range(blocks)),
            nn.SiLU(),
            nn.Conv2d(channels, 2 * channels, kernel_size=4, stride=2, padding=1),
            *(ResidualBlock(2 * channels) for _ in range(blocks)),
            nn.SiLU(),
            nn.Flatten(),
            nn.Linear(features, hidden),
            nn.SiLU(),
        )
        self.to_mu = nn.Linear(hidden, latent_dim)
        self.to_logvar = nn.Linear(hidden, latent_dim)
        # Kernel 4 with stride 2 doubles the size exactly, (7 − 1)·2 − 2·1 + 4 = 14, and every output pixel
        # receives the same number (2×2) of kernel taps: no checkerboard from uneven overlap (Odena et al. 2016).
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.SiLU(),
            nn.Linear(hidden, features),
            nn.Unflatten(1, self.feature_shape),
            *(ResidualBlock(2 * channels) for _ in range(blocks)),
            nn.SiLU(),
            nn.ConvTranspose2d(2 * channels, channels, kernel_size=4, stride=2, padding=1),
            *(ResidualBlock(channels) for _ in range(blocks)),
            nn.SiLU(),
            nn.ConvTranspose2d(channels, 1, kernel_size=4, stride=2, padding=1),
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """μ and log σ² of q_φ(z|x), each (batch, latent_dim)."""
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits of p_θ(x|z), (batch, 1, 28, 28)."""
        return self.decoder(z)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = μ + σ·ε with ε ~ N(0, I): a sample of q_φ(z|x) that gradients flow through."""
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def reconstruction_nats(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """−log p_θ(x|z) of binary pixels x under independent Bernoulli(sigmoid(logits)), summed: shape (batch,)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(dim=1)


def loss_per_image(model: nn.Module, x: torch.Tensor, regularizer: str, lam: float) -> torch.Tensor:
    """The training objective, one-sample reconstruction term + λ·R, in nats per image (batch,)."""
    mu, logvar = model.encode(x)
    logits = model.decode(reparameterize(mu, logvar))
    return reconstruction_nats(logits, x) + lam * REGULARIZERS[regularizer](mu, logvar)


@dataclass(frozen=True)
class TrainingSettings:
    """Everything besides the network that decides a training run (stored in a checkpoint's record["training"])."""

    regularizer: str = "kl"
    lam: float = 1.0
    epochs: int = 12
    batch_size: int = 128
    lr: float = 1e-3  # peak of a cosine schedule that ends at 0
    warmup_epochs: float = 2.0  # λ rises linearly from 0 over these epochs (KL warm-up, Bowman et al. 2016)
    max_shift: int = 1  # augmentation: each training digit moves by up to this many pixels in x and y
    seed: int = 0

    def __post_init__(self):
        if self.regularizer not in REGULARIZERS:
            raise ValueError(f"regularizer must be one of {sorted(REGULARIZERS)}, got {self.regularizer!r}.")

    def as_record(self) -> dict:
        return asdict(self)


def shift_images(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Each image moved by its own random whole-pixel offset in [−max_shift, max_shift]², zeros shifted in."""
    if max_shift == 0:
        return images
    n, size = len(images), images.shape[-1]
    padded = F.pad(images, (max_shift,) * 4)
    offsets = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=generator)
    rows = (offsets[:, 0, None] + torch.arange(size))[:, :, None]  # (n, size, 1)
    cols = (offsets[:, 1, None] + torch.arange(size))[:, None, :]  # (n, 1, size)
    return padded[torch.arange(n)[:, None, None], 0, rows, cols].unsqueeze(1)


def learning_rate(settings: TrainingSettings, step: int, total_steps: int) -> float:
    """Cosine decay from settings.lr to 0, a pure function of the step (so a resumed run continues exactly)."""
    return settings.lr * 0.5 * (1.0 + math.cos(math.pi * step / total_steps))


def regularizer_weight(settings: TrainingSettings, epoch_progress: float) -> float:
    """λ during warm-up: rises linearly from 0 to settings.lam over the first warmup_epochs (then constant)."""
    if settings.warmup_epochs <= 0:
        return settings.lam
    return settings.lam * min(1.0, epoch_progress / settings.warmup_epochs)


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    grey_images: torch.Tensor,
    settings: TrainingSettings,
    epoch: int,
) -> float:
    """One pass over shifted, freshly binarized digits; returns the mean training loss (nats per digit).

    The random stream depends only on (seed, epoch), so an interrupted run resumed at `epoch` trains the same.
    """
    model.train()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(settings.seed * 100_003 + epoch)
    steps_per_epoch = math.ceil(len(grey_images) / settings.batch_size)
    total_steps = steps_per_epoch * settings.epochs
    order = torch.randperm(len(grey_images), generator=generator)
    total = 0.0
    for step_in_epoch, start in enumerate(range(0, len(grey_images), settings.batch_size)):
        step = (epoch - 1) * steps_per_epoch + step_in_epoch
        grey = shift_images(grey_images[order[start : start + settings.batch_size]], settings.max_shift, generator)
        x = torch.bernoulli(grey, generator=generator).to(device)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(settings, step, total_steps)
        lam = regularizer_weight(settings, epoch - 1 + step_in_epoch / steps_per_epoch)
        mu, logvar = model.encode(x)
        noise = torch.randn(mu.shape, generator=generator).to(device)
        logits = model.decode(mu + torch.exp(0.5 * logvar) * noise)
        loss = (reconstruction_nats(logits, x) + lam * REGULARIZERS[settings.regularizer](mu, logvar)).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
    return total / len(grey_images)


def train(
    model: nn.Module,
    grey_images: torch.Tensor,
    settings: TrainingSettings,
    *,
    validation: torch.Tensor | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    start_epoch: int = 1,
    on_epoch: Callable[[int, dict], None] | None = None,
    progress: bool = True,
) -> list[dict]:
    """Adam on shuffled minibatches; returns the curve, one entry per epoch from start_epoch.

    `grey_images` are grey levels in [0, 1] (binarized per batch); `validation`, if given, is a fixed binary
    set whose negative ELBO (one z per digit: a cheap running check) joins each entry. `on_epoch(epoch, entry)`
    runs after each epoch, e.g. to save a resumable state.
    """
    device = next(model.parameters()).device
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=settings.lr)
    curve = []
    epochs = range(start_epoch, settings.epochs + 1)
    bar = tqdm(epochs, desc=f"{settings.regularizer}-VAE", unit="epoch", disable=not progress)
    for epoch in bar:
        entry = {"epoch": epoch, "train_loss": train_epoch(model, optimizer, grey_images, settings, epoch)}
        if validation is not None:
            entry["validation_negative_elbo"] = evaluate_likelihood(
                model, validation.to(device), importance_samples=1, seed=settings.seed
            )["negative_elbo"]
            bar.set_postfix(validation_negative_elbo=f"{entry['validation_negative_elbo']:.2f}")
        curve.append(entry)
        if on_epoch is not None:
            on_epoch(epoch, entry)
    return curve


def log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; μ, diag σ²), summed over the last dimension."""
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) * torch.exp(-logvar)).sum(dim=-1)


@torch.no_grad()
def per_digit_likelihood(
    model: ConvVAE,
    binary_images: torch.Tensor,
    importance_samples: int,
    generator: torch.Generator,
    prior: GaussianMixture | None = None,
) -> dict[str, torch.Tensor]:
    """Per digit: E_q[−log p(x|z)], KL to the prior, KL and D_CS to N(0, I), and the IWAE estimate of −log p(x).

    With k = importance_samples draws z_i ~ q(z|x) and weights w_i = p(x|z_i) p(z_i) / q(z_i|x),
    log p(x) ≥ E[log (1/k) Σ w_i] ≥ ELBO (Burda et al. 2016): the bound tightens as k grows. The same
    draws give the reconstruction term. p(z) is `prior` (default N(0, I), models/latent_prior.py). KL and D_CS to
    N(0, I) are exact; KL to a fitted mixture has no known closed form and is the mean of log q(z_i|x) − log p(z_i) over
    the same draws (unbiased). Tensors of shape (batch,).
    """
    model.eval()
    x = binary_images.to(next(model.parameters()).device)
    mu, logvar = model.encode(x)
    eps = torch.randn((importance_samples, *mu.shape), generator=generator).to(mu.device)
    z = mu + torch.exp(0.5 * logvar) * eps  # (k, batch, d)
    per_call = max(1, DECODE_BATCH // len(x))  # draws decoded per call: ~DECODE_BATCH images at once
    recon = torch.cat(
        [
            reconstruction_nats(model.decode(chunk.flatten(0, 1)), x.repeat(len(chunk), 1, 1, 1)).view(len(chunk), -1)
            for chunk in z.split(per_call)
        ]
    )  # (k, batch)
    kl = kl_to_standard_normal_torch(mu, logvar)
    if prior is None or prior.is_standard_normal:
        log_prior, kl_prior = log_normal(z, torch.zeros_like(mu), torch.zeros_like(logvar)), kl
    else:
        log_prior = prior.to(mu.device).log_prob(z)
        kl_prior = (log_normal(z, mu, logvar) - log_prior).mean(dim=0)
    log_weights = -recon + log_prior - log_normal(z, mu, logvar)
    log_px = torch.logsumexp(log_weights, dim=0) - math.log(importance_samples)
    return {
        "reconstruction": recon.mean(dim=0),
        "kl_prior": kl_prior,
        "kl": kl,
        "cs": cs_to_standard_normal_torch(mu, logvar),
        "negative_log_likelihood": -log_px,
    }


def _mean_and_standard_error(values: torch.Tensor) -> tuple[float, float]:
    return values.mean().item(), (values.std() / math.sqrt(len(values))).item()


@torch.no_grad()
def evaluate_likelihood(
    model: ConvVAE,
    binary_images: torch.Tensor,
    importance_samples: int = 1000,
    seed: int = 0,
    batch_size: int = 50,
    prior: GaussianMixture | None = None,
) -> dict:
    """Test negative ELBO and IWAE −log p(x) in nats per digit, with parts and standard errors over the digits.

    −ELBO(x) = E_q[−log p(x|z)] + KL(q(z|x) ‖ p(z)), the expectation averaged over the k draws (unbiased), p(z)
    being `prior` (default N(0, I)); kl and cs are to N(0, I) whatever the prior (the training regularizers);
    the IWAE value, an upper bound on the true −log p(x) that approaches it as k grows, is never above it
    on average. reconstruction_mse is the mean squared error per pixel of the decoder mean at z = μ against the
    binary digit. D_CS is reported beside KL for comparison.
    """
    generator = torch.Generator().manual_seed(seed)
    parts: dict[str, list] = {}
    squared_error = 0.0
    device = next(model.parameters()).device
    for start in range(0, len(binary_images), batch_size):
        x = binary_images[start : start + batch_size]
        for key, value in per_digit_likelihood(model, x, importance_samples, generator, prior).items():
            parts.setdefault(key, []).append(value.cpu())
        mu, _ = model.encode(x.to(device))
        squared_error += (torch.sigmoid(model.decode(mu)).cpu() - x.cpu()).pow(2).sum().item()
    parts = {key: torch.cat(values).double() for key, values in parts.items()}
    negative_elbo = parts["reconstruction"] + parts["kl_prior"]
    elbo_mean, elbo_se = _mean_and_standard_error(negative_elbo)
    nll_mean, nll_se = _mean_and_standard_error(parts["negative_log_likelihood"])
    gap_mean, gap_se = _mean_and_standard_error(negative_elbo - parts["negative_log_likelihood"])
    return {
        "negative_elbo": elbo_mean,
        "negative_elbo_standard_error": elbo_se,
        "iwae_negative_log_likelihood": nll_mean,
        "iwae_negative_log_likelihood_standard_error": nll_se,
        "elbo_gap": gap_mean,
        "elbo_gap_standard_error": gap_se,
        "reconstruction_nats": parts["reconstruction"].mean().item(),
        "kl_prior": parts["kl_prior"].mean().item(),
        "kl": parts["kl"].mean().item(),
        "cs": parts["cs"].mean().item(),
        "reconstruction_mse": squared_error / binary_images.numel(),
        "importance_samples": importance_samples,
        "digits": len(binary_images),
    }


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


def encoder_shapes(model: ConvVAE) -> list[tuple[str, tuple[int, ...]]]:
    """The encoder as built, layer by layer: (what the layer is, the shape it outputs for one 28×28 digit), ending
    with the two heads μ and log σ². Activations are left out; residual blocks keep the shape they are given."""
    rows = []
    x = torch.zeros(1, *IMAGE_SHAPE, device=next(model.parameters()).device)
    with torch.no_grad():
        for layer in model.encoder:
            x = layer(x)
            if isinstance(layer, nn.Conv2d):
                name = (
                    f"Conv2d {layer.in_channels}→{layer.out_channels}, kernel {layer.kernel_size[0]}, "
                    f"stride {layer.stride[0]}, padding {layer.padding[0]}"
                )
            elif isinstance(layer, ResidualBlock):
                name = "ResidualBlock (two 3×3 Conv2d, x + f(x))"
            elif isinstance(layer, nn.Linear):
                name = f"Linear {layer.in_features}→{layer.out_features}"
            elif isinstance(layer, nn.Flatten):
                name = "Flatten"
            else:
                continue
            rows.append((name, tuple(x.shape[1:])))
        for head, label in ((model.to_mu, "μ"), (model.to_logvar, "log σ²")):
            rows.append((f"Linear {head.in_features}→{head.out_features} ({label})", tuple(head(x).shape[1:])))
    return rows


def transposed_conv_overlap(kernel: int, stride: int, size: int = 4) -> torch.Tensor:
    """How many kernel taps each output pixel of a ConvTranspose2d receives from a size × size input of ones
    (padding 0): the scatter-add made visible. Uneven counts (k not a multiple of s) are the checkerboard."""
    ones = torch.ones(1, 1, size, size)
    return F.conv_transpose2d(ones, torch.ones(1, 1, kernel, kernel), stride=stride)[0, 0].round().to(torch.int64)
