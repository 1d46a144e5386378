"""Plotly figure builders: arrays in, ``go.Figure`` out.

Every figure is re-sent to the browser whenever training advances, so the
builders keep the JSON small: colour values travel as uint8 and coordinates
as float32 or small integers, which plotly serialises as base64 ("bdata")
instead of long lists of decimals.

Traces and layouts are plain dicts, assembled by ``theme.figure`` without
plotly's validation (see there); tests/test_figures.py validates them.
"""

from __future__ import annotations

import base64
import functools
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go

from dlviz import theme

# Quantized colour values run 0..LEVELS.
#
# plotly.io.to_json (which Streamlit uses) escapes every "/" as "\u002f", six
# characters for one. In base64 a run of a byte like 255 or 127 is nothing but
# "/", so a confident model's 100x100 map would grow from 13 KB to 80 KB.
# Stopping at 250 (whose midpoint 125 is exactly white) and nudging the few
# other such bytes down by one keeps runs of any value free of "/".
LEVELS = 250
_SLASH_BYTES = np.array([v for v in range(LEVELS + 1) if b"/" in base64.b64encode(bytes([v] * 3))])
_NUDGED = (np.arange(256) - np.isin(np.arange(256), _SLASH_BYTES)).astype(np.uint8)  # a lookup: 10x faster than isin


def quantize(values, lo: float, hi: float) -> np.ndarray:
    """Map values in [lo, hi] to 0..LEVELS (250) as uint8; outside values are clipped.

    NaN maps to the middle of the range (a neutral colour), +-inf to the ends.
    """
    scaled = (np.asarray(values, dtype=np.float64) - lo) / (hi - lo)
    scaled = np.nan_to_num(scaled, nan=0.5, posinf=1.0, neginf=0.0)
    return _NUDGED[np.rint(np.clip(scaled, 0.0, 1.0) * LEVELS).astype(np.uint8)]


def _level(value: float, lo: float, hi: float) -> float:
    """Where ``value`` sits on the quantized 0..LEVELS scale (for colour-bar ticks)."""
    return (value - lo) / (hi - lo) * LEVELS


def _coloraxis(**colorbar) -> dict:
    """The diverging scale over quantized values, shared by every trace that uses it."""
    axis = dict(colorscale=theme.DIVERGING, cmin=0, cmax=LEVELS)
    if colorbar:
        axis["colorbar"] = colorbar
    else:
        axis["showscale"] = False
    return axis


# --------------------------------------------------------------------------
# Decision boundary
# --------------------------------------------------------------------------

# Probabilities that stand for class 0 and 1 in the thresholded map: lighter
# than the ends of the scale, so that points of either class stay visible.
DISCRETE_SHADES = (0.15, 0.85)


def boundary_figure(
    axis: np.ndarray,
    values: np.ndarray,
    x_train,
    y_train,
    x_val,
    y_val,
    *,
    regression: bool = False,
    discrete: bool = False,
    projector: bool = False,
) -> go.Figure:
    """The model's output over the input plane with the data points on top.

    ``values[i, j]`` is the output at x = axis[j], y = axis[i]: the probability
    of class 1 for classification, the prediction in [-1, 1] for regression.
    """
    size = theme.sizes(projector)
    axis = np.asarray(axis, dtype=np.float32)
    lo, hi = (-1.0, 1.0) if regression else (0.0, 1.0)
    surface = np.asarray(values, dtype=np.float64)
    thresholded = discrete and not regression
    if thresholded:
        surface = np.where(np.nan_to_num(surface, nan=0.5) > 0.5, *DISCRETE_SHADES[::-1])

    background = dict(
        # Lighter than the node pictures, so the points stay visible on a confident map.
        type="heatmap", z=quantize(surface, lo, hi), coloraxis="coloraxis", hoverinfo="skip", opacity=0.7,
        **_grid_placement(axis),
    )
    traces = [
        background,
        *_point_traces(x_train, y_train, x_val, y_val, regression, size),
        *_point_legend(size, regression, with_validation=len(x_val if x_val is not None else []) > 0),
    ]
    extent = [float(axis[0]), float(axis[-1])]
    plane_axis = dict(range=extent, showgrid=False, zeroline=False, constrain="domain")
    layout = dict(
        coloraxis=_coloraxis(**_boundary_colorbar(lo, hi, regression, thresholded, size)),
        xaxis=dict(plane_axis, title=dict(text="x₁", standoff=4)),
        yaxis=dict(plane_axis, title=dict(text="x₂"), scaleanchor="x", scaleratio=1),
        # Legend above and colour bar below, both centred: the square plot is
        # centred too, so they stay next to it however wide the page is.
        legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"),
        hoverlabel=dict(namelength=-1),  # "validation · class 0" is longer than plotly's 15
    )
    return theme.figure(traces, layout, projector, height=420)


def _grid_placement(axis: np.ndarray) -> dict:
    """Heatmap cell positions: start and step for an even grid (a few bytes), else the axis."""
    step = (axis[-1] - axis[0]) / max(len(axis) - 1, 1)
    if len(axis) > 1 and np.allclose(np.diff(axis), step, rtol=1e-3, atol=0):
        start, step = float(axis[0]), float(step)
        return dict(x0=start, dx=step, y0=start, dy=step)
    return dict(x=axis, y=axis)


def _boundary_colorbar(lo: float, hi: float, regression: bool, thresholded: bool, size: theme.Sizes) -> dict:
    if thresholded:
        ticks, labels, title = list(DISCRETE_SHADES), ["0", "1"], "predicted class"
    elif regression:
        ticks = [-1.0, -0.5, 0.0, 0.5, 1.0]
        labels, title = [f"{t:g}" for t in ticks], "prediction"
    else:
        ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
        labels, title = [f"{t:g}" for t in ticks], "P(class 1)"
    return dict(
        title=dict(text=title, side="right"),
        tickvals=[_level(t, lo, hi) for t in ticks],
        ticktext=labels,
        orientation="h", x=0.5, xanchor="center", y=-0.055 - 0.006 * size.font, yanchor="top",
        lenmode="pixels", len=17 * size.font, thickness=10,
    )


