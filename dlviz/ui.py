"""Shared Streamlit widgets: the only module of dlviz that imports streamlit.

Settings live in ``st.session_state`` as one dataclass per page (so they
survive page switches, when Streamlit forgets the widgets) and are mirrored
into the URL so that an instructor can share a link to the exact view.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from dlviz import live, pacing
from dlviz import settings as query

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


def use_navigation() -> None:
    """Make sure the app runs through ``app.py``'s ``st.navigation``, whatever URL came first.

    Streamlit treats a ``pages/`` folder beside the entry point as an
    old-style multipage app until ``st.navigation`` has been called once in
    the process: the first visitor to open ``/playground`` on a fresh server
    would get that page without ``app.py`` (no shared sidebar, no page
    config), and so would everyone after. Call this first in ``app.py`` and
    in every page; it costs nothing once navigation is in use.

    The rerun drops button triggers, so buttons act through ``on_click``
    callbacks (which run before it). That matters under AppTest, which
    resets Streamlit's flag before every run.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def part_tabs(prefix: str, parts: dict[str, str], saved_part: str) -> tuple[dict[str, Any], str]:
    """Tabs for a page's parts, opened on the saved part; only the open tab's code needs to run.

    Returns the tab containers by part key, and the key of the open one (for the page's settings).
    The open tab's label lives in ``prefix.tab``.
    """
    initial(f"{prefix}.tab", parts[saved_part])
    containers = st.tabs(list(parts.values()), key=f"{prefix}.tab", on_change="rerun")
    open_label = st.session_state[f"{prefix}.tab"]
    return dict(zip(parts, containers, strict=True)), next(k for k, label in parts.items() if label == open_label)


def keep_keras_state() -> None:
    """Stop Streamlit from resetting Keras after every script run.

    Streamlit calls ``keras.backend.clear_session()`` when a script run ends
    (``script_runner._clean_problem_modules``). That is a full
    ``gc.collect()``, about 200 ms per click once TensorFlow is loaded, plus a
    cleared kernel cache that makes the next plain ``tf.function`` call
    60-80 ms slower (docs/benchmarks.md). It guards against scripts that
    rebuild models on every run and rely on fresh layer names; dlviz builds
    each model once, under ``models.seeded``, and keeps it in the session.
    Pyplot figures are still closed as before.
    """
    from streamlit.runtime.scriptrunner import script_runner

    script_runner._clean_problem_modules = _close_pyplot_figures


def _close_pyplot_figures() -> None:
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


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
    """The runnable program for the current settings, ready to copy."""
    with st.expander(title, expanded=expanded, icon=":material/code:"):
        st.caption("A complete program for the settings above. Copy it into a notebook or a .py file and run it.")
        st.code(code, language="python", line_numbers=False)


def chart(placeholder, figure, key: str) -> None:
    placeholder.plotly_chart(
        figure, key=key, width="stretch", theme=None, config={"displaylogo": False, "displayModeBar": False}
    )


def on_click(state_key: str, value: Any) -> Callable[[], None]:
    def set_state() -> None:
        st.session_state[state_key] = value

    return set_state


def play_controls(prefix: str, *, running: bool, finished: bool, step_help: str = "Train one epoch."):
    """Play/Pause, Step and Reset for a training run, with a status line beside them (returned, empty).

    The buttons set ``prefix.running``, ``prefix.step`` and ``prefix.reset`` in the session; their keys are
    ``prefix.play``, ``prefix.stepper`` and ``prefix.resetter``.
    """
    play_col, step_col, reset_col, status_col = st.columns([1, 1, 1, 4], vertical_alignment="center")
    play_col.button("Pause" if running else "Play", icon=":material/pause:" if running else ":material/play_arrow:",
                    type="primary", on_click=on_click(f"{prefix}.running", not running), disabled=finished,
                    width="stretch", key=f"{prefix}.play")  # fmt: skip
    step_col.button("Step", icon=":material/skip_next:", on_click=on_click(f"{prefix}.step", True),
                    disabled=running or finished, width="stretch", help=step_help, key=f"{prefix}.stepper")  # fmt: skip
    reset_col.button("Reset", icon=":material/replay:", on_click=on_click(f"{prefix}.reset", True), width="stretch",
                     key=f"{prefix}.resetter")  # fmt: skip
    return status_col.empty()


