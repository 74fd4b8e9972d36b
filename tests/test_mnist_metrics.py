"""MNIST data, the digit classifier checkpoint, and the FID / IS / precision-recall metrics."""

import json

import numpy as np
import pytest
import torch
from pytorch_fid.fid_score import calculate_frechet_distance

from models.checkpoints import CheckpointError, save_checkpoint
from models.classifier import CLASSIFIER_NAME, DigitClassifier
from models.metrics import (
    REFERENCE_NAME,
    MnistEvaluator,
    ReferenceStats,
    extract_features,
    feature_statistics,
    file_sha256,
    frechet_distance,
    inception_score,
    kmeans_labels,
    max_f_beta,
    perceptual_path_length,
    prd_curve,
    prd_from_histograms,
    precision_recall,
    slerp,
)
from models.mnist import (
    MNIST_CARD_PATH,
    MNIST_PATH,
    REBUILD_COMMAND,
    VALIDATION_DIGITS,
    MnistDataError,
    binarize,
    binarized_test_split,
    load_mnist,
    read_arrays,
    train_validation_split,
)
from scripts.build_mnist import stratified_test_counts
from scripts.metrics_sanity import blurred


def gaussian_statistics(rng, n: int, dim: int, scale: float, shift: float):
    samples = rng.normal(size=(n, dim)) @ rng.normal(size=(dim, dim)) * scale + shift
    return samples.mean(axis=0), np.cov(samples, rowvar=False)


# --- Fréchet distance -------------------------------------------------------------------------------------------


# pytorch-fid 0.3.0 still passes scipy's deprecated `disp` argument (and fails on 1 x 1 matrices: no dim 1 here).
@pytest.mark.filterwarnings("ignore:The `disp` argument:DeprecationWarning")
@pytest.mark.parametrize("dim", [2, 16, 64, 128])
def test_frechet_distance_matches_pytorch_fid(dim):
    rng = np.random.default_rng(dim)
    mu1, sigma1 = gaussian_statistics(rng, 4 * dim + 10, dim, scale=1.0, shift=0.0)
    mu2, sigma2 = gaussian_statistics(rng, 4 * dim + 10, dim, scale=1.5, shift=0.3)
    expected = calculate_frechet_distance(mu1, sigma1, mu2, sigma2)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-6)