def _points(xy, targets) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) float32 coordinates and (n,) float targets; None gives no points."""
    if xy is None or targets is None:
        return np.zeros((0, 2), np.float32), np.zeros(0)
    return np.asarray(xy, dtype=np.float32).reshape(-1, 2), np.asarray(targets, dtype=np.float64).ravel()


def _marker_styles(size: theme.Sizes, regression: bool) -> dict[str, dict]:
    """Marker shape and outline of training and validation points.

    Classification: filled dots with a white edge, and hollow rings in the
    class colour (white inside, so they show on dark backgrounds too).
    Regression colours every point by its target, so validation points
    cannot be hollow: they are diamonds. Both get an ink edge, because a
    point whose colour matches the background would otherwise vanish.
    """
    edge = max(0.75, size.marker / 8)
    if regression:
        return {
            "train": dict(line=dict(color=theme.INK, width=edge)),
            "validation": dict(symbol="diamond", line=dict(color=theme.INK, width=edge)),
        }
    return {
        "train": dict(line=dict(color="white", width=edge)),
        "validation": dict(line=dict(width=edge * 2.5)),
    }


def _point_traces(x_train, y_train, x_val, y_val, regression: bool, size: theme.Sizes) -> list:
    styles = _marker_styles(size, regression)
    traces = []
    for role, (xy, targets) in {"train": _points(x_train, y_train), "validation": _points(x_val, y_val)}.items():
        if regression:
            colour = dict(color=quantize(targets, -1, 1), coloraxis="coloraxis")
            traces.append(_scatter_points(xy, role, dict(styles[role], **colour), size))
        else:
            traces += _class_traces(xy, targets, role, styles[role], size)
    return [t for t in traces if len(t["x"])]


def _class_traces(xy, targets, role: str, style: dict, size: theme.Sizes) -> list[dict]:
    traces = []
    for label, class_colour in enumerate(theme.CLASS_COLOURS):
        chosen = (targets > 0.5) == bool(label)
        if role == "train":
            colour = dict(color=class_colour)
        else:
            colour = dict(color="white", line=dict(style["line"], color=class_colour))
        traces.append(_scatter_points(xy[chosen], f"{role} · class {label}", dict(style, **colour), size))
    return traces


def _scatter_points(xy: np.ndarray, name: str, marker: dict, size: theme.Sizes) -> dict:
    return dict(
        type="scatter",
        x=xy[:, 0], y=xy[:, 1], mode="markers", name=name,
        marker=dict(marker, size=size.marker), showlegend=False,
    )


def _point_legend(size: theme.Sizes, regression: bool, with_validation: bool = True) -> list[dict]:
    """Legend-only entries that explain the two marker shapes, in neutral grey."""
    legend = []
    for role, style in _marker_styles(size, regression).items():
        if role == "validation" and not with_validation:
            continue
        marker = dict(style, color=theme.GREY, size=size.marker)
        if role == "validation" and not regression:
            marker.update(color="white", line=dict(style["line"], color=theme.GREY))
        legend.append(dict(type="scatter", x=[None], y=[None], mode="markers", name=role, marker=marker))
    return legend


# --------------------------------------------------------------------------
# Training curves
# --------------------------------------------------------------------------

MAX_CURVE_POINTS = 600


def curves_figure(
    series: dict[str, list[float]],
    *,
    title: str,
    y_title: str,
    log_y: bool = False,
    projector: bool = False,
    best_epoch: int | None = None,
    x_title: str = "epoch",
    fraction: bool = False,
) -> go.Figure:
    """One line per named series against the epoch number (1, 2, ...).

    ``fraction``: the values are shares such as an accuracy, drawn on a fixed 0-100% axis. Before the first
    epoch the axes show a sensible empty range (epochs 0-10; 0-1 or 0-100%) rather than plotly's -1 to 4.
    """
    size = theme.sizes(projector)
    traces = []
    for (name, values), colour in zip(series.items(), _series_colours(series), strict=True):
        epochs, drawn = _drawable_curve(values, log_y)
        traces.append(
            dict(
                type="scatter",
                x=epochs, y=drawn, mode="lines" if len(drawn) > 1 else "markers", name=name,  # one epoch: a dot
                line=dict(color=colour, width=size.line),
                marker=dict(color=colour, size=size.marker),
                hovertemplate="epoch %{x}: %{y:.4g}",
            )
        )
    n_epochs = max((len(v) for v in series.values()), default=0)
    layout = dict(
        title=dict(text=title, x=0, xanchor="left"),
        xaxis=dict(title=dict(text=x_title), dtick=1 if 0 < n_epochs <= 10 else None),
        yaxis=dict(title=dict(text=y_title), type="log", exponentformat="power", dtick=_log_dtick(traces))
        if log_y else dict(title=dict(text=y_title)),
        # Centred: the title sits on the left and plotly's tool bar on the right.
        legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"),
    )
    if fraction:
        layout["yaxis"].update(range=[0.0, 1.03], tickformat=".0%")
    if not any(len(t["y"]) for t in traces):
        _empty_axes(layout, log_y)
    if best_epoch is not None:
        _mark_best_epoch(layout, best_epoch, n_epochs, size)
    return theme.figure(traces, layout, projector, height=260)


def _empty_axes(layout: dict, log_y: bool) -> None:
    """Axes for a chart with nothing drawn yet: the first ten epochs, a loss between 0 and 1 (0.1-10 on a log
    axis), or what the caller fixed."""
    layout["xaxis"]["range"] = [0, 10]
    layout["yaxis"].setdefault("range", [-1, 1] if log_y else [0.0, 1.0])


def _log_dtick(traces: list[dict]) -> str | None:
    """Under two decades plotly labels 2, 3, ... 9 between them, which crowds a projector: keep 2 and 5."""
    values = np.concatenate([t["y"] for t in traces]) if traces else np.array([])
    if values.size == 0 or np.log10(values.max() / values.min()) >= 2:
        return None
    return "D2"


def _mark_best_epoch(layout: dict, best_epoch: int, n_epochs: int, size: theme.Sizes) -> None:
    """A dashed vertical line with a label, the label on the side with room."""
    on_left = best_epoch > n_epochs / 2
    layout["shapes"] = [
        dict(
            type="line", x0=best_epoch, x1=best_epoch, yref="paper", y0=0, y1=1,
            line=dict(color=theme.GREY, dash="dash", width=max(1.0, size.line / 2)),
        )
    ]
    layout["annotations"] = [
        dict(
            x=best_epoch, y=1, yref="paper", yanchor="top",
            xanchor="right" if on_left else "left", xshift=-4 if on_left else 4,
            text="lowest validation loss", showarrow=False,
            font=dict(color=theme.GREY, size=size.font),
        )
    ]


def _series_colours(names) -> list[str]:
    """Train colour for the first plain series, validation colour for the first
    one named like "val...", the rest of the theme's series colours after that."""
    spare = itertools.cycle([c for c in theme.SERIES if c not in (theme.TRAIN, theme.VALIDATION)])
    colours = []
    for name in names:
        wanted = theme.VALIDATION if "val" in name.lower() else theme.TRAIN
        colours.append(next(spare) if wanted in colours else wanted)
    return colours


def _drawable_curve(values, log_y: bool) -> tuple[np.ndarray, np.ndarray]:
    """Epoch numbers and values as float32, without unplottable points, thinned.

    Long runs are thinned to their envelope (``_envelope``) so that a
    20,000-epoch history costs no more to send than a 600-epoch one.
    """
    y = np.asarray(values, dtype=np.float64).ravel()
    epochs = np.arange(1, y.size + 1, dtype=np.float64)
    keep = np.isfinite(y) & ((y > 0) if log_y else True)
    epochs, y = epochs[keep], y[keep]
    chosen = _envelope(y)
    return epochs[chosen].astype(np.float32), y[chosen].astype(np.float32)


def _thinned(n: int, most: int = MAX_CURVE_POINTS) -> np.ndarray:
    """Indices of at most ``most`` of n points at an even stride, the first and last kept."""
    if n <= most:
        return np.arange(n)
    chosen = np.arange(0, n, math.ceil(n / (most - 1)))
    return chosen if chosen[-1] == n - 1 else np.append(chosen, n - 1)


