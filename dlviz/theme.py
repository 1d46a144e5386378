"""One colour scheme and two sizes (laptop and projector) for every chart.

The palette is Okabe & Ito's, designed to stay distinct for the common kinds
of colour blindness. Classes follow TensorFlow Playground: orange for 0,
blue for 1, on a diverging orange-white-blue scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#595959"
INK = "#1A1A1A"

# Series colours, in the order charts use them (train, validation, ...).
SERIES = [BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY, YELLOW, INK]
TRAIN = BLUE
VALIDATION = VERMILLION
CLASS_COLOURS = (ORANGE, BLUE)
POSITIVE = BLUE
NEGATIVE = ORANGE

# Diverging scale for probabilities, signed responses and weights.
DIVERGING = [
    [0.0, "#B35806"],
    [0.25, "#F1A340"],
    [0.5, "#F7F7F7"],
    [0.75, "#67A9CF"],
    [1.0, "#0B4F8A"],
]


@dataclass(frozen=True)
class Sizes:
    font: int
    title: int
    line: float
    marker: int
    edge_max: float


NORMAL = Sizes(font=13, title=16, line=2.5, marker=7, edge_max=6.0)
PROJECTOR = Sizes(font=22, title=28, line=5.0, marker=12, edge_max=10.0)


def sizes(projector: bool) -> Sizes:
    return PROJECTOR if projector else NORMAL


def style(fig: go.Figure, projector: bool = False, height: int | None = None) -> go.Figure:
    """Apply the shared look to a figure in place and return it."""
    s = sizes(projector)
    fig.update_layout(
        template="plotly_white",
        font=dict(size=s.font, color=INK),
        title_font=dict(size=s.title),
        colorway=SERIES,
        margin=dict(l=10, r=10, t=40 if fig.layout.title.text else 10, b=10),
        legend=dict(font=dict(size=s.font)),
        hoverlabel=dict(font_size=s.font),
    )
    if height is not None:
        fig.update_layout(height=int(height * (1.3 if projector else 1.0)))
    return fig
