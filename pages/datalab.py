"""Data lab: a Keras network on a real table or your own CSV, trained the way the course trains one."""

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from dlviz import ui
from dlviz.core import charts, models, pacing
from dlviz.core.text import short_labels
from dlviz.datalab import code, figures, prep, tables
from dlviz.datalab import engine as lab
from dlviz.datalab.engine import DataLabSettings, LabRun
from dlviz.ui.confusion import pick_cell

NAME = "datalab"
state = st.session_state
saved = ui.page_start(NAME, DataLabSettings, "Data lab",
                      "From toy planes to real tables: pick a data set or upload a CSV, choose what to predict, and "
                      "train a real Keras network on it. Scale the features, pick the last layer and the loss the "
                      "task needs, keep a test set for the end, and read the mistakes.")  # fmt: skip
field = ui.fields("dl", saved)
projector = ui.projector()

side = st.sidebar
side.header("Data")
side.selectbox("Table", list(tables.SOURCES), format_func=tables.label, key=field("source"),
               help="Boston, IMDB and Reuters are downloaded by Keras the first time; the others work offline.")  # fmt: skip
source = state["dl.source"]


@st.cache_data(show_spinner="Reading the table…", max_entries=16)
def built_in(name: str) -> tables.Table:
    return tables.load(name)


def uploaded(upload) -> tuple[tables.Table, str]:
    """The uploaded CSV read once per file: kept in the session with its digest, so a rerun (every click)
    neither hashes nor reads it again, and the same file uploaded again is not read again either."""
    held = state.get("dl.parsed")  # (file id, digest, table or the reason it is refused)
    if held is None or held[0] != upload.file_id:
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()[:16]
        if held is not None and held[1] == digest:
            held = (upload.file_id, *held[1:])
        else:
            try:
                read: tables.Table | str = tables.read_csv(data, upload.name)
            except tables.TableError as error:
                read = str(error)
            held = (upload.file_id, digest, read)
        state["dl.parsed"] = held
    if isinstance(held[2], str):
        raise tables.TableError(held[2])
    return held[2], held[1]


def read_table() -> tuple[tables.Table | None, str]:
    """The chosen table and a name for it (the uploaded file's digest keeps two uploads apart)."""
    if source != "csv":
        return built_in(source), source
    upload = side.file_uploader("Your CSV", type=["csv", "tsv", "txt"], key="dl.upload",
                                help=f"Up to {st.get_option('server.maxUploadSize')} MB, {tables.MAX_ROWS:,} rows "
                                     f"(more are cut), {tables.MAX_COLUMNS} columns, {prep.MAX_FEATURES:,} features "
                                     f"after one-hot encoding and {prep.MAX_CLASSES} classes; commas, semicolons or "
                                     "tabs; a header row or none.")  # fmt: skip
    if upload is None:
        st.info("Upload a CSV in the sidebar: one row per example, one column per feature, and the column to "
                "predict. Any separator, UTF-8 or Latin-1, with a header row or without.", icon=":material/upload:")  # fmt: skip
        lab.warm_process()  # while the file is chosen: the process's first traced epoch costs the most
        return None, ""
    return uploaded(upload)


table, table_id = None, ""
try:
    table, table_id = read_table()
except tables.OfflineError as error:
    st.error(ui.plain(str(error)), icon=":material/wifi_off:")
    st.button(f"Use {tables.SOURCES[error.instead].title} instead (works offline)", key="dl.offline",
              icon=":material/swap_horiz:", on_click=ui.on_click("dl.source", error.instead))  # fmt: skip
except tables.TableError as error:
    st.error(ui.plain(str(error)), icon=":material/table_chart:")
if table is None:
    st.stop()

columns = list(table.frame.columns)
target_key = f"dl.target.{table_id}"
ui.initial(target_key, table.target)
target = side.selectbox("Column to predict", columns, key=target_key, format_func=lambda c: str(c)[:60],
                        help="The target; every other column is a feature (or dropped, with the reason).")  # fmt: skip
side.selectbox("Task", list(lab.TASK_CHOICES), format_func=lab.TASK_CHOICES.get, key=field("task"),
               help=prep.TASK_RULE)  # fmt: skip
