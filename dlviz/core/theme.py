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
# Three to five classes: the two above, then Okabe & Ito's green, purple and vermillion.
MULTI_CLASS_COLOURS = (ORANGE, BLUE, GREEN, PURPLE, VERMILLION)


def class_colours(classes: int) -> tuple[str, ...]:
    return CLASS_COLOURS if classes <= 2 else MULTI_CLASS_COLOURS[:classes]


def blend(colour: str, amount: float, base: str = "#FFFFFF") -> str:
    """``colour`` mixed into ``base`` (white): 0 gives the base, 1 the colour."""
    a, b = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (colour, base))
    return "#" + "".join(f"{round(y + (x - y) * amount):02X}" for x, y in zip(a, b, strict=True))


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


_AXIS = dict(gridcolor="#E5E5E5", zerolinecolor="#CFCFCF", linecolor="#BDBDBD", ticks="", automargin=True)


def base_layout(projector: bool = False, height: int | None = None) -> dict:
    """The shared look as a plain layout dict (light background, palette, sizes)."""
    s = sizes(projector)
    layout = dict(
        template={},  # no named template: it would add ~6 KB to every update
        paper_bgcolor="white",
        plot_bgcolor="white",
        font=dict(family="Source Sans Pro, Arial, sans-serif", size=s.font, color=INK),
        title=dict(font=dict(size=s.title), x=0.0, xanchor="left"),
        colorway=SERIES,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(font=dict(size=s.font)),
        hoverlabel=dict(font=dict(size=s.font)),
        xaxis=dict(_AXIS),
        yaxis=dict(_AXIS),
    )
    if height is not None:
        layout["height"] = int(height * (1.3 if projector else 1.0))
    return layout


def merged(base: dict, extra: dict) -> dict:
    """``base`` updated by ``extra``, merging nested dicts instead of replacing them."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def figure(traces: list[dict], layout: dict, projector: bool = False, height: int | None = None,
           frames: list[dict] | None = None) -> go.Figure:  # fmt: skip
    """A figure in the shared look from plain trace and layout dicts.

    Built without plotly's property validation, which costs 25-40 ms per
    figure (measured) and would cap live training at a few redraws per
    second. The tests build every figure again with validation on.
    """
    final = merged(base_layout(projector, height), layout)
    if not (final.get("title") or {}).get("text"):
        final["margin"] = merged(final["margin"], {"t": layout.get("margin", {}).get("t", 10)})
    return go.Figure(data=traces, layout=final, frames=frames, _validate=False)
