"""The Data lab page headless (AppTest): tables, every odd CSV, training, results, K-fold, what the network sees,
save and load."""

import json

import numpy as np
import pytest
from conftest import chart, programs, step, views
from conftest import click_cell as click_chart_cell
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
    assert chart_keys(at) == []  # the first screen draws no Plotly chart: canvases, light to load
    loss, metric = views(at, "dlviz_curves")
    assert loss["log_y"] and loss["title"] == "Loss" and not metric["log_y"] and metric["fraction"]
    (scales,) = views(at, "dlviz_bars")
    assert scales["labels"][0] == "alcohol" and len(scales["labels"]) == 13 and len(scales["series"]) == 2
    assert "Predicting **cultivar** from **13 features**" in texts(at)
    program = programs(at)[0]
    assert 'Dense(3, activation="softmax")' in texts(at) + program
    assert "pd.read_csv('wine.csv')" in program and "normalizer.adapt(x_train)" in program
    assert "Source and license" in " ".join(c.value for c in at.caption)
    assert "rows** with a usable target" in texts(at) and "view." not in texts(at)  # plain words, not code


def test_step_trains_and_results_show_a_confusion_matrix_then_the_test_set_once():
    at = open_page(part="results", epochs="30")
    step(at)
    assert "**Epoch 1** of 30" in texts(at)
    loss, _ = views(at, "dlviz_curves")
    assert [line["x"] for line in loss["lines"]] == [[1], [1]] and loss["best"]["epoch"] == 1
    assert "dl.confusion" in chart_keys(at)
    at.button(key="dl.evaluate").click().run()
    assert any("Test set, evaluated once, weights of epoch 1" in s.value for s in at.success)
    assert at.button(key="dl.evaluate").disabled  # once per run
    first = at.session_state["dl.run"].test
    step(at)
    assert at.session_state["dl.run"].test == first and at.session_state["dl.run"].evaluate_test() == first
    assert any("has trained on to epoch 2; the test set is not evaluated again" in s.value for s in at.success)
    cells = at.selectbox(key="dl.cell").options
    assert len(cells) > 1
    at.selectbox(key="dl.cell").select_index(1).run()
    assert not at.exception and len(at.dataframe) >= 2


def test_while_paused_step_reruns_the_curves_and_parts_alone():
    at = open_page(part="results", epochs="30")
    at.button(key="dl.stepper").click().run()  # what the browser gets: the board's fragment, not the page
    assert not at.exception, at.exception
    assert "**Epoch 1** of 30" in texts(at) and len(views(at, "dlviz_curves")) == 2 and "dl.confusion" in chart_keys(at)
    assert not at.sidebar.children and not at.title and at.button(key="dl.play")  # the controls: on the board


def test_a_step_after_another_run_took_the_runs_place_redraws_the_whole_page():
    at = open_page(epochs="30")
    drawn = at.session_state["dl.run"]
    other = type(drawn)(drawn.settings, drawn.data)  # as a model loaded on the board (its fragment) leaves it
    at.session_state["dl.run"] = other
    at.button(key="dl.stepper").click().run()
    assert not at.exception, at.exception
    assert other.epoch == 1 and drawn.epoch == 0  # the step went to the run the session holds
    assert at.sidebar.children and "**Epoch 1** of 30" in texts(at)  # drawn by the whole page