val_col, test_col = side.columns(2)
val_col.slider("Validation (%)", 5, 50, step=5, key=field("val_pct"))
test_col.slider("Test (%)", 5, 50, step=5, key=field("test_pct"), help="Kept aside and evaluated once, at the end.")
ui.data_seed(side, field("seed"))

side.header("Network")
side.toggle("Standardize the features (Normalization layer)", key=field("normalize"),
            help="keras.layers.Normalization, adapted on the training rows: each feature gets mean 0 and "
                 "standard deviation 1. Turn it off and watch training suffer on tables of mixed scales.")  # fmt: skip
depth_col, units_col = side.columns(2)
depth_col.slider("Hidden layers", 0, 4, key=field("depth"))
units_col.select_slider("Neurons each", sorted({*lab.UNITS, saved.units}), key=field("units"))
side.selectbox("Activation", lab.ACTIVATIONS, key=field("activation"))
side.slider("Dropout", 0.0, 0.8, step=0.05, key=field("dropout"), help="0 switches dropout off.")
side.toggle("Batch normalization", key=field("batchnorm"))
side.select_slider("L2 weight decay", sorted({0.0, 0.0001, 0.001, 0.01, 0.1, saved.l2}),
                   format_func=lambda v: f"{v:g}" if v else "off", key=field("l2"))  # fmt: skip

side.header("Training")
side.selectbox("Optimizer", list(models.OPTIMIZERS), format_func=models.OPTIMIZERS.get, key=field("optimizer"))
side.select_slider("Learning rate", sorted({*lab.LEARNING_RATES, saved.lr}), format_func=lambda v: f"{v:g}",
                   key=field("lr"))  # fmt: skip
side.select_slider("Batch size", sorted({*lab.BATCHES, saved.batch}), key=field("batch"))
side.number_input("Epochs", 1, 2000, step=50, key=field("epochs"))
side.toggle("Shuffle every epoch", key=field("shuffle"),
            help="fit's default. Off, the rows were shuffled once when split and go in that order every epoch, "
                 "so the Keras program below reproduces this page's figures exactly.")  # fmt: skip
side.toggle("Early stopping", key=field("early_stopping"), help="keras.callbacks.EarlyStopping on the validation loss.")
if state["dl.early_stopping"]:
    pat_col, delta_col = side.columns(2)
    pat_col.number_input("Patience", 1, 500, key=field("patience"), help="Epochs without improvement to wait.")
    delta_col.number_input("min_delta", 0.0, 1.0, step=0.001, format="%.3f", key=field("min_delta"),
                           help="A smaller drop in validation loss is no improvement.")  # fmt: skip
    side.toggle("Restore best weights", key=field("restore_best"))
side.select_slider("Speed", list(pacing.SPEEDS), format_func=pacing.SPEEDS.get, key=field("speed"))

settings = ui.read_settings(DataLabSettings, "dl", saved)
ui.save_settings(NAME, settings)


# --- the data, prepared once per table, target and split ------------------------------------------------
def prepared() -> lab.Prepared | None:
    key = (table_id, target, settings.data_key())
    held = state.get("dl.prepared")
    if held is None or held[0] != key:
        try:
            state["dl.prepared"] = (key, lab.prepare(table, settings, target))
        except prep.PrepError as error:
            st.error(ui.plain(str(error)), icon=":material/rule:")
            return None
    return state["dl.prepared"][1]


data = prepared()
if data is None:
    st.stop()
for note in data.notes:
    st.caption(":material/info: " + ui.plain(note))
if data.task == "multiclass":
    side.radio("Loss", list(lab.CLASS_LOSSES), format_func=lab.CLASS_LOSSES.get, key=field("class_loss"),
               help="Sparse: the targets are class numbers. Categorical: one-hot rows. The same loss.")  # fmt: skip
elif data.task == "regression":
    side.radio("Loss", list(lab.REGRESSION_LOSSES), format_func=str.upper, key=field("regression_loss"),
               help="MSE punishes large errors most; MAE (Kaggle's choice) treats every error alike.")  # fmt: skip