class LiveControls:
    """The one Play / Pause / Step / Reset controller for every page that trains live (``dlviz.live``).

    Build it with the page's settings and a factory; it keeps the run in ``prefix.run``, starts a new run
    when ``key(settings)`` changes or Reset is pressed, lets the run adopt other changes, and trains one
    epoch on Step. ``controls()`` draws the buttons with a status line and a notice below them; ``play(draw)``
    draws the run (``draw(cycle)``, where ``cycle`` keeps element keys unique per frame), then while playing
    trains in paced turns and redraws after each, and ends with a rerun that shows the buttons paused.
    """

    def __init__(self, prefix: str, settings: Any, make: Callable[[Any], live.LiveRun], *,
                 key: Callable[[Any], Any] = live.model_key, speed: str = "max", most: int = 500) -> None:  # fmt: skip
        state = st.session_state
        self.prefix, self.speed, self.most = prefix, speed, most
        self.run, restarted = live.current_run(state.get(f"{prefix}.run"), settings, make, key=key,
                                               reset=state.pop(f"{prefix}.reset", False))  # fmt: skip
        state[f"{prefix}.run"] = self.run
        if restarted:
            state[f"{prefix}.running"] = False
        if state.pop(f"{prefix}.step", False) and not self.run.finished:
            self.run.train(1)
        self.running = bool(state.get(f"{prefix}.running", False)) and not self.run.finished
        self.status = self.notice = None

    def controls(self, step_help: str = "Train one epoch.") -> None:
        self.status = play_controls(self.prefix, running=self.running, finished=self.run.finished,
                                    step_help=step_help)  # fmt: skip
        self.notice = st.empty()

    def play(self, draw: Callable[[int], None], *, diverged: str = "", budget: str | None = None,
             starting: str = "compiling the network…") -> None:  # fmt: skip
        """``diverged``: what to do about it (after "Training diverged at epoch N: ..."); ``budget``: the notice
        when the run reached its budget (a default one when None, none when "")."""

        def frame(cycle: int) -> None:
            draw(cycle)
            self._notices(diverged, budget)

        frame(0)
        if not self.running:
            return
        # A click anywhere reruns the script, which stops this loop at its next st.* call;
        # the run itself lives in the session, so nothing is lost.
        run, pace, cycle = self.run, pacing.Pace(most=self.most, rate=pacing.per_second(self.speed)), 0
        if run.epoch == 0 and starting and self.status is not None:
            self.status.markdown(f"**Epoch 0** · {starting}")
        while not run.finished:
            pace.step(run.train)  # waits its turn when many sessions train at once
            cycle += 1
            frame(cycle)
        st.session_state[f"{self.prefix}.running"] = False
        st.rerun()

    def _notices(self, diverged: str, budget: str | None) -> None:
        if self.notice is None:
            return
        run = self.run
        if run.diverged and diverged:
            self.notice.error(f"Training diverged at epoch {run.epoch}: {diverged}", icon=":material/warning:")
        elif not run.diverged and run.epoch >= run.budget and budget != "":
            self.notice.success(budget or f"Reached the epoch budget ({run.budget:,}). Raise it to train further, "
                                "or Reset.")  # fmt: skip


# --- the drawing canvas, answering as the pen lifts ------------------------------------------------------
# streamlit-drawable-canvas 0.13 waits a fixed 200 ms after the last change
# before it sends a drawing (a constant in its bundle, not an option): most of
# the Digits page's budget from pen-up to answer. ``quick_canvas`` serves the
# library's own bundle with that one constant set to 0: the browser fetches the
# bundle from Streamlit as usual, changes the constant and imports it. If a
# future version of the bundle no longer has it, the library runs unchanged.
#
# Its toolbar (send, undo, redo, edit, reset) is a ``div.dc-toolbar`` placed
# with ``position: absolute; top: -1rem`` in ``div.dc-root``, invisible
# (opacity 0) until the pointer hovers the canvas, when it slides up to -2.65rem
# after 0.1 s. Invisible, it still takes the pointer: it covered the top right
# of the drawing surface (141 x 30 px of the 280 px square, 190 x 41 px with
# projector mode's larger rem), so a stroke that began there drew nothing, and
# a touch screen never hovers before the pen goes down. ``quick_canvas`` adds
# CSS that puts the toolbar in the flow above the square, always shown: nothing
# lies over the drawing surface, and undo is visible on a phone too. It is only
# added while the library's CSS still places the toolbar that way.

