"""The Digits page headless (AppTest). Drawing on the canvas is tested in test_browser_digits.py."""

import pytest
from conftest import open_page
from streamlit.testing.v1 import AppTest


def open_digits(**params) -> AppTest:
    return open_page("pages/digits.py", **params)


def test_empty_canvas_asks_for_a_drawing_and_shows_the_models_code():
    at = open_digits()
    assert any("Draw a digit" in i.value for i in at.info)
    assert not at.error
    code = " ".join(c.value for c in at.code)
    assert "keras.layers.Conv2D(32, 3" in code and "from tensorflow import keras" in code


def test_mnist_samples_show_accuracy_and_mistakes():
    at = open_digits()
    text = " ".join(m.value for m in at.markdown)
    assert "of these 2,000 MNIST test digits correctly" in text
    assert any("gets wrong" in h.value for h in at.subheader)
    before = [c.proto.spec for c in at.get("plotly_chart")]
    next(b for b in at.button if b.label == "Show other digits").click().run()
    after = [c.proto.spec for c in at.get("plotly_chart")]
    assert before != after and at.session_state["dg.sample_seed"] == 1


def test_train_your_own_dense_network_with_live_curves():
    at = open_digits(own_epochs="2")
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception
    success = " ".join(s.value for s in at.success)
    assert "Your network reads" in success
    accuracy = float(success.split("reads ")[1].split("%")[0])
    assert accuracy > 80.0
    assert at.session_state["dg.own"]["kind"] == "dense"
    titles = [__import__("json").loads(c.proto.spec)["layout"].get("title", {}).get("text") for c in at.get("plotly_chart")]
    assert "Loss" in titles and "Accuracy" in titles
    code = " ".join(c.value for c in at.code)
    assert "keras.layers.Dense(128, activation=\"relu\")" in code and "EPOCHS = 2" in code


@pytest.mark.parametrize("params", [{"stroke": "-4", "own_kind": "resnet"}, {"own_epochs": "1e9", "sample_seed": "x"}])
def test_hostile_links_fall_back_to_defaults(params):
    at = open_digits(**params)
    assert any("not understood" in w.value for w in at.warning)
    assert at.slider(key="dg.stroke").value == 18


def test_the_canvas_is_the_quick_one_that_sends_as_the_pen_lifts():
    at = open_digits()
    canvas = at.get("bidi_component")[0].proto
    assert canvas.component_name == "dlviz.quick_canvas"
    assert "= 0, " in canvas.js_content  # the replacement it applies
    assert "_stcore/bidi-components/streamlit-drawable-canvas.streamlit_drawable_canvas/index-" in canvas.js_content
