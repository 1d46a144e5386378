"""Data lab: a Keras network on a real table or your own CSV, trained the way the course trains one."""

import hashlib

import numpy as np
import streamlit as st

from dlviz import ui
from dlviz.core import models, pacing
from dlviz.core.plane import curves_view
from dlviz.datalab import code, prep, tables
from dlviz.datalab import engine as lab
from dlviz.datalab.engine import DataLabSettings, LabRun
from dlviz.ui import datalab as parts

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
upload_box = side.container()  # the file uploader; the settings below do not wait for a table


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
    upload = upload_box.file_uploader("Your CSV", type=["csv", "tsv", "txt"], key="dl.upload",
                                       help=f"Up to {st.get_option('server.maxUploadSize')} MB, {tables.MAX_ROWS:,} rows "
                                            f"(more are cut), {tables.MAX_COLUMNS} columns, {prep.MAX_FEATURES:,} features "
                                            f"after one-hot encoding and {prep.MAX_CLASSES} classes; commas, semicolons or "
                                            "tabs; a header row or none.")  # fmt: skip
    if upload is None:
        st.info("Upload a CSV in the sidebar: one row per example, one column per feature, and the column to "
                "predict. Any separator, UTF-8 or Latin-1, with a header row or without. The network and the "
                "training can be set below it meanwhile.", icon=":material/upload:")  # fmt: skip
        # What such a file looks like (and the browser loads its table viewer now, not after the upload)
        st.caption("For example, the first rows of a file with the column to predict last:")
        st.dataframe(tables.EXAMPLE, hide_index=True)
        lab.warm_process()  # while the file is chosen: the process's first traced epoch costs the most
        return None, ""
    return uploaded(upload)


target_box = side.container()  # the column to predict, once the table is read
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
    ui.sidebar_hint("the data, the network and the training")
    st.stop()


columns = list(table.frame.columns)
target_key = f"dl.target.{table_id}"
ui.initial(target_key, table.target)
target = target_box.selectbox("Column to predict", columns, key=target_key, format_func=lambda c: str(c)[:60],
                              help="The target; every other column is a feature (or dropped, with the reason).")  # fmt: skip
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
ui.sidebar_hint("the data, the network and the training")


def board() -> None:
    """The controls, the curves and the parts below them: a fragment while paused (``LiveControls.board``), so
    Step, the tabs and the parts' own buttons rerun it alone."""
    live.controls()
    loss_col, metric_col = st.columns(2)
    loss_slot, metric_slot = live.slot(loss_col), live.slot(metric_col)
    numbers = live.slot()
    is_regression = data.task == "regression"
    metric_title = "MAE (validation)" if is_regression else "accuracy"

    def describe() -> str:
        h = run.history
        if not len(h):
            return "Press **Play** or **Step** to train."
        what = f"MAE {h.val_accuracy[-1]:.4g}" if is_regression else f"accuracy {h.val_accuracy[-1]:.1%}"
        text = f"Epoch {run.epoch} · training loss {h.loss[-1]:.4g} · validation loss {h.val_loss[-1]:.4g} · validation {what}"
        if run.stopped_epoch is not None:
            kept = f"; restored the weights of epoch {run.restored_epoch}" if run.restored_epoch else ""
            text += f"  \n:material/front_hand: Early stopping stopped training after epoch {run.stopped_epoch}{kept}."
        return text

    def draw(cycle: int) -> None:
        h = run.history
        live.status.markdown(f"**Epoch {run.epoch}** of {run.settings.epochs}")
        best = int(np.argmin(h.val_loss)) + 1 if len(h) and np.all(np.isfinite(h.val_loss)) else None
        ui.curves(loss_slot, curves_view({"training": h.loss, "validation": h.val_loss}, title="Loss",
                                         y_title="loss (log scale)", log_y=True, best_epoch=best, projector=projector),
                  key=f"dl.loss.{cycle}")  # fmt: skip
        series = {"training": h.accuracy, "validation": h.val_accuracy}
        ui.curves(metric_slot, curves_view(series, title=metric_title.capitalize(), y_title=metric_title,
                                           fraction=not is_regression, projector=projector), key=f"dl.metric.{cycle}")  # fmt: skip
        numbers.markdown(describe())

    lab.wait_warm(run)  # the parts below wait for the first epoch's trace: Step is on screen, and trains at once
    live.show(draw, diverged=f"Pick a smaller learning rate than {settings.lr:g} (or turn the Normalization layer on) "
              "and press Reset.")  # fmt: skip
    tabs, part = ui.part_tabs("dl", {k: v for k, v in lab.PARTS.items()}, saved.part)
    shown = ui.read_settings(DataLabSettings, "dl", saved, part=part)
    ui.save_settings(NAME, shown)
    view = parts.View(source, table, table_id, target, data, shown, live, field, projector)
    ui.show_open(tabs, {name: (lambda show=show: show(view)) for name, show in parts.PARTS.items()})
    csv_name = getattr(state.get("dl.upload"), "name", None) or f"{'table' if source == 'csv' else source}.csv"
    ui.code_panel(code.program(shown, data, csv_name), title="Keras code (reads the table's CSV with pandas)")
    live.play()


live.board(board)