settings = ui.read_settings(DataLabSettings, "dl", saved)
ui.save_settings(NAME, settings)

last, loss, metric = lab.LAST_LAYER[data.task]
n_classes = f" ({len(data.classes)} classes)" if data.classes else ""
st.markdown(f"Predicting **{ui.plain(str(target))}** from **{data.encoded.x.shape[1]} features**: "
            f"{prep.TASKS[data.task]}{n_classes}" + (" (detected)" if settings.task == "detect" else "") +
            f". Chollet's table gives the last layer `{last.replace('k', str(data.n_outputs))}`, the loss "
            f"`{lab.loss_name(settings, data.task)}` and the metric `{lab.metric_name(data.task)}`.")  # fmt: skip
with st.expander("Chollet's table: the last layer and the loss for each task", icon=":material/table_rows:"):
    st.dataframe(lab.chollet_table(data.task), hide_index=True)

# --- the run --------------------------------------------------------------------------------------------
run_now = state.get("dl.run")
if run_now is not None and getattr(run_now, "data", None) is not data:
    state["dl.reset"] = True  # a new table, target or split: a new network
live = ui.LiveControls("dl", settings, lambda s: LabRun(s, data), speed=settings.speed)
run: LabRun = live.run
if run_now is not None and run_now is not run:
    run_now.stale = True  # its warm-up, if still waiting for a turn, is not needed any more
    state.pop("dl.cell_empty", None)  # an empty cell clicked in its confusion matrix
if not live.running:
    lab.warm_soon(run)  # trace the first epoch while the page is drawn: Step then trains at once
live.controls()
ui.sidebar_hint("the data, the network and the training")
loss_col, metric_col = st.columns(2)
loss_slot, metric_slot = loss_col.empty(), metric_col.empty()
numbers = st.empty()
is_regression = data.task == "regression"
metric_title = "MAE (validation)" if is_regression else "accuracy"


def describe() -> str:
    h = run.history
    if not len(h):
        return "Press **Play** or **Step** to train."
    what = f"MAE {h.val_accuracy[-1]:.4g}" if is_regression else f"accuracy {h.val_accuracy[-1]:.1%}"
    text = (
        f"Epoch {run.epoch} · training loss {h.loss[-1]:.4g} · validation loss {h.val_loss[-1]:.4g} · validation {what}"
    )
    if run.stopped_epoch is not None:
        kept = f"; restored the weights of epoch {run.restored_epoch}" if run.restored_epoch else ""
        text += f"  \n:material/front_hand: Early stopping stopped training after epoch {run.stopped_epoch}{kept}."
    return text


def draw(cycle: int) -> None:
    h = run.history
    live.status.markdown(f"**Epoch {run.epoch}** of {run.settings.epochs}")
    best = int(np.argmin(h.val_loss)) + 1 if len(h) and np.all(np.isfinite(h.val_loss)) else None
    ui.chart(loss_slot, charts.curves_figure({"training": h.loss, "validation": h.val_loss}, title="Loss",
                                             y_title="loss (log scale)", log_y=True,
                                             projector=projector, best_epoch=best), key=f"dl.loss.{cycle}")  # fmt: skip
    series = {"training": h.accuracy, "validation": h.val_accuracy}
    ui.chart(metric_slot, charts.curves_figure(series, title=metric_title.capitalize(), y_title=metric_title,
                                               projector=projector, fraction=not is_regression),
             key=f"dl.metric.{cycle}")  # fmt: skip
    numbers.markdown(describe())


