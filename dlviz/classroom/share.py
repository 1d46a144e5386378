"""What the pages send to a room, and what the room's views compute from it (no Streamlit here).

- ``summary``: the one line a follow-me push shows ("Playground: XOR, one hidden layer of 2 neurons").
- ``progress``: a live run's epoch and validation metric, for the instructor's dashboard.
- ``boundary_thumbnail``, ``curve_thumbnail``, ``network_info`` and ``race_info``: a Playground or
  Overfitting network as the wall shows it; ``page_path`` is the page that opens it again.
- ``confusion``: the room's drawings as a confusion matrix of meant digit against the network's reading.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from dlviz.core import theme
from dlviz.core.plane import colour_table

THUMB_SIDE = 64  # pixels of a network's boundary on the wall


def _layers_text(layers: tuple[int, ...]) -> str:
    if not layers:
        return "no hidden layer"
    if len(layers) == 1:
        return f"one hidden layer of {layers[0]} neuron{'s' if layers[0] != 1 else ''}"
    return f"{len(layers)} hidden layers of {', '.join(str(n) for n in layers)} neurons"


def summary(title: str, settings: Any) -> str:
    """``title`` and what these settings show, in words: a network's data and layers, or the open part."""
    from dlviz.core import datasets

    layers = getattr(settings, "layers", None)
    data = getattr(settings, "data", None)
    if isinstance(layers, tuple) and data in datasets.DATASETS:
        data_title = datasets.title(data, getattr(settings, "classes", 3))
        return f"{title}: {data_title}, {_layers_text(layers)}, learning rate {settings.lr:g}"
    parts = getattr(sys.modules.get(type(settings).__module__), "PARTS", {})
    part = getattr(settings, "part", None)
    return f"{title}: {parts[part]}" if part in parts else title


def own_run(run: Any) -> Any:
    """The network a participant tunes: on Overfitting & dropout the regularized one (the baseline is the
    page's reference), elsewhere the run itself."""
    own = getattr(run, "regularized", None)
    return run if own is None else own


def data_of(settings: Any) -> str | None:
    """The data set a page's settings train on (the Playground's ``data``, Overfitting's ``task``)."""
    return getattr(settings, "data", None) or getattr(settings, "task", None)


def progress(run: Any) -> dict | None:
    """A live run's state for the dashboard: epoch, the validation metric (accuracy, else loss), diverged."""
    if run is None or not hasattr(run, "history"):
        return None
    h = own_run(run).history
    name, values = ("val_accuracy", h.val_accuracy) if len(h.val_accuracy) else ("val_loss", h.val_loss)
    metric = float(values[-1]) if len(values) else None
    if metric is not None and not np.isfinite(metric):
        metric = None
    return {"epoch": int(run.epoch), "metric": metric, "metric_name": name, "diverged": bool(run.diverged)}


_TABLE = colour_table()  # the boundary's diverging scale, as the Playground's plane draws it


def boundary_thumbnail(output: np.ndarray, regression: bool = False, side: int = THUMB_SIDE) -> np.ndarray:
    """A network's output over the plane as a small RGB picture, in the Playground's colours, y upwards.

    ``output`` is the (n, n) grid the Playground draws: probabilities of class 1, or (regression) values
    in about -1..1; or (n, n, k) probabilities of k classes, drawn as each cell's most likely class in its
    colour, paler where the network is less sure.
    """
    grid = np.asarray(output, np.float64)
    if grid.ndim == 3 and grid.shape[-1] > 2 and grid.size:
        return _regions_thumbnail(grid, side)
    if grid.ndim != 2 or grid.size == 0:
        raise ValueError("A boundary is a 2-D grid of outputs.")
    values = np.clip(grid, -1, 1) / 2 + 0.5 if regression else np.clip(grid, 0, 1)
    values = np.nan_to_num(values, nan=0.5)
    rows = np.linspace(0, grid.shape[0] - 1, side).round().astype(int)
    cols = np.linspace(0, grid.shape[1] - 1, side).round().astype(int)
    picked = values[np.ix_(rows, cols)][::-1]  # row 0 is the lowest y
    return _TABLE[(picked * 255).round().astype(int)].astype(np.uint8)


def _regions_thumbnail(grid: np.ndarray, side: int) -> np.ndarray:
    p = np.nan_to_num(grid, nan=0.0)
    rows = np.linspace(0, p.shape[0] - 1, side).round().astype(int)
    cols = np.linspace(0, p.shape[1] - 1, side).round().astype(int)
    picked = p[np.ix_(rows, cols)][::-1]  # row 0 is the lowest y
    k = p.shape[-1]
    colours = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in theme.class_colours(k)], np.float64)
    sure = np.clip((picked.max(axis=-1) - 1 / k) / (1 - 1 / k), 0, 1)[..., None]
    amount = 0.25 + 0.6 * sure
    return (255 + (colours[picked.argmax(axis=-1)] - 255) * amount).round().astype(np.uint8)


PAGES = {"playground": "pages/playground.py", "overfitting": "pages/overfitting.py"}  # pages that send networks


def page_path(info: dict) -> str:
    """The page a network on the wall opens on (older items, without a page, came from the Playground)."""
    return PAGES.get(str(info.get("page")), PAGES["playground"])


def _last_metrics(history: Any, prefix: str = "") -> dict:
    found = {name: float(getattr(history, name)[-1]) for name in ("val_accuracy", "val_loss")
             if len(getattr(history, name))}  # fmt: skip
    return {prefix + k: v for k, v in found.items() if np.isfinite(v)}


