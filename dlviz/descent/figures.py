"""Gradient descent's pictures: the ball on the curve, the learning-rate strip, the optimizers' race, the neuron's line.

Plotly figure builders: arrays in, ``go.Figure`` out (the shared conventions are in ``dlviz.core.charts``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go

from dlviz.core import theme
from dlviz.core.charts import MAX_CURVE_POINTS


def _thinned(n: int, most: int = MAX_CURVE_POINTS) -> np.ndarray:
    """Indices of at most ``most`` of n points at an even stride, the first and last kept."""
    if n <= most:
        return np.arange(n)
    chosen = np.arange(0, n, math.ceil(n / (most - 1)))
    return chosen if chosen[-1] == n - 1 else np.append(chosen, n - 1)


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
        frames = [dict(data=[_moving(t) for t in _ball_traces(px, py, k, slope_at(k), span, size, box)],
                       name=str(k), traces=[1, 2, 3]) for k in shown]  # fmt: skip
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


def _moving(trace: dict) -> dict:
    """What a frame changes in a trace: its points and its name (the legend's "step k"); plotly.js keeps the
    rest of the trace as drawn. Plotly validates frames even in a figure built unvalidated: with the styles
    and numpy arrays left out, a descent figure of 60 frames builds and serializes in 24 ms instead of
    86 ms (measured), which every first render of Gradient descent pays."""
    return {"type": "scatter", "name": trace["name"], "x": np.asarray(trace["x"], np.float64).tolist(),
            "y": np.asarray(trace["y"], np.float64).tolist()}  # fmt: skip


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
