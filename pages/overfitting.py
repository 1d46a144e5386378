"""Overfitting & dropout: a big network memorizes noise; its regularized copy, trained beside it, does not."""

import numpy as np
import streamlit as st

from dlviz import ui
from dlviz.core import charts, pacing
from dlviz.core.settings import replace
from dlviz.overfitting import code, figures
from dlviz.overfitting import engine as of
from dlviz.overfitting.engine import OverfitRace, OverfittingSettings

NAME = "overfitting"
state = st.session_state
saved = ui.page_start(NAME, OverfittingSettings, "Overfitting & dropout",
                      "The **training loss** falls whether a network learns the signal or the noise; the **validation "
                      "loss** falls only for the signal. Two copies of one big network learn the same few noisy points "
                      "from the same starting weights: watch the gap open for the baseline, and the regularizers keep "
                      "it small.")  # fmt: skip
field = ui.fields("of", saved)


side = st.sidebar
side.header("Data")
side.selectbox("Data", list(of.TASKS), format_func=of.TASKS.get, key=field("task"))
regression = state["of.task"] == "curve"
side.slider("Noise (%)" if regression else "Labels flipped (%)", 0, 50, step=5, key=field("noise"),
            help="The noise's spread, in % of the curve's height." if regression else
            "Share of points given the wrong class: noise that no rule can explain.")  # fmt: skip
side.slider("Training points", 10, 200, step=10, key=field("train_points"),
            help=f"The networks learn from these; {of.N_VAL} more points check them (validation).")  # fmt: skip
if not regression:
    side.toggle("Show the validation points", key=field("show_val"), help="The maps show the training points only.")
ui.data_seed(side, field("seed"))

side.header("Capacity (both networks)")
side.select_slider("Neurons per layer (wider)", of.WIDTHS, key=field("width"))
side.slider("Hidden layers (deeper)", 1, 4, key=field("depth"))

side.header("Regularized copy")
side.slider("Dropout rate", 0.0, 0.8, step=0.05, key=field("dropout"), help="0 switches dropout off.")
side.select_slider("L2 weight decay", sorted({*of.L2_RATES, saved.l2}), format_func=lambda v: f"{v:g}" if v else "off",
                   key=field("l2"))  # fmt: skip
side.toggle("Batch normalization", key=field("batchnorm"))
side.toggle("Early stopping", key=field("early_stopping"),
            help="keras.callbacks.EarlyStopping on the validation loss.")  # fmt: skip
if state["of.early_stopping"]:
    side.number_input("Patience (epochs)", 1, 500, key=field("patience"),
                      help="How many epochs without improvement to wait before stopping.")  # fmt: skip
    side.number_input("min_delta", 0.0, 0.1, step=0.001, format="%.3f", key=field("min_delta"),
                      help="A smaller drop in validation loss does not count as an improvement.")  # fmt: skip
    side.toggle("Restore best weights", key=field("restore_best"))

side.header("Training")
side.select_slider("Learning rate (Adam)", sorted({*of.LEARNING_RATES, saved.lr}), format_func=lambda v: f"{v:g}",
                   key=field("lr"))  # fmt: skip
side.select_slider("Batch size", sorted({*of.BATCHES, saved.batch}), key=field("batch"))
side.number_input("Epochs", 10, 3000, step=50, key=field("epochs"),
                  help="At most 3,000: the longest run a session may train here.")  # fmt: skip
side.select_slider("Speed", list(pacing.SPEEDS), format_func=pacing.SPEEDS.get, key=field("speed"),
                   help="Epochs per second while playing (each network).")  # fmt: skip

settings = ui.read_settings(OverfittingSettings, "of", saved)
ui.save_settings(NAME, settings)

params = of.parameter_count(settings)
side.caption(
    f"{settings.depth} x {settings.width} neurons: **{params:,} weights** for {settings.train_points} training "
    f"points. One hidden layer would need {of.equally_big_single_layer(settings):,} neurons for as many weights: "
    "stacking layers (deeper) buys more complex shapes per weight than widening one layer."
)

# --- the two networks: rebuilt when the data or the networks change -------------------------------------
live = ui.LiveControls("of", settings, OverfitRace, speed=settings.speed, most=200)
race: OverfitRace = live.run
ui.sidebar_hint("the data, both networks and the training")


