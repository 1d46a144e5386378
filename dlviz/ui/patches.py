"""Every workaround of a library's internals, in one place.

Each one is guarded: when the internal it relies on is gone (a newer Streamlit or canvas), it does nothing
and logs once, and a test fails (tests/unit/test_patches.py, tests/browser/) so the upgrade is noticed.
"""

from __future__ import annotations

import functools
import logging
import re

import streamlit as st

log = logging.getLogger(__name__)


@functools.cache
def missing(what: str) -> None:
    """Say once per process that a workaround found nothing to patch (the library changed)."""
    log.warning("dlviz.ui.patches: %s is gone in this version; that workaround is off.", what)


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
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:
        return missing("streamlit.runtime.pages_manager.PagesManager")
    if not hasattr(PagesManager, "uses_pages_directory"):
        return missing("PagesManager.uses_pages_directory")
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def in_fragment_run() -> bool:
    """Whether the script run going on is a fragment's alone (a click on a widget inside an ``st.fragment``).

    A widget callback's ``st.rerun(fragment)`` preempts the run it was called in and queues another: a Step
    clicked in the browser (whose click already reruns its fragment alone) would run the fragment twice,
    the first run ended after the epoch was trained and the second drawing it, with two script starts for
    the browser to handle (docs/benchmarks.md). Streamlit tells which fragments a run reruns only through
    its script-run context. When that is gone this says False, and such a callback reruns as before.
    """
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:
        missing("streamlit.runtime.scriptrunner.get_script_run_ctx")
        return False
    ctx = get_script_run_ctx()
    if ctx is None or not hasattr(ctx, "fragment_ids_this_run"):
        if ctx is not None:
            missing("ScriptRunContext.fragment_ids_this_run")
        return False
    return bool(ctx.fragment_ids_this_run)


def _waiting_rerun():
    """The script run's queued requests and the fragment being run (None outside one), or None when
    Streamlit's internals no longer hold them where ``click_waiting`` reads them."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
        from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState
    except ImportError:
        missing("streamlit.runtime.scriptrunner_utils' ScriptRequestType or ThreadState")
        return None
    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    requests = getattr(ctx, "script_requests", None)
    try:
        fragment = ThreadState.get().fragment_id if all(hasattr(requests, n) for n in ("_state", "_rerun_data")) else ""
    except (RuntimeError, AttributeError):  # no fragment state on this thread, or none kept there any more
        fragment = ""
    if fragment == "":
        missing("ScriptRunContext.script_requests._state/_rerun_data or ThreadState.fragment_id")
        return None
    return requests, fragment, ScriptRequestType.RERUN


def sees_waiting_clicks() -> bool:
    """Whether ``click_waiting`` can tell (else a page trains live in whole-page runs alone, as before)."""
    return _waiting_rerun() is not None


def click_waiting() -> bool:
    """Whether a click on a widget inside the fragment being run waits for this run to end.

    Streamlit lets a click inside a fragment interrupt no run at all (``script_requests``'
    ``_fragment_run_should_not_preempt_script``): it is queued until the run ends. A training loop inside a
    fragment (``LiveControls.play``) asks this between two turns (and while it waits for one) and ends its
    run when Pause, or any other widget of its fragment, was clicked; the queued run then takes the click. A
    rerun queued for another fragment (class mode's look at the room, every second) is not this fragment's
    and leaves the loop alone, and a whole-page rerun interrupts the run by itself. False when Streamlit's
    internals no longer tell.
    """
    found = _waiting_rerun()
    if found is None:
        return False
    requests, fragment, rerun = found
    data = requests._rerun_data
    return fragment is not None and requests._state == rerun and fragment in (data.fragment_id_queue or ())


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
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return missing("streamlit.runtime.scriptrunner.script_runner")
    if not callable(getattr(script_runner, "_clean_problem_modules", None)):
        return missing("script_runner._clean_problem_modules")
    script_runner._clean_problem_modules = _close_pyplot_figures


def _close_pyplot_figures() -> None:
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


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
        return missing("the canvas component's bundle")
    patch = quick_canvas_patch(bundle.read_text())
    css = "\n".join(path.read_text() for path in sorted(build.glob("index-*.css")))
    toolbar = canvas_toolbar_css(css)
    if patch is None:
        missing("the canvas bundle's 200 ms send delay")
    if toolbar is None:
        missing("the canvas toolbar's place over the drawing surface")
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
