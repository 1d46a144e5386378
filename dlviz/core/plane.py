"""The input plane drawn on a canvas: the network's output as a picture, the data points on top.

TensorFlow Playground draws its boundary into a canvas (``heatmap.ts``); so does the Playground here
(``dlviz.ui.plane``), fed by ``plane_view``: one small PNG of the output in the boundary's colours, the
points as short arrays, and the legend and colour bar as text. A Plotly chart of the same (``charts.
boundary_figure``, which the other pages keep) costs the browser about 50 ms to update whatever it holds,
on every epoch a participant steps or plays through.

No streamlit here: arrays in, a JSON-able dict out.
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np

from dlviz.core import theme
from dlviz.core.charts import DISCRETE_SHADES, REGION_SHADES

OPACITY = 0.7  # the output under the points, lighter than the node pictures (as the Plotly boundary draws it)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], np.float64)


def colour_table() -> np.ndarray:
    """The boundary's diverging scale (theme.DIVERGING) as 256 RGB rows."""
    stops = np.array([s for s, _ in theme.DIVERGING])
    rgb = np.array([_rgb(c) for _, c in theme.DIVERGING])
    at = np.linspace(0, 1, 256)
    return np.stack([np.interp(at, stops, rgb[:, k]) for k in range(3)], axis=-1)


_TABLE = colour_table()


def boundary_image(values: np.ndarray, *, regression: bool = False, discrete: bool = False,
                   opacity: float = OPACITY) -> np.ndarray:  # fmt: skip
    """The network's output over the plane as an RGB picture, row 0 at the top (the largest x₂).

    ``values`` is the (n, n) grid ``charts.boundary_figure`` takes (row i at y = axis[i]): the probability
    of class 1, or a regression's prediction in about -1..1; or (n, n, k) probabilities of k classes, drawn
    as the most likely class in its colour, paler where the network is less sure. The colours are those of
    the Plotly boundary, mixed into white by ``opacity``.
    """
    grid = np.asarray(values, np.float64)
    if grid.ndim == 3 and grid.shape[-1] > 2:
        p = np.nan_to_num(grid, nan=0.0)
        k = p.shape[-1]
        sure = np.clip((p.max(axis=-1) - 1 / k) / (1 - 1 / k), 0, 1)
        shade = np.full(sure.shape, REGION_SHADES - 1) if discrete else np.minimum(sure * REGION_SHADES,
                                                                                  REGION_SHADES - 1)  # fmt: skip
        amount = 0.15 + 0.75 * (shade.astype(int) + 1) / REGION_SHADES  # as charts.class_regions shades them
        colours = np.array([_rgb(c) for c in theme.class_colours(k)])
        rgb = 255 + (colours[p.argmax(axis=-1)] - 255) * amount[..., None]
    elif grid.ndim == 2:
        if regression:
            level = np.clip(grid, -1, 1) / 2 + 0.5
        elif discrete:
            level = np.where(np.nan_to_num(grid, nan=0.5) > 0.5, DISCRETE_SHADES[1], DISCRETE_SHADES[0])
        else:
            level = np.clip(grid, 0, 1)
        rgb = _TABLE[(np.nan_to_num(level, nan=0.5) * 255).round().astype(int)]
    else:
        raise ValueError("A boundary is a 2-D grid of outputs, or of class probabilities.")
    rgb = 255 + (rgb - 255) * opacity
    return rgb[::-1].round().astype(np.uint8)


