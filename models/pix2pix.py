"""pix2pix networks (Isola et al. 2017): a U-Net generator and a conditional PatchGAN discriminator.

Follows the reference implementation's defaults (junyanz/pytorch-CycleGAN-and-pix2pix):

    G: U-Net, 4x4 stride-2 convolutions, BatchNorm, LeakyReLU(0.2) down / ReLU up, dropout 0.5 in the
       innermost decoder blocks, Tanh output, every encoder output skipped to its mirror decoder block.
    D: 3-layer PatchGAN on the concatenated (sketch, image) pair: a grid of logits, each seeing a 70x70 window.

Two options the reference lacks, both off by default so that its checkpoints load unchanged:

    upsample="resize": each decoder step is a nearest-neighbour 2x resize followed by a 3x3 convolution instead of
        a 4x4 stride-2 transposed convolution, whose uneven kernel overlap paints a pixel-period checkerboard
        (Odena, Dumoulin & Olah 2016, "Deconvolution and checkerboard artifacts").
    spectral_norm=True: every discriminator convolution has its largest singular value held at 1 (Miyato et al.
        2018) instead of BatchNorm, which bounds how sharply D can change and so how hard it pushes G.

Losses, optimizer and metrics: models/pix2pix_training.py; the tab's inference: models/pix2pix_pipeline.py.
Images are tensors in [-1, 1] (Tanh range); sketches have 1 channel, images 3.
"""

import functools
import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as with_spectral_norm

MIN_DOWNSAMPLINGS = 5  # the U-Net's fixed part: ngf, 2ngf, 4ngf, 8ngf and the innermost 8ngf block
MAX_DOWNSAMPLINGS = 10
UPSAMPLINGS = ("transposed", "resize")


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


def upsampling(kind: str, in_channels: int, out_channels: int, bias: bool) -> nn.Module:
    """A 2x upsampling convolution: 4x4 stride-2 transposed (reference) or nearest resize + 3x3 (Odena et al.)."""
    if kind == "transposed":
        return nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1, bias=bias)
    if kind == "resize":
        conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1, bias=bias)
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), conv)
    raise ValueError(f"upsample must be one of {UPSAMPLINGS}, got {kind!r}.")


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
        upsample: str = "transposed",
    ):
        super().__init__()
        self.outermost = outermost
        in_channels = outer_channels if in_channels is None else in_channels
        innermost = inner is None
        # BatchNorm follows every convolution except the first and the innermost, whose bias it would cancel.
        down_conv = nn.Conv2d(in_channels, inner_channels, kernel_size=4, stride=2, padding=1, bias=False)
        up_in = inner_channels if innermost else inner_channels * 2  # the inner level returns cat(skip, up)
        up_conv = upsampling(upsample, up_in, outer_channels, bias=outermost)
        if outermost:
            down = [down_conv]
            up = [nn.ReLU(True), up_conv, nn.Tanh()]
        else:
            down = [nn.LeakyReLU(0.2, True), down_conv] + ([] if innermost else [nn.BatchNorm2d(inner_channels)])
            up = [nn.ReLU(True), up_conv, nn.BatchNorm2d(outer_channels)] + ([nn.Dropout(0.5)] if dropout else [])
        self.model = nn.Sequential(*down, *([inner] if inner is not None else []), *up)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], dim=1)


class UNetGenerator(nn.Module):
    """Sketch (1 channel) -> image (3 channels), both image_size x image_size in [-1, 1]."""

    def __init__(
        self,
        image_size: int = 128,
        ngf: int = 64,
        in_channels: int = 1,
        out_channels: int = 3,
        upsample: str = "transposed",
    ):
        super().__init__()
        self.config = {
            "image_size": image_size,
            "ngf": ngf,
            "in_channels": in_channels,
            "out_channels": out_channels,
            "upsample": upsample,
        }
        depth = downsamplings_for(image_size)
        self.image_size, self.in_channels = image_size, in_channels
        # Built from the bottleneck outwards, as in the reference implementation.
        level = functools.partial(UNetBlock, upsample=upsample)
        block = level(ngf * 8, ngf * 8)
        for _ in range(depth - MIN_DOWNSAMPLINGS):  # the extra 8ngf levels carry the dropout noise
            block = level(ngf * 8, ngf * 8, inner=block, dropout=True)
        block = level(ngf * 4, ngf * 8, inner=block)
        block = level(ngf * 2, ngf * 4, inner=block)
        block = level(ngf, ngf * 2, inner=block)
        self.model = level(out_channels, ngf, in_channels=in_channels, inner=block, outermost=True)

    def forward(self, sketch: torch.Tensor) -> torch.Tensor:
        if sketch.shape[-2:] != (self.image_size, self.image_size):
            raise ValueError(
                f"This generator takes {self.image_size}x{self.image_size} inputs, got {tuple(sketch.shape[-2:])}."
            )
        return self.model(sketch)


class PatchDiscriminator(nn.Module):
    """Conditional PatchGAN: (sketch, image) -> a grid of realness logits, one per 70x70 patch (3 layers).

    With spectral_norm every convolution is spectrally normalized and the BatchNorms are left out (SN-GAN's D).
    """

    def __init__(self, in_channels: int = 1 + 3, ndf: int = 64, n_layers: int = 3, spectral_norm: bool = False):
        super().__init__()
        self.config = {"in_channels": in_channels, "ndf": ndf, "n_layers": n_layers, "spectral_norm": spectral_norm}

        def conv(*args, **kwargs) -> nn.Module:
            layer = nn.Conv2d(*args, **kwargs)
            return with_spectral_norm(layer) if spectral_norm else layer

        layers = [conv(in_channels, ndf, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        channels = ndf
        for n in range(1, n_layers + 1):
            stride = 2 if n < n_layers else 1  # the last hidden layer keeps the resolution, widening the field
            next_channels = ndf * min(2**n, 8)
            layers += [
                conv(channels, next_channels, kernel_size=4, stride=stride, padding=1, bias=spectral_norm),
                *([] if spectral_norm else [nn.BatchNorm2d(next_channels)]),
                nn.LeakyReLU(0.2, True),
            ]
            channels = next_channels
        layers.append(conv(channels, 1, kernel_size=4, stride=1, padding=1))
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
