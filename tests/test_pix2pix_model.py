"""pix2pix networks, losses, schedule and held-out metrics (models/pix2pix.py)."""

import importlib.util

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from models.pix2pix import (
    PatchDiscriminator,
    UNetGenerator,
    downsamplings_for,
    init_weights,
    patch_geometry,
    set_dropout,
)
from models.pix2pix_training import (
    discriminator_loss,
    generator_loss,
    learning_rate_factor,
    make_optimizer,
    mean_gradient_magnitude,
    nyquist_energy,
    ssim,
)

pytestmark = pytest.mark.usefixtures("one_thread_per_module")  # tests/conftest.py


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


def test_patchgan_windows_are_70_px_8_px_apart_from_layers_and_from_gradients():
    torch.manual_seed(0)
    D = PatchDiscriminator(ndf=8).eval()  # eval: BatchNorm must not mix pixels through batch statistics
    geometry = patch_geometry(D, 128)
    assert (geometry.field, geometry.stride, geometry.grid) == (70, 8, 14)
    sketch = torch.randn(1, 1, 128, 128, requires_grad=True)
    image = torch.randn(1, 3, 128, 128, requires_grad=True)
    logits = D(sketch, image)
    assert logits.shape == (1, 1, 14, 14)
    logits[0, 0, 7, 7].backward()  # an interior patch, away from the zero padding
    touched = (image.grad.abs().sum(dim=(0, 1)) + sketch.grad.abs().sum(dim=(0, 1))) > 0
    rows, cols = np.nonzero(touched.numpy())
    assert rows.max() - rows.min() + 1 == 70
    assert cols.max() - cols.min() + 1 == 70
    assert (rows.min() + rows.max()) / 2 == geometry.centre(7)  # where the window sits, padding included


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


def test_checkpoints_round_trip_through_the_one_loader(tmp_path):
    from models.checkpoints import CheckpointError, load_model, save_checkpoint

    torch.manual_seed(0)
    G = UNetGenerator(32, ngf=4).eval()
    save_checkpoint(G, "tiny", {}, directory=tmp_path, dtype=torch.float16)
    x = torch.rand(1, 1, 32, 32) * 2 - 1
    loaded, record = load_model(UNetGenerator, "tiny", directory=tmp_path)
    assert record["config"] == G.config
    assert G.config == {"image_size": 32, "ngf": 4, "in_channels": 1, "out_channels": 3, "upsample": "transposed"}
    with torch.no_grad():
        assert torch.allclose(loaded(x), G(x), atol=2e-2)  # fp16 storage
    D = PatchDiscriminator(ndf=4, n_layers=2)
    save_checkpoint(D, "tiny_d", {}, directory=tmp_path)
    assert load_model(PatchDiscriminator, "tiny_d", directory=tmp_path)[0].config["n_layers"] == 2
    with pytest.raises(CheckpointError, match="does not fit"):
        load_model(PatchDiscriminator, "tiny", directory=tmp_path)
    with pytest.raises(CheckpointError, match="missing"):
        load_model(UNetGenerator, "absent", directory=tmp_path)


def test_shipped_records_hold_constructor_arguments_training_settings_and_provenance():
    from models.checkpoints import read_record

    for name in ("pix2pix_gan", "pix2pix_l1", "pix2pix_gan_d"):
        record = read_record(name)
        model_class = PatchDiscriminator if name.endswith("_d") else UNetGenerator
        assert set(record["config"]) == set(model_class(**record["config"]).config)
        assert {"command", "git_commit", "data_sha256"} <= set(record["provenance"])
    assert read_record("pix2pix_l1")["training"]["l1_only"] is True
    assert read_record("pix2pix_gan")["training"]["l1_only"] is False


def test_learning_rate_is_constant_then_decays_linearly_to_zero_at_the_end():
    assert learning_rate_factor(0.0) == learning_rate_factor(0.5) == 1.0
    assert learning_rate_factor(0.75) == pytest.approx(0.5)
    assert learning_rate_factor(1.0) == 0.0 and learning_rate_factor(1.3) == 0.0


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


def test_checkerboard_energy_sits_at_the_nyquist_frequency():
    torch.manual_seed(0)
    rows, cols = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    checker = ((rows + cols) % 2).float()[None, None].expand(1, 3, 32, 32)
    smooth = torch.sin(2 * torch.pi * cols / 32).float()[None, None].expand(1, 3, 32, 32)
    # Parseval: a +-1/2 checkerboard around its mean has all its energy, (1/2)^2 per pixel * 1024, at Nyquist.
    assert nyquist_energy(checker).item() == pytest.approx(0.25 * 32 * 32, rel=1e-6)
    assert nyquist_energy(smooth).item() == pytest.approx(0.0, abs=1e-6)
    noisy = smooth + 0.05 * checker
    assert nyquist_energy(noisy).item() == pytest.approx(0.05**2 * 0.25 * 1024, rel=1e-4)


def test_a_stripe_along_one_axis_is_counted_once_on_its_nyquist_row():
    """A pattern alternating between rows only (or columns only) sits on one Nyquist line of the spectrum: the
    measure must see either, counting the shared corner once."""
    rows, cols = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    for stripe in ((rows % 2).float(), (cols % 2).float()):
        image = stripe[None, None].expand(1, 3, 32, 32)
        assert nyquist_energy(image).item() == pytest.approx(0.25 * 32 * 32, rel=1e-6)


def test_a_resize_decoder_upsamples_without_transposed_convolutions():
    """upsample="resize" (Odena et al. 2016): nearest 2x + 3x3 convolution at every decoder step, same output."""
    torch.manual_seed(0)
    G = UNetGenerator(64, ngf=4, upsample="resize").eval()
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in G.modules())
    assert sum(isinstance(m, torch.nn.Upsample) for m in G.modules()) == downsamplings_for(64)
    assert G(torch.zeros(2, 1, 64, 64)).shape == (2, 3, 64, 64)
    with pytest.raises(ValueError, match="upsample"):
        UNetGenerator(64, ngf=4, upsample="pixelshuffle")


def test_nearest_upsampling_leaves_nothing_at_the_nyquist_frequency_a_transposed_convolution_does():
    """Why the resize decoder cannot paint a pixel-period checkerboard: a 2x nearest resize repeats each pixel, which
    cancels the Nyquist frequency exactly; a stride-2 transposed convolution with random weights puts energy there."""
    torch.manual_seed(0)
    x = torch.rand(4, 3, 16, 16)
    resized = torch.nn.Upsample(scale_factor=2, mode="nearest")(x)
    transposed = torch.nn.ConvTranspose2d(3, 3, kernel_size=4, stride=2, padding=1, bias=False)(x).detach()
    assert nyquist_energy(resized).max() < 1e-10
    assert nyquist_energy(transposed).min() > 1e-4


def test_a_spectrally_normalized_discriminator_keeps_each_layers_largest_singular_value_at_one():
    torch.manual_seed(0)
    D = PatchDiscriminator(4, ndf=8, spectral_norm=True)
    init_weights(D)
    sketch, image = torch.rand(2, 1, 64, 64), torch.rand(2, 3, 64, 64)
    for _ in range(30):  # power iterations run on each training-mode forward pass
        D(sketch, image)
    convs = [m for m in D.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 5 and not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
    for conv in convs:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2).item()
        assert sigma == pytest.approx(1.0, abs=0.05)
