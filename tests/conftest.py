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
# Class mode's database: a fresh folder for the run, never the user's own rooms (servers the tests start inherit it).
os.environ["DLVIZ_DATA_DIR"] = __import__("tempfile").mkdtemp(prefix="dlviz-data-")
os.environ.pop("DLVIZ_DATABASE_URL", None)
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


def step(at):
    """Click Step, as a participant does. While paused, Step reruns only the board (a fragment:
    ``LiveControls.board``) and AppTest then holds only the board's elements, where a browser keeps the rest of
    the page as it was: run the whole page once more to read all of it."""
    next(b for b in at.button if b.label == "Step").click().run()
    return at.run()


def programs(at) -> list[str]:
    """The programs in the page's code panels, opened as a participant opens them (``ui.code_panel`` sends a
    program only while its panel is open)."""
    keys = [f"code.{e.label}" for e in at.expander]
    closed = [key for key in keys if not (key in at.session_state and at.session_state[key])]
    for key in closed:
        at.session_state[key] = True
    if closed:
        at.run()
    return [c.value for c in at.code]


def chart(at, prefix: str):
    """The page's Plotly chart whose key starts with ``prefix``."""
    return next(c for c in at.get("plotly_chart") if c.key and c.key.startswith(prefix))


def click_cell(at, prefix: str, cell: tuple[int, int]):
    """What the browser sends when a cell of a clickable confusion matrix is clicked: the chart's new
    selection (AppTest cannot click a chart, and a chart's selection cannot be set through session_state)."""
    import json

    figure = chart(at, prefix)
    spec = json.loads(figure.proto.spec)
    cells = next(t for t in spec["data"] if t.get("name") == "cells")
    index = [tuple(c) for c in cells["customdata"]].index(tuple(cell))
    point = {"curve_number": spec["data"].index(cells), "point_number": index, "point_index": index,
             "x": cells["x"][index], "y": cells["y"][index], "customdata": list(cell)}  # fmt: skip
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = figure.proto.id
    state.string_value = json.dumps({"selection": {"points": [point], "point_indices": [index], "box": [],
                                                   "lasso": []}})  # fmt: skip
    return at._run(states)


def views(at, component: str) -> list[dict]:
    """The data each of the page's canvas components ``component`` ("dlviz_plane", "dlviz_diagram") was drawn
    from."""
    import json

    return [json.loads(e.proto.json) for e in at.get("bidi_component") if e.proto.component_name == component]


def planes(at) -> list[dict]:
    return views(at, "dlviz_plane")


def trigger(at, component: str, event: str, value):
    """What the browser sends when the canvas component ``component`` fires ``event`` (a click on the plane, a
    pick on the diagram): a trigger value, which lasts the one rerun it causes (AppTest cannot click a
    canvas). The trigger's widget id is Streamlit's own derivation from the element's id."""
    import json

    from streamlit.components.v2.bidi_component.main import _make_trigger_id

    (element,) = [e for e in at.get("bidi_component") if e.proto.component_name == component]
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = _make_trigger_id(element.proto.id, "events")
    state.json_trigger_value = json.dumps([{"event": event, "value": value}])
    return at._run(states)


def click_plane(at, x: float, y: float):
    return trigger(at, "dlviz_plane", "click", [x, y])


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server (Debian's package) on a free loopback port, for the whole run."""
    import shutil
    import tempfile

    from dlviz.tools import postgres

    if postgres.binaries() is None:
        pytest.fail("PostgreSQL is not installed: the README's test command installs it (scripts/test.sh)")
    folder = Path(tempfile.mkdtemp(prefix="dlviz-pg-"))  # under /tmp, so the postgres user can reach it
    with postgres.postgres_server(folder) as url:
        yield url
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.cluster)])
def class_db(request, tmp_path) -> str:
    """A fresh, empty class database URL: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'class.db'}"
    import uuid

    import sqlalchemy as sa

    base = request.getfixturevalue("postgres_url")
    name = "t" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name
