"""The handwriting variants MNIST lacks: the generator, the shipped test set, and the shipped network on it."""

import numpy as np
import pytest

from dlviz.digits import engine as digits
from dlviz.digits import variants


def test_the_generator_is_deterministic_by_seed():
    a = variants.make(3, seed=5)
    b = variants.make(3, seed=5)
    c = variants.make(3, seed=6)
    np.testing.assert_array_equal(a["x"], b["x"])
    assert not np.array_equal(a["x"], c["x"])
    assert a["x"].shape == (3 * len(variants.VARIANTS), 28, 28) and a["x"].dtype == np.uint8


def test_the_shipped_test_set_is_what_the_generator_makes_with_its_seed():
    shipped = variants.load()
    made = variants.make(variants.PER_VARIANT, seed=variants.TEST_SEED)
    assert list(shipped["names"]) == list(variants.VARIANTS)
    for key in ("x", "y", "variant"):
        np.testing.assert_array_equal(shipped[key], made[key])
    assert len(shipped["y"]) >= 300  # a few hundred drawings
    assert np.bincount(shipped["variant"]).tolist() == [variants.PER_VARIANT] * len(variants.VARIANTS)


def test_drawings_look_like_the_canvas_and_prepare_as_mnist():
    rng = np.random.default_rng(0)
    rgba = variants.draw(variants.VARIANTS["one_flag"], rng)
    assert rgba.shape == (variants.SIDE, variants.SIDE, 4) and variants.SIDE == digits.CANVAS_SIDE
    assert (rgba[..., :3] == 255).all() and 0 < (rgba[..., 3] > 0).mean() < 0.5  # white ink on transparency
    from scipy import ndimage

    for image in variants.make(1)["x"]:  # as MNIST: peak ink 255, fits 20 x 20, centred by its mass in 28 x 28
        rows, cols = np.flatnonzero(image.max(axis=1) > 12), np.flatnonzero(image.max(axis=0) > 12)
        assert image.max() == 255 and max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 21
        assert np.allclose(ndimage.center_of_mass(image.astype(float)), (14, 14), atol=1.5)


def test_each_variant_keeps_its_digit_and_name():
    shipped = variants.load()
    for i, key in enumerate(shipped["names"]):
        assert set(shipped["y"][shipped["variant"] == i]) == {variants.VARIANTS[str(key)].digit}
    assert set(variants.FIRST_NETWORK) == set(variants.VARIANTS)
    assert set(digits.VARIANT_NAMES) == set(variants.VARIANTS)


@pytest.fixture(scope="module")
def classifier():
    return digits.load_classifier()


def test_the_shipped_network_reads_every_variant(classifier):
    shipped = variants.load()
    found = variants.accuracy_by_variant(shipped, classifier.probabilities(shipped["x"] / 255.0))
    assert min(found.values()) >= 0.97, found


def test_the_shipped_network_keeps_mnist(classifier):
    subset = digits.load_subset()
    accuracy = np.mean(classifier.probabilities(subset["x_test"] / 255.0).argmax(axis=1) == subset["y_test"])
    assert accuracy >= 0.995


def test_a_longer_run_of_one_variant_only_adds_to_its_drawings():
    few = variants.make({"one_flag": 2, "two_loop": 1}, seed=3)
    more = variants.make({"one_flag": 4}, seed=3)
    np.testing.assert_array_equal(more["x"][:2], few["x"][:2])  # the same stream, whatever else is drawn
    assert list(few["names"]) == ["one_flag", "two_loop"] and few["variant"].tolist() == [0, 0, 1]
    assert set(few["y"].tolist()) == {1, 2}
    assert variants.training_count() == sum(variants.TRAINING_PER_VARIANT * variants.TRAINING_TIMES.get(k, 1)
                                            for k in variants.VARIANTS)  # fmt: skip
