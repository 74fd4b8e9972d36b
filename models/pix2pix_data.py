"""Paired (input, target) image data for pix2pix: the emoji sketches, or any folder in the aligned A|B format.

Everything is kept in memory as uint8 tensors and turned into [-1, 1] floats one batch at a time.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}


@dataclass
class PairedImages:
    """inputs: (N, V, C, H, W) uint8 with V input variants per target; targets: (N, 3, H, W) uint8."""

    inputs: torch.Tensor
    targets: torch.Tensor
    variants: torch.Tensor  # (N,) how many of the V input slots of each pair are filled

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def in_channels(self) -> int:
        return self.inputs.shape[2]

    @property
    def image_size(self) -> int:
        return self.targets.shape[-1]

    def batch(self, indices: torch.Tensor, generator: torch.Generator | None = None, augment: bool = False):
        """Float [-1, 1] (input, target) for these pairs; augment picks a random variant and mirrors half."""
        if augment:
            picks = (torch.rand(len(indices), generator=generator) * self.variants[indices]).long()
        else:
            picks = torch.zeros(len(indices), dtype=torch.long)
        inputs = self.inputs[indices, picks].float() / 127.5 - 1
        targets = self.targets[indices].float() / 127.5 - 1
        if augment:  # a mirrored sketch of a mirrored emoji is as good a pair as the original
            flip = torch.rand(len(indices), generator=generator) < 0.5
            inputs[flip] = inputs[flip].flip(-1)
            targets[flip] = targets[flip].flip(-1)
        return inputs, targets


def load_emoji_pairs(path: Path, held_out: bool) -> PairedImages:
    """The training or held-out part of data/pix2pix/emoji128.npz (built by scripts/build_pix2pix_data.py)."""
    with np.load(path) as data:
        keep = data["held_out"] == held_out
        sketches = torch.from_numpy(data["sketches"][keep])[:, :, None]  # one gray channel
        images = torch.from_numpy(data["images"][keep]).permute(0, 3, 1, 2).contiguous()
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
            out.append(torch.from_numpy(np.asarray(square)).permute(2, 0, 1))
    a, b = torch.stack(a_images), torch.stack(b_images)
    inputs, targets = (a, b) if direction == "AtoB" else (b, a)
    return PairedImages(inputs[:, None].contiguous(), targets.contiguous(), torch.ones(len(files), dtype=torch.long))
