"""pix2pix (Isola et al. 2017): a U-Net generator and a conditional PatchGAN discriminator.

Follows the reference implementation's defaults (junyanz/pytorch-CycleGAN-and-pix2pix):

    G: U-Net, 4x4 stride-2 convolutions, BatchNorm, LeakyReLU(0.2) down / ReLU up, dropout 0.5 in the
       innermost decoder blocks, Tanh output, every encoder output skipped to its mirror decoder block.
    D: 3-layer PatchGAN on the concatenated (sketch, image) pair: a grid of logits, each seeing a 70x70 window.
    Loss: non-saturating GAN (BCE with logits) + 100 * mean|y - G(x)| for G; (BCE(real, 1) + BCE(fake, 0)) / 2
          for D (the paper's halving; under Adam it changes essentially nothing, see discriminator_loss).
    Adam(lr 2e-4, betas (0.5, 0.999)), learning rate constant then linearly decayed to zero.

Images are tensors in [-1, 1] (Tanh range); sketches have 1 channel, images 3.
"""

import functools
import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from models.checkpoints import CheckpointError, load_model
from models.device import device_label, select_device
from models.pix2pix_data import fit_sketch, to_model_range

L1_WEIGHT = 100.0  # lambda of the paper: L1 dominates the loss, the GAN term adds the high frequencies
LEARNING_RATE = 2e-4
ADAM_BETAS = (0.5, 0.999)
MIN_DOWNSAMPLINGS = 5  # the U-Net's fixed part: ngf, 2ngf, 4ngf, 8ngf and the innermost 8ngf block
MAX_DOWNSAMPLINGS = 10


def downsamplings_for(image_size: int) -> int:
    """How many stride-2 convolutions take an image of this side down to a 1x1 bottleneck."""
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 1:
        raise ValueError(f"The image size must be a positive whole number of pixels, got {image_size!r}.")
    depth = round(math.log2(image_size))
    if 2**depth != image_size or not MIN_DOWNSAMPLINGS <= depth <= MAX_DOWNSAMPLINGS:
        raise ValueError(
            f"The U-Net halves the image {MIN_DOWNSAMPLINGS} to {MAX_DOWNSAMPLINGS} times down to 1x1 pixel, so the "
            f"image side must be a power of two from {2**MIN_DOWNSAMPLINGS} to {2**MAX_DOWNSAMPLINGS}; "
            f"got {image_size}."
        )
    return depth


class UNetBlock(nn.Module):
    """One level of the U-Net: downsample, run the inner levels, upsample, concatenate the skip.

    x --down--> [inner] --up--> y, output cat(x, y): the decoder sees the encoder's features at the same
    scale, so fine detail (where the lines are) need not squeeze through the bottleneck.
    """

    def __init__(
        self,
        outer_channels: int,
        inner_channels: int,
        in_channels: int | None = None,
        inner: nn.Module | None = None,
        outermost: bool = False,
        dropout: bool = False,
    ):
        super().__init__()
        self.outermost = outermost
        in_channels = outer_channels if in_channels is None else in_channels
        innermost = inner is None
        # BatchNorm follows every convolution except the first and the innermost, whose bias it would cancel.
        down_conv = nn.Conv2d(in_channels, inner_channels, kernel_size=4, stride=2, padding=1, bias=False)
        up_in = inner_channels if innermost else inner_channels * 2  # the inner level returns cat(skip, up)
        if outermost:
            up_conv = nn.ConvTranspose2d(up_in, outer_channels, kernel_size=4, stride=2, padding=1)
            down = [down_conv]
            up = [nn.ReLU(True), up_conv, nn.Tanh()]
        else:
            up_conv = nn.ConvTranspose2d(up_in, outer_channels, kernel_size=4, stride=2, padding=1, bias=False)
            down = [nn.LeakyReLU(0.2, True), down_conv] + ([] if innermost else [nn.BatchNorm2d(inner_channels)])
            up = [nn.ReLU(True), up_conv, nn.BatchNorm2d(outer_channels)] + ([nn.Dropout(0.5)] if dropout else [])
        self.model = nn.Sequential(*down, *([inner] if inner is not None else []), *up)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], dim=1)


