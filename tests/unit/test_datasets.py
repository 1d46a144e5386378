import numpy as np
import pytest

from dlviz.core import datasets

GENERATED = [k for k, d in datasets.DATASETS.items() if not d.drawn]


def test_your_own_points_start_empty():
    split = datasets.make("own", 200, 0.1, 0.5, seed=3)
    assert split.x_train.shape == (0, 2) and split.x_val.shape == (0, 2) and not split.regression


@pytest.mark.parametrize("name", GENERATED)
def test_generators_give_points_in_the_plane_with_labels(name):
    split = datasets.make(name, 200, 0.1, 0.5, seed=3)
    assert split.x_train.shape == (100, 2) and split.x_val.shape == (100, 2)
    assert split.x_train.dtype == np.float32
    everything = np.concatenate([split.x_train, split.x_val])
    assert np.abs(everything).max() <= datasets.EXTENT + 1.0
    labels = np.concatenate([split.y_train, split.y_val])
    if datasets.DATASETS[name].regression:
        assert split.regression and labels.min() >= -1 and labels.max() <= 1
        assert labels.std() > 0.05
    else:
        assert set(np.unique(labels)) == set(map(float, range(split.classes)))
        assert 0.3 < labels.mean() / (split.classes - 1) < 0.7


@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_same_data_other_seed_other_data(name):
    a = datasets.make(name, 100, 0.2, 0.5, seed=1)
    b = datasets.make(name, 100, 0.2, 0.5, seed=1)
    c = datasets.make(name, 100, 0.2, 0.5, seed=2)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_val, b.y_val)
    assert not np.array_equal(a.x_train, c.x_train)


def test_xor_labels_follow_the_quadrants_without_noise():
    split = datasets.make("xor", 400, 0.0, 0.5, seed=0)
    x, y = split.x_train, split.y_train
    assert np.array_equal(y, (x[:, 0] * x[:, 1] >= 0).astype(np.float32))


def test_circle_inner_points_are_class_one_without_noise():
    split = datasets.make("circle", 400, 0.0, 0.5, seed=0)
    radius = np.hypot(*split.x_train.T)
    assert np.array_equal(split.y_train == 1, radius < 2.5)


def test_noise_flips_some_xor_labels():
    split = datasets.make("xor", 1000, 0.5, 0.5, seed=0)
    x, y = split.x_train, split.y_train
    wrong = np.mean(y != (x[:, 0] * x[:, 1] >= 0))
    assert 0.05 < wrong < 0.45


@pytest.mark.parametrize("fraction, n_train", [(0.1, 10), (0.5, 50), (0.9, 90)])
def test_train_share(fraction, n_train):
    split = datasets.make("gauss", 100, 0.0, fraction, seed=0)
    assert len(split.x_train) == n_train and len(split.x_val) == 100 - n_train


def test_features_compute_each_column():
    points = np.array([[1.0, 2.0], [-3.0, 0.5]], np.float32)
    cols = datasets.features(points, tuple(datasets.FEATURES))
    x1, x2 = points.T
    expected = np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    np.testing.assert_allclose(cols, expected, rtol=1e-6)


def test_grid_rows_run_along_y():
    axis, points = datasets.grid(5)
    assert axis[0] == -datasets.EXTENT and axis[-1] == datasets.EXTENT
    assert points.shape == (25, 2)
    np.testing.assert_array_equal(points.reshape(5, 5, 2)[2, :, 1], axis[2])  # row 2 has y = axis[2]
