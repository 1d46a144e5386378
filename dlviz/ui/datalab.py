"""Streamlit helpers of the Data lab page (the shared ones are in ``widgets``): a chart whose points can be clicked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CONFIG = {"displaylogo": False, "displayModeBar": False}  # as ``ui.chart`` draws every chart


def clickable_chart(where, figure, key: str, on_select: Callable[[], None]) -> Any:
    """``figure`` in ``where`` with its points clickable: a click selects one point (no box or lasso), and
    ``on_select`` runs at the start of the rerun it causes, with the chart's selection in
    ``st.session_state[key]["selection"]``. Returns the chart's state (its selection)."""
    return where.plotly_chart(figure, key=key, width="stretch", theme=None, on_select=on_select,
                              selection_mode="points", config=CONFIG)  # fmt: skip
