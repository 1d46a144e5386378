"""The Data lab's library: reading tables and CSVs, preparing them, training, K-fold, the programs, save and load."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from csv_corpus import FOLDER, corpus
from programs import run_program

from dlviz.core.settings import replace
from dlviz.datalab import code, engine, prep, tables
from dlviz.datalab.engine import DataLabSettings, LabRun

DEFAULT = DataLabSettings()


def read(name: str) -> tables.Table:
    return tables.read_csv((FOLDER / name).read_bytes(), name)


def test_the_corpus_on_disk_is_what_the_generator_makes():
    made = corpus()
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(made)
    for name, data in made.items():
        assert (FOLDER / name).read_bytes() == data, name


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.csv", "The file is empty"),
        ("binary.csv", "not a text file"),
        ("spreadsheet.csv", "Save it as CSV"),
        ("one-column.csv", "one column"),
        ("one-row.csv", "1 row;"),
        ("header-only.csv", "0 rows"),
    ],
)
def test_files_that_are_no_usable_table_are_refused_with_the_reason(name, message):
    with pytest.raises(tables.TableError, match=message):
        read(name)


@pytest.mark.parametrize(
    "name, sep, decimal, encoding, header, note",
    [
        ("plain.csv", ",", ".", "utf-8", True, None),
        ("bom.csv", ",", ".", "utf-8", True, None),
        ("semicolons-decimal-commas.csv", ";", ",", "utf-8", True, "Decimal commas"),
        ("tabs.csv", "\t", ".", "utf-8", True, "tabs"),
        ("latin1.csv", ",", ".", "cp1252", True, "Windows-1252"),
        ("no-header.csv", ",", ".", "utf-8", False, "No header row"),
        ("duplicate-names.csv", ",", ".", "utf-8", True, "same name"),
    ],
)
def test_separators_encodings_and_headers_are_found(name, sep, decimal, encoding, header, note):
    t = read(name)
    assert t.read == {"sep": sep, "decimal": decimal, "encoding": encoding, "header": header}
    assert t.frame.shape[0] == 60
    assert note is None or any(note in n for n in t.notes)
    numbers = t.frame.iloc[:, 0]
    assert pd.api.types.is_numeric_dtype(numbers) or name == "latin1.csv"


def test_a_bom_does_not_reach_the_first_column_name_and_latin1_names_are_read_right():
    assert list(read("bom.csv").frame.columns)[0] == "a"
    assert list(read("latin1.csv").frame.columns) == ["température", "pression", "ville", "qualité"]


def test_quoted_commas_stay_in_their_cell():
    t = read("quoted-commas.csv")
    assert set(t.frame["town"]) == {"Paris, France", "Lyon, France"}


def prepared(name: str, **changes) -> engine.Prepared:
    t = read(name)
    return engine.prepare(t, replace(DEFAULT, **changes))


@pytest.mark.parametrize(
    "name, message",
    [
        ("constant-target.csv", "one value only"),
        ("hundreds-of-classes.csv", "400 different values"),
    ],
)
def test_targets_that_cannot_be_learned_say_why(name, message):
    with pytest.raises(prep.PrepError, match=message):
        prepared(name)


def test_columns_become_numbers_categories_or_are_dropped_with_the_reason():
    d = prepared("ids-and-text.csv")
    assert d.plan.numbers == ["a", "b"] and d.plan.dropped["id"].startswith("an ID")
    assert "free text" in d.plan.dropped["comment"]
    assert prepared("dates.csv").plan.dropped["day"].startswith("a date")
    assert prepared("empty-column.csv").plan.dropped == {"nothing": "empty"}
    d = prepared("quoted-commas.csv")
    assert d.plan.categories == ["town"] and d.encoded.columns[-2:] == ["town_Lyon, France", "town_Paris, France"]


def test_missing_and_infinite_values_are_filled_from_the_training_rows_alone():
    d = prepared("missing-values.csv")
    assert len(d.frame) == 59 and any("without a usable 'label'" in n for n in d.notes)
    a = pd.to_numeric(d.frame["a"])
    median = float(a.iloc[d.split.train].median())
    assert median != float(a.median())  # the whole table's median differs: the test would leak into training
    filled = d.encoded.x[a.isna().to_numpy(), 0]
    np.testing.assert_allclose(filled, median, rtol=1e-6)
    assert "colour_(missing)" in d.encoded.columns
    d = prepared("infinities.csv")
    assert np.isfinite(d.encoded.x).all() and any("infinite" in n for n in d.notes)


@pytest.mark.parametrize(
    "values, task",
    [
        ([0, 1] * 10, "binary"),
        (["yes", "no"] * 10, "binary"),
        ([True, False] * 10, "binary"),
        ([1, 2, 3, 4] * 5, "multiclass"),
        (["a", "b", "c"] * 5, "multiclass"),
        (list(range(20)), "regression"),  # whole numbers, more than 10 of them
        ([0.5, 1.5] * 10, "regression"),
    ],
)
def test_task_detection_follows_the_stated_rule(values, task):
    assert prep.detect_task(pd.Series(values)) == task


def test_the_task_can_be_overridden_and_a_wrong_override_says_why():
    assert prepared("regression.csv").task == "regression"
    with pytest.raises(prep.PrepError, match="not binary"):
        prepared("text-labels.csv", task="binary")
    with pytest.raises(prep.PrepError, match="holds text"):
        prepared("text-labels.csv", task="regression")
    assert prepared("plain.csv", task="multiclass").n_outputs == 2


def test_splits_are_disjoint_and_k_folds_cover_the_rest():
    s = prep.split(178, 20, 20, seed=3)
    together = np.concatenate([s.train, s.val, s.test])
    assert sorted(together) == list(range(178)) and len(s.test) == 36 and len(s.val) == 36
    rest = np.concatenate([s.train, s.val])
    folds = prep.folds(rest, 4)
    vals = [v for _, v in folds]
    assert sorted(np.concatenate(vals)) == sorted(rest)
    for train, val in folds:
        assert not set(train) & set(val) and len(train) + len(val) == len(rest)


def test_the_normalization_layer_is_adapted_on_the_training_rows_only():
    d = engine.prepare(tables.load("wine"), DEFAULT)
    run = LabRun(DEFAULT, d)
    normalizer = run.model.layers[0]
    np.testing.assert_allclose(np.asarray(normalizer.mean)[0], d.x("train").mean(axis=0), rtol=1e-4)
    assert not np.allclose(np.asarray(normalizer.mean)[0], d.encoded.x.mean(axis=0), rtol=1e-3)
    scaled = np.asarray(normalizer(d.x("train")))
    np.testing.assert_allclose(scaled.std(axis=0), 1.0, atol=1e-3)


@pytest.mark.parametrize("name", ["wine", "breast_cancer", "diabetes", "iris"])
def test_the_offline_tables_train_to_sensible_figures(name):
    s = replace(DEFAULT, source=name, epochs=60)
    d = engine.prepare(tables.load(name), s)
    run = LabRun(s, d)
    while not run.finished:
        run.train(30)
    test = run.evaluate_test()
    if d.task == "regression":
        assert test["mae"] < 60  # diabetes' progression spans 25-346; predicting its mean gives ~64
    else:
        assert test["accuracy"] > 0.85


def test_without_normalization_a_table_of_mixed_scales_trains_worse():
    scaled, raw = (replace(DEFAULT, epochs=30, early_stopping=False, normalize=n) for n in (True, False))
    figures = []
    for s in (scaled, raw):
        run = LabRun(s, engine.prepare(tables.load("wine"), s))
        run.train(30)
        figures.append(run.history.val_loss[-1])
    assert figures[0] < figures[1] / 3


def test_early_stopping_is_keras_own_and_restores_the_best_weights():
    s = replace(DEFAULT, source="breast_cancer", patience=5, epochs=400)
    run = LabRun(s, engine.prepare(tables.load("breast_cancer"), s))
    while not run.finished:
        run.train(50)
    assert run.stopped_epoch is not None and run.stopped_epoch < 400
    assert run.restored_epoch == int(np.argmin(run.history.val_loss)) + 1


PROGRAM_CASES = [
    ("wine", None, {}),
    ("breast_cancer", None, {"dropout": 0.2, "batchnorm": True, "patience": 5}),
    ("diabetes", None, {"regression_loss": "mae", "l2": 0.001, "epochs": 40}),
    ("iris", None, {"class_loss": "categorical", "epochs": 40}),
    ("csv", "missing-values.csv", {"epochs": 30}),
    ("csv", "semicolons-decimal-commas.csv", {"epochs": 30}),
    ("csv", "latin1.csv", {"epochs": 30, "depth": 1}),
    ("csv", "no-header.csv", {"epochs": 30}),
]


@pytest.mark.parametrize("source, file, changes", PROGRAM_CASES)
def test_the_exported_program_reproduces_the_pages_test_figures(tmp_path: Path, source, file, changes):
    s = replace(DEFAULT, source=source, **changes)
    if file:
        table = read(file)
        (tmp_path / file).write_bytes((FOLDER / file).read_bytes())
        csv_name = file
    else:
        table = tables.load(source)
        csv_name = f"{source}.csv"
        (tmp_path / csv_name).write_bytes(engine.table_csv(table))
    d = engine.prepare(table, s)
    run = LabRun(s, d)
    while not run.finished:
        run.train(50)
    page = run.evaluate_test()
    out = run_program(code.program(s, d, csv_name), tmp_path).strip().splitlines()
    assert out[-2] == f"trained {run.epoch} epochs"
    loss, metric = (float(part.split()[-1]) for part in out[-1].split(", "))
    assert abs(loss - page["loss"]) < 1e-3 * max(1.0, abs(page["loss"]))
    assert abs(metric - page[engine.metric_name(d.task)]) < 1e-3 * max(1.0, abs(metric))
    assert (tmp_path / "model.keras").exists()


def test_a_saved_model_loads_back_and_predicts_the_same_and_the_predict_program_runs(tmp_path: Path):
    s = replace(DEFAULT, epochs=5)
    d = engine.prepare(read("missing-values.csv"), s)
    run = LabRun(s, d)
    run.train(5)
    saved = run.save()
    loaded = engine.load_model(saved, d, s)
    again = LabRun(s, d, loaded)
    np.testing.assert_allclose(again.predict("test"), run.predict("test"), atol=1e-6)
    assert again.train(2) == 2  # it trains on from the loaded weights
    (tmp_path / "model.keras").write_bytes(saved)
    d.table.frame.drop(columns="label").head(5).to_csv(tmp_path / "new_rows.csv", index=False)
    out = run_program(code.predict_program(s, d), tmp_path)
    assert "predicted" in out and len(out.strip().splitlines()) == 6


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda saved: b"not a zip at all", "not a .keras file"),
        (lambda saved: b"PK\x03\x04" + b"\x00" * 100, "could not load it safely"),
        (lambda saved: b"PK\x03\x04" + b"\x00" * (engine.MAX_MODEL_MB * 1024 * 1024), "over"),
    ],
)
def test_hostile_model_files_are_refused(make, message):
    s = replace(DEFAULT, epochs=1)
    d = engine.prepare(read("plain.csv"), s)
    with pytest.raises(engine.ModelFileError, match=message):
        engine.load_model(make(b""), d, s)


def test_a_model_for_another_table_or_network_is_refused():
    s = replace(DEFAULT, epochs=1)
    wine = engine.prepare(tables.load("wine"), s)
    saved = LabRun(s, wine).save()
    with pytest.raises(engine.ModelFileError, match="reads 13 features"):
        engine.load_model(saved, engine.prepare(read("plain.csv"), s), s)
    with pytest.raises(engine.ModelFileError, match="different network"):
        engine.load_model(saved, wine, replace(s, units=32))


def test_kfold_trains_k_networks_on_disjoint_folds():
    s = replace(DEFAULT, source="diabetes", k=4, epochs=5)
    d = engine.prepare(tables.load("diabetes"), s)
    result = engine.kfold(s, d)
    assert result.k == 4 and len(result.histories) == 4 and all(len(h) == 5 for h in result.histories)
    assert len(result.mean_curve("val_accuracy")) == 5 and all(np.isfinite(f["mae"]) for f in result.final)


def test_confusion_matrix_and_per_class_figures():
    matrix = np.array([[5, 1], [2, 2]])
    table = engine.per_class(matrix, ["a", "b"])
    assert table["precision"].round(3).tolist() == [0.714, 0.667]
    assert table["recall"].round(3).tolist() == [0.833, 0.5]


def keras_layout(folder: Path) -> None:
    """Small files in Keras's own layout (what keras.datasets downloads), made here: nothing is downloaded."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez(folder / "boston_housing.npz", x=rng.normal(size=(40, 13)), y=rng.uniform(5, 50, 40))
    reviews = np.empty(30, dtype=object)
    for i in range(30):
        reviews[i] = list(rng.integers(1, 2000, 20))
    np.savez(folder / "imdb.npz", x_train=reviews, y_train=np.arange(30) % 2, x_test=reviews, y_test=np.arange(30) % 2)
    np.savez(folder / "reuters.npz", x=reviews, y=np.arange(30) % 46)


