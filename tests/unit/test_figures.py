"""Figure builders: structure, theme colours, compact encoding, robustness."""

import base64
from collections import Counter

import numpy as np
import plotly.graph_objects as go
import pytest

from dlviz.blocks import figures as blocks_figures
from dlviz.convolution import figures as convolution_figures
from dlviz.core import charts, theme
from dlviz.descent import figures as descent_figures
from dlviz.digits import figures as digits_figures
from dlviz.overfitting import figures as overfitting_figures
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


def line_traces(fig, colours=(theme.POSITIVE, theme.NEGATIVE)):
    return [t for t in fig.data if t.type == "scatter" and t.line.color in colours and t.fill != "toself"]


def segments(trace) -> Counter:
    """Every straight piece of a line trace, as ((x0, y0), (x1, y1)) sorted by x."""
    x = np.asarray(trace.x, dtype=float)
    y = np.asarray(trace.y, dtype=float)
    found = Counter()
    for i in range(len(x) - 1):
        if np.isfinite(y[i]) and np.isfinite(y[i + 1]):
            found[tuple(sorted([(x[i], y[i]), (x[i + 1], y[i + 1])]))] += 1
    return found


def expected_edges(weights, dropped_columns=None) -> Counter:
    """The edges a network diagram should draw, in the diagram's own coordinates."""
    columns = [weights[0].shape[0]] + [w.shape[1] for w in weights]
    ys = [playground_figures._column_ys(n) for n in columns]
    active = [np.ones(n, bool) for n in columns]
    for column, mask in (dropped_columns or {}).items():
        active[column] = ~mask
    edges = Counter()
    for k, w in enumerate(weights):
        for i, j in np.argwhere(w != 0):
            if active[k][i] and active[k + 1][j]:
                start = (float(playground_figures._column_x(k) + playground_figures.HALF), float(ys[k][i]))
                end = (float(playground_figures._column_x(k + 1) - playground_figures.HALF), float(ys[k + 1][j]))
                edges[(start, end)] += 1
    return edges


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
# network_figure
# --------------------------------------------------------------------------


def test_network_default_structure():
    args = network_args()
    fig = playground_figures.network_figure(*args, activations=["tanh", "tanh"])
    nodes = heatmaps(fig)
    assert len(nodes) == 2 + 4 + 2 + 1
    for node in nodes:
        assert node.z.dtype == np.uint8 and node.z.shape == (20, 20)
        assert node.coloraxis == "coloraxis"
        # The picture fills the node's square exactly.
        assert node.dx * 20 == pytest.approx(playground_figures.SQUARE) and node.dy * 20 == pytest.approx(
            playground_figures.SQUARE
        )
    assert fig.layout.coloraxis.showscale is False
    assert [list(s) for s in fig.layout.coloraxis.colorscale] == [list(s) for s in theme.DIVERGING]
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert '"bdata"' in fig.to_json()


def test_network_draws_every_edge_once_in_few_traces():
    labels, layers, weights, images = network_args()
    fig = playground_figures.network_figure(labels, layers, weights, images)
    edges = line_traces(fig)
    assert 1 <= len(edges) <= 2 * playground_figures.WIDTH_BUCKETS
    drawn = sum((segments(t) for t in edges), Counter())
    assert drawn == expected_edges(weights)


def test_network_edge_colour_and_width_follow_the_weight():
    weights = [np.array([[1.0, -0.5], [0.1, -0.05]]), np.array([[0.25], [-1.0]])]
    images = [np.full((2, 4, 4), 0.5), np.full((2, 4, 4), 0.5), np.full((1, 4, 4), 0.5)]
    fig = playground_figures.network_figure(["a", "b"], [2, 1], weights, images)
    width_of = {}
    for trace in line_traces(fig):
        for start, end in segments(trace):
            width_of[start, end] = (trace.line.color, trace.line.width)
    x0, x1 = playground_figures.HALF, playground_figures.COLUMN_STEP - playground_figures.HALF
    top, bottom = playground_figures._column_ys(2)
    assert width_of[(x0, top), (x1, top)] == (theme.POSITIVE, theme.NORMAL.edge_max)
    assert width_of[(x0, bottom), (x1, bottom)] == (theme.NEGATIVE, playground_figures.MIN_EDGE_WIDTH)
    widths = sorted({w for _, w in width_of.values()})
    assert widths[0] == playground_figures.MIN_EDGE_WIDTH and widths[-1] == theme.NORMAL.edge_max


