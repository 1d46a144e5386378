"""Every page survives hostile links and widget storms (hypothesis + AppTest).

Pages come from the navigation's catalog, so a new page is covered without
editing this file. The seed is fixed (derandomize); DLVIZ_FUZZ_EXAMPLES sets
how many examples each test tries (CI uses the default).
"""

import dataclasses
import os
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from dlviz.core import catalog, text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("DLVIZ_FUZZ_EXAMPLES", "6"))
PAGES = catalog.every_page()
# No shrinking: each example opens the whole app (seconds), and shrinking a storm took over five minutes.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip

HOSTILE = [
    "", " ", "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e-320", "-1", "0", "-0", "999999999999", "3.5",
    "true", "false", "yes", "1,2,3", ",,,", "1,,2", "1,nan", "0,0,0,0,0,0,0,0,0,0,0,0", "x1,x1,x1",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "**bold** [link](javascript:alert(1))",
    "$$\\frac{1}{0}$$", "💥🧠", "ß\u202e\u0000", "%00", "../../etc/passwd", "9" * 500, "a" * 5000,
]  # fmt: skip
UNKNOWN_KEYS = ["zz", "", "projector", "__proto__", "a" * 300, "<b>"]
STOPPERS = re.compile(r"^(Play|Train)")  # long runs have their own tests; a storm should stay quick


def field_names(page: catalog.PageInfo) -> list[str]:
    if page is catalog.CLASS:
        return ["room", "me", "key"]
    cls = page.settings_class()
    return [f.name for f in dataclasses.fields(cls)] if cls else []


def hostile_value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.text(max_size=40),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
    )


def open_app(page: catalog.PageInfo, query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page is not catalog.HOME:
        at.switch_page(page.path).run()
    return at


def assert_healthy(at: AppTest, page: catalog.PageInfo) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "the page lost its title"
    if page is not catalog.HOME:
        assert at.title[0].value == page.title
    for element in [*at.markdown, *at.warning, *at.error, *at.info, *at.success, *at.caption]:
        assert not re.search(r"(?<!\\)<(script|img|iframe)", str(element.value)), element.value
        assert not text.RAW_DIGITS.search(str(element.value)), f"unrounded number: {element.value}"


@pytest.mark.parametrize("page", PAGES, ids=[p.title for p in PAGES])
@FUZZ
@given(data=st.data())
def test_hostile_links_fall_back_without_errors(page, data):
    keys = st.sampled_from(field_names(page) + UNKNOWN_KEYS)
    query = data.draw(st.dictionaries(keys, st.one_of(hostile_value(), st.lists(hostile_value(), min_size=2, max_size=3)),
                                      min_size=1, max_size=8))  # fmt: skip
    at = open_app(page, query)
    assert_healthy(at, page)


def _choice_options(widget, page: catalog.PageInfo) -> list:
    """The raw values a selectbox offers, from the page's settings where its key names a field.

    AppTest sees only the formatted labels; where a label is not its own
    value (format_func=LABELS.get), the settings rule knows the values.
    """
    cls = page.settings_class()
    field = (widget.key or "").split(".", 1)[-1]
    rules = {f.name: f.metadata.get("rule") for f in dataclasses.fields(cls)} if cls else {}
    rule = rules.get(field)
    if rule is not None and rule.kind == "choice":
        return list(rule.options)
    return [o for o in widget.options if widget.format_func(o) == o]


def _storm_actions(at: AppTest) -> list:
    """Every widget on the page that a storm may touch, with how to pick its next value."""
    actions = []
    for w in at.slider:
        actions.append((w, "extreme"))
    for w in at.number_input:
        actions.append((w, "extreme"))
    for w in [*at.selectbox, *at.radio]:
        actions.append((w, "index"))
    for w in at.select_slider:
        actions.append((w, "option"))
    for w in [*at.toggle, *at.checkbox]:
        actions.append((w, "flip"))
    for w in at.multiselect:
        actions.append((w, "subset"))
    for w in at.button:
        if not STOPPERS.match(w.label or "") and not w.disabled:
            actions.append((w, "click"))
    # Tabs: pages keep the open tab under "<prefix>.tab", beside their other widget keys.
    prefixes = {w.key.split(".")[0] for w, _ in actions if getattr(w, "key", None)}
    for prefix in prefixes:
        if f"{prefix}.tab" in at.session_state and at.tabs:
            actions.append(((at, f"{prefix}.tab", [t.label for t in at.tabs]), "tab"))
    return actions


def _act(widget, how: str, rng: random.Random, options: list) -> None:
    if how == "extreme":
        lo, hi = widget.min, widget.max
        value = rng.choice([lo, hi, (lo + hi) / 2])
        widget.set_value(type(widget.value)(value) if widget.value is not None else value)
    elif how == "index":
        if options:
            widget.set_value(rng.choice(options))
    elif how == "option":
        try:
            numeric = [float(option) for option in widget.options]
        except ValueError:
            return  # labelled options cannot be mapped back to their values here
        widget.set_value(rng.choice(numeric))
    elif how == "flip":
        widget.set_value(not widget.value)
    elif how == "subset":
        current = list(widget.value)
        widget.set_value(rng.sample(current, rng.randint(0, len(current))))
    elif how == "tab":
        at, key, labels = widget
        at.session_state[key] = rng.choice(labels)
    else:
        widget.click()


@pytest.mark.parametrize("page", PAGES, ids=[p.title for p in PAGES])
@FUZZ
@given(steps=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 2**32)), min_size=1, max_size=5))
def test_widget_storms_leave_the_page_working(page, steps):
    """Each step picks a widget by position and a value by seed, so every draw happens up front."""
    at = open_app(page, {})
    for where, seed in steps:
        actions = _storm_actions(at)
        if not actions:
            break
        widget, how = actions[int(where * len(actions))]
        options = _choice_options(widget, page) if how == "index" else []
        _act(widget, how, random.Random(seed), options)
        at.run()
        assert_healthy(at, page)


def test_every_page_script_is_in_the_navigation_and_has_settings():
    scripts = {str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py")}
    assert scripts == {p.path for p in PAGES}
    # Home has nothing to set; the Class page's address holds only the room and the participant's token
    assert all(p.settings_class() is not None for p in PAGES if p not in (catalog.HOME, catalog.CLASS))


def test_server_config_is_safe_for_a_workshop():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] in ("none", False)
    assert config["server"]["maxUploadSize"] <= 10
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["fileWatcherType"] == "none"  # the watcher's rescans slowed one interaction in ten
