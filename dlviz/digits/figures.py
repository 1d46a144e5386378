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


def variant_accuracy(names: list[str], shipped: list[float], first: list[float] | None = None, *,
                     projector: bool = False) -> go.Figure:  # fmt: skip
    """One row per handwriting variant: the share the shipped network reads right, and the first network's."""
    size = theme.sizes(projector)
    rows = list(names)[::-1]  # the first variant on top
    bars = [("shipped network", shipped, theme.BLUE, "shipped")]
    if first is not None:
        bars.append(("first network: MNIST only", first, "#9E9E9E", "first"))
    traces = [
        dict(
            type="bar",
            orientation="h",
            y=rows,
            x=list(values)[::-1],
            name=name,
            marker=dict(color=colour),
            text=[f"{v:.0%}" for v in list(values)[::-1]],
            textposition="outside",
            cliponaxis=False,
            textfont=dict(size=size.font),
            hovertemplate=f"%{{y}}: %{{x:.1%}}<extra>{short}</extra>",
        )
        for name, values, colour, short in bars
    ]  # fmt: skip  (in a group, the last trace is drawn on top: the first network above the shipped one)
    layout = dict(
        title=dict(text="Read right, by way of writing"),
        xaxis=dict(range=[0, 1.18], tickformat=".0%", title=dict(text="share read right")),
        yaxis=dict(type="category", automargin=True),
        barmode="group",
        bargap=0.25,
        # below the axis, where it cannot run into the title on a narrow phone
        legend=dict(orientation="h", yanchor="top", y=-0.16, x=0, traceorder="reversed"),
        margin=dict(b=70),
    )
    return theme.figure(traces, layout, projector, height=160 + 60 * len(rows))
