"""The Playground's network diagram: node pictures, weighted edges, dropped units.

Plotly figure builders: arrays in, ``go.Figure`` out (the shared conventions are in ``dlviz.core.charts``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from dlviz.core import theme
from dlviz.core.charts import coloraxis, quantize

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
    node_values: list[np.ndarray] | None = None,
    editable: bool = False,
    biases: list[np.ndarray] | None = None,
) -> go.Figure:
    """A TensorFlow-Playground-style diagram of a dense network.

    Column 0 holds the inputs, then one column per entry of ``layer_sizes``
    (the last is the output layer). ``weights[k]`` has shape (n_in, n_out);
    ``node_images[c]`` has shape (n_nodes, h, w) with values in [0, 1], row 0
    at the bottom of the input plane. ``dropped[k]`` marks units of hidden
    layer k dropped this step: they are greyed out and their edges left out.
    ``node_values[c]`` (n_nodes,) are written under column c's nodes: one point's inputs and activations
    (the glass box). ``editable`` lays a click target on every edge and node (``weight_targets``); its hover
    label names the weight or bias and its value (``biases[k]`` for layer k's, when given).
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
    if node_values is not None:
        traces.append(_values_trace(node_values, centres_y, size))
    if editable:
        traces.append(_targets_trace(column_sizes, weights, biases, input_labels))

    height = max(MIN_NETWORK_HEIGHT, PX_PER_NODE * max(column_sizes))
    layout = _network_layout(
        input_labels,
        column_sizes,
        centres_y,
        _captions(layer_sizes, activations),
        size,
        final_height=height * (1.3 if projector else 1.0),
        below_px=size.font * 1.2 if node_values is not None else 0.0,  # room for the numbers under the last nodes
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
                    x0=round(x_left + dx / 2, 5),
                    dx=dx,
                    y0=round(float(y) - HALF + dy / 2, 5),
                    dy=dy,
                    coloraxis="coloraxis",
                    name=name,
                    hoverinfo="name",
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
                x=x,
                y=y,
                mode="lines",
                line=dict(color=colour, width=width),
                hoverinfo="skip",
                showlegend=False,
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
                [
                    (x - HALF, y - HALF),
                    (x + HALF, y - HALF),
                    (x + HALF, y + HALF),
                    (x - HALF, y + HALF),
                    (x - HALF, y - HALF),
                ]
            )
    return squares


@dataclass(frozen=True)
class Target:
    """A weight (from unit ``i`` of column ``layer`` to unit ``j`` of the next) or a bias (of unit ``j`` of
    layer ``layer``'s output column, ``i`` None), where its click target sits on the diagram."""

    x: float
    y: float
    layer: int
    i: int | None
    j: int


def weight_targets(column_sizes: list[int]) -> list[Target]:
    """One click target per weight, on its edge, and one per bias, on its node.

    Each edge (i, j) of a layer gets its target at a fraction of the way along it that depends on j, so the
    x of a target tells j and its y then tells i: every target sits at a place of its own.
    """
    centres_y = [_column_ys(n) for n in column_sizes]
    targets = []
    for k in range(len(column_sizes) - 1):
        x_from, x_to = _column_x(k) + HALF, _column_x(k + 1) - HALF
        n_to = column_sizes[k + 1]
        for j in range(n_to):
            t = (j + 1) / (n_to + 1)
            for i in range(column_sizes[k]):
                y = centres_y[k][i] + t * (centres_y[k + 1][j] - centres_y[k][i])
                targets.append(Target(x_from + t * (x_to - x_from), float(y), k, i, j))
        targets += [Target(float(_column_x(k + 1)), float(centres_y[k + 1][j]), k, None, j) for j in range(n_to)]
    return targets


def target_at(column_sizes: list[int], x: float, y: float) -> Target | None:
    """The weight or bias whose click target is at (x, y), as a click reports it."""
    found = min(weight_targets(column_sizes), key=lambda t: (t.x - x) ** 2 + (t.y - y) ** 2, default=None)
    return found if found is not None and abs(found.x - x) + abs(found.y - y) < 1e-3 else None


def _targets_trace(column_sizes, weights, biases, input_labels) -> dict:
    names = [list(input_labels), *([f"{'output' if c == len(column_sizes) - 1 else f'H{c}'}.{j + 1}"
                                    for j in range(n)] for c, n in enumerate(column_sizes[1:], 1))]  # fmt: skip
    x, y, text = [], [], []
    for t in weight_targets(column_sizes):
        if t.i is None:
            value = biases[t.layer][t.j] if biases is not None else None
            label = f"bias of {names[t.layer + 1][t.j]}"
        else:
            value = weights[t.layer][t.i, t.j]
            label = f"weight {names[t.layer][t.i]} → {names[t.layer + 1][t.j]}"
        x.append(t.x)
        y.append(t.y)
        text.append(label + (f" = {value:.3g}" if value is not None else "") + " (click to edit)")
    return dict(type="scatter", x=x, y=y, text=text, mode="markers", name="edit", showlegend=False,
                hoverinfo="text", marker=dict(size=12, opacity=0), selected=dict(marker=dict(opacity=0)),
                unselected=dict(marker=dict(opacity=0)))  # fmt: skip


def _values_trace(node_values, centres_y, size: theme.Sizes) -> dict:
    """Each node's number just under its square, in the ink colour."""
    x, y, text = [], [], []
    for c, (values, ys) in enumerate(zip(node_values, centres_y, strict=True)):
        values = np.asarray(values, dtype=np.float64).ravel()
        if len(values) != len(ys):
            raise ValueError(f"node_values[{c}] has {len(values)} values for {len(ys)} nodes")
        x += [_column_x(c)] * len(ys)
        y += list(ys - HALF - 0.1)
        text += [f"{v:.3g}" if np.isfinite(v) else "–" for v in values]
    return dict(type="scatter", x=x, y=y, text=text, mode="text", textposition="bottom center",
                textfont=dict(size=max(9, size.font - 2), color=theme.INK), hoverinfo="skip", showlegend=False)  # fmt: skip


def _outline_trace(centres_y, size: theme.Sizes) -> dict:
    # With line shape "hv" every segment is drawn as a horizontal then a
    # vertical stroke, so corner, opposite corner, corner is a whole square:
    # three points instead of five.
    everyone = [np.ones(len(ys), dtype=bool) for ys in centres_y]
    x, y = _polylines([[s[0], s[2], s[0]] for s in _squares(centres_y, everyone)])
    return dict(
        type="scatter",
        x=x,
        y=y,
        mode="lines",
        line=dict(color=theme.INK, width=size.line / 2.5, shape="hv"),
        hoverinfo="skip",
        showlegend=False,
    )


def _dropped_trace(centres_y, active) -> dict | None:
    """Grey veils over dropped units, or None when no unit is dropped."""
    squares = _squares(centres_y, [~a for a in active])
    if not squares:
        return None
    x, y = _polylines(squares)
    return dict(
        type="scatter",
        x=x,
        y=y,
        mode="lines",
        fill="toself",
        fillcolor=theme.GREY,
        opacity=0.75,
        line=dict(width=0),
        name="dropped",
        hoverinfo="skip",
        showlegend=False,
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


def _network_layout(input_labels, column_sizes, centres_y, captions, size, final_height, below_px=0.0) -> dict:
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
        dict(x=_column_x(c), y=top + 0.4, text=text, yanchor="bottom", showarrow=False, font=dict(size=size.font))
        for c, text in enumerate(captions)
    ]
    annotations += [
        dict(x=label_x, y=float(y), text=label, xanchor="right", showarrow=False, font=dict(size=size.font))
        for label, y in zip(input_labels, centres_y[0], strict=True)
    ]
    hidden_axis = dict(visible=False, fixedrange=True)
    return dict(
        xaxis=dict(hidden_axis, range=[label_x - label_units - 0.3, _column_x(len(column_sizes) - 1) + HALF + 0.5]),
        yaxis=dict(
            hidden_axis,
            range=[-top - 0.5 - below_px / px_per_unit, top + 0.4 + caption_px / px_per_unit],
            scaleanchor="x",
            scaleratio=1,
        ),
        coloraxis=coloraxis(),
        annotations=annotations,
        showlegend=False,
        hovermode="closest",
        hoverlabel=dict(namelength=-1),  # node names are the hover text; don't cut them short
    )
