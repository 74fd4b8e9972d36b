"""A student's drawing prepared exactly as MNIST's digits were, so that the VAEs see what they were trained on.

LeCun, Cortes & Burges, "The MNIST database of handwritten digits" (yann.lecun.com/exdb/mnist):

    "The original black and white (bilevel) images from NIST were size normalized to fit in a 20x20 pixel box
    while preserving their aspect ratio. The resulting images contain grey levels as a result of the
    anti-aliasing technique used by the normalization algorithm. The images were centered in a 28x28 image by
    computing the center of mass of the pixels, and translating the image so as to position this point at the
    center of the 28x28 field."

Here: the ink is found (dark on light or light on dark, whichever the border says is paper), its bounding box is
scaled so that its longer side is 20 px (area-averaging, which anti-aliases), and it is pasted into 28x28 so that
its centre of mass falls on pixel (14, 14): where the test digits' own centres of mass lie (pixel centres at 0, 1,
..., 27; tests/test_own_digit.py measures it). The VAEs' likelihood is Bernoulli, so the grey
digit is then binarized as the test split was (models.mnist.binarize, seed TEST_BINARIZATION_SEED).
"""

from typing import NamedTuple

import numpy as np
import torch
from PIL import Image

from models.mnist import TEST_BINARIZATION_SEED, binarize

FIELD = 28  # MNIST's side
BOX = 20  # the box the digit's longer side is scaled to
CENTRE = 14.0  # where MNIST puts the centre of mass (row, column), measured on the test split
INK_LEVEL = 0.2  # ink (0 paper, 1 full ink) above which a pixel belongs to the drawing's bounding box
MIN_INK_PIXELS = 3  # fewer inked pixels than this is an empty page (a stray click), not a drawing


class PreparedDigit(NamedTuple):
    grey: torch.Tensor  # (1, 1, 28, 28) in [0, 1], ink = 1: what MNIST's grey images are
    binary: torch.Tensor  # (1, 1, 28, 28) in {0, 1}: the grey digit binarized as the test split was
    light_on_dark: bool  # the drawing's paper was dark (MNIST's own polarity), so its light strokes were the ink


def ink_of(image: Image.Image) -> tuple[np.ndarray, bool]:
    """The drawing as ink in [0, 1] (H, W), and whether it was light ink on dark paper.

    Transparent pixels are paper. The paper's colour is the median of the border pixels: a drawing rarely touches
    every edge, while a thick blob can cover most of the page.
    """
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba, dtype=np.float32)[..., 3] / 255.0
        grey = np.asarray(rgba.convert("L"), dtype=np.float32) / 255.0
        border = np.concatenate([a.ravel() for a in _border(alpha)])
        paper = 1.0 if np.median(border) < 0.5 else float(np.median(np.concatenate(_border(grey))))
        grey = alpha * grey + (1 - alpha) * paper  # see-through pixels show the paper
    else:
        grey = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    light_on_dark = bool(np.median(np.concatenate([b.ravel() for b in _border(grey)])) < 0.5)
    return (grey if light_on_dark else 1.0 - grey), light_on_dark


def _border(array: np.ndarray) -> list[np.ndarray]:
    return [array[0], array[-1], array[:, 0], array[:, -1]]


def prepare_digit(image: Image.Image) -> PreparedDigit | None:
    """A drawing or photo of one digit (any size, either polarity) as MNIST's 28x28; None when nothing is drawn."""
    ink, light_on_dark = ink_of(image)
    inked = ink > INK_LEVEL
    if inked.sum() < MIN_INK_PIXELS:
        return None
    rows, cols = np.nonzero(inked)
    box = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    height, width = box.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    fitted = np.asarray(Image.fromarray(box).resize(size, Image.Resampling.BOX if scale < 1 else Image.BILINEAR))
    field = np.zeros((FIELD, FIELD), np.float32)
    total = fitted.sum()
    ys, xs = np.mgrid[0 : fitted.shape[0], 0 : fitted.shape[1]]
    centre_y, centre_x = (fitted * ys).sum() / total, (fitted * xs).sum() / total
    top = int(np.clip(round(CENTRE - centre_y), 0, FIELD - fitted.shape[0]))
    left = int(np.clip(round(CENTRE - centre_x), 0, FIELD - fitted.shape[1]))
    field[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    grey = torch.from_numpy(np.clip(field, 0.0, 1.0))[None, None]
    return PreparedDigit(grey, binarize(grey, TEST_BINARIZATION_SEED), light_on_dark)
