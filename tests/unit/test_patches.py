"""Each workaround in dlviz.ui.patches, seen when its library internal is gone: it does nothing and says so once.

What each one buys is tested where it shows: the Keras counter surviving reruns (tests/pages/test_app.py),
the canvas component and its toolbar (tests/unit/test_ui.py, tests/pages/test_digits_page.py,
tests/browser/test_browser_digits.py), and the first visitor's deep link (tests/browser/test_browser_patches.py).
"""

import logging

import pytest

from dlviz.ui import patches


@pytest.fixture(autouse=True)
def fresh_warnings():
    patches.missing.cache_clear()
    yield
    patches.missing.cache_clear()


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == patches.__name__]


def test_keep_keras_state_does_nothing_and_warns_once_when_streamlit_no_longer_clears_keras(monkeypatch, caplog):
    from streamlit.runtime.scriptrunner import script_runner

    monkeypatch.delattr(script_runner, "_clean_problem_modules")
    with caplog.at_level(logging.WARNING):
        patches.keep_keras_state()
        patches.keep_keras_state()
    assert not hasattr(script_runner, "_clean_problem_modules")  # nothing put in its place
    assert warnings(caplog) == ["dlviz.ui.patches: script_runner._clean_problem_modules is gone in this version; "
                                "that workaround is off."]  # fmt: skip


def test_keep_keras_state_replaces_the_cleanup_with_one_that_leaves_keras_alone(monkeypatch):
    import sys

    from streamlit.runtime.scriptrunner import script_runner
    from tensorflow import keras

    monkeypatch.setattr(script_runner, "_clean_problem_modules", script_runner._clean_problem_modules)
    patches.keep_keras_state()
    keras.layers.Dense(1)
    before = keras.layers.Dense(1).name
    script_runner._clean_problem_modules()  # what Streamlit calls when a script run ends
    assert keras.layers.Dense(1).name not in ("dense", before)  # the name counter survived: no clear_session
    assert "keras" in sys.modules


def test_use_navigation_does_nothing_and_warns_once_when_the_pages_flag_is_gone(monkeypatch, caplog):
    from streamlit.runtime.pages_manager import PagesManager

    monkeypatch.delattr(PagesManager, "uses_pages_directory", raising=False)
    with caplog.at_level(logging.WARNING):
        patches.use_navigation()  # no rerun outside a script run: it would raise
        patches.use_navigation()
    assert warnings(caplog) == ["dlviz.ui.patches: PagesManager.uses_pages_directory is gone in this version; "
                                "that workaround is off."]  # fmt: skip


def test_use_navigation_leaves_an_app_that_already_navigates_alone(monkeypatch):
    from streamlit.runtime.pages_manager import PagesManager

    monkeypatch.setattr(PagesManager, "uses_pages_directory", False, raising=False)
    patches.use_navigation()  # would raise (st.rerun outside a script run) if it tried to rerun
    assert PagesManager.uses_pages_directory is False


def fragment_script():
    import streamlit as st

    from dlviz.ui import patches

    st.write(f"page: sees {patches.sees_waiting_clicks()}, waiting {patches.click_waiting()}, "
             f"fragment run {patches.in_fragment_run()}")  # fmt: skip

    @st.fragment
    def board():
        st.write(f"board: waiting {patches.click_waiting()}, fragment run {patches.in_fragment_run()}")
        st.button("Go", key="go")

    board()


def test_a_training_loop_sees_no_click_waiting_and_knows_a_whole_page_run():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(fragment_script).run()
    assert [m.value for m in at.markdown] == ["page: sees True, waiting False, fragment run False",
                                              "board: waiting False, fragment run False"]  # fmt: skip
    assert not patches.sees_waiting_clicks() and not patches.click_waiting()  # outside a script run


def test_click_waiting_says_no_and_warns_once_when_streamlit_no_longer_tells(monkeypatch, caplog):
    """Then LiveControls trains in whole-page runs, as before (Pause reruns the whole page)."""
    import types

    from streamlit.runtime import scriptrunner

    run = types.SimpleNamespace(script_requests=object())  # a script run whose requests no longer say what waits
    monkeypatch.setattr(scriptrunner, "get_script_run_ctx", lambda: run)
    with caplog.at_level(logging.WARNING):
        assert not patches.sees_waiting_clicks() and not patches.click_waiting()
    assert warnings(caplog) == ["dlviz.ui.patches: ScriptRunContext.script_requests._state/_rerun_data or "
                                "ThreadState.fragment_id is gone in this version; that workaround is off."]  # fmt: skip
