"""The Playground's multi-class data sets: 3 to 5 classes, a softmax output, class regions on the plane."""

import numpy as np
import pytest
from programs import run_program

from dlviz.classroom import share
from dlviz.core import charts, datasets, theme
from dlviz.core.settings import from_query, replace, to_query
from dlviz.playground import code
from dlviz.playground.engine import PlaygroundRun, PlaygroundSettings

MULTI = [k for k, d in datasets.DATASETS.items() if d.multiclass]


def test_there_are_three_multiclass_sets():
    assert set(MULTI) == {"blobs", "spirals", "pinwheel"}


@pytest.mark.parametrize("name", MULTI)
@pytest.mark.parametrize("classes", [3, 4, 5])
def test_a_multiclass_set_labels_every_class_alike_within_the_plane(name, classes):
    split = datasets.make(name, 500, 0.1, 0.5, seed=3, classes=classes)
    labels = np.concatenate([split.y_train, split.y_val])
    assert split.classes == classes and not split.regression
    assert set(np.unique(labels)) == set(range(classes))
    counts = np.bincount(labels.astype(int))
    assert counts.max() - counts.min() <= 1  # balanced
    points = np.concatenate([split.x_train, split.x_val])
    assert np.abs(points).max() <= datasets.EXTENT + 1.5  # noise may push a few just past the edge
    again = datasets.make(name, 500, 0.1, 0.5, seed=3, classes=classes)
    assert np.array_equal(again.x_train, split.x_train)  # the seed decides


def test_classes_outside_the_range_are_clipped_and_two_class_sets_ignore_them():
    assert datasets.make("blobs", 100, 0, 0.5, 0, classes=9).classes == datasets.MAX_CLASSES
    assert datasets.make("xor", 100, 0, 0.5, 0, classes=5).classes == 2


def test_settings_carry_the_class_count_through_the_link_and_repair_it():
    s = PlaygroundSettings(data="pinwheel", classes=4)
    assert from_query(PlaygroundSettings, to_query(s))[0] == s
    repaired, notices = from_query(PlaygroundSettings, {"data": "pinwheel", "classes": "17"})
    assert repaired.classes == PlaygroundSettings().classes and notices
    assert PlaygroundSettings(data="xor", classes=5).n_classes == 2


@pytest.fixture(scope="module")
def trained():
    s = PlaygroundSettings(data="blobs", classes=4, layers=(6,), activations=("tanh",), optimizer="adam", lr=0.03)
    run = PlaygroundRun(s)
    run.train(60)
    return run


def test_a_multiclass_network_ends_in_a_softmax_trained_with_sparse_cross_entropy(trained):
    last = trained.model.layers[-1]
    assert last.units == 4 and last.activation.__name__ == "softmax"
    assert trained.model.loss == "sparse_categorical_crossentropy"


def test_its_accuracy_is_what_keras_measures(trained):
    split = trained.split
    probabilities = trained.model.predict(split.x_val, verbose=0)
    keras_accuracy = float(np.mean(probabilities.argmax(axis=1) == split.y_val))
    assert trained.history.val_accuracy[-1] == pytest.approx(keras_accuracy, abs=1e-6)
    assert keras_accuracy > 0.9  # four blobs apart: well above chance (0.25)


def test_its_snapshot_holds_one_probability_map_per_class(trained):
    snap = trained.snapshot()
    assert snap.output.shape == (100, 100, 4)
    assert np.allclose(snap.output.sum(axis=-1), 1, atol=1e-5)
    assert snap.node_images[-1].shape == (4, 20, 20)
    assert snap.weights[-1].shape == (6, 4)


def test_class_regions_show_the_likeliest_class_shaded_by_certainty():
    p = np.zeros((2, 3, 3))
    p[0, 0] = [1, 0, 0]  # sure of class 0
    p[0, 1] = [0.34, 0.33, 0.33]  # hardly sure of class 0
    p[0, 2] = [0, 0, 1]  # sure of class 2
    p[1, :] = [0, 0.6, 0.4]  # class 1, unsure
    z = charts.class_regions(p)["z"]
    shades = charts.REGION_SHADES
    assert z[0, 0] == shades - 1 and z[0, 1] == 0 and z[0, 2] == 2 * shades + shades - 1
    assert shades <= z[1, 0] < 2 * shades - 1
    assert set(charts.class_regions(p, discrete=True)["z"].ravel() % shades) == {shades - 1}


def test_the_boundary_of_three_classes_is_one_compact_heatmap_with_class_colours():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), (100, 100))
    pts = rng.uniform(-6, 6, (300, 2)).astype(np.float32)
    labels = rng.integers(0, 3, 300).astype(np.float32)
    fig = charts.boundary_figure(np.linspace(-6, 6, 100), p, pts, labels, pts, labels)
    heatmap = fig.data[0]
    assert heatmap.z.dtype == np.uint8 and heatmap.colorbar.ticktext == ("0", "1", "2")
    colours = {t.marker.color for t in fig.data if t.name and t.name.startswith("train ·")}
    assert colours == set(theme.MULTI_CLASS_COLOURS[:3])
    assert len(fig.to_json()) < 40_000


def test_a_multiclass_network_on_the_wall_shows_its_regions_in_class_colours():
    p = np.zeros((100, 100, 3))
    p[:, :50, 0] = 1
    p[:, 50:, 2] = 1
    thumb = share.boundary_thumbnail(p)
    assert thumb.shape == (64, 64, 3)
    left, right = thumb[32, 5], thumb[32, 60]
    assert left[0] > left[2] and right[2] > right[0]  # orange on the left, green on the right


def test_the_keras_program_trains_the_same_multiclass_network(tmp_path):
    s = replace(PlaygroundSettings(), data="spirals", classes=5, layers=(8,), activations=("relu",))
    program = code.playground_program(s, epochs=2)
    assert 'Dense(5, activation="softmax")' in program
    assert 'loss="sparse_categorical_crossentropy"' in program and "classes=5" in program
    out = run_program(program, tmp_path)
    assert "Epoch 2/2" in out and out.strip().splitlines()[-1].startswith("final val_accuracy")
