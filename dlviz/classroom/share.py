"""What the pages send to a room, and what the room's views compute from it (no Streamlit here).

- ``summary``: the one line a follow-me push shows ("Playground: XOR, one hidden layer of 2 neurons").
- ``progress``: a live run's epoch and validation metric, for the instructor's dashboard.
- ``boundary_thumbnail`` and ``network_info``: a Playground network as the wall shows it.
- ``confusion``: the room's drawings as a confusion matrix of meant digit against the network's reading.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from dlviz.core import theme

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
        return f"{title}: {datasets.DATASETS[data].label}, {_layers_text(layers)}, learning rate {settings.lr:g}"
    parts = getattr(sys.modules.get(type(settings).__module__), "PARTS", {})
    part = getattr(settings, "part", None)
    return f"{title}: {parts[part]}" if part in parts else title


def progress(run: Any) -> dict | None:
    """A live run's state for the dashboard: epoch, the validation metric (accuracy, else loss), diverged."""
    if run is None or not hasattr(run, "history"):
        return None
    h = run.history
    name, values = ("val_accuracy", h.val_accuracy) if len(h.val_accuracy) else ("val_loss", h.val_loss)
    metric = float(values[-1]) if len(values) else None
    if metric is not None and not np.isfinite(metric):
        metric = None
    return {"epoch": int(run.epoch), "metric": metric, "metric_name": name, "diverged": bool(run.diverged)}


def _colour_table() -> np.ndarray:
    """The boundary's diverging scale (theme.DIVERGING) as 256 RGB rows."""
    stops = np.array([s for s, _ in theme.DIVERGING])
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for _, c in theme.DIVERGING], np.float64)
    at = np.linspace(0, 1, 256)
    return np.stack([np.interp(at, stops, rgb[:, k]) for k in range(3)], axis=-1)


_TABLE = _colour_table()


def boundary_thumbnail(output: np.ndarray, regression: bool = False, side: int = THUMB_SIDE) -> np.ndarray:
    """A network's output over the plane as a small RGB picture, in the Playground's colours, y upwards.

    ``output`` is the (n, n) grid the Playground draws: probabilities of class 1, or (regression) values
    in about -1..1.
    """
    grid = np.asarray(output, np.float64)
    if grid.ndim != 2 or grid.size == 0:
        raise ValueError("A boundary is a 2-D grid of outputs.")
    values = np.clip(grid, -1, 1) / 2 + 0.5 if regression else np.clip(grid, 0, 1)
    values = np.nan_to_num(values, nan=0.5)
    rows = np.linspace(0, grid.shape[0] - 1, side).round().astype(int)
    cols = np.linspace(0, grid.shape[1] - 1, side).round().astype(int)
    picked = values[np.ix_(rows, cols)][::-1]  # row 0 is the lowest y
    return _TABLE[(picked * 255).round().astype(int)].astype(np.uint8)


def network_info(settings: Any, history: Any, weights: int, query: dict) -> dict:
    """What the wall says of a Playground network: data, layers, weights, epochs, validation metrics, link."""
    from dlviz.core import datasets

    h = history
    last = {name: float(getattr(h, name)[-1]) for name in ("val_accuracy", "val_loss") if len(getattr(h, name))}
    last = {k: v for k, v in last.items() if np.isfinite(v)}
    return {
        "page": "playground",
        "data": settings.data,
        "data_label": datasets.DATASETS[settings.data].label,
        "layers": list(settings.layers),
        "activations": list(settings.activations),
        "weights": int(weights),
        "epochs": len(h),
        **last,
        "query": {str(k): str(v) for k, v in query.items()},
    }


def network_caption(info: dict) -> str:
    """One line under a network on the wall."""
    layers = f"[{', '.join(str(n) for n in info['layers'])}]" if info.get("layers") else "no hidden layer"
    metric = (
        f"val. accuracy {info['val_accuracy']:.0%}"
        if "val_accuracy" in info
        else (f"val. loss {info['val_loss']:.3g}" if "val_loss" in info else "not trained")
    )
    return f"{info.get('data_label', '')} · {layers} · {info.get('weights', 0)} weights · {metric}"


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
