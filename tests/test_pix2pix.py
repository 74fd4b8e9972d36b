"""pix2pix: the networks, the losses, the data (emoji builder and aligned folders) and the sketch tab."""

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from models.pix2pix import (
    PatchDiscriminator,
    UNetGenerator,
    discriminator_loss,
    downsamplings_for,
    generator_loss,
    init_weights,
    make_optimizer,
    mean_gradient_magnitude,
    receptive_field,
    set_dropout,
    ssim,
)
from models.pix2pix_data import load_aligned_folder

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small convolutions run many times faster on one thread than on two contended ones."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- networks -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size, depth", [(128, 7), (256, 8)])
def test_generator_maps_sketch_to_image_of_same_size(size, depth):
    torch.manual_seed(0)
    G = UNetGenerator(size, ngf=8).eval()
    assert downsamplings_for(size) == depth
    out = G(torch.rand(2, 1, size, size) * 2 - 1)
    assert out.shape == (2, 3, size, size)
    assert out.abs().max() <= 1  # Tanh range


def test_generator_dropout_sits_in_the_extra_innermost_decoder_blocks():
    dropouts = [m for m in UNetGenerator(256, ngf=8).modules() if isinstance(m, torch.nn.Dropout)]
    assert len(dropouts) == 3  # 8 downsamplings - the 5 of the fixed part, as in the reference for 256 px
    assert all(m.p == 0.5 for m in dropouts)


@pytest.mark.parametrize("size", [100, 16, 2048, 0, -128, 127.5, True])
def test_generator_rejects_sizes_it_cannot_halve_to_one_pixel(size):
    with pytest.raises(ValueError, match="power of two|positive whole number"):
        UNetGenerator(size, ngf=8)


def test_generator_rejects_inputs_of_another_size():
    with pytest.raises(ValueError, match="128x128"):
        UNetGenerator(128, ngf=8)(torch.zeros(1, 1, 64, 64))


def test_patchgan_receptive_field_is_70_from_layers_and_from_gradients():
    torch.manual_seed(0)
    D = PatchDiscriminator(ndf=8).eval()  # eval: BatchNorm must not mix pixels through batch statistics
    assert receptive_field(D) == 70
    sketch = torch.randn(1, 1, 128, 128, requires_grad=True)
    image = torch.randn(1, 3, 128, 128, requires_grad=True)
    logits = D(sketch, image)
    assert logits.shape == (1, 1, 14, 14)
    logits[0, 0, 7, 7].backward()  # an interior patch, away from the zero padding
    touched = (image.grad.abs().sum(dim=(0, 1)) + sketch.grad.abs().sum(dim=(0, 1))) > 0
    rows, cols = np.nonzero(touched.numpy())
    assert rows.max() - rows.min() + 1 == 70
    assert cols.max() - cols.min() + 1 == 70


def test_a_few_training_steps_on_a_tiny_batch_lower_the_l1_loss():
    torch.manual_seed(0)
    G, D = UNetGenerator(32, ngf=8), PatchDiscriminator(ndf=8)
    init_weights(G)
    init_weights(D)
    opt_g, opt_d = make_optimizer(G), make_optimizer(D)
    sketch = torch.rand(4, 1, 32, 32) * 2 - 1
    real = torch.cat([sketch, -sketch, sketch.flip(-1)], dim=1)  # a colouring G can learn from the sketch
    l1_curve = []
    for _ in range(40):
        fake = G(sketch)
        opt_d.zero_grad()
        discriminator_loss(D, sketch, real, fake).backward()
        opt_d.step()
        opt_g.zero_grad()
        loss, parts = generator_loss(D, sketch, real, fake)
        loss.backward()
        opt_g.step()
        l1_curve.append(parts["g_l1"])
    assert np.mean(l1_curve[-5:]) < 0.95 * np.mean(l1_curve[:5])  # at lr 2e-4 it falls about 8% in 40 steps


def test_dropout_toggle_changes_outputs_only_when_on():
    torch.manual_seed(0)
    G = UNetGenerator(64, ngf=8).eval()
    x = torch.rand(1, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.equal(G(x), G(x))
        set_dropout(G, True)
        noisy = [G(x) for _ in range(2)]
        set_dropout(G, False)
    assert not torch.equal(*noisy)
    assert not any(m.training for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d))


