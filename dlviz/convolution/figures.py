"""Convolution's pictures: signed responses in colour and grids of numbers with the kernel's window.

Plotly figure builders: arrays in, ``go.Figure`` out (the shared conventions are in ``dlviz.core.charts``).
"""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go

from dlviz.core import theme


def diverging_rgb(values, limit: float | None = None) -> np.ndarray:
    """Signed values as an RGB uint8 image on the shared diverging scale: orange below 0, white at 0, blue above.

    Sent as a picture, not a heatmap: a 512 x 512 heatmap would cost ~1 MB per redraw.
    """
    v = np.asarray(values, np.float32)
    limit = float(limit if limit is not None else np.nanmax(np.abs(v)) or 1.0) or 1.0
    levels = np.clip((np.nan_to_num(v) / limit + 1) * 127.5, 0, 255).astype(np.uint8)
    return _diverging_table()[levels]


@functools.cache
def _diverging_table() -> np.ndarray:
    """The diverging scale at 256 levels, (256, 3) uint8: a lookup is ~10x faster than interpolating each pixel."""
    stops = np.array([s for s, _ in theme.DIVERGING])
    colours = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for _, c in theme.DIVERGING], np.float64)
    t = np.linspace(0, 1, 256)
    return np.stack([np.interp(t, stops, colours[:, i]) for i in range(3)], axis=-1).round().astype(np.uint8)


def number_grid(values, *, title: str = "", window: tuple[int, int, int] | None = None, inner: int = 0,
                filled: int | None = None, signed: bool = False, projector: bool = False) -> go.Figure:  # fmt: skip
    """A small grid of numbers with each value written in its cell.

    ``window`` = (top, left, size) outlines the kernel's current position;
    ``inner`` > 0 marks that many rings of zero padding with a dashed border
    around the real grid; ``filled`` shows only the first n cells in reading
    order (the output grid filling up as the kernel walks).
    """
    size = theme.sizes(projector)
    v = np.asarray(values, np.float64)
    rows, cols = v.shape
    shown = v.copy()
    if filled is not None:
        flat = shown.ravel()
        flat[filled:] = np.nan
        shown = flat.reshape(rows, cols)
    limit = (float(np.nanmax(np.abs(shown))) if np.isfinite(shown).any() else 0.0) or 1.0
    text = [[("" if not np.isfinite(x) else f"{x:.3g}") for x in row] for row in shown]
    trace = dict(type="heatmap", z=np.where(np.isfinite(shown), shown, np.nan).astype(np.float32), text=text,
                 texttemplate="%{text}", textfont=dict(size=size.font), showscale=False, hoverinfo="skip", xgap=2, ygap=2,
                 colorscale=theme.DIVERGING if signed else [[0, "#FFFFFF"], [1, theme.SKY]],
                 zmin=-limit if signed else min(0.0, float(np.nanmin(shown)) if np.isfinite(shown).any() else 0.0),
                 zmax=limit)  # fmt: skip
    shapes = []
    if inner:
        shapes.append(dict(type="rect", x0=inner - 0.5, x1=cols - inner - 0.5, y0=inner - 0.5, y1=rows - inner - 0.5,
                           line=dict(color=theme.GREY, width=2, dash="dot")))  # fmt: skip
    if window is not None:
        top, left, k = window
        shapes.append(dict(type="rect", x0=left - 0.5, x1=left + k - 0.5, y0=top - 0.5, y1=top + k - 0.5,
                           line=dict(color=theme.VERMILLION, width=size.line + 1)))  # fmt: skip
    layout = dict(title=dict(text=title), shapes=shapes, plot_bgcolor="#EDEDED",  # cells still to fill show grey
                  xaxis=dict(visible=False, range=[-0.5, cols - 0.5], constrain="domain", fixedrange=True),
                  yaxis=dict(visible=False, range=[rows - 0.5, -0.5], scaleanchor="x", constrain="domain", fixedrange=True))  # fmt: skip
    return theme.figure([trace], layout, projector, height=max(220, 34 * rows + 60))
