"""Figure builders: structure, theme colours, compact encoding, robustness."""

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from dlviz.core import charts, plane, theme
from dlviz.playground import figures as playground_figures

AXIS = np.linspace(-6, 6, 100, dtype=np.float32)


def json_size(fig: go.Figure) -> int:
    return len(fig.to_json().encode())


def plane_data(n=500, seed=0, regression=False):
    """Points split 50/50 into train and validation, labels 0/1 or targets in [-1, 1]."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(-6, 6, (n, 2)).astype(np.float32)
    if regression:
        targets = np.clip(points.sum(axis=1) / 10, -1, 1).astype(np.float32)
    else:
        targets = (points[:, 0] * points[:, 1] > 0).astype(np.float32)
    half = n // 2
    return points[:half], targets[:half], points[half:], targets[half:]


def probability_grid():
    xx, yy = np.meshgrid(AXIS, AXIS)
    return 1 / (1 + np.exp(-xx * yy / 4))


def boundary(values=None, regression=False, **kwargs):
    values = probability_grid() if values is None else values
    return charts.boundary_figure(AXIS, values, *plane_data(regression=regression), regression=regression, **kwargs)


def network_args(n_inputs=2, layers=(4, 2, 1), side=20, seed=0, weight_scale="normal"):
    rng = np.random.default_rng(seed)
    columns = [n_inputs, *layers]
    if weight_scale == "uniform":
        weights = [rng.uniform(-1, 1, (a, b)) for a, b in zip(columns[:-1], columns[1:], strict=False)]
    else:
        weights = [rng.normal(size=(a, b)) for a, b in zip(columns[:-1], columns[1:], strict=False)]
    images = [rng.uniform(0, 1, (n, side, side)) for n in columns]
    labels = ["x₁", "x₂", "x₁²", "x₂²", "x₁·x₂", "sin(x₁)", "sin(x₂)"][:n_inputs]
    return labels, list(layers), weights, images


def point_traces(fig):
    return [t for t in fig.data if t.type == "scatter" and t.showlegend is False]


def legend_entries(fig):
    return [t.name for t in fig.data if t.showlegend is not False and t.type == "scatter"]


def heatmaps(fig):
    return [t for t in fig.data if t.type == "heatmap"]


# --------------------------------------------------------------------------
# quantize
# --------------------------------------------------------------------------


def test_quantize_maps_range_to_uint8_and_clips():
    q = charts.quantize([0.0, 0.5, 1.0, -3.0, 7.0], 0.0, 1.0)
    assert q.dtype == np.uint8
    assert q.tolist() == [0, 125, 250, 0, 250]
    assert charts.LEVELS == 250


def test_quantize_sends_nan_to_the_middle_and_inf_to_the_ends():
    q = charts.quantize([np.nan, np.inf, -np.inf], -1.0, 1.0)
    assert q.tolist() == [125, 250, 0]


def test_quantize_is_monotonic_and_never_off_by_more_than_one_level():
    values = np.linspace(0, 1, 10_001)
    q = charts.quantize(values, 0, 1).astype(int)
    assert np.all(np.diff(q) >= 0)
    assert np.max(np.abs(q - values * charts.LEVELS)) <= 1.5


def test_quantized_runs_need_no_escaped_slashes():
    # plotly.io.to_json writes "/" as six characters; base64 of a run of
    # 255 or 127 would be all "/".
    for level in range(charts.LEVELS + 1):
        value = charts.quantize(level / charts.LEVELS, 0, 1)
        assert b"/" not in base64.b64encode(np.full(30, value, dtype=np.uint8).tobytes())
    fig = boundary(np.ones((100, 100)))
    assert "u002f" not in fig.to_json().split('"bdata":"', 2)[1].split('"')[0]


@pytest.mark.parametrize("level", [0.0, 0.5, 1.0])
def test_boundary_json_stays_small_for_a_confident_or_undecided_model(level):
    assert json_size(boundary(np.full((100, 100), level))) < 30_000


# --------------------------------------------------------------------------
# boundary_figure
# --------------------------------------------------------------------------


def test_boundary_heatmap_is_uint8_on_the_diverging_scale():
    fig = boundary()
    (heatmap,) = heatmaps(fig)
    assert heatmap.z.dtype == np.uint8 and heatmap.z.shape == (100, 100)
    axis = fig.layout.coloraxis
    assert [list(stop) for stop in axis.colorscale] == [list(stop) for stop in theme.DIVERGING]
    assert (axis.cmin, axis.cmax) == (0, charts.LEVELS)
    # Ticks are back in probability units.
    ticks = dict(zip(axis.colorbar.ticktext, axis.colorbar.tickvals, strict=True))
    assert ticks["0"] == 0 and ticks["0.5"] == 125 and ticks["1"] == 250
    assert '"bdata"' in fig.to_json()


def test_boundary_rows_are_y_and_columns_are_x():
    values = np.zeros((100, 100))
    values[90:, :10] = 1.0  # top-left corner: x small, y large
    (heatmap,) = heatmaps(boundary(values))
    assert heatmap.z[95, 5] == 250 and heatmap.z[5, 95] == 0
    assert heatmap.x0 == pytest.approx(-6) and heatmap.dx == pytest.approx(12 / 99)


def test_boundary_json_for_100x100_and_500_points_is_under_30_kb():
    fig = boundary()
    assert sum(len(t.x) for t in point_traces(fig)) == 500
    assert json_size(fig) < 30_000


def test_boundary_regression_json_is_under_30_kb_too():
    assert json_size(boundary(probability_grid() * 2 - 1, regression=True)) < 30_000


def test_boundary_points_coloured_by_class_with_theme_colours():
    fig = boundary()
    points = {t.name: t for t in point_traces(fig)}
    assert points["train · class 0"].marker.color == theme.ORANGE
    assert points["train · class 1"].marker.color == theme.BLUE
    # Validation points are rings: white inside, class colour around.
    assert points["validation · class 0"].marker.line.color == theme.ORANGE
    assert points["validation · class 1"].marker.line.color == theme.BLUE
    assert points["validation · class 0"].marker.color == "white"
    for trace in points.values():
        assert trace.x.dtype == np.float32 and trace.y.dtype == np.float32
        assert trace.marker.size == theme.NORMAL.marker


def test_boundary_has_one_legend_for_the_two_shapes():
    fig = boundary()
    assert legend_entries(fig) == ["train", "validation"]


def test_boundary_is_square_with_exact_extent_and_no_grid():
    fig = boundary()
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    assert list(fig.layout.xaxis.range) == [-6, 6] and list(fig.layout.yaxis.range) == [-6, 6]
    assert fig.layout.xaxis.showgrid is False and fig.layout.yaxis.showgrid is False
    assert fig.layout.height == 420


def test_boundary_nan_values_are_neutral():
    values = probability_grid()
    values[10, 20] = np.nan
    (heatmap,) = heatmaps(boundary(values))
    assert heatmap.z[10, 20] == 125
    reg_values = np.full((100, 100), np.nan)
    (heatmap,) = heatmaps(boundary(reg_values, regression=True))
    assert set(np.unique(heatmap.z)) == {125}  # prediction 0
    (heatmap,) = heatmaps(boundary(np.full((100, 100), np.nan), discrete=True))
    assert heatmap.z.dtype == np.uint8


def test_boundary_discrete_shows_two_classes():
    fig = boundary(discrete=True)
    (heatmap,) = heatmaps(fig)
    low, high = (charts.quantize(v, 0, 1) for v in charts.DISCRETE_SHADES)
    assert set(np.unique(heatmap.z)) == {low, high}
    truth = probability_grid() > 0.5
    assert np.array_equal(heatmap.z == high, truth)
    assert list(fig.layout.coloraxis.colorbar.ticktext) == ["0", "1"]


def test_boundary_regression_clips_and_colours_points_by_target():
    values = np.full((100, 100), 3.0)
    fig = boundary(values, regression=True)
    (heatmap,) = heatmaps(fig)
    assert set(np.unique(heatmap.z)) == {250}
    points = point_traces(fig)
    assert {t.name for t in points} == {"train", "validation"}
    for trace in points:
        assert trace.marker.color.dtype == np.uint8
        assert trace.marker.coloraxis == "coloraxis"
        assert trace.marker.line.color == theme.INK
    assert list(fig.layout.coloraxis.colorbar.ticktext) == ["-1", "-0.5", "0", "0.5", "1"]


def test_boundary_accepts_missing_or_empty_validation_points():
    x_train, y_train, _, _ = plane_data()
    for x_val, y_val in [(None, None), (np.zeros((0, 2)), np.zeros(0))]:
        fig = charts.boundary_figure(AXIS, probability_grid(), x_train, y_train, x_val, y_val)
        assert all(t.name is None or "validation" not in t.name for t in fig.data)  # no points, no legend entry


def test_boundary_projector_mode_is_bigger():
    normal, projector = boundary(), boundary(projector=True)
    assert projector.layout.font.size > normal.layout.font.size
    assert projector.layout.height > normal.layout.height
    assert projector.data[1].marker.size == theme.PROJECTOR.marker > normal.data[1].marker.size


# --------------------------------------------------------------------------
# curves_figure
# --------------------------------------------------------------------------


def curves(series, **kwargs):
    return charts.curves_figure(series, title="Loss", y_title="loss", **kwargs)


def test_curves_colours_and_widths_come_from_the_theme():
    fig = curves({"loss": [3, 2, 1], "val_loss": [3, 2.5, 2], "lr": [1, 1, 1]})
    colours = {t.name: t.line.color for t in fig.data}
    assert colours["loss"] == theme.TRAIN
    assert colours["val_loss"] == theme.VALIDATION
    assert colours["lr"] in theme.SERIES and colours["lr"] not in (theme.TRAIN, theme.VALIDATION)
    assert all(t.line.width == theme.NORMAL.line for t in fig.data)
    assert fig.layout.height == 260


def test_curves_x_is_the_epoch_number_as_float32():
    fig = curves({"loss": [0.9, 0.5, 0.3]})
    trace = fig.data[0]
    assert trace.x.dtype == np.float32 and trace.y.dtype == np.float32
    assert trace.x.tolist() == [1, 2, 3]
    assert '"bdata"' in fig.to_json()


def test_curves_long_runs_are_thinned_and_stay_small():
    rng = np.random.default_rng(0)
    n = 20_000
    fig = curves({"loss": rng.uniform(0, 1, n).tolist(), "val_loss": rng.uniform(0, 1, n).tolist()})
    for trace in fig.data:
        assert len(trace.x) <= charts.MAX_CURVE_POINTS
        assert trace.x[0] == 1 and trace.x[-1] == n
        assert np.all(np.diff(trace.x) > 0)
    assert json_size(fig) < 25_000


def test_thinned_curves_keep_every_spike():
    """Mini-batch noise: a spike at any epoch of a long run stays on the chart (an even stride dropped them)."""
    rng = np.random.default_rng(1)
    n = 1000
    loss = 0.4 + 0.01 * rng.standard_normal(n)
    spikes = [0, 222, 721, 999]  # odd and even epochs, both ends
    loss[spikes] = [0.7, 0.9, 0.6, 0.8]
    loss[500] = 0.1  # a dip, too
    trace = curves({"loss": loss.tolist()}).data[0]
    assert len(trace.x) <= charts.MAX_CURVE_POINTS
    drawn = dict(zip(trace.x.tolist(), trace.y.tolist(), strict=True))
    for epoch in [*spikes, 500]:
        assert drawn[epoch + 1] == pytest.approx(loss[epoch], abs=1e-6)
    assert max(trace.y) == pytest.approx(loss.max(), abs=1e-6) and min(trace.y) == pytest.approx(loss.min(), abs=1e-6)


def test_empty_curves_have_possible_axes():
    """Before the first epoch: epochs from 0, a loss from 0 to 1, an accuracy from 0 to 100% (not -1 to 4)."""
    loss = curves({"training loss": [], "validation loss": []})
    assert list(loss.layout.xaxis.range) == [0, 10] and list(loss.layout.yaxis.range) == [0, 1]
    accuracy = charts.curves_figure({"training accuracy": [], "validation accuracy": []}, title="Accuracy",
                                     y_title="accuracy", fraction=True)  # fmt: skip
    assert accuracy.layout.yaxis.range[0] == 0 and 1 <= accuracy.layout.yaxis.range[1] <= 1.05
    assert accuracy.layout.yaxis.tickformat == ".0%"
    log = charts.curves_figure({"training loss": []}, title="Loss", y_title="loss", log_y=True)
    assert list(log.layout.yaxis.range) == [-1, 1]  # 0.1 to 10 on a log axis
    trained = charts.curves_figure({"training accuracy": [0.5, 0.9]}, title="Accuracy", y_title="accuracy",
                                    fraction=True)  # fmt: skip
    assert trained.layout.xaxis.range is None and list(trained.layout.yaxis.range) == [0, 1.03]


def test_curves_drop_non_finite_values():
    fig = curves({"loss": [1.0, np.nan, np.inf, 2.0, -np.inf]})
    assert fig.data[0].x.tolist() == [1, 4]
    assert fig.data[0].y.tolist() == [1.0, 2.0]


def test_curves_log_axis_drops_values_it_cannot_draw():
    fig = curves({"loss": [1.0, 0.0, -1.0, 0.5]}, log_y=True)
    assert fig.layout.yaxis.type == "log"
    assert fig.data[0].y.tolist() == [1.0, 0.5]


@pytest.mark.parametrize("series", [{}, {"loss": [], "val_loss": []}, {"loss": [np.nan]}])
def test_curves_empty_series_give_an_empty_chart_with_axis_titles(series):
    fig = curves(series)
    assert all(len(t.x) == 0 for t in fig.data)
    assert fig.layout.xaxis.title.text == "epoch"
    assert fig.layout.yaxis.title.text == "loss"
    assert fig.layout.title.text == "Loss"


def test_curves_best_epoch_marker():
    fig = curves({"loss": [3, 2, 1, 2], "val_loss": [3, 1, 2, 2]}, best_epoch=2)
    (line,) = fig.layout.shapes
    assert line.x0 == line.x1 == 2 and line.line.dash == "dash"
    assert fig.layout.annotations[0].text == "lowest validation loss"
    assert not curves({"loss": [1, 2]}).layout.shapes


def test_curves_projector_mode_is_bigger():
    normal = curves({"loss": [1, 2]})
    projector = curves({"loss": [1, 2]}, projector=True)
    assert projector.data[0].line.width > normal.data[0].line.width
    assert projector.layout.font.size > normal.layout.font.size


# --------------------------------------------------------------------------
# network_view (the Playground's diagram, drawn on a canvas)
# --------------------------------------------------------------------------


def sprite(view) -> np.ndarray:
    import base64
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(view["sprite"].split(",", 1)[1]))).convert("RGB")).astype(
        int
    )


def test_network_view_lays_out_the_columns_and_their_captions():
    view = playground_figures.network_view(*network_args(), activations=["tanh", "tanh", "sigmoid"])
    json.dumps(view)  # what the component is sent
    columns = view["columns"]
    assert [len(c["ys"]) for c in columns] == [2, 4, 2, 1]
    assert [c["x"] for c in columns] == [0, 7, 14, 21]
    assert columns[1]["ys"] == [4.5, 1.5, -1.5, -4.5]  # first neuron on top, centred on 0
    assert [c["caption"] for c in columns] == [["Input"], ["Hidden 1", "4 · tanh"], ["Hidden 2", "2 · tanh"],
                                               ["Output", "sigmoid"]]  # fmt: skip
    assert columns[1]["names"] == ["H1.1", "H1.2", "H1.3", "H1.4"] and columns[3]["names"] == ["output"]
    assert view["labels"] == ["x₁", "x₂"] and view["values"] is None and view["editable"] is False
    assert view["height"] == playground_figures.MIN_NETWORK_HEIGHT


def test_network_view_sends_every_weight_and_bias_with_its_value():
    labels, layers, weights, images = network_args()
    biases = [np.arange(n, dtype=float) for n in layers]
    view = playground_figures.network_view(labels, layers, weights, images, editable=True, biases=biases)
    assert len(view["edges"]) == sum(w.size for w in weights)
    k, i, j, w = view["edges"][5]
    assert w == pytest.approx(weights[k][i, j], abs=1e-4)
    assert [b for b in view["biases"] if b[0] == 1] == [[1, 0, 0.0], [1, 1, 1.0]]
    assert view["editable"] is True and view["edge"] == [playground_figures.MIN_EDGE_WIDTH, theme.NORMAL.edge_max]


def test_network_view_puts_every_node_picture_in_one_sprite_in_the_boundarys_colours():
    labels, layers, weights, images = network_args(side=20)
    images[0][0] = np.linspace(0, 1, 20)[:, None] * np.ones((20, 20))  # x₁'s picture: 0 at the bottom row, 1 on top
    view = playground_figures.network_view(labels, layers, weights, images)
    picture = sprite(view)
    side = view["side"]
    assert picture.shape == (side, side * 9, 3)  # 2 + 4 + 2 + 1 nodes, side by side
    table = plane.colour_table()
    assert np.abs(picture[0, 0] - table[255]).max() <= 2  # the top row is the picture's largest y: class 1's blue
    assert np.abs(picture[-1, 0] - table[0]).max() <= 2


def test_network_view_of_the_largest_network_stays_small():
    args = network_args(n_inputs=7, layers=(16,) * 6 + (1,), side=100)
    view = playground_figures.network_view(*args, activations=["relu"] * 6)
    nodes = 7 + 6 * 16 + 1
    assert view["side"] ** 2 * nodes <= playground_figures.NODE_PIXEL_BUDGET
    assert len(json.dumps(view)) < 60_000
    assert view["height"] == 16 * playground_figures.PX_PER_NODE


def test_network_view_shows_the_glass_box_numbers_and_survives_nan():
    labels, layers, weights, images = network_args()
    weights[0][0, 0] = np.nan
    images[1][0] = np.nan
    values = [np.array([0.5, -1.0]), np.array([0.12345, np.nan, 2.0, 3.0]), np.zeros(2), np.array([0.9])]
    view = playground_figures.network_view(labels, layers, weights, images, node_values=values)
    assert view["values"][1] == ["0.123", "–", "2", "3"]
    assert view["edges"][0][3] == 0.0  # a NaN weight is drawn as no edge
    with pytest.raises(ValueError, match="node_values"):
        playground_figures.network_view(
            labels, layers, weights, images, node_values=values[:1] + [np.zeros(3)] + values[2:]
        )


def test_network_view_rejects_mismatched_shapes_and_grows_on_the_projector():
    labels, layers, weights, images = network_args()
    with pytest.raises(ValueError, match="weights"):
        playground_figures.network_view(labels, layers, [weights[0].T, *weights[1:]], images)
    with pytest.raises(ValueError, match="node_images"):
        playground_figures.network_view(labels, layers, weights, images[:-1] + [images[0]])
    normal = playground_figures.network_view(labels, layers, weights, images)
    big = playground_figures.network_view(labels, layers, weights, images, projector=True)
    assert big["font"] > normal["font"] and big["height"] > normal["height"] and big["edge"][1] > normal["edge"][1]
