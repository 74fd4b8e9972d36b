"""Paired (input, target) image data for pix2pix: the emoji sketches, or any folder in the aligned A|B format.

Everything is kept in memory as uint8 tensors and turned into [-1, 1] floats one batch at a time.

The sketch contract lives here, once: `fit_sketch` (crop to the ink, centre in a white square, leave a margin,
resize) is what the dataset builder applies to every training sketch and what the tab applies to a drawing,
and `to_model_range` is how the trainer and the tab turn its uint8 pixels into the network's [-1, 1].
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
MARGIN_FRACTION = 6 / 128  # white border left around the drawing, as a fraction of the side
INK_LEVEL = 0.25  # darkness (0 paper, 1 black) above which a pixel counts as a stroke


def to_model_range(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 pixels 0..255 -> float32 in the generator's [-1, 1]."""
    return pixels.float() / 127.5 - 1


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """The generator's Tanh range [-1, 1] -> [0, 1]."""
    return (images.clamp(-1, 1) + 1) / 2


@dataclass(frozen=True)
class SquareBox:
    """A square of the source image, in its pixels (it may reach past the edges: the outside is paper)."""

    top: int
    left: int
    side: int


@dataclass
class FittedSketch:
    pixels: np.ndarray  # size x size uint8, black lines on white
    box: SquareBox  # where the fitted square came from in the drawing
    inverted: bool  # the drawing was mostly dark, so its negative was used


def ink_square(ink: np.ndarray) -> SquareBox | None:
    """The smallest square around the True pixels, the ink centred in it; None when there is no ink."""
    rows, cols = np.nonzero(ink)
    if len(rows) == 0:
        return None
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    side = int(max(height, width))
    return SquareBox(int(rows.min() - (side - height) // 2), int(cols.min() - (side - width) // 2), side)


def fit_to_square(image: Image.Image, box: SquareBox, size: int, paper) -> Image.Image:
    """Cut `box` out of the image onto `paper`, resize it to leave the margin, and centre it in a size x size sheet.

    RGBA images are resized premultiplied (Pillow), so transparent paper adds no dark fringe.
    """
    square = Image.new(image.mode, (box.side, box.side), paper)
    square.paste(image.crop((box.left, box.top, box.left + box.side, box.top + box.side)), (0, 0))
    margin = round(MARGIN_FRACTION * size)
    fitted = Image.new(image.mode, (size, size), paper)
    fitted.paste(square.resize((size - 2 * margin,) * 2, Image.Resampling.LANCZOS), (margin, margin))
    return fitted


def fit_sketch(gray: Image.Image, size: int) -> FittedSketch | None:
    """A drawing (mode L, any size) as the generator's input: its lines cropped, centred and resized with the margin.

    A mostly dark image (light lines on black) is inverted first. None when nothing is drawn.
    """
    gray = gray.convert("L")
    inverted = float(np.asarray(gray, dtype=np.float32).mean()) < 127.5
    if inverted:
        gray = Image.eval(gray, lambda v: 255 - v)
    darkness = 1.0 - np.asarray(gray, dtype=np.float32) / 255.0
    box = ink_square(darkness > INK_LEVEL)
    if box is None:
        return None
    return FittedSketch(np.array(fit_to_square(gray, box, size, 255)), box, inverted)


@dataclass
class PairedImages:
    """inputs: (N, V, C, H, W) uint8, V input variants per pair; targets: (N, V, 3, H, W) uint8, the target framed
    as its variant is (a sketch and its emoji are cut from the same square); variants: (N,) slots filled per pair.

    Kept on one device (the GPU when training there): batches are cut and augmented where the data lives.
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    variants: torch.Tensor

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def in_channels(self) -> int:
        return self.inputs.shape[2]

    @property
    def image_size(self) -> int:
        return self.targets.shape[-1]

    def to(self, device: torch.device) -> "PairedImages":
        return PairedImages(self.inputs.to(device), self.targets.to(device), self.variants.to(device))

    def batch(self, indices: torch.Tensor, generator: torch.Generator | None = None, augment: bool = False):
        """Float [-1, 1] (input, target) for these pairs; augment picks a random variant and mirrors half.

        The generator must live on the data's device; nothing here waits for the device (no host sync).
        """
        device = self.inputs.device
        indices = indices.to(device)
        if augment:
            draws = torch.rand(len(indices), generator=generator, device=device)
            picks = (draws * self.variants[indices]).long()
        else:
            picks = torch.zeros(len(indices), dtype=torch.long, device=device)
        inputs = to_model_range(self.inputs[indices, picks])
        targets = to_model_range(self.targets[indices, picks])
        if augment:  # a mirrored sketch of a mirrored emoji is as good a pair as the original
            flip = (torch.rand(len(indices), generator=generator, device=device) < 0.5)[:, None, None, None]
            inputs = torch.where(flip, inputs.flip(-1), inputs)
            targets = torch.where(flip, targets.flip(-1), targets)
        return inputs, targets


def load_emoji_pairs(path: Path, held_out: bool) -> PairedImages:
    """The training or held-out part of data/pix2pix/emoji128.npz (built by scripts/build_pix2pix_data.py)."""
    with np.load(path) as data:
        keep = data["held_out"] == held_out
        sketches = torch.from_numpy(data["sketches"][keep])[:, :, None]  # one gray channel
        images = torch.from_numpy(data["images"][keep]).permute(0, 1, 4, 2, 3).contiguous()
        variants = torch.from_numpy(data["variants"][keep]).long()
    return PairedImages(sketches, images, variants)


def load_aligned_folder(folder: Path, direction: str, image_size: int) -> PairedImages:
    """The standard pix2pix format: each file holds A and B side by side (A left); AtoB maps A to B.

    Both halves are resized to image_size squares; inputs keep 3 channels (label maps are in colour).
    """
    if direction not in ("AtoB", "BtoA"):
        raise ValueError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}.")
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"No images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}.")
    a_images, b_images = [], []
    for file in files:
        with Image.open(file) as image:
            pair = image.convert("RGB")
        half = pair.width // 2
        for box, out in (((0, 0, half, pair.height), a_images), ((half, 0, 2 * half, pair.height), b_images)):
            square = pair.crop(box).resize((image_size, image_size), Image.Resampling.BICUBIC)
            out.append(torch.from_numpy(np.array(square)).permute(2, 0, 1))
    a, b = torch.stack(a_images), torch.stack(b_images)
    inputs, targets = (a, b) if direction == "AtoB" else (b, a)
    return PairedImages(
        inputs[:, None].contiguous(), targets[:, None].contiguous(), torch.ones(len(files), dtype=torch.long)
    )
