"""The Gradient-descent page headless (AppTest)."""

import pytest
from conftest import open_page as _open
from streamlit.testing.v1 import AppTest


def open_page(**params) -> AppTest:
    return _open("pages/gradient_descent.py", **params)


def badge(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.info, *at.success, *at.warning, *at.error])


def test_loads_with_the_courses_parabola_and_a_badge():
    at = open_page()
    assert "Too small" in badge(at)
    assert len(at.get("plotly_chart")) == 4  # learning-rate strip, curve, loss, the 2-D race
    assert any("keras.optimizers.SGD" in c.value for c in at.caption)


@pytest.mark.parametrize("lr, words", [(0.25, "Just right"), (0.4, "Overshooting"), (0.6, "diverging")])
def test_changing_the_learning_rate_changes_the_badge(lr, words):
    at = open_page()
    at.select_slider(key="gd.lr").set_value(lr).run()
    assert not at.exception
    assert words in badge(at)


def test_divergence_is_a_message_not_a_crash():
    at = open_page(lr="2", steps="200")
    assert "diverged" in " ".join(e.value for e in at.error)


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam"])
def test_keras_optimizers_and_other_curves(optimizer):
    at = open_page(optimizer=optimizer, curve="two_valleys", lr="0.01", steps="50")
    assert not at.exception
    assert len(at.get("plotly_chart")) == 3


def test_hostile_link_falls_back():
    at = open_page(lr="-1", a="nan", curve="<b>x</b>", steps="1e12")
    assert "not understood" in " ".join(w.value for w in at.warning)
    assert at.select_slider(key="gd.lr").value == 0.1


def test_the_race_runs_four_keras_optimizers_and_warns_when_one_runs_off():
    import json

    at = open_page(surface="rosenbrock", lr2="0.001", steps2="40")
    race = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.key == "gd.chart.race")
    names = [t.get("name") for t in race["data"] if t.get("mode") == "lines"]
    assert names == ["Gradient descent", "SGD with momentum", "RMSprop", "Adam"]
    at.select_slider(key="gd.lr2").set_value(0.3).run()
    assert not at.exception
    assert "ran off" in " ".join(w.value for w in at.warning)