# --- the parts ------------------------------------------------------------------------------------------
def show_data() -> None:
    info = tables.SOURCES[source]
    st.markdown(f"**{ui.plain(table.name)}**: {ui.plain(info.about) if source != 'csv' else 'your own table.'}")
    if source != "csv":
        st.caption(f"Source and license: {info.origin}")
    n = len(data.frame)
    st.markdown(f"**{n:,} rows** with a usable target: {len(data.split.train):,} to train on, "
                f"{len(data.split.val):,} to validate (tune on these), {len(data.split.test):,} for the test. "
                "The test set is evaluated once, at the end: choosing settings by their test figures would tune "
                "the network to the test rows too, and the figure would no longer say how it does on new data.")  # fmt: skip
    st.dataframe(table.frame.head(200), height=240)
    plan = data.plan
    rows = [{"column": c, "becomes": "a number, standardized"} for c in plan.numbers]
    rows += [{"column": c, "becomes": f"{int(table.frame[c].nunique())} one-hot columns"} for c in plan.categories]
    rows += [{"column": c, "becomes": f"dropped: {why}"} for c, why in plan.dropped.items()]
    st.markdown("**What each column becomes**")
    st.dataframe(pd.DataFrame(rows), hide_index=True, height=min(400, 38 + 35 * len(rows)))
    st.caption(
        f"Task rule: {prep.TASK_RULE} Here it says {prep.TASKS[data.detected]}; the sidebar's Task overrides it."
    )
    x = data.x("train")
    before = x.std(axis=0)
    after = None
    if settings.normalize:
        normalizer = run.model.layers[0]
        after = np.asarray(normalizer(x)).std(axis=0)
    ui.chart(st.empty(), figures.scales_figure(data.encoded.columns, before, after, projector=projector),
             key="dl.scales")  # fmt: skip
    if not settings.normalize:
        st.warning("No Normalization layer: the features reach the network at their own scales. Turn it on in the "
                   "sidebar to give each one mean 0 and spread 1.", icon=":material/straighten:")  # fmt: skip


def show_results() -> None:
    if live.running:
        st.info("Results are drawn when training stops: press Pause, or let it finish.")
        return
    if not len(run.history):
        st.info("Train the network first (Play or Step).")
        return
    part = "val"
    test_col, note_col = st.columns([1, 3], vertical_alignment="center")
    test_col.button("Evaluate on the test set", icon=":material/fact_check:", key="dl.evaluate",
                    disabled=run.test is not None, on_click=lambda: state["dl.run"].evaluate_test(),
                    help="Once per run, at the end: every choice made after looking at it would be tuned on "
                         "it, and its figure would no longer say how the network does on data it never "
                         "saw.")  # fmt: skip
    if run.test is None:
        note_col.caption("Below: the validation rows. Tune on them (that is what they are for, and it leaks them "
                         "into your choices); evaluate the test set once, when you are done.")  # fmt: skip
    else:
        t = run.test
        figure = f"MAE {t['mae']:.4g}" if is_regression else f"accuracy {t['accuracy']:.1%}"
        later = f" (this run has trained on to epoch {run.epoch}; the test set is not evaluated again)" if (
            run.epoch > t["epoch"]) else ""  # fmt: skip
        note_col.success(f"Test set, evaluated once, weights of epoch {t['epoch']}: loss {t['loss']:.4g}, "
                         f"{figure}{later}. Reset or new settings start a run that may look once more.",
                         icon=":material/fact_check:")  # fmt: skip
        part = st.radio("Rows", ["val", "test"], format_func={"val": "validation", "test": "test"}.get,
                        horizontal=True, key="dl.rows")  # fmt: skip
    rows = getattr(data.split, part)
    if is_regression:
        actual, predicted = data.y(part), run.predicted(part)
        left, right = st.columns(2)
        ui.chart(left.empty(), figures.predicted_figure(actual, predicted, target=str(target), projector=projector),
                 key="dl.predicted")  # fmt: skip
        ui.chart(right.empty(), figures.residuals_figure(actual, predicted, target=str(target), projector=projector),
                 key="dl.residuals")  # fmt: skip
        return
    matrix = run.confusion(part)
    k = len(data.classes)
    matrix_col, list_col = st.columns([1, 1])
    cell, empty = pick_cell(matrix_col, list_col, matrix, short_labels(data.classes, 16), key="dl",
                            prompt="Show the rows (or click a cell of the matrix)", meant="true", read="predicted",
                            describe=lambda c: f"true {data.classes[c[0]]}, predicted {data.classes[c[1]]} "
                            f"({matrix[c]})", projector=projector, height=320 + 14 * k)  # fmt: skip
    if cell is not None:
        predicted = run.predicted(part)
        chosen = rows[(data.y(part) == cell[0]) & (predicted == cell[1])]
        list_col.markdown(f"**{len(chosen)} rows**: true {ui.plain(str(data.classes[cell[0]]))}, predicted "
                          f"{ui.plain(str(data.classes[cell[1]]))}" + (" (the first 200)" if len(chosen) > 200 else ""))  # fmt: skip
        list_col.dataframe(data.frame.iloc[chosen].head(200), height=260)
    elif empty is not None:
        list_col.caption(f"No rows are true {ui.plain(str(data.classes[empty[0]]))} and predicted "
                         f"{ui.plain(str(data.classes[empty[1]]))}.")  # fmt: skip
    list_col.dataframe(lab.per_class(matrix, data.classes), hide_index=True,
                       column_config={"precision": st.column_config.NumberColumn(format="percent"),
                                      "recall": st.column_config.NumberColumn(format="percent")})  # fmt: skip
    list_col.caption("Precision: of the rows predicted as a class, the share that are. Recall: of the rows of a "
                     "class, the share found.")  # fmt: skip