def test_network_hover_names_and_captions():
    fig = playground_figures.network_figure(*network_args(), activations=["tanh", "tanh", "sigmoid"])
    names = [t.name for t in heatmaps(fig)]
    assert names[:3] == ["Input, neuron 1", "Input, neuron 2", "Hidden 1, neuron 1"]
    assert "Hidden 1, neuron 3" in names and names[-1] == "Output"
    assert all(t.hoverinfo == "name" for t in heatmaps(fig))
    assert fig.layout.hoverlabel.namelength == -1  # plotly cuts names at 15 characters otherwise
    texts = [a.text for a in fig.layout.annotations]
    assert "Input" in texts and "Hidden 1<br>4 · tanh" in texts and "Output<br>sigmoid" in texts
    assert "x₁" in texts and "x₂" in texts


def test_network_without_hidden_layers():
    labels, layers, weights, images = network_args(n_inputs=3, layers=(1,))
    fig = playground_figures.network_figure(labels, layers, weights, images)
    assert len(heatmaps(fig)) == 4
    assert [a.text for a in fig.layout.annotations][:2] == ["Input", "Output"]
    assert sum((segments(t) for t in line_traces(fig)), Counter()) == expected_edges(weights)
    assert fig.layout.height == playground_figures.MIN_NETWORK_HEIGHT


@pytest.mark.parametrize("weight_scale", ["normal", "uniform"])
def test_largest_network_stays_small(weight_scale):
    args = network_args(n_inputs=7, layers=(16,) * 6 + (1,), side=16, weight_scale=weight_scale)
    fig = playground_figures.network_figure(*args, activations=["relu"] * 6)
    assert len(heatmaps(fig)) == 7 + 6 * 16 + 1
    assert len(fig.data) < 150
    assert json_size(fig) < 60_000
    assert fig.layout.height == 16 * playground_figures.PX_PER_NODE
    assert sum((segments(t) for t in line_traces(fig)), Counter()) == expected_edges(args[2])


def test_network_dropped_units_are_veiled_and_lose_their_edges():
    labels, layers, weights, images = network_args(layers=(4, 3, 1))
    dropped = [np.array([True, False, False, True]), np.array([False, True, False])]
    fig = playground_figures.network_figure(labels, layers, weights, images, dropped=dropped)
    (veils,) = [t for t in fig.data if t.type == "scatter" and t.fill == "toself"]
    assert veils.fillcolor == theme.GREY
    assert np.sum(np.isnan(np.asarray(veils.y, dtype=float))) == 3 - 1  # three squares
    drawn = sum((segments(t) for t in line_traces(fig)), Counter())
    assert drawn == expected_edges(weights, {1: dropped[0], 2: dropped[1]})
    plain = playground_figures.network_figure(labels, layers, weights, images)
    assert not [t for t in plain.data if t.type == "scatter" and t.fill == "toself"]


def test_network_survives_nan_weights_and_pictures():
    labels, layers, weights, images = network_args()
    weights[0][0, 0] = np.nan
    weights[1][0, 0] = np.inf
    images[1][0] = np.nan
    fig = playground_figures.network_figure(labels, layers, weights, images)
    assert set(np.unique(heatmaps(fig)[2].z)) == {125}
    zero = [np.zeros_like(w) for w in weights]
    assert not line_traces(playground_figures.network_figure(labels, layers, zero, images))


def test_network_rejects_mismatched_shapes():
    labels, layers, weights, images = network_args()
    with pytest.raises(ValueError, match="weights"):
        playground_figures.network_figure(labels, layers, [weights[0].T, *weights[1:]], images)
    with pytest.raises(ValueError, match="node_images"):
        playground_figures.network_figure(labels, layers, weights, images[:-1] + [images[0]])


