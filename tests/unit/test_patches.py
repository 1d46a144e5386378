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
