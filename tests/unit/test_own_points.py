"""Points added by hand on the Playground's plane: kept in the settings and the link, within limits."""

import numpy as np

from dlviz.core.settings import from_query, to_query
from dlviz.playground.engine import (
    MAX_ADDED,
    PlaygroundSettings,
    added_points,
    make_split,
    with_point,
    without_point,
)


def test_added_points_round_trip_through_the_link():
    s = PlaygroundSettings()
    for i in range(MAX_ADDED):
        s = with_point(s, -5.95 + i * 0.2, 5.95 - i * 0.2, i % 2)
    query = to_query(s)
    assert len(query["added"]) <= 13 * MAX_ADDED
    back, problems = from_query(PlaygroundSettings, query)
    assert not problems and back == s
    points, labels = added_points(back)
    assert points.shape == (MAX_ADDED, 2) and np.allclose(points[0], [-6.0, 6.0], atol=0.051)
    assert list(labels[:4]) == [0, 1, 0, 1]


def test_beyond_the_limit_the_oldest_point_goes():
    s = PlaygroundSettings()
    for i in range(MAX_ADDED + 3):
        s = with_point(s, i / 20, 0, 0)
    assert len(s.added) == 3 * MAX_ADDED and s.added[0] == 2 * 0 + round(3 / 20 * 10)


def test_a_link_beyond_the_limits_falls_back_with_a_notice():
    too_many = ",".join(["10,10,1"] * (MAX_ADDED + 1))
    s, problems = from_query(PlaygroundSettings, {"added": too_many})
    assert s.added == () and problems and problems[0].startswith("added=")
    off_plane, problems = from_query(PlaygroundSettings, {"added": "10,99,1"})
    assert off_plane.added == () and problems
    garbage, problems = from_query(PlaygroundSettings, {"added": "1,2,<script>"})
    assert garbage.added == () and problems


def test_points_of_classes_the_data_set_lacks_are_dropped_and_regressions_take_none():
    s, _ = from_query(PlaygroundSettings, {"added": "10,10,1,20,20,4,30,30"})
    assert s.added == (10, 10, 1)  # class 4 on a two-class set, and an unfinished triple, go
    five, _ = from_query(PlaygroundSettings, {"data": "blobs", "classes": "5", "added": "10,10,4"})
    assert five.added == (10, 10, 4)
    regression, _ = from_query(PlaygroundSettings, {"data": "bump", "added": "10,10,1"})
    assert regression.added == ()


def test_erasing_takes_the_nearest_added_point_within_reach():
    s = with_point(with_point(PlaygroundSettings(), 1, 1, 0), 3, 3, 1)
    assert without_point(s, 1.2, 0.9).added == (30, 30, 1)
    assert without_point(s, -4, -4) == s  # nothing near: nothing erased


def test_your_own_data_set_is_only_the_points_added_and_is_validated_on_them():
    s = with_point(with_point(PlaygroundSettings(data="own"), 1, 1, 0), -1, -1, 1)
    split = make_split(s)
    assert split.x_train.shape == (2, 2) and np.array_equal(split.x_val, split.x_train)
    generated = make_split(with_point(PlaygroundSettings(points=100), 1, 1, 0))
    assert len(generated.x_train) == 51 and len(generated.x_val) == 50


# --- a weight set by hand ------------------------------------------------------------------------------------


def test_a_weight_set_by_hand_reaches_the_model_and_moves_the_boundary():
    from dlviz.playground.engine import PlaygroundRun

    run = PlaygroundRun(PlaygroundSettings())
    run.train(3)
    before = run.snapshot().output.copy()
    run.set_weight(0, 1, 2, 3.5)  # x2 -> H1.3
    run.set_weight(2, None, 0, -1.25)  # the output's bias
    assert run.weight(0, 1, 2) == 3.5 and run.weight(2, None, 0) == -1.25
    kernel = run.model.layers[0].kernel.numpy()
    assert kernel[1, 2] == 3.5
    assert np.abs(run.snapshot().output - before).max() > 0.01
    run.train(1)  # training goes on from there (the shared compiled epoch copies the edited weights in)
    assert abs(run.weight(0, 1, 2) - 3.5) < 0.5 and run.epoch == 4
