"""Build the paired sketch -> emoji dataset from Debian's Noto Color Emoji font.

    python -m scripts.build_pix2pix_data            # -> data/pix2pix/emoji128.npz (about 80 s)

Each distinct emoji is rendered once (Pillow, the font's only bitmap size 109), cropped to its ink and laid on a
square sheet with room around it. Its sketches are black strokes on that sheet, made the way a person would
outline it: colour Canny edges (including the outline against the background), random stroke width, a small
smooth wobble. Each sketch is then fitted exactly as the tab fits a drawing (models.pix2pix_data.fit_sketch:
crop to the lines, centre, margin, 128x128), and its emoji is cut from the same square, so that the pair stays
aligned. Training emoji get several sketch variants, held-out emoji one. The split is fixed (seeded permutation
of the code points): held-out emoji are never seen in training.
"""

import argparse
import json
import unicodedata
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage
from tqdm import tqdm

from models.pix2pix_data import fit_sketch, fit_to_square, ink_square

FONT_PATH = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
FONT_SIZE = 109  # the only size of the font's colour bitmaps (CBDT); any other size fails to load
OUT_DIR = Path(__file__).resolve().parent.parent / "data" / "pix2pix"
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "pix2pix_examples"
IMAGE_SIZE = 128
SKETCH_SCALE_SIDE = 116  # glyph side at which the stroke widths, blur and wobble below are given in pixels
SHEET_PADDING = 12  # paper around the glyph on its sheet: room for the strokes and their wobble
PAPER = (255, 255, 255, 0)

SKIN_TONES = range(0x1F3FB, 0x1F3FF + 1)  # Fitzpatrick modifiers: recolourings of the same drawing
REGIONAL_INDICATORS = range(0x1F1E6, 0x1F1FF + 1)  # letters in boxes; flags are pairs of these, see data card
NEAR_DUPLICATE_DISTANCE = 4.0  # mean |difference| (0-255) of 32x32 thumbnails below which two emoji are one
HELD_OUT_FRACTION = 0.1
EXAMPLES = [
    "tomato",
    "mushroom",
    "strawberry",
    "face with tears of joy",
    "smiling face with heart-shaped eyes",
    "automobile",
    "baby chick",
    "butterfly",
    "rainbow",
    "electric light bulb",
]  # held-out sketches for the tab
EXAMPLE_SCALE = 3  # written at 384 px so that they fill the drawing canvas


def candidate_code_points(font_path: Path) -> list[int]:
    """Single code points from U+2000 up that the font maps, minus skin tones and regional indicators.

    Multi-code-point sequences (flags, ZWJ families, skin-toned people) are left out: they are recolourings
    or compositions of the single emoji, or flags (see the data card).
    """
    cmap = TTFont(str(font_path), fontNumber=0, lazy=True).getBestCmap()
    return sorted(cp for cp in cmap if cp >= 0x2000 and cp not in SKIN_TONES and cp not in REGIONAL_INDICATORS)


