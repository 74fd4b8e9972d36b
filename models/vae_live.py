"""A small VAE with a 2-D latent that trains live, a fraction of an epoch at a time.

The VAE tab's "Train live" section (demos/vae/live_training.py) drives a `LiveTrainer`: each `advance(steps, seconds)` takes
a few Adam steps on the 8,000 training digits and returns a `Snapshot` with everything the view draws — the loss
history, the encoder means μ(x) of a fixed subset of test digits, and the decoder on a grid of the latent plane.
A trainer's optimizer is torch.optim.Adam, whose first construction in a process imports torch._dynamo (1–2 s on
the shared machine): trainers are made on a student's first request, never while the app is built, and the page
opens on `untrained_snapshot`, which needs no trainer.

Likelihood: binarized digits with a Bernoulli decoder, like the tab's shipped VAEs, so the reconstruction term
−log p(x|z) is a true log-likelihood (in nats). Training digits are binarized afresh each time they are drawn
(dynamic binarization: pixel i is 1 with probability equal to its grey level), which also counters overfitting
on 8,000 digits; the map's test digits are binarized once, with a fixed seed, so that only the model moves.

The network is a one-hidden-layer MLP (512 units), small enough that an epoch takes 2–5 s on one CPU thread of
the shared 2-core machine, with a high learning rate (3e-3) so that the map is readable within half a minute. It
initializes and draws all its randomness from its own torch.Generator, never from torch's global one, so that
several trainings in one process (one per student) neither disturb each other nor lose their reproducibility.
"""

import math
import time
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.divergences import cs_to_standard_normal_torch, kl_to_standard_normal_torch

PIXELS = 28 * 28
LATENT_DIM = 2
REGULARIZERS = {"kl": kl_to_standard_normal_torch, "cs": cs_to_standard_normal_torch}
HIDDEN = 512  # units of the encoder's and the decoder's hidden layer
OUTPUT_INIT_SCALE = 0.1
MAP_SEED = 0  # which test digits the map shows and how they are binarized: the same for every training


def _linear(in_features: int, out_features: int) -> nn.Linear:
    """An nn.Linear with uninitialized CPU parameters. Built on the meta device, so that its own initialization
    draws nothing from the global RNG; then given memory with torch.empty (Module.to_empty from the meta device
    imports sympy on its first call: half a second of the app's start, measured)."""
    layer = nn.Linear(in_features, out_features, device="meta")
    layer.weight = nn.Parameter(torch.empty(out_features, in_features))
    layer.bias = nn.Parameter(torch.empty(out_features))
    return layer


class LiveVAE(nn.Module):
    """784 → hidden → (μ, log σ²) ∈ ℝ² → hidden → 784 Bernoulli logits."""

    def __init__(self, hidden: int = HIDDEN, latent_dim: int = LATENT_DIM, seed: int = 0):
        super().__init__()
        self.config = {"hidden": hidden, "latent_dim": latent_dim, "seed": seed}
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(_linear(PIXELS, hidden), nn.ReLU(), _linear(hidden, 2 * latent_dim))
        self.decoder = nn.Sequential(_linear(latent_dim, hidden), nn.ReLU(), _linear(hidden, PIXELS))
        self.reset_parameters(torch.Generator().manual_seed(seed))

    def reset_parameters(self, generator: torch.Generator) -> None:
        """nn.Linear's default initialization, drawn from `generator` instead of the global RNG.

        The layer that outputs (μ, log σ²) starts 10× smaller: with the default scale the untrained encoder
        scatters the digits over ±10 and the first updates only pull them in; from near the origin the student
        watches the map unfold.
        """
        with torch.no_grad():
            for layer in self.modules():
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
                    bound = 1 / math.sqrt(layer.in_features)
                    nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
            self.encoder[-1].weight.mul_(OUTPUT_INIT_SCALE)
            self.encoder[-1].bias.mul_(OUTPUT_INIT_SCALE)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Flattened digits (N, 784) → μ, log σ² (N, latent_dim)."""
        return self.encoder(x).chunk(2, dim=-1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (N, latent_dim) → Bernoulli logits (N, 784)."""
        return self.decoder(z)


