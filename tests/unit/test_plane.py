"""The Playground's plane as canvas data (dlviz.core.plane): the boundary picture and the points."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from dlviz.core import charts, datasets, plane, theme


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def decoded(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")).astype(int)


def test_the_boundary_picture_has_the_largest_x2_on_top_in_the_boundarys_colours():
    axis, _ = datasets.grid(20)
    values = np.zeros((20, 20))
    values[10:] = 1.0  # class 1 where x2 > 0 (rows run from the lowest y)
    image = plane.boundary_image(values)
    assert image.shape == (20, 20, 3) and image.dtype == np.uint8
    sure_one, sure_zero = (
        255 + (rgb(c) - 255) * plane.OPACITY for c in (theme.DIVERGING[-1][1], theme.DIVERGING[0][1])
    )
    assert np.abs(image[0, 0] - sure_one).max() <= 1  # top row: x2 = 6, class 1's blue
    assert np.abs(image[-1, 0] - sure_zero).max() <= 1  # bottom row: class 0's orange
    unsure = plane.boundary_image(np.full((4, 4), np.nan))  # no output yet: the scale's middle
    assert np.abs(unsure[0, 0] - (255 + (rgb(theme.DIVERGING[2][1]) - 255) * plane.OPACITY)).max() <= 1


def test_discrete_regression_and_class_regions_are_drawn_as_the_plotly_boundary_draws_them():
    values = np.array([[0.2, 0.8]])
    discrete = plane.boundary_image(values, discrete=True)
    table = plane.colour_table()
    for col, shade in enumerate(charts.DISCRETE_SHADES):
        expected = 255 + (table[round(shade * 255)] - 255) * plane.OPACITY
        assert np.abs(discrete[0, col] - expected).max() <= 1
    regression = plane.boundary_image(np.array([[-1.0, 1.0]]), regression=True)
    assert np.abs(regression[0, 0] - plane.boundary_image(np.array([[0.0]]))[0, 0]).max() <= 1
    probabilities = np.zeros((2, 2, 3))
    probabilities[..., 2] = 1.0  # every cell sure of class 2
    regions = plane.boundary_image(probabilities)
    surest = 255 + (rgb(theme.class_colours(3)[2]) - 255) * 0.9 * plane.OPACITY
    assert np.abs(regions[0, 0] - surest).max() <= 1
    with pytest.raises(ValueError, match="2-D grid"):
        plane.boundary_image(np.zeros(5))


def test_a_plane_view_is_json_with_its_points_roles_and_colours():
    axis, _ = datasets.grid(10)
    x_train = np.array([[1.0, 2.0], [-3.0, 4.5], [np.nan, 0.0]])
    view = plane.plane_view(axis, np.full((10, 10), 0.5), x_train, np.array([0, 1, 1]),
                            np.array([[0.5, 0.5]]), np.array([1]), clickable=True)  # fmt: skip
    json.dumps(view)  # what the component is sent
    assert view["extent"] == [-6.0, 6.0] and view["clickable"] is True
    red, blue = theme.class_colours(2)
    assert plane.points_of(view) == [[1.0, 2.0, red, 0], [-3.0, 4.5, blue, 0], [0.5, 0.5, blue, 1]]  # no NaN point
    assert view["palette"] == [red, blue] and view["points"][:4] == [100, 200, 0, 0]  # hundredths, an index
    assert view["legend"] == [["training", 0], ["validation", 1]]
    assert decoded(view["image"]).shape == (10, 10, 3)
    assert view["bar"]["title"] == "P(class 1)" and view["bar"]["ticks"][0] == [0.0, "0"]
    assert view["font"] == theme.NORMAL.font
    big = plane.plane_view(axis, np.zeros((10, 10)), None, None, None, None, projector=True)
    assert big["points"] == [] and big["legend"] == [["training", 0]] and big["font"] == theme.PROJECTOR.font


def test_regression_points_take_their_targets_colour_and_classes_theirs():
    axis, _ = datasets.grid(4)
    xy = np.array([[0.0, 0.0], [1.0, 1.0]])
    view = plane.plane_view(axis, np.zeros((4, 4)), xy, np.array([-1.0, 1.0]), None, None, regression=True)
    assert [p[2] for p in plane.points_of(view)] == [theme.DIVERGING[0][1].upper(), theme.DIVERGING[-1][1].upper()]
    assert view["bar"]["title"] == "prediction" and view["regression"] is True
    multi = plane.plane_view(axis, np.full((4, 4, 4), 0.25), xy, np.array([3, 0]), None, None)
    assert [p[2] for p in plane.points_of(multi)] == [theme.class_colours(4)[3], theme.class_colours(4)[0]]
    assert [label for _, label in multi["bar"]["ticks"]] == ["0", "1", "2", "3"]


@pytest.mark.parametrize("lo, hi, expected", [(0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1.0]), (0, 0.7245, [0, 0.2, 0.4, 0.6]),
                                              (1, 300, [100, 200, 300]), (0, 10, [0, 2, 4, 6, 8, 10]),
                                              (1, 1, [1.0]), (0, float("nan"), [0.0])])  # fmt: skip
def test_nice_ticks_are_round_and_within_the_range(lo, hi, expected):
    assert plane.nice_ticks(lo, hi) == pytest.approx(expected)


def test_curves_view_is_json_with_its_lines_ranges_and_ticks():
    view = plane.curves_view({"training loss": [0.7, 0.6, float("nan"), 0.5], "validation loss": [0.8, 0.7, 0.6, 0.55]},
                             title="Loss", y_title="loss")  # fmt: skip
    json.dumps(view)
    train, val = view["lines"]
    assert (train["name"], train["colour"], val["colour"]) == ("training loss", theme.TRAIN, theme.VALIDATION)
    assert train["x"] == [1, 2, 4] and train["y"] == [0.7, 0.6, 0.5]  # the NaN epoch left out
    assert view["x_range"] == [1.0, 4.0] and view["y_range"] == pytest.approx([0.0, 0.84])
    assert [label for _, label in view["y_ticks"]] == ["0", "0.2", "0.4", "0.6", "0.8"]
    empty = plane.curves_view({"training accuracy": [], "validation accuracy": []}, title="Accuracy",
                              y_title="accuracy", fraction=True, projector=True)  # fmt: skip
    assert empty["x_range"] == [0.0, 10.0] and empty["y_range"] == [0.0, 1.03]
    assert [label for _, label in empty["y_ticks"]] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert empty["font"] == theme.PROJECTOR.font and empty["height"] > view["height"]
    long = plane.curves_view({"loss": list(np.linspace(1, 0, 20_000))}, title="Loss", y_title="loss")
    assert len(long["lines"][0]["x"]) <= charts.MAX_CURVE_POINTS and long["lines"][0]["x"][-1] == 20_000


def test_curves_view_on_a_log_axis_leaves_out_what_is_not_positive_and_ticks_decades():
    view = plane.curves_view({"training": [10.0, 1.0, 0.0, 0.01], "validation": [5.0, 0.5, 0.2, 0.1]}, title="Loss",
                             y_title="loss (log scale)", log_y=True, best_epoch=4)  # fmt: skip
    json.dumps(view)
    assert view["log_y"] and view["lines"][0]["x"] == [1, 2, 4]  # 0 has no place on a log axis
    lo, hi = view["y_range"]
    assert lo < -2 < 1 < hi < 1.5  # decades: 0.01 to 10, padded
    assert [label for _, label in view["y_ticks"]] == ["0.01", "0.1", "1", "10"]
    assert view["best"] == {"epoch": 4, "label": "lowest validation loss", "left": True}
    narrow = plane.curves_view({"loss": [0.9, 0.5, 0.3]}, title="Loss", y_title="loss", log_y=True, best_epoch=1)
    ticks = [t for t, _ in narrow["y_ticks"]]
    assert ticks == [0.3, 0.5] or len(ticks) >= 2 and all(10 ** narrow["y_range"][0] <= t <= 10 ** narrow["y_range"][1]
                                                           for t in ticks)  # fmt: skip
    assert narrow["best"]["left"] is False
    empty = plane.curves_view({"loss": []}, title="Loss", y_title="loss", log_y=True, best_epoch=3)
    assert empty["y_range"][0] < -1 and empty["y_range"][1] > 1 and empty["best"] is None
    assert [label for _, label in empty["y_ticks"]] == ["0.1", "1", "10"]


@pytest.mark.parametrize(("lo", "hi"), [(-3.2, 1.4), (-0.6, 0.1), (-0.05, 0.02), (0.3, 1.9), (-5.0, -4.9)])
def test_log_ticks_fall_within_the_axis_and_are_round(lo, hi):
    ticks = plane.log_ticks(lo, hi)
    assert ticks and all(10**lo * (1 - 1e-9) <= t <= 10**hi * (1 + 1e-9) for t in ticks)
    assert len(ticks) >= 2 and all(float(f"{t:.3g}") == pytest.approx(t) for t in ticks)