def board() -> None:
    """The controls and both networks: a fragment while paused (``LiveControls.board``), so Step and the
    board's widgets rerun it alone."""
    live.controls(step_help="Train both networks one epoch.")
    ui.room.send_race(settings, race, playing=live.running)
    columns = dict(zip(of.RUNS, st.columns(2, gap="large"), strict=True))
    blurbs = {
        "baseline": f"{settings.depth} x {settings.width} ReLU neurons, nothing to hold it back.",
        "regularized": "The same network with " + (", ".join(settings.regularizers) or "no regularizer yet: turn some on "
                                                    "in the sidebar") + ".",
    }  # fmt: skip
    slots = {}
    for name, col in columns.items():
        col.subheader(name.capitalize())
        col.caption(blurbs[name])
        slots[name] = dict(picture=live.slot(col), curves=live.slot(col), numbers=live.slot(col), notice=live.slot(col))

    st.subheader("Dropout, made visible")
    if settings.dropout > 0:
        st.markdown(
            f"Each training step, dropout switches off a random **{settings.dropout:.0%}** of each hidden layer's units "
            "(a fresh draw every step), so no unit can rely on a few partners: no conspiracies of weights. Every step "
            "trains a different thinned network, and the full network behaves like a committee of them. At inference "
            "all units are on (Keras scales the kept units up during training, so the sums stay the same)."
        )
        inference = st.toggle("Inference: all units on", key=field("inference"))
        if race.settings.inference != inference:  # changed on the board, which reruns alone: the race draws it,
            race.adopt(replace(race.settings, inference=inference))
        ui.save_settings(NAME, replace(settings, inference=inference))  # and the link keeps it
    else:
        st.info("Set a **dropout rate** for the regularized copy to see which units it switches off each step.")
    diagram = live.slot()
    ui.code_panel(code.overfitting_program(settings), title="Keras code for both networks")

    def describe(run: of.Contestant) -> str:
        h = run.history
        if not len(h):
            return "Press **Play** or **Step** to train."
        text = f"Epoch {run.epoch} · training loss {h.loss[-1]:.3f} · validation loss {h.val_loss[-1]:.3f}"
        if not settings.regression:
            text += f" · validation accuracy {h.val_accuracy[-1]:.0%}"
        best = run.best_epoch
        if best is not None:
            text += f"  \nLowest validation loss {h.val_loss[best - 1]:.3f} at epoch {best} (★)"
        return text

    def draw(cycle: int) -> None:
        """Redraw everything that depends on the weights; ``cycle`` keeps element ids unique."""
        projector = ui.projector()
        s, split = race.settings, race.split
        live.status.markdown(f"**Epoch {race.epoch}** of {s.epochs}")
        outputs = race.outputs()
        x_range, y_range = race.loss_ranges()
        for name, run in race.runs.items():
            slot = slots[name]
            if s.regression:
                picture = figures.curve_fit_figure(split.x_train, split.y_train, split.x_val, split.y_val, race.axis,
                                                   np.sin(1.5 * race.axis), outputs[name], projector=projector)  # fmt: skip
            else:
                shown = split if s.show_val else None
                picture = charts.boundary_figure(
                    race.axis, outputs[name], split.x_train, split.y_train,
                    shown.x_val if shown else np.zeros((0, 2)), shown.y_val if shown else np.zeros(0),
                    projector=projector,
                )  # fmt: skip
            ui.chart(slot["picture"], picture, key=f"of.picture.{name}.{cycle}")
            curves = figures.gap_curves_figure(run.history.loss, run.history.val_loss, best_epoch=run.best_epoch,
                                               stopped_epoch=run.stopped_epoch, restored_epoch=run.restored_epoch,
                                               x_range=x_range, y_range=y_range, projector=projector)  # fmt: skip
            ui.chart(slot["curves"], curves, key=f"of.curves.{name}.{cycle}")
            slot["numbers"].markdown(describe(run))
            if run.trainer.diverged:
                slot["notice"].error(f"Training diverged at epoch {run.epoch}: the loss is no longer a finite number. "
                                     f"Pick a smaller learning rate than {s.lr:g} and press Reset.", icon=":material/warning:")  # fmt: skip
            elif run.stopped_epoch is not None:
                restored = (f" and restored the weights of epoch {run.restored_epoch}, the lowest validation loss"
                            if run.restored_epoch else ", keeping the last epoch's weights")  # fmt: skip
                slot["notice"].success(f"Early stopping stopped training after epoch {run.stopped_epoch}{restored}.",
                                       icon=":material/front_hand:")  # fmt: skip
            elif run.finished_training and run.restored_epoch:
                slot["notice"].info(
                    f"Training ended; early stopping restored the weights of epoch {run.restored_epoch}."
                )
        if s.dropout > 0:
            masks = None if s.inference else race.dropout_masks()
            ui.chart(diagram, figures.dropout_figure(1 if s.regression else 2, list(s.layers), masks,
                                                     projector=projector), key=f"of.dropout.{cycle}")  # fmt: skip

    live.play(draw, budget="", starting="building both networks…")  # each network's notices are its own


live.board(board)
