"""The Building-blocks page headless (AppTest)."""

import pytest
from conftest import open_page as _open
from conftest import programs
from streamlit.testing.v1 import AppTest

from dlviz.core import text


def open_page(**params) -> AppTest:
    return _open("pages/building_blocks.py", **params)


def charts(at: AppTest) -> list[str]:
    return [c.key for c in at.get("plotly_chart")]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("part, expected", [
    ("neuron", ["bb.chart.neuron", "bb.chart.plane"]),
    ("activations", ["bb.chart.act.sigmoid", "bb.chart.act.tanh", "bb.chart.act.relu", "bb.chart.gradients"]),
    ("gates", ["bb.chart.gate", "bb.chart.xor"]),
    ("softmax", ["bb.chart.softmax"]),
    ("losses", ["bb.chart.regression", "bb.chart.fits", "bb.chart.bce"]),
])  # fmt: skip
def test_each_tab_loads_with_its_charts_and_code(part, expected):
    at = open_page(part=part)
    assert charts(at) == expected
    shown = programs(at)  # the Keras code panel of the open tab
    assert shown and all("from tensorflow import keras" in p for p in shown)


def test_the_neuron_follows_its_knobs():
    at = open_page()
    assert metrics(at)["z = w·x + b"] == "0.7"
    at.slider(key="bb.w.0").set_value(2.0).run()
    assert metrics(at)["z = w·x + b"] == "1.9"
    at.selectbox(key="bb.activation").set_value("relu").run()
    assert metrics(at)["output = relu(z)"] == "1.9"
    at.session_state["bb.inputs"] = 3
    at.run()
    assert not at.exception and "bb.chart.plane" not in charts(at)
    assert at.slider(key="bb.x.2").value == -1.0


def test_choosing_a_gate_loads_the_courses_weights():
    at = open_page(part="gates")
    assert "compute **AND**" in " ".join(m.value for m in at.markdown)
    at.selectbox(key="bb.gate").set_value("OR").run()
    assert [at.slider(key=f"bb.gate_w.{i}").value for i in range(3)] == [-10.0, 20.0, 20.0]
    assert "compute **OR**" in " ".join(m.value for m in at.markdown)
    at.slider(key="bb.gate_w.0").set_value(-50.0).run()
    assert "give **0 for every input**" in " ".join(m.value for m in at.markdown)


def test_training_xor_shows_the_weights_it_found():
    at = open_page(part="gates")
    at.button[0].click().run()
    assert not at.exception
    assert "Solved" in " ".join(s.value for s in at.success)
    assert "bb.chart.xorloss" in charts(at)
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.success, *at.warning])
    assert "Hidden biases [" in shown and not text.RAW_DIGITS.search(shown), shown  # 12.22, not 12.220000267028809


def test_softmax_worked_example_and_more_classes():
    at = open_page(part="softmax")
    values = metrics(at)
    assert "0.1764" in values.values() and len(set(values.values())) == 1  # categorical = sparse
    at.slider(key="bb.classes").set_value(5).run()
    assert not at.exception and at.number_input(key="bb.logits.4").value == 0.0
    at.selectbox(key="bb.true_class").set_value(4).run()
    assert "logits=2.33,-1.46,0.56,0,0" in "&".join(f"{k}={v}" for k, v in at.query_params.items())


def test_dragging_the_outlier_moves_the_lines():
    import json

    at = open_page(part="losses")
    names = lambda: [t["name"] for t in json.loads(at.get("plotly_chart")[1].proto.spec)["data"]]  # noqa: E731
    before = names()
    at.slider(key="bb.outlier_y").set_value(-20.0).run()
    assert not at.exception and names() != before and len(names()) == 5  # data, outlier, three lines


def test_hostile_link_falls_back():
    at = open_page(part="<script>", logits="nan,1", true_class="99", depth="1e9", gate_w="1,2", inputs="-3")
    assert "not understood" in " ".join(w.value for w in at.warning)
    assert charts(at)[:1] == ["bb.chart.neuron"]
