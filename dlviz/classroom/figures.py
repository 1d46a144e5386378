"""Class mode's charts: the room's confusion matrix, its accuracy histogram and a poll's bars."""

from __future__ import annotations

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


def drawing_sheet(pictures, captions: list[str], highlight: list[bool], *, columns: int = 6,
                  projector: bool = False) -> bytes:  # fmt: skip
    """The wall's drawings as one PNG: ink on white tiles in a grid, a caption under each, misreads in red.

    One picture instead of a Plotly grid of heatmaps: the wall is redrawn whenever someone sends, for every
    session showing it; a sheet of 24 costs about 5 ms, and each is drawn once (the page caches it by the
    drawings it holds), where the Plotly grid cost about 9 ms to build and 4 ms to send on every redraw.
    Captions are drawn as plain text, whatever a nickname holds.
    """
    from PIL import Image, ImageDraw, ImageFont

    tile, font_px = (84, 17) if projector else (64, 13)
    gap, line = 8, font_px + 6
    n = len(pictures)
    columns = max(1, min(columns, n or 1))
    rows = max(1, -(-n // columns))
    width, height = columns * (tile + gap) + gap, rows * (tile + line + gap) + gap
    sheet = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=font_px)
    for i, (picture, caption, wrong) in enumerate(zip(pictures, captions, highlight, strict=True)):
        r, c = divmod(i, columns)
        x, y = gap + c * (tile + gap), gap + r * (tile + line + gap)
        ink = np.clip(np.nan_to_num(np.asarray(picture, np.float32)), 0, 1)
        img = Image.fromarray((255 - ink * 255).astype(np.uint8)).resize((tile, tile), Image.Resampling.BILINEAR)
        sheet.paste(img.convert("RGB"), (x, y))
        colour = theme.VERMILLION if wrong else "#BBBBBB"
        pen.rectangle([x - 1, y - 1, x + tile, y + tile], outline=colour, width=3 if wrong else 1)
        text = caption if pen.textlength(caption, font=font) <= tile + gap else caption[: max(1, tile // 8)] + "…"
        pen.text((x + tile / 2, y + tile + 3), text, fill=theme.VERMILLION if wrong else theme.INK, font=font,
                 anchor="ma")  # fmt: skip
    out = io.BytesIO()
    sheet.save(out, format="PNG", compress_level=1)  # fast: the wall redraws as sends arrive
    return out.getvalue()