def network_info(settings: Any, history: Any, weights: int, query: dict) -> dict:
    """What the wall says of a Playground network: data, layers, weights, epochs, validation metrics, link."""
    from dlviz.core import datasets

    return {
        "page": "playground",
        "data": settings.data,
        "data_label": datasets.title(settings.data, getattr(settings, "classes", 3)),
        "layers": list(settings.layers),
        "activations": list(settings.activations),
        "weights": int(weights),
        "epochs": len(history),
        **_last_metrics(history),
        "query": {str(k): str(v) for k, v in query.items()},
    }


def race_info(settings: Any, regularized: Any, baseline: Any, weights: int, query: dict) -> dict:
    """What the wall says of an Overfitting race: the regularized copy's data, layers, regularizers and
    validation metrics, and the baseline's validation loss beside it (the gap the page is about)."""
    from dlviz.overfitting.engine import TASKS

    return {
        "page": "overfitting",
        "data": settings.task,
        "data_label": TASKS[settings.task],
        "layers": list(settings.layers),
        "regularizers": list(settings.regularizers),
        "weights": int(weights),
        "epochs": len(regularized),
        **_last_metrics(regularized),
        **_last_metrics(baseline, "baseline_"),
        "query": {str(k): str(v) for k, v in query.items()},
    }


def curve_thumbnail(axis: np.ndarray, output: np.ndarray, x: np.ndarray, y: np.ndarray,
                    side: int = THUMB_SIDE, extent: float = 1.6) -> np.ndarray:  # fmt: skip
    """A fitted curve as a small RGB picture: the training points as dots, the network's curve as a line.

    ``axis`` and ``output`` are the curve (x and the network's y); ``x`` and ``y`` the training points;
    y from -``extent`` to ``extent`` fills the height (the page's curve is sin(1.5 x) plus noise).
    """
    axis, output = np.asarray(axis, np.float64).ravel(), np.asarray(output, np.float64).ravel()
    if axis.size < 2 or axis.size != output.size:
        raise ValueError("A curve is two equally long 1-D arrays of at least two points.")
    picture = np.full((side, side, 3), 255, np.uint8)
    lo, hi = float(axis.min()), float(axis.max())

    def column(v):
        return np.clip(((np.asarray(v, np.float64) - lo) / (hi - lo or 1) * (side - 1)).round(), 0, side - 1)

    def row(v):
        v = np.nan_to_num(np.asarray(v, np.float64), nan=0.0, posinf=extent, neginf=-extent)
        return np.clip(((extent - v) / (2 * extent) * (side - 1)).round(), 0, side - 1)

    dot = np.array([int(theme.BLUE[i : i + 2], 16) for i in (1, 3, 5)], np.uint8)
    for c, r in zip(column(np.ravel(x)).astype(int), row(np.ravel(y)).astype(int), strict=True):
        picture[max(r - 1, 0) : r + 1, max(c - 1, 0) : c + 1] = dot
    cols, rows = column(np.linspace(lo, hi, side)).astype(int), row(np.interp(np.linspace(lo, hi, side), axis, output))
    rows = rows.astype(int)
    for c in range(side):  # each column: from the previous column's height to this one's, so the line is unbroken
        a, b = sorted((rows[max(c - 1, 0)], rows[c]))
        picture[a : b + 1, cols[c]] = (26, 26, 26)  # theme.INK
    return picture


def network_caption(info: dict) -> str:
    """One line under a network on the wall."""
    layers = f"[{', '.join(str(n) for n in info['layers'])}]" if info.get("layers") else "no hidden layer"
    metric = (
        f"val. accuracy {info['val_accuracy']:.0%}"
        if "val_accuracy" in info
        else (f"val. loss {info['val_loss']:.3g}" if "val_loss" in info else "not trained")
    )
    parts = [info.get("data_label", ""), layers]
    if "regularizers" in info:
        parts.append(", ".join(info["regularizers"]) or "no regularizer")
    parts += [f"{info.get('weights', 0)} weights", metric]
    if "baseline_val_loss" in info:
        parts.append(f"baseline's val. loss {info['baseline_val_loss']:.3g}")
    return " · ".join(parts)


def confusion(drawings: list[dict]) -> tuple[np.ndarray, float | None]:
    """Counts of (meant digit, the network's reading) over the room's drawings, and the share read right."""
    matrix = np.zeros((10, 10), np.int64)
    for d in drawings:
        if d.get("label") is not None and d.get("read") is not None:
            matrix[int(d["label"]), int(d["read"])] += 1
    total = int(matrix.sum())
    return matrix, (float(np.trace(matrix)) / total if total else None)


def accuracy_histogram(roster: list[dict]) -> list[float]:
    """The room's current validation accuracies (those who have one), for the dashboard's histogram."""
    return [
        float(r["metric"])
        for r in roster
        if r.get("metric_name") == "val_accuracy" and r.get("metric") is not None and np.isfinite(r["metric"])
    ]


MEASURES = {"val_accuracy": "accuracy", "val_loss": "loss"}


def roster_rows(roster: list[dict]) -> list[dict]:
    """The dashboard's table: one row per participant, the validation figure as it is read (97%, 0.0123)."""

    def shown(r: dict) -> str:
        value = r.get("metric")
        if value is None or not np.isfinite(value):
            return "diverged" if r.get("stuck") and value is not None else ""
        return f"{value:.0%}" if r.get("metric_name") == "val_accuracy" else f"{value:.4g}"

    return [
        {"nickname": r["nickname"], "page": r.get("page") or "", "epoch": r.get("epoch"), "validation": shown(r),
         "measure": MEASURES.get(r.get("metric_name") or "", ""), "seen (s ago)": r.get("seen_s"),
         "stuck": bool(r.get("stuck"))}
        for r in roster
    ]  # fmt: skip
