"""pix2pix training (Isola et al. 2017): losses, optimizer, schedule, and the held-out metrics.

    Loss: non-saturating GAN (BCE with logits) + 100 * mean|y - G(x)| for G; (BCE(real, 1) + BCE(fake, 0)) / 2
          for D (the paper's halving; under Adam it changes essentially nothing, see discriminator_loss).
    Adam(lr 2e-4, betas (0.5, 0.999)), learning rate constant then linearly decayed to zero.

The networks are in models/pix2pix.py; scripts/train_pix2pix.py runs the loop.
"""

import torch
import torch.nn.functional as F
from torch import nn

from models.pix2pix import PatchDiscriminator, UNetGenerator
from models.pix2pix_data import to_unit

L1_WEIGHT = 100.0  # lambda of the paper: L1 dominates the loss, the GAN term adds the high frequencies
LEARNING_RATE = 2e-4
ADAM_BETAS = (0.5, 0.999)


def gan_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """Binary cross-entropy of every patch logit against 'real' (1) or 'fake' (0)."""
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def discriminator_loss(D: PatchDiscriminator, sketch, real_image, fake_image) -> torch.Tensor:
    """(BCE(real, 1) + BCE(fake, 0)) / 2, halved as in the paper.

    The paper says the halving slows D relative to G. That holds for SGD-type optimisers; with Adam (used here and
    in the paper) a constant factor on the loss is cancelled by m / sqrt(v), so D's learning rate is the lever.
    """
    return 0.5 * (gan_loss(D(sketch, real_image), True) + gan_loss(D(sketch, fake_image.detach()), False))


def generator_loss(D: PatchDiscriminator | None, sketch, real_image, fake_image) -> tuple[torch.Tensor, dict]:
    """Non-saturating GAN term -log D(x, G(x)) plus lambda * mean|y - G(x)|; with D=None the L1-only baseline.

    The parts come back as detached tensors, not floats: reading them would wait for the device at every step.
    """
    l1 = F.l1_loss(fake_image, real_image)
    adversarial = gan_loss(D(sketch, fake_image), True) if D is not None else torch.zeros((), device=l1.device)
    return adversarial + L1_WEIGHT * l1, {"g_gan": adversarial.detach(), "g_l1": l1.detach()}


def make_optimizer(model: nn.Module, lr: float = LEARNING_RATE) -> torch.optim.Adam:
    """The paper's Adam; the fused kernel on a GPU (one launch per step instead of one per tensor)."""
    on_gpu = next(model.parameters()).is_cuda
    return torch.optim.Adam(model.parameters(), lr=lr, betas=ADAM_BETAS, fused=on_gpu or None)


def learning_rate_factor(progress: float, decay_fraction: float = 0.5) -> float:
    """1 until the last `decay_fraction` of the run, then linearly down to 0 at its end (progress 0 -> 1).

    Progress is steps done / planned steps, or seconds trained / the time budget: either way the decay ends with
    the run.
    """
    return min(1.0, max(0.0, 1.0 - progress) / decay_fraction)


def ssim(x: torch.Tensor, y: torch.Tensor, window: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """Structural similarity (Wang et al. 2004) per image, for (N, C, H, W) batches in [0, 1].

    Gaussian 11x11 window with sigma 1.5, C1 = (0.01)^2, C2 = (0.03)^2, valid positions only, averaged over
    channels and positions: the standard settings.
    """
    coords = torch.arange(window, dtype=x.dtype, device=x.device) - (window - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    channels = x.shape[1]
    kernel = (g[:, None] * g[None, :]).expand(channels, 1, window, window).contiguous()

    def blur(t):
        return F.conv2d(t, kernel, groups=channels)

    c1, c2 = 0.01**2, 0.03**2
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return ssim_map.mean(dim=(1, 2, 3))


def mean_gradient_magnitude(images: torch.Tensor) -> torch.Tensor:
    """Mean |grad| of the luminance per image (N, 3, H, W in [0, 1]), from forward differences: a sharpness measure."""
    luminance = 0.299 * images[:, 0] + 0.587 * images[:, 1] + 0.114 * images[:, 2]
    dx = luminance[:, :-1, 1:] - luminance[:, :-1, :-1]
    dy = luminance[:, 1:, :-1] - luminance[:, :-1, :-1]
    return torch.sqrt(dx**2 + dy**2).mean(dim=(1, 2))


@torch.no_grad()
def generate_all(G: UNetGenerator, data, device: torch.device, batch_size: int = 32):
    """(sketches, outputs, targets) for every pair of `data` (first input variant), G in eval mode, in [0, 1]."""
    was_training = G.training
    G.eval()
    sketches, fakes, reals = [], [], []
    for start in range(0, len(data), batch_size):
        sketch, real = data.batch(torch.arange(start, min(start + batch_size, len(data))))
        fakes.append(to_unit(G(sketch.to(device))).float().cpu())
        sketches.append(to_unit(sketch))
        reals.append(to_unit(real))
    G.train(was_training)
    return torch.cat(sketches), torch.cat(fakes), torch.cat(reals)


def nyquist_energy(images: torch.Tensor) -> torch.Tensor:
    """Per image (N, C, H, W, even sides), the spectral energy at the Nyquist frequency: a checkerboard measure.

    A pattern that flips sign from one pixel to the next (the checkerboard a stride-2 transposed convolution
    leaves) puts its energy on the spectrum's Nyquist row and column (frequency 1/2 cycle per pixel). Returned:
    the power |FFT|^2 / (H W) summed over that row and column, averaged over the channels.
    """
    height, width = images.shape[-2:]
    power = torch.fft.fft2(images.double()).abs() ** 2 / (height * width)
    row, column = power[..., height // 2, :], power[..., :, width // 2]
    energy = row.sum(-1) + column.sum(-1) - power[..., height // 2, width // 2]  # the corner is in both
    return energy.mean(dim=1).float()


def bootstrap_ratio_se(top: torch.Tensor, bottom: torch.Tensor, draws: int, seed: int) -> float:
    """Standard error of mean(top) / mean(bottom) over paired images, by resampling the images."""
    n = len(top)
    resample = torch.randint(0, n, (draws, n), generator=torch.Generator().manual_seed(seed))
    return (top[resample].mean(dim=1) / bottom[resample].mean(dim=1)).std().item()


def held_out_metrics(fake: torch.Tensor, real: torch.Tensor, bootstrap: int = 1000, seed: int = 0) -> dict:
    """Mean L1 and SSIM with standard errors; sharpness and checkerboard ratios with bootstrap standard errors.

    Both ratios compare the outputs with the real emoji: 1 = like the real images.
    """
    l1 = (fake - real).abs().mean(dim=(1, 2, 3))
    similarity = ssim(fake, real)
    grad_fake, grad_real = mean_gradient_magnitude(fake), mean_gradient_magnitude(real)
    nyquist_fake, nyquist_real = nyquist_energy(fake), nyquist_energy(real)
    n = len(l1)
    return {
        "images": n,
        "l1": l1.mean().item(),
        "l1_se": (l1.std() / n**0.5).item(),
        "ssim": similarity.mean().item(),
        "ssim_se": (similarity.std() / n**0.5).item(),
        "sharpness_ratio": (grad_fake.mean() / grad_real.mean()).item(),
        "sharpness_ratio_se": bootstrap_ratio_se(grad_fake, grad_real, bootstrap, seed),
        "checkerboard_ratio": (nyquist_fake.mean() / nyquist_real.mean()).item(),
        "checkerboard_ratio_se": bootstrap_ratio_se(nyquist_fake, nyquist_real, bootstrap, seed),
    }
