"""Playground: build a network, press Play, watch the decision boundary form."""

import streamlit as st

from dlviz import ui
from dlviz.core import datasets, models, pacing
from dlviz.core.plane import curves_view, plane_view
from dlviz.core.settings import replace
from dlviz.playground import code, figures
from dlviz.playground.engine import (
    LEARNING_RATES,
    MAX_EPOCHS,
    MAX_LAYERS,
    MAX_UNITS,
    REG_RATES,
    PlaygroundRun,
    PlaygroundSettings,
)
from dlviz.ui import edits

NAME = "playground"
state = st.session_state
saved = ui.page_start(NAME, PlaygroundSettings, "Playground",
                      "A real Keras network learns to separate classes. Change its layers, neurons and "
                      "activations, press **Play**, and watch the loss fall and the decision boundary take shape.")  # fmt: skip
field = ui.fields("pg", saved)


side = st.sidebar
side.header("Data")
side.selectbox("Data set", list(datasets.DATASETS), format_func=lambda k: datasets.DATASETS[k].label, key=field("data"))
if datasets.DATASETS[state["pg.data"]].multiclass:
    side.slider("Classes", datasets.MIN_CLASSES, datasets.MAX_CLASSES, key=field("classes"),
                help="The output layer gets one softmax neuron per class, trained with sparse categorical "
                     "cross-entropy.")  # fmt: skip
side.slider("Points", 50, 1000, step=50, key=field("points"))
side.slider("Noise (%)", 0, 50, step=5, key=field("noise"))
side.slider("Training share (%)", 10, 90, step=10, key=field("train_pct"), help="The rest is validation data.")
ui.data_seed(side, field("seed"))
side.multiselect(
    "Input features", list(datasets.FEATURES), format_func=lambda k: datasets.FEATURES[k].label, key=field("features")
)

side.header("Network")
depth = side.number_input("Hidden layers", 0, MAX_LAYERS, key=ui.initial("pg.depth", len(saved.layers)))
layers, activations = [], []
for i in range(depth):
    units_col, act_col = side.columns(2)
    units = saved.layers[i] if i < len(saved.layers) else 4
    layers.append(
        units_col.number_input(f"Layer {i + 1} neurons", 1, MAX_UNITS, key=ui.initial(f"pg.units.{i}", units))
    )
    activations.append(
        act_col.selectbox(
            f"Layer {i + 1} activation",
            models.ACTIVATIONS,
            key=ui.initial(f"pg.act.{i}", saved.activations[i] if i < len(saved.activations) else "tanh"),
        )
    )
if depth == MAX_LAYERS or MAX_UNITS in layers:
    side.caption(f"{MAX_LAYERS} hidden layers of up to {MAX_UNITS} neurons is the largest network here: "
                 "it keeps the server quick for the whole room.")  # fmt: skip
side.selectbox("Regularization", models.REGULARIZERS, format_func=str.upper, key=field("regularization"))
side.select_slider(
    "Regularization rate", sorted({*REG_RATES, saved.reg_rate}), format_func=lambda v: f"{v:g}", key=field("reg_rate")
)
side.slider("Dropout rate", 0.0, 0.9, step=0.05, key=field("dropout"))

side.header("Training")
side.selectbox("Optimizer", list(models.OPTIMIZERS), format_func=models.OPTIMIZERS.get, key=field("optimizer"))
side.select_slider(
    "Learning rate", sorted({*LEARNING_RATES, saved.lr}), format_func=lambda v: f"{v:g}", key=field("lr")
)
side.slider("Batch size", 1, 64, key=field("batch"))
side.number_input(
    "Epoch budget",
    0,
    MAX_EPOCHS,
    step=100,
    key=field("epochs"),
    help=f"0 trains until you pause (at most {MAX_EPOCHS:,}).",
)
side.select_slider("Speed", list(pacing.SPEEDS), format_func=pacing.SPEEDS.get, key=field("speed"),
                   help="Epochs per second while playing. Slow it down to talk the room through the boundary forming.")  # fmt: skip

ui.sidebar_hint()
field("discrete")  # its toggle is on the board
field("added")  # the points added by hand, kept with the settings (and in the link)
settings = ui.read_settings(PlaygroundSettings, "pg", saved, layers=tuple(int(n) for n in layers),
                            activations=tuple(activations)).repaired()  # fmt: skip
if not settings.features:
    st.info("Pick at least one input feature; the network uses x₁ and x₂ until then.")
    settings = replace(settings, features=("x1", "x2"))
if datasets.DATASETS[settings.data].drawn and not settings.added:  # nothing to train yet: a plane to click on
    boundary_col = st.columns([3, 2])[1]
    settings, pick_key = edits.own_points(boundary_col, settings)
    if settings.added:
        st.rerun()  # the first point: the page with its network
    ui.save_settings(NAME, settings)
    edits.empty_plane(boundary_col, pick_key)
    st.stop()
