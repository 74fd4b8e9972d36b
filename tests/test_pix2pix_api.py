"""The /sketch2image endpoint through gradio_client (launches the app: slow)."""

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow


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
