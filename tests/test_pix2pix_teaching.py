"""Every claim the sketch tab teaches, checked against the code, a computation or the shipped models."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import demos.pix2pix  # noqa: F401  (the tab's package registers its texts as it is imported)
from demos import tab_sections, tab_text
from models.checkpoints import read_record
from models.pix2pix import PatchDiscriminator, UNetGenerator, patch_geometry
from models.pix2pix_pipeline import sketch_to_image
from models.pix2pix_training import L1_WEIGHT, discriminator_loss, generator_loss
from tests.retired_phrases import RETIRED

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "data" / "pix2pix_examples").glob("*.png"))


pytestmark = pytest.mark.usefixtures("one_thread_per_module")  # tests/conftest.py


def all_tab_text() -> str:
    """Every Markdown the tab shows: the explanation, every homework section and the Python-side strings."""
    import demos.pix2pix as tab

    python_strings = " ".join(
        value for value in vars(tab).values() if isinstance(value, str) and not value.startswith(("/", "python"))
    )
    return "\n".join(
        [tab_text("pix2pix", "explanation"), *tab_sections("pix2pix", "homework").values(), python_strings]
    )


def test_retired_wrong_phrases_are_gone_from_the_tab():
    text = all_tab_text().lower()
    for phrase in RETIRED["pix2pix"]["en"]:
        assert phrase.lower() not in text, phrase


@pytest.mark.slow  # many forward passes
def test_halving_the_discriminator_loss_changes_nothing_under_adam_but_halves_sgd_steps():
    """Adam divides by sqrt(v): a constant factor c on the loss scales m by c and sqrt(v) by c, and cancels."""
    torch.manual_seed(0)
    sketch, real, fake = torch.randn(4, 1, 32, 32), torch.randn(4, 3, 32, 32), torch.randn(4, 3, 32, 32)
    start = PatchDiscriminator(ndf=4, n_layers=2).double()

    def train(scale: float, optimizer_class, **options) -> torch.Tensor:
        D = PatchDiscriminator(ndf=4, n_layers=2).double()
        D.load_state_dict(start.state_dict())
        optimizer = optimizer_class(D.parameters(), **options)
        for _ in range(20):
            optimizer.zero_grad()
            (scale * discriminator_loss(D, sketch.double(), real.double(), fake.double())).backward()
            optimizer.step()
        return torch.cat([p.detach().flatten() for p in D.parameters()])

    adam = {"lr": 2e-4, "betas": (0.5, 0.999)}
    full, halved = train(1.0, torch.optim.Adam, **adam), train(0.5, torch.optim.Adam, **adam)
    moved = (full - torch.cat([p.detach().flatten() for p in start.parameters()])).abs().max().item()
    assert moved > 1e-3  # D did learn something in 20 steps
    # Only Adam's eps = 1e-8 (added to sqrt(v)) keeps the cancellation from being exact: with eps = 0 it is exact
    # to rounding, and with the default eps the weights agree to ~1e-7 (weights whose gradients are near eps: 2e-6).
    assert (full - halved).abs().max().item() < 1e-3 * moved
    assert (full - halved).abs().median().item() < 1e-7
    exact = train(1.0, torch.optim.Adam, eps=0.0, **adam) - train(0.5, torch.optim.Adam, eps=0.0, **adam)
    assert exact.abs().max().item() < 1e-12
    sgd_full, sgd_halved = train(1.0, torch.optim.SGD, lr=0.1), train(0.5, torch.optim.SGD, lr=0.1)
    assert (sgd_full - sgd_halved).abs().max().item() > 100 * 1e-7  # under SGD the factor is a step size


def test_the_text_states_the_patchgan_geometry_that_the_network_has():
    geometry = patch_geometry(PatchDiscriminator(ndf=4), 128)
    cell = 128 / geometry.grid
    text = tab_text("pix2pix", "explanation")
    assert f"{geometry.field}\\times{geometry.field}" in text and f"{geometry.grid}\\times{geometry.grid}" in text
    assert f"{round(100 * geometry.field / 128)}% of its side" in text  # 70 / 128 = 54.7%
    assert f"only {geometry.stride} px apart" in text
    assert f"about {round(cell)} px wide" in text
    # "the window centred near it": every window's centre is within one stride of its heatmap cell's centre
    offsets = [abs(geometry.centre(i) - (i + 0.5) * cell) for i in range(geometry.grid)]
    assert max(offsets) <= geometry.stride
    homework = tab_sections("pix2pix", "homework")["patchgan_answer"]
    assert "55% of the image's side" in homework and "8 px" in homework and "about 9 px" in homework


def test_the_l1_term_is_lambda_times_the_mean_absolute_error_as_written():
    torch.manual_seed(0)
    real, fake = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    loss, parts = generator_loss(None, None, real, fake)
    assert torch.allclose(loss, L1_WEIGHT * (real - fake).abs().mean())
    assert L1_WEIGHT == 100
    assert r"\lambda\cdot\operatorname{mean}\,\lvert y - G(x)\rvert" in tab_text("pix2pix", "explanation")
    assert r"\lambda = 100" in tab_text("pix2pix", "explanation")


def test_homework_has_one_sentence_questions_each_with_an_answer():
    sections = tab_sections("pix2pix", "homework")
    questions = [key for key in sections if key.endswith("_question")]
    assert {q.removesuffix("_question") for q in questions} == {
        "objective",
        "unet",
        "patchgan",
        "dropout",
        "lambda",
        "cyclegan",
        "applications",
    }
    for key in questions:
        sentence = re.sub(r"^\*\*\d+\.\*\*\s*", "", sections[key])
        assert sentence.count("?") == 1 and sentence.endswith("?") and ". " not in sentence, key
        assert sections[key.replace("_question", "_answer")]
    cyclegan = sections["cyclegan_answer"]
    for must in ["two\ngenerators", "two discriminators", "cycle-consistency", "ResNet"]:
        assert must.replace("\n", " ") in cyclegan.replace("\n", " "), must
    applications = sections["applications_answer"].lower()
    for must in ["colour", "map", "super-resolution", "style transfer"]:
        assert must in applications, must


def test_show_answer_buttons_reveal_the_answer_and_set_the_controls():
    import demos.pix2pix as tab

    for key, preset in tab.PRESETS.items():
        update, *controls = tab.reveal(key)
        assert update["visible"] is True
        if preset is None:
            assert controls == [tab.gr.skip()] * 3
        else:
            assert controls == [preset["model"], preset["stochastic"], preset["seed"]]
    assert tab.PRESETS["dropout"]["stochastic"] is True and tab.PRESETS["lambda"]["model"] == "l1"


def drawings():
    return [Image.open(path).convert("L") for path in EXAMPLES]


@pytest.mark.slow  # many forward passes
def test_dropout_gives_little_diversity_less_than_the_two_models_differ():
    """The dropout answer: two seeds differ by less than the GAN and its L1-only twin do (held-out examples)."""
    assert len(EXAMPLES) >= 5
    seeds, models = [], []
    for drawing in drawings():
        a, b = (sketch_to_image(drawing, "gan", True, seed, False).image.astype(float) for seed in (1, 2))
        gan = sketch_to_image(drawing, "gan", False, 0, False).image.astype(float)
        l1 = sketch_to_image(drawing, "l1", False, 0, False).image.astype(float)
        seeds.append(np.abs(a - b).mean())
        models.append(np.abs(gan - l1).mean())
    assert 0 < np.mean(seeds) < np.mean(models)
    assert np.mean(seeds) < 0.06 * 255  # "shades and smudges": a few percent of the colour range


@pytest.mark.slow  # many forward passes
def test_the_discriminator_rates_its_generator_below_a_half_and_l1_outputs_lower_still():
    """The explanation: D has not reached the equilibrium (½); it rates the blurrier L1-only outputs lower."""
    gan, l1 = [], []
    for drawing in drawings():
        gan.append(sketch_to_image(drawing, "gan", False, 0, True).realness.mean())
        l1.append(sketch_to_image(drawing, "l1", False, 0, True).realness.mean())
    assert np.mean(gan) < 0.5
    assert np.mean(l1) < np.mean(gan)


def test_the_shipped_generators_upsample_by_resize_and_the_gan_began_as_the_l1_model():
    """The explanation's architecture sentence, against the shipped records."""
    gan, l1, d = (read_record(name) for name in ("pix2pix_gan", "pix2pix_l1", "pix2pix_gan_d"))
    assert gan["config"]["upsample"] == l1["config"]["upsample"] == "resize"
    assert gan["training"]["initialized_from"]["checkpoint"].endswith("pix2pix_l1")
    assert d["config"]["spectral_norm"] is True


def test_the_generator_has_dropout_only_in_the_innermost_decoder_blocks():
    """The dropout answer says where the noise is."""
    G = UNetGenerator(128, ngf=4)
    names = [name for name, module in G.named_modules() if isinstance(module, torch.nn.Dropout)]
    assert len(names) == 2  # 7 downsamplings at 128 px, minus the 5 of the fixed part
    depths = [name.count("model.") for name in names]
    assert min(depths) > 4  # nested deep inside the U-Net, next to the bottleneck
