"""The Gradient-descent page headless (AppTest)."""

import json
import re

import pytest
from conftest import open_page as _open
from conftest import step
from streamlit.testing.v1 import AppTest

from dlviz.core import text


def open_page(**params) -> AppTest:
    return _open("pages/gradient_descent.py", **params)


def badge(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.info, *at.success, *at.warning, *at.error])


def test_loads_with_the_courses_parabola_and_a_badge():
    at = open_page()
    assert "Too small" in badge(at)
    assert [c.key for c in at.get("plotly_chart")] == ["gd.chart.strip", "gd.chart.curve", "gd.chart.loss"]
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
    assert [c.key for c in at.get("plotly_chart")] == ["gd.chart.curve", "gd.chart.loss"]


def test_hostile_link_falls_back():
    at = open_page(lr="-1", a="nan", curve="<b>x</b>", steps="1e12")
    assert "not understood" in " ".join(w.value for w in at.warning)
    assert at.select_slider(key="gd.lr").value == 0.1


def test_the_race_runs_four_keras_optimizers_and_warns_when_one_runs_off():
    import json

    at = open_page(part="race", surface="rosenbrock", lr2="0.001", steps2="40")
    race = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.key == "gd.chart.race")
    names = [t.get("name") for t in race["data"] if t.get("mode") == "lines"]
    assert names == ["Gradient descent", "SGD with momentum", "RMSprop", "Adam"]
    at.select_slider(key="gd.lr2").set_value(0.3).run()
    assert not at.exception
    assert "ran off" in " ".join(w.value for w in at.warning)


def charts(at: AppTest) -> list[str]:
    return [c.key.rsplit(".", 1)[0] for c in at.get("plotly_chart")]


def status(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Epoch"))


def test_each_tab_runs_only_its_own_part():
    at = open_page()
    at.session_state["gd.tab"] = "Two dimensions"
    at.run()
    assert not at.exception
    assert charts(at) == ["gd.chart"]  # gd.chart.race
    assert "part=race" in "&".join(f"{k}={v}" for k, v in at.query_params.items())
    at.session_state["gd.tab"] = "A neuron fits a line"
    at.run()
    assert charts(at) == ["gd.chart.fit", "gd.chart.weights", "gd.chart.fitloss"]


def test_the_neuron_steps_and_plays_and_its_loss_falls():
    at = open_page(part="neuron", fit_epochs="40")
    assert status(at).startswith("**Epoch 0**")
    step(at)
    assert status(at).startswith("**Epoch 1**")
    run = at.session_state["gd.fit.run"]
    first_loss = run.history.loss[0]
    at.button(key="gd.fit.play").click().run()  # trains to the 40-epoch budget, then stops
    assert not at.exception
    assert run.epoch == 40 and status(at).startswith("**Epoch 40**")
    assert run.history.loss[-1] < first_loss / 2
    assert "Trained 40 epochs" in " ".join(s.value for s in at.success)


def test_the_neuron_answers_the_courses_questions_about_8_and_12():
    at = open_page(part="neuron")
    answers = " ".join(m.value for m in at.markdown)
    assert "size (10 m²) **8**" in answers and "size (10 m²) **12**" in answers


def test_a_too_large_learning_rate_on_raw_sizes_diverges_with_advice():
    at = open_page(part="neuron", fit_lr="0.3", fit_epochs="200", fit_speed="max")
    at.button(key="gd.fit.play").click().run()
    assert not at.exception
    assert "min-max scaling" in " ".join(e.value for e in at.error)
    scaled = open_page(part="neuron", fit_lr="0.3", fit_epochs="200", fit_speed="max", fit_scale="1")
    scaled.button(key="gd.fit.play").click().run()
    assert not scaled.error and scaled.session_state["gd.fit.run"].epoch == 200


def test_changing_the_data_or_loss_starts_a_new_neuron_but_the_learning_rate_does_not():
    at = open_page(part="neuron")
    step(at)
    before = at.session_state["gd.fit.run"]
    at.select_slider(key="gd.fit_lr").set_value(0.02).run()
    assert at.session_state["gd.fit.run"] is before and before.trainer.learning_rate == pytest.approx(0.02)
    at.selectbox(key="gd.fit_loss").set_value("huber").run()
    assert at.session_state["gd.fit.run"] is not before and status(at).startswith("**Epoch 0**")
    at.selectbox(key="gd.fit_data").set_value("noisy").run()
    assert not at.exception and at.slider(key="gd.fit_slope").value == 2.0


def test_hostile_neuron_link_falls_back():
    at = open_page(part="neuron", fit_lr="nan", fit_data="<script>", fit_epochs="1e9", fit_speed="-3")
    assert "not understood" in " ".join(w.value for w in at.warning)
    assert at.selectbox(key="gd.fit_data").value == "houses"
    assert at.number_input(key="gd.fit_epochs").value == 500


# --- the race: each surface brings its own learning rate and steps ------------------------------------------


def race_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("**What to look for.**"))