class LossTerms(NamedTuple):
    reconstruction: torch.Tensor  # −log p(x|z) = Bernoulli NLL summed over the 784 pixels, per digit (nats)
    kl: torch.Tensor  # KL(q(z|x) ‖ N(0, I)) per digit
    cs: torch.Tensor  # D_CS(q(z|x), N(0, I)) per digit


def loss_terms(model: LiveVAE, x: torch.Tensor, generator: torch.Generator) -> LossTerms:
    """Both regularizers and the reconstruction term at z = μ + σ·ε, ε ~ N(0, I) drawn from `generator`."""
    mu, logvar = model.encode(x)
    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=generator)
    reconstruction = F.binary_cross_entropy_with_logits(model.decode(z), x, reduction="none").sum(dim=-1)
    return LossTerms(reconstruction, kl_to_standard_normal_torch(mu, logvar), cs_to_standard_normal_torch(mu, logvar))


def objective(terms: LossTerms, regularizer: str, lam: float) -> torch.Tensor:
    """What training minimizes, per digit: −log p(x|z) + λ·D(q(z|x), N(0, I)) with D = KL or D_CS."""
    return terms.reconstruction + lam * getattr(terms, regularizer)


def latent_grid(steps: int, extent: float) -> torch.Tensor:
    """steps × steps codes on [−extent, extent]², row by row from the top: z₁ grows rightwards, z₂ upwards."""
    axis = torch.linspace(-extent, extent, steps)
    z1, z2 = torch.meshgrid(axis, axis.flip(0), indexing="xy")
    return torch.stack([z1, z2], dim=-1).reshape(-1, 2)


