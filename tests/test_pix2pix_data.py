"""pix2pix data: the emoji builder, the one sketch-fitting contract, aligned folders and the canvas reader."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models.pix2pix_data import PairedImages, fit_sketch, load_aligned_folder, to_model_range

ROOT = Path(__file__).resolve().parent.parent


# --- data -----------------------------------------------------------------------------------------------------

FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")


@pytest.fixture(scope="module")
def builder():
    if not FONT.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{FONT} is missing; CI must install Debian's fonts-noto-color-emoji.")
        pytest.skip(f"{FONT} is not installed (apt-get install fonts-noto-color-emoji)")
    import scripts.build_pix2pix_data

    return scripts.build_pix2pix_data


@pytest.fixture(scope="module")
def font(builder):
    return builder.ImageFont.truetype(str(FONT), builder.FONT_SIZE)


def raw_sketch(builder, font, char: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(the emoji's sheet, the builder's sketch of it before fitting): what a person would draw on paper."""
    sheet = builder.render(char, font)
    scale = (sheet.shape[0] - 2 * builder.SHEET_PADDING) / builder.SKETCH_SCALE_SIDE
    return sheet, builder.make_sketch(sheet, np.random.default_rng(seed), scale)


def test_builder_keeps_single_emoji_without_skin_tones_or_flag_letters(builder):
    code_points = builder.candidate_code_points(FONT)
    assert 0x1F600 in code_points  # grinning face
    assert not set(code_points) & set(builder.SKIN_TONES)
    assert not set(code_points) & set(builder.REGIONAL_INDICATORS)


def test_builder_drops_near_duplicates(builder, font):
    smile, car = builder.render("\U0001f600", font), builder.render("\U0001f697", font)
    assert builder.drop_near_duplicates([smile, car, smile.copy()]) == [0, 1]


@pytest.mark.parametrize("char", ["\U0001f600", "\U0001f697", "\u2600", "\U0001f34e"])
def test_builder_pairs_black_lines_on_white_aligned_with_the_emoji(builder, font, char):
    sheet, raw = raw_sketch(builder, font, char)
    sketch, image = builder.fitted_pair(sheet, raw)
    assert sketch.shape == (128, 128) and sketch.dtype == np.uint8 and image.shape == (128, 128, 3)
    ink = sketch < 128
    # Polarity: white paper with black strokes, the paper around the drawing untouched.
    assert 0.02 < ink.mean() < 0.4 and (sketch == 255).mean() > 0.5
    ring = np.ones_like(ink)
    ring[1:-1, 1:-1] = False
    assert not ink[ring].any()  # the fitted drawing keeps the white margin
    # Alignment: the strokes lie on the emoji (within 4 px of its silhouette) and trace its outline.
    box = fit_sketch(Image.fromarray(raw), 128).box
    silhouette = np.asarray(builder.fit_to_square(Image.fromarray(sheet), box, 128, builder.PAPER))[..., 3] > 0
    assert np.array_equal(
        builder.on_white(np.asarray(builder.fit_to_square(Image.fromarray(sheet), box, 128, builder.PAPER))), image
    )
    near_emoji = builder.ndimage.binary_dilation(silhouette, iterations=4)
    assert ink[near_emoji].sum() / ink.sum() > 0.98
    outline = silhouette & ~builder.ndimage.binary_erosion(silhouette)
    near_ink = builder.ndimage.binary_dilation(ink, iterations=3)
    assert near_ink[outline].mean() > 0.9
    shifted = np.roll(ink, 12, axis=1)  # the same checks see a misaligned pair
    assert builder.ndimage.binary_dilation(shifted, iterations=3)[outline].mean() < near_ink[outline].mean() - 0.2


def test_a_training_sketch_sent_through_the_tab_reaches_the_generator_as_the_trainer_sees_it(builder, font):
    """The preprocessing contract: builder + trainer and canvas + tab give the generator the same tensor."""
    from demos.pix2pix import canvas_drawing
    from models.pix2pix_pipeline import load_models, sketch_to_image

    sheet, raw = raw_sketch(builder, font, "\U0001f34e", seed=3)
    stored, _ = builder.fitted_pair(sheet, raw)  # what data/pix2pix/emoji128.npz holds
    trainer_input, _ = PairedImages(
        torch.tensor(stored)[None, None, None], torch.zeros(1, 1, 3, 128, 128, dtype=torch.uint8), torch.ones(1)
    ).batch(torch.arange(1))
    seen = []
    generator = load_models().generators["gan"]
    hook = generator.register_forward_pre_hook(lambda module, args: seen.append(args[0].clone()))
    try:
        upload = Image.fromarray(raw).convert("RGB")  # the raw drawing, uploaded as the canvas composite
        sketch_to_image(canvas_drawing({"background": None, "layers": [], "composite": upload}), "gan", False, 0, False)
    finally:
        hook.remove()
    assert torch.equal(seen[0].cpu(), trainer_input)


def test_model_range_maps_paper_to_plus_one_and_ink_to_minus_one():
    assert to_model_range(torch.tensor([0, 255], dtype=torch.uint8)).tolist() == [-1.0, 1.0]


