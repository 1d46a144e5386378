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


def canvas_build() -> Path:
    return Path(importlib.util.find_spec("streamlit_drawable_canvas").origin).parent / "frontend" / "build"


def test_the_installed_canvas_still_puts_its_toolbar_where_the_toolbar_fix_expects_it():
    """The fix's selectors name the library's own elements: an upgrade that renames them fails here."""
    css = "\n".join(path.read_text() for path in canvas_build().glob("index-*.css"))
    assert ui.canvas_toolbar_css(css) == ui.CANVAS_TOOLBAR_CSS
    source = next(canvas_build().glob("index-*.js")).read_text()
    for name in ("dc-root", "dc-scroll", "dc-toolbar"):  # the elements the fix's selectors name
        assert f'className = "{name}"' in source


def test_the_toolbar_fix_is_left_out_when_the_library_no_longer_overlays_the_canvas():
    assert ui.canvas_toolbar_css(".dc-root{position:relative}.dc-toolbar{display:flex}") is None
    assert ui.canvas_toolbar_css(".st-root{}.st-toolbar{position:absolute;top:-1rem}") is None