def test_checkpoints_round_trip_and_bad_configs_raise_checkpoint_errors(tmp_path, monkeypatch):
    from models.checkpoints import CheckpointError, save_checkpoint
    from models.pix2pix import load_generator

    monkeypatch.setenv("GML_CHECKPOINT_DIR", str(tmp_path))
    torch.manual_seed(0)
    G = UNetGenerator(32, ngf=4).eval()
    config = {"image_size": 32, "ngf": 4, "in_channels": 1}
    save_checkpoint(G, "tiny", {"config": config}, directory=tmp_path, dtype=torch.float16)
    x = torch.rand(1, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(load_generator("tiny")(x), G(x), atol=2e-2)  # fp16 storage
    save_checkpoint(G, "odd", {"config": {**config, "image_size": 100}}, directory=tmp_path)
    with pytest.raises(CheckpointError, match="builds no pix2pix network"):
        load_generator("odd")
    with pytest.raises(CheckpointError, match="missing"):
        load_generator("absent")


# --- metrics --------------------------------------------------------------------------------------------------


def test_ssim_is_one_for_identical_images_and_matches_torchmetrics():
    torch.manual_seed(0)
    x = torch.rand(3, 3, 32, 32)
    y = (x + 0.2 * torch.randn_like(x)).clamp(0, 1)
    assert torch.allclose(ssim(x, x), torch.ones(3), atol=1e-6)
    assert (ssim(x, y) < 0.95).all()
    if importlib.util.find_spec("torchmetrics") is None:
        pytest.skip("torchmetrics is not installed: only the identity check ran")
    from torchmetrics.functional.image import structural_similarity_index_measure as reference

    # torchmetrics averages over every pixel, filling the window's overhang by reflection; ours averages the
    # positions where the window fits (Wang et al.): reflect-padding our inputs by 5 makes the two agree.
    pad = (5, 5, 5, 5)
    for i in range(3):
        expected = reference(y[i : i + 1], x[i : i + 1], data_range=1.0)
        ours = ssim(F.pad(y[i : i + 1], pad, mode="reflect"), F.pad(x[i : i + 1], pad, mode="reflect"))
        assert abs(ours.item() - expected.item()) < 1e-5


def test_sharpness_drops_when_an_image_is_blurred():
    torch.manual_seed(0)
    sharp = (torch.rand(2, 3, 32, 32) > 0.5).float()
    blurred = torch.nn.functional.avg_pool2d(sharp, 3, stride=1, padding=1, count_include_pad=False)
    assert (mean_gradient_magnitude(blurred) < 0.6 * mean_gradient_magnitude(sharp)).all()
    assert torch.equal(mean_gradient_magnitude(torch.ones(1, 3, 8, 8)), torch.zeros(1))


# --- data -----------------------------------------------------------------------------------------------------

FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")


@pytest.fixture(scope="module")
def builder():
    if not FONT.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{FONT} is missing; CI must install Debian's fonts-noto-color-emoji.")
        pytest.skip(f"{FONT} is not installed (apt-get install fonts-noto-color-emoji)")
    spec = importlib.util.spec_from_file_location("build_pix2pix_data", ROOT / "scripts" / "build_pix2pix_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_builder_keeps_single_emoji_without_skin_tones_or_flag_letters(builder):
    code_points = builder.candidate_code_points(FONT)
    assert 0x1F600 in code_points  # grinning face
    assert not set(code_points) & set(builder.SKIN_TONES)
    assert not set(code_points) & set(builder.REGIONAL_INDICATORS)


def test_builder_drops_near_duplicates(builder):
    font = builder.ImageFont.truetype(str(FONT), builder.FONT_SIZE)
    smile, car = builder.render("\U0001f600", font), builder.render("\U0001f697", font)
    assert builder.drop_near_duplicates([smile, car, smile.copy()]) == [0, 1]


@pytest.mark.parametrize("char", ["\U0001f600", "\U0001f697", "\u2600", "\U0001f34e"])
def test_builder_pairs_black_lines_on_white_aligned_with_the_emoji(builder, char):
    font = builder.ImageFont.truetype(str(FONT), builder.FONT_SIZE)
    rgba = builder.render(char, font)
    sketch = builder.make_sketch(rgba, np.random.default_rng(0))
    assert rgba.shape == (128, 128, 4) and sketch.shape == (128, 128) and sketch.dtype == np.uint8
    ink = sketch < 128
    # Polarity: white paper with black strokes, the paper around the drawing untouched.
    assert 0.02 < ink.mean() < 0.4 and (sketch == 255).mean() > 0.5
    ring = np.ones_like(ink)
    ring[1:-1, 1:-1] = False
    assert ink[ring].mean() < 0.1  # the paper around the drawing stays (mostly) blank
    # Alignment: the strokes lie on the emoji (within 4 px of its silhouette) and trace its outline.
    silhouette = rgba[..., 3] > 0
    near_emoji = builder.ndimage.binary_dilation(silhouette, iterations=4)
    assert ink[near_emoji].sum() / ink.sum() > 0.98
    outline = silhouette & ~builder.ndimage.binary_erosion(silhouette)
    near_ink = builder.ndimage.binary_dilation(ink, iterations=3)
    assert near_ink[outline].mean() > 0.9
    shifted = np.roll(ink, 12, axis=1)  # the same checks see a misaligned pair
    assert builder.ndimage.binary_dilation(shifted, iterations=3)[outline].mean() < near_ink[outline].mean() - 0.2


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
    assert forward.inputs.shape == (3, 1, 3, 32, 32) and forward.targets.shape == (3, 3, 32, 32)
    for i, (a, b) in enumerate(pairs):
        assert np.array_equal(forward.inputs[i, 0].permute(1, 2, 0).numpy(), a)
        assert np.array_equal(forward.targets[i].permute(1, 2, 0).numpy(), b)
        assert np.array_equal(backward.inputs[i, 0].permute(1, 2, 0).numpy(), b)
    sketch, target = forward.batch(torch.arange(3))
    assert sketch.min() >= -1 and target.max() <= 1
    assert load_aligned_folder(tmp_path, "AtoB", 64).targets.shape == (3, 3, 64, 64)


def test_aligned_folder_errors_are_sentences(tmp_path):
    with pytest.raises(ValueError, match="No images"):
        load_aligned_folder(tmp_path, "AtoB", 32)
    with pytest.raises(ValueError, match="direction"):
        load_aligned_folder(tmp_path, "sideways", 32)


# --- canvas preprocessing (direct calls) ----------------------------------------------------------------------


def ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(np.asarray(image) < 128)
    return rows.min(), rows.max(), cols.min(), cols.max()


def test_a_small_drawing_in_a_corner_is_centred_with_the_training_margin():
    from demos.pix2pix import canvas_drawing, fit_drawing

    layer = Image.new("RGBA", (800, 600), (0, 0, 0, 0))  # the canvas: strokes over transparent pixels
    layer.paste((0, 0, 0, 255), (20, 30, 120, 80))  # a 100x50 black bar near the top-left corner
    fitted, note = fit_drawing(canvas_drawing({"background": None, "layers": [], "composite": layer}), 128)
    top, bottom, left, right = ink_box(fitted)
    assert note == "" and fitted.size == (128, 128)
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

    from demos.pix2pix import MAX_SIDE, canvas_drawing, fit_drawing

    huge = Image.new("RGB", (6000, 4500), "white")
    ImageDraw.Draw(huge).line((300, 300, 5700, 4200), fill="black", width=120)  # about 2.6 px once fitted to 128
    drawing = canvas_drawing({"composite": huge})
    assert max(drawing.size) <= MAX_SIDE
    fitted, _ = fit_drawing(drawing, 128)
    assert (np.asarray(fitted) < 128).mean() > 0.01


def test_dark_and_empty_images_give_a_note_or_nothing():
    from demos.pix2pix import canvas_drawing, fit_drawing

    white_on_black = Image.new("RGB", (100, 100), "black")
    white_on_black.paste((255, 255, 255), (20, 45, 80, 55))
    fitted, note = fit_drawing(canvas_drawing({"composite": white_on_black}), 128)
    assert "negative" in note and (np.asarray(fitted) < 128).any()
    assert fit_drawing(canvas_drawing({"composite": Image.new("RGBA", (10, 10))}), 128) == (None, "")
    assert canvas_drawing(None) is None


# --- the tab, through the API and in a browser ----------------------------------------------------------------


def canvas_file(tmp_path, image: Image.Image, name: str) -> dict:
    """The ImageEditor payload an API caller sends: one uploaded image as the composite."""
    from gradio_client import handle_file

    path = tmp_path / name
    image.save(path)
    return {"background": None, "layers": [], "composite": handle_file(str(path))}


def stroke_drawing(size=(300, 260), mode="RGBA", paper=(0, 0, 0, 0)) -> Image.Image:
    """A face outline in black on transparent (as the canvas exports it) or on the given paper colour."""
    from PIL import ImageDraw

    image = Image.new(mode, size, paper)
    draw = ImageDraw.Draw(image)
    draw.ellipse((30, 20, size[0] - 30, size[1] - 20), outline="black", width=6)
    draw.ellipse((100, 90, 120, 110), fill="black")
    draw.ellipse((size[0] - 120, 90, size[0] - 100, 110), fill="black")
    draw.arc((90, 120, size[0] - 90, 200), 20, 160, fill="black", width=6)
    return image


def predict(client, sketch, **settings) -> np.ndarray:
    path = client.predict(
        sketch=sketch, **{"model": "gan", "stochastic": False, "seed": 0, **settings}, api_name="/sketch2image"
    )
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def test_api_turns_a_transparent_canvas_drawing_into_a_coloured_image(client, tmp_path):
    sketch = canvas_file(tmp_path, stroke_drawing(), "face.png")
    gan = predict(client, sketch)
    assert gan.shape == (128, 128, 3)
    # Not blank: had the transparent paper turned black, the strokes (black too) would have vanished.
    assert (gan.astype(int).sum(axis=2) < 600).mean() > 0.1
    assert np.abs(gan.astype(int) - predict(client, sketch, model="l1")).mean() > 1  # two different models


def test_api_handles_odd_sizes_dark_paper_and_empty_canvases(client, tmp_path):
    odd = predict(client, canvas_file(tmp_path, stroke_drawing((301, 517), "RGB", "white"), "odd.png"))
    assert odd.shape == (128, 128, 3) and odd.min() < 200
    white = np.full((128, 128, 3), 255)
    assert np.array_equal(predict(client, canvas_file(tmp_path, Image.new("RGBA", (64, 48)), "empty.png")), white)
    assert np.array_equal(predict(client, canvas_file(tmp_path, Image.new("RGB", (50, 50)), "black.png")), white)
    assert np.array_equal(predict(client, {"background": None, "layers": [], "composite": None}), white)


def test_api_dropout_noise_follows_the_seed(client, tmp_path):
    sketch = canvas_file(tmp_path, stroke_drawing(), "face.png")
    first, again = (predict(client, sketch, stochastic=True, seed=7) for _ in range(2))
    other = predict(client, sketch, stochastic=True, seed=8)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"model": "vae"}, "not in the list of choices|model must be one of"),  # Gradio checks Radio values first
        ({"seed": -3}, "less than minimum|seed must be in"),
        ({"stochastic": "maybe"}, "stochastic must be true or false"),
    ],
)
def test_api_answers_bad_settings_with_a_sentence(client, tmp_path, settings, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        predict(client, canvas_file(tmp_path, stroke_drawing(), "face.png"), **settings)


def test_api_rejects_a_payload_that_is_not_an_image(client, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    with pytest.raises(AppError):
        predict(client, {"background": None, "layers": [], "composite": handle_file(str(text))})


def test_browser_strokes_on_the_canvas_produce_an_image(browser, app_url, artifacts_dir):
    import urllib.request
    from io import BytesIO

    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(app_url, wait_until="networkidle")
    page.get_by_role("tab", name="Sketch → image").click()
    page.locator("#pix2pix-canvas button[aria-label='Brush']").first.click()  # as a student must, first
    canvas = page.locator("#pix2pix-canvas canvas").first
    canvas.wait_for()
    box = canvas.bounding_box()
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, min(box["width"], box["height"]) / 3
    strokes = [  # a smiley, drawn with the mouse: face, two eyes, mouth
        [(cx + r * np.cos(t), cy + r * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40)],
        [(cx - r / 3, cy - r / 3), (cx - r / 3, cy - r / 6)],
        [(cx + r / 3, cy - r / 3), (cx + r / 3, cy - r / 6)],
        [(cx + r / 2 * np.cos(t), cy + r / 2 * np.sin(t)) for t in np.linspace(0.2 * np.pi, 0.8 * np.pi, 12)],
    ]
    for stroke in strokes:
        page.mouse.move(*stroke[0])
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*point, steps=2)
        page.mouse.up()
    output = page.locator("#pix2pix-output img")
    output.wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)  # the last stroke's result replaces the earlier ones
    page.screenshot(path=str(artifacts_dir / "pix2pix-drawn.png"), full_page=True)
    src = output.get_attribute("src")
    with urllib.request.urlopen(src if src.startswith("http") else app_url.rstrip("/") + src) as response:
        image = np.asarray(Image.open(BytesIO(response.read())).convert("RGB"))
    page.close()
    assert (image.astype(int).sum(axis=2) < 600).mean() > 0.05, "the generated image is blank"


def test_browser_clicking_an_example_fills_the_canvas_and_the_output(browser, app_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(app_url, wait_until="networkidle")
    page.get_by_role("tab", name="Sketch → image").click()
    page.get_by_role("tabpanel").filter(visible=True).locator(".gallery-item").first.click()
    page.locator("#pix2pix-output img").wait_for(timeout=30_000)
    status = page.get_by_text("Generated in").first
    status.wait_for(timeout=30_000)
    assert "CPU" in status.inner_text() or "CUDA" in status.inner_text()
    page.close()
