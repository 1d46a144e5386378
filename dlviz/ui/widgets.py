"""Shared Streamlit widgets: page start, settings in the URL, projector mode, charts and code panels.

Settings live in ``st.session_state`` as one dataclass per page (so they
survive page switches, when Streamlit forgets the widgets) and are mirrored
into the URL so that an instructor can share a link to the exact view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from dlviz.core import settings as query
from dlviz.ui import room
from dlviz.ui.patches import use_navigation

S = TypeVar("S")


PROJECTOR_KEY = "projector"


_PROJECTOR_CSS = """
<style>
  html, body, [data-testid="stMain"] { font-size: 1.35rem; }
  [data-testid="stMain"] h1 { font-size: 3rem; }
  [data-testid="stMain"] h2 { font-size: 2.3rem; }
  [data-testid="stMain"] h3 { font-size: 1.9rem; }
  [data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] label,
  [data-testid="stSidebar"] p, [data-testid="stSidebar"] label { font-size: 1.3rem; }
  [data-testid="stMain"] button p { font-size: 1.35rem; }
  [data-testid="stMetricValue"] { font-size: 2.6rem; }
  [data-testid="stMain"] code { font-size: 1.05rem; }
  /* The sidebar wide enough for the page names and labels at this size (300 px cut "Building blo..."). */
  [data-testid="stSidebar"][data-collapsed="false"] { width: 460px !important; min-width: 460px !important; }
  [data-testid="stNavSectionHeader"], [data-testid="stNavSectionHeader"] * { font-size: 1.2rem; }
  /* What widgets show, not only their labels: chosen values, typed numbers, slider values, menu entries. */
  [data-testid="stSidebar"] input, [data-testid="stMain"] input, [role="listbox"] [role="option"],
  [data-baseweb="tag"] span { font-size: 1.3rem; }
  [data-testid="stSliderThumbValue"], [data-testid="stSliderTickBarMin"],
  [data-testid="stSliderTickBarMax"] { font-size: 1.2rem; }
</style>
"""


def part_tabs(prefix: str, parts: dict[str, str], saved_part: str) -> tuple[dict[str, Any], str]:
    """Tabs for a page's parts, opened on the saved part; only the open tab's code needs to run.

    Returns the tab containers by part key, and the key of the open one (for the page's settings).
    The open tab's label lives in ``prefix.tab``.
    """
    initial(f"{prefix}.tab", parts[saved_part])
    containers = st.tabs(list(parts.values()), key=f"{prefix}.tab", on_change="rerun")
    open_label = st.session_state[f"{prefix}.tab"]
    return dict(zip(parts, containers, strict=True)), next(k for k, label in parts.items() if label == open_label)


def show_open(tabs: dict[str, Any], shows: dict[str, Callable[[], None]]) -> None:
    """Run the open tab's part (``part_tabs``' containers by key, and what each shows); the others stay idle."""
    for key, container in tabs.items():
        if container.open:
            with container:
                shows[key]()


def data_seed(where, key: str, most: int = 99_999) -> None:
    """The data's random seed with a button beside it for new random data (the next seed)."""

    def next_seed() -> None:
        st.session_state[key] = (int(st.session_state[key]) + 1) % (most + 1)

    seed_col, new_col = where.columns([2, 1], vertical_alignment="bottom")
    seed_col.number_input("Seed", 0, most, key=key)
    new_col.button("", icon=":material/refresh:", on_click=next_seed, help="New random data (the next seed).",
                   width="stretch", key=f"{key}.next")  # fmt: skip


def projector_toggle() -> bool:
    """The projector switch in the sidebar, kept in the URL on every page."""
    state = st.session_state
    if PROJECTOR_KEY not in state:
        raw = st.query_params.get(PROJECTOR_KEY, "0")
        try:
            state[PROJECTOR_KEY] = query.parse(query.Rule("flag"), raw)
        except ValueError:
            state[PROJECTOR_KEY] = False
    on = st.sidebar.toggle(
        "Projector mode", key=PROJECTOR_KEY, help="Large fonts, thick lines and big markers for a wall projector."
    )
    if on:
        st.html(_PROJECTOR_CSS)
    return on


# Below this width Streamlit folds the sidebar away behind a » button (measured: open at 769 px, folded at 767).
NARROW_PX = 768


_SIDEBAR_HINT = """
<style>
  .dlviz-sidebar-hint { display: none; }
  @media (max-width: %(narrow)dpx) {
    .dlviz-sidebar-hint { display: block; padding: 0.6rem 0.9rem; border-radius: 0.5rem;
                          background: #E8F1FA; color: #0B3C66; line-height: 1.4; }
  }
  @media (min-width: %(wide)dpx) { [data-testid="stElementContainer"]:has(.dlviz-sidebar-hint) { display: none; } }
</style>
<div class="dlviz-sidebar-hint" data-testid="dlvizSidebarHint">%(text)s</div>
"""


