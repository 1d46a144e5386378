"""Class mode's charts: the room's confusion matrix, its accuracy histogram and a poll's bars."""

from __future__ import annotations

import html
import io

import numpy as np
import plotly.graph_objects as go

from dlviz.core import charts, theme


def confusion_figure(matrix: np.ndarray, *, projector: bool = False) -> go.Figure:
    """Meant digit (rows) against the network's reading (columns); the diagonal is read right."""
    return charts.confusion_figure(matrix, [str(d) for d in range(10)], projector=projector)


def accuracy_histogram(values: list[float], *, target: float | None = None, projector: bool = False) -> go.Figure:
    """How many in the room are at each validation accuracy (bins of 5 %), with the challenge's target."""
    size = theme.sizes(projector)
    edges = np.linspace(0, 1, 21)
    counts, _ = np.histogram(np.clip(values, 0, 1), bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    traces = [dict(type="bar", x=centres.tolist(), y=counts.tolist(), width=0.045, marker=dict(color=theme.BLUE),
                   hovertemplate="%{x:.0%}: %{y}<extra></extra>")]  # fmt: skip
    layout = dict(
        title=dict(text="The room's validation accuracy now"),
        xaxis=dict(range=[0, 1.02], tickformat=".0%", title=dict(text="validation accuracy")),
        yaxis=dict(title=dict(text="people"), dtick=1 if counts.max(initial=0) < 8 else None, rangemode="tozero"),
        showlegend=False,
    )
    if target is not None:
        layout["shapes"] = [dict(type="line", x0=target, x1=target, y0=0, y1=1, yref="paper",
                                 line=dict(color=theme.VERMILLION, width=size.line, dash="dash"))]  # fmt: skip
        layout["annotations"] = [dict(x=target, y=1, yref="paper", text=f"target {target:.0%}", showarrow=False,
                                      xanchor="right", yanchor="bottom", font=dict(color=theme.VERMILLION))]  # fmt: skip
    return theme.figure(traces, layout, projector, height=300)


def plain_label(text: str) -> str:
    """Text for a Plotly label shown as typed: Plotly reads tags such as <b> and <a href> in labels."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def poll_figure(answers: list[str], counts: list[int], *, projector: bool = False) -> go.Figure:
    """A poll's answers as horizontal bars with their counts."""
    size = theme.sizes(projector)
    answers = [plain_label(a) for a in answers]
    total = max(1, sum(counts))
    trace = dict(type="bar", orientation="h", y=list(answers), x=list(counts), marker=dict(color=theme.BLUE),
                 text=[f"{c} ({c / total:.0%})" for c in counts], textposition="outside", cliponaxis=False,
                 textfont=dict(size=size.font), hovertemplate="%{y}: %{x}<extra></extra>")  # fmt: skip
    layout = dict(yaxis=dict(autorange="reversed", type="category"), xaxis=dict(rangemode="tozero", dtick=1 if
                  max(counts, default=0) < 8 else None, range=[0, max(counts, default=0) * 1.3 + 1]),
                  showlegend=False, margin=dict(r=40))  # fmt: skip
    return theme.figure([trace], layout, projector, height=60 + 50 * len(answers))


def drawing_png(pixels) -> bytes:
    """One drawing as a 28 x 28 grey PNG, dark ink on white (about 300 bytes): the browser scales it up."""
    from PIL import Image

    ink = np.clip(np.nan_to_num(np.asarray(pixels, np.float32)), 0, 1)
    out = io.BytesIO()
    Image.fromarray((255 - ink * 255).astype(np.uint8), mode="L").save(out, format="PNG")
    return out.getvalue()


def drawing_grid(pictures: list[str], nicknames: list[str], labels: list[int], wrong: list[bool], *,
                 projector: bool = False) -> str:  # fmt: skip
    """The wall's drawings as HTML: each picture (an image URL) in a tile, under it who sent it and the digit
    they meant, misreads framed and captioned in red.

    The captions are text for the browser to set, escaped, so a nickname shows exactly as typed in any
    script the reader's fonts have (emoji, Arabic joined right to left in its own ``<bdi>``), where a
    caption drawn into the picture showed only what one bundled font holds. Long names are cut by CSS,
    with the whole name on hover."""
    tile, font = (96, 19) if projector else (64, 13)
    cells = []
    for src, nick, label, bad in zip(pictures, nicknames, labels, wrong, strict=True):
        colour = theme.VERMILLION if bad else "#BBBBBB"
        name = html.escape(str(nick), quote=True)
        note = f"meant {int(label)}" + (", misread" if bad else "")
        cells.append(
            f'<figure style="margin:0;width:{tile}px" title="{name}: {note}">'
            f'<img src="{html.escape(src, quote=True)}" alt="{note}" width="{tile}" height="{tile}" '
            f'style="display:block;border:{3 if bad else 1}px solid {colour};box-sizing:border-box">'
            f'<figcaption style="font-size:{font}px;line-height:1.3;text-align:center;white-space:nowrap;'
            f'overflow:hidden;text-overflow:ellipsis;color:{theme.VERMILLION if bad else theme.INK}">'
            f"<bdi>{name}</bdi> · {int(label)}</figcaption></figure>"
        )
    return f'<div style="display:flex;flex-wrap:wrap;gap:8px">{"".join(cells)}</div>'
