"""The Playground's hands-on edits: points added by clicking on the plane, a weight set by clicking the diagram.

A click on the plane (a canvas, ``dlviz.ui.plane``) or on a Plotly chart drawn with ``clicks`` (the diagram)
reruns the page and leaves where it fell under the element's key; each key carries a count of the clicks
handled, so a handled click is never handled again and the next element starts with no selection.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from dlviz.core import datasets
from dlviz.core.plane import plane_view
from dlviz.playground.engine import GRID, MAX_ADDED, PlaygroundSettings, with_point, without_point
from dlviz.ui.diagram import diagram_pick
from dlviz.ui.plane import plane, plane_click
from dlviz.ui.widgets import projector

state = st.session_state


def _pick_key(name: str) -> str:
    return f"pg.{name}.{state.get(f'pg.{name}s', 0)}"


def _handled(name: str) -> str:
    """Count a click on chart ``name`` as handled; the chart's key for the next one."""
    state[f"pg.{name}s"] = state.get(f"pg.{name}s", 0) + 1
    return _pick_key(name)


def own_points(where, settings: PlaygroundSettings) -> tuple[PlaygroundSettings, str | None]:
    """The plane's editing tools in ``where``; the settings with a click's point added or erased, and the key
    the plane is drawn with so that clicks on it are read (None: the plane takes no clicks)."""
    drawn = datasets.DATASETS[settings.data].drawn
    if settings.regression or not (drawn or where.toggle(
            "Add points by clicking", key="pg.edit", help=f"Click on the plane to add a training point (up to "
            f"{MAX_ADDED}, all kept in the link); pause first while training.")):  # fmt: skip
        return settings, None
    pens = [*range(settings.n_classes), "erase"]
    if state.get("pg.pen") not in pens:
        state["pg.pen"] = 0
    where.radio("A click on the plane", pens, horizontal=True, key="pg.pen",
                format_func=lambda p: "erases" if p == "erase" else f"adds class {p}")  # fmt: skip
    key = _pick_key("pick")
    if (point := plane_click(f"{key}.0")) is not None:
        pen = state["pg.pen"]
        settings = without_point(settings, *point) if pen == "erase" else with_point(settings, *point, pen)
        state["pg.added"] = settings.added
        key = _handled("pick")
    count_col, clear_col = where.columns([3, 1], vertical_alignment="center")
    count = len(settings.added) // 3
    count_col.caption(f"{count} of {MAX_ADDED} points added by hand, kept in the link"
                      + ("; the oldest go first beyond that." if count == MAX_ADDED else "."))  # fmt: skip
    clear_col.button("Clear", key="pg.clear", on_click=lambda: state.update({"pg.added": ()}),
                     disabled=not settings.added, help="Remove every point you added.")  # fmt: skip
    return settings, key


def empty_plane(where, key: str) -> None:
    """ "Your own points" before the first point: the empty plane, taking clicks."""
    where.info("Your own data set: click on the plane to add points, then press Play.", icon=":material/touch_app:")
    axis = datasets.grid(GRID)[0]
    view = plane_view(axis, np.full((GRID, GRID), 0.5), None, None, None, None, projector=projector(), clickable=True)
    plane(where, view, key=f"{key}.0")


def weight_editor(where, run) -> str | None:
    """ "Edit a weight": a click on an edge or a node of the diagram picks its weight or bias, a slider sets
    it. Returns the key to draw the diagram with so that clicks on it are read (None: no editing)."""
    if not where.toggle("Edit a weight", key="pg.wedit", help="Click an edge (a weight) or a node (its bias) in "
                        "the diagram, then set its value and watch the boundary change. Pause first."):  # fmt: skip
        return None
    sizes = [len(run.settings.features), *run.settings.layers, run.settings.n_outputs]
    key = _pick_key("wpick")
    if (picked := diagram_pick(f"{key}.0")) is not None:
        layer, i, j = picked
        if 0 <= layer < len(sizes) - 1 and 0 <= j < sizes[layer + 1] and (i is None or 0 <= i < sizes[layer]):
            state["pg.wsel"] = (sizes, layer, i, j)
        key = _handled("wpick")
    chosen = state.get("pg.wsel")
    if chosen is None or chosen[0] != sizes:
        where.caption("Click an edge or a node of the diagram below.")
        return key
    _, layer, i, j = chosen
    names = [[datasets.FEATURES[f].label for f in run.settings.features],
             *[[f"H{c}.{u + 1}" for u in range(n)] for c, n in enumerate(run.settings.layers, 1)],
             [f"output {u + 1}" if run.settings.n_outputs > 1 else "output" for u in range(run.settings.n_outputs)]]  # fmt: skip
    label = f"Bias of {names[layer + 1][j]}" if i is None else f"Weight {names[layer][i]} → {names[layer + 1][j]}"
    value = run.weight(layer, i, j)
    lo, hi = min(-5.0, math.floor(value)), max(5.0, math.ceil(value))
    state["pg.wval"] = min(max(round(value, 2), lo), hi)  # what the network holds now (training moves it)

    def set_it() -> None:
        run.set_weight(layer, i, j, float(state["pg.wval"]))

    where.slider(label, lo, hi, step=0.01, key="pg.wval", on_change=set_it,
                 help="Training goes on from the network as you leave it.")  # fmt: skip
    return key