def map_subset(images: torch.Tensor, labels: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n test digits picked and binarized once with MAP_SEED: flattened (n, 784) in {0, 1}, and their labels."""
    generator = torch.Generator().manual_seed(MAP_SEED)
    picked = torch.randperm(len(images), generator=generator)[:n]
    return torch.bernoulli(images[picked].reshape(n, PIXELS), generator=generator), labels[picked]


class HistoryRow(NamedTuple):
    epoch: float  # epochs completed at the end of the chunk (fractional)
    reconstruction: float  # chunk means over its training minibatches, per digit (nats)
    kl: float
    cs: float
    loss: float  # the objective that was minimized: reconstruction + λ·(kl or cs)
    regularizer: str
    lam: float


class Snapshot(NamedTuple):
    step: int
    epoch: float
    history: tuple[HistoryRow, ...]  # one row per chunk since the start
    map_means: np.ndarray  # (n, 2) encoder means μ(x) of the map digits
    map_labels: np.ndarray  # (n,)
    grid: np.ndarray  # (steps·28, steps·28) decoder's Bernoulli means on the latent grid, in [0, 1]
    grid_extent: float  # the grid covers [−grid_extent, grid_extent]²
    regularizer: str
    lam: float


class LiveTrainer:
    """Adam on minibatches of dynamically binarized training digits; `advance(steps)` → `Snapshot`.

    The regularizer and λ may change between chunks (`regularizer`, `lam` attributes): training goes on from
    the current weights with the new objective. Not thread-safe: one caller at a time.
    """

    def __init__(
        self,
        train_images: torch.Tensor,
        map_images: torch.Tensor,
        map_labels: torch.Tensor,
        *,
        regularizer: str = "kl",
        lam: float = 1.0,
        seed: int = 0,
        hidden: int = HIDDEN,
        batch_size: int = 100,
        learning_rate: float = 3e-3,
        grid_steps: int = 11,
        grid_extent: float = 3.0,
    ):
        if regularizer not in REGULARIZERS:
            raise ValueError(f"regularizer must be one of {sorted(REGULARIZERS)}, got {regularizer!r}")
        self.train_images = train_images.reshape(len(train_images), PIXELS)
        self.map_images, self.map_labels = map_images, map_labels.numpy()
        self.regularizer, self.lam = regularizer, float(lam)
        self.batch_size = batch_size
        self.steps_per_epoch = len(self.train_images) // batch_size  # the last partial batch is dropped
        self.grid_steps, self.grid_extent = grid_steps, grid_extent
        self.generator = torch.Generator().manual_seed(seed)  # minibatches, binarization and ε
        self.model = LiveVAE(hidden, seed=seed)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=learning_rate)
        self.step = 0
        self.order = torch.empty(0, dtype=torch.long)  # this epoch's shuffled indices
        self.history: list[HistoryRow] = []

    @property
    def epoch(self) -> float:
        return self.step / self.steps_per_epoch

    def steps_to_epoch_end(self) -> int:
        return self.steps_per_epoch - self.step % self.steps_per_epoch

    def _batch(self) -> torch.Tensor:
        position = self.step % self.steps_per_epoch
        if position == 0:
            self.order = torch.randperm(len(self.train_images), generator=self.generator)
        indices = self.order[position * self.batch_size : (position + 1) * self.batch_size]
        return torch.bernoulli(self.train_images[indices], generator=self.generator)

    def advance(self, steps: int, seconds: float | None = None) -> Snapshot:
        """Take `steps` optimizer steps — fewer, but at least one, once `seconds` of wall-clock time have passed —
        summarized in one history row; return the new snapshot."""
        stop_at = None if seconds is None else time.monotonic() + seconds
        self.model.train()
        sums, taken = torch.zeros(4), 0
        while taken < steps:
            terms = loss_terms(self.model, self._batch(), self.generator)
            loss = objective(terms, self.regularizer, self.lam).mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.step += 1
            taken += 1
            sums += torch.stack([terms.reconstruction.mean(), terms.kl.mean(), terms.cs.mean(), loss]).detach()
            if stop_at is not None and time.monotonic() >= stop_at:
                break
        reconstruction, kl, cs, loss = (sums / taken).tolist()
        self.history.append(HistoryRow(self.epoch, reconstruction, kl, cs, loss, self.regularizer, self.lam))
        return self.snapshot()

    def snapshot(self) -> Snapshot:
        map_means, grid = draw(self.model, self.map_images, self.grid_steps, self.grid_extent)
        return Snapshot(
            step=self.step,
            epoch=self.epoch,
            history=tuple(self.history),
            map_means=map_means,
            map_labels=self.map_labels,
            grid=grid,
            grid_extent=self.grid_extent,
            regularizer=self.regularizer,
            lam=self.lam,
        )


@torch.no_grad()
def draw(
    model: LiveVAE, map_images: torch.Tensor, grid_steps: int, grid_extent: float
) -> tuple[np.ndarray, np.ndarray]:
    """What a snapshot shows of a model: the encoder means μ(x) of the map digits (n, 2), and the decoder's
    Bernoulli means on the latent grid as one (steps·28, steps·28) image in [0, 1]."""
    model.eval()
    mu, _ = model.encode(map_images)
    digits = torch.sigmoid(model.decode(latent_grid(grid_steps, grid_extent))).reshape(grid_steps, grid_steps, 28, 28)
    return mu.numpy(), digits.permute(0, 2, 1, 3).reshape(grid_steps * 28, grid_steps * 28).numpy()


def untrained_snapshot(
    map_images: torch.Tensor,
    map_labels: torch.Tensor,
    *,
    regularizer: str,
    lam: float,
    seed: int,
    grid_steps: int,
    grid_extent: float,
    hidden: int = HIDDEN,
) -> Snapshot:
    """The snapshot a LiveTrainer with these arguments takes before its first step, without making one: no
    training digits, no optimizer (what a page opens on)."""
    map_means, grid = draw(LiveVAE(hidden, seed=seed), map_images, grid_steps, grid_extent)
    return Snapshot(0, 0.0, (), map_means, map_labels.numpy(), grid, grid_extent, regularizer, float(lam))
