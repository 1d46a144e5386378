"""The Overfitting page's library: data, the two networks, early stopping, and what the course promises."""

import ast

import numpy as np
import pytest
import tensorflow as tf
from programs import run_program
from tensorflow import keras

from dlviz.core.settings import replace
from dlviz.overfitting import code as overfitting_code
from dlviz.overfitting import engine as of
from dlviz.overfitting.engine import OverfitRace, OverfittingSettings

DEFAULT = OverfittingSettings()


@pytest.fixture(scope="module")
def default_race() -> OverfitRace:
    """The default preset trained to its epoch budget (fixed seed)."""
    race = OverfitRace(DEFAULT)
    race.train(DEFAULT.epochs)
    return race


def val_loss_now(run: of.Contestant, split) -> float:
    """The validation loss of the run's current weights, computed as the trainer computes it."""
    model = run.model
    pred = model(split.x_val, training=False)
    loss = keras.losses.get(model.loss)(np.reshape(split.y_val, (-1, 1)), pred)
    return float(tf.reduce_mean(loss) + (tf.add_n(model.losses) if model.losses else 0.0))


def test_the_baseline_overfits_and_the_regularized_copy_keeps_a_smaller_gap(default_race):
    base, reg = default_race.baseline, default_race.regularized
    val = np.asarray(base.history.val_loss)
    assert base.epoch == DEFAULT.epochs
    assert val[-1] > 2 * val.min()  # the validation loss climbs well above its own minimum
    assert base.history.loss[-1] < 0.5 * base.history.loss[0]  # while the training loss keeps falling
    assert base.gap > 2 * reg.gap > 0


def test_early_stopping_stops_before_the_budget_and_restores_the_best_epoch(default_race):
    reg = default_race.regularized
    best = int(np.argmin(reg.history.val_loss)) + 1
    assert reg.stopped_epoch is not None and reg.stopped_epoch < DEFAULT.epochs
    assert reg.epoch == reg.stopped_epoch == best + DEFAULT.patience  # Keras's patience semantics
    assert reg.restored_epoch == best == reg.best_epoch
    assert val_loss_now(reg, default_race.split) == pytest.approx(reg.history.val_loss[best - 1], rel=1e-5)
    assert not np.isclose(reg.history.val_loss[-1], reg.history.val_loss[best - 1])  # it did restore something


def test_without_restore_the_last_weights_stay():
    s = replace(DEFAULT, restore_best=False, patience=10, epochs=200)
    race = OverfitRace(s)
    race.train(s.epochs)
    reg = race.regularized
    assert reg.stopped_epoch is not None and reg.restored_epoch is None
    assert val_loss_now(reg, race.split) == pytest.approx(reg.history.val_loss[-1], rel=1e-5)


def test_a_budget_reached_without_a_stop_ends_training_as_fit_does():
    s = replace(DEFAULT, epochs=30, patience=500)
    race = OverfitRace(s)
    race.train(100)
    assert race.finished and race.epoch == 30 and race.regularized.stopped_epoch is None
    assert race.regularized.restored_epoch == race.regularized.best_epoch  # restore_best_weights at train end
    race.adopt(replace(s, epochs=40))  # a larger budget: both train on
    race.train(100)
    assert race.baseline.epoch == race.regularized.epoch == 40


def test_both_networks_start_from_the_same_weights():
    race = OverfitRace(replace(DEFAULT, batchnorm=True, l2=0.001))
    base, reg = (of.dense_layers(r.model) for r in race.runs.values())
    assert len(base) == len(reg) == DEFAULT.depth + 1
    for a, b in zip(base, reg, strict=True):
        for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
            np.testing.assert_array_equal(wa, wb)


def test_dropout_is_active_only_in_training():
    model = of.build_network(replace(DEFAULT, dropout=0.5), regularized=True)
    x = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
    np.testing.assert_array_equal(model(x, training=False), model(x, training=False))
    assert not np.allclose(model(x, training=True), model(x, training=True))


def test_the_regularized_copy_has_the_layers_the_settings_ask_for():
    s = replace(DEFAULT, depth=2, width=8, dropout=0.25, l2=0.01, batchnorm=True)
    kinds = [type(layer).__name__ for layer in of.build_network(s, regularized=True).layers]
    assert kinds == ["Dense", "BatchNormalization", "Dropout"] * 2 + ["Dense"]
    dense = of.dense_layers(of.build_network(s, regularized=True))
    assert all(isinstance(d.kernel_regularizer, keras.regularizers.L2) for d in dense)
    plain = of.build_network(s, regularized=False)
    assert [type(layer).__name__ for layer in plain.layers] == ["Dense"] * 3
    assert plain.count_params() == of.parameter_count(s)


def test_wider_equivalent_has_about_as_many_weights():
    s = replace(DEFAULT, width=64, depth=3)
    wide = replace(s, width=of.equally_big_single_layer(s), depth=1)
    assert abs(of.parameter_count(wide) - of.parameter_count(s)) <= 4


