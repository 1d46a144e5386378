"""The Gradient-descent page's neuron: data, loss surface, training and its exported program."""

import re

import numpy as np
import pytest
from programs import run_program

from dlviz.descent import code as descent_code
from dlviz.descent import line_fit


def test_the_courses_house_prices_and_line():
    houses = line_fit.make_data("houses")
    assert list(houses.x) == [0.2, 1, 2, 3, 5, 7, 9, 10] and list(houses.y) == [0.2, 1.8, 4, 7, 11, 12, 14, 13]
    assert houses.asks == (8.0, 12.0) and not houses.scaled
    line = line_fit.make_data("line")
    np.testing.assert_array_equal(line.y, 2 * np.arange(1, 12) + 1)


def test_min_max_scaling_maps_the_inputs_onto_zero_to_one():
    data = line_fit.make_data("houses", scale=True)
    scaled = data.model_input(data.x)
    assert scaled.min() == 0 and scaled.max() == 1 and data.scaled


def test_noisy_line_follows_slope_and_noise():
    flat = line_fit.make_data("noisy", slope=-3.0, noise=0.0)
    np.testing.assert_allclose(flat.y, -3 * flat.x + 1)
    noisy = line_fit.make_data("noisy", slope=-3.0, noise=2.0)
    assert np.std(noisy.y - (-3 * noisy.x + 1)) > 1


@pytest.mark.parametrize("loss", list(line_fit.LOSSES))
def test_loss_surface_is_keras_loss_and_lowest_near_the_best_fit(loss):
    data = line_fit.make_data("houses")
    w, b = line_fit.best_fit(data)
    ws, bs = np.linspace(w - 1, w + 1, 41), np.linspace(b - 2, b + 2, 41)
    values = line_fit.loss_surface(data, loss, ws, bs)
    model = line_fit.build_model(loss, 0.01)
    model.layers[0].set_weights([np.array([[ws[3]]]), np.array([bs[7]])])
    assert values[7, 3] == pytest.approx(model.evaluate(data.x[:, None], data.y, verbose=0), rel=1e-5)
    low_row, low_col = np.unravel_index(np.argmin(values), values.shape)
    if loss == "mse":
        assert (low_row, low_col) == (20, 20)  # the least-squares fit is the grid's centre


def test_the_neuron_learns_the_line_and_records_each_step():
    run = line_fit.LineRun("line", 2, 0, True, "mse", 0.5)
    assert run.train(300) == 300 and len(run.weights) == 301
    slope_x, intercept = run.weights[-1][0] / (run.data.high - run.data.low), run.predict(0.0)
    assert slope_x == pytest.approx(2, abs=0.01) and intercept == pytest.approx(1, abs=0.05)
    assert run.predict(20.0) == pytest.approx(41, abs=0.2)


def test_a_huge_learning_rate_on_raw_sizes_diverges_and_stops():
    run = line_fit.LineRun("houses", 2, 1, False, "mse", 1.0)
    ran = run.train(500)
    assert run.diverged and ran < 500


def test_learning_rate_changes_keep_the_weights():
    run = line_fit.LineRun("houses", 2, 1, False, "mse", 0.01)
    run.train(5)
    before = run.weights[-1]
    run.set_learning_rate(0.02)
    assert run.trainer.learning_rate == pytest.approx(0.02) and run.weights[-1] == before


@pytest.mark.parametrize("kind, scale, loss, lr", [("houses", False, "mse", 0.01), ("noisy", True, "huber", 0.1)])
def test_exported_program_runs_and_lands_on_the_pages_weights(kind, scale, loss, lr, tmp_path):
    data = line_fit.make_data(kind, 2.0, 1.0, scale)
    program = descent_code.line_fit_program(data, kind, 2.0, 1.0, loss, lr, 60)
    assert "from tensorflow import keras" in program and "keras.layers.Dense(1)" in program
    out = run_program(program, tmp_path)
    w, b = (float(v) for v in re.search(r"w = (\S+)\s+b = (\S+)", out).groups())
    run = line_fit.LineRun(kind, 2.0, 1.0, scale, loss, lr)
    run.train(60)
    assert (w, b) == pytest.approx(run.weights[-1], abs=1e-4)
    assert f"{data.asks[0]:g} ->" in out


def test_the_loss_map_grows_to_keep_the_walk_in_view_but_not_a_diverging_one():
    run = line_fit.LineRun("houses", 2, 1, True, "mse", 0.5)
    ws, bs, _ = run.surface()
    assert ws[0] <= run.weights[0][0] <= ws[-1] and ws[0] <= run.best[0] <= ws[-1]
    run.train(30)
    ws, bs, values = run.surface()
    path = np.asarray(run.weights)
    assert np.all((path[:, 0] >= ws[0]) & (path[:, 0] <= ws[-1]) & (path[:, 1] >= bs[0]) & (path[:, 1] <= bs[-1]))
    assert values.shape == (len(bs), len(ws))
    wild = line_fit.LineRun("houses", 2, 1, False, "mse", 1.0)
    wild.train(100)
    ws, bs, _ = wild.surface()
    assert wild.diverged and ws[-1] - ws[0] < 1000


@pytest.mark.parametrize("loss", list(line_fit.LOSSES))
def test_the_loss_shown_is_the_loss_of_the_weights_shown(loss):
    run = line_fit.LineRun("houses", 2, 1, False, loss, 0.01)
    x, y = run.data.model_input(run.data.x)[:, None], run.data.y
    assert run.current_loss() == pytest.approx(run.model.evaluate(x, y, verbose=0), rel=1e-5)  # before training
    run.train(1)
    after = run.model.evaluate(x, y, verbose=0)  # Keras's own loss for the weights the page shows now
    assert run.current_loss() == pytest.approx(after, rel=1e-5)
    assert run.end_losses() == pytest.approx([run.history.loss[0], after], rel=1e-5)
    # Keras's history is the loss met during the epoch, before its update: the loss of the previous weights.
    assert run.history.loss[-1] == pytest.approx(run.end_losses()[0], rel=1e-5)
    if loss == "mse":
        assert run.history.loss[-1] > 5 * run.current_loss()  # the walk-through's 81.6 against about 10.6
    run.train(3)
    assert len(run.end_losses()) == 5 and run.current_loss() == pytest.approx(
        run.model.evaluate(x, y, verbose=0), rel=1e-5
    )


def test_a_diverged_neurons_loss_is_not_a_crash():
    run = line_fit.LineRun("houses", 2, 1, False, "mse", 1.0)
    run.train(500)
    assert run.diverged and len(run.end_losses()) == len(run.weights)
    assert not np.isfinite(run.current_loss()) or run.current_loss() > 1e6