def test_picking_a_surface_brings_its_learning_rate_and_steps_and_a_caption_that_holds_there():
    from dlviz.descent import engine as descent

    at = open_page(part="race")
    assert at.selectbox(key="gd.surface").options == ["Elongated bowl", "Rosenbrock valley", "Saddle", "Two minima"]
    assert (at.select_slider(key="gd.lr2").value, at.slider(key="gd.steps2").value) == (0.19, 60)
    assert descent.SURFACES["bowl"].look_for in race_caption(at) and "own learning rate" not in race_caption(at)
    assert "lr2" not in at.query_params and "steps2" not in at.query_params  # the surface's own: not in the link
    at.selectbox(key="gd.surface").set_value("rosenbrock").run()
    assert (at.select_slider(key="gd.lr2").value, at.slider(key="gd.steps2").value) == (0.0015, 500)
    assert descent.SURFACES["rosenbrock"].look_for in race_caption(at)
    assert not at.warning  # nobody runs off at the defaults
    at.select_slider(key="gd.lr2").set_value(0.2).run()  # the participant's own choice stays...
    assert at.select_slider(key="gd.lr2").value == 0.2 and at.query_params["lr2"] == "0.2"
    assert "own learning rate 0.0015 and 500 steps" in race_caption(at)  # ...and the caption says where it holds
    assert "Gradient descent, SGD with momentum ran off" in " ".join(w.value for w in at.warning)
    at.selectbox(key="gd.surface").set_value("saddle").run()
    assert (at.select_slider(key="gd.lr2").value, at.slider(key="gd.steps2").value) == (0.02, 100)


def test_a_shared_link_that_names_the_learning_rate_keeps_it():
    at = open_page(part="race", surface="rosenbrock", lr2="0.19")
    assert (at.select_slider(key="gd.lr2").value, at.slider(key="gd.steps2").value) == (0.19, 500)
    assert at.query_params["lr2"] == "0.19" and at.query_params["surface"] == "rosenbrock"
    plain = open_page(part="race", surface="rosenbrock")
    assert plain.select_slider(key="gd.lr2").value == 0.0015 and "lr2" not in plain.query_params


def test_the_race_reports_rounded_distances_to_the_minimum():
    at = open_page(part="race")
    line = next(m.value for m in at.markdown if m.value.startswith("Distance to the nearest minimum"))
    assert "after step **60**" in line
    numbers = re.findall(r"(?:Gradient descent|SGD with momentum|RMSprop|Adam) (< 0\.01|\d+\.\d\d)\b", line)
    assert len(numbers) == 4, line


# --- the one-dimensional tab -----------------------------------------------------------------------------


def test_the_optimizer_names_are_short_and_explained_in_help():
    at = open_page()
    box = at.selectbox(key="gd.optimizer")
    assert box.options == ["Gradient descent", "SGD with momentum", "RMSprop", "Adam"]
    assert all(len(o) <= 18 for o in box.options)  # the sidebar shows about 30 characters
    assert "course's own loop" in box.help


def keras_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if "keras.optimizers.SGD" in c.value)


def test_keras_takes_the_same_steps_or_says_when_and_why_it_drifts_apart():
    calm = keras_caption(open_page())
    assert "takes the same steps: the largest relative difference over 30 steps" in calm and "drifts" not in calm
    chaotic = keras_caption(open_page(curve="two_valleys", lr="0.4"))
    assert re.search(r"takes the same steps for the first \d+ steps, then drifts apart", chaotic)
    assert "32-bit float: 0.4 becomes 0.4 + 6.0e-09" in chaotic and "amplifies" in chaotic
    assert not text.RAW_DIGITS.search(calm + chaotic)  # no float32 digits to read


def test_the_iterates_table_rounds_to_six_significant_digits():
    at = open_page()
    table = at.dataframe[0]
    config = json.loads(table.proto.columns)
    assert all(config[c]["type_config"]["format"] == "%.6g" for c in ("x", "y", "dy/dx"))


# --- a diverging setting: every chart's numbers stay finite and sane -------------------------------------


@pytest.mark.parametrize("params", [dict(lr="2", steps="200"), dict(curve="two_valleys", lr="0.6", steps="50"),
                                    dict(part="race", surface="rosenbrock", lr2="1"), dict(part="race", lr2="1")])  # fmt: skip
def test_diverging_settings_draw_only_finite_sane_numbers(params):
    from sane_charts import assert_sane

    at = open_page(**params)
    assert at.error or at.warning  # it did run off
    charts = at.get("plotly_chart")
    assert charts
    for chart in charts:
        assert_sane(chart.proto.spec)


def test_a_diverged_neuron_draws_only_finite_sane_numbers():
    from sane_charts import assert_sane

    at = open_page(part="neuron", fit_lr="1", fit_epochs="300", fit_speed="max")
    at.button(key="gd.fit.play").click().run()
    assert "diverged" in " ".join(e.value for e in at.error)
    for chart in at.get("plotly_chart"):
        assert_sane(chart.proto.spec)


# --- the neuron's status: the loss of the weights it shows ------------------------------------------------


def test_after_a_step_the_status_shows_the_loss_of_the_weights_shown():
    from dlviz.descent import line_fit

    at = open_page(part="neuron")
    step(at)
    run = at.session_state["gd.fit.run"]
    w, b, loss = (float(v) for v in re.search(r"w = (\S+) · b = (\S+) · loss (\S+)", status(at)).groups())
    assert (w, b) == pytest.approx(run.weights[-1], rel=1e-3)
    x, y = run.data.model_input(run.data.x)[:, None], run.data.y
    assert loss == pytest.approx(run.model.evaluate(x, y, verbose=0), rel=1e-3)  # Keras's loss for these w, b
    assert loss == pytest.approx(float(line_fit.losses_at(run.data, "mse", [(w, b)])[0]), rel=1e-2)
    assert abs(loss - run.history.loss[-1]) > 0.5 * loss  # not the history's loss before the update
    chart = next(c for c in at.get("plotly_chart") if c.key.startswith("gd.chart.fitloss"))
    names = [t["name"] for t in json.loads(chart.proto.spec)["data"]]
    assert names == ["after the epoch (the w, b shown)", "during the epoch (Keras's history)"]