def test_network_projector_mode_is_bigger():
    args = network_args()
    normal = playground_figures.network_figure(*args)
    projector = playground_figures.network_figure(*args, projector=True)
    assert max(t.line.width for t in line_traces(projector)) == theme.PROJECTOR.edge_max
    assert max(t.line.width for t in line_traces(normal)) == theme.NORMAL.edge_max
    assert projector.layout.annotations[0].font.size > normal.layout.annotations[0].font.size
    assert projector.layout.height > normal.layout.height


def _every_figure():
    rng = np.random.default_rng(0)
    axis = np.linspace(-6, 6, 100, dtype=np.float32)
    pts, labels = rng.uniform(-6, 6, (50, 2)).astype(np.float32), rng.integers(0, 2, 50).astype(np.float32)
    weights = [rng.normal(size=(2, 4)), rng.normal(size=(4, 1))]
    images = [rng.uniform(size=(n, 20, 20)) for n in (2, 4, 1)]
    for projector in (False, True):
        yield charts.boundary_figure(axis, rng.uniform(size=(100, 100)), pts, labels, pts, labels, projector=projector)
        yield charts.boundary_figure(axis, rng.uniform(-1, 1, (100, 100)), pts, labels, pts, labels, regression=True)
        yield charts.boundary_figure(axis, rng.uniform(size=(100, 100)), pts, labels, pts, labels, discrete=True)
        three = rng.dirichlet(np.ones(3), (100, 100))
        labels3 = rng.integers(0, 3, 50).astype(np.float32)
        yield charts.boundary_figure(axis, three, pts, labels3, pts, labels3, projector=projector)
        yield charts.boundary_figure(axis, three, pts, labels3, None, None, discrete=True, projector=projector)
        yield charts.curves_figure({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, title="Loss", y_title="loss",
                                    log_y=True, best_epoch=2, projector=projector)  # fmt: skip
        yield playground_figures.network_figure(["x1", "x2"], [4, 1], weights, images, activations=["tanh", "sigmoid"],
                                     projector=projector, dropped=[np.array([True, False, False, True])])  # fmt: skip
        yield playground_figures.network_figure(["x1", "x2"], [4, 1], weights, images, projector=projector,
                                                node_values=[[0.5, -1.0], rng.uniform(-1, 1, 4), [0.7]])  # fmt: skip
        xs = np.linspace(0, 10, 50)
        yield descent_figures.descent_figure(
            xs, (xs - 5) ** 2, [0.0, 2.0, 4.0], [25.0, 9.0, 1.0], 2, -2.0, projector=projector
        )
        yield descent_figures.descent_figure(xs, (xs - 5) ** 2, [0.0, 2.0, 4.0], [25.0, 9.0, 1.0], 1, lambda x: 2 * (x - 5),
                                     animate=True, projector=projector)  # fmt: skip
        yield descent_figures.learning_rate_strip(0.1, 0.25, 0.5, projector=projector)
        grid = np.add.outer(xs, xs)
        yield descent_figures.race_figure(
            xs, xs, grid, {"SGD": np.array([[1.0, 2.0], [2.0, 3.0]])}, 1, projector=projector
        )
        yield descent_figures.line_fit_figure(
            [1, 2], [3, 5], 2.0, 1.0, x_range=(0, 12), asks={12.0: 25.0}, projector=projector
        )
        yield blocks_figures.neuron_diagram([1.0, 0.5], [0.8, -0.4], 0.1, 0.7, 0.67, "Sigmoid", projector=projector)
        grid_axis = np.linspace(-1, 1, 11)
        yield blocks_figures.plane_figure(grid_axis, np.zeros((11, 11)), (1.0, -1.0), 0.2, points=np.array([[0.0, 0.0], [1.0, 1.0]]),
                                   targets=np.array([0, 1]), projector=projector)  # fmt: skip
        yield blocks_figures.plane_figure(grid_axis, np.zeros((11, 11)), (1.0, 0.0), 0.2, points=np.array([[0.0, 0.0]]),
                                   point_name="you", projector=projector)  # fmt: skip
        yield blocks_figures.activation_figure(
            xs, np.tanh(xs), 1 - np.tanh(xs) ** 2, np.abs(xs) > 3, name="tanh", projector=projector
        )
        yield blocks_figures.gradient_bars(
            {"sigmoid": np.array([1e-8, 1e-3]), "relu": np.array([1e-4, 1e-4])}, projector=projector
        )
        yield blocks_figures.class_bars(["a", "b", "c"], [0.8, 0.1, 0.1], highlight=0, projector=projector)
        yield blocks_figures.loss_curves_figure(xs, {"mse": xs**2}, x_title="error", marker={"mse": (1.0, 1.0)}, y_range=(0, 4),
                                         projector=projector)  # fmt: skip
        yield blocks_figures.fitted_lines_figure(
            [1, 2, 3], [2, 3, 9], {"MSE": (1.0, 1.0)}, outlier=2, projector=projector
        )
        yield overfitting_figures.gap_curves_figure([0.7, 0.4, 0.2], [0.7, 0.6, 0.8], best_epoch=2, stopped_epoch=3, restored_epoch=2,
                                        x_range=(0, 10), y_range=(0, 1), projector=projector)  # fmt: skip
        line = np.linspace(-3, 3, 20)
        yield overfitting_figures.curve_fit_figure(line[:5, None], line[:5], line[5:, None], line[5:], line, np.sin(line), line,
                                       projector=projector)  # fmt: skip
        yield overfitting_figures.dropout_figure(
            2, [32, 8], [rng.random(32) < 0.5, rng.random(8) < 0.5], projector=projector
        )
        yield overfitting_figures.dropout_figure(1, [4], None, projector=projector)


def test_every_figure_passes_plotly_validation():
    """Figures are built unvalidated for speed; here plotly checks every property."""
    import json

    import plotly.io as pio

    for fig in _every_figure():
        checked = go.Figure(fig.to_plotly_json())  # raises ValueError on an invalid property
        checked.layout.template = None
        # Validation also expands shorthands (title="x" -> title.text) that plotly.js 3 no longer reads.
        ours = json.loads(pio.to_json(fig))
        assert ours["layout"].pop("template") == {}
        assert json.loads(pio.to_json(checked)) == ours


def test_image_grid_and_probability_bars():
    rng = np.random.default_rng(1)
    grid = charts.image_grid([rng.uniform(size=(28, 28)) for _ in range(7)], [str(i) for i in range(7)],
                              columns=3, highlight=[i == 2 for i in range(7)])  # fmt: skip
    assert len(grid.data) == 7 and len(grid.layout.shapes) == 7
    assert grid.layout.annotations[2].font.color == theme.VERMILLION
    assert grid.layout.annotations[0].font.color == theme.INK
    signed = charts.image_grid([rng.normal(size=(5, 5))], signed=True)
    assert signed.data[0].colorscale[0][1] == theme.DIVERGING[0][1]
    bars = digits_figures.probability_bars(np.eye(10)[3] * 0.9 + 0.01)
    assert list(bars.data[0].marker.color).count(theme.BLUE) == 1 and bars.data[0].marker.color[3] == theme.BLUE
    go.Figure(grid.to_plotly_json())
    go.Figure(bars.to_plotly_json())


def test_variant_accuracy_puts_the_first_network_beside_the_shipped_one():
    fig = digits_figures.variant_accuracy(["1 with a flag", "crossed 7"], [1.0, 0.98], [0.83, 1.0])
    shipped, first = fig.data
    assert (shipped.name, first.name) == ("shipped network", "first network: MNIST only")
    assert list(shipped.y) == ["crossed 7", "1 with a flag"]  # the first way of writing on top
    assert list(first.x) == [1.0, 0.83] and list(first.text) == ["100%", "83%"]
    assert fig.layout.legend.y < 0  # under the axis, clear of the title
    alone = digits_figures.variant_accuracy(["closed 4"], [0.5])
    assert [t.name for t in alone.data] == ["shipped network"]
    go.Figure(fig.to_plotly_json())


def test_line_fit_figure_draws_the_line_and_the_answers():
    x, y = [0.2, 1, 2, 3, 5, 7, 9, 10], [0.2, 1.8, 4, 7, 11, 12, 14, 13]
    fig = descent_figures.line_fit_figure(x, y, 1.5, 0.5, x_range=(0, 12), asks={8.0: 12.5, 12.0: 18.5, 13.0: 1e19})
    data, line, guesses = fig.data
    assert list(line.y) == pytest.approx([0.5, 18.5]) and list(guesses.x) == [8, 12]  # 1e19 is left out
    assert 18.5 < fig.layout.yaxis.range[1] < 30  # the guesses stay on the chart, the data stay readable
    diverged = descent_figures.line_fit_figure(
        [1, 2], [3, 5], float("inf"), float("nan"), x_range=(0, 12), asks={12.0: float("nan")}
    )
    assert [t.name for t in diverged.data] == ["data"]


def test_long_weight_paths_are_thinned_but_end_where_they_end():
    path = np.column_stack([np.linspace(0, 1, 5001), np.linspace(1, 2, 5001)])
    fig = descent_figures.race_figure(np.arange(3.0), np.arange(3.0), np.zeros((3, 3)), {"SGD": path}, 5000,
                              axis_titles=("w", "b"), equal_axes=False)  # fmt: skip
    line, ball = fig.data[1], fig.data[2]
    assert len(line.x) <= charts.MAX_CURVE_POINTS and (line.x[-1], line.y[-1]) == (1.0, 2.0)
    assert (ball.x[0], ball.y[0]) == (1.0, 2.0)
    assert fig.layout.xaxis.title.text == "w" and fig.layout.yaxis.scaleanchor is None


def test_descent_animation_rolls_the_ball_in_the_browser():
    xs = np.linspace(0, 10, 50)
    path_x = np.array([0.0, 2.0, 3.8, 4.6, 4.9])
    fig = descent_figures.descent_figure(
        xs, (xs - 5) ** 2, path_x, (path_x - 5) ** 2, 4, lambda x: 2 * (x - 5), animate=True
    )
    assert [f.name for f in fig.frames] == ["0", "1", "2", "3", "4"]
    third = fig.frames[2]
    assert list(third.traces) == [1, 2, 3]
    path, tangent, ball = third.data
    assert list(path.x) == pytest.approx([0.0, 2.0, 3.8]) and (ball.x[0], ball.y[0]) == pytest.approx((3.8, 1.44))
    assert (tangent.y[1] - tangent.y[0]) / (tangent.x[1] - tangent.x[0]) == pytest.approx(2 * (3.8 - 5), rel=1e-5)
    assert fig.layout.updatemenus[0].buttons[0].method == "animate"
    long = descent_figures.descent_figure(
        xs, xs, np.linspace(0, 5, 201), np.linspace(0, 5, 201), 200, lambda x: 1.0, animate=True
    )
    assert len(long.frames) == descent_figures.MAX_ANIMATION_FRAMES and long.frames[-1].name == "200"
    still = descent_figures.descent_figure(xs, xs, path_x, path_x, 4, 1.0)
    assert not still.frames and not still.layout.updatemenus


def test_gate_line_crosses_the_square_where_the_neuron_switches():
    fig = blocks_figures.plane_figure(np.linspace(-0.5, 1.5, 5), np.zeros((5, 5)), (20.0, 20.0), -30.0)
    line = fig.data[1]
    for x, y in zip(line.x, line.y, strict=True):
        assert 20 * x + 20 * y - 30 == pytest.approx(0, abs=1e-4)
    flat = blocks_figures.plane_figure(np.linspace(0, 1, 3), np.zeros((3, 3)), (0.0, 0.0), 1.0)
    assert len(flat.data) == 1  # no line when both weights are zero


def test_activation_figure_shades_the_saturated_stretches():
    z = np.linspace(-6, 6, 13)
    fig = blocks_figures.activation_figure(z, z, np.ones(13), np.abs(z) >= 4, name="x")
    assert [(s.x0, s.x1) for s in fig.layout.shapes] == [(-6.0, -4.0), (4.0, 6.0)]


def test_diverging_pictures_put_zero_at_white_and_the_limits_at_the_ends():
    rgb = convolution_figures.diverging_rgb(np.array([[-2.0, 0.0, 2.0, 9.0]]), limit=2.0)
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 4, 3)
    assert tuple(rgb[0, 0]) == (0xB3, 0x58, 0x06) and tuple(rgb[0, 2]) == (0x0B, 0x4F, 0x8A)
    assert all(abs(int(c) - 0xF7) <= 3 for c in rgb[0, 1])  # white, to within one level
    assert tuple(rgb[0, 3]) == tuple(rgb[0, 2])  # beyond the limit: clipped