def test_the_courses_data_sets_read_keras_files(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    keras_layout(tmp_path / "datasets")
    boston = tables.load("boston")
    assert boston.frame.shape == (40, 14) and boston.target == "price"
    imdb = tables.load("imdb")
    assert imdb.frame.shape == (30, tables.WORDS) and set(imdb.frame["sentiment"]) == {"positive", "negative"}
    words = imdb.frame.drop(columns="sentiment").to_numpy()
    assert set(np.unique(words)) <= {0.0, 1.0} and words.sum() > 0
    assert tables.load("reuters").target == "topic"


def test_without_internet_the_courses_data_sets_say_so(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(tables, "_unreachable", {})

    def offline(*args, **kwargs):
        raise OSError("Name or service not known")

    with pytest.raises(tables.TableError, match="could not download it"):
        tables._keras("boston", fetch=offline)


# --- the course's data sets on a machine without internet (nothing here opens a real connection) -------------
def test_a_download_server_that_does_not_answer_is_given_up_on_within_the_timeout(monkeypatch):
    import socket
    import threading
    import time

    answer = threading.Event()

    def hangs(address, timeout=None):
        answer.wait(10)  # a name lookup or a connect that does not answer
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", hangs)
    monkeypatch.setattr(tables.urllib.request, "getproxies", dict)
    started = time.monotonic()
    assert tables.reachable("storage.example", timeout=0.3) == "no answer within 0.3 s"
    assert time.monotonic() - started < 1.5
    answer.set()

    def refused(address, timeout=None):
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refused)
    assert tables.reachable("storage.example", timeout=0.3) == "Network is unreachable"


def test_without_internet_keras_is_not_called_the_failure_is_remembered_and_an_offline_table_offered(
    tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(tables, "_unreachable", {})
    probes = []

    def unreachable(host, *args, **kwargs):
        probes.append(host)
        return "Network is unreachable"

    def download(*args, **kwargs):
        raise AssertionError("Keras's download must not start when the server is unreachable")

    from tensorflow import keras

    monkeypatch.setattr(tables, "reachable", unreachable)
    monkeypatch.setattr(keras.utils, "get_file", download)
    with pytest.raises(tables.OfflineError, match="could not download it \\(Network is unreachable\\)") as error:
        tables.load("boston")
    assert error.value.instead == "diabetes" and tables.SOURCES[error.value.instead].offline
    assert probes == ["storage.googleapis.com"]
    for name, instead in (("imdb", "breast_cancer"), ("reuters", "wine")):  # the same server: not tried again
        with pytest.raises(tables.OfflineError, match="s ago; it is tried again 5 minutes after") as error:
            tables.load(name)
        assert error.value.instead == instead and tables.SOURCES[instead].task == tables.SOURCES[name].task
    assert probes == ["storage.googleapis.com"]
    later = __import__("time").monotonic() + tables.RETRY_SECONDS + 1
    with pytest.raises(tables.OfflineError):
        tables.keras_file("boston", clock=lambda: later)  # five minutes on, it is tried again
    assert len(probes) == 2


def test_the_table_list_marks_the_sets_that_need_internet_until_they_are_downloaded(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    marked = {name for name in tables.SOURCES if "needs internet" in tables.label(name)}
    assert marked == {"boston", "imdb", "reuters"} == {n for n, s in tables.SOURCES.items() if not s.offline}
    keras_layout(tmp_path / "datasets")
    assert [tables.label(name) for name in tables.SOURCES] == [s.title for s in tables.SOURCES.values()]


# --- the clickable confusion matrix ----------------------------------------------------------------------
def test_the_confusion_figure_has_one_clickable_point_per_cell():
    import plotly.graph_objects as go

    from dlviz.datalab import figures

    matrix = np.array([[5, 1, 0], [2, 2, 0], [0, 0, 3]])
    labels = ["a", "b", "<i>c</i>"]
    fig = figures.confusion_figure(matrix, labels, chosen=(1, 0))
    go.Figure(fig.to_dict())  # valid with plotly's validation on
    cells = [t for t in fig.data if t.type == "scatter"]
    assert len(cells) == 1 and fig.data[-1] is cells[0]  # on top of the heatmaps
    cells = cells[0]
    assert [tuple(c) for c in cells.customdata] == [(i, j) for i in range(3) for j in range(3)]
    assert list(cells.text) == [str(v) for v in matrix.ravel()]
    names = ["a", "b", "&lt;i&gt;c&lt;/i&gt;"]  # as the heatmaps name the categories: typed, not markup
    assert list(cells.y) == [names[i] for i in range(3) for _ in range(3)]
    assert list(cells.x) == names * 3 and set(fig.data[0].x) == set(names)
    assert cells.hoverinfo != "skip" and cells.marker.opacity == 0  # invisible, yet it takes clicks
    assert fig.layout.hoverdistance == -1  # a click anywhere in a cell reaches its point
    frame = fig.layout.shapes[0]
    assert (frame.x0, frame.x1, frame.y0, frame.y1) == (-0.5, 0.5, 0.5, 1.5)  # row 1 (true b), column 0
    assert not figures.confusion_figure(matrix, labels).layout.shapes


@pytest.mark.parametrize(
    "selection, cell",
    [
        ({"points": [{"curve_number": 3, "point_index": 5, "customdata": [1, 2]}], "point_indices": [5]}, (1, 2)),
        ({"points": [{"customdata": [0, 0]}, {"customdata": [2, 1]}]}, (2, 1)),  # the last one clicked
        ({"points": [], "point_indices": [], "box": [], "lasso": []}, None),  # clicked again: deselected
        ({"points": [{"x": "a", "y": "b"}]}, None),  # a heatmap's point, no cell
        ({"points": [{"customdata": [7, 0]}]}, None),  # outside this matrix
        ({"points": [{"customdata": ["x", None]}]}, None),
        (None, None),
    ],
)
def test_a_chart_selection_maps_to_the_clicked_cell(selection, cell):
    from dlviz.datalab import figures

    assert figures.clicked_cell(selection, 3) == cell


# --- K-fold in turns, the same figures -------------------------------------------------------------------
def kfold_in_one_turn_per_fold(s: DataLabSettings, d: engine.Prepared) -> list:
    """K-fold as it was before it took turns: each fold's epochs in one call (the reference figures)."""
    rows = np.concatenate([d.split.train, d.split.val])
    histories = []
    for i, (train_rows, val_rows) in enumerate(prep.folds(rows, s.k)):
        x = prep.encode(d.frame, d.plan, train_rows).x
        model = engine.build_model(s, x.shape[1], d.task, d.n_outputs, x[train_rows])
        trainer = engine.Trainer(
            model, x[train_rows], engine.targets_for_loss(s, d, d.target.values[train_rows]), x[val_rows],
            engine.targets_for_loss(s, d, d.target.values[val_rows]), batch_size=s.batch, seed=s.seed + i,
            metric=engine.trainer_metric(s, d.task), shuffle=s.shuffle, jit_compile=False,
        )  # fmt: skip
        trainer.run(s.epochs)
        histories.append(trainer.history)
    return histories


def test_kfold_trains_in_many_short_turns_and_gives_the_same_figures(monkeypatch):
    import contextlib

    from dlviz.core import pacing

    s = replace(DEFAULT, source="iris", k=3, epochs=30, dropout=0.2, shuffle=True)
    d = engine.prepare(tables.load("iris"), s)
    expected = kfold_in_one_turn_per_fold(s, d)
    turns, real_turn = [], pacing.turn

    @contextlib.contextmanager
    def counted():
        with real_turn():
            turns.append(1)
            yield

    monkeypatch.setattr(pacing, "turn", counted)
    calls = []
    run = engine.Trainer.run
    monkeypatch.setattr(engine.Trainer, "run", lambda self, n: calls.append(n) or run(self, n))
    result = engine.kfold(s, d)
    assert [h.__dict__ for h in result.histories] == [h.__dict__ for h in expected]  # bit for bit
    assert len(turns) == len(calls) >= 2 * s.k  # a fold's first turn is its first epoch alone (the trace)
    assert max(calls) < s.epochs and sum(calls) == s.k * s.epochs


# --- the first epoch traced ahead ---------------------------------------------------------------------------
def unshared(run: LabRun) -> LabRun:
    """``run`` with a compiled epoch of its own, as before sessions shared them."""
    from dlviz.core import training

    t = run.trainer
    t._share, t._own = None, training._Engine(run.model, t.shuffle, t._metric, t.jit_compile)
    return run


def test_warm_traces_the_epoch_ahead_and_training_stays_exactly_as_without_it(monkeypatch):
    from dlviz.core import training

    s = replace(DEFAULT, source="wine", dropout=0.3, l2=0.001, shuffle=True, early_stopping=False)
    d = engine.prepare(tables.load("wine"), s)
    warmed, plain = LabRun(s, d), unshared(LabRun(s, d))
    before = [v.numpy().copy() for v in warmed.model.variables]
    seen, run_epochs = [], engine.Trainer.run

    def watched(trainer, n):
        out = run_epochs(trainer, n)
        seen.append((warmed.epoch, len(warmed.history), len(out)))  # what the page would read meanwhile
        return out

    monkeypatch.setattr(engine.Trainer, "run", watched)
    assert warmed.warm() and warmed.warmed and not warmed.warm()  # once
    monkeypatch.undo()
    assert seen == [(0, 0, 1)]  # the epoch ran, and the run never showed it
    assert warmed.epoch == 0 and not len(warmed.history)
    for a, b in zip(before, warmed.model.variables, strict=True):
        np.testing.assert_array_equal(a, b.numpy())
    assert int(warmed.model.optimizer.iterations.numpy()) == 0
    n = len(d.split.train)
    size = (min(s.batch, n), n)
    [shared] = training._ENGINES[warmed.trainer._key()]  # one engine for the room, on a twin of the network
    assert shared.model is not warmed.model and ("quick", size) in shared.ready
    assert warmed.trainer._quick_now(None, *size)  # wine's rows leave a smaller last batch: the quick epoch first
    quick = shared.quick_fn(*size)
    assert quick.experimental_get_tracing_count() == 1
    later = LabRun(s, d)  # another participant, the same network on the same table: nothing to trace
    assert later.trainer._key() == warmed.trainer._key()
    assert later.warm() and training._ENGINES[warmed.trainer._key()] == [shared]
    for run in (warmed, plain, later):
        run.train(3)
        run.trainer.wait_behind()
        run.train(2)
    assert quick.experimental_get_tracing_count() == 1  # Step used the traced epoch
    assert shared.epoch_fn(*size).experimental_get_tracing_count() == 1  # then the static one, traced behind
    assert warmed.history.__dict__ == plain.history.__dict__ == later.history.__dict__  # bit for bit
    for a, b, c in zip(warmed.model.variables, plain.model.variables, later.model.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_array_equal(a.numpy(), c.numpy())
    assert not warmed.warm()  # trained: nothing to warm


def test_batch_normalization_keeps_the_quick_epoch_so_its_figures_never_depend_on_the_servers_traces():
    """Its statistics round otherwise over the static epoch's last batch: a run trains the same, bit for bit,
    whether or not the static epoch was traced behind it (for a shared epoch: by another session)."""
    s = replace(DEFAULT, source="wine", batchnorm=True, dropout=0.2, early_stopping=False)
    d = engine.prepare(tables.load("wine"), s)
    runs = [unshared(LabRun(s, d)) for _ in range(2)]
    runs[1].trainer.quick = "only"
    for run in runs:
        run.train(3)
        run.trainer.wait_behind()
        run.train(2)
    assert not runs[0].trainer._own.traced  # nothing traced behind
    assert runs[0].history.__dict__ == runs[1].history.__dict__
    for a, b in zip(runs[0].model.variables, runs[1].model.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_shared_epoch_keeps_the_tables_adapted_statistics():
    """A compiled epoch holds the Normalization layer's mean and variance as constants: a twin gets the
    network's own, and another split (other statistics) is another key, so never the wrong scaling."""
    from dlviz.core import training

    s = replace(DEFAULT, source="wine", early_stopping=False)
    d = engine.prepare(tables.load("wine"), s)
    run = LabRun(s, d)
    twin = training._twin(run.model)
    x = d.x("val")
    np.testing.assert_allclose(twin.predict(x, verbose=0), run.model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    other = LabRun(replace(s, seed=1), engine.prepare(tables.load("wine"), replace(s, seed=1)))
    assert other.trainer._key() != run.trainer._key()
    raw = replace(s, normalize=False)
    assert LabRun(raw, d).trainer._key() != run.trainer._key()
    uploaded = LabRun(s, d, model=engine.build_model(s, x.shape[1], d.task, d.n_outputs, d.x("train")))
    assert uploaded.trainer._own is not None  # a model loaded from a file trains on its own engine


def test_warm_soon_warms_in_a_training_turn_and_a_stale_run_is_left_alone(monkeypatch):
    import contextlib

    from dlviz.core import pacing

    held = []

    @contextlib.contextmanager
    def turn():
        held.append(1)
        yield

    monkeypatch.setattr(pacing, "turn", turn)
    s = replace(DEFAULT, epochs=5)
    d = engine.prepare(tables.load("iris"), s)
    run = LabRun(s, d)
    thread = engine.warm_soon(run)
    thread.join(60)
    assert run.warmed and held == [1] and engine.warm_soon(run) is None
    stale = LabRun(s, d)
    stale.stale = True
    assert engine.warm_soon(stale) is None and not stale.warm() and not stale.warmed


def test_wait_warm_waits_for_the_trace_but_never_longer_than_its_bound(monkeypatch):
    import threading

    s = replace(DEFAULT, epochs=5)
    run = LabRun(s, engine.prepare(tables.load("iris"), s))
    engine.wait_warm(run)  # nothing warming: returns at once
    release = threading.Event()
    run.warming = threading.Thread(target=release.wait)  # a warm-up stuck behind a busy room's turns
    run.warming.start()
    engine.wait_warm(run, timeout=0.05)
    assert run.warming.is_alive()  # the page went on without it
    release.set()
    fresh = LabRun(s, run.data)
    engine.warm_soon(fresh)
    engine.wait_warm(fresh, timeout=120)
    assert fresh.warmed and not fresh.warming.is_alive()


def test_the_process_warms_once_from_the_servers_warm_up_or_the_page(monkeypatch):
    monkeypatch.setattr(engine, "_process_warm", False)
    assert engine.warm_process() and engine._process_warm  # traced once in this process
    assert not engine.warm_process()
    calls = []
    monkeypatch.setattr(engine, "warm_process", lambda: calls.append(1))
    engine.warm()  # what tfconfig.warm_up calls on each topic's engine
    assert calls == [1]
    with_stopping = LabRun(DEFAULT, engine.prepare(tables.load("iris"), DEFAULT))
    assert DEFAULT.early_stopping and with_stopping.trainer._own is not None  # its callback reads every epoch


def test_the_scales_view_draws_each_features_spread_before_and_after_on_a_log_axis():
    import json

    from dlviz.core import theme
    from dlviz.datalab import figures

    names = ["proline", "<b>hue</b>", *[f"word {i}" for i in range(60)]]
    before = np.r_[300.0, 0.2, np.zeros(60)]
    view = figures.scales_view(names, before, np.ones(62))
    json.dumps(view)
    assert view["labels"][:2] == ["proline", "<b>hue</b>"]  # plain text on a canvas, drawn as typed
    assert len(view["labels"]) == figures.MAX_SCALE_BARS and "first 40 of 62" in view["title"]
    raw, normalized = view["series"]
    assert raw["values"][:3] == [300.0, 0.2, 1e-3]  # a constant feature sits on the floor, not at log(0)
    assert normalized["name"] == "after Normalization" and set(normalized["values"]) == {1.0}
    lo, hi = view["y_range"]
    assert 10**lo <= 1e-3 and 10**hi >= 300 and view["log_y"]
    assert [label for _, label in view["y_ticks"]] == ["0.001", "0.01", "0.1", "1", "10", "100", "1000"]
    off = figures.scales_view(names[:2], before[:2], None, projector=True)
    assert [s["name"] for s in off["series"]] == ["as read"] and off["font"] == theme.PROJECTOR.font