def png_url(rgb: np.ndarray) -> str:
    """An RGB array as a PNG data URL (a 100 x 100 boundary: about 10 KB, 1 ms)."""
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(out, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _hex(rgb) -> str:
    return "#" + "".join(f"{int(round(v)):02X}" for v in rgb)


def _points(xy, targets) -> tuple[np.ndarray, np.ndarray]:
    if xy is None or targets is None:
        return np.zeros((0, 2), np.float32), np.zeros(0)
    return np.asarray(xy, np.float32).reshape(-1, 2), np.asarray(targets, np.float64).ravel()


def _colours(targets: np.ndarray, regression: bool, classes: int) -> list[str]:
    if regression:
        level = np.clip(np.nan_to_num(targets), -1, 1) / 2 + 0.5
        return [_hex(_TABLE[i]) for i in (level * 255).round().astype(int)]
    palette = theme.class_colours(classes)
    index = (targets > 0.5).astype(int) if classes <= 2 else np.clip(np.rint(targets), 0, classes - 1).astype(int)
    return [palette[i] for i in index]


POINT_SCALE = 100  # the points' coordinates travel in hundredths: the plane spans 12 units in ~400 pixels


def points_of(view: dict) -> list[list]:
    """A plane view's points as [x₁, x₂, colour, role] each."""
    flat, palette, scale = view["points"], view["palette"], view["scale"]
    return [[flat[i] / scale, flat[i + 1] / scale, palette[flat[i + 2]], flat[i + 3]] for i in range(0, len(flat), 4)]


def plane_view(axis: np.ndarray, values: np.ndarray, x_train, y_train, x_val, y_val, *, regression: bool = False,
               discrete: bool = False, projector: bool = False, clickable: bool = False) -> dict:  # fmt: skip
    """Everything the plane's canvas draws, as JSON-able data.

    ``points``: x₁ and x₂ in ``scale``-ths, the colour's index in ``palette`` and the role, one point after
    the other in one flat list (``points_of`` reads it back): role 0 for training (a filled dot with a white
    edge) and 1 for validation (a ring in the class colour; a diamond in a regression, whose colours are its
    targets). A Step sends the whole view again; as [x₁, x₂, "#rrggbb", role] lists, 500 points were 28 KB of
    its 43 KB.
    ``bar``: the colour bar under the plane, its gradient stops and labelled ticks (0 to 1 along the bar).
    """
    axis = np.asarray(axis, np.float32)
    surface = np.asarray(values, np.float64)
    classes = surface.shape[-1] if surface.ndim == 3 else 2
    size = theme.sizes(projector)
    points: list[int] = []
    palette: dict[str, int] = {}
    for role, (xy, targets) in enumerate((_points(x_train, y_train), _points(x_val, y_val))):
        keep = np.isfinite(xy).all(axis=1)
        xy, targets = xy[keep], targets[keep]
        at = (np.clip(xy, -1e4, 1e4) * POINT_SCALE).round().astype(int).tolist()
        for (x, y), colour in zip(at, _colours(targets, regression, classes), strict=True):
            points += [x, y, palette.setdefault(colour, len(palette)), role]
    if classes > 2:
        colours = theme.class_colours(classes)
        stops = [[c / classes, theme.blend(colour, 0.9)] for c, colour in enumerate(colours)]
        stops += [[(c + 1) / classes, theme.blend(colour, 0.9)] for c, colour in enumerate(colours)]
        bar = dict(title="most likely class", stops=sorted(stops), discrete=True,
                   ticks=[[(c + 0.5) / classes, str(c)] for c in range(classes)])  # fmt: skip
    elif regression:
        bar = dict(title="prediction", stops=[[s, c] for s, c in theme.DIVERGING],
                   ticks=[[(t + 1) / 2, f"{t:g}"] for t in (-1.0, -0.5, 0.0, 0.5, 1.0)])  # fmt: skip
    elif discrete:
        shades = [_hex(_TABLE[round(s * 255)]) for s in DISCRETE_SHADES]
        bar = dict(title="predicted class", stops=[[0, shades[0]], [0.5, shades[0]], [0.5, shades[1]],
                                                    [1, shades[1]]], ticks=[[0.25, "0"], [0.75, "1"]], discrete=True)  # fmt: skip
    else:
        bar = dict(title="P(class 1)", stops=[[s, c] for s, c in theme.DIVERGING],
                   ticks=[[t, f"{t:g}"] for t in (0.0, 0.25, 0.5, 0.75, 1.0)])  # fmt: skip
    bar["opacity"] = OPACITY
    legend = [["training", 0]] + ([["validation", 1]] if 1 in points[3::4] else [])
    return {
        "image": png_url(boundary_image(surface, regression=regression, discrete=discrete)),
        "extent": [float(axis[0]), float(axis[-1])],
        "points": points,
        "palette": list(palette),
        "scale": POINT_SCALE,
        "regression": bool(regression),
        "bar": bar,
        "legend": legend,
        "font": size.font,
        "marker": size.marker,
        "ink": theme.INK,
        "grey": theme.GREY,
        "clickable": bool(clickable),
    }


# --- curves (loss, accuracy) on a canvas ------------------------------------------------------------------
def nice_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """At most about ``most`` round values (1, 2 or 5 times a power of ten apart) from ``lo`` to ``hi``."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return [float(lo)] if np.isfinite(lo) else []
    raw = (hi - lo) / max(1, most - 1)
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = np.ceil(lo / step - 1e-9) * step
    ticks = np.arange(first, hi + step * 1e-9, step)
    return [float(round(t, 12)) + 0.0 for t in ticks]  # + 0.0: no "-0"


def log_ticks(lo: float, hi: float) -> list[float]:
    """Round values for a log axis from 10**lo to 10**hi (``lo``, ``hi`` in decades): the powers of ten, with
    2 and 5 between them when the axis spans under two decades (as ``charts._log_dtick`` asks of Plotly), and
    round linear steps when it spans under one."""
    decades = [10.0**d for d in range(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1)]
    if hi - lo >= 2:
        return decades
    ticks = sorted(t for d in range(math.floor(lo), math.ceil(hi) + 1) for t in (10.0**d, 2 * 10.0**d, 5 * 10.0**d)
                   if lo - 1e-9 <= math.log10(t) <= hi + 1e-9)  # fmt: skip
    return ticks if len(ticks) >= 3 else [t for t in nice_ticks(10.0**lo, 10.0**hi, 8) if t > 0]


def curves_view(series: dict[str, list[float]], *, title: str, y_title: str, x_title: str = "epoch",
                fraction: bool = False, log_y: bool = False, best_epoch: int | None = None,
                projector: bool = False) -> dict:  # fmt: skip
    """One line per named series against the epoch (1, 2, ...), as data for the curves' canvas
    (``dlviz.ui.curves``): the points (thinned as ``charts.drawable_curve`` thins them), the axes' ranges and
    their labelled ticks, worked out here. ``fraction``: shares such as an accuracy, on a fixed 0-100% axis.
    ``log_y``: a log axis (``y_range`` in decades; values that are not positive are left out). ``best_epoch``:
    a dashed line there, labelled "lowest validation loss", as ``charts.curves_figure`` marks it.
    Before the first epoch the axes show epochs 0-10 and 0-1 (0.1-10 on a log axis, 0-100%)."""
    from dlviz.core.charts import _series_colours, drawable_curve

    size = theme.sizes(projector)
    lines = []
    for (name, values), colour in zip(series.items(), _series_colours(series), strict=True):
        epochs, drawn = drawable_curve(values, log_y)
        lines.append({"name": name, "colour": colour, "x": epochs.astype(int).tolist(),
                      "y": [float(f"{v:.5g}") for v in drawn.tolist()]})  # fmt: skip
    n = max((line["x"][-1] for line in lines if line["x"]), default=0)
    x_range = [1.0, float(max(n, 2))] if n else [0.0, 10.0]
    values = [v for line in lines for v in line["y"]]
    if fraction:
        y_range = [0.0, 1.03]
    elif log_y:
        lo, hi = (math.log10(min(values)), math.log10(max(values))) if values else (-1.0, 1.0)
        pad = max(0.05, (hi - lo) * 0.05)
        y_range = [lo - pad, hi + pad]
    elif values:
        lo, hi = min(0.0, min(values)), max(values)
        y_range = [lo, hi * 1.05 if hi > 0 else 1.0]
    else:
        y_range = [0.0, 1.0]
    x_ticks = [t for t in nice_ticks(*x_range) if t == int(t)]
    if fraction:
        y_ticks = nice_ticks(0.0, 1.0)
        y_labels = [f"{t:.0%}" for t in y_ticks]
    else:
        y_ticks = log_ticks(*y_range) if log_y else nice_ticks(*y_range)
        y_labels = [f"{t:.4g}" for t in y_ticks]
    best = None
    if best_epoch is not None and n and 1 <= best_epoch <= n:
        best = {"epoch": int(best_epoch), "label": "lowest validation loss", "left": best_epoch > n / 2}
    return {
        "title": title, "x_title": x_title, "y_title": y_title, "lines": lines, "fraction": bool(fraction),
        "log_y": bool(log_y), "best": best,
        "x_range": x_range, "y_range": y_range, "x_ticks": [[t, f"{t:g}"] for t in x_ticks],
        "y_ticks": [[t, label] for t, label in zip(y_ticks, y_labels, strict=True)],
        "font": size.font, "title_font": size.title, "line": size.line, "marker": size.marker, "ink": theme.INK,
        "grey": theme.GREY, "height": 260 if not projector else 340,
    }  # fmt: skip