def test_gap_curves_shade_between_training_and_validation_and_mark_the_stop():
    fig = overfitting_figures.gap_curves_figure([0.7, 0.4, 0.2, 0.1], [0.7, 0.5, 0.6, 0.9], best_epoch=2, stopped_epoch=4,
                                    restored_epoch=2, x_range=(0, 100), y_range=(0, 2))  # fmt: skip
    train, val, star = fig.data
    assert val.fill == "tonexty" and train.line.color == theme.TRAIN and val.line.color == theme.VALIDATION
    assert (star.x[0], star.y[0]) == (2, 0.5)
    assert fig.layout.shapes[0].x0 == 4 and "epoch 2 restored" in fig.layout.annotations[0].text
    assert list(fig.layout.yaxis.range) == [0, 2] and list(fig.layout.xaxis.range) == [0, 100]
    plain = overfitting_figures.gap_curves_figure([float("nan")], [float("nan")], best_epoch=None)
    assert len(plain.data) == 2 and not plain.layout.shapes


def test_dropout_figure_hollows_dropped_units_and_cuts_their_edges():
    mask = np.array([True, False, False, True])
    fig = overfitting_figures.dropout_figure(2, [4], [mask])
    edges, active, dropped = fig.data
    assert len(active.x) == 2 + 2 + 1 and len(dropped.x) == 2
    assert len(edges.x) == 3 * (2 * 2 + 2 * 1)  # inputs to the 2 kept units, kept units to the output
    inference = overfitting_figures.dropout_figure(2, [4], None)
    assert len(inference.data) == 2 and len(inference.data[1].x) == 7


