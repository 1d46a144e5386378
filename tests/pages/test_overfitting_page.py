"""The Overfitting page headless (AppTest)."""

from conftest import open_page as _open
from conftest import programs, step
from streamlit.testing.v1 import AppTest

PAGE = "pages/overfitting.py"


def open_page(**params) -> AppTest:
    return _open(PAGE, **params)


def chart_keys(at: AppTest) -> list[str]:
    return [c.key.rsplit(".", 1)[0] for c in at.get("plotly_chart")]


def figure(at: AppTest, prefix: str) -> dict:
    import json

    chart = next(c for c in at.get("plotly_chart") if c.key.startswith(prefix))
    return json.loads(chart.proto.spec)


def texts(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def code(at: AppTest) -> str:
    return programs(at)[0]


def test_page_loads_with_both_runs_their_curves_the_diagram_and_the_code():
    at = open_page()
    assert chart_keys(at) == ["of.picture.baseline", "of.curves.baseline", "of.picture.regularized",
                              "of.curves.regularized", "of.dropout"]  # fmt: skip
    assert [h.value for h in at.subheader][:2] == ["Baseline", "Regularized"]
    assert "keras.layers.Dropout(0.4)" in code(at) and "EarlyStopping" in code(at)
    assert "Press **Play** or **Step** to train." in texts(at)


def test_steps_train_both_networks_and_both_curves_appear():
    at = open_page()
    for _ in range(3):
        step(at)
    assert not at.exception
    assert "**Epoch 3** of 400" in texts(at)
    for name in ("baseline", "regularized"):
        train, val = figure(at, f"of.curves.{name}")["data"][:2]
        assert train["name"] == "training loss" and val["name"] == "validation loss" and val["fill"] == "tonexty"
    assert texts(at).count("Epoch 3 · training loss") == 2


def test_play_runs_to_the_budget_and_early_stopping_reports_its_restore():
    at = open_page(epochs="60")
    at.button(key="of.play").click().run()
    assert not at.exception
    assert "**Epoch 60** of 60" in texts(at)
    assert at.button(key="of.play").disabled  # both runs are done
    assert any("restored the weights of epoch" in m.value for m in [*at.info, *at.success])


def test_early_stopping_stops_the_regularized_run_first():
    at = open_page(epochs="300", patience="5", speed="max")
    at.button(key="of.play").click().run()
    assert not at.exception
    assert any("Early stopping stopped training after epoch" in m.value for m in at.success)
    stop = figure(at, "of.curves.regularized")["layout"]["shapes"][0]["x0"]
    assert stop < 300 and "**Epoch 300** of 300" in texts(at)


def test_turning_dropout_off_changes_the_code_and_hides_the_diagram():
    at = open_page()
    at.slider(key="of.dropout").set_value(0.0).run()
    assert "Dropout" not in code(at)
    assert "of.dropout" not in chart_keys(at)
    assert any("dropout rate" in i.value for i in at.info)
    assert at.query_params["dropout"] == "0"


def test_the_diagram_shows_dropped_units_in_training_and_none_at_inference():
    at = open_page()
    names = [t.get("name") for t in figure(at, "of.dropout")["data"]]
    assert "dropped this step" in names
    at.toggle(key="of.inference").set_value(True).run()
    names = [t.get("name") for t in figure(at, "of.dropout")["data"]]
    assert "dropped this step" not in names and at.query_params["inference"] == "1"


def test_the_inference_view_set_on_the_board_shows_in_the_boards_own_rerun():
    at = open_page()
    at.session_state["of.inference"] = True  # the toggle, as a click on it leaves it before the board reruns alone
    at.button(key="of.stepper").click().run()  # a rerun of the board's fragment (the sidebar is not sent)
    assert not at.exception and not at.sidebar.children
    names = [t.get("name") for t in figure(at, "of.dropout")["data"]]
    assert "dropped this step" not in names and at.query_params["inference"] == "1"
    assert at.session_state["of.run"].settings.inference


def test_capacity_and_regularizers_come_from_the_link():
    at = open_page(width="8", depth="2", l2="0.01", batchnorm="1", early_stopping="0", dropout="0")
    assert 'Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01))' in code(at)
    assert "BatchNormalization" in code(at) and "EarlyStopping" not in code(at)
    assert "2 x 8 neurons" in " ".join(c.value for c in at.caption)


def test_the_regression_task_fits_curves():
    at = open_page(task="curve")
    step(at)
    assert not at.exception
    names = [t["name"] for t in figure(at, "of.picture.baseline")["data"]]
    assert names == ["validation", "training", "the truth", "the network"]
    assert "validation accuracy" not in texts(at) and 'loss="mse"' in code(at)


def test_absurd_link_values_fall_back_to_defaults_with_a_notice():
    at = open_page(width="1e309", depth="-3", dropout="nan", task="<script>", epochs="9" * 50)
    assert not at.exception
    assert "not understood" in at.warning[0].value
    assert "3 x 64 neurons" in " ".join(c.value for c in at.caption)


def test_a_diverged_run_says_so_instead_of_drawing_nonsense():
    at = open_page()
    step(at)
    race = at.session_state["of.run"]
    race.baseline.trainer.diverged = True
    race.baseline.trainer.history.loss[-1] = float("nan")
    at.run()
    assert not at.exception
    assert any("Training diverged" in e.value for e in at.error)


def test_both_runs_play_at_a_chosen_pace_kept_in_the_link():
    at = open_page()
    assert at.select_slider(key="of.speed").value == "50"
    at.select_slider(key="of.speed").set_value("250").run()
    assert at.query_params["speed"] == "250"
    for name in ("baseline", "regularized"):  # before the first epoch: a loss from 0, on the epochs to come
        layout = figure(at, f"of.curves.{name}")["layout"]
        assert layout["xaxis"]["range"] == [0, 400] and layout["yaxis"]["range"][0] == 0
