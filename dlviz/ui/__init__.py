"""The only part of dlviz that imports streamlit: widgets, the live controller and the workarounds."""

from dlviz.ui import room
from dlviz.ui.curves import curves
from dlviz.ui.diagram import diagram
from dlviz.ui.glassbox import glass_box
from dlviz.ui.live import LiveControls, on_click, play_controls
from dlviz.ui.patches import (
    CANVAS_COMPONENT,
    CANVAS_TOOLBAR_CSS,
    canvas_toolbar_css,
    keep_keras_state,
    quick_canvas,
    quick_canvas_patch,
    use_navigation,
)
from dlviz.ui.plane import plane
from dlviz.ui.widgets import (
    NARROW_PX,
    PROJECTOR_KEY,
    chart,
    clicked,
    code_panel,
    data_seed,
    fields,
    initial,
    page_settings,
    page_start,
    part_tabs,
    plain,
    projector,
    projector_toggle,
    read_settings,
    save_settings,
    show_open,
    sidebar_hint,
    slot,
)

class_bar = room.class_bar

__all__ = [
    "class_bar",
    "room",
    "CANVAS_COMPONENT",
    "CANVAS_TOOLBAR_CSS",
    "LiveControls",
    "NARROW_PX",
    "PROJECTOR_KEY",
    "canvas_toolbar_css",
    "chart",
    "clicked",
    "code_panel",
    "curves",
    "data_seed",
    "diagram",
    "fields",
    "glass_box",
    "initial",
    "keep_keras_state",
    "on_click",
    "page_settings",
    "page_start",
    "part_tabs",
    "plain",
    "plane",
    "play_controls",
    "projector",
    "projector_toggle",
    "quick_canvas",
    "quick_canvas_patch",
    "read_settings",
    "save_settings",
    "show_open",
    "sidebar_hint",
    "slot",
    "use_navigation",
]