def render(char: str, font: ImageFont.FreeTypeFont) -> np.ndarray | None:
    """RGBA render of one emoji at the font's size, cropped to its ink, centred on a square sheet; None if blank."""
    left, top, right, bottom = font.getbbox(char)
    canvas = Image.new("RGBA", (right - left, bottom - top), PAPER)
    ImageDraw.Draw(canvas).text((-left, -top), char, font=font, embedded_color=True)
    ink = canvas.getbbox(alpha_only=True)
    if ink is None:
        return None
    glyph = canvas.crop(ink)
    side = max(glyph.size) + 2 * SHEET_PADDING
    sheet = Image.new("RGBA", (side, side), PAPER)
    sheet.paste(glyph, ((side - glyph.width) // 2, (side - glyph.height) // 2))
    return np.asarray(sheet)


def fitted_pair(sheet: np.ndarray, sketch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fitted sketch, emoji cut from the same square) at IMAGE_SIZE: the sketch framed as the tab frames drawings."""
    fitted = fit_sketch(Image.fromarray(sketch), IMAGE_SIZE)
    emoji = fit_to_square(Image.fromarray(sheet), fitted.box, IMAGE_SIZE, PAPER)
    return fitted.pixels, on_white(np.asarray(emoji))


def on_white(rgba: np.ndarray) -> np.ndarray:
    """Composite an RGBA uint8 image over white paper -> RGB uint8."""
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    return np.round(rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


def canny_edges(channels: np.ndarray, sigma: float, low: float, high: float) -> np.ndarray:
    """Thin edges of a multi-channel image (H, W, C floats in 0-255): Canny on the strongest channel per pixel.

    Taking the channel with the largest gradient finds colour boundaries of equal brightness, which
    grayscale Canny misses (red next to green is a line a person would draw).
    """
    smooth = ndimage.gaussian_filter(channels, sigma=(sigma, sigma, 0))
    gx = ndimage.sobel(smooth, axis=1)
    gy = ndimage.sobel(smooth, axis=0)
    magnitude_all = np.hypot(gx, gy)
    strongest = magnitude_all.argmax(axis=2)[..., None]
    magnitude = np.take_along_axis(magnitude_all, strongest, axis=2)[..., 0]
    gx = np.take_along_axis(gx, strongest, axis=2)[..., 0]
    gy = np.take_along_axis(gy, strongest, axis=2)[..., 0]
    # Non-maximum suppression: keep a pixel only if it beats both neighbours across the edge direction.
    direction = (np.round(np.arctan2(gy, gx) / (np.pi / 4)).astype(int)) % 4  # 0: -, 1: /, 2: |, 3: \ normals
    offsets = {0: (0, 1), 1: (1, 1), 2: (1, 0), 3: (1, -1)}
    padded = np.pad(magnitude, 1)
    height, width = magnitude.shape
    is_max = np.zeros_like(magnitude, dtype=bool)
    for code, (dy, dx) in offsets.items():
        forward = padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
        backward = padded[1 - dy : 1 - dy + height, 1 - dx : 1 - dx + width]
        is_max |= (direction == code) & (magnitude >= forward) & (magnitude >= backward)
    thin = is_max & (magnitude >= low)
    # Hysteresis: keep the weak-edge chains that touch at least one strong pixel.
    labels, count = ndimage.label(thin, structure=np.ones((3, 3)))
    strong_labels = np.unique(labels[thin & (magnitude >= high)])
    return np.isin(labels, strong_labels[strong_labels > 0])


def make_sketch(rgba: np.ndarray, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    """Black-on-white uint8 line drawing of an RGBA render, with random stroke width and wobble.

    Lengths (blur, wobble, stroke radius) are for a glyph SKETCH_SCALE_SIDE pixels wide and multiplied by `scale`.
    """
    rgb = on_white(rgba).astype(np.float32)
    outline = rgba[..., 3:4].astype(np.float32)  # the alpha channel gives the silhouette even where it is white
    jitter = rng.uniform(0.8, 1.25) / scale  # threshold jitter: more or less inner detail; wider blur, weaker slope
    edges = canny_edges(
        np.concatenate([rgb, outline], axis=2), rng.uniform(1.0, 1.6) * scale, 60 * jitter, 150 * jitter
    )
    # Wobble: a smooth random displacement of about one pixel, like an unsteady hand.
    height, width = edges.shape
    displacement = [ndimage.gaussian_filter(rng.normal(size=(height, width)), 8.0 * scale) for _ in range(2)]
    displacement = [d * (rng.uniform(0.8, 1.6) * scale / (d.std() + 1e-8)) for d in displacement]
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    wobbled = ndimage.map_coordinates(
        edges.astype(np.float32), [rows + displacement[0], cols + displacement[1]], order=1
    )
    # Stroke width: distance to the nearest line below a random radius (1 to 2.2 px: 2-4 px wide lines).
    distance = ndimage.distance_transform_edt(wobbled < 0.35)
    ink = np.clip(rng.uniform(1.0, 2.2) * scale + 0.5 - distance, 0.0, 1.0)  # one pixel of anti-aliasing
    return np.round(255.0 * (1.0 - ink)).astype(np.uint8)


def drop_near_duplicates(renders: list[np.ndarray]) -> list[int]:
    """Indices of the renders to keep: each one differs from every earlier kept one by the threshold.

    Compared as 32x32 thumbnails of the glyph alone fitted to the image (its alpha as the ink).
    """
    thumbnails = []
    for sheet in renders:
        glyph = fit_to_square(Image.fromarray(sheet), ink_square(sheet[..., 3] > 0), IMAGE_SIZE, PAPER)
        thumbnail = Image.fromarray(on_white(np.asarray(glyph))).resize((32, 32), Image.Resampling.BOX)
        thumbnails.append(np.asarray(thumbnail, np.float32))
    kept: list[int] = []
    for index, thumbnail in enumerate(thumbnails):
        if all(np.abs(thumbnail - thumbnails[k]).mean() >= NEAR_DUPLICATE_DISTANCE for k in kept):
            kept.append(index)
    return kept


def emoji_name(cp: int) -> str:
    return unicodedata.name(chr(cp), f"U+{cp:04X}").lower()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--font", type=Path, default=FONT_PATH)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--variants", type=int, default=4, help="sketch variants per training emoji")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.font.is_file():
        raise SystemExit(f"{args.font} not found: apt-get install fonts-noto-color-emoji")

    font = ImageFont.truetype(str(args.font), FONT_SIZE)
    code_points, renders = [], []
    for cp in tqdm(candidate_code_points(args.font), desc="render"):
        rgba = render(chr(cp), font)
        if rgba is not None:
            code_points.append(cp)
            renders.append(rgba)
    rendered = len(renders)
    kept = drop_near_duplicates(renders)
    code_points = [code_points[i] for i in kept]
    renders = [renders[i] for i in kept]

    rng = np.random.default_rng(args.seed)
    held_out = np.zeros(len(code_points), dtype=bool)
    held_out[rng.permutation(len(code_points))[: round(HELD_OUT_FRACTION * len(code_points))]] = True
    sketches = np.full((len(code_points), args.variants, IMAGE_SIZE, IMAGE_SIZE), 255, dtype=np.uint8)
    images = np.full((len(code_points), args.variants, IMAGE_SIZE, IMAGE_SIZE, 3), 255, dtype=np.uint8)
    for index, sheet in enumerate(tqdm(renders, desc="sketch")):
        scale = (sheet.shape[0] - 2 * SHEET_PADDING) / SKETCH_SCALE_SIDE
        for variant in range(1 if held_out[index] else args.variants):  # held-out: one fixed sketch each
            # Each variant frames its own lines, so each has its own copy of the emoji, framed the same way.
            sketches[index, variant], images[index, variant] = fitted_pair(sheet, make_sketch(sheet, rng, scale))

    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out / "emoji128.npz",
        images=images,
        sketches=sketches,
        variants=np.where(held_out, 1, args.variants),
        code_points=np.array(code_points),
        held_out=held_out,
    )
    card = {
        "source": f"{args.font} (Noto Color Emoji, Apache-2.0 / OFL)",
        "candidates": len(candidate_code_points(args.font)),
        "rendered_non_blank": rendered,
        "distinct_after_near_duplicates": len(code_points),
        "train_emoji": int((~held_out).sum()),
        "held_out_emoji": int(held_out.sum()),
        "sketch_variants_per_train_emoji": args.variants,
        "seed": args.seed,
    }
    (args.out / "card.json").write_text(json.dumps(card, indent=2) + "\n")

    write_examples(code_points, sketches, held_out)
    print(json.dumps(card, indent=2))


def write_examples(code_points, sketches: np.ndarray, held_out: np.ndarray, directory: Path = EXAMPLES_DIR) -> None:
    """The tab's example sketches: a few held-out emoji, upscaled to fill the canvas."""
    directory.mkdir(parents=True, exist_ok=True)
    for index in np.flatnonzero(held_out):
        name = emoji_name(code_points[index])
        if name in EXAMPLES:
            big = Image.fromarray(sketches[index, 0]).resize(
                (IMAGE_SIZE * EXAMPLE_SCALE,) * 2, Image.Resampling.LANCZOS
            )
            big.save(directory / f"{name.replace(' ', '_').replace('-', '_')}.png", optimize=True)


if __name__ == "__main__":
    main()