CANVAS_COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"
_CANVAS_DEBOUNCE = re.compile(r"\b(\w+) = 200, (\w+ = \(e\) => \{\s*const t = e\.canvas\.toObject\()")
_QUICK_CANVAS_JS = """
const BUNDLE = %(bundle)s, SLOW = %(slow)s, QUICK = %(quick)s;
let loaded = null, module = null;
function load() {
  loaded ??= fetch(new URL(BUNDLE, document.baseURI))
    .then((response) => response.text())
    .then((source) => SLOW === null ? source : source.replace(SLOW, QUICK))
    .then((source) => import(URL.createObjectURL(new Blob([source], {type: "text/javascript"}))))
    .then((m) => (module = m));
  return loaded;
}
export default function (component) {
  if (module) return module.default(component);
  let cleanup = null, gone = false;
  load().then((m) => { if (!gone) cleanup = m.default(component); });
  return () => { gone = true; if (typeof cleanup === "function") cleanup(); };
}
"""


_CANVAS_TOOLBAR_OVER_SURFACE = re.compile(r"\.dc-toolbar\{[^}]*position:absolute[^}]*\}")
CANVAS_TOOLBAR_CSS = """
/* dlviz (ui.py): the toolbar above the drawing surface, in the flow and always shown, never over it */
.dc-root { display: flex; flex-direction: column; }
.dc-root > .dc-scroll { order: 1; }
.dc-root > .dc-toolbar { position: static; order: 0; opacity: 1; justify-content: flex-end; padding: 0 0 .375rem; }
"""


def canvas_toolbar_css(library_css: str) -> str | None:
    """CSS that moves the canvas toolbar off the drawing surface, or None when the library no longer puts it there."""
    if ".dc-root{" not in library_css or not _CANVAS_TOOLBAR_OVER_SURFACE.search(library_css):
        return None
    return CANVAS_TOOLBAR_CSS


def quick_canvas_patch(bundle_source: str) -> tuple[str, str] | None:
    """The text to replace in the canvas bundle and its replacement, or None when the bundle has no such wait."""
    found = _CANVAS_DEBOUNCE.search(bundle_source)
    if found is None:
        return None
    return found.group(0), f"{found.group(1)} = 0, {found.group(2)}"


@functools.cache
def _quick_canvas_component():
    import json
    from pathlib import Path

    import streamlit_drawable_canvas as canvas
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager

    definition = get_bidi_component_manager().get(CANVAS_COMPONENT)
    build = Path(canvas.__file__).parent / "frontend" / "build"
    bundle = next(build.glob("index-*.js"), None)
    if not (definition and definition.js_url and bundle):
        return None
    patch = quick_canvas_patch(bundle.read_text())
    css = "\n".join(path.read_text() for path in sorted(build.glob("index-*.css")))
    toolbar = canvas_toolbar_css(css)
    if patch is None and toolbar is None:
        return None
    slow, quick = patch or (None, None)
    js = _QUICK_CANVAS_JS % {"bundle": json.dumps(f"_stcore/bidi-components/{CANVAS_COMPONENT}/{definition.js_url}"),
                             "slow": json.dumps(slow), "quick": json.dumps(quick)}  # fmt: skip
    css += toolbar or ""
    return st.components.v2.component("dlviz.quick_canvas", html='<div class="canvas-root"></div>', css=css, js=js,
                                      isolate_styles=True)  # fmt: skip


def quick_canvas(**kwargs):
    """``st_canvas(**kwargs)``, sending each stroke as soon as the pen lifts, its toolbar above the square."""
    import streamlit_drawable_canvas as canvas

    component = _quick_canvas_component()
    if component is not None:
        canvas.out = component  # st_canvas mounts whatever component ``out`` names
    return canvas.st_canvas(**kwargs)
