"""The Data lab's charts: feature scales before and after normalization (data for a canvas), K-fold curves,
predicted against actual, and the confusion matrix with a cell to click."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from dlviz.core import charts, plane, theme
from dlviz.core.text import chart_text, short_labels

MAX_SCALE_BARS = 40  # features drawn in the scales chart (IMDB's 999 words would be a wall of bars)


def scales_view(names: list[str], before: np.ndarray, after: np.ndarray | None, *, projector: bool = False) -> dict:
    """Each feature's spread (standard deviation over the training rows) before and after the Normalization
    layer, on a log axis (raw tables mix spreads of 0.01 and 1,000; normalized ones all sit at 1), as data for
    the bars' canvas (``dlviz.ui.bars``). Labels are plain text: a canvas draws them as typed."""
    size = theme.sizes(projector)
    shown = list(range(min(len(names), MAX_SCALE_BARS)))
    floor = 1e-3
    series = [{"name": "as read", "colour": theme.VERMILLION,
               "values": [float(f"{v:.4g}") for v in np.maximum(np.asarray(before)[shown], floor)]}]  # fmt: skip
    if after is not None:
        series.append({"name": "after Normalization", "colour": theme.BLUE,
                       "values": [float(f"{v:.4g}") for v in np.maximum(np.asarray(after)[shown], floor)]})  # fmt: skip
    values = [v for one in series for v in one["values"]] or [1.0]
    lo, hi = math.floor(math.log10(min(values)) + 1e-9), math.ceil(math.log10(max(values)) + 0.05)
    ticks = plane.log_ticks(lo, hi)
    title = "Each feature's spread (standard deviation, training rows)"
    if len(names) > MAX_SCALE_BARS:
        title += f": the first {MAX_SCALE_BARS} of {len(names)}"
    return {
        "title": title, "y_title": "standard deviation (log)", "labels": short_labels([names[i] for i in shown], 24),
        "series": series, "log_y": True, "y_range": [lo, hi], "y_ticks": [[t, f"{t:g}"] for t in ticks],
        "hover_prefix": "sd ", "font": size.font, "title_font": size.title, "label_font": max(9, size.font - 4),
        "ink": theme.INK, "height": 300 if not projector else 390,
    }  # fmt: skip


def kfold_figure(curves: list[list[float]], mean: list[float], *, y_title: str, fraction: bool = False,
                 projector: bool = False) -> go.Figure:  # fmt: skip
    """Each fold's validation curve, thin, and their mean, thick."""
    series = {f"fold {i + 1}": c for i, c in enumerate(curves)}
    fig = charts.curves_figure({**series, "mean": mean}, title="Validation, fold by fold", y_title=y_title,
                               projector=projector, fraction=fraction)  # fmt: skip
    for trace in fig.data[:-1]:
        trace.line.width = 1.2
        trace.opacity = 0.55
    fig.data[-1].line.width = 4
    fig.data[-1].line.color = theme.INK
    return fig


def predicted_figure(actual: np.ndarray, predicted: np.ndarray, *, target: str, projector: bool = False) -> go.Figure:
    """Regression: predicted against actual, with the line where they are equal."""
    target = chart_text(short_labels([target], 40)[0])
    size = theme.sizes(projector)
    lo = float(min(np.min(actual), np.min(predicted))) if len(actual) else 0.0
    hi = float(max(np.max(actual), np.max(predicted))) if len(actual) else 1.0
    traces = [
        dict(type="scatter", x=[lo, hi], y=[lo, hi], mode="lines", name="predicted = actual",
             line=dict(color="#888888", dash="dash", width=size.line), hoverinfo="skip"),
        dict(type="scatter", x=np.asarray(actual).tolist(), y=np.asarray(predicted).tolist(), mode="markers",
             name="rows", marker=dict(color=theme.BLUE, size=size.marker, opacity=0.75),
             hovertemplate="actual %{x:.4g}, predicted %{y:.4g}<extra></extra>"),
    ]  # fmt: skip
    layout = dict(
        title=dict(text=f"Predicted against actual {target}", x=0, xanchor="left"),
        xaxis=dict(title=dict(text=f"actual {target}")), yaxis=dict(title=dict(text=f"predicted {target}")),
        legend=dict(orientation="h", x=0.5, xanchor="center", y=1.0, yanchor="bottom"),
    )  # fmt: skip
    return theme.figure(traces, layout, projector, height=360)


def residuals_figure(actual: np.ndarray, predicted: np.ndarray, *, target: str, projector: bool = False) -> go.Figure:
    """Regression: each row's error (predicted minus actual) against what was predicted."""
    target = chart_text(short_labels([target], 40)[0])
    size = theme.sizes(projector)
    residual = np.asarray(predicted) - np.asarray(actual)
    traces = [dict(type="scatter", x=np.asarray(predicted).tolist(), y=residual.tolist(), mode="markers",
                   marker=dict(color=theme.VERMILLION, size=size.marker, opacity=0.75), name="rows",
                   hovertemplate="predicted %{x:.4g}, error %{y:.4g}<extra></extra>")]  # fmt: skip
    layout = dict(
        title=dict(text="Residuals: predicted minus actual", x=0, xanchor="left"),
        xaxis=dict(title=dict(text=f"predicted {target}")),
        yaxis=dict(title=dict(text="error"), zeroline=True, zerolinewidth=2, zerolinecolor="#888888"),
        showlegend=False,
    )  # fmt: skip
    return theme.figure(traces, layout, projector, height=360)


def confusion_figure(matrix: np.ndarray, labels: list[str], *, projector: bool = False, height: int = 420,
                     chosen: tuple[int, int] | None = None) -> go.Figure:  # fmt: skip
    """The shared confusion matrix (true class in rows, predicted in columns), its cells clickable, the chosen
    one framed."""
    return charts.confusion_figure(matrix, labels, meant="true", read="predicted", projector=projector,
                                   height=height, clickable=True, chosen=chosen)  # fmt: skip


clicked_cell = charts.clicked_cell