def test_regression_shows_predicted_against_actual_and_the_loss_choice():
    at = open_page(part="results", source="diabetes", epochs="10")
    step(at)
    assert {"dl.predicted", "dl.residuals"} <= set(chart_keys(at))
    assert at.radio(key="dl.regression_loss").value == "mse"
    at.radio(key="dl.regression_loss").set_value("mae").run()
    assert 'loss="mae"' in programs(at)[0]


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
    step(at)
    labels = [d.label for d in at.get("download_button")]
    assert labels == ["model.keras", "predict.py", "train.py", "wine.csv"]
    at.get("file_uploader")[-1].upload("model.keras", b"not a model").run()
    assert any("not a .keras file" in e.value.replace("\\", "") for e in at.error)
    for _ in range(2):
        step(at)
    saved = at.session_state["dl.run"]
    model_file = saved.save()  # what the model.keras button downloads
    fresh = open_page(part="save", epochs="10")  # another session (another day), the same table and network
    fresh.get("file_uploader")[-1].upload("model.keras", model_file).run()
    assert not fresh.exception and not fresh.error
    assert any("Loaded: Play or Step trains on from its weights." in s.value for s in fresh.success)
    loaded = fresh.session_state["dl.run"]
    for mine, theirs in zip(loaded.model.get_weights(), saved.model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    step(fresh)
    assert not fresh.exception and fresh.session_state["dl.run"] is loaded and len(loaded.history) == 1


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
        step(at)
        assert not at.exception and "**Epoch 1**" in texts(at)


@pytest.mark.parametrize("part", ["sees", "results", "data"])
@pytest.mark.parametrize("name", ["long-names.csv", "html-names.csv"])
def test_long_or_marked_up_names_show_on_every_part_as_typed(name, part):
    at = open_page(source="csv", part=part)
    at.get("file_uploader")[0].upload(name, corpus()[name], "text/csv").run()
    step(at)
    assert not at.exception, at.exception
    page = texts(at)
    assert "<script>" not in page and "<i>" not in page and "**y**" not in page.replace("\\*\\*y\\*\\*", "")
    assert "view." not in page + " ".join(s.value for s in at.success)
    for figure in at.get("plotly_chart"):
        spec = json.loads(figure.proto.spec)
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
    step(at)
    assert "regression" in texts(at)
    key = next(s.key for s in at.selectbox if s.key and s.key.startswith("dl.target."))
    at.selectbox(key=key).set_value("a").run()
    assert not at.exception and "Predicting **a**" in texts(at) and "**Epoch 0**" in texts(at)
    assert at.session_state["dl.run"].epoch == 0


# --- the confusion matrix clicked --------------------------------------------------------------------------
def confusion(at: AppTest):
    return chart(at, "dl.confusion.")


def click_cell(at: AppTest, cell: tuple[int, int]) -> AppTest:
    return click_chart_cell(at, "dl.confusion.", cell)


def test_clicking_a_cell_of_the_confusion_matrix_lists_its_rows_and_the_selectbox_follows():
    at = open_page(part="results", epochs="30")
    step(at)
    run = at.session_state["dl.run"]
    matrix = run.confusion("val")
    assert json.loads(confusion(at).proto.spec)["data"][-1]["name"] == "cells"
    full = [(i, j) for i, j in zip(*np.nonzero(matrix), strict=True)]
    cell = max(full, key=lambda c: matrix[c])
    click_cell(at, (int(cell[0]), int(cell[1])))
    assert not at.exception
    assert at.selectbox(key="dl.cell").value == cell
    classes = run.data.classes
    listed = f"**{matrix[cell]} rows**: true {classes[cell[0]]}, predicted {classes[cell[1]]}"
    assert listed in texts(at).replace("\\", "")
    tables = [d.value for d in at.dataframe if "here" not in d.value.columns]  # not Chollet's table above
    assert len(tables[0]) == matrix[cell]  # the rows listed, then the per-class table
    shape = json.loads(confusion(at).proto.spec)["layout"]["shapes"][0]  # the clicked cell is framed
    assert (shape["x0"], shape["y0"]) == (cell[1] - 0.5, cell[0] - 0.5)
    # the selectbox, the phone's way, picks another cell: the matrix is drawn afresh with that one framed
    at.selectbox(key="dl.cell").set_value(next(c for c in full if c != cell)).run()
    chosen = at.selectbox(key="dl.cell").value
    assert chosen != cell and confusion(at).key == "dl.confusion.1"
    shape = json.loads(confusion(at).proto.spec)["layout"]["shapes"][0]
    assert (shape["x0"], shape["y0"]) == (chosen[1] - 0.5, chosen[0] - 0.5)
    empty = next((i, j) for i in range(len(classes)) for j in range(len(classes)) if not matrix[i, j])
    click_cell(at, empty)
    assert at.selectbox(key="dl.cell").value is None
    assert any(f"No rows are true {classes[empty[0]]} and predicted {classes[empty[1]]}" in c.value.replace("\\", "")
               for c in at.caption)  # fmt: skip


# --- the course's data sets without internet --------------------------------------------------------------
def test_without_internet_a_keras_data_set_says_so_fast_and_offers_an_offline_table(tmp_path, monkeypatch):
    from dlviz.datalab import tables

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(tables, "_unreachable", {})
    monkeypatch.setattr(tables, "reachable", lambda host, *a, **k: "Temporary failure in name resolution")
    at = open_page(source="boston")
    labels = at.selectbox(key="dl.source").options
    assert [label for label in labels if "needs internet" in label] == [
        s.title + " · needs internet" for s in tables.SOURCES.values() if not s.offline
    ]
    assert any("could not download it (Temporary failure in name resolution)" in e.value.replace("\\", "")
               for e in at.error)  # fmt: skip
    at.button(key="dl.offline").click().run()
    assert not at.exception and not at.error
    assert at.selectbox(key="dl.source").value == "diabetes" and "Predicting **progression**" in texts(at)


# --- save: the files written when asked for ---------------------------------------------------------------
def test_the_model_and_table_downloads_are_written_only_when_clicked(monkeypatch):
    from streamlit.runtime.media_file_manager import MediaFileManager

    from dlviz.datalab import engine

    saves, deferred = [], {}
    save = engine.LabRun.save
    monkeypatch.setattr(engine.LabRun, "save", lambda self: saves.append(1) or save(self))
    add = MediaFileManager.add_deferred

    def keep(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        deferred[file_name] = data_callable
        return add(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    at = open_page(part="save", epochs="10")
    step(at)
    step(at)
    assert not saves and set(deferred) == {"model.keras", "wine.csv"}  # two reruns, no model file written
    buttons = {d.label: d.proto for d in at.get("download_button")}
    assert buttons["model.keras"].deferred_file_id and buttons["wine.csv"].deferred_file_id
    run = at.session_state["dl.run"]
    model = deferred["model.keras"]()  # the click
    assert saves == [1] and model.startswith(b"PK")
    loaded = engine.load_model(model, run.data, run.settings)
    np.testing.assert_allclose(loaded(run.data.x("val")), run.predict("val"), atol=1e-6)
    assert deferred["wine.csv"]() == engine.table_csv(run.data.table)


# --- the first epoch: the CSV read once, the epoch traced ahead -------------------------------------------
def test_an_uploaded_csv_is_read_once_and_the_first_epoch_is_traced_before_step(monkeypatch):
    from dlviz.datalab import tables

    reads = []
    read_csv = tables.read_csv
    monkeypatch.setattr(tables, "read_csv", lambda data, name="": reads.append(name) or read_csv(data, name))
    at = open_page(source="csv")
    at.get("file_uploader")[0].upload("regression.csv", corpus()["regression.csv"], "text/csv").run()
    run = at.session_state["dl.run"]
    run.warming.join(120)
    assert run.warmed and run.epoch == 0 and not len(run.history)
    step(at)
    at.slider(key="dl.dropout").set_value(0.1).run()
    assert not at.exception and "Predicting **" in texts(at)
    at.get("file_uploader")[0].upload("again.csv", corpus()["regression.csv"], "text/csv").run()  # same bytes
    assert reads == ["regression.csv"]
    assert at.session_state["dl.run"] is not run and run.stale  # dropout: a new network, the old one left alone


def test_chollets_table_is_shown_whole_with_the_tasks_row_marked():
    at = open_page(source="diabetes")
    (table,) = [d for d in at.dataframe if list(d.value.columns) == ["task", "last layer", "loss", "metric", "here"]]
    rows = table.value.to_dict("records")
    assert len(rows) == 3 and [r["here"] for r in rows] == ["", "", "◀"]  # binary, multi-class, regression
    assert rows[0]["loss"] == "binary_crossentropy" and "softmax" in rows[1]["last layer"]


def test_before_an_upload_the_page_shows_what_a_csv_looks_like():
    at = open_page(source="csv")
    assert not at.exception
    assert any("Upload a CSV in the sidebar" in i.value for i in at.info)
    (example,) = at.dataframe
    assert list(example.value.columns) == ["area_m2", "rooms", "district", "garden", "price_k"]
    assert not at.get("bidi_component")  # no chart until there is a table


def test_the_network_and_training_settings_are_there_before_the_upload_and_stay_put_after_it():
    at = open_page(source="csv")
    before = [w.label for w in at.sidebar if hasattr(w, "label")]
    assert {"Hidden layers", "Learning rate", "Epochs", "Task"} <= set(before)  # set them while choosing a file
    assert "Column to predict" not in before  # that needs the table
    at.slider(key="dl.depth").set_value(1).run()
    at.get("file_uploader")[0].upload("regression.csv", corpus()["regression.csv"], "text/csv").run()
    after = [w.label for w in at.sidebar if hasattr(w, "label")]
    assert (
        after.index("Your CSV") < after.index("Column to predict") < after.index("Task") < after.index("Hidden layers")
    )
    assert at.session_state["dl.run"].settings.depth == 1 and not at.exception
