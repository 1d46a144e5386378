"""Shared by every tier. Tiers are folders, each with its marker (set here from the folder):

- ``unit``: the library, no Streamlit script run, no server;
- ``pages``: whole pages under Streamlit's AppTest;
- ``browser``: Debian's chromium against a real ``streamlit run``;
- ``cluster``: real servers: replicas behind nginx, the load generator, sessions over the websocket.

The quick loop: ``pytest -m "not browser and not cluster"``. The README's test command runs them all.
"""

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # conftest's helpers and upload_corpus, from every tier's folder

TIERS = ("unit", "pages", "browser", "cluster")


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        tier = Path(str(item.fspath)).parent.name
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


def open_page(page: str, timeout: float = 300, **params):
    """An AppTest of the whole app, switched to ``page`` (e.g. "pages/digits.py"), with URL query values."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at
