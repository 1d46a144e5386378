"""Shared widgets that need no running page."""

import importlib.util
from pathlib import Path

from dlviz import ui


def test_the_installed_canvas_bundle_has_the_wait_that_quick_canvas_removes():
    package = Path(importlib.util.find_spec("streamlit_drawable_canvas").origin).parent  # importing needs a server
    build = package / "frontend" / "build"
    source = next(build.glob("index-*.js")).read_text()
    slow, quick = ui.quick_canvas_patch(source)
    assert source.count(slow) == 1 and "= 200," in slow and "= 0," in quick
    patched = source.replace(slow, quick)
    assert patched.count("= 200, ") == source.count("= 200, ") - 1  # that constant and nothing else


def test_a_bundle_without_the_wait_is_left_alone():
    assert ui.quick_canvas_patch("const x = 200, y = 3;") is None


def test_markdown_from_a_participant_is_shown_as_typed():
    assert ui.plain("[link](http://x) <b>") == r"\[link\]\(http\://x\) \<b\>"
