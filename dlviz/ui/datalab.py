"""The Data lab page's parts (the data, the results, K-fold, what the network sees, save and load), each
drawn from a ``View``: the table, its preparation, the run and the page's choices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from dlviz.core.text import short_labels
from dlviz.datalab import code, engine, figures, prep, tables
from dlviz.datalab.engine import DataLabSettings, LabRun
from dlviz.ui.bars import bars
from dlviz.ui.confusion import pick_cell
from dlviz.ui.live import LiveControls, on_click
from dlviz.ui.widgets import chart, plain

state = st.session_state


@dataclass
class View:
    """What the parts show."""

    source: str  # the table's key in tables.SOURCES ("csv": an upload)
    table: tables.Table
    table_id: str  # the table's digest: widget keys that belong to one table
    target: str  # the column to predict
    data: engine.Prepared
    settings: DataLabSettings
    live: LiveControls
    field: Callable[[str], str]  # the page's widget keys (ui.fields)
    projector: bool

    @property
    def run(self) -> LabRun:
        return self.live.run

    @property
    def is_regression(self) -> bool:
        return self.data.task == "regression"

    @property
    def metric_title(self) -> str:
        return "MAE (validation)" if self.is_regression else "accuracy"


PARTS: dict[str, Callable[[View], Any]] = {}


def show_data(view: View) -> None:
    info = tables.SOURCES[view.source]
    st.markdown(f"**{plain(view.table.name)}**: {plain(info.about) if view.source != 'csv' else 'your own table.'}")
    if view.source != "csv":
        st.caption(f"Source and license: {info.origin}")
    n = len(view.data.frame)
    st.markdown(f"**{n:,} rows** with a usable target: {len(view.data.split.train):,} to train on, "
                f"{len(view.data.split.val):,} to validate (tune on these), {len(view.data.split.test):,} for the test. "
                "The test set is evaluated once, at the end: choosing settings by their test figures would tune "
                "the network to the test rows too, and the figure would no longer say how it does on new data.")  # fmt: skip
    st.dataframe(view.table.frame.head(200), height=240)
    plan = view.data.plan
    rows = [{"column": c, "becomes": "a number, standardized"} for c in plan.numbers]
    rows += [{"column": c, "becomes": f"{int(view.table.frame[c].nunique())} one-hot columns"} for c in plan.categories]
    rows += [{"column": c, "becomes": f"dropped: {why}"} for c, why in plan.dropped.items()]
    st.markdown("**What each column becomes**")
    st.dataframe(pd.DataFrame(rows), hide_index=True, height=min(400, 38 + 35 * len(rows)))
    st.caption(
        f"Task rule: {prep.TASK_RULE} Here it says {prep.TASKS[view.data.detected]}; the sidebar's Task overrides it."
    )
    x = view.data.x("train")
    before = x.std(axis=0)
    after = None
    if view.settings.normalize:
        normalizer = view.run.model.layers[0]
        after = np.asarray(normalizer(x)).std(axis=0)
    bars(
        st,
        figures.scales_view(view.data.encoded.columns, before, after, projector=view.projector),
        key="dl.scales",
    )
    if not view.settings.normalize:
        st.warning("No Normalization layer: the features reach the network at their own scales. Turn it on in the "
                   "sidebar to give each one mean 0 and spread 1.", icon=":material/straighten:")  # fmt: skip


def show_results(view: View) -> None:
    if view.live.running:
        st.info("Results are drawn when training stops: press Pause, or let it finish.")
        return
    if not len(view.run.history):
        st.info("Train the network first (Play or Step).")
        return
    part = "val"
    test_col, note_col = st.columns([1, 3], vertical_alignment="center")
    test_col.button("Evaluate on the test set", icon=":material/fact_check:", key="dl.evaluate",
                    disabled=view.run.test is not None, on_click=lambda: state["dl.run"].evaluate_test(),
                    help="Once per run, at the end: every choice made after looking at it would be tuned on "
                         "it, and its figure would no longer say how the network does on data it never "
                         "saw.")  # fmt: skip
    if view.run.test is None:
        note_col.caption("Below: the validation rows. Tune on them (that is what they are for, and it leaks them "
                         "into your choices); evaluate the test set once, when you are done.")  # fmt: skip
    else:
        t = view.run.test
        figure = f"MAE {t['mae']:.4g}" if view.is_regression else f"accuracy {t['accuracy']:.1%}"
        later = f" (this run has trained on to epoch {view.run.epoch}; the test set is not evaluated again)" if (
            view.run.epoch > t["epoch"]) else ""  # fmt: skip
        note_col.success(f"Test set, evaluated once, weights of epoch {t['epoch']}: loss {t['loss']:.4g}, "
                         f"{figure}{later}. Reset or new settings start a run that may look once more.",
                         icon=":material/fact_check:")  # fmt: skip
        part = st.radio("Rows", ["val", "test"], format_func={"val": "validation", "test": "test"}.get,
                        horizontal=True, key="dl.rows")  # fmt: skip
    rows = getattr(view.data.split, part)
    if view.is_regression:
        actual, predicted = view.data.y(part), view.run.predicted(part)
        left, right = st.columns(2)
        chart(left, figures.predicted_figure(actual, predicted, target=str(view.target), projector=view.projector),
                 key="dl.predicted")  # fmt: skip
        chart(right, figures.residuals_figure(actual, predicted, target=str(view.target), projector=view.projector),
                 key="dl.residuals")  # fmt: skip
        return
    matrix = view.run.confusion(part)
    k = len(view.data.classes)
    matrix_col, list_col = st.columns([1, 1])
    cell, empty = pick_cell(matrix_col, list_col, matrix, short_labels(view.data.classes, 16), key="dl",
                            prompt="Show the rows (or click a cell of the matrix)", meant="true", read="predicted",
                            describe=lambda c: f"true {view.data.classes[c[0]]}, predicted {view.data.classes[c[1]]} "
                            f"({matrix[c]})", projector=view.projector, height=320 + 14 * k)  # fmt: skip
    if cell is not None:
        predicted = view.run.predicted(part)
        chosen = rows[(view.data.y(part) == cell[0]) & (predicted == cell[1])]
        list_col.markdown(f"**{len(chosen)} rows**: true {plain(str(view.data.classes[cell[0]]))}, predicted "
                          f"{plain(str(view.data.classes[cell[1]]))}" + (" (the first 200)" if len(chosen) > 200 else ""))  # fmt: skip
        list_col.dataframe(view.data.frame.iloc[chosen].head(200), height=260)
    elif empty is not None:
        list_col.caption(f"No rows are true {plain(str(view.data.classes[empty[0]]))} and predicted "
                         f"{plain(str(view.data.classes[empty[1]]))}.")  # fmt: skip
    list_col.dataframe(engine.per_class(matrix, view.data.classes), hide_index=True,
                       column_config={"precision": st.column_config.NumberColumn(format="percent"),
                                      "recall": st.column_config.NumberColumn(format="percent")})  # fmt: skip
    list_col.caption("Precision: of the rows predicted as a class, the share that are. Recall: of the rows of a "
                     "class, the share found.")  # fmt: skip


def show_kfold(view: View) -> None:
    st.markdown("K-fold validation (Chollet's chapter 4) for small tables: the rows outside the test set in *k* "
                "parts; each part validates a network trained from scratch on the others, and the mean of the k "
                "figures is steadier than one validation split.")  # fmt: skip
    k_col, go_col = st.columns([2, 1], vertical_alignment="bottom")
    k_col.slider("k (folds)", 2, 10, key=view.field("k"))
    key = (view.table_id, view.target, view.settings)
    go_col.button(f"Run K-fold ({view.settings.epochs} epochs each)", icon=":material/view_week:", key="dl.kfold_go",
                  on_click=on_click("dl.kfold_now", True))  # fmt: skip
    if state.pop("dl.kfold_now", False):
        bar = st.progress(0.0, text="fold 1…")
        result = engine.kfold(
            view.settings, view.data, progress=lambda i, k: bar.progress(i / k, text=f"fold {i} of {k} done")
        )
        bar.empty()
        state["dl.kfold"] = (key, result)
    held = state.get("dl.kfold")
    if held is None or held[0] != key:
        st.caption("Press Run K-fold: it trains k networks one after another (early stopping is not used).")
        return
    result = held[1]
    curves = [h.val_accuracy for h in result.histories]
    fig = figures.kfold_figure(curves, result.mean_curve("val_accuracy"), y_title=view.metric_title,
                               fraction=not view.is_regression, projector=view.projector)  # fmt: skip
    chart(st, fig, key="dl.kfold")
    name = engine.metric_name(view.data.task)
    finals = np.array([f[name] for f in result.final])
    st.dataframe(pd.DataFrame({"fold": range(1, result.k + 1), "validation loss": [f["loss"] for f in result.final],
                               f"validation {name}": finals}), hide_index=True)  # fmt: skip
    shown = (lambda v: f"{v:.4g}") if view.is_regression else (lambda v: f"{v:.1%}")
    st.markdown(f"Mean validation {name}: **{shown(finals.mean())}** (spread {shown(finals.std())} across folds).")


def show_sees(view: View) -> None:
    x = view.data.x("train")[: view.settings.batch]
    cols = short_labels(view.data.encoded.columns, 20)
    st.markdown(f"**One batch**, as the network receives it: a tensor of shape `({len(x)}, {x.shape[1]})`, "
                "float32 (samples x features).")  # fmt: skip
    st.dataframe(pd.DataFrame(x[:, :60], columns=cols[:60]), height=220)
    y = view.data.y("train")[: view.settings.batch]
    if view.data.task == "multiclass":
        hot = prep.one_hot(y, len(view.data.classes))
        shape = f"({len(y)}, {len(view.data.classes)})"
        st.markdown(f"**Its targets, one-hot**: `{shape}`" + (" (sparse categorical cross-entropy takes the class "
                    "numbers instead)" if view.settings.class_loss == "sparse" else ""))  # fmt: skip
        st.dataframe(pd.DataFrame(hot.astype(int), columns=short_labels(view.data.classes, 16)), height=200)
    else:
        st.markdown(f"**Its targets**: `({len(y)},)`" + (f", 0 = {plain(str(view.data.classes[0]))}, "
                                                        f"1 = {plain(str(view.data.classes[1]))}"
                                                        if view.data.classes else ""))  # fmt: skip
        st.dataframe(pd.DataFrame({str(view.target): y}), height=200)
    row = view.data.split.train[0]
    raw = view.data.frame.iloc[[row]]
    st.markdown("**One row** as read, as numbers, and after the Normalization layer")
    st.dataframe(raw, hide_index=True)
    encoded = view.data.encoded.x[[row]]
    shown = {"as numbers": encoded[0]}
    if view.settings.normalize:
        shown["normalized"] = np.asarray(view.run.model.layers[0](encoded))[0]
    st.dataframe(pd.DataFrame(shown, index=cols).T.iloc[:, :60])
    st.markdown("**The network** (`model.summary()`): each layer's weights and parameters")
    summary = engine.summary_rows(view.run.model)
    st.dataframe(pd.DataFrame(summary), hide_index=True)
    total = sum(r["parameters"] for r in summary)
    trained = sum(r["trained"] for r in summary)
    st.caption(f"{total:,} parameters, {trained:,} of them trained (the Normalization layer's mean and variance, "
               "and batch normalization's moving averages, are not trained by gradients).")  # fmt: skip


def show_save(view: View) -> None:
    stem = "table" if view.source == "csv" else view.source
    csv_name = getattr(state.get("dl.upload"), "name", None) or f"{stem}.csv"
    st.markdown("**Download** the trained network, a program that loads it and predicts on new rows, and "
                "the training program with its table.")  # fmt: skip
    a, b, c, d = st.columns(4)
    # The model file and the table's CSV are written when their button is clicked, not on every rerun.
    if len(view.run.history):
        a.download_button("model.keras", view.run.save, file_name="model.keras", icon=":material/download:",
                          key="dl.save_model", on_click="ignore")  # fmt: skip
    else:
        a.caption("Train first to download the model.")
    b.download_button("predict.py", code.predict_program(view.settings, view.data), file_name="predict.py",
                      icon=":material/download:", key="dl.save_predict", on_click="ignore")  # fmt: skip
    c.download_button("train.py", code.program(view.settings, view.data, csv_name), file_name="train.py",
                      icon=":material/download:", key="dl.save_train", on_click="ignore")  # fmt: skip
    if view.source != "csv":
        d.download_button(csv_name, lambda t=view.table: engine.table_csv(t), file_name=csv_name,
                          icon=":material/download:", key="dl.save_csv", on_click="ignore")  # fmt: skip
    st.markdown("**Keep going** with a model saved here: load its `.keras` file (the same table and network).")
    upload = st.file_uploader("A .keras file saved by this page", type=["keras"], key="dl.model_upload",
                              help=f"Up to {engine.MAX_MODEL_MB} MB; loaded with Keras's safe mode (no code runs).")  # fmt: skip
    if upload is not None and state.get("dl.loaded") != upload.file_id:
        try:
            model = engine.load_model(upload.getvalue(), view.data, view.settings)
        except engine.ModelFileError as error:
            st.error(plain(str(error)), icon=":material/error:")
            return
        state["dl.loaded"] = upload.file_id
        view.run.stale = True
        state["dl.run"] = LabRun(view.settings, view.data, model)
        st.success("Loaded: Play or Step trains on from its weights.", icon=":material/upload_file:")


PARTS.update(data=show_data, results=show_results, kfold=show_kfold, sees=show_sees, save=show_save)