def show_kfold() -> None:
    st.markdown("K-fold validation (Chollet's chapter 4) for small tables: the rows outside the test set in *k* "
                "parts; each part validates a network trained from scratch on the others, and the mean of the k "
                "figures is steadier than one validation split.")  # fmt: skip
    k_col, go_col = st.columns([2, 1], vertical_alignment="bottom")
    k_col.slider("k (folds)", 2, 10, key=field("k"))
    key = (table_id, target, settings)
    go_col.button(f"Run K-fold ({settings.epochs} epochs each)", icon=":material/view_week:", key="dl.kfold_go",
                  on_click=ui.on_click("dl.kfold_now", True))  # fmt: skip
    if state.pop("dl.kfold_now", False):
        bar = st.progress(0.0, text="fold 1…")
        result = lab.kfold(settings, data, progress=lambda i, k: bar.progress(i / k, text=f"fold {i} of {k} done"))
        bar.empty()
        state["dl.kfold"] = (key, result)
    held = state.get("dl.kfold")
    if held is None or held[0] != key:
        st.caption("Press Run K-fold: it trains k networks one after another (early stopping is not used).")
        return
    result = held[1]
    curves = [h.val_accuracy for h in result.histories]
    fig = figures.kfold_figure(curves, result.mean_curve("val_accuracy"), y_title=metric_title,
                               fraction=not is_regression, projector=projector)  # fmt: skip
    ui.chart(st.empty(), fig, key="dl.kfold")
    name = lab.metric_name(data.task)
    finals = np.array([f[name] for f in result.final])
    st.dataframe(pd.DataFrame({"fold": range(1, result.k + 1), "validation loss": [f["loss"] for f in result.final],
                               f"validation {name}": finals}), hide_index=True)  # fmt: skip
    shown = (lambda v: f"{v:.4g}") if is_regression else (lambda v: f"{v:.1%}")
    st.markdown(f"Mean validation {name}: **{shown(finals.mean())}** (spread {shown(finals.std())} across folds).")