def sidebar_hint(what: str = "the data, the network and the training") -> None:
    """On a phone, where the sidebar is folded away, say where the settings are (hidden on wider screens)."""
    text = f"&#9881;&#65039; <b>Settings</b> for {what} are in the side panel: tap <b>&raquo;</b> at the top left."
    st.html(_SIDEBAR_HINT % {"narrow": NARROW_PX, "wide": NARROW_PX + 1, "text": text})


def projector() -> bool:
    return bool(st.session_state.get(PROJECTOR_KEY, False))


def page_settings(cls: type[S], name: str) -> S:
    """This page's settings: from the URL on the first visit in a session, then from the session.

    Values in the link that cannot be used are replaced by defaults, and a
    short notice says which.
    """
    state = st.session_state
    if name not in state:
        state[name], state[name + ".problems"] = query.from_query(cls, st.query_params.to_dict())
    problems = state.get(name + ".problems")
    if problems:
        st.warning(
            "Some values in the link were not understood and use their defaults: " + plain("; ".join(problems)),
            icon="🔗",
        )
    return state[name]


_MARKDOWN_SPECIALS = set("\\`*_{}[]()<>#+-.!|~$:")


def plain(text: str) -> str:
    """Text from a URL or a participant, escaped so Markdown shows it as typed (no links, no HTML)."""
    return "".join("\\" + c if c in _MARKDOWN_SPECIALS else c for c in text)


def save_settings(name: str, value: Any) -> None:
    """Keep ``value`` as this page's settings and show them in the URL."""
    if st.session_state.get(name) != value:
        st.session_state.pop(name + ".problems", None)
    st.session_state[name] = value
    wanted = query.to_query(value)
    if projector():
        wanted[PROJECTOR_KEY] = "1"
    wanted.update(room.address_params())
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def initial(key: str, value: Any) -> str:
    """Give a widget its starting value unless it already has one; returns the key.

    Widgets are created with a key and no ``value=``, so one source of truth
    (the page's settings object) fills them after a page switch.
    """
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def fields(prefix: str, saved: Any) -> Callable[[str], str]:
    """``field(name)``: the widget key ``prefix.name``, first filled from the saved settings' ``name``."""

    def field(name: str) -> str:
        return initial(f"{prefix}.{name}", getattr(saved, name))

    return field


def read_settings(cls: type[S], prefix: str, saved: S, **given: Any) -> S:
    """The page's settings as its widgets show them now: each field from the widget ``prefix.field``, from
    ``given``, or (a widget that did not run, as in a closed tab) from the saved settings."""
    names = [name for name in cls.__dataclass_fields__ if name not in given]
    return cls(**{name: st.session_state.get(f"{prefix}.{name}", getattr(saved, name)) for name in names}, **given)


def page_start(name: str, cls: type[S], title: str, caption: str) -> S:
    """A page's first lines: the navigation, its title and caption, and its settings (``page_settings``)."""
    use_navigation()
    st.title(title)
    st.caption(caption)
    return page_settings(cls, name)


def code_panel(code: str, *, title: str = "Keras code", expanded: bool = False) -> None:
    """The runnable program for the current settings, ready to copy.

    The program is sent only while the panel is open (its state is the session's ``code.<title>``): a closed
    expander's contents are still rendered in the browser, and highlighting a program cost ~300 ms of a
    page's first render on this machine (docs/benchmarks.md).
    """
    key = f"code.{title}"
    with st.expander(title, expanded=expanded, icon=":material/code:", key=key, on_change="rerun"):
        if st.session_state.get(key, expanded):
            st.caption("A complete program for the settings above. Copy it into a notebook or a .py file and run it.")
            st.code(code, language="python", line_numbers=False)


def slot(where: Any = st, redrawn: bool = False) -> Any:
    """Where to draw one chart or line later in the run, in ``where`` (a column, or ``st``): a placeholder
    (``where.empty()``) when it is ``redrawn`` several times in the run (live training, an animation), else a
    container. A placeholder is an element of its own: sent and filled in the same run, it reaches the browser
    as two changes some milliseconds apart, and when the browser draws in between, the chart it held is taken
    down and put up again (Plotly's whole first drawing, or a canvas component starting anew). A container keeps
    what it held until the new one comes, and the browser redraws that in place. To draw at once, pass ``where``
    itself (``chart(col, ...)``, ``chart(st, ...)``), not ``where.empty()``."""
    return where.empty() if redrawn else where.container()


def chart(placeholder, figure, key: str, clicks: bool = False) -> None:
    """A Plotly figure in ``placeholder`` (a slot, a column, or ``st``: here); with ``clicks``, a click on one of its points reruns the page and
    ``clicked(key)`` tells where it fell."""
    options = dict(on_select="rerun", selection_mode="points") if clicks else {}
    placeholder.plotly_chart(
        figure, key=key, width="stretch", theme=None, config={"displaylogo": False, "displayModeBar": False}, **options
    )


def clicked(key: str) -> tuple[float, float] | None:
    """Where the last click on the chart ``key`` (drawn with ``clicks``) fell: the point it picked, or None."""
    event = st.session_state.get(key)
    try:
        point = event["selection"]["points"][-1]
        return float(point["x"]), float(point["y"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