def test_frechet_distance_of_one_dimensional_gaussians_is_closed_form():
    # For N(m1, s1^2) and N(m2, s2^2): (m1 - m2)^2 + (s1 - s2)^2.
    assert frechet_distance([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(3.0**2 + (2.0 - 3.0) ** 2, rel=1e-12)


def test_frechet_distance_is_zero_for_identical_statistics_and_symmetric():
    rng = np.random.default_rng(0)
    mu1, sigma1 = gaussian_statistics(rng, 500, 64, scale=1.0, shift=0.0)
    mu2, sigma2 = gaussian_statistics(rng, 500, 64, scale=0.7, shift=1.0)
    scale = np.trace(sigma1)
    assert abs(frechet_distance(mu1, sigma1, mu1, sigma1)) < 1e-9 * scale
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(frechet_distance(mu2, sigma2, mu1, sigma1))
    assert frechet_distance(mu1, sigma1, mu2, sigma2) > 0


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="do not fit"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


# --- Inception score --------------------------------------------------------------------------------------------


def test_inception_score_is_ten_for_confident_uniform_and_one_for_constant_predictions():
    confident_uniform = torch.eye(10)[torch.arange(1000) % 10]
    mean, std = inception_score(confident_uniform)
    assert mean == pytest.approx(10.0, rel=1e-12) and std == pytest.approx(0.0, abs=1e-12)
    constant = torch.softmax(torch.randn(10), dim=0).expand(1000, 10)
    assert inception_score(constant)[0] == pytest.approx(1.0, rel=1e-12)


def test_inception_score_of_two_equally_used_classes_is_two():
    # KL(one-hot || (1/2, 1/2)) = log 2 for every image.
    assert inception_score(torch.eye(10)[torch.arange(100) % 2], splits=5)[0] == pytest.approx(2.0, rel=1e-12)


def test_inception_score_needs_one_image_per_split():
    with pytest.raises(ValueError, match="at least 10 images"):
        inception_score(torch.full((5, 10), 0.1))


# --- Precision and recall ---------------------------------------------------------------------------------------


def test_precision_and_recall_are_high_for_the_same_distribution_and_drop_when_shifted():
    generator = torch.Generator().manual_seed(0)
    real = torch.randn(1000, 16, generator=generator)
    fake = torch.randn(1000, 16, generator=generator)
    same_precision, same_recall = precision_recall(real, fake)
    shifted_precision, shifted_recall = precision_recall(real, fake + 2.0)
    assert min(same_precision, same_recall) > 0.6
    assert shifted_precision < same_precision - 0.4 and shifted_recall < same_recall - 0.4


def test_collapsed_samples_keep_precision_but_lose_recall():
    generator = torch.Generator().manual_seed(1)
    real = torch.randn(1000, 16, generator=generator)
    collapsed = 0.2 * torch.randn(1000, 16, generator=generator)  # all near the real mode
    precision, recall = precision_recall(real, collapsed)
    assert precision > 0.95 and recall < 0.1


def test_precision_and_recall_agree_with_a_direct_cdist_computation_across_blocks():
    generator = torch.Generator().manual_seed(3)
    real = torch.randn(1500, 8, generator=generator)  # more rows than one block of 1,024
    fake = 1.2 * torch.randn(1300, 8, generator=generator) + 0.3
    real_radii = torch.cdist(real, real).kthvalue(4, dim=1).values  # k = 3 plus the sample itself
    fake_radii = torch.cdist(fake, fake).kthvalue(4, dim=1).values
    expected_precision = (torch.cdist(fake, real) <= real_radii).any(dim=1).double().mean().item()
    expected_recall = (torch.cdist(real, fake) <= fake_radii).any(dim=1).double().mean().item()
    precision, recall = precision_recall(real, fake)
    # Points exactly on a ball's surface may flip with rounding; allow a few of them.
    assert precision == pytest.approx(expected_precision, abs=3 / len(fake))
    assert recall == pytest.approx(expected_recall, abs=3 / len(real))


def test_a_set_compared_with_itself_has_perfect_precision_and_recall():
    features = torch.randn(200, 8, generator=torch.Generator().manual_seed(2))
    assert precision_recall(features, features) == (1.0, 1.0)


# --- Data -------------------------------------------------------------------------------------------------------


# --- PRD curves (Sajjadi et al. 2018) ---------------------------------------------------------------------------


def test_prd_of_identical_histograms_reaches_one_one():
    histogram = torch.tensor([0.1, 0.2, 0.3, 0.4])
    precision, recall = prd_from_histograms(histogram, histogram)
    best = (precision + recall).argmax()
    assert precision[best] == pytest.approx(1.0, abs=1e-6) and recall[best] == pytest.approx(1.0, abs=1e-6)
    assert max_f_beta(precision, recall, 8) == pytest.approx(1.0, abs=1e-6)


def test_prd_of_disjoint_histograms_is_zero_everywhere():
    precision, recall = prd_from_histograms(torch.tensor([0.5, 0.5, 0.0, 0.0]), torch.tensor([0.0, 0.0, 0.3, 0.7]))
    assert precision.max() == 0 and recall.max() == 0


def test_prd_of_half_the_modes_has_full_precision_and_half_recall():
    # The model covers 2 of 4 equally likely clusters: α(λ) = min(λ·P, Q) summed, max precision 1, recall ½.
    precision, recall = prd_from_histograms(torch.full((4,), 0.25), torch.tensor([0.5, 0.5, 0.0, 0.0]))
    assert precision.max() == pytest.approx(1.0, abs=1e-6)
    assert recall.max() == pytest.approx(0.5, abs=1e-6)
    assert recall[precision > 0.999].max() == pytest.approx(0.5, abs=1e-3)


def test_f8_weighs_recall_and_f1_8_precision():
    """Sajjadi et al. 2018: F8 is the recall-like summary, F1/8 the precision-like one. A model with every sample
    real-looking but half the modes missing has F1/8 near 1 and F8 near ½; swapping them would read the other way."""
    precision, recall = prd_from_histograms(torch.full((4,), 0.25), torch.tensor([0.5, 0.5, 0.0, 0.0]))
    assert max_f_beta(precision, recall, 8.0) == pytest.approx(0.5, abs=0.02)
    assert max_f_beta(precision, recall, 1 / 8) == pytest.approx(1.0, abs=0.02)
    generator = torch.Generator().manual_seed(0)
    real = torch.randn(400, 8, generator=generator)
    half = real[real[:, 0] > 0]  # every sample lies where real data does, but half the data is never produced
    curve = prd_curve(real, half.clone(), runs=3)
    assert curve.f1_8 > curve.f8 + 0.05


def test_prd_curve_from_features_identical_and_disjoint_sets():
    generator = torch.Generator().manual_seed(0)
    real = torch.randn(400, 8, generator=generator)
    same = prd_curve(real, real.clone(), runs=3)
    assert same.f8 == pytest.approx(1.0, abs=1e-6) and same.f1_8 == pytest.approx(1.0, abs=1e-6)
    far = prd_curve(real, real + 100.0, runs=3)  # every cluster holds points of one set only
    assert far.precision.max() == 0 and far.recall.max() == 0 and far.f8 == 0


def test_kmeans_finds_well_separated_clusters():
    generator = torch.Generator().manual_seed(1)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = centres.repeat_interleave(50, dim=0) + 0.1 * torch.randn(150, 2, generator=generator)
    labels = kmeans_labels(points, 3, generator)
    for block in labels.split(50):  # each true cluster gets one label of its own
        assert (block == block[0]).all()
    assert len(set(labels.tolist())) == 3


# --- Perceptual path length (Karras et al. 2019) ------------------------------------------------------------------


def test_slerp_ends_and_keeps_equal_norms():
    generator = torch.Generator().manual_seed(2)
    a, b = (
        torch.randn(5, 4, generator=generator, dtype=torch.float64),
        torch.randn(5, 4, generator=generator, dtype=torch.float64),
    )
    b = b / b.norm(dim=1, keepdim=True) * a.norm(dim=1, keepdim=True)
    assert torch.allclose(slerp(a, b, torch.zeros(5, dtype=torch.float64)), a)
    assert torch.allclose(slerp(a, b, torch.ones(5, dtype=torch.float64)), b)
    middle = slerp(a, b, torch.full((5,), 0.3, dtype=torch.float64))
    assert torch.allclose(middle.norm(dim=1), a.norm(dim=1))


def test_path_length_of_a_linear_decoder_matches_the_closed_form():
    # Decoder g(z) = A z, identity features: d(t)/ε² → ‖A ż(t)‖², with the slerp derivative in closed form
    # ż(t) = θ/sin θ · (−cos((1 − t)θ)·z₁ + cos(tθ)·z₂), θ the angle between z₁ and z₂.
    a_matrix = torch.randn(5, 6, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    result = perceptual_path_length(lambda z: z @ a_matrix.T, lambda images: images, latent_dim=6, n=300, seed=4)
    generator = torch.Generator().manual_seed(4)  # the draws the function made, in its order
    first = torch.randn(300, 6, generator=generator, dtype=torch.float64)
    second = torch.randn(300, 6, generator=generator, dtype=torch.float64)
    t = (torch.rand(300, generator=generator, dtype=torch.float64) * (1 - 1e-4))[:, None]
    angle = torch.acos((first * second).sum(1) / (first.norm(dim=1) * second.norm(dim=1)))[:, None]
    velocity = angle / torch.sin(angle) * (-torch.cos((1 - t) * angle) * first + torch.cos(t * angle) * second)
    expected = (velocity @ a_matrix.T).square().sum(dim=1)
    assert torch.allclose(result.distances, expected, rtol=1e-3)
    kept = expected[(expected >= expected.quantile(0.01)) & (expected <= expected.quantile(0.99))]
    assert result.kept == len(kept) == 294
    assert result.mean == pytest.approx(kept.mean().item(), rel=1e-3)
    assert result.standard_error == pytest.approx((kept.std() / len(kept) ** 0.5).item(), rel=1e-2)


def test_path_length_of_an_isometry_on_an_arc_is_radius_times_angle_squared():
    # Equal norms r: the path is a circular arc, ‖ż‖ = r·θ at every t, so PPL = r²θ² exactly (A orthogonal).
    q, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(5), dtype=torch.float64))
    generator = torch.Generator().manual_seed(6)
    first = torch.randn(200, 4, generator=generator, dtype=torch.float64)
    second = torch.randn(200, 4, generator=generator, dtype=torch.float64)
    second = second / second.norm(dim=1, keepdim=True) * first.norm(dim=1, keepdim=True)
    t = torch.rand(200, generator=generator, dtype=torch.float64) * 0.9
    step = 1e-4
    moved = (slerp(first, second, t + step) @ q.T - slerp(first, second, t) @ q.T).square().sum(1) / step**2
    angle = torch.acos((first * second).sum(1) / first.norm(dim=1) ** 2)
    assert torch.allclose(moved, first.norm(dim=1) ** 2 * angle**2, rtol=1e-6)


def test_path_length_of_a_constant_decoder_is_zero():
    result = perceptual_path_length(lambda z: torch.zeros(len(z), 3, dtype=z.dtype), lambda x: x, 4, n=50)
    assert result.mean == 0.0


# --- Binarized digits and the validation split ---------------------------------------------------------------------


def test_binarization_is_fixed_by_its_seed_and_matches_the_grey_levels_on_average():
    images = load_mnist("test")[0]
    binary, again = binarize(images, 0), binarize(images, 0)
    assert torch.equal(binary, again) and set(binary.unique().tolist()) <= {0.0, 1.0}
    assert not torch.equal(binary, binarize(images, 1))
    # E[binary] = grey level: the pixel sums agree within 4 standard errors of the Bernoulli draws.
    difference = (binary - images).sum()
    standard_error = (images * (1 - images)).sum().sqrt()
    assert abs(difference) < 4 * standard_error
    assert torch.equal(binarized_test_split()[0], binary)


def test_validation_digits_are_held_out_of_the_training_digits():
    train, validation = train_validation_split()
    assert len(validation) == VALIDATION_DIGITS and len(train) + len(validation) == 8000
    everything = load_mnist("train")[0].flatten(1)
    keys = {row.numpy().tobytes() for row in everything}
    assert len(
        {row.numpy().tobytes() for row in train.flatten(1)} & {row.numpy().tobytes() for row in validation.flatten(1)}
    ) <= len(everything) - len(keys)
    assert {row.numpy().tobytes() for row in validation.flatten(1)} <= keys


@pytest.mark.parametrize(("split", "size"), [("train", 8000), ("test", 2000)])
def test_loader_shapes_dtypes_and_range(split, size):
    images, labels = load_mnist(split)
    assert images.shape == (size, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (size,) and labels.dtype == torch.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert set(labels.tolist()) == set(range(10))


def test_split_is_stratified_and_disjoint():
    _, train_labels = load_mnist("train")
    _, test_labels = load_mnist("test")
    train_counts = torch.bincount(train_labels, minlength=10)
    test_counts = torch.bincount(test_labels, minlength=10)
    class_sizes = train_counts + test_counts
    assert class_sizes.sum() == 10_000
    # Largest-remainder rounding keeps every class within one image of its 20 % share.
    assert (test_counts - 0.2 * class_sizes).abs().max() < 1.0
    arrays = read_arrays(MNIST_PATH)
    train_set = {image.tobytes() for image in arrays["train_images"]}
    test_set = {image.tobytes() for image in arrays["test_images"]}
    assert len(train_set) == 8000 and len(test_set) == 2000 and not train_set & test_set


@pytest.mark.parametrize("seed", range(5))
def test_builder_test_counts_are_proportional_and_sum_to_the_test_size(seed):
    class_sizes = np.random.default_rng(seed).integers(50, 1500, size=10).tolist()
    counts = np.asarray(stratified_test_counts(class_sizes, 2000))
    assert counts.sum() == 2000
    assert np.abs(counts - 2000 * np.asarray(class_sizes) / sum(class_sizes)).max() < 1.0


def test_loader_returns_copies_that_callers_may_modify():
    images, labels = load_mnist("test")
    images.zero_()
    labels.zero_()
    fresh_images, fresh_labels = load_mnist("test")
    assert fresh_images.max() == 1.0 and fresh_labels.max() == 9


def test_missing_data_file_names_the_rebuild_command(tmp_path):
    with pytest.raises(MnistDataError, match="missing") as error:
        load_mnist("test", npz_path=tmp_path / "mnist.npz", card_path=MNIST_CARD_PATH)
    assert REBUILD_COMMAND in str(error.value)


def test_a_changed_pixel_fails_the_checksum(tmp_path):
    arrays = read_arrays(MNIST_PATH)
    arrays["test_images"][0, 14, 14] ^= 1
    np.savez_compressed(tmp_path / "mnist.npz", **arrays)
    with pytest.raises(MnistDataError, match="checksum") as error:
        load_mnist("train", npz_path=tmp_path / "mnist.npz", card_path=MNIST_CARD_PATH)
    assert REBUILD_COMMAND in str(error.value)


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")


# --- Checkpoints and the evaluator ------------------------------------------------------------------------------


def write_random_checkpoints(directory, stored_features: int = 128, config_features: int = 128):
    """A randomly initialised classifier and matching reference statistics, written under `directory`."""
    torch.manual_seed(0)
    classifier = DigitClassifier(num_features=stored_features)
    save_checkpoint(classifier, CLASSIFIER_NAME, {}, directory)
    if config_features != stored_features:  # a record that lies about the weights' shapes
        json_path = directory / f"{CLASSIFIER_NAME}.json"
        record = json.loads(json_path.read_text())
        record["config"]["num_features"] = config_features
        json_path.write_text(json.dumps(record))
    features, _ = extract_features(classifier, torch.rand(50, 1, 28, 28), torch.device("cpu"))
    reference = ReferenceStats.from_features(features)
    classifier_sha256 = file_sha256(directory / f"{CLASSIFIER_NAME}.safetensors")
    save_checkpoint(reference, REFERENCE_NAME, {"classifier_sha256": classifier_sha256}, directory)


def test_evaluator_loads_and_scores_with_checkpoints_from_any_directory(tmp_path):
    write_random_checkpoints(tmp_path)
    evaluator = MnistEvaluator.load(torch.device("cpu"), directory=tmp_path)
    scores = evaluator.evaluate(torch.rand(40, 1, 28, 28, generator=torch.Generator().manual_seed(3)))
    assert set(scores) == {"fid", "inception_score", "precision", "recall", "f8", "f1_8", "prd"}
    assert all(np.isfinite(value) for key, value in scores.items() if key != "prd")
    assert scores["fid"] >= 0 and 1 <= scores["inception_score"] <= 10
    assert 0 <= scores["precision"] <= 1 and 0 <= scores["recall"] <= 1
    assert 0 <= scores["f8"] <= 1 and 0 <= scores["f1_8"] <= 1


def test_missing_checkpoint_raises_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="missing"):
        MnistEvaluator.load(torch.device("cpu"), directory=tmp_path)


def test_checkpoint_with_wrong_shapes_raises_a_clear_error(tmp_path):
    write_random_checkpoints(tmp_path, stored_features=64, config_features=128)
    with pytest.raises(CheckpointError, match="shape"):
        MnistEvaluator.load(torch.device("cpu"), directory=tmp_path)


def test_checkpoint_config_that_does_not_fit_the_model_raises_a_clear_error(tmp_path):
    write_random_checkpoints(tmp_path)
    json_path = tmp_path / f"{CLASSIFIER_NAME}.json"
    json_path.write_text(json_path.read_text().replace('"num_features"', '"feature_count"'))
    with pytest.raises(CheckpointError, match="does not fit DigitClassifier"):
        MnistEvaluator.load(torch.device("cpu"), directory=tmp_path)


def test_reference_statistics_of_another_classifier_are_refused(tmp_path):
    write_random_checkpoints(tmp_path)
    torch.manual_seed(1)
    retrained = DigitClassifier()
    save_checkpoint(retrained, CLASSIFIER_NAME, {"config": retrained.config}, tmp_path)
    with pytest.raises(CheckpointError, match="different classifier"):
        MnistEvaluator.load(torch.device("cpu"), directory=tmp_path)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (torch.rand(40, 28, 28), "shape"),
        (np.zeros((40, 1, 28, 28)), "shape"),
        (torch.rand(5, 1, 28, 28), "at least"),
        (torch.full((40, 1, 28, 28), float("nan")), "finite"),
        (torch.full((40, 1, 28, 28), 2.0), r"\[0, 1\]"),
    ],
)
def test_evaluator_rejects_bad_images(tmp_path, images, message):
    write_random_checkpoints(tmp_path)
    evaluator = MnistEvaluator.load(torch.device("cpu"), directory=tmp_path)
    with pytest.raises(ValueError, match=message):
        evaluator.evaluate(images)


