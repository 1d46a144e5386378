"""Building blocks' pictures: the neuron, its plane, activations and their slopes, gradients, softmax, losses.

Plotly figure builders: arrays in, ``go.Figure`` out (the shared conventions are in ``dlviz.core.charts``).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dlviz.core import theme


def neuron_diagram(inputs, weights, bias: float, z: float, output: float, activation: str, *,
                   projector: bool = False) -> go.Figure:  # fmt: skip
    """Inputs, weighted edges, the sum z = w·x + b, the activation and the output, left to right."""
    size = theme.sizes(projector)
    n = len(inputs)
    ys = np.linspace(1, -1, n) if n > 1 else np.array([0.0])
    shapes, notes = [], []
    for i, (y, x_value, w) in enumerate(zip(ys, inputs, weights, strict=True), start=1):
        colour = theme.POSITIVE if w >= 0 else theme.NEGATIVE
        shapes.append(
            dict(type="line", x0=0.25, y0=y, x1=1.75, y1=0, line=dict(color=colour, width=1 + 2.5 * min(abs(w), 3)))
        )
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