def _envelope(y: np.ndarray, most: int = MAX_CURVE_POINTS) -> np.ndarray:
    """Indices of at most ``most`` of the points of ``y``, keeping its envelope.

    Long runs are cut into equal runs of epochs and each keeps its lowest and its highest point, in epoch
    order, with the first and last epoch: a spike of mini-batch noise stays on the chart however long the run
    (an even stride would keep one epoch in k and drop the others' spikes).
    """
    n = y.size
    if n <= most:
        return np.arange(n)
    width = math.ceil(n / (most // 2 - 1))
    starts = np.arange(0, n, width)
    padded = np.full(starts.size * width, np.nan)
    padded[:n] = y
    buckets = padded.reshape(starts.size, width)
    lows = starts + np.nanargmin(buckets, axis=1)
    highs = starts + np.nanargmax(buckets, axis=1)
    return np.unique(np.concatenate([[0, n - 1], lows, highs]))


def gap_curves_figure(
    train,
    val,
    *,
    title: str = "",
    best_epoch: int | None = None,
    stopped_epoch: int | None = None,
    restored_epoch: int | None = None,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    projector: bool = False,
) -> go.Figure:
    """Training and validation loss with the gap between them shaded, the best epoch and an early stop marked.

    Pass the same ``x_range`` and ``y_range`` to figures that sit side by side, so their gaps compare.
    """
    size = theme.sizes(projector)
    epochs, train_y = _drawable_curve(train, False)
    val_epochs, val_y = _drawable_curve(val, False)
    traces = [
        dict(type="scatter", x=epochs, y=train_y, mode="lines", name="training loss",
             line=dict(color=theme.TRAIN, width=size.line), hovertemplate="epoch %{x}: %{y:.4g}"),
        dict(type="scatter", x=val_epochs, y=val_y, mode="lines", name="validation loss", fill="tonexty",
             fillcolor=_translucent(theme.VALIDATION, 0.18), line=dict(color=theme.VALIDATION, width=size.line),
             hovertemplate="epoch %{x}: %{y:.4g}"),
    ]  # fmt: skip
    shapes, notes = [], []
    if best_epoch is not None and 0 < best_epoch <= len(val):
        traces.append(dict(type="scatter", x=[best_epoch], y=[float(val[best_epoch - 1])], mode="markers",
                           name="lowest validation loss", hovertemplate="lowest validation loss at epoch %{x}",
                           marker=dict(symbol="star", size=size.marker * 2.4, color=theme.VALIDATION,
                                       line=dict(color=theme.INK, width=1))))  # fmt: skip
    if stopped_epoch is not None:
        text = f"early stop at {stopped_epoch}"
        if restored_epoch is not None:
            text += f"<br>weights of epoch {restored_epoch} restored"
        shapes.append(dict(type="line", x0=stopped_epoch, x1=stopped_epoch, yref="paper", y0=0, y1=1,
                           line=dict(color=theme.GREY, dash="dash", width=max(1.0, size.line / 2))))  # fmt: skip
        on_left = x_range is None or stopped_epoch > (x_range[0] + x_range[1]) / 2
        notes.append(dict(x=stopped_epoch, y=1, yref="paper", yanchor="top", showarrow=False, align="left",
                          xanchor="right" if on_left else "left", xshift=-4 if on_left else 4, text=text,
                          font=dict(color=theme.GREY, size=size.font)))  # fmt: skip
    layout = dict(
        title=dict(text=title),
        xaxis=dict(title=dict(text="epoch")),
        yaxis=dict(title=dict(text="loss")),
        # "normal": plotly lists filled traces in reverse unless told otherwise.
        legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom", traceorder="normal"),
        shapes=shapes,
        annotations=notes,
    )
    if x_range is not None:
        layout["xaxis"]["range"] = [float(v) for v in x_range]
    if y_range is not None:
        layout["yaxis"]["range"] = [float(v) for v in y_range]
    return theme.figure(traces, layout, projector, height=300)


def _translucent(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def curve_fit_figure(x_train, y_train, x_val, y_val, axis, truth, fitted, *, projector: bool = False) -> go.Figure:
    """A 1-D regression: the training points, the validation points, the true curve and the network's fit."""
    size = theme.sizes(projector)
    f32 = functools.partial(np.asarray, dtype=np.float32)
    traces = [
        dict(type="scatter", x=f32(x_val).ravel(), y=f32(y_val), mode="markers", name="validation",
             marker=dict(color=theme.VALIDATION, size=max(3, size.marker - 3), opacity=0.35), hoverinfo="skip"),
        dict(type="scatter", x=f32(x_train).ravel(), y=f32(y_train), mode="markers", name="training",
             marker=dict(color=theme.TRAIN, size=size.marker + 2, line=dict(color="white", width=1))),
        dict(type="scatter", x=f32(axis), y=f32(truth), mode="lines", name="the truth",
             line=dict(color=theme.GREY, width=max(1.0, size.line / 2), dash="dash")),
        dict(type="scatter", x=f32(axis), y=np.clip(np.nan_to_num(f32(fitted)), -3, 3), mode="lines",
             name="the network", line=dict(color=theme.INK, width=size.line)),
    ]  # fmt: skip
    layout = dict(
        xaxis=dict(title=dict(text="x")),
        yaxis=dict(title=dict(text="y"), range=[-2.2, 2.2]),
        legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"),
    )
    return theme.figure(traces, layout, projector, height=420)


def dropout_figure(
    n_inputs: int,
    layer_sizes: list[int],
    dropped: list[np.ndarray] | None,
    *,
    max_units: int = 16,
    projector: bool = False,
) -> go.Figure:
    """A dense network as dots, with the hidden units that dropout switched off this step hollow and unlinked.

    ``layer_sizes`` are the hidden layers; ``dropped[k]`` marks layer k's dropped units (None: inference, all on).
    Layers wider than ``max_units`` show their first ``max_units`` units.
    """
    size = theme.sizes(projector)
    columns = [n_inputs, *layer_sizes, 1]
    shown = [min(n, max_units) for n in columns]
    on = [np.ones(n, bool) for n in shown]
    if dropped is not None:
        for k, mask in enumerate(dropped):
            on[k + 1] = ~np.asarray(mask, bool)[: shown[k + 1]]
    ys = [np.linspace(0.5, -0.5, n) * (n - 1) / max(max(shown) - 1, 1) if n > 1 else np.zeros(1) for n in shown]
    edge_x, edge_y = [], []
    for c in range(len(shown) - 1):
        for i in np.flatnonzero(on[c]):
            for j in np.flatnonzero(on[c + 1]):
                edge_x += [c, c + 1, None]
                edge_y += [float(ys[c][i]), float(ys[c + 1][j]), None]
    traces = [dict(type="scatter", x=edge_x, y=edge_y, mode="lines", hoverinfo="skip", showlegend=False,
                   line=dict(color="rgba(89,89,89,0.25)", width=1))]  # fmt: skip
    dot = size.marker + 5
    for active, name, style in (
        (True, "active unit", dict(color=theme.BLUE, line=dict(color="white", width=1))),
        (False, "dropped this step", dict(color=theme.VERMILLION, symbol="x", line=dict(color="white", width=1))),
    ):  # fmt: skip
        xs = [c for c in range(len(shown)) for keep in on[c] if keep == active]
        yv = [float(y) for c in range(len(shown)) for y, keep in zip(ys[c], on[c], strict=True) if keep == active]
        if xs or active:
            traces.append(dict(type="scatter", x=xs, y=yv, mode="markers", name=name, hoverinfo="skip",
                               marker=dict(size=dot, **style)))  # fmt: skip
    labels = ["inputs", *[f"layer {k + 1}" + (f"<br>({n} units, {max_units} shown)" if n > max_units else "")
                          for k, n in enumerate(layer_sizes)], "output"]  # fmt: skip
    layout = dict(
        xaxis=dict(tickvals=list(range(len(columns))), ticktext=labels, showgrid=False, zeroline=False,
                   range=[-0.4, len(columns) - 0.6], fixedrange=True),
        yaxis=dict(visible=False, range=[-0.6, 0.6], fixedrange=True),
        legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"),
    )  # fmt: skip
    return theme.figure(traces, layout, projector, height=340)


# --------------------------------------------------------------------------
# Network diagram
# --------------------------------------------------------------------------

# Diagram units. Node centres, square sides and edge ends all fall on whole
# numbers along x, so line x-coordinates can travel as int8.
SQUARE = 2  # side of a node's square
HALF = SQUARE // 2
PITCH = 3  # vertical distance between node centres
COLUMN_STEP = 7  # horizontal distance between column centres
WIDTH_BUCKETS = 5  # edge widths drawn; one trace per width and sign
MIN_EDGE_WIDTH = 0.5
# Node pictures share this many pixels in all; bigger networks get coarser
# pictures (7 x 7 for the largest, 104 nodes, which at 16 x 16 would take
# 36 KB of base64 on their own).
NODE_PIXEL_BUDGET = 6400
PX_PER_NODE = 60
MIN_NETWORK_HEIGHT = 320


def network_figure(
    input_labels: list[str],
    layer_sizes: list[int],
    weights: list[np.ndarray],
    node_images: list[np.ndarray],
    *,
    activations: list[str] | None = None,
    projector: bool = False,
    dropped: list[np.ndarray] | None = None,
) -> go.Figure:
    """A TensorFlow-Playground-style diagram of a dense network.

    Column 0 holds the inputs, then one column per entry of ``layer_sizes``
    (the last is the output layer). ``weights[k]`` has shape (n_in, n_out);
    ``node_images[c]`` has shape (n_nodes, h, w) with values in [0, 1], row 0
    at the bottom of the input plane. ``dropped[k]`` marks units of hidden
    layer k dropped this step: they are greyed out and their edges left out.
    """
    size = theme.sizes(projector)
    column_sizes = [len(input_labels), *layer_sizes]
    _check_network(column_sizes, weights, node_images)
    # A diverged network's NaN or infinite weights are drawn as missing edges.
    weights = [np.nan_to_num(np.asarray(w, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0) for w in weights]
    centres_y = [_column_ys(n) for n in column_sizes]
    active = _active_units(column_sizes, dropped)
    names = _column_names(len(column_sizes))

    traces = _node_heatmaps(node_images, centres_y, names, _picture_side(node_images))
    traces += _edge_traces(weights, centres_y, active, size)
    veils = _dropped_trace(centres_y, active)
    if veils is not None:
        traces.append(veils)
    traces.append(_outline_trace(centres_y, size))

    height = max(MIN_NETWORK_HEIGHT, PX_PER_NODE * max(column_sizes))
    layout = _network_layout(
        input_labels, column_sizes, centres_y, _captions(layer_sizes, activations), size,
        final_height=height * (1.3 if projector else 1.0),
    )
    return theme.figure(traces, layout, projector, height=height)


def _check_network(column_sizes, weights, node_images) -> None:
    if len(weights) != len(column_sizes) - 1:
        raise ValueError(f"expected {len(column_sizes) - 1} weight matrices, got {len(weights)}")
    for k, w in enumerate(weights):
        if np.shape(w) != (column_sizes[k], column_sizes[k + 1]):
            raise ValueError(f"weights[{k}] has shape {np.shape(w)}, expected {(column_sizes[k], column_sizes[k + 1])}")
    if len(node_images) != len(column_sizes):
        raise ValueError(f"expected {len(column_sizes)} node image stacks, got {len(node_images)}")
    for c, images in enumerate(node_images):
        if np.ndim(images) != 3 or len(images) != column_sizes[c]:
            raise ValueError(f"node_images[{c}] has shape {np.shape(images)}, expected ({column_sizes[c]}, h, w)")


def _column_x(column: int) -> int:
    return column * COLUMN_STEP


def _column_ys(n_nodes: int) -> np.ndarray:
    """Node centres of a column, first node on top, centred on y = 0."""
    return ((n_nodes - 1) / 2 - np.arange(n_nodes)) * PITCH


def _column_names(n_columns: int) -> list[str]:
    return ["Input", *(f"Hidden {k}" for k in range(1, n_columns - 1)), "Output"]


def _active_units(column_sizes, dropped) -> list[np.ndarray]:
    """Per column, True for units that take part (inputs and output always do)."""
    active = [np.ones(n, dtype=bool) for n in column_sizes]
    for k, mask in enumerate(dropped or []):
        if mask is not None and k + 1 < len(column_sizes) - 1:
            active[k + 1] = ~np.asarray(mask, dtype=bool).reshape(column_sizes[k + 1])
    return active


def _picture_side(node_images) -> int | None:
    """The side to shrink node pictures to, or None when they fit the budget."""
    n_nodes = sum(len(images) for images in node_images)
    pixels = sum(int(np.prod(np.shape(images))) for images in node_images)
    if pixels <= NODE_PIXEL_BUDGET:
        return None
    return max(2, math.isqrt(NODE_PIXEL_BUDGET // n_nodes))


def _shrink(image: np.ndarray, side: int | None) -> np.ndarray:
    """Nearest-neighbour resample to at most ``side`` x ``side`` pixels."""
    h, w = image.shape
    if side is None or (h <= side and w <= side):
        return image
    rows = ((np.arange(min(h, side)) + 0.5) * h / min(h, side)).astype(int)
    cols = ((np.arange(min(w, side)) + 0.5) * w / min(w, side)).astype(int)
    return image[np.ix_(rows, cols)]


def _node_heatmaps(node_images, centres_y, names, side) -> list[dict]:
    traces = []
    for column, (images, ys) in enumerate(zip(node_images, centres_y, strict=True)):
        x_left = _column_x(column) - HALF
        for unit, (image, y) in enumerate(zip(np.asarray(images), ys, strict=True)):
            picture = _shrink(image, side)
            h, w = picture.shape
            # Rounded: 2/7 would cost 18 characters per number, times 104 nodes.
            dx, dy = round(SQUARE / w, 5), round(SQUARE / h, 5)
            name = names[column] if len(ys) == 1 else f"{names[column]}, neuron {unit + 1}"
            traces.append(
                dict(
                    type="heatmap",
                    z=quantize(picture, 0.0, 1.0),
                    x0=round(x_left + dx / 2, 5), dx=dx,
                    y0=round(float(y) - HALF + dy / 2, 5), dy=dy,
                    coloraxis="coloraxis", name=name, hoverinfo="name",
                )
            )
    return traces


def _edge_traces(weights, centres_y, active, size: theme.Sizes) -> list[dict]:
    """Edges bucketed by width and sign, one line trace per bucket."""
    largest = max((float(np.abs(w).max(initial=0.0)) for w in weights), default=0.0)
    if largest == 0:
        return []
    buckets = defaultdict(list)  # (level, sign) -> trails
    for k, w in enumerate(weights):
        levels = np.rint(np.abs(w) / largest * (WIDTH_BUCKETS - 1)).astype(int)
        x_from, x_to = _column_x(k) + HALF, _column_x(k + 1) - HALF
        ys_from, ys_to = centres_y[k], centres_y[k + 1]
        for level in range(WIDTH_BUCKETS):
            for sign in (1, -1):
                chosen = (levels == level) & (np.sign(w) == sign)
                chosen &= active[k][:, None] & active[k + 1][None, :]
                edges = [(("from", i), ("to", j)) for i, j in np.argwhere(chosen)]
                for trail in _trails(edges):
                    buckets[level, sign].append(
                        [(x_from, ys_from[i]) if end == "from" else (x_to, ys_to[i]) for end, i in trail]
                    )
    traces = []
    for (level, sign), paths in sorted(buckets.items()):  # thin lines first, thick on top
        width = MIN_EDGE_WIDTH + (size.edge_max - MIN_EDGE_WIDTH) * level / (WIDTH_BUCKETS - 1)
        x, y = _polylines(paths)
        colour = theme.POSITIVE if sign > 0 else theme.NEGATIVE
        traces.append(
            dict(
                type="scatter",
                x=x, y=y, mode="lines", line=dict(color=colour, width=width),
                hoverinfo="skip", showlegend=False,
            )
        )
    return traces


def _trails(edges: list[tuple]) -> list[list]:
    """Split a graph's edges into few trails (walks that use each edge once).

    Drawn as one polyline, a trail costs one point per edge instead of three
    (start, end, gap), which keeps big networks' figures small. Joining every
    odd-degree vertex to a virtual hub makes all degrees even; an Euler
    circuit of each component (Hierholzer), cut at the hub, gives the trails.
    """
    hub = object()
    degree = Counter(v for edge in edges for v in edge)
    all_edges = list(edges) + [(v, hub) for v, d in degree.items() if d % 2]
    neighbours = defaultdict(list)
    for number, (a, b) in enumerate(all_edges):
        neighbours[a].append((b, number))
        neighbours[b].append((a, number))
    used = [False] * len(all_edges)
    trails = []
    for start in [hub, *degree]:
        current = []
        for vertex in _euler_circuit(start, neighbours, used):
            if vertex is hub:
                trails.append(current)
                current = []
            else:
                current.append(vertex)
        trails.append(current)
    return [t for t in trails if len(t) > 1]


def _euler_circuit(start, neighbours, used) -> list:
    """Hierholzer's algorithm over the unused edges reachable from ``start``."""
    stack, circuit = [start], []
    while stack:
        vertex = stack[-1]
        around = neighbours[vertex]
        while around and used[around[-1][1]]:
            around.pop()
        if around:
            other, number = around.pop()
            used[number] = True
            stack.append(other)
        else:
            circuit.append(stack.pop())
    return circuit


def _polylines(paths: list[list[tuple]]) -> tuple[np.ndarray, np.ndarray]:
    """x (int8, or int16 for very wide diagrams) and y (float32) arrays of several polylines.

    Plotly breaks a line where either coordinate is missing, so the gaps
    between polylines are NaNs in y and x can stay an integer array.
    """
    xs, ys = [], []
    for path in paths:
        if xs:
            xs.append(0)
            ys.append(np.nan)
        for x, y in path:
            xs.append(x)
            ys.append(y)
    x_type = np.int8 if max(map(abs, xs), default=0) <= np.iinfo(np.int8).max else np.int16
    return np.array(xs, dtype=x_type), np.array(ys, dtype=np.float32)


def _squares(centres_y, chosen_units) -> list[list[tuple]]:
    """Closed square paths around the chosen units of each column."""
    squares = []
    for column, (ys, chosen) in enumerate(zip(centres_y, chosen_units, strict=True)):
        x = _column_x(column)
        for y in ys[chosen]:
            squares.append(
                [(x - HALF, y - HALF), (x + HALF, y - HALF), (x + HALF, y + HALF),
                 (x - HALF, y + HALF), (x - HALF, y - HALF)]
            )
    return squares


def _outline_trace(centres_y, size: theme.Sizes) -> dict:
    # With line shape "hv" every segment is drawn as a horizontal then a
    # vertical stroke, so corner, opposite corner, corner is a whole square:
    # three points instead of five.
    everyone = [np.ones(len(ys), dtype=bool) for ys in centres_y]
    x, y = _polylines([[s[0], s[2], s[0]] for s in _squares(centres_y, everyone)])
    return dict(
        type="scatter",
        x=x, y=y, mode="lines", line=dict(color=theme.INK, width=size.line / 2.5, shape="hv"),
        hoverinfo="skip", showlegend=False,
    )


def _dropped_trace(centres_y, active) -> dict | None:
    """Grey veils over dropped units, or None when no unit is dropped."""
    squares = _squares(centres_y, [~a for a in active])
    if not squares:
        return None
    x, y = _polylines(squares)
    return dict(
        type="scatter",
        x=x, y=y, mode="lines", fill="toself", fillcolor=theme.GREY, opacity=0.75,
        line=dict(width=0), name="dropped", hoverinfo="skip", showlegend=False,
    )


def _captions(layer_sizes: list[int], activations: list[str] | None) -> list[str]:
    """Column captions; ``activations`` may or may not include the output layer's."""
    activations = list(activations or [])
    n_hidden = len(layer_sizes) - 1
    captions = ["Input"]
    for k in range(n_hidden):
        details = [str(layer_sizes[k])] + activations[k : k + 1]
        captions.append(f"Hidden {k + 1}<br>{' · '.join(details)}")
    captions.append("<br>".join(["Output", *activations[n_hidden : n_hidden + 1]]))
    return captions


def _network_layout(input_labels, column_sizes, centres_y, captions, size, final_height) -> dict:
    """Axes sized to the diagram plus room for captions above and labels on the left.

    The room is in diagram units, estimated from the font size and the pixels
    per unit the height allows (the chart is usually height-bound).
    """
    caption_lines = max(c.count("<br>") + 1 for c in captions)
    caption_px = caption_lines * size.font * 1.3 + 6
    nodes_span = PITCH * (max(column_sizes) - 1) + SQUARE + 1.0
    px_per_unit = max(1.0, (final_height - 20 - caption_px) / nodes_span)
    label_units = max((len(label) for label in input_labels), default=0) * 0.62 * size.font / px_per_unit

    top = PITCH * (max(column_sizes) - 1) / 2 + HALF
    label_x = -HALF - 0.4
    annotations = [
        dict(x=_column_x(c), y=top + 0.4, text=text, yanchor="bottom", showarrow=False,
             font=dict(size=size.font))
        for c, text in enumerate(captions)
    ]
    annotations += [
        dict(x=label_x, y=float(y), text=label, xanchor="right", showarrow=False,
             font=dict(size=size.font))
        for label, y in zip(input_labels, centres_y[0], strict=True)
    ]
    hidden_axis = dict(visible=False, fixedrange=True)
    return dict(
        xaxis=dict(hidden_axis, range=[label_x - label_units - 0.3, _column_x(len(column_sizes) - 1) + HALF + 0.5]),
        yaxis=dict(hidden_axis, range=[-top - 0.5, top + 0.4 + caption_px / px_per_unit],
                   scaleanchor="x", scaleratio=1),
        coloraxis=_coloraxis(),
        annotations=annotations,
        showlegend=False,
        hovermode="closest",
        hoverlabel=dict(namelength=-1),  # node names are the hover text; don't cut them short
    )


# --------------------------------------------------------------------------
# Digits: probabilities and grids of small images
# --------------------------------------------------------------------------

GREYS = [[0.0, "#FFFFFF"], [1.0, "#111111"]]  # ink is dark on white, as on paper


def probability_bars(probabilities, *, projector: bool = False, title: str = "How sure the network is") -> go.Figure:
    """Ten bars, the top guess in blue and the rest grey."""
    probs = np.nan_to_num(np.asarray(probabilities, dtype=np.float64).ravel(), nan=0.0)
    top = int(np.argmax(probs)) if probs.size else -1
    colours = [theme.BLUE if i == top else "#9E9E9E" for i in range(len(probs))]
    size = theme.sizes(projector)
    trace = dict(
        type="bar", x=[str(i) for i in range(len(probs))], y=probs.astype(np.float32), marker=dict(color=colours),
        text=[f"{p:.0%}" for p in probs], textposition="outside", cliponaxis=False,
        hovertemplate="digit %{x}: %{y:.1%}<extra></extra>", textfont=dict(size=size.font),
    )  # fmt: skip
    layout = dict(
        title=dict(text=title),
        xaxis=dict(title=dict(text="digit"), type="category"),
        yaxis=dict(range=[0, 1.15], tickformat=".0%", title=dict(text="probability")),
        showlegend=False,
        bargap=0.25,
    )
    return theme.figure([trace], layout, projector, height=300)


def shrink_for_tile(image: np.ndarray, tile_px: int) -> np.ndarray:
    """Block means down to about one value per screen pixel of the tile (a 280 x 280 drawing in a 150 px tile)."""
    k = max(1, round(max(image.shape) / tile_px))
    if k == 1:
        return image
    h, w = (image.shape[0] // k) * k, (image.shape[1] // k) * k
    return image[:h, :w].reshape(h // k, k, w // k, k).mean(axis=(1, 3))


def image_grid(
    images,
    titles=None,
    *,
    columns: int | None = None,
    signed: bool = False,
    title: str | None = None,
    highlight=None,
    projector: bool = False,
    tile_px: int = 90,
) -> go.Figure:
    """Small images side by side in a grid, each with an optional caption.

    ``signed`` shows values on the diverging scale centred on zero (feature
    maps, kernels); otherwise values in [0, 1] are ink on white.
    ``highlight`` marks some tiles' captions in vermillion (wrong guesses).

    Every tile is a heatmap placed on one shared pair of axes (each fitted
    into a unit square, aspect kept): in the browser that draws about twice
    as fast as a subplot per tile, and a grid is redrawn after every stroke
    on the Digits page.
    """
    images = [shrink_for_tile(np.nan_to_num(np.asarray(img, dtype=np.float32)), tile_px) for img in images]
    n = len(images)
    columns = max(1, min(columns or n or 1, n or 1))
    rows = max(1, -(-n // columns))
    size = theme.sizes(projector)
    gap = 0.08  # between tiles, in tile widths
    caption = 0.22 if titles else 0.0  # room above each tile for its caption, in tile heights
    traces, shapes, annotations = [], [], []
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        h, w = img.shape
        cell = 1.0 / max(h, w, 1)
        left = c * (1 + gap) + (1 - w * cell) / 2
        bottom = -r * (1 + gap + caption) + (1 - h * cell) / 2
        if signed:
            bound = float(np.abs(img).max()) or 1.0
            z, scale = quantize(img, -bound, bound), theme.DIVERGING
        else:
            z, scale = quantize(img, 0.0, 1.0), GREYS
        traces.append(dict(type="heatmap", z=z[::-1], x0=left + cell / 2, dx=cell, y0=bottom + cell / 2, dy=cell,
                           zmin=0, zmax=LEVELS, colorscale=scale, showscale=False, hoverinfo="skip"))  # fmt: skip
        shapes.append(dict(type="rect", x0=left, x1=left + w * cell, y0=bottom, y1=bottom + h * cell,
                           line=dict(color="#BDBDBD", width=1)))  # fmt: skip
        if titles:
            wrong = highlight is not None and bool(highlight[i])
            annotations.append(dict(
                text=titles[i], x=c * (1 + gap) + 0.5, y=-r * (1 + gap + caption) + 1, yanchor="bottom",
                showarrow=False, font=dict(size=size.font, color=theme.VERMILLION if wrong else theme.INK)))  # fmt: skip
    hidden = dict(visible=False, fixedrange=True, constrain="domain", showgrid=False, zeroline=False)
    layout = dict(
        showlegend=False, shapes=shapes, annotations=annotations,
        xaxis=dict(hidden, range=[-gap / 2, columns * (1 + gap) - gap / 2]),
        yaxis=dict(hidden, range=[-(rows - 1) * (1 + gap + caption) - gap / 2, 1 + caption + gap / 2],
                   scaleanchor="x"),
    )  # fmt: skip
    if title:
        layout["title"] = dict(text=title)
    height = rows * (tile_px + (size.font * 2 if titles else 0)) + (40 if title else 10)
    return theme.figure(traces, layout, projector, height=height)


# --------------------------------------------------------------------------
# Gradient descent
# --------------------------------------------------------------------------


def descent_figure(curve_x, curve_y, path_x, path_y, step: int, slope: float | Callable, *, title: str = "",
                   animate: bool = False, projector: bool = False) -> go.Figure:  # fmt: skip
    """The curve, the iterates so far, the ball at ``step`` and the tangent there.

    ``slope`` is the derivative at the ball, or the derivative function. With
    ``animate`` (which needs the function) the figure carries one frame per
    step, at most MAX_ANIMATION_FRAMES, and a Play button: the browser rolls
    the ball without asking the server.
    """
    size = theme.sizes(projector)
    cx, cy = np.asarray(curve_x, np.float32), np.asarray(curve_y, np.float32)
    px, py = np.asarray(path_x, np.float64), np.asarray(path_y, np.float64)
    y_lo, y_hi = float(np.min(cy)), float(np.max(cy))
    pad = 0.08 * (y_hi - y_lo or 1.0)
    x_range, y_range = (float(cx.min()), float(cx.max())), (y_lo - pad, y_hi + pad)
    box = _view_box(x_range, y_range)  # a diverging path is drawn only as far as just beyond the axes
    span = 0.15 * float(cx.max() - cx.min())
    derivative = slope if callable(slope) else None

    def slope_at(k: int) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float(derivative(px[k])) if derivative else float(slope)

    traces = [dict(type="scatter", x=cx, y=cy, mode="lines", name="loss curve",
                   line=dict(color=theme.GREY, width=size.line), hoverinfo="skip"),
              *_ball_traces(px, py, step, slope_at(step), span, size, box)]  # fmt: skip
    layout = dict(
        title=dict(text=title),
        xaxis=dict(title=dict(text="x"), range=list(x_range)),
        yaxis=dict(title=dict(text="y"), range=list(y_range)),
        legend=dict(orientation="h", y=-0.18, yanchor="top", x=0.5, xanchor="center"),
    )
    frames = None
    if animate and derivative is not None and len(px) > 1:
        shown = np.unique(np.linspace(0, len(px) - 1, min(len(px), MAX_ANIMATION_FRAMES)).round().astype(int))
        frames = [dict(data=_ball_traces(px, py, k, slope_at(k), span, size, box), name=str(k), traces=[1, 2, 3])
                  for k in shown]  # fmt: skip
        pace = dict(frame=dict(duration=ANIMATION_MS, redraw=False), transition=dict(duration=ANIMATION_MS // 2),
                    fromcurrent=False, mode="immediate")  # fmt: skip
        layout["updatemenus"] = [dict(
            type="buttons", direction="left", x=1, y=1.02, xanchor="right", yanchor="bottom", showactive=False,
            font=dict(size=size.font), pad=dict(r=4, t=0),
            buttons=[dict(label="▶ Roll the ball", method="animate", args=[None, pace]),
                     dict(label="❚❚", method="animate", args=[[None], dict(mode="immediate", frame=dict(duration=0))])],
        )]  # fmt: skip
    return theme.figure(traces, layout, projector, height=440, frames=frames)


MAX_ANIMATION_FRAMES = 80
ANIMATION_MS = 220  # per step: slow enough to follow the ball with the eye


def _ball_traces(px: np.ndarray, py: np.ndarray, step: int, slope: float, span: float, size: theme.Sizes,
                 box: tuple[float, float, float, float]) -> list:  # fmt: skip
    """The path up to ``step``, the tangent at the ball, and the ball (always three traces, for the frames).

    Everything is clipped to ``box`` (see ``_view_box``): a ball that has run off is not drawn.
    """
    x_seen, y_seen = _clipped_polyline(px[: step + 1], py[: step + 1], box)
    path = dict(type="scatter", x=x_seen, y=y_seen, mode="lines+markers",
                name="steps", line=dict(color=theme.ORANGE, width=max(1.0, size.line / 2), dash="dot"),
                marker=dict(color=theme.ORANGE, size=size.marker), hovertemplate="x=%{x:.4g}<br>y=%{y:.4g}<extra></extra>")  # fmt: skip
    tangent = dict(type="scatter", x=[], y=[], mode="lines", name="tangent", line=dict(color=theme.BLUE, width=size.line),
                   hoverinfo="skip")  # fmt: skip
    ball = dict(type="scatter", x=[], y=[], mode="markers", name=f"step {step}",
                marker=dict(color=theme.VERMILLION, size=size.marker * 2.4, line=dict(color="white", width=2)),
                hovertemplate="x=%{x:.4g}<br>y=%{y:.4g}<extra></extra>")  # fmt: skip
    x, y = (float(px[step]), float(py[step])) if step < len(px) else (math.nan, math.nan)
    if _inside(x, y, box):
        if math.isfinite(slope):
            end = _clip_segment((x - span, y - slope * span), (x + span, y + slope * span), box)
            if end is not None:
                (x0, y0), (x1, y1) = end
                tangent.update(x=np.array([x0, x1], np.float32), y=np.array([y0, y1], np.float32))
        ball.update(x=[x], y=[y])
    return [path, tangent, ball]


VIEW_MARGIN = 0.5  # a drawn path is cut off this share of the axis range beyond each end of the axes


def _view_box(x_range, y_range, margin: float = VIEW_MARGIN) -> tuple[float, float, float, float]:
    """The axes' ranges widened by ``margin`` of their size on each side, as (x0, x1, y0, y1).

    Paths are clipped to it: what lies beyond is off the chart anyway, and coordinates of 1e6 or more (a
    diverging descent) make plotly.js write SVG transforms the browser rejects.
    """
    (x0, x1), (y0, y1) = x_range, y_range
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    return x0 - dx, x1 + dx, y0 - dy, y1 + dy


def _inside(x: float, y: float, box) -> bool:
    return bool(box[0] <= x <= box[1] and box[2] <= y <= box[3])


def _clip_segment(p, q, box) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of the segment p-q inside ``box`` (Liang-Barsky), or None; ends inside it are kept exactly."""
    (px, py), (qx, qy) = p, q
    if not all(map(math.isfinite, (px, py, qx, qy))):
        return None
    dx, dy = qx - px, qy - py
    t0, t1 = 0.0, 1.0
    for d, low, high, start in ((dx, box[0], box[1], px), (dy, box[2], box[3], py)):
        if d == 0:
            if not low <= start <= high:
                return None
            continue
        a, b = (low - start) / d, (high - start) / d
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
        if t0 > t1:
            return None
    first = (px, py) if t0 == 0 else (px + t0 * dx, py + t0 * dy)
    last = (qx, qy) if t1 == 1 else (px + t1 * dx, py + t1 * dy)
    return first, last


def _clipped_polyline(x, y, box) -> tuple:
    """The polyline through (x, y) clipped to ``box``: float32 arrays, or lists with None where it leaves the box.

    Non-finite points end a piece too. The common case, a path wholly inside, costs one vectorised check.
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    with np.errstate(invalid="ignore"):
        inside = (x >= box[0]) & (x <= box[1]) & (y >= box[2]) & (y <= box[3])
    if inside.all():
        return x.astype(np.float32), y.astype(np.float32)
    if len(x) == 1:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    pieces: list[list[tuple[float, float]]] = []
    for i in range(len(x) - 1):
        part = _clip_segment((x[i], y[i]), (x[i + 1], y[i + 1]), box)
        if part is None:
            continue
        start, end = part
        if pieces and pieces[-1][-1] == start:
            pieces[-1].append(end)
        else:
            pieces.append([start, end])
    if len(pieces) == 1:
        xs, ys = np.array(pieces[0], np.float64).T
        return xs.astype(np.float32), ys.astype(np.float32)
    xs, ys = [], []
    for piece in pieces:
        if xs:
            xs.append(None)
            ys.append(None)
        xs.extend(float(f"{v:.7g}") for v, _ in piece)  # float32's precision, in short decimals
        ys.extend(float(f"{v:.7g}") for _, v in piece)
    return xs, ys


def learning_rate_strip(lr: float, best: float, limit: float, *, lo: float = 0.001, hi: float = 2.0,
                        projector: bool = False) -> go.Figure:  # fmt: skip
    """A log-scale strip of learning rates, coloured by regime, with the thresholds and the current one.

    Readable from a phone to a projector: the regimes are named in a legend under the axis (plotly wraps it
    on a narrow screen), not inside their bands, which on a phone are narrower than the words; the two
    threshold labels sit on two rows above the strip, each on top of its own dashed line and leaning away
    from the other, so they neither overlap nor read as one label.
    """
    size = theme.sizes(projector)
    row = round(1.45 * size.font)  # px per row of labels above the strip
    bar = 56 if projector else 40  # px, the strip itself
    top, bottom = 2 * row + 6, round(4.8 * size.font) + 12  # rows above; ticks, axis title and legend below
    log_lo, log_hi = math.log10(lo), math.log10(hi)
    bands = [(lo, best, theme.SKY, "slow"), (best, limit, theme.GREEN, "overshoots"),
             (limit, hi, theme.VERMILLION, "diverges")]  # fmt: skip
    bands = [(max(a, lo), min(b, hi), colour, name) for a, b, colour, name in bands if min(b, hi) > max(a, lo)]
    shapes = [dict(type="rect", xref="x", yref="paper", x0=a, x1=b, y0=0, y1=1, fillcolor=_tint(colour),
                   line=dict(width=0), layer="below") for a, b, colour, _ in bands]  # fmt: skip
    # One legend entry per band: a square of its colour, drawn below the y range so only the legend shows it.
    traces = [dict(type="scatter", x=[math.sqrt(a * b)], y=[-1.0], mode="markers", name=name, hoverinfo="skip",
                   marker=dict(symbol="square", size=size.font, color=_tint(colour), line=dict(color=colour, width=1)))
              for a, b, colour, name in bands]  # fmt: skip
    labels = []  # (value, text, lean): 1/(2a) leans left, away from 1/a, which leans right...
    for value, text, lean in ((best, f"1/(2a) = {best:.3g}", "right"), (limit, f"1/a = {limit:.3g}", "left")):
        if not lo <= value <= hi:
            continue
        where = (math.log10(value) - log_lo) / (log_hi - log_lo)
        room = (where if lean == "right" else 1 - where) * NARROWEST_PLOT_PX[projector] + 10  # (+ the margin)
        if room < 0.5 * size.font * len(text) + 6:  # ...unless it would run off a phone's chart there
            lean = "left" if lean == "right" else "right"
        labels.append((value, text, lean))
    # Two rows: a label leaning towards the other line goes on the upper row, above that line's top.
    upper = 1 if len(labels) == 2 and labels[1][2] == "right" else 0
    annotations = []
    for i, (value, text, lean) in enumerate(labels):
        lift = row if i == upper and len(labels) == 2 else 0
        shapes.append(dict(type="line", xref="x", yref="paper", x0=value, x1=value, y0=0, y1=1 + (lift + row - 4) / bar,
                           line=dict(color=theme.INK, width=1.5, dash="dash")))  # fmt: skip
        # Shapes on a log axis take data values; annotations take their log10.
        annotations.append(dict(x=math.log10(value), y=1, yref="paper", yanchor="bottom", yshift=lift,
                                xanchor=lean, xshift=3 if lean == "left" else -3, text=text, showarrow=False,
                                font=dict(size=size.font)))  # fmt: skip
    traces.append(dict(type="scatter", x=[lr], y=[0.5], mode="markers", name="your learning rate", showlegend=False,
                       marker=dict(symbol="triangle-down", size=size.marker * 2.5, color=theme.INK),
                       hovertemplate="your learning rate: %{x:g}<extra></extra>"))  # fmt: skip
    layout = dict(
        xaxis=dict(type="log", range=[log_lo, log_hi], title=dict(text="learning rate", standoff=4), automargin=False,
                   dtick=1, showgrid=False, fixedrange=True),  # decades only: the 2s and 5s crowd a phone
        yaxis=dict(visible=False, range=[0, 1], fixedrange=True),
        # l: room for half of the first tick label, 0.001, centred on the axis's left end.
        shapes=shapes, annotations=annotations, margin=dict(t=top, b=bottom, l=round(1.4 * size.font) + 4, r=12),
        legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0.5, xanchor="center",
                    itemclick=False, itemdoubleclick=False),
        showlegend=True,
    )  # fmt: skip
    return theme.figure(traces, layout, projector, height=round((top + bar + bottom) / (1.3 if projector else 1.0)))


NARROWEST_PLOT_PX = {False: 330, True: 1200}  # a plot's width on a 390 px phone; in projector mode, on a projector


def _tint(colour: str, strength: float = 0.3) -> str:
    """``colour`` mixed with white: an opaque pale band, the same in the strip and in its legend."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - strength * (255 - c)):02X}" for c in rgb)


def race_figure(xs, ys, values, paths: dict[str, np.ndarray], step: int, *, log_contours: bool = False,
                title: str = "", axis_titles: tuple[str, str] = ("x", "y"), equal_axes: bool = True,
                minima=(), projector: bool = False) -> go.Figure:  # fmt: skip
    """Contours of a 2-D loss surface with each optimizer's path up to ``step``, and its ``minima`` marked."""
    size = theme.sizes(projector)
    z = np.log1p(np.maximum(values, 0) - min(0.0, float(np.min(values)))) if log_contours else values
    traces = [dict(type="contour", x=np.asarray(xs, np.float32), y=np.asarray(ys, np.float32),
                   z=np.asarray(z, np.float32), colorscale=[[0, "#F7F7F7"], [1, "#8C8C8C"]], showscale=False,
                   ncontours=25, contours=dict(coloring="heatmap", showlines=True), line=dict(width=0.5),
                   hoverinfo="skip")]  # fmt: skip
    (x0, x1), (y0, y1) = (float(np.min(xs)), float(np.max(xs))), (float(np.min(ys)), float(np.max(ys)))
    box = _view_box((x0, x1), (y0, y1))  # a path that runs off is drawn only as far as just beyond the map
    hover = f"{axis_titles[0]} = %{{x:.4g}}, {axis_titles[1]} = %{{y:.4g}}"
    for colour, (name, path) in zip(theme.SERIES, paths.items(), strict=False):
        shown = np.reshape(np.asarray(path[: step + 1], np.float64), (-1, 2))
        finite = shown[np.all(np.isfinite(shown), axis=1)]
        finite = finite[_thinned(len(finite))]
        line_x, line_y = _clipped_polyline(finite[:, 0], finite[:, 1], box)
        traces.append(dict(type="scatter", x=line_x, y=line_y, mode="lines", name=name,
                           line=dict(color=colour, width=size.line), hovertemplate=hover + f"<extra>{name}</extra>"))  # fmt: skip
        if len(finite) and _inside(*finite[-1], box):
            traces.append(dict(type="scatter", x=finite[-1:, 0].astype(np.float32), y=finite[-1:, 1].astype(np.float32),
                               mode="markers", showlegend=False, hoverinfo="skip",
                               marker=dict(color=colour, size=size.marker * 1.8, line=dict(color="white", width=2))))  # fmt: skip
    if len(minima):  # last, so that the paths keep their places in the figure's data
        marks = np.reshape(np.asarray(minima, np.float32), (-1, 2))
        traces.append(dict(type="scatter", x=marks[:, 0], y=marks[:, 1], mode="markers", name="minimum",
                           marker=dict(symbol="x-thin", size=size.marker * 2, color=theme.INK, line=dict(width=2.5, color=theme.INK)),
                           hovertemplate=f"minimum at {axis_titles[0]} = %{{x:.3g}}, {axis_titles[1]} = %{{y:.3g}}<extra></extra>"))  # fmt: skip
    layout = dict(
        title=dict(text=title),
        xaxis=dict(range=[x0, x1], title=dict(text=axis_titles[0]), showgrid=False, constrain="domain"),
        yaxis=dict(range=[y0, y1], title=dict(text=axis_titles[1]), showgrid=False, constrain="domain",
                   **({"scaleanchor": "x"} if equal_axes else {})),
        legend=dict(orientation="h", y=-0.15, yanchor="top", x=0.5, xanchor="center"),
        showlegend=len(paths) > 1,
    )  # fmt: skip
    return theme.figure(traces, layout, projector, height=520)


def line_fit_figure(x, y, w: float, b: float, *, x_range: tuple[float, float], asks: dict[float, float],
                    x_title: str = "x", y_title: str = "y", projector: bool = False) -> go.Figure:  # fmt: skip
    """The data, the neuron's line y = w·x + b across ``x_range``, and its answers for new inputs."""
    size = theme.sizes(projector)
    line_x = np.asarray(x_range, np.float64)
    traces = [dict(type="scatter", x=np.asarray(x, np.float32), y=np.asarray(y, np.float32), mode="markers",
                   name="data", marker=dict(color=theme.BLUE, size=size.marker * 1.6),
                   hovertemplate="%{x:.3g} → %{y:.3g}<extra></extra>")]  # fmt: skip
    lo, hi = float(np.min(y)), float(np.max(y))
    span = hi - lo or 1.0
    # Guesses far off the data (a diverging neuron) would squash the data to a line: leave them out.
    finite = {k: v for k, v in asks.items() if np.isfinite(v) and lo - 2 * span <= v <= hi + 2 * span}
    lo, hi = min([lo, *finite.values()]), max([hi, *finite.values()])
    pad = 0.12 * (hi - lo or 1.0)
    if np.isfinite(w) and np.isfinite(b):
        # A diverging neuron's line is steep beyond belief: draw only its part near the chart.
        with np.errstate(over="ignore", invalid="ignore"):
            ends = w * line_x + b
        seen = _clip_segment((line_x[0], ends[0]), (line_x[1], ends[1]),
                             _view_box(tuple(line_x), (lo - pad, hi + pad)))  # fmt: skip
        if seen is not None:
            (ax, ay), (bx, by) = seen
            traces.append(dict(type="scatter", x=np.array([ax, bx], np.float32), y=np.array([ay, by], np.float32),
                               mode="lines", name=f"the neuron: y = {w:.3g}·x {'−' if b < 0 else '+'} {abs(b):.3g}",
                               line=dict(color=theme.VERMILLION, width=size.line), hoverinfo="skip"))  # fmt: skip
    if finite:
        traces.append(dict(type="scatter", x=np.array(list(finite), np.float32),
                           y=np.array(list(finite.values()), np.float32), mode="markers+text", name="its guesses",
                           text=[f"{v:.3g}" for v in finite.values()], textposition="top left",
                           textfont=dict(size=size.font), hovertemplate="%{x:.3g} → %{y:.3g}<extra>its guess</extra>",
                           marker=dict(symbol="diamond", color=theme.ORANGE, size=size.marker * 1.8,
                                       line=dict(color=theme.INK, width=1))))  # fmt: skip
    layout = dict(
        xaxis=dict(title=dict(text=x_title), range=list(map(float, line_x))),
        yaxis=dict(title=dict(text=y_title), range=[lo - pad, hi + pad]),
        legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"),
    )
    return theme.figure(traces, layout, projector, height=420)


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------


def neuron_diagram(inputs, weights, bias: float, z: float, output: float, activation: str, *,
                   projector: bool = False) -> go.Figure:  # fmt: skip
    """Inputs, weighted edges, the sum z = w·x + b, the activation and the output, left to right."""
    size = theme.sizes(projector)
    n = len(inputs)
    ys = np.linspace(1, -1, n) if n > 1 else np.array([0.0])
    shapes, notes = [], []
    for i, (y, x_value, w) in enumerate(zip(ys, inputs, weights, strict=True), start=1):
        colour = theme.POSITIVE if w >= 0 else theme.NEGATIVE
        shapes.append(dict(type="line", x0=0.25, y0=y, x1=1.75, y1=0, line=dict(color=colour, width=1 + 2.5 * min(abs(w), 3))))
        notes.append(dict(x=0, y=y, text=f"x{i} = {x_value:.3g}", showarrow=False, font=dict(size=size.font)))
        notes.append(dict(x=0.9, y=y * 0.55 + 0.12, text=f"w{i} = {w:.3g}", showarrow=False,
                          font=dict(size=size.font, color=colour)))  # fmt: skip
    shapes += [dict(type="circle", x0=1.55, x1=2.45, y0=-0.45, y1=0.45, line=dict(color=theme.INK, width=2)),
               dict(type="line", x0=2.45, y0=0, x1=3.05, y1=0, line=dict(color=theme.INK, width=2)),
               dict(type="rect", x0=3.05, x1=4.15, y0=-0.35, y1=0.35, line=dict(color=theme.INK, width=2)),
               dict(type="line", x0=4.15, y0=0, x1=4.7, y1=0, line=dict(color=theme.INK, width=2))]  # fmt: skip
    notes += [dict(x=2, y=0, text=f"Σ + b<br>z = {z:.3g}", showarrow=False, font=dict(size=size.font)),
              dict(x=2, y=-0.62, text=f"b = {bias:.3g}", showarrow=False, font=dict(size=size.font)),
              dict(x=3.6, y=0, text=activation, showarrow=False, font=dict(size=size.font)),
              dict(x=5.15, y=0, text=f"<b>{output:.3g}</b>", showarrow=False, font=dict(size=size.title))]  # fmt: skip
    layout = dict(shapes=shapes, annotations=notes, showlegend=False,
                  xaxis=dict(visible=False, range=[-0.6, 5.7], fixedrange=True),
                  yaxis=dict(visible=False, range=[-1.35, 1.35], fixedrange=True))  # fmt: skip
    return theme.figure([], layout, projector, height=260)


def plane_figure(axis, values, weights, bias: float, *, lo: float = 0.0, hi: float = 1.0, points=None,
                 targets=None, point_name: str | None = None, title: str = "",
                 projector: bool = False) -> go.Figure:  # fmt: skip
    """A two-input neuron's output over the plane, its line w1·x1 + w2·x2 + b = 0, and optional points.

    Points are coloured by their 0/1 target, or drawn in ink under ``point_name``.
    """
    size = theme.sizes(projector)
    axis = np.asarray(axis, np.float32)
    traces = [dict(type="heatmap", x=axis, y=axis, z=np.asarray(values, np.float32), zmin=lo, zmax=hi,
                   colorscale=theme.DIVERGING, colorbar=dict(thickness=12, len=0.8, title=dict(text="output")),
                   hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}: %{z:.3g}<extra></extra>")]  # fmt: skip
    line = _line_across(weights, bias, float(axis[0]), float(axis[-1]))
    if line is not None:
        traces.append(dict(type="scatter", x=line[0], y=line[1], mode="lines", name="w·x + b = 0",
                           line=dict(color=theme.INK, width=size.line, dash="dash"), hoverinfo="skip"))  # fmt: skip
    if points is not None and point_name:
        traces.append(dict(type="scatter", x=np.asarray(points)[:, 0], y=np.asarray(points)[:, 1], mode="markers",
                           name=point_name, marker=dict(color=theme.INK, size=size.marker * 2, symbol="x")))  # fmt: skip
    elif points is not None:
        targets = np.asarray(targets)
        for label, colour in ((0, theme.NEGATIVE), (1, theme.POSITIVE)):
            chosen = np.asarray(points)[np.round(targets) == label]
            traces.append(dict(type="scatter", x=chosen[:, 0], y=chosen[:, 1], mode="markers", name=f"target {label}",
                               marker=dict(color=colour, size=size.marker * 2.6, line=dict(color="white", width=2))))  # fmt: skip
    square = [float(axis[0]), float(axis[-1])]
    layout = dict(title=dict(text=title), xaxis=dict(title=dict(text="x₁"), range=square, constrain="domain"),
                  yaxis=dict(title=dict(text="x₂"), range=square, scaleanchor="x", constrain="domain"),
                  # The legend at the figure's foot, below the x₁ title (at a share of the plot it sat on it).
                  legend=dict(orientation="h", x=0.5, xanchor="center", yref="container", y=0, yanchor="bottom"),
                  margin=dict(b=int(4.2 * size.font) + 12))  # fmt: skip
    return theme.figure(traces, layout, projector, height=380)


def _line_across(weights, bias: float, lo: float, hi: float):
    """Points of w1·x1 + w2·x2 + b = 0 inside the square [lo, hi]², or None when it misses it."""
    w1, w2 = float(weights[0]), float(weights[1])
    if abs(w1) < 1e-12 and abs(w2) < 1e-12:
        return None
    if abs(w2) >= abs(w1):
        xs = np.array([lo, hi])
        ys = -(w1 * xs + bias) / w2
    else:
        ys = np.array([lo, hi])
        xs = -(w2 * ys + bias) / w1
    return xs.astype(np.float32), ys.astype(np.float32)


def activation_figure(z, values, slopes, saturated, *, name: str, projector: bool = False) -> go.Figure:
    """One activation and its derivative, with the saturated stretches (derivative near 0) shaded."""
    size = theme.sizes(projector)
    z = np.asarray(z, np.float64)
    traces = [dict(type="scatter", x=z.astype(np.float32), y=np.asarray(values, np.float32), mode="lines", name="f(z)",
                   line=dict(color=theme.BLUE, width=size.line)),
              dict(type="scatter", x=z.astype(np.float32), y=np.asarray(slopes, np.float32), mode="lines",
                   name="f′(z)", line=dict(color=theme.VERMILLION, width=size.line, dash="dash"))]  # fmt: skip
    shapes = [dict(type="rect", xref="x", yref="paper", x0=float(a), x1=float(b), y0=0, y1=1, fillcolor=theme.GREY,
                   opacity=0.12, line=dict(width=0)) for a, b in _runs(z, np.asarray(saturated))]  # fmt: skip
    peak = int(np.argmax(slopes))
    notes = [dict(x=float(z[peak]), y=float(slopes[peak]), text=f"max f′ = {float(slopes[peak]):.3g}", showarrow=True,
                  arrowhead=2, ax=40, ay=-30, font=dict(size=size.font))]  # fmt: skip
    layout = dict(title=dict(text=name), shapes=shapes, annotations=notes, xaxis=dict(title=dict(text="z")),
                  legend=dict(orientation="h", x=1, xanchor="right", y=1.0, yanchor="bottom"))  # fmt: skip
    return theme.figure(traces, layout, projector, height=300)


def _runs(x: np.ndarray, flags: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) x-intervals where ``flags`` holds."""
    out, start = [], None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = x[i]
        if start is not None and not flag:
            out.append((start, x[i - 1]))
            start = None
    if start is not None:
        out.append((start, x[-1]))
    return out


def gradient_bars(gradients: dict[str, np.ndarray], *, projector: bool = False) -> go.Figure:
    """The gradient reaching each layer (first to last) for each activation, on a log scale."""
    traces = []
    for colour, (name, values) in zip(theme.SERIES, gradients.items(), strict=False):
        v = np.maximum(np.asarray(values, np.float64), 1e-30)
        traces.append(dict(type="bar", x=[f"layer {i + 1}" for i in range(len(v))], y=v.astype(np.float32), name=name,
                           marker=dict(color=colour), hovertemplate="%{x}: %{y:.2e}<extra>" + name + "</extra>"))  # fmt: skip
    layout = dict(title=dict(text="Gradient reaching each layer (layer 1 is next to the input)"),
                  yaxis=dict(type="log", exponentformat="power", title=dict(text="mean |∂loss/∂w|")),
                  barmode="group", legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"))  # fmt: skip
    return theme.figure(traces, layout, projector, height=340)


def class_bars(labels, probabilities, *, highlight: int | None = None, title: str = "",
               projector: bool = False) -> go.Figure:  # fmt: skip
    """Probabilities as bars with percentages; the highlighted class in blue."""
    size = theme.sizes(projector)
    probs = np.asarray(probabilities, np.float64)
    colours = [theme.BLUE if i == highlight else "#9E9E9E" for i in range(len(probs))]
    trace = dict(type="bar", x=list(labels), y=probs.astype(np.float32), marker=dict(color=colours),
                 text=[f"{p:.3f}" for p in probs], textposition="outside", cliponaxis=False,
                 textfont=dict(size=size.font), hovertemplate="%{x}: %{y:.4f}<extra></extra>")  # fmt: skip
    layout = dict(title=dict(text=title), xaxis=dict(type="category"), yaxis=dict(range=[0, 1.15], title=dict(text="probability")),
                  showlegend=False, bargap=0.3)  # fmt: skip
    return theme.figure([trace], layout, projector, height=300)


def loss_curves_figure(x, curves: dict[str, np.ndarray], *, x_title: str, title: str = "", marker: dict | None = None,
                       y_range=None, projector: bool = False) -> go.Figure:  # fmt: skip
    """Loss functions of one variable, each its own colour, with an optional marked point per curve."""
    size = theme.sizes(projector)
    traces = []
    for colour, (name, values) in zip(theme.SERIES, curves.items(), strict=False):
        traces.append(dict(type="scatter", x=np.asarray(x, np.float32), y=np.asarray(values, np.float32), mode="lines",
                           name=name, line=dict(color=colour, width=size.line)))  # fmt: skip
        if marker and name in marker:
            mx, my = marker[name]
            traces.append(dict(type="scatter", x=[mx], y=[my], mode="markers+text", text=[f"{my:.3f}"],
                               textposition="top right", showlegend=False, textfont=dict(size=size.font),
                               marker=dict(color=colour, size=size.marker * 1.8, line=dict(color="white", width=2))))  # fmt: skip
    layout = dict(title=dict(text=title), xaxis=dict(title=dict(text=x_title)), yaxis=dict(title=dict(text="loss")),
                  legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"))  # fmt: skip
    if y_range is not None:
        layout["yaxis"]["range"] = list(y_range)
    return theme.figure(traces, layout, projector, height=320)


def fitted_lines_figure(x, y, lines: dict[str, tuple[float, float]], *, outlier: int | None = None,
                        projector: bool = False) -> go.Figure:  # fmt: skip
    """Data with one fitted line per loss; the participant's outlier ringed."""
    size = theme.sizes(projector)
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    traces = [dict(type="scatter", x=x.astype(np.float32), y=y.astype(np.float32), mode="markers", name="data",
                   marker=dict(color=theme.INK, size=size.marker * 1.5))]  # fmt: skip
    if outlier is not None:
        traces.append(dict(type="scatter", x=[float(x[outlier])], y=[float(y[outlier])], mode="markers", name="your outlier",
                           marker=dict(color="rgba(0,0,0,0)", size=size.marker * 3.2, line=dict(color=theme.VERMILLION, width=3))))  # fmt: skip
    span = np.array([min(0.0, x.min()), max(10.0, x.max())])
    for colour, (name, (w, b)) in zip(theme.SERIES, lines.items(), strict=False):
        traces.append(dict(type="scatter", x=span.astype(np.float32), y=(w * span + b).astype(np.float32), mode="lines",
                           name=f"{name}: y = {w:.2f}x {'−' if b < 0 else '+'} {abs(b):.2f}",
                           line=dict(color=colour, width=size.line)))  # fmt: skip
    layout = dict(xaxis=dict(title=dict(text="x"), range=[float(span[0]) - 0.3, float(span[1]) + 0.3]),
                  yaxis=dict(title=dict(text="y")),
                  legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"))  # fmt: skip
    return theme.figure(traces, layout, projector, height=400)


# --------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------


def diverging_rgb(values, limit: float | None = None) -> np.ndarray:
    """Signed values as an RGB uint8 image on the shared diverging scale: orange below 0, white at 0, blue above.

    Sent as a picture, not a heatmap: a 512 x 512 heatmap would cost ~1 MB per redraw.
    """
    v = np.asarray(values, np.float32)
    limit = float(limit if limit is not None else np.nanmax(np.abs(v)) or 1.0) or 1.0
    levels = np.clip((np.nan_to_num(v) / limit + 1) * 127.5, 0, 255).astype(np.uint8)
    return _diverging_table()[levels]


@functools.cache
def _diverging_table() -> np.ndarray:
    """The diverging scale at 256 levels, (256, 3) uint8: a lookup is ~10x faster than interpolating each pixel."""
    stops = np.array([s for s, _ in theme.DIVERGING])
    colours = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for _, c in theme.DIVERGING], np.float64)
    t = np.linspace(0, 1, 256)
    return np.stack([np.interp(t, stops, colours[:, i]) for i in range(3)], axis=-1).round().astype(np.uint8)


def number_grid(values, *, title: str = "", window: tuple[int, int, int] | None = None, inner: int = 0,
                filled: int | None = None, signed: bool = False, projector: bool = False) -> go.Figure:  # fmt: skip
    """A small grid of numbers with each value written in its cell.

    ``window`` = (top, left, size) outlines the kernel's current position;
    ``inner`` > 0 marks that many rings of zero padding with a dashed border
    around the real grid; ``filled`` shows only the first n cells in reading
    order (the output grid filling up as the kernel walks).
    """
    size = theme.sizes(projector)
    v = np.asarray(values, np.float64)
    rows, cols = v.shape
    shown = v.copy()
    if filled is not None:
        flat = shown.ravel()
        flat[filled:] = np.nan
        shown = flat.reshape(rows, cols)
    limit = (float(np.nanmax(np.abs(shown))) if np.isfinite(shown).any() else 0.0) or 1.0
    text = [[("" if not np.isfinite(x) else f"{x:.3g}") for x in row] for row in shown]
    trace = dict(type="heatmap", z=np.where(np.isfinite(shown), shown, np.nan).astype(np.float32), text=text,
                 texttemplate="%{text}", textfont=dict(size=size.font), showscale=False, hoverinfo="skip", xgap=2, ygap=2,
                 colorscale=theme.DIVERGING if signed else [[0, "#FFFFFF"], [1, theme.SKY]],
                 zmin=-limit if signed else min(0.0, float(np.nanmin(shown)) if np.isfinite(shown).any() else 0.0),
                 zmax=limit)  # fmt: skip
    shapes = []
    if inner:
        shapes.append(dict(type="rect", x0=inner - 0.5, x1=cols - inner - 0.5, y0=inner - 0.5, y1=rows - inner - 0.5,
                           line=dict(color=theme.GREY, width=2, dash="dot")))  # fmt: skip
    if window is not None:
        top, left, k = window
        shapes.append(dict(type="rect", x0=left - 0.5, x1=left + k - 0.5, y0=top - 0.5, y1=top + k - 0.5,
                           line=dict(color=theme.VERMILLION, width=size.line + 1)))  # fmt: skip
    layout = dict(title=dict(text=title), shapes=shapes, plot_bgcolor="#EDEDED",  # cells still to fill show grey
                  xaxis=dict(visible=False, range=[-0.5, cols - 0.5], constrain="domain", fixedrange=True),
                  yaxis=dict(visible=False, range=[rows - 0.5, -0.5], scaleanchor="x", constrain="domain", fixedrange=True))  # fmt: skip
    return theme.figure([trace], layout, projector, height=max(220, 34 * rows + 60))
