import math

import numpy as np
import pytest
from sane_charts import assert_sane

from dlviz.descent import engine as descent
from dlviz.descent import line_fit

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
    from dlviz.descent import code as descent_code

    c = descent.curve(key)
    program = descent_code.descent_loop_program(c, c.start, 0.05, 40)
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


# --- the race: each surface's defaults show what its caption says ------------------------------------------


def race(key: str, learning_rate: float | None = None, steps: int | None = None) -> dict[str, np.ndarray]:
    """Every optimizer's path on a surface, at its own learning rate and steps unless told otherwise."""
    s = descent.SURFACES[key]
    lr, n = learning_rate or s.learning_rate, steps or s.steps
    return {o: descent.keras_path_2d(s, s.start, o, lr, n) for o in descent.OPTIMIZERS}


def turns(values: np.ndarray, visible: float) -> int:
    """How often a coordinate's steps change direction, counting only steps longer than ``visible``."""
    d = np.diff(values)
    big = np.abs(d) > visible
    return int(np.sum((np.sign(d[1:]) != np.sign(d[:-1])) & big[1:] & big[:-1]))


def far(key: str, paths: dict[str, np.ndarray]) -> dict[str, float]:
    s = descent.SURFACES[key]
    return {o: s.distance_to_minimum(p[-1]) for o, p in paths.items()}


@pytest.mark.parametrize("key", list(descent.SURFACES))
def test_at_its_defaults_nobody_runs_off_or_leaves_the_map(key):
    s = descent.SURFACES[key]
    (x0, x1), (y0, y1) = s.domain
    for optimizer, path in race(key).items():
        assert len(path) == s.steps + 1, optimizer  # stopped early: ran off
        assert np.all((path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)), optimizer


def test_bowl_plain_descent_zigzags_and_crawls_while_the_others_get_closer():
    s = descent.SURFACES["bowl"]
    paths, height = race("bowl"), s.domain[1][1] - s.domain[1][0]
    gd, momentum = paths["gd"], paths["momentum"]
    assert turns(gd[:, 1], 0.01 * height) >= 15  # wall to wall, visibly, again and again
    assert turns(gd[:, 0], 0.01 * height) == 0 and gd[-1, 0] < -0.3  # ...and crawls along x, still short of 0
    distance = far("bowl", paths)
    for other in ("momentum", "rmsprop", "adam"):
        assert distance[other] < distance["gd"] / 3, (other, distance)
    assert np.sum(np.abs(momentum[:, 1]) > 0.25) > np.sum(np.abs(gd[:, 1]) > 0.25)  # swings across for longer
    assert momentum[:, 0].max() > 1.0  # overshoots the middle and swings back
    for adaptive in ("rmsprop", "adam"):  # the steep walls stop mattering: no zig-zag
        assert turns(paths[adaptive][:, 1], 0.01 * height) <= 3, adaptive


def test_rosenbrock_momentum_follows_the_curved_floor_and_the_others_are_too_slow():
    distance = far("rosenbrock", race("rosenbrock"))
    assert distance["momentum"] < 0.05
    assert distance["gd"] > 1.0  # crawling
    assert distance["rmsprop"] > 1.0 and distance["adam"] > 1.0  # steps of about the learning rate: too short


def test_rosenbrock_at_0_2_adam_gets_there_and_plain_descent_and_momentum_run_off():
    s = descent.SURFACES["rosenbrock"]
    paths = race("rosenbrock", learning_rate=0.2)  # the caption's suggestion
    assert s.distance_to_minimum(paths["adam"][-1]) < 0.1
    assert len(paths["gd"]) < s.steps + 1 and len(paths["momentum"]) < s.steps + 1


def test_saddle_plain_descent_lingers_momentum_arrives_first_adaptive_ones_turn_off_early():
    paths = race("saddle")
    near_saddle = {o: int(np.sum(np.hypot(p[:, 0], p[:, 1]) < 0.5)) for o, p in paths.items()}
    assert near_saddle["gd"] >= 8 and near_saddle["momentum"] <= near_saddle["gd"] / 2
    assert abs(paths["gd"][-1, 1]) > 1.0  # but it does slide off towards a valley
    distance = far("saddle", paths)
    assert distance["momentum"] == min(distance.values()) and distance["momentum"] < 0.05
    for adaptive in ("rmsprop", "adam"):
        assert np.min(np.hypot(paths[adaptive][:, 0], paths[adaptive][:, 1])) > 1.5, adaptive  # well clear


def test_two_minima_momentum_rolls_over_into_the_lower_valley_but_not_at_0_05():
    s = descent.SURFACES["two_minima"]
    (left, _), (right, _) = s.minima
    assert s.f(left, 0.0) < s.f(right, 0.0)  # the left one is lower
    paths = race("two_minima")
    for settled in ("gd", "rmsprop", "adam"):
        assert np.hypot(paths[settled][-1, 0] - right, paths[settled][-1, 1]) < 0.2, settled
    assert np.hypot(paths["momentum"][-1, 0] - left, paths["momentum"][-1, 1]) < 0.05
    assert race("two_minima", learning_rate=0.05)["momentum"][-1, 0] > 0  # "not at every learning rate: try 0.05"


