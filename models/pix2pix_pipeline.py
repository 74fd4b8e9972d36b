"""pix2pix inference: the sketch tab's one call, sketch_to_image, and the shipped models it uses."""

import functools
import threading
import time
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from models.checkpoints import CheckpointError, load_model
from models.device import device_label, select_device
from models.pix2pix import PatchDiscriminator, UNetGenerator, set_dropout
from models.pix2pix_data import fit_sketch, to_model_range, to_unit

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
    twin: np.ndarray | None = None  # the other generator's image of the same sketch (dropout off), when asked for


_inference_lock = threading.Lock()  # dropout on/off is model state shared by all requests


def sketch_to_image(
    drawing: Image.Image | None, model: str, stochastic: bool, seed: int, judge: bool, twin: bool = False
) -> SketchResult:
    """A drawing (gray paper, any size) -> the generated image and, if judge, the discriminator's verdict; with
    twin, the other generator's image too (GAN beside its L1-only twin).

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
        other = next(g for key, g in models.generators.items() if key != model) if twin else None
        twin_image = as_pixels(other(x)) if other is not None else None
    return SketchResult(
        as_pixels(y), fitted.pixels, realness, seconds, fitted.inverted, device_label(device), twin_image
    )


def as_pixels(images: torch.Tensor) -> np.ndarray:
    """The first image of a generator's batch as size x size x 3 uint8."""
    return (to_unit(images)[0].permute(1, 2, 0).cpu().numpy() * 255).round().astype(np.uint8)
