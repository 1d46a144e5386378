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
import itertools
import math
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from dlviz.core import text as text_module
from dlviz.core import theme

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


def coloraxis(**colorbar) -> dict:
    """The diverging scale over quantized values, shared by every trace that uses it."""
    axis = dict(colorscale=theme.DIVERGING, cmin=0, cmax=LEVELS)
    if colorbar:
        axis["colorbar"] = colorbar
    else:
        axis["showscale"] = False
    return axis


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
    With three or more classes ``values`` is (rows, columns, classes) of
    probabilities, drawn as class regions (``class_regions``). (The Playground draws its plane on a canvas,
    ``dlviz.core.plane``; Overfitting's maps keep this.)
    """
    size = theme.sizes(projector)
    axis = np.asarray(axis, dtype=np.float32)
    surface = np.asarray(values, dtype=np.float64)
    classes = surface.shape[-1] if surface.ndim == 3 else 2
    extent = [float(axis[0]), float(axis[-1])]
    plane_axis = dict(range=extent, showgrid=False, zeroline=False, constrain="domain")
    layout = dict(
        xaxis=dict(plane_axis, title=dict(text="x₁", standoff=4)),
        yaxis=dict(plane_axis, title=dict(text="x₂"), scaleanchor="x", scaleratio=1),
        # Legend above and colour bar below, both centred: the square plot is
        # centred too, so they stay next to it however wide the page is.
        legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"),
        hoverlabel=dict(namelength=-1),  # "validation · class 0" is longer than plotly's 15
    )
    if classes > 2:
        background = dict(class_regions(surface, discrete), hoverinfo="skip", opacity=0.7, **_grid_placement(axis))
        background["colorbar"] = _class_colorbar(classes, size)
    else:
        lo, hi = (-1.0, 1.0) if regression else (0.0, 1.0)
        thresholded = discrete and not regression
        if thresholded:
            surface = np.where(np.nan_to_num(surface, nan=0.5) > 0.5, *DISCRETE_SHADES[::-1])
        # Lighter than the node pictures, so the points stay visible on a confident map.
        background = dict(type="heatmap", z=quantize(surface, lo, hi), coloraxis="coloraxis", hoverinfo="skip",
                          opacity=0.7, **_grid_placement(axis))  # fmt: skip
        layout["coloraxis"] = coloraxis(**_boundary_colorbar(lo, hi, regression, thresholded, size))
    traces = [
        background,
        *_point_traces(x_train, y_train, x_val, y_val, regression, size, classes),
        *_point_legend(size, regression, with_validation=len(x_val if x_val is not None else []) > 0),
    ]
    return theme.figure(traces, layout, projector, height=420)


REGION_SHADES = 4  # how sure the network is, in steps, within each class's region


def class_regions(probabilities: np.ndarray, discrete: bool = False) -> dict:
    """A heatmap of the most likely class, each region shaded by how sure the network is.

    One uint8 value per cell, ``class * REGION_SHADES + shade``, on a colour scale of bands that run from
    pale to the class's colour, so the map travels as compactly as a two-class one. ``discrete`` draws
    every region in one shade.
    """
    p = np.nan_to_num(np.asarray(probabilities, dtype=np.float64), nan=0.0)
    classes = p.shape[-1]
    winner = p.argmax(axis=-1)
    chance = 1.0 / classes
    sure = np.clip((p.max(axis=-1) - chance) / (1.0 - chance), 0.0, 1.0)
    shade = (
        np.full(winner.shape, REGION_SHADES - 1) if discrete else np.minimum(sure * REGION_SHADES, REGION_SHADES - 1)
    )
    z = (winner * REGION_SHADES + shade.astype(int)).astype(np.uint8)
    bands = classes * REGION_SHADES
    scale = []
    for c, colour in enumerate(theme.class_colours(classes)):
        for level in range(REGION_SHADES):
            shown = theme.blend(colour, 0.15 + 0.75 * (level + 1) / REGION_SHADES)
            i = c * REGION_SHADES + level
            scale += [[i / bands, shown], [(i + 1) / bands, shown]]
    return dict(type="heatmap", z=z, zmin=-0.5, zmax=bands - 0.5, colorscale=scale)


def _class_colorbar(classes: int, size: theme.Sizes) -> dict:
    """Below the plane, as the two-class colour bar: one tick per class, at its surest shade."""
    bar = _boundary_colorbar(0.0, 1.0, False, False, size)
    bar.update(
        title=dict(text="most likely class", side="right"),
        tickvals=[c * REGION_SHADES + REGION_SHADES - 1 for c in range(classes)],
        ticktext=[str(c) for c in range(classes)],
    )
    return bar


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
        orientation="h",
        x=0.5,
        xanchor="center",
        y=-0.055 - 0.006 * size.font,
        yanchor="top",
        lenmode="pixels",
        len=17 * size.font,
        thickness=10,
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


def _point_traces(x_train, y_train, x_val, y_val, regression: bool, size: theme.Sizes, classes: int = 2) -> list:
    styles = _marker_styles(size, regression)
    traces = []
    for role, (xy, targets) in {"train": _points(x_train, y_train), "validation": _points(x_val, y_val)}.items():
        if regression:
            colour = dict(color=quantize(targets, -1, 1), coloraxis="coloraxis")
            traces.append(_scatter_points(xy, role, dict(styles[role], **colour), size))
        else:
            traces += _class_traces(xy, targets, role, styles[role], size, classes)
    return [t for t in traces if len(t["x"])]


def _class_traces(xy, targets, role: str, style: dict, size: theme.Sizes, classes: int = 2) -> list[dict]:
    traces = []
    for label, class_colour in enumerate(theme.class_colours(classes)):
        chosen = (targets > 0.5) == bool(label) if classes <= 2 else np.rint(targets) == label
        if role == "train":
            colour = dict(color=class_colour)
        else:
            colour = dict(color="white", line=dict(style["line"], color=class_colour))
        traces.append(_scatter_points(xy[chosen], f"{role} · class {label}", dict(style, **colour), size))
    return traces


def _scatter_points(xy: np.ndarray, name: str, marker: dict, size: theme.Sizes) -> dict:
    return dict(
        type="scatter",
        x=xy[:, 0],
        y=xy[:, 1],
        mode="markers",
        name=name,
        marker=dict(marker, size=size.marker),
        showlegend=False,
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
        epochs, drawn = drawable_curve(values, log_y)
        traces.append(
            dict(
                type="scatter",
                x=epochs,
                y=drawn,
                mode="lines" if len(drawn) > 1 else "markers",
                name=name,  # one epoch: a dot
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
        if log_y
        else dict(title=dict(text=y_title)),
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
            type="line",
            x0=best_epoch,
            x1=best_epoch,
            yref="paper",
            y0=0,
            y1=1,
            line=dict(color=theme.GREY, dash="dash", width=max(1.0, size.line / 2)),
        )
    ]
    layout["annotations"] = [
        dict(
            x=best_epoch,
            y=1,
            yref="paper",
            yanchor="top",
            xanchor="right" if on_left else "left",
            xshift=-4 if on_left else 4,
            text="lowest validation loss",
            showarrow=False,
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


def drawable_curve(values, log_y: bool) -> tuple[np.ndarray, np.ndarray]:
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


GREYS = [[0.0, "#FFFFFF"], [1.0, "#111111"]]  # ink is dark on white, as on paper


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


def confusion_figure(matrix: np.ndarray, labels: list[str], *, projector: bool = False, meant: str = "meant",
                     read: str = "read as", height: int = 420, clickable: bool = False,
                     chosen: tuple[int, int] | None = None) -> go.Figure:  # fmt: skip
    """True class (rows) against the prediction (columns): right answers in blue, mistakes in orange.

    ``clickable``: each cell can be clicked (``clicked_cell`` reads which), and the ``chosen`` one is framed.
    Streamlit reports no clicks on heatmap traces (streamlit/streamlit#8760), so an invisible scatter trace
    lies on top with one point per cell, its customdata the cell's (row, column): a click selects the
    nearest point (``hoverdistance`` -1: the cell under the pointer), which Streamlit does report. The
    points carry the count's hover text, so hovering reads as before; their ``hoverinfo`` is not "skip",
    which would also stop their clicks."""
    size = theme.sizes(projector)
    counts = np.asarray(matrix, np.int64)
    k = counts.shape[0]
    eye = np.eye(k, dtype=bool)
    wrong, right = np.where(eye, 0, counts), np.where(eye, counts, 0)
    names = [text_module.chart_text(name) for name in labels]
    text = [[str(v) if v else "" for v in row] for row in counts.tolist()]
    font = size.font if k <= 12 else max(9, size.font - 4)
    traces = [
        dict(type="heatmap", z=right.tolist(), x=names, y=names, colorscale=[[0, "rgba(0,0,0,0)"], [1e-9, "#D6E9F5"],
             [1, theme.BLUE]], showscale=False, hoverinfo="skip", zmin=0, zmax=max(1, int(right.max()))),
        dict(type="heatmap", z=np.where(wrong > 0, wrong, np.nan).tolist(), x=names, y=names,
             colorscale=[[0, "#FBE3CC"], [1, theme.VERMILLION]], showscale=False, hoverinfo="skip",
             zmin=0, zmax=max(1, int(wrong.max()))),
        dict(type="heatmap", z=counts.tolist(), x=names, y=names, text=text, texttemplate="%{text}",
             textfont=dict(size=font), colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
             showscale=False, hovertemplate=f"{meant} %{{y}}, {read} %{{x}}: %{{z}}<extra></extra>"),
    ]  # fmt: skip
    layout = dict(
        # no title: the page's heading says what is counted, and a long title collided with the top axis's
        # title in half a projector's width
        xaxis=dict(title=dict(text=f"{read} (mistakes in orange)"), type="category", side="top", showgrid=False),
        yaxis=dict(title=dict(text=meant), type="category", autorange="reversed", showgrid=False, scaleanchor="x"),
        margin=dict(t=70),
    )
    if clickable:
        rows, cols = np.divmod(np.arange(k * k), k)
        invisible = dict(marker=dict(opacity=0))
        traces[-1] = {**traces[-1], "hoverinfo": "skip", "hovertemplate": None}
        traces.append(dict(
            type="scatter", mode="markers", name="cells", showlegend=False,
            x=[names[j] for j in cols], y=[names[i] for i in rows],
            customdata=[[int(i), int(j)] for i, j in zip(rows, cols, strict=True)],
            text=[str(int(counts[i, j])) for i, j in zip(rows, cols, strict=True)],
            marker=dict(symbol="square", size=size.marker, opacity=0, color=theme.INK),
            selected=invisible, unselected=invisible,
            hovertemplate=f"{meant} %{{y}}, {read} %{{x}}: %{{text}}<extra></extra>",
        ))  # fmt: skip
        layout["hoverdistance"] = -1
        for axis in ("xaxis", "yaxis"):  # a click that moves a pixel must not pan the matrix (a phone's tap does)
            layout[axis]["fixedrange"] = True
        if chosen is not None and all(0 <= c < k for c in chosen):
            i, j = chosen
            layout["shapes"] = [dict(type="rect", xref="x", yref="y", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5,
                                     y1=i + 0.5, line=dict(color=theme.INK, width=3), fillcolor="rgba(0,0,0,0)",
                                     layer="above")]  # fmt: skip
    return theme.figure(traces, layout, projector, height=height)


def clicked_cell(selection: Mapping | None, k: int) -> tuple[int, int] | None:
    """The cell a click on a clickable ``confusion_figure`` chose, from the chart's selection as Streamlit
    reports it (``{"points": [{"customdata": [i, j], ...}], ...}``); None when nothing usable is selected."""
    points = (selection or {}).get("points") or []
    for point in reversed(list(points)):
        data = point.get("customdata") if isinstance(point, Mapping) else None
        if not isinstance(data, list | tuple) or len(data) < 2:
            continue
        try:
            i, j = int(data[0]), int(data[1])
        except (TypeError, ValueError):
            continue
        if 0 <= i < k and 0 <= j < k:
            return i, j
    return None