def test_a_surfaces_own_learning_rate_and_steps_stay_out_of_the_link():
    from dlviz.core import settings

    own = descent.DescentSettings(surface="rosenbrock")
    assert (own.race_lr, own.race_steps) == (0.0015, 500)
    assert settings.to_query(own.race_as_chosen(0.0015, 500)) == {"surface": "rosenbrock"}
    chosen = own.race_as_chosen(0.19, 60)  # the bowl's values, named on the Rosenbrock surface
    assert settings.to_query(chosen) == {"surface": "rosenbrock", "lr2": "0.19", "steps2": "60"}
    back, problems = settings.from_query(descent.DescentSettings, settings.to_query(chosen))
    assert not problems and (back.race_lr, back.race_steps) == (0.19, 60)


# --- does Keras take the loop's steps? ---------------------------------------------------------------------


def test_keras_takes_the_same_steps_on_a_calm_path():
    hand, keras = descent.hand_path(COURSE, 0.0, 0.1, 30), descent.keras_path(COURSE, 0.0, "gd", 0.1, 30)
    a = descent.agreement(hand, keras)
    assert a.same and a.agree_for == a.steps == 30
    text = descent.agreement_text(a, 0.1)
    assert "takes the same steps: the largest relative difference over 30 steps" in text
    assert "0.1 becomes 0.1 + 1.5e-09" in text and "drifts" not in text


def test_on_a_chaotic_path_keras_agrees_for_a_while_then_drifts_because_of_its_32_bit_learning_rate():
    c = descent.TWO_VALLEYS
    hand, keras = descent.hand_path(c, 0.0, 0.4, 30), descent.keras_path(c, 0.0, "gd", 0.4, 30)
    a = descent.agreement(hand, keras)
    assert not a.same and 0 < a.agree_for < a.steps
    gaps = np.abs(keras.x - hand.x) / np.maximum(1, np.abs(hand.x))
    assert np.all(gaps[: a.agree_for + 1] <= descent.SAME_STEPS) and gaps[a.agree_for + 1] > descent.SAME_STEPS
    text = descent.agreement_text(a, 0.4)
    assert f"the first {a.agree_for} steps, then drifts apart" in text and "0.4 becomes 0.4 + 6.0e-09," in text
    # The reason: the same loop with Keras's float32 learning rate takes Keras's steps.
    f32 = descent.hand_path(c, 0.0, float(np.float32(0.4)), 30)
    assert descent.agreement(f32, keras).largest < 1e-9  # (float64 rounding, amplified too: ~4e-11)


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


# --- what the figures draw: never a huge or non-finite coordinate ------------------------------------------


def test_a_path_is_clipped_where_it_leaves_the_view_and_resumes_where_it_comes_back():
    from dlviz.descent import figures as descent_figures

    box = (0.0, 10.0, 0.0, 10.0)
    xs, ys = descent_figures._clipped_polyline(
        [1, 5, 1e7, 5, 3], [1, 5, 5, 8, 3], box
    )  # out on the right, back higher up
    assert xs == [1, 5, 10, None, 10, 5, 3]  # a gap (None) where it was off the chart, not a chord across it
    assert ys[:4] == [1, 5, 5, None] and ys[4:] == pytest.approx([8, 8, 3], abs=1e-5)
    xs, ys = descent_figures._clipped_polyline(
        [1, 2, 4e12, np.inf], [1, 2, 4e12, 1], box
    )  # diverging: ends on the edge
    assert list(xs) == [1, 2, 10] and list(ys) == pytest.approx([1, 2, 10])
    inside = descent_figures._clipped_polyline(np.array([1.0, 2.0]), np.array([3.0, 4.0]), box)
    assert inside[0].dtype == np.float32 and list(inside[0]) == [1, 2]