# --- The shipped classifier -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evaluator():
    return MnistEvaluator.load(torch.device("cpu"))


def test_shipped_classifier_reaches_the_accuracy_bar(evaluator):
    images, labels = load_mnist("test")
    _, probs = extract_features(evaluator.classifier, images, evaluator.device)
    accuracy = (probs.argmax(dim=1) == labels).double().mean().item()
    assert accuracy >= 0.985


def test_test_split_scored_against_its_own_statistics_is_perfect(evaluator):
    images, _ = load_mnist("test")
    scores = evaluator.evaluate(images)
    # The stored statistics are those of exactly these images, so FID is 0 up to float32 feature rounding.
    assert abs(scores["fid"]) < 1e-3
    assert scores["precision"] == 1.0 and scores["recall"] == 1.0
    features, _ = extract_features(evaluator.classifier, images, evaluator.device)
    mean, _ = feature_statistics(features)
    torch.testing.assert_close(mean, evaluator.reference_mean, rtol=1e-5, atol=1e-6)


def test_uniform_noise_scores_far_worse_than_real_digits(evaluator):
    noise = torch.rand(2000, 1, 28, 28, generator=torch.Generator().manual_seed(4))
    train_images, _ = load_mnist("train")
    noise_scores = evaluator.evaluate(noise)
    real_scores = evaluator.evaluate(train_images[:2000])
    assert noise_scores["fid"] > 10 * real_scores["fid"]
    assert real_scores["inception_score"] > 8 > noise_scores["inception_score"]
    assert real_scores["precision"] > 0.5 > noise_scores["precision"]


def test_fid_grows_with_blur(evaluator):
    images = load_mnist("test")[0][:2000]  # a fifth of the split: the three keep their order
    fids = [evaluator.evaluate(blurred(images, sigma))["fid"] for sigma in (0.5, 1.0, 2.0)]
    assert 0 < fids[0] < fids[1] < fids[2]