def test_dropout_figure_shows_at_most_max_units_per_layer():
    fig = overfitting_figures.dropout_figure(2, [128, 128], None, max_units=16)
    assert len(fig.data[1].x) == 2 + 16 + 16 + 1
    assert "128 units, 16 shown" in fig.layout.xaxis.ticktext[1]


@pytest.mark.parametrize("projector", [False, True])
def test_plane_legend_sits_below_the_axis_title_not_on_it(projector):
    axis = np.linspace(-0.5, 1.5, 5)
    fig = blocks_figures.plane_figure(axis, np.zeros((5, 5)), (20.0, 20.0), -30.0, points=np.eye(2), targets=[0, 1],
                               projector=projector)  # fmt: skip
    legend, size = fig.layout.legend, theme.sizes(projector)
    assert legend.yref == "container" and legend.y == 0 and legend.yanchor == "bottom"  # the figure's foot
    assert fig.layout.margin.b >= 4 * size.font  # room for tick labels, the x₁ title and the legend


def test_network_writes_one_points_numbers_under_its_nodes():
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=(2, 3)), rng.normal(size=(3, 1))]
    images = [rng.uniform(size=(n, 20, 20)) for n in (2, 3, 1)]
    values = [[0.5, -1.25], [0.1, np.nan, 0.33333], [0.97]]
    fig = playground_figures.network_figure(["x1", "x2"], [3, 1], weights, images, node_values=values)
    (numbers,) = [t for t in fig.data if t.type == "scatter" and t.mode == "text"]
    assert list(numbers.text) == ["0.5", "-1.25", "0.1", "–", "0.333", "0.97"]
    plain = playground_figures.network_figure(["x1", "x2"], [3, 1], weights, images)
    assert not [t for t in plain.data if t.type == "scatter" and t.mode == "text"]
    with pytest.raises(ValueError):
        playground_figures.network_figure(["x1", "x2"], [3, 1], weights, images, node_values=[[1, 2], [1], [1]])