def show_sees() -> None:
    x = data.x("train")[: settings.batch]
    cols = short_labels(data.encoded.columns, 20)
    st.markdown(f"**One batch**, as the network receives it: a tensor of shape `({len(x)}, {x.shape[1]})`, "
                "float32 (samples x features).")  # fmt: skip
    st.dataframe(pd.DataFrame(x[:, :60], columns=cols[:60]), height=220)
    y = data.y("train")[: settings.batch]
    if data.task == "multiclass":
        hot = prep.one_hot(y, len(data.classes))
        shape = f"({len(y)}, {len(data.classes)})"
        st.markdown(f"**Its targets, one-hot**: `{shape}`" + (" (sparse categorical cross-entropy takes the class "
                    "numbers instead)" if settings.class_loss == "sparse" else ""))  # fmt: skip
        st.dataframe(pd.DataFrame(hot.astype(int), columns=short_labels(data.classes, 16)), height=200)
    else:
        st.markdown(f"**Its targets**: `({len(y)},)`" + (f", 0 = {ui.plain(str(data.classes[0]))}, "
                                                        f"1 = {ui.plain(str(data.classes[1]))}"
                                                        if data.classes else ""))  # fmt: skip
        st.dataframe(pd.DataFrame({str(target): y}), height=200)
    row = data.split.train[0]
    raw = data.frame.iloc[[row]]
    st.markdown("**One row** as read, as numbers, and after the Normalization layer")
    st.dataframe(raw, hide_index=True)
    encoded = data.encoded.x[[row]]
    shown = {"as numbers": encoded[0]}
    if settings.normalize:
        shown["normalized"] = np.asarray(run.model.layers[0](encoded))[0]
    st.dataframe(pd.DataFrame(shown, index=cols).T.iloc[:, :60])
    st.markdown("**The network** (`model.summary()`): each layer's weights and parameters")
    summary = lab.summary_rows(run.model)
    st.dataframe(pd.DataFrame(summary), hide_index=True)
    total = sum(r["parameters"] for r in summary)
    trained = sum(r["trained"] for r in summary)
    st.caption(f"{total:,} parameters, {trained:,} of them trained (the Normalization layer's mean and variance, "
               "and batch normalization's moving averages, are not trained by gradients).")  # fmt: skip


def show_save() -> None:
    stem = "table" if source == "csv" else source
    csv_name = getattr(state.get("dl.upload"), "name", None) or f"{stem}.csv"
    st.markdown("**Download** the trained network, a program that loads it and predicts on new rows, and "
                "the training program with its table.")  # fmt: skip
    a, b, c, d = st.columns(4)
    # The model file and the table's CSV are written when their button is clicked, not on every rerun.
    if len(run.history):
        a.download_button("model.keras", run.save, file_name="model.keras", icon=":material/download:",
                          key="dl.save_model", on_click="ignore")  # fmt: skip
    else:
        a.caption("Train first to download the model.")
    b.download_button("predict.py", code.predict_program(settings, data), file_name="predict.py",
                      icon=":material/download:", key="dl.save_predict", on_click="ignore")  # fmt: skip
    c.download_button("train.py", code.program(settings, data, csv_name), file_name="train.py",
                      icon=":material/download:", key="dl.save_train", on_click="ignore")  # fmt: skip
    if source != "csv":
        d.download_button(csv_name, lambda t=table: lab.table_csv(t), file_name=csv_name,
                          icon=":material/download:", key="dl.save_csv", on_click="ignore")  # fmt: skip
    st.markdown("**Keep going** with a model saved here: load its `.keras` file (the same table and network).")
    upload = st.file_uploader("A .keras file saved by this page", type=["keras"], key="dl.model_upload",
                              help=f"Up to {lab.MAX_MODEL_MB} MB; loaded with Keras's safe mode (no code runs).")  # fmt: skip
    if upload is not None and state.get("dl.loaded") != upload.file_id:
        try:
            model = lab.load_model(upload.getvalue(), data, settings)
        except lab.ModelFileError as error:
            st.error(ui.plain(str(error)), icon=":material/error:")
            return
        state["dl.loaded"] = upload.file_id
        run.stale = True
        state["dl.run"] = LabRun(settings, data, model)
        st.success("Loaded: Play or Step trains on from its weights.", icon=":material/upload_file:")


tabs, part = ui.part_tabs("dl", {k: v for k, v in lab.PARTS.items()}, saved.part)
settings = ui.read_settings(DataLabSettings, "dl", saved, part=part)
ui.save_settings(NAME, settings)
ui.show_open(tabs, {"data": show_data, "results": show_results, "kfold": show_kfold, "sees": show_sees,
                    "save": show_save})  # fmt: skip
csv_name = getattr(state.get("dl.upload"), "name", None) or f"{'table' if source == 'csv' else source}.csv"
ui.code_panel(code.program(settings, data, csv_name), title="Keras code (reads the table's CSV with pandas)")
live.play(draw, diverged=f"Pick a smaller learning rate than {settings.lr:g} (or turn the Normalization layer on) "
          "and press Reset.")  # fmt: skip