@pytest.mark.parametrize("task", list(of.TASKS))
def test_data_is_few_training_points_and_many_validation_points(task):
    s = replace(DEFAULT, task=task, train_points=30, noise=20)
    split = of.make_split(s)
    assert len(split.x_train) == 30 and len(split.x_val) == of.N_VAL
    assert split.regression == (task == "curve")
    assert split.x_train.shape[1] == (1 if task == "curve" else 2)
    again = of.make_split(s)
    np.testing.assert_array_equal(split.x_train, again.x_train)
    assert not np.array_equal(split.x_train, of.make_split(replace(s, seed=1)).x_train)


def test_label_noise_flips_about_that_share_of_labels():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 10_000).astype(np.float32)
    flipped = of.with_label_noise(labels, 0.2, rng)
    assert set(np.unique(flipped)) <= {0.0, 1.0}
    assert np.mean(flipped != labels) == pytest.approx(0.2, abs=0.02)


def test_dropout_masks_drop_about_the_rate_and_change_every_step():
    race = OverfitRace(replace(DEFAULT, width=128, depth=2, dropout=0.5, early_stopping=False))
    first, second = race.dropout_masks(), race.dropout_masks()
    assert [m.shape for m in first] == [(128,), (128,)]
    assert 0.35 < np.mean(np.concatenate(first)) < 0.65
    assert not np.array_equal(first[0], second[0])
    assert OverfitRace(replace(DEFAULT, dropout=0.0)).dropout_masks() is None


def test_a_diverging_run_stops_and_the_other_goes_on():
    race = OverfitRace(replace(DEFAULT, early_stopping=False, epochs=20))
    race.baseline.trainer.diverged = True
    race.train(5)
    assert race.baseline.epoch == 0 and race.regularized.epoch == 5
    race.train(50)
    assert race.finished


def test_program_is_valid_and_follows_the_settings():
    s = replace(DEFAULT, l2=0.001, batchnorm=True, patience=7)
    program = overfitting_code.overfitting_program(s)
    ast.parse(program)
    assert "from tensorflow import keras" in program and "dlviz" not in program
    assert "keras.layers.Dropout(0.4)" in program and "keras.layers.BatchNormalization()" in program
    assert "kernel_regularizer=keras.regularizers.L2(0.001)" in program
    assert "keras.callbacks.EarlyStopping(" in program and "patience=7" in program
    plain = overfitting_code.overfitting_program(replace(s, dropout=0.0, l2=0.0, batchnorm=False, early_stopping=False))
    assert "Dropout" not in plain and "EarlyStopping" not in plain and "no regularizer yet" in plain
    assert 'loss="mse"' in overfitting_code.overfitting_program(replace(s, task="curve"))


@pytest.mark.parametrize("task", ["moons", "curve"])
def test_program_runs_both_networks(task, tmp_path):
    out = run_program(
        overfitting_code.overfitting_program(replace(DEFAULT, task=task, batchnorm=True), epochs=3), tmp_path
    )
    lines = out.strip().splitlines()
    assert lines[0].startswith("baseline: 3 epochs") and lines[1].startswith("regularized: 3 epochs")


def test_both_loss_charts_share_ranges_that_fit_either_run():
    race = OverfitRace(replace(DEFAULT, epochs=30))
    assert race.loss_ranges() == ((0.0, 30.0), (0.0, 1.0))  # nothing trained: a loss of 0 to 1
    assert race.train(10) == 10
    (x0, x1), (y0, y1) = race.loss_ranges()
    highest = max(max(r.history.loss + r.history.val_loss) for r in race.runs.values())
    assert (x0, x1) == (0.0, 30.0) and y0 == 0.0 and highest < y1 <= highest * 1.1
    race.baseline.history.val_loss.append(float("inf"))  # a diverged epoch does not blow the axis up
    assert race.loss_ranges()[1] == (0.0, y1)


@pytest.mark.parametrize("changes", [{}, {"task": "curve", "batchnorm": True, "dropout": 0.0}, {"l2": 0.0}])
def test_exported_program_starts_from_the_pages_weights_and_data(changes):
    s = replace(DEFAULT, **changes)
    race = of.OverfitRace(s)
    program = overfitting_code.overfitting_program(s).split("for name, model, callbacks in")[0]
    scope: dict = {}
    exec(compile(program, "exported", "exec"), scope)
    for ours, theirs in [(race.baseline.model, scope["baseline"]), (race.regularized.model, scope["regularized"])]:
        assert [type(layer).__name__ for layer in ours.layers] == [type(layer).__name__ for layer in theirs.layers]
        for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    split = of.make_split(s)
    np.testing.assert_array_equal(scope["x_train"], split.x_train)
    np.testing.assert_array_equal(scope["y_val"], split.y_val)
