"""Your own digit (VAE tab): MNIST's preparation of a drawing, the readings, and every claim of the named cases."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from demos import tab_sections
from demos.language import LANGUAGES
from models.checkpoints import CheckpointError, checkpoint_paths, load_model, read_record
from models.classifier import CLASSIFIER_NAME, DigitClassifier
from models.digit_input import BOX, CENTRE, FIELD, prepare_digit
from models.digit_pipeline import REFERENCE_NAME, digit_models, likelihood_percentile, read_drawing, read_reference
from models.mnist import TEST_BINARIZATION_SEED, binarize, load_mnist
from models.vae import ConvVAE

pytestmark = pytest.mark.usefixtures("one_thread_per_module")  # tests/conftest.py

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "data" / "digit_cases"
CHECKPOINTS = {"kl": "vae_kl", "cs": "vae_cs"}


def blown_up(grey: np.ndarray, factor: int = 10) -> Image.Image:
    """A test digit (28x28 in [0, 1], ink = 1) drawn black on white paper, each pixel a factor x factor square."""
    pixels = np.round(255 * (1 - grey)).astype(np.uint8)
    return Image.fromarray(pixels).resize((28 * factor, 28 * factor), Image.Resampling.NEAREST)


# --- the preparation (LeCun et al.'s description of MNIST) -------------------------------------------------------


@pytest.fixture(scope="module")
def test_digits():
    images, labels = load_mnist("test")
    return images[::20, 0].numpy(), labels[::20]  # 100 digits of every class


def test_mnists_centre_of_mass_is_the_one_the_drawings_are_centred_on():
    images, _ = load_mnist("test")
    grey = images[:, 0].double()
    ys, xs = torch.meshgrid(torch.arange(FIELD).double(), torch.arange(FIELD).double(), indexing="ij")
    mass = grey.sum(dim=(1, 2))
    for coordinate in (ys, xs):
        centres = (grey * coordinate).sum(dim=(1, 2)) / mass
        assert centres.mean().item() == pytest.approx(CENTRE, abs=3 * centres.std().item() / len(centres) ** 0.5)


def test_a_real_test_digit_blown_up_and_drawn_black_on_white_comes_back_as_itself(test_digits):
    images, _ = test_digits
    errors = []
    for grey in images:
        prepared = prepare_digit(blown_up(grey))
        errors.append(np.abs(prepared.grey[0, 0].numpy() - grey) * 255)
    errors = np.stack(errors)
    assert errors.mean(axis=(1, 2)).max() < 1.0  # grey levels (of 255), per digit
    assert np.percentile(errors, 99.9) < 8


def test_light_on_dark_and_transparent_drawings_are_prepared_as_the_same_digit(test_digits):
    grey = test_digits[0][0]
    reference = prepare_digit(blown_up(grey))
    inverted = prepare_digit(Image.eval(blown_up(grey), lambda v: 255 - v))
    transparent = Image.new("RGBA", blown_up(grey).size, (0, 0, 0, 0))  # black ink, its darkness in the alpha
    transparent.putalpha(Image.eval(blown_up(grey), lambda v: 255 - v))
    assert not reference.light_on_dark and inverted.light_on_dark
    for other in (inverted, prepare_digit(transparent)):
        assert (other.grey - reference.grey).abs().max().item() * 255 < 3


def test_the_box_keeps_the_aspect_ratio_and_the_centre_of_mass_lands_on_mnists_centre():
    page = Image.new("L", (300, 300), 255)
    ImageDraw.Draw(page).line([(200, 20), (200, 260)], fill=0, width=30)  # a tall "1" far off-centre
    grey = prepare_digit(page).grey[0, 0].numpy()
    rows, cols = np.nonzero(grey > 0.05)
    assert rows.max() - rows.min() + 1 == BOX  # the longer side fills the box
    assert cols.max() - cols.min() + 1 <= 5  # 240 x 30 px stays thin: 20 x 2.5
    ys, xs = np.mgrid[0:FIELD, 0:FIELD]
    assert (grey * ys).sum() / grey.sum() == pytest.approx(CENTRE, abs=0.5)
    assert (grey * xs).sum() / grey.sum() == pytest.approx(CENTRE, abs=0.5)


def test_the_binary_input_is_the_grey_digit_binarized_as_the_test_split_was(test_digits):
    prepared = prepare_digit(blown_up(test_digits[0][3]))
    assert torch.equal(prepared.binary, binarize(prepared.grey, TEST_BINARIZATION_SEED))
    assert set(prepared.binary.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize("drawing", ["blank", "dot", "transparent"])
def test_nothing_drawn_is_no_digit(drawing):
    page = Image.new("RGBA", (200, 200), (0, 0, 0, 0)) if drawing == "transparent" else Image.new("L", (200, 200), 255)
    if drawing == "dot":
        page.putpixel((50, 50), 0)
    assert prepare_digit(page) is None


# --- the readings ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def models():
    classifier, _ = load_model(DigitClassifier, CLASSIFIER_NAME)
    map_model, _ = load_model(ConvVAE, "vae_kl_2d")
    return {
        key: digit_models(load_model(ConvVAE, name)[0], name, map_model, classifier)
        for key, name in CHECKPOINTS.items()
    }


@pytest.fixture(scope="module")
def cases(models):
    """What both models say of every named drawing: {case: {model: DigitReading}}."""
    from demos.vae.own_digit import CASES

    return {
        case: {key: read_drawing(Image.open(CASES_DIR / f"{case}.png"), m) for key, m in models.items()}
        for case in CASES
    }


def test_the_reference_is_the_records_test_likelihood_digit_by_digit(models):
    """The test digits' −log p(x) stored for the percentile average to the VAE record's IWAE figure."""
    for key, name in CHECKPOINTS.items():
        test = read_record(name)["test"]
        se = test["iwae_negative_log_likelihood_standard_error"]
        assert models[key].test_nll.shape == (2000,)
        assert models[key].test_nll.mean() == pytest.approx(test["iwae_negative_log_likelihood"], abs=se)


def test_a_reference_made_for_other_weights_is_refused(tmp_path):
    for name in ("vae_kl", REFERENCE_NAME):
        for path in checkpoint_paths(name):
            shutil.copy(path, tmp_path / path.name)
    weights = checkpoint_paths("vae_kl", tmp_path)[0]
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(CheckpointError, match="other weights"):
        read_reference("vae_kl", tmp_path)
    record = checkpoint_paths(REFERENCE_NAME, tmp_path)[1]
    record.write_text(json.dumps({"models": {}}))
    with pytest.raises(CheckpointError, match="missing or unreadable"):
        read_reference("vae_kl", tmp_path)


def test_the_percentile_counts_the_test_digits_less_likely_than_the_drawing():
    test_nll = np.array([80.0, 90.0, 100.0, 110.0])
    assert likelihood_percentile(95.0, test_nll) == 50.0  # 100 and 110 nats are less likely
    assert likelihood_percentile(200.0, test_nll) == 0.0
    assert likelihood_percentile(10.0, test_nll) == 100.0


def test_a_test_digit_drawn_black_on_white_is_read_as_its_label(models, test_digits):
    """The drawing route keeps a real digit what it is: the classifier reads its label from the prepared input."""
    images, labels = test_digits
    prepared = torch.cat([prepare_digit(blown_up(grey)).grey for grey in images])
    guesses = models["kl"].classifier.eval()(prepared).argmax(dim=1)
    assert (guesses == labels).float().mean().item() >= 0.95


# --- each named case's claim (demos/vae/texts/vae_digit/intro.<lang>.md) ----------------------------------------------


def test_every_case_has_its_note_in_every_language():
    from demos.vae.own_digit import CASES, CATALOGUE

    for lang in LANGUAGES:
        sections = tab_sections(CATALOGUE, "intro", lang)
        assert {f"case_{case}" for case in CASES} | {"intro"} == set(sections)


def test_clear_seven(cases):
    for reading in cases["clear"].values():
        assert reading.digit == 7 and reading.percentile > 50
        assert reading.nearest_labels.count(7) == len(reading.nearest_labels)


def test_hasty_two_is_read_as_two_and_costs_more_nats_than_the_clear_seven(cases):
    for key, reading in cases["sloppy"].items():
        assert reading.digit == 2
        assert reading.negative_log_likelihood > cases["clear"][key].negative_log_likelihood


def test_the_letter_gets_a_confident_digit_and_a_below_median_likelihood(cases):
    for reading in cases["letter"].values():
        assert reading.probability > 0.9 and reading.percentile < 50


def test_the_scribble_is_less_likely_than_every_test_digit(cases):
    for reading in cases["scribble"].values():
        assert reading.percentile == 0.0


@pytest.mark.parametrize("case", ["blob", "dash"])
def test_simple_shapes_are_more_likely_than_most_test_digits(cases, case):
    """Nalisnick et al. 2019 in this tab: a filled ellipse and a single dash, nothing like digits, score above the
    median test digit under both VAEs."""
    for reading in cases[case].values():
        assert reading.percentile > 50


def test_the_dash_leaves_the_classifier_hesitating(cases):
    assert cases["dash"]["kl"].probability < 0.9


def test_white_on_black_is_read_as_the_same_seven(cases):
    for key, reading in cases["inverted"].items():
        assert reading.prepared.light_on_dark
        assert torch.equal(reading.prepared.binary, cases["clear"][key].prepared.binary)
        assert reading.negative_log_likelihood == cases["clear"][key].negative_log_likelihood


# --- the public endpoint ---------------------------------------------------------------------------------------


def test_the_endpoint_never_reads_a_server_file_it_was_not_sent():
    from demos.vae.own_digit import as_image
    from demos.validation import Sentence

    with pytest.raises(Sentence, match="not a readable picture"):
        as_image({"path": str(CASES_DIR / "clear.png")})  # a real image, but not one Gradio received


def test_vae_encode_takes_a_file_or_a_canvas_dict_and_answers_bad_images_with_one_sentence(client, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    clear = handle_file(str(CASES_DIR / "clear.png"))
    seen, reconstruction, table = client.predict(image=clear, model="kl", api_name="/vae_encode")
    rows = dict(table["data"])
    assert list(rows) == [
        "−ELBO (nats)",
        "−log p(x) IWAE (nats)",
        "likelihood percentile among test digits",
        "classifier digit",
        "classifier probability",
        "ink pixels (of 784)",
    ]
    assert rows["classifier digit"] == 7 and rows["−log p(x) IWAE (nats)"] < rows["−ELBO (nats)"]
    assert Image.open(seen).size == Image.open(reconstruction).size == (128, 128)  # 28 px + gaps, ×4
    canvas = {"background": None, "layers": [], "composite": clear}
    assert client.predict(image=canvas, model="kl", api_name="/vae_encode")[2]["data"] == table["data"]
    Image.new("RGB", (300, 300), "white").save(tmp_path / "blank.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    Image.new("L", (4100, 4100), 255).save(tmp_path / "huge.png")
    for name, sentence in (("blank", "Draw a digit first"), ("broken", "not a readable"), ("huge", "too large")):
        with pytest.raises(AppError, match=sentence):
            client.predict(image=handle_file(str(tmp_path / f"{name}.png")), model="cs", api_name="/vae_encode")
