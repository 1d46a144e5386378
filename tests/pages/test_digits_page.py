"""The Digits page headless (AppTest). Drawing on the canvas is tested in test_browser_digits.py."""

import json

import pytest
from conftest import open_page, programs
from streamlit.testing.v1 import AppTest

from dlviz import ui


def open_digits(**params) -> AppTest:
    return open_page("pages/digits.py", **params)


def canvases(at: AppTest) -> list:
    return [c for c in at.get("bidi_component") if c.proto.component_name.endswith("canvas")]


def test_empty_canvas_asks_for_a_drawing_and_shows_the_models_code():
    at = open_digits()
    assert any("Draw a digit" in i.value for i in at.info)
    assert not at.error
    code = " ".join(programs(at))
    assert "keras.layers.Conv2D(32, 3" in code and "from tensorflow import keras" in code


def test_mnist_samples_show_accuracy_and_mistakes():
    at = open_digits(part="mnist")
    text = " ".join(m.value for m in at.markdown)
    assert "of these 2,000 MNIST test digits correctly" in text
    assert any("gets wrong" in h.value for h in at.subheader)
    before = [c.proto.spec for c in at.get("plotly_chart")]
    next(b for b in at.button if b.label == "Show other digits").click().run()
    after = [c.proto.spec for c in at.get("plotly_chart")]
    assert before != after and at.session_state["dg.sample_seed"] == 1
    assert at.query_params["sample_seed"] == "1" and at.query_params["part"] == "mnist"


