"""What the canvas components share (the Playground's ``plane``, ``diagram`` and ``curves``, the Data lab's
``bars``): each is a Streamlit components-v2 component registered once per process, mounted in the page's own
DOM (its CSS scoped by class, so that the page's observers see it redrawn), and an event it fires (a click, a
pick) is kept in the session until the page reads it: a trigger value lasts one run, and the navigation may
rerun the page before it gets there."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

import streamlit as st

# Module-level helpers every canvas component's JavaScript may call (``Canvas`` puts them before its module).
SHARED_JS = """
// Show the tooltip ``tip`` with ``text`` beside the pointer, kept inside ``root``.
function showTip(tip, root, event, text, font) {
  tip.textContent = text; tip.style.fontSize = font + "px"; tip.style.display = "block";
  const r = root.getBoundingClientRect();
  tip.style.left = Math.max(0, Math.min(event.clientX - r.left + 12, r.width - tip.offsetWidth - 4)) + "px";
  tip.style.top = (event.clientY - r.top + 12) + "px";
}
// Call ``redraw`` whenever ``root`` changes size (one observer per element, the latest redraw).
function redrawOnResize(root, redraw) {
  if (!root.__observer) {
    root.__observer = new ResizeObserver(() => root.__redraw && root.__redraw());
    root.__observer.observe(root);
  }
  root.__redraw = redraw;
}
"""


def single_canvas(root: str) -> tuple[str, str]:
    """The HTML and CSS of a component that is one canvas with a tooltip, in a ``div`` of class ``root``."""
    html = f'<div class="{root}"><canvas></canvas><div class="tip"></div></div>'
    css = f"""
.{root} {{ position: relative; width: 100%; }}
.{root} canvas {{ display: block; }}
.{root} .tip {{ position: absolute; pointer-events: none; display: none; background: rgba(255,255,255,0.94);
  border: 1px solid #BDBDBD; border-radius: 3px; padding: 1px 5px; white-space: pre;
  font-family: "Source Sans Pro", "Source Sans 3", sans-serif; }}
"""
    return html, css


class Canvas:
    """A canvas component called ``name``; ``events`` are the trigger names its JavaScript may fire."""

    def __init__(self, name: str, *, html: str, css: str, js: str, events: tuple[str, ...] = ()):
        self.name, self.html, self.css, self.js, self.events = name, html, css, js, events
        self._renderer: Any = None

    def mount(self, where, view: dict, *, key: str) -> None:
        """Draw ``view`` under ``key`` in ``where``: a container, a placeholder (``st.empty()``, which the component
        takes the place of) or ``st`` (here)."""
        if self._renderer is None:
            self._renderer = st.components.v2.component(self.name, html=self.html, css=self.css, js=SHARED_JS + self.js,
                                                        isolate_styles=False)  # fmt: skip
        callbacks = {f"on_{event}_change": functools.partial(_keep, key, event) for event in self.events}
        with contextlib.nullcontext() if where is st else where:
            self._renderer(data=view, key=key, **callbacks)

    @staticmethod
    def taken(key: str, event: str, parse: Callable[[Any], Any]) -> Any:
        """The ``event`` that the element drawn with ``key`` fired, parsed by ``parse``, once; None when it
        fired none (or ``parse`` refused what came: a forged message)."""
        value = st.session_state.pop(f"{key}.{event}", None)
        if value is None:
            return None
        try:
            return parse(value)
        except (TypeError, ValueError, KeyError, IndexError):
            return None


def _keep(key: str, event: str) -> None:
    """The event's callback, which runs before the page: keep the value until the page takes it."""
    value = st.session_state.get(key)
    if isinstance(value, dict) and value.get(event) is not None:
        st.session_state[f"{key}.{event}"] = value[event]
