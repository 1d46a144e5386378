import math

import numpy as np
import pytest

from dlviz import descent

COURSE = descent.parabola()  # y = 2(x - 5)^2 + 3


@pytest.mark.parametrize("x0", [0.0, 10.0])
def test_the_courses_check_lands_on_five(x0):
    path = descent.hand_path(COURSE, x0, 0.1, 1000)
    assert abs(path.x[-1] - 5) < 1e-9 and not path.diverged
    assert path.steps == 1000


def test_thresholds_for_the_courses_parabola():
    assert descent.thresholds(2.0) == (0.25, 0.5)


@pytest.mark.parametrize(
    "lr, key", [(0.01, "slow"), (0.25, "optimal"), (0.4, "oscillating"), (0.5, "stuck"), (0.6, "diverging")]
)
def test_regimes_match_what_the_loop_does(lr, key):
    assert descent.regime(lr, 2.0).key == key
    path = descent.hand_path(COURSE, 0.0, lr, 60)
    err = path.x - 5
    if key == "slow":
        assert np.all(err[:-1] < 0) and np.all(np.diff(np.abs(err)) < 0)  # never overshoots
    elif key == "optimal":
        assert abs(path.x[1] - 5) < 1e-12
    elif key == "oscillating":
        assert np.all(np.sign(err[1:6]) != np.sign(err[:5])) and abs(err[-1]) < 1e-3
    elif key == "stuck":
        np.testing.assert_allclose(np.abs(err), 5.0)
    else:
        assert path.diverged or abs(err[-1]) > 1e6 or abs(err[-1]) > abs(err[0]) * 100


def test_divergence_stops_the_path_without_overflow_errors():
    path = descent.hand_path(COURSE, 0.0, 2.0, 10_000)
    assert path.diverged and path.steps < 100
    assert np.all(np.isfinite(path.x))


def test_keras_sgd_agrees_with_the_hand_written_loop():
    hand = descent.hand_path(COURSE, 0.0, 0.1, 30)
    keras = descent.keras_path(COURSE, 0.0, "gd", 0.1, 30)
    np.testing.assert_allclose(keras.x, hand.x, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam"])
def test_other_optimizers_reach_the_minimum(optimizer):
    path = descent.keras_path(COURSE, 0.0, optimizer, 0.1 if optimizer != "momentum" else 0.02, 400)
    assert abs(path.x[-1] - 5) < 0.05


def test_plain_descent_gets_stuck_in_the_local_valley_and_momentum_escapes():
    c = descent.TWO_VALLEYS
    plain = descent.hand_path(c, c.start, 0.01, 500)
    assert plain.x[-1] > 0.5  # the local minimum near x = 1.13
    global_min = -1.30
    fast = descent.keras_path(c, c.start, "momentum", 0.01, 500, beta=0.95)
    assert abs(fast.x[-1] - global_min) < 0.1


def test_plateau_slows_plain_descent():
    c = descent.PLATEAU
    path = descent.hand_path(c, c.start, 0.05, 200)
    assert math.isfinite(path.y[-1])
    steps_on_plateau = np.sum(np.abs(np.diff(path.x)) < 0.01)
    assert steps_on_plateau > 10


@pytest.mark.parametrize("key", ["parabola", "two_valleys", "plateau"])
def test_printed_loop_runs_and_agrees_with_the_page(key, capsys):
    from dlviz import codegen

    c = descent.curve(key)
    program = codegen.descent_loop_program(c, c.start, 0.05, 40)
    exec(compile(program, "loop", "exec"), {})
    printed = capsys.readouterr().out
    x = float(printed.split("x =")[1].split()[0])
    assert x == pytest.approx(descent.hand_path(c, c.start, 0.05, 40).x[-1], rel=1e-9)


def test_derivatives_match_the_functions():
    for key in ("parabola", "two_valleys", "plateau"):
        c = descent.curve(key)
        xs = np.linspace(*c.domain, 50)
        numeric = (c.f(xs + 1e-6) - c.f(xs - 1e-6)) / 2e-6
        np.testing.assert_allclose(c.df(xs), numeric, rtol=1e-4, atol=1e-4)


def test_plain_descent_zigzags_in_the_elongated_bowl_and_momentum_gets_further():
    bowl = descent.SURFACES["bowl"]
    plain = descent.keras_path_2d(bowl, bowl.start, "gd", 0.09, 40)
    y_signs = np.sign(plain[1:12, 1])
    assert np.any(y_signs[1:] != y_signs[:-1])  # y flips side: a zig-zag
    slow = descent.keras_path_2d(bowl, bowl.start, "gd", 0.01, 40)  # no zig-zag, but a crawl along x
    fast = descent.keras_path_2d(bowl, bowl.start, "momentum", 0.01, 40)
    assert np.hypot(*fast[-1]) < np.hypot(*slow[-1]) / 2


@pytest.mark.parametrize("key", list(descent.SURFACES))
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
def test_every_optimizer_runs_on_every_surface(key, optimizer):
    s = descent.SURFACES[key]
    path = descent.keras_path_2d(s, s.start, optimizer, 0.0005 if key == "rosenbrock" else 0.01, 30)
    assert path.shape[1] == 2 and len(path) >= 2 and np.all(np.isfinite(path))
    assert s.f(*path[-1]) <= s.f(*path[0]) + 1e-9


def test_a_huge_step_on_rosenbrock_stops_instead_of_overflowing():
    s = descent.SURFACES["rosenbrock"]
    path = descent.keras_path_2d(s, s.start, "gd", 2.0, 100)
    assert len(path) < 101