def test_the_variants_show_where_mnist_is_thin_and_how_the_network_does():
    at = open_digits(part="mnist")
    at.segmented_control(key="dg.sample_set").set_value("variants").run()
    assert not at.exception and at.query_params["sample_set"] == "variants"
    text = " ".join(m.value for m in at.markdown)
    assert "1s with a flag" in text and "420 drawings" in text and "9,000 such drawings" in text
    charts = {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    accuracy = next(f for f in charts.values() if "by way of writing" in f["layout"]["title"]["text"])
    names = ("shipped network", "first network: MNIST only")
    assert [t["name"] for t in accuracy["data"]] == list(names)
    assert "1 with a flag" in accuracy["data"][0]["y"]
    at.selectbox(key="dg.variant").set_value("seven_crossed").run()
    assert at.query_params["variant"] == "seven_crossed"
    assert any("all 60 of these right" in c.value or "of these 60 are read wrong" in c.value for c in at.caption)


def test_a_link_opens_the_variants_of_one_kind():
    at = open_digits(part="mnist", sample_set="variants", variant="two_loop")
    assert at.selectbox(key="dg.variant").value == "two_loop" and not at.exception


@pytest.mark.parametrize(
    "part, label, shown",
    [("draw", "Draw", "Pen width"), ("mnist", "Try MNIST digits", "gets wrong"), ("own", "Train your own", "Epochs")],
)
def test_a_link_opens_its_tab_and_runs_only_that_tab(part, label, shown):
    at = open_digits(part=part)
    assert at.session_state["dg.tab"] == label
    page_text = " ".join(e.value for e in [*at.markdown, *at.subheader]) + " ".join(s.label for s in at.slider)
    assert shown in page_text
    assert bool(canvases(at)) == (part == "draw")  # the other tabs' code did not run
    assert ("of these 2,000 MNIST test" in page_text) == (part == "mnist")
    assert at.query_params.get("part", "draw") == part  # the default tab stays out of the link


def test_switching_tabs_puts_the_tab_in_the_link_and_keeps_the_other_tabs_settings():
    at = open_digits(stroke="30", own_epochs="3")
    at.session_state["dg.tab"] = "Try MNIST digits"
    at.run()
    assert at.query_params["part"] == "mnist"
    assert at.query_params["stroke"] == "30" and at.query_params["own_epochs"] == "3"  # from closed tabs
    assert not canvases(at)
    at.session_state["dg.tab"] = "Draw"
    at.run()
    assert "part" not in at.query_params and at.slider(key="dg.stroke").value == 30
    assert canvases(at)


def test_train_your_own_dense_network_with_live_curves_then_draw_with_it():
    at = open_digits(part="own", own_epochs="2")
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception
    success = " ".join(s.value for s in at.success)
    assert "Your network reads" in success and "(the shipped CNN: 99." in success
    accuracy = float(success.split("reads ")[1].split("%")[0])
    assert accuracy > 80.0
    assert at.session_state["dg.own"]["kind"] == "dense"
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text") for c in at.get("plotly_chart")]
    assert "Loss" in titles and "Accuracy" in titles
    code = " ".join(programs(at))
    assert 'keras.layers.Dense(128, activation="relu")' in code and "EPOCHS = 2" in code
    at.session_state["dg.tab"] = "Draw"
    at.run()
    assert not at.exception and canvases(at)
    assert at.session_state["dg.own"]["kind"] == "dense"  # the trained network survives the tab switch
    assert any("Your network (Dense) will read it too" in c.value for c in at.caption)


def test_train_your_own_on_a_rooms_drawings_tested_on_mnist():
    import io

    import numpy as np

    from dlviz.digits import engine as digits

    sample = digits.load_subset()
    out = io.BytesIO()
    np.savez_compressed(out, x_train=sample["x_train"][:200], y_train=sample["y_train"][:200])
    at = open_digits(part="own", own_epochs="1", own_data="upload")
    assert next(b for b in at.button if b.label == "Train").disabled  # nothing uploaded yet
    at.get("file_uploader")[0].upload("broken.npz", b"PK\x03\x04 not really").run()
    assert not at.exception
    assert any("broken.npz: That is not a NumPy .npz file" in e.value.replace("\\", "") for e in at.error)
    at.get("file_uploader")[0].upload("Friday-digits.npz", out.getvalue()).run()
    assert not at.exception and not at.error
    assert any("**Friday-digits.npz**: 200 pictures to train on" in c.value.replace("\\", "") for c in at.caption)
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception
    success = " ".join(s.value for s in at.success).replace("\\", "")
    assert "learned from 200 pictures of Friday-digits.npz" in success and "2,000 MNIST test digits" in success
    code = " ".join(programs(at))
    assert "np.load('Friday-digits.npz')" in code and "tested on MNIST's test digits" in code
    assert at.query_params["own_data"] == "upload"


@pytest.mark.parametrize(
    "params",
    [
        {"stroke": "-4", "own_kind": "resnet"},
        {"own_epochs": "1e9", "sample_seed": "x"},
        {"part": "<b>"},
        {"sample_set": "<script>", "variant": "one_flag'"},
    ],
)
def test_hostile_links_fall_back_to_defaults(params):
    at = open_digits(**params)
    assert any("not understood" in w.value for w in at.warning)
    assert at.slider(key="dg.stroke").value == 18 and at.session_state["dg.tab"] == "Draw"


def test_the_canvas_is_the_quick_one_that_sends_as_the_pen_lifts():
    at = open_digits()
    canvas = canvases(at)[0].proto
    assert canvas.component_name == "dlviz.quick_canvas"
    assert "= 0, " in canvas.js_content  # the replacement it applies
    assert "_stcore/bidi-components/streamlit-drawable-canvas.streamlit_drawable_canvas/index-" in canvas.js_content
    assert ui.CANVAS_TOOLBAR_CSS in canvas.css_content  # its toolbar off the drawing surface


@pytest.mark.parametrize("projector, side, pen", [("0", 280, 18), ("1", 420, 27)])
def test_the_canvas_is_larger_in_projector_mode_and_its_pen_with_it(projector, side, pen):
    at = open_digits(projector=projector)
    data = json.loads(canvases(at)[0].proto.json)
    assert (data["canvasWidth"], data["canvasHeight"], data["strokeWidth"]) == (side, side, pen)