class UNetGenerator(nn.Module):
    """Sketch (1 channel) -> image (3 channels), both image_size x image_size in [-1, 1]."""

    def __init__(self, image_size: int = 128, ngf: int = 64, in_channels: int = 1, out_channels: int = 3):
        super().__init__()
        self.config = {"image_size": image_size, "ngf": ngf, "in_channels": in_channels, "out_channels": out_channels}
        depth = downsamplings_for(image_size)
        self.image_size, self.in_channels = image_size, in_channels
        # Built from the bottleneck outwards, as in the reference implementation.
        block = UNetBlock(ngf * 8, ngf * 8)
        for _ in range(depth - MIN_DOWNSAMPLINGS):  # the extra 8ngf levels carry the dropout noise
            block = UNetBlock(ngf * 8, ngf * 8, inner=block, dropout=True)
        block = UNetBlock(ngf * 4, ngf * 8, inner=block)
        block = UNetBlock(ngf * 2, ngf * 4, inner=block)
        block = UNetBlock(ngf, ngf * 2, inner=block)
        self.model = UNetBlock(out_channels, ngf, in_channels=in_channels, inner=block, outermost=True)

    def forward(self, sketch: torch.Tensor) -> torch.Tensor:
        if sketch.shape[-2:] != (self.image_size, self.image_size):
            raise ValueError(
                f"This generator takes {self.image_size}x{self.image_size} inputs, got {tuple(sketch.shape[-2:])}."
            )
        return self.model(sketch)


