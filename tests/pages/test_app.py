"""Headless tests of the home page and the Playground with Streamlit's AppTest."""

import json
import re
from pathlib import Path

import pytest
from conftest import click_plane, planes, programs, step, trigger, views
from streamlit.testing.v1 import AppTest

from dlviz.core import theme
from dlviz.core.plane import points_of

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND = "pages/playground.py"


def open_app(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    return at


def open_playground(**params) -> AppTest:
    at = open_app(**params)
    at.run()
    at.switch_page(PLAYGROUND).run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def epoch(at: AppTest) -> int:
    texts = [m.value for m in at.markdown]
    found = [int(m.group(1)) for t in texts if (m := re.search(r"\*\*Epoch (\d+)\*\*", t))]
    assert found, texts
    return found[-1]


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_home_page_introduces_every_page():
    at = open_app()
    at.run()
    assert not at.exception
    assert any("decision boundary" in c.value for c in at.caption)
    from dlviz.core import catalog

    expected = [page.title for pages in catalog.TOPICS.values() for page in pages]
    assert "Building blocks" in expected and "Digits" in expected
    assert [link.proto.label for link in at.get("page_link")] == expected


def test_playground_loads_with_charts_and_code():
    at = open_playground()
    assert epoch(at) == 0
    assert not charts(at)  # the network, the boundary and the curves are drawn on canvases
    assert len(planes(at)) == 1 and len(views(at, "dlviz_diagram")) == 1 and len(views(at, "dlviz_curves")) == 2
    code = programs(at)
    assert any("keras.Sequential" in c and "from tensorflow import keras" in c for c in code)


def test_the_charts_before_training_have_possible_axes():
    """Epoch 0: no loss below 0, no accuracy above 100%."""
    at = open_playground()
    by_title = {c["title"]: c for c in views(at, "dlviz_curves")}
    assert by_title["Loss"]["y_range"] == [0, 1] and by_title["Loss"]["x_range"] == [0, 10]
    low, high = by_title["Accuracy"]["y_range"]
    assert low == 0 and 1 <= high <= 1.05 and by_title["Accuracy"]["y_ticks"][-1] == [1.0, "100%"]
    step(at)
    accuracy = next(c for c in views(at, "dlviz_curves") if c["title"] == "Accuracy")
    assert accuracy["y_range"] == [low, high]  # accuracy keeps its 0-100% axis while training


def test_the_pace_is_a_setting_in_the_link():
    at = open_playground()
    speed = at.select_slider(key="pg.speed")
    assert speed.value == "50" and speed.label == "Speed"  # TensorFlow Playground's pace by default
    speed.set_value("max").run()
    assert at.query_params["speed"] == "max"
    assert open_playground(speed="10").select_slider(key="pg.speed").value == "10"
    assert open_playground(speed="1e9").select_slider(key="pg.speed").value == "50"  # a bad value: the default


def test_step_trains_one_epoch_and_the_curves_grow():
    at = open_playground()
    step(at)
    step(at)
    assert not at.exception
    assert epoch(at) == 2
    loss = next(c for c in views(at, "dlviz_curves") if c["title"] == "Loss")
    run = at.session_state["pg.run"]
    assert [line["name"] for line in loss["lines"]] == ["training loss", "validation loss"]
    assert loss["lines"][1]["x"] == [1, 2] and loss["lines"][1]["y"] == pytest.approx(run.history.val_loss, rel=1e-4)


def test_while_paused_step_and_the_boards_widgets_rerun_the_board_alone():
    at = open_playground()
    button(at, "Step").click().run()  # what the browser gets for Step: the board's fragment, not the page
    assert not at.exception, at.exception
    assert epoch(at) == 1  # the status line beside the buttons, written from the board
    assert views(at, "dlviz_plane") and views(at, "dlviz_diagram") and len(views(at, "dlviz_curves")) == 2
    assert not at.sidebar.children and not at.title  # the sidebar and the title are not sent again
    assert button(at, "Play") and not button(at, "Step").disabled  # the controls are on the board
    at.run()  # the whole page again (AppTest reruns it for any widget; a browser, the board alone)
    assert epoch(at) == 1 and button(at, "Step").disabled is False and at.sidebar.children


def test_discretize_set_on_the_board_shows_in_the_boards_own_rerun():
    at = open_playground()
    at.session_state["pg.discrete"] = True  # the toggle, as a click on it leaves it before the board reruns alone
    button(at, "Step").click().run()  # a rerun of the board's fragment
    assert not at.exception and not at.sidebar.children
    assert planes(at)[-1]["bar"]["title"] == "predicted class" and at.query_params["discrete"] == "1"
    assert epoch(at) == 1
    at.session_state["pg.discrete"] = False
    button(at, "Step").click().run()
    assert planes(at)[-1]["bar"]["title"] == "P(class 1)" and "discrete" not in at.query_params


def test_a_step_that_ends_the_run_turns_play_and_step_off():
    at = open_playground(epochs="1")
    button(at, "Step").click().run()
    assert not at.exception, at.exception
    assert epoch(at) == 1 and button(at, "Play").disabled and button(at, "Step").disabled


def test_changing_the_model_resets_training_but_the_learning_rate_does_not():
    at = open_playground()
    step(at)
    at.select_slider(key="pg.lr").set_value(0.1).run()
    assert epoch(at) == 1
    at.number_input(key="pg.units.0").set_value(6).run()
    assert not at.exception
    assert epoch(at) == 0
    assert any('Dense(6, activation="tanh")' in c for c in programs(at))
    step(at)
    button(at, "Reset").click().run()
    assert epoch(at) == 0


def test_reset_keeps_the_starting_weights_and_new_weights_draws_others():
    at = open_playground()

    def weights() -> list:
        return [w.copy() for w in at.session_state["pg.run"].model.get_weights()]

    first = weights()
    step(at)
    button(at, "Reset").click().run()
    assert epoch(at) == 0 and all((a == b).all() for a, b in zip(first, weights(), strict=True))
    assert "same starting weights" in button(at, "Reset").help
    step(at)
    button(at, "New weights").click().run()
    assert not at.exception and epoch(at) == 0 and at.query_params["init"] == "1"
    drawn = weights()
    assert not (drawn[0] == first[0]).all()
    assert any("WEIGHTS_SEED = 100000" in c for c in programs(at))  # the program starts from them too
    button(at, "Reset").click().run()
    assert all((a == b).all() for a, b in zip(drawn, weights(), strict=True))
    again = open_playground(init="1")  # the link keeps them
    assert all((a == b).all() for a, b in zip(drawn, again.session_state["pg.run"].model.get_weights(), strict=True))


def test_play_trains_to_the_budget_then_stops():
    at = open_playground(epochs="40")
    button(at, "Play").click().run()
    assert not at.exception
    assert epoch(at) == 40
    assert any("epoch budget" in s.value for s in at.success)
    assert button(at, "Play").disabled


def test_divergence_pauses_with_advice_instead_of_crashing():
    # A regression at 1 overflows whichever epoch trains it (spirals at 10 may instead kill every ReLU).
    at = open_playground(lr="1", layers="8,8", activations="relu", data="plane", epochs="300", speed="max",
                         features="x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2")  # fmt: skip
    button(at, "Play").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "diverged" in errors and "smaller" in errors
    assert epoch(at) < 300


@pytest.mark.parametrize(
    "params",
    [
        {"lr": "abc", "layers": "999,-1"},
        {"data": "<script>alert(1)</script>", "points": "1e99", "features": ""},
        {"activations": "relu," * 50, "batch": "-3", "projector": "maybe"},
        {"lr": "[log in](https://evil.example/login)", "seed": "![x](https://evil.example/x.png)"},
    ],
)
def test_hostile_links_fall_back_to_defaults_with_a_notice(params):
    at = open_playground(**params)
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "not understood" in warnings
    assert "<script>" not in warnings  # shown escaped, as text
    assert "](" not in warnings
    assert epoch(at) == 0 and len(views(at, "dlviz_curves")) == 2 and len(planes(at)) == 1


def test_a_shared_link_opens_that_configuration():
    at = open_playground(data="spiral", layers="8,8", activations="relu,relu", lr="0.01", projector="1")
    assert at.selectbox(key="pg.data").value == "spiral"
    assert at.number_input(key="pg.units.1").value == 8
    assert at.select_slider(key="pg.lr").value == 0.01
    assert at.toggle(key="projector").value is True
    assert at.query_params["layers"] in ("8,8", ["8,8"])


def test_settings_and_training_survive_a_page_switch():
    at = open_playground()
    at.slider(key="pg.noise").set_value(10).run()
    step(at)
    at.switch_page("pages/home.py").run()
    assert any(link.proto.label == "Playground" for link in at.get("page_link"))
    at.switch_page(PLAYGROUND).run()
    assert not at.exception
    assert at.slider(key="pg.noise").value == 10
    assert epoch(at) == 1


def test_regression_mode_has_no_accuracy_chart():
    at = open_playground(data="bump")
    assert [c["title"] for c in views(at, "dlviz_curves")] == ["Loss"] and len(planes(at)) == 1  # no accuracy
    step(at)
    assert not at.exception and epoch(at) == 1


def test_streamlit_no_longer_resets_keras_after_each_run():
    """Streamlit's per-run keras clear_session costs ~200 ms a click; app.py turns it off (see ui.keep_keras_state).

    What it buys, seen from Keras: the global name counter that clear_session resets survives the app's reruns.
    """
    from tensorflow import keras

    before = keras.layers.Dense(1).name
    at = open_playground()
    step(at)
    assert not at.exception
    after = keras.layers.Dense(1).name
    assert after != "dense" and after != before, (before, after)  # "dense" again would mean a clear_session


def test_the_largest_network_says_it_is_the_limit():
    at = open_playground()
    assert not any("largest network" in c.value for c in at.sidebar.caption)
    at = open_playground(layers="16,4", activations="tanh,tanh")
    assert any("largest network here" in c.value for c in at.sidebar.caption)


def test_a_multiclass_set_trains_a_softmax_and_draws_class_regions():
    at = open_playground()
    at.selectbox(key="pg.data").set_value("pinwheel").run()
    assert not at.exception
    at.slider(key="pg.classes").set_value(4).run()
    step(at)
    assert not at.exception and epoch(at) == 1
    (plane,) = planes(at)
    assert [label for _, label in plane["bar"]["ticks"]] == ["0", "1", "2", "3"]
    assert plane["bar"]["title"] == "most likely class" and {p[2] for p in points_of(plane)} == set(
        theme.class_colours(4)
    )
    assert any('Dense(4, activation="softmax")' in c and "classes=4" in c for c in programs(at))
    assert at.query_params["classes"] == "4" and at.query_params["data"] == "pinwheel"
    at.selectbox(key="pg.data").set_value("xor").run()  # back to two classes: no Classes slider
    assert not at.exception and not [s for s in at.slider if s.key == "pg.classes"]


def test_the_glass_box_shows_one_points_step_and_applies_it():
    at = open_playground()
    step(at)
    at.toggle(key="pg.glass.on").set_value(True).run()
    assert not at.exception
    at.number_input(key="pg.glass.point").set_value(7).run()
    codes = "\n".join(c.value for c in at.code)
    assert "z = " in codes and "∂L/∂w" in codes and "w = " in codes
    assert any("Checked against Keras" in c.value for c in at.caption)
    (diagram,) = views(at, "dlviz_diagram")
    assert [len(v) for v in diagram["values"]] == [2, 4, 2, 1]  # the point's inputs and every neuron's activation
    run = at.session_state["pg.run"]
    before = [w.copy() for w in run.model.get_weights()]
    button(at, "Apply this step to the network").click().run()
    assert not at.exception
    assert any("Applied one step" in s.value and "training point 7" in s.value for s in at.success)
    after = run.model.get_weights()
    assert any(not (a == b).all() for a, b in zip(before, after, strict=True))
    assert epoch(at) == 1  # a glass-box step is not an epoch


def click(at: AppTest, x: float, y: float) -> None:
    """A click on the Playground's plane at (x, y)."""
    click_plane(at, x, y)
    assert not at.exception, at.exception


def test_own_points_are_added_by_clicking_kept_in_the_link_and_erased():
    at = open_playground(data="own")
    assert any("click on the plane" in i.value for i in at.info)
    click(at, 2.0, 3.0)
    at.radio(key="pg.pen").set_value(1).run()
    click(at, -2.04, -3.0)
    assert at.query_params["added"] == "20,30,0,-20,-30,1"
    assert epoch(at) == 0 and any("2 of 60 points added" in c.value for c in at.caption)
    step(at)
    assert not at.exception and epoch(at) == 1
    run = at.session_state["pg.run"]
    assert len(run.split.x_train) == 2 and len(run.split.x_val) == 2  # validated on the same points
    at.radio(key="pg.pen").set_value("erase").run()
    click(at, 2.3, 2.8)  # near the first point
    assert at.query_params["added"] == "-20,-30,1"
    button(at, "Clear").click().run()
    assert not at.exception and "added" not in at.query_params


def test_points_added_to_a_generated_set_join_its_training_points():
    at = open_playground(data="circle", points="100")
    at.toggle(key="pg.edit").set_value(True).run()
    click(at, 5.0, 5.0)
    run = at.session_state["pg.run"]
    assert len(run.split.x_train) == 51 and len(run.split.x_val) == 50
    assert list(run.split.x_train[-1]) == [5.0, 5.0]


def test_a_click_on_an_edge_picks_its_weight_and_the_slider_sets_it():
    at = open_playground()
    step(at)
    at.toggle(key="pg.wedit").set_value(True).run()
    assert any("Click an edge or a node" in c.value for c in at.caption)
    trigger(at, "dlviz_diagram", "pick", [0, 1, 3])  # the edge from x₂ to the fourth neuron of layer 1
    slider = at.slider(key="pg.wval")
    assert slider.label == "Weight x₂ → H1.4"
    slider.set_value(2.5).run()
    assert not at.exception
    assert at.session_state["pg.run"].weight(0, 1, 3) == 2.5
    (diagram,) = views(at, "dlviz_diagram")
    assert diagram["editable"] and [0, 1, 3, 2.5] in diagram["edges"]  # drawn with the weight just set
    trigger(at, "dlviz_diagram", "pick", [2, None, 0])  # the output's node: its bias
    assert at.slider(key="pg.wval").label == "Bias of output"
    trigger(at, "dlviz_diagram", "pick", [7, 0, 0])  # no such layer (a forged message): nothing picked anew
    assert not at.exception and at.slider(key="pg.wval").label == "Bias of output"
