"""The Data lab page headless (AppTest): tables, every odd CSV, training, results, K-fold, what the network sees,
save and load."""

import json

import pytest
from conftest import open_page as _open
from csv_corpus import corpus
from streamlit.testing.v1 import AppTest

PAGE = "pages/datalab.py"


def open_page(**params) -> AppTest:
    return _open(PAGE, **params)


def chart_keys(at: AppTest) -> list[str]:
    return [c.key.rsplit(".", 1)[0] if c.key.split(".")[-1].isdigit() else c.key for c in at.get("plotly_chart")]


def texts(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_the_default_table_loads_with_its_task_curves_scales_and_program():
    at = open_page()
    assert not at.exception
    assert chart_keys(at) == ["dl.loss", "dl.metric", "dl.scales"]
    assert "Predicting **cultivar** from **13 features**" in texts(at)
    assert 'Dense(3, activation="softmax")' in texts(at) + at.get("code")[0].value
    program = at.get("code")[0].value
    assert "pd.read_csv('wine.csv')" in program and "normalizer.adapt(x_train)" in program
    assert "Source and license" in " ".join(c.value for c in at.caption)


def test_step_trains_and_results_show_a_confusion_matrix_then_the_test_set_once():
    at = open_page(part="results", epochs="30")
    at.button(key="dl.stepper").click().run()
    assert "**Epoch 1** of 30" in texts(at)
    assert "dl.confusion" in chart_keys(at)
    at.button(key="dl.evaluate").click().run()
    assert any("Test set, weights of epoch 1" in s.value for s in at.success)
    cells = at.selectbox(key="dl.cell").options
    assert len(cells) > 1
    at.selectbox(key="dl.cell").select_index(1).run()
    assert not at.exception and len(at.dataframe) >= 2


def test_regression_shows_predicted_against_actual_and_the_loss_choice():
    at = open_page(part="results", source="diabetes", epochs="10")
    at.button(key="dl.stepper").click().run()
    assert {"dl.predicted", "dl.residuals"} <= set(chart_keys(at))
    assert at.radio(key="dl.regression_loss").value == "mse"
    at.radio(key="dl.regression_loss").set_value("mae").run()
    assert 'loss="mae"' in at.get("code")[0].value


def test_kfold_runs_k_networks_and_shows_their_mean():
    at = open_page(part="kfold", source="iris", epochs="5", k="3")
    at.button(key="dl.kfold_go").click().run()
    assert not at.exception and "dl.kfold" in chart_keys(at)
    assert "Mean validation accuracy" in texts(at)
    figure = json.loads(next(c for c in at.get("plotly_chart") if c.key == "dl.kfold").proto.spec)
    assert [t["name"] for t in figure["data"]] == ["fold 1", "fold 2", "fold 3", "mean"]


def test_what_the_network_sees_and_its_summary():
    at = open_page(part="sees", batch="16")
    assert not at.exception
    assert "`(16, 13)`" in texts(at) and "**Its targets, one-hot**: `(16, 3)`" in texts(at)
    summary = at.dataframe[-1].value
    assert summary["parameters"].sum() == 13 * 2 + 1 + (13 * 64 + 64) + (64 * 64 + 64) + (64 * 3 + 3)


def test_save_offers_the_model_and_loading_it_back_keeps_going():
    at = open_page(part="save", epochs="10")
    at.button(key="dl.stepper").click().run()
    labels = [d.label for d in at.get("download_button")]
    assert labels == ["model.keras", "predict.py", "train.py", "wine.csv"]
    at.get("file_uploader")[-1].upload("model.keras", b"not a model").run()
    assert any("not a .keras file" in e.value.replace("\\", "") for e in at.error)


def test_hostile_settings_fall_back_with_a_notice():
    at = open_page(source="<script>", depth="99", lr="-1", part="nowhere")
    assert not at.exception
    assert any("not understood" in w.value for w in at.warning)
    assert "Predicting **cultivar**" in texts(at)


@pytest.mark.parametrize("name", sorted(corpus()))
def test_every_csv_in_the_corpus_gets_a_table_or_a_clear_message(name):
    at = open_page(source="csv")
    assert any("Upload a CSV" in i.value for i in at.info)
    at.get("file_uploader")[0].upload(name, corpus()[name], "text/csv").run()
    assert not at.exception, name
    if at.error:
        assert all("Traceback" not in e.value for e in at.error)
    else:
        assert "Predicting **" in texts(at)
        at.button(key="dl.stepper").click().run()
        assert not at.exception and "**Epoch 1**" in texts(at)


@pytest.mark.parametrize("part", ["sees", "results", "data"])
@pytest.mark.parametrize("name", ["long-names.csv", "html-names.csv"])
def test_long_or_marked_up_names_show_on_every_part_as_typed(name, part):
    at = open_page(source="csv", part=part)
    at.get("file_uploader")[0].upload(name, corpus()[name], "text/csv").run()
    at.button(key="dl.stepper").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "<script>" not in page and "<i>" not in page and "**y**" not in page.replace("\\*\\*y\\*\\*", "")
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        assert "<b " not in json.dumps(spec) and "<i>" not in json.dumps(spec)


def test_html_in_a_csv_is_shown_as_text():
    at = open_page(source="csv")
    at.get("file_uploader")[0].upload("html-names.csv", corpus()["html-names.csv"], "text/csv").run()
    assert not at.exception
    page = texts(at)
    assert "<script>" not in page and "<b " not in page


def test_choosing_another_target_starts_a_new_network():
    at = open_page(source="csv")
    at.get("file_uploader")[0].upload("regression.csv", corpus()["regression.csv"], "text/csv").run()
    at.button(key="dl.stepper").click().run()
    assert "regression" in texts(at)
    key = next(s.key for s in at.selectbox if s.key and s.key.startswith("dl.target."))
    at.selectbox(key=key).set_value("a").run()
    assert not at.exception and "Predicting **a**" in texts(at) and "**Epoch 0**" in texts(at)
    assert at.session_state["dl.run"].epoch == 0
