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
    at.button(key="gd.fit.stepper").click().run()
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
    scaled = open_page(
        part="neuron", fit_lr="0.3", fit_epochs="200", fit_speed="max", fit_scale="1"
    )
    scaled.button(key="gd.fit.play").click().run()
    assert not scaled.error and scaled.session_state["gd.fit.run"].epoch == 200


def test_changing_the_data_or_loss_starts_a_new_neuron_but_the_learning_rate_does_not():
    at = open_page(part="neuron")
    at.button(key="gd.fit.stepper").click().run()
    before = at.session_state["gd.fit.run"]
    at.select_slider(key="gd.fit_lr").set_value(0.02).run()
    assert at.session_state[
        "gd.fit.run"
    ] is before and before.trainer.learning_rate == pytest.approx(0.02)
    at.selectbox(key="gd.fit_loss").set_value("huber").run()
    assert at.session_state["gd.fit.run"] is not before and status(at).startswith("**Epoch 0**")
    at.selectbox(key="gd.fit_data").set_value("noisy").run()
    assert not at.exception and at.slider(key="gd.fit_slope").value == 2.0


def test_hostile_neuron_link_falls_back():
    at = open_page(
        part="neuron", fit_lr="nan", fit_data="<script>", fit_epochs="1e9", fit_speed="-3"
    )
    assert "not understood" in " ".join(w.value for w in at.warning)
    assert at.selectbox(key="gd.fit_data").value == "houses"
    assert at.number_input(key="gd.fit_epochs").value == 500