@pytest.mark.parametrize("curve, lr", [("parabola", 2.0), ("two_valleys", 0.6), ("two_valleys", 0.4)])
def test_the_descent_figure_of_a_diverging_path_has_only_sane_numbers(curve, lr):
    from dlviz.descent import figures as descent_figures

    c = descent.curve(curve)
    path = descent.hand_path(c, 0.0, lr, 200)
    assert path.diverged and np.max(np.abs(path.x)) > 1e6  # the case in question
    grid = np.linspace(*c.domain, 400)
    for step in (path.steps, path.steps // 2):
        fig = descent_figures.descent_figure(grid, c.f(grid), path.x, path.y, step, c.df, animate=True)
        assert len(fig.frames) == path.steps + 1
        assert_sane(fig.to_json())
    assert len(fig.data[1].x) >= 2  # the path is drawn, up to where it leaves the chart


def test_the_race_figure_of_a_runaway_has_only_sane_numbers():
    from dlviz.descent import figures as descent_figures

    s = descent.SURFACES["rosenbrock"]
    paths = {o: descent.keras_path_2d(s, s.start, o, 1.0, 100) for o in descent.OPTIMIZERS}
    assert np.max(np.abs(paths["gd"])) > 1e6
    xs, ys = np.linspace(-2, 2, 50), np.linspace(-1, 3, 50)
    fig = descent_figures.race_figure(xs, ys, s.f(*np.meshgrid(xs, ys)), paths, 100, log_contours=True, minima=s.minima)
    assert_sane(fig.to_json())
    assert [t.name for t in fig.data if getattr(t, "mode", None) == "lines"] == list(descent.OPTIMIZERS)
    assert fig.data[-1].name == "minimum" and list(fig.data[-1].x) == [1.0]


def test_a_diverged_neurons_line_stays_on_the_chart():
    from dlviz.descent import figures as descent_figures

    fig = descent_figures.line_fit_figure([0, 10], [0, 13], 3e30, -1e30, x_range=(0, 12), asks={12.0: 3.6e31})
    assert_sane(fig.to_json())
    line = fig.data[1]
    assert max(line.y) <= 13 * 3 and min(line.y) >= -13 * 2  # clipped near the chart's range


# --- the learning-rate strip -------------------------------------------------------------------------------


@pytest.mark.parametrize("projector", [False, True])
def test_the_strip_names_its_regions_in_a_legend_and_staggers_the_threshold_labels(projector):
    from dlviz.descent import figures as descent_figures

    fig = descent_figures.learning_rate_strip(0.1, 0.25, 0.5, projector=projector)
    assert [t.name for t in fig.data if t.showlegend is not False] == ["slow", "overshoots", "diverges"]
    assert fig.layout.legend.orientation == "h"  # plotly wraps a horizontal legend on a narrow screen
    half, whole = fig.layout.annotations
    assert (half.text, whole.text) == ("1/(2a) = 0.25", "1/a = 0.5")
    assert half.yshift > whole.yshift >= 0  # each on its own row...
    assert half.yshift - whole.yshift >= fig.layout.font.size  # ...a whole line apart
    assert fig.layout.margin.t >= half.yshift + fig.layout.font.size  # with room above for the upper row
    for label, value in ((half, 0.25), (whole, 0.5)):  # each starts or ends at its own dashed line
        assert label.x == pytest.approx(np.log10(value)) and (label.xanchor == "left") == (label.xshift > 0)
    assert (half.xanchor, whole.xanchor) == ("right", "left")  # leaning away from each other, even on a phone
    assert_sane(fig.to_json())


def test_a_threshold_label_leaning_towards_the_other_line_sits_above_its_top():
    from dlviz.descent import figures as descent_figures

    fig = descent_figures.learning_rate_strip(0.1, 0.5, 1.0)  # a = 1: "1/a = 1" has no room on its right on a phone
    (half, whole), (half_line, whole_line) = fig.layout.annotations, fig.layout.shapes[-2:]
    assert (half.xanchor, whole.xanchor) == ("right", "right")
    assert whole.yshift > half.yshift and whole_line.y1 > half_line.y1  # it passes over 1/(2a)'s line, not through
    assert (
        half.text == "1/(2a) = 0.5"
        and descent_figures.learning_rate_strip(0.1, 1 / 6, 1 / 3).layout.annotations[0].text == "1/(2a) = 0.167"
    )


def test_the_strip_keeps_threshold_labels_on_the_chart_near_its_ends():
    from dlviz.descent import figures as descent_figures

    near_end = descent_figures.learning_rate_strip(0.1, 1.0, 2.0)  # a = 0.5: 1/a at the right end
    assert [a.xanchor for a in near_end.layout.annotations] == ["right", "right"]
    off = descent_figures.learning_rate_strip(0.1, 5.0, 10.0)  # a = 0.1: both thresholds beyond the axis
    assert not off.layout.annotations and [t.name for t in off.data if t.showlegend is not False] == ["slow"]


def test_the_scaled_neurons_line_is_the_same_line_in_the_users_units():
    data = line_fit.make_data("houses", scale=True)
    w, b = 3.0, -1.0
    slope, intercept = data.line_in_x(w, b)
    x = np.array([data.low, data.high, 7.3])
    np.testing.assert_allclose(slope * x + intercept, w * data.model_input(x) + b)


def test_the_line_charts_range_covers_the_data_zero_and_every_ask():
    data = line_fit.make_data("line")
    lo, hi = data.x_range([25.0])
    assert lo < 0 < data.x.max() < 25.0 < hi


def test_chartable_losses_leave_run_away_values_as_gaps():
    values = descent.chartable([1.0, 1e20, 1e40, np.inf, np.nan])
    assert values[:2] == [1.0, 1e20] and all(np.isnan(values[2:]))


def test_distances_name_who_ran_off_and_round_the_rest():
    surface = descent.SURFACES[next(iter(descent.SURFACES))]
    near = np.array([surface.minima[0]] * 11)
    far = np.array([[surface.minima[0][0] + 3.0, surface.minima[0][1] + 4.0]] * 11)
    text, ran_off = descent.distances_text(surface, {"A": near, "B": far, "C": near[:4]}, step=10, steps=10)
    assert ran_off == ["C"]
    assert text.startswith("A < 0.01 · B ") and "C" not in text