ui.save_settings(NAME, settings)

# --- the participant's network: rebuilt when the model or data change ------------------------
live = ui.LiveControls("pg", settings, PlaygroundRun, speed=settings.speed)
run: PlaygroundRun = live.run


def board() -> None:
    """The controls and everything that shows the network: a fragment while paused (``LiveControls.board``),
    so Step and the board's widgets rerun it alone; they change no setting the network depends on."""
    live.controls(new_weights=field("init"))
    ui.room.send_network(settings, run, playing=live.running)
    network_col, boundary_col = st.columns([3, 2])
    discrete = boundary_col.toggle("Discretize output", key="pg.discrete",
                                   help="Show the decision (the most likely class) instead of how sure it is.")  # fmt: skip
    shown = replace(settings, discrete=discrete)
    if run.settings.discrete != discrete:  # changed on the board, which reruns alone: the run draws it,
        run.adopt(replace(run.settings, discrete=discrete))
    ui.save_settings(NAME, shown)  # and the link keeps it
    added = shown.added
    shown, pick_key = edits.own_points(boundary_col, shown)  # a click on the plane adds or erases a point
    if state.get("pg.added", added) != added:
        st.rerun()  # other data: a new run, drawn by the whole page
    weight_key = edits.weight_editor(network_col, run)  # a click on an edge or a node picks a weight to set
    network_chart = live.slot(network_col)
    boundary_chart = live.slot(boundary_col)
    loss_col, accuracy_col = st.columns(2) if not settings.regression else (st.container(), None)
    loss_chart = live.slot(loss_col)
    accuracy_chart = live.slot(accuracy_col) if accuracy_col else None
    glass = None
    if st.toggle("Glass box: one training point, forward and back", key="pg.glass.on",
                 help="Its forward pass, its loss and every weight's gradient, as numbers, from the real Keras model. "
                      "While paused, the diagram shows the point's inputs and each neuron's activation."):  # fmt: skip
        glass = ui.glass_box(run, settings)
    ui.code_panel(code.playground_program(settings))

    def draw(cycle: int) -> None:
        """Redraw everything that depends on the weights; ``cycle`` keeps element ids unique."""
        h, s = run.history, run.settings
        text = f"**Epoch {run.epoch}**"
        if len(h):
            text += f" · training loss {h.loss[-1]:.4f} · validation loss {h.val_loss[-1]:.4f}"
            if not s.regression:
                text += f" · validation accuracy {h.val_accuracy[-1]:.1%}"
        live.status.markdown(text)
        snap = run.snapshot()
        projector = ui.projector()
        outputs, n_outputs = models.output_layer(s.regression, s.n_classes)
        ui.diagram(network_chart, figures.network_view(
            [datasets.FEATURES[k].label for k in s.features], [*s.layers, n_outputs], snap.weights, snap.node_images,
            activations=[*s.activations, outputs], projector=projector,
            node_values=None if glass is None or live.running else [glass.x, *(d.outputs for d in glass.layers)],
            editable=bool(weight_key) and not live.running, biases=snap.biases),
            key=f"{weight_key or 'pg.net'}.{cycle}")  # fmt: skip
        split = run.split
        clicks = bool(pick_key) and not live.running
        ui.plane(boundary_chart, plane_view(
            snap.axis, snap.output, split.x_train, split.y_train, split.x_val, split.y_val,
            regression=s.regression, discrete=s.discrete, projector=projector, clickable=clicks),
            key=f"{pick_key or 'pg.boundary'}.{cycle}")  # fmt: skip
        losses = {"training loss": h.loss, "validation loss": h.val_loss}
        ui.curves(loss_chart, curves_view(losses, title="Loss", y_title="loss", projector=projector),
                  key=f"pg.loss.{cycle}")  # fmt: skip
        if accuracy_chart is not None:
            accuracy = {"training accuracy": h.accuracy, "validation accuracy": h.val_accuracy}
            ui.curves(accuracy_chart, curves_view(accuracy, title="Accuracy", y_title="accuracy", fraction=True,
                      projector=projector), key=f"pg.accuracy.{cycle}")  # fmt: skip

    live.play(
        draw,
        diverged=f"the loss is no longer a finite number. The learning rate {settings.lr:g} is too large for this "
        f"network; pick a smaller one (try {max(settings.lr / 10, 0.00001):g}) and press Reset.",
        budget=f"Trained {MAX_EPOCHS:,} epochs, the longest run a session may train here. Reset to start again."
        if settings.budget >= MAX_EPOCHS
        else None,
    )


live.board(board)