def test_batches_mirror_and_pick_variants_with_their_own_targets():
    inputs = torch.stack([torch.full((1, 4, 4), v, dtype=torch.uint8) for v in (10, 20)])[None]  # 1 pair, 2 variants
    inputs[0, :, 0, 0, 0] = 255  # a mark in the top-left corner shows a mirror
    targets = inputs.expand(1, 2, 3, 4, 4).clone()  # each variant's target matches its input
    data = PairedImages(inputs, targets, torch.tensor([2]))
    generator = torch.Generator().manual_seed(0)
    seen = set()
    for _ in range(40):
        x, y = data.batch(torch.zeros(4, dtype=torch.long), generator, augment=True)
        assert torch.equal(y, x.expand_as(y))  # the pair stays a pair, mirrored together
        seen |= {(round(v[0, 1, 1].item(), 3), bool(v[0, 0, 3] > 0.99)) for v in x}
    assert len(seen) == 4  # both variants, mirrored and not


def test_aligned_folder_splits_a_and_b_halves(tmp_path):
    rng = np.random.default_rng(0)
    pairs = []
    for i in range(3):
        a = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        b = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(np.concatenate([a, b], axis=1)).save(tmp_path / f"{i}.png")
        pairs.append((a, b))
    (tmp_path / "notes.txt").write_text("not an image")
    forward = load_aligned_folder(tmp_path, "AtoB", 32)
    backward = load_aligned_folder(tmp_path, "BtoA", 32)
    assert forward.inputs.shape == (3, 1, 3, 32, 32) and forward.targets.shape == (3, 1, 3, 32, 32)
    for i, (a, b) in enumerate(pairs):
        assert np.array_equal(forward.inputs[i, 0].permute(1, 2, 0).numpy(), a)
        assert np.array_equal(forward.targets[i, 0].permute(1, 2, 0).numpy(), b)
        assert np.array_equal(backward.inputs[i, 0].permute(1, 2, 0).numpy(), b)
    sketch, target = forward.batch(torch.arange(3))
    assert sketch.min() >= -1 and target.max() <= 1
    assert load_aligned_folder(tmp_path, "AtoB", 64).targets.shape == (3, 1, 3, 64, 64)


def test_aligned_folder_errors_are_sentences(tmp_path):
    with pytest.raises(ValueError, match="No images"):
        load_aligned_folder(tmp_path, "AtoB", 32)
    with pytest.raises(ValueError, match="direction"):
        load_aligned_folder(tmp_path, "sideways", 32)


# --- canvas preprocessing (direct calls) ----------------------------------------------------------------------


def ink_box(image) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(np.asarray(image) < 128)
    return rows.min(), rows.max(), cols.min(), cols.max()


def test_a_small_drawing_in_a_corner_is_centred_with_the_training_margin():
    from demos.pix2pix import canvas_drawing

    layer = Image.new("RGBA", (800, 600), (0, 0, 0, 0))  # the canvas: strokes over transparent pixels
    layer.paste((0, 0, 0, 255), (20, 30, 120, 80))  # a 100x50 black bar near the top-left corner
    fitted = fit_sketch(canvas_drawing({"background": None, "layers": [], "composite": layer}), 128)
    top, bottom, left, right = ink_box(fitted.pixels)
    assert not fitted.inverted and fitted.pixels.shape == (128, 128)
    assert (left, right) == (6, 121)  # the long side spans the 116-px inner square
    assert abs((top + bottom) / 2 - 63.5) <= 1 and 55 <= bottom - top + 1 <= 61  # centred, aspect kept


def test_background_and_layers_are_stacked_when_there_is_no_composite():
    from demos.pix2pix import canvas_drawing

    background = Image.new("RGB", (64, 64), "white")
    stroke = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    stroke.paste((0, 0, 0, 255), (10, 10, 50, 14))
    drawing = canvas_drawing({"background": background, "layers": [stroke], "composite": None})
    assert ink_box(drawing) == (10, 13, 10, 49)


def test_huge_uploads_are_downscaled_and_keep_their_lines():
    from PIL import ImageDraw

    from demos.pix2pix import MAX_SIDE, canvas_drawing

    huge = Image.new("RGB", (6000, 4500), "white")
    ImageDraw.Draw(huge).line((300, 300, 5700, 4200), fill="black", width=120)  # about 2.6 px once fitted to 128
    drawing = canvas_drawing({"composite": huge})
    assert max(drawing.size) <= MAX_SIDE
    assert (fit_sketch(drawing, 128).pixels < 128).mean() > 0.01


def test_dark_and_empty_images_are_inverted_or_give_nothing():
    from demos.pix2pix import canvas_drawing

    white_on_black = Image.new("RGB", (100, 100), "black")
    white_on_black.paste((255, 255, 255), (20, 45, 80, 55))
    fitted = fit_sketch(canvas_drawing({"composite": white_on_black}), 128)
    assert fitted.inverted and (fitted.pixels < 128).any() and fitted.pixels[0, 0] == 255
    assert fit_sketch(canvas_drawing({"composite": Image.new("RGBA", (10, 10))}), 128) is None
    assert canvas_drawing(None) is None
