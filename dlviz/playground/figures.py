"""The Playground's network diagram as data for its canvas (``dlviz.ui.diagram``): node pictures, edges
as wide and as coloured as their weights, captions, and the glass box's numbers.

Arrays in, a JSON-able dict out (the shared conventions are in ``dlviz.core.charts`` and ``dlviz.core.plane``).
"""

from __future__ import annotations

import math

import numpy as np

from dlviz.core import theme

# Diagram units: node centres on whole numbers along x.
SQUARE = 2  # side of a node's square
HALF = SQUARE // 2
PITCH = 3  # vertical distance between node centres
COLUMN_STEP = 7  # horizontal distance between column centres
MIN_EDGE_WIDTH = 0.5  # px; the widest is the theme's edge_max

# Node pictures share this many pixels in all; bigger networks get coarser pictures (7 x 7 for the largest,
# 104 nodes).
NODE_PIXEL_BUDGET = 6400
PX_PER_NODE = 60
MIN_NETWORK_HEIGHT = 320


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


def _shrink(image: np.ndarray, side: int | None) -> np.ndarray:
    """Nearest-neighbour resample to at most ``side`` x ``side`` pixels."""
    h, w = image.shape
    if side is None or (h <= side and w <= side):
        return image
    rows = ((np.arange(min(h, side)) + 0.5) * h / min(h, side)).astype(int)
    cols = ((np.arange(min(w, side)) + 0.5) * w / min(w, side)).astype(int)
    return image[np.ix_(rows, cols)]


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


# --- the diagram on a canvas ------------------------------------------------------------------------------
def network_view(input_labels: list[str], layer_sizes: list[int], weights: list[np.ndarray],
                 node_images: list[np.ndarray], *, activations: list[str] | None = None, projector: bool = False,
                 node_values: list[np.ndarray] | None = None, editable: bool = False,
                 biases: list[np.ndarray] | None = None) -> dict:  # fmt: skip
    """What the Playground's diagram canvas (``dlviz.ui.diagram``) draws, as JSON-able data: the same
    diagram as ``network_figure``, in its units (node squares of side SQUARE, PITCH apart, columns
    COLUMN_STEP apart).

    ``sprite``: every node's picture, shrunk to ``side`` pixels (NODE_PIXEL_BUDGET for all), side by side
    in one PNG in the boundary's colours, in the order of ``columns``. ``edges``: [layer, i, j, weight];
    ``biases``: [layer, j, bias] (with ``editable``: hovering an edge or a node names its weight or bias, a
    click picks it). ``values``: one point's numbers under the nodes (the glass box), or None.
    """
    from dlviz.core import plane

    column_sizes = [len(input_labels), *layer_sizes]
    _check_network(column_sizes, weights, node_images)
    weights = [np.nan_to_num(np.asarray(w, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0) for w in weights]
    n_nodes = sum(column_sizes)
    side = max(2, min(int(np.shape(node_images[0])[-1]), math.isqrt(NODE_PIXEL_BUDGET // n_nodes)))
    tiles = [_shrink(np.asarray(image, np.float64), side) for images in node_images for image in np.asarray(images)]
    strip = np.concatenate([np.pad(t, ((0, side - t.shape[0]), (0, side - t.shape[1])), mode="edge")
                            for t in tiles], axis=1)  # fmt: skip
    sprite = plane.boundary_image(strip, opacity=1.0)  # row 0 of a picture is the plane's bottom: drawn last
    names = [list(input_labels), *([f"{'output' if c == len(column_sizes) - 1 else f'H{c}'}"
                                    f"{'' if c == len(column_sizes) - 1 and n == 1 else f'.{j + 1}'}"
                                    for j in range(n)] for c, n in enumerate(column_sizes[1:], 1))]  # fmt: skip
    values = None
    if node_values is not None:
        values = []
        for c, v in enumerate(node_values):
            v = np.asarray(v, dtype=np.float64).ravel()
            if len(v) != column_sizes[c]:
                raise ValueError(f"node_values[{c}] has {len(v)} values for {column_sizes[c]} nodes")
            values.append([f"{x:.3g}" if np.isfinite(x) else "–" for x in v])
    size = theme.sizes(projector)
    height = max(MIN_NETWORK_HEIGHT, PX_PER_NODE * max(column_sizes)) * (1.3 if projector else 1.0)
    return {
        "columns": [
            {"x": _column_x(c), "ys": _column_ys(n).tolist(), "names": names[c], "caption": caption.split("<br>")}
            for c, (n, caption) in enumerate(zip(column_sizes, _captions(layer_sizes, activations), strict=True))
        ],  # fmt: skip
        "labels": list(input_labels),
        "sprite": plane.png_url(sprite),
        "side": side,
        "edges": [
            [k, int(i), int(j), round(float(w[i, j]), 4)]
            for k, w in enumerate(weights)
            for i in range(w.shape[0])
            for j in range(w.shape[1])
        ],  # fmt: skip
        "biases": [
            [k, int(j), round(float(b[j]), 4)] for k, b in enumerate(biases or []) for j in range(len(np.ravel(b)))
        ],  # fmt: skip
        "values": values,
        "editable": bool(editable),
        "square": SQUARE,
        "pitch": PITCH,
        "height": round(height),
        "font": size.font,
        "line": size.line,
        "edge": [MIN_EDGE_WIDTH, size.edge_max],
        "colours": {"positive": theme.POSITIVE, "negative": theme.NEGATIVE, "ink": theme.INK},
    }
