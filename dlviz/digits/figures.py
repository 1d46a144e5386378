"""Digits' pictures: how sure the network is.

Plotly figure builders: arrays in, ``go.Figure`` out (the shared conventions are in ``dlviz.core.charts``).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dlviz.core import theme


def probability_bars(probabilities, *, projector: bool = False, title: str = "How sure the network is") -> go.Figure:
    """Ten bars, the top guess in blue and the rest grey."""
    probs = np.nan_to_num(np.asarray(probabilities, dtype=np.float64).ravel(), nan=0.0)
    top = int(np.argmax(probs)) if probs.size else -1
    colours = [theme.BLUE if i == top else "#9E9E9E" for i in range(len(probs))]
    size = theme.sizes(projector)
    trace = dict(
        type="bar", x=[str(i) for i in range(len(probs))], y=probs.astype(np.float32), marker=dict(color=colours),
        text=[f"{p:.0%}" for p in probs], textposition="outside", cliponaxis=False,
        hovertemplate="digit %{x}: %{y:.1%}<extra></extra>", textfont=dict(size=size.font),
    )  # fmt: skip
    layout = dict(
        title=dict(text=title),
        xaxis=dict(title=dict(text="digit"), type="category"),
        yaxis=dict(range=[0, 1.15], tickformat=".0%", title=dict(text="probability")),
        showlegend=False,
        bargap=0.25,
    )
    return theme.figure([trace], layout, projector, height=300)
