"""Overfitting's pictures: the two loss curves with the gap shaded, a fitted curve, dropout's switched-off units.

Plotly figure builders: arrays in, ``go.Figure`` out (the shared conventions are in ``dlviz.core.charts``).
"""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go

from dlviz.core import theme
from dlviz.core.charts import drawable_curve


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
    epochs, train_y = drawable_curve(train, False)
    val_epochs, val_y = drawable_curve(val, False)
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