class PatchDiscriminator(nn.Module):
    """Conditional PatchGAN: (sketch, image) -> a grid of realness logits, one per 70x70 patch (3 layers)."""

    def __init__(self, in_channels: int = 1 + 3, ndf: int = 64, n_layers: int = 3):
        super().__init__()
        self.config = {"in_channels": in_channels, "ndf": ndf, "n_layers": n_layers}
        layers = [nn.Conv2d(in_channels, ndf, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        channels = ndf
        for n in range(1, n_layers + 1):
            stride = 2 if n < n_layers else 1  # the last hidden layer keeps the resolution, widening the field
            next_channels = ndf * min(2**n, 8)
            layers += [
                nn.Conv2d(channels, next_channels, kernel_size=4, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(next_channels),
                nn.LeakyReLU(0.2, True),
            ]
            channels = next_channels
        layers.append(nn.Conv2d(channels, 1, kernel_size=4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, sketch: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        return self.model(torch.cat([sketch, image], dim=1))


@dataclass(frozen=True)
class PatchGeometry:
    """What each PatchGAN logit sees, in input pixels."""

    field: int  # side of the square window one logit sees
    stride: int  # distance between the windows of neighbouring logits
    grid: int  # logits per side
    first_centre: float  # centre of the first logit's window (pixel centres at 0, 1, ...)

    def centre(self, index: int) -> float:
        return self.first_centre + index * self.stride


def patch_geometry(discriminator: PatchDiscriminator, image_size: int) -> PatchGeometry:
    """The receptive field, its stride and the logit grid, from the convolutions' kernels, strides and padding."""
    field, jump, centre, grid = 1, 1, 0.0, image_size
    for layer in discriminator.model:
        if isinstance(layer, nn.Conv2d):
            kernel, stride, padding = layer.kernel_size[0], layer.stride[0], layer.padding[0]
            centre += ((kernel - 1) / 2 - padding) * jump  # each layer moves the first window by its padding
            field += (kernel - 1) * jump
            jump *= stride
            grid = (grid + 2 * padding - kernel) // stride + 1
    return PatchGeometry(field, jump, grid, centre)


def set_dropout(generator: nn.Module, active: bool) -> None:
    """Switch only the dropout layers on or off (BatchNorm keeps its running statistics)."""
    for module in generator.modules():
        if isinstance(module, nn.Dropout):
            module.train(active)


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


def make_optimizer(model: nn.Module) -> torch.optim.Adam:
    """The paper's Adam; the fused kernel on a GPU (one launch per step instead of one per tensor)."""
    on_gpu = next(model.parameters()).is_cuda
    return torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=ADAM_BETAS, fused=on_gpu or None)


def learning_rate_factor(progress: float, decay_fraction: float = 0.5) -> float:
    """1 until the last `decay_fraction` of the run, then linearly down to 0 at its end (progress 0 -> 1).

    Progress is steps done / planned steps, or seconds trained / the time budget: either way the decay ends with
    the run.
    """
    return min(1.0, max(0.0, 1.0 - progress) / decay_fraction)


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """Tanh range [-1, 1] -> [0, 1]."""
    return (images.clamp(-1, 1) + 1) / 2


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


def init_weights(model: nn.Module, std: float = 0.02) -> None:
    """The reference 'normal' init: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02), biases 0."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0.0, std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, std)
            nn.init.zeros_(module.bias)


# --- inference: the tab's one call ---------------------------------------------------------------------------

GENERATORS = {"gan": "pix2pix_gan", "l1": "pix2pix_l1"}  # model choice -> checkpoint name
DISCRIMINATOR = "pix2pix_gan_d"  # trained against pix2pix_gan; it also judges the L1-only outputs


@dataclass
class Pix2PixModels:
    generators: dict[str, UNetGenerator]
    discriminator: PatchDiscriminator
    device: torch.device
    image_size: int


@functools.cache
def load_models() -> Pix2PixModels:
    """Both generators and the discriminator, on the selected device, once per process; CheckpointError if unusable."""
    device = select_device()
    generators = {key: load_model(UNetGenerator, name)[0].to(device) for key, name in GENERATORS.items()}
    discriminator = load_model(PatchDiscriminator, DISCRIMINATOR)[0].to(device)
    sizes = {g.image_size for g in generators.values()}
    if len(sizes) != 1:
        raise CheckpointError(f"The GAN and L1-only generators were trained at different sizes {sorted(sizes)}.")
    size = sizes.pop()
    with torch.inference_mode():  # warm up once, so that the first request's timing is not a cold start
        for generator in generators.values():
            sketch = torch.zeros(1, generator.in_channels, size, size, device=device)
            discriminator(sketch, generator(sketch))
    return Pix2PixModels(generators, discriminator, device, size)


@dataclass
class SketchResult:
    """Everything the tab shows for one drawing."""

    image: np.ndarray  # size x size x 3 uint8: the generated image (white paper when nothing was drawn)
    sketch: np.ndarray | None  # size x size uint8: the fitted sketch the generator saw; None when nothing was drawn
    realness: np.ndarray | None  # the PatchGAN's sigmoid per output cell, or None when not asked for / nothing drawn
    seconds: float  # the generator's forward pass alone
    inverted: bool  # the drawing was mostly dark, so its negative was used
    device: str


_inference_lock = threading.Lock()  # dropout on/off is model state shared by all requests


def sketch_to_image(drawing: Image.Image | None, model: str, stochastic: bool, seed: int, judge: bool) -> SketchResult:
    """A drawing (gray paper, any size) -> the generated image and, if judge, the discriminator's verdict.

    The drawing is fitted exactly as the training sketches were (models.pix2pix_data.fit_sketch). stochastic keeps
    dropout on, with `seed` fixing its noise. An empty drawing gives white paper and no verdict.
    """
    models = load_models()
    size, device = models.image_size, models.device
    fitted = fit_sketch(drawing, size) if drawing is not None else None
    if fitted is None:  # nothing drawn: white paper in, white paper out
        blank = np.full((size, size, 3), 255, np.uint8)
        return SketchResult(blank, None, None, 0.0, False, device_label(device))
    x = to_model_range(torch.from_numpy(fitted.pixels))[None, None].to(device)
    generator = models.generators[model]
    with (
        _inference_lock,
        torch.inference_mode(),
        torch.random.fork_rng(devices=[device] if device.type == "cuda" else []),
    ):
        torch.manual_seed(seed)
        set_dropout(generator, stochastic)
        try:
            started = time.perf_counter()
            y = generator(x)
            if device.type == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - started
        finally:
            set_dropout(generator, False)
        realness = torch.sigmoid(models.discriminator(x, y))[0, 0].cpu().numpy() if judge else None
    image = (to_unit(y)[0].permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)
    return SketchResult(image, fitted.pixels, realness, seconds, fitted.inverted, device_label(device))
