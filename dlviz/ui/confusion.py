"""A confusion matrix whose cells can be clicked (Data lab's rows, the Class wall's drawings), with a
selectbox beside it that picks the same cells (the way in on a phone, and for keyboards)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from dlviz.core import charts

CONFIG = {"displaylogo": False, "displayModeBar": False}  # as ``ui.chart`` draws every chart
Cell = tuple[int, int]


def clickable_chart(where, figure, key: str, on_select: Callable[[], None]) -> Any:
    """``figure`` in ``where`` with its points clickable: a click selects one point (no box or lasso), and
    ``on_select`` runs at the start of the rerun it causes, with the chart's selection in
    ``st.session_state[key]["selection"]``. Returns the chart's state (its selection)."""
    return where.plotly_chart(figure, key=key, width="stretch", theme=None, on_select=on_select,
                              selection_mode="points", config=CONFIG)  # fmt: skip


def pick_cell(matrix_where, list_where, matrix: np.ndarray, labels: list[str], *, key: str, prompt: str,
              describe: Callable[[Cell], str], nothing: str = "choose a cell of the matrix", meant: str = "meant", read: str = "read as", projector: bool = False,
              height: int = 420) -> tuple[Cell | None, Cell | None]:  # fmt: skip
    """Draw ``matrix`` clickable in ``matrix_where`` and a selectbox of its non-empty cells in ``list_where``.

    Returns (the chosen non-empty cell, an empty cell that was clicked), either None. Clicking a cell picks
    it as the selectbox does; choosing in the selectbox draws the matrix afresh (a new chart key: no click
    left selected in it) with that cell framed. Session keys: ``{key}.cell`` (the selectbox),
    ``{key}.cell_empty``, ``{key}.cell_view`` and the chart's ``{key}.confusion.{n}``.
    """
    state = st.session_state
    counts = np.asarray(matrix)
    k = counts.shape[0]
    cells = [(i, j) for i in range(k) for j in range(k) if counts[i, j]]
    cell_key, empty_key, view_key = f"{key}.cell", f"{key}.cell_empty", f"{key}.cell_view"
    chart_key = f"{key}.confusion.{state.get(view_key, 0)}"

    def clicked() -> None:
        cell = charts.clicked_cell((state.get(chart_key) or {}).get("selection"), k)
        state[cell_key] = cell if cell in cells else None
        state[empty_key] = cell if cell is not None and cell not in cells else None

    def chose() -> None:
        state[view_key] = state.get(view_key, 0) + 1
        state[empty_key] = None

    if state.get(cell_key) not in (None, *cells):
        state[cell_key] = None  # the matrix changed (more training, other rows): that cell is empty now
    empty = state.get(empty_key)
    if empty is not None and (not isinstance(empty, tuple) or max(empty) >= k or empty in cells):
        empty = state[empty_key] = None
    figure = charts.confusion_figure(counts, labels, meant=meant, read=read, projector=projector, height=height,
                                     clickable=True, chosen=state.get(cell_key) or empty)  # fmt: skip
    clickable_chart(matrix_where, figure, chart_key, clicked)
    cell = list_where.selectbox(prompt, [None, *cells], key=cell_key, on_change=chose,
                                format_func=lambda c: nothing if c is None else describe(c))  # fmt: skip
    return cell, empty
