"""Playground: build a network, press Play, watch the decision boundary form."""

import streamlit as st

from dlviz import codegen, datasets, figures, models, pacing, ui
from dlviz.playground import (
    LEARNING_RATES,
    MAX_EPOCHS,
    MAX_LAYERS,
    MAX_UNITS,
    REG_RATES,
    PlaygroundRun,
    PlaygroundSettings,
)
from dlviz.settings import replace

ui.use_navigation()
NAME = "playground"
state = st.session_state

st.title("Playground")
st.caption(
    "A real Keras network learns to separate two classes. Change its layers, neurons and activations, "
    "press **Play**, and watch the loss fall and the decision boundary take shape."
)
saved = ui.page_settings(PlaygroundSettings, NAME)

seeded = ui.seeder("pg", saved)


def regenerate() -> None:
    state["pg.seed"] = (state["pg.seed"] + 1) % 100_000


side = st.sidebar
side.header("Data")
side.selectbox("Data set", list(datasets.DATASETS), format_func=lambda k: datasets.DATASETS[k].label, key=seeded("data"))
side.slider("Points", 50, 1000, step=50, key=seeded("points"))
side.slider("Noise (%)", 0, 50, step=5, key=seeded("noise"))
side.slider("Training share (%)", 10, 90, step=10, key=seeded("train_pct"), help="The rest is validation data.")
seed_col, regen_col = side.columns([2, 1], vertical_alignment="bottom")
seed_col.number_input("Seed", 0, 99_999, key=seeded("seed"))
regen_col.button("", icon=":material/refresh:", on_click=regenerate, help="New random data (the next seed).", width="stretch")
side.multiselect(
    "Input features", list(datasets.FEATURES), format_func=lambda k: datasets.FEATURES[k].label, key=seeded("features")
)

side.header("Network")
depth = side.number_input("Hidden layers", 0, MAX_LAYERS, key=ui.seed("pg.depth", len(saved.layers)))
layers, activations = [], []
for i in range(depth):
    units_col, act_col = side.columns(2)
    units = saved.layers[i] if i < len(saved.layers) else 4
    layers.append(units_col.number_input(f"Layer {i + 1} neurons", 1, MAX_UNITS, key=ui.seed(f"pg.units.{i}", units)))
    activations.append(
        act_col.selectbox(
            f"Layer {i + 1} activation",
            models.ACTIVATIONS,
            key=ui.seed(f"pg.act.{i}", saved.activations[i] if i < len(saved.activations) else "tanh"),
        )
    )
if depth == MAX_LAYERS or MAX_UNITS in layers:
    side.caption(f"{MAX_LAYERS} hidden layers of up to {MAX_UNITS} neurons is the largest network here: "
                 "it keeps the server quick for the whole room.")  # fmt: skip
side.selectbox("Regularization", models.REGULARIZERS, format_func=str.upper, key=seeded("regularization"))
side.select_slider(
    "Regularization rate", sorted({*REG_RATES, saved.reg_rate}), format_func=lambda v: f"{v:g}", key=seeded("reg_rate")
)
side.slider("Dropout rate", 0.0, 0.9, step=0.05, key=seeded("dropout"))

side.header("Training")
side.selectbox("Optimizer", list(models.OPTIMIZERS), format_func=models.OPTIMIZERS.get, key=seeded("optimizer"))
side.select_slider(
    "Learning rate", sorted({*LEARNING_RATES, saved.lr}), format_func=lambda v: f"{v:g}", key=seeded("lr")
)
side.slider("Batch size", 1, 64, key=seeded("batch"))
side.number_input(
    "Epoch budget", 0, MAX_EPOCHS, step=100, key=seeded("epochs"), help=f"0 trains until you pause (at most {MAX_EPOCHS:,})."
)
side.select_slider("Speed", list(pacing.SPEEDS), format_func=pacing.SPEEDS.get, key=seeded("speed"),
                   help="Epochs per second while playing. Slow it down to talk the room through the boundary forming.")  # fmt: skip

ui.sidebar_hint()
controls = st.container()
network_col, boundary_col = st.columns([3, 2])
boundary_col.toggle("Discretize output", key=seeded("discrete"), help="Show the 0/1 decision instead of the probability.")

settings = PlaygroundSettings(
    **{field: state[f"pg.{field}"] for field in (
        "data", "points", "noise", "train_pct", "seed", "features", "regularization", "reg_rate",
        "dropout", "optimizer", "lr", "batch", "epochs", "speed", "discrete")},
    layers=tuple(int(n) for n in layers),
    activations=tuple(activations),
).repaired()  # fmt: skip
if not settings.features:
    st.info("Pick at least one input feature; the network uses x₁ and x₂ until then.")
    settings = replace(settings, features=("x1", "x2"))
ui.save_settings(NAME, settings)

# --- the participant's network: rebuilt when the model or data change ------------------------
run: PlaygroundRun | None = state.get("pg.run")
if state.pop("pg.reset", False) or run is None or run.settings.model_key() != settings.model_key():
    run = state["pg.run"] = PlaygroundRun(settings)
    state["pg.running"] = False
else:
    run.adopt(settings)
if state.pop("pg.step", False) and not run.finished:
    run.train(1)
running = state.get("pg.running", False) and not run.finished

with controls:
    status = ui.play_controls("pg", running=running, finished=run.finished)
    notice = st.empty()

network_chart = network_col.empty()
boundary_chart = boundary_col.empty()
loss_col, accuracy_col = st.columns(2) if not settings.regression else (st.container(), None)
loss_chart = loss_col.empty()
accuracy_chart = accuracy_col.empty() if accuracy_col else None
ui.code_panel(codegen.playground_program(settings))


def draw(cycle: int) -> None:
    """Redraw everything that depends on the weights; ``cycle`` keeps element ids unique."""
    h, s = run.history, run.settings
    text = f"**Epoch {run.epoch}**"
    if len(h):
        text += f" · training loss {h.loss[-1]:.4f} · validation loss {h.val_loss[-1]:.4f}"
        if not s.regression:
            text += f" · validation accuracy {h.val_accuracy[-1]:.1%}"
    status.markdown(text)
    if run.diverged:
        notice.error(
            f"Training diverged at epoch {run.epoch}: the loss is no longer a finite number. "
            f"The learning rate {s.lr:g} is too large for this network; pick a smaller one "
            f"(try {max(s.lr / 10, 0.00001):g}) and press Reset.",
            icon=":material/warning:",
        )
    elif run.epoch >= MAX_EPOCHS:
        notice.success(f"Trained {MAX_EPOCHS:,} epochs, the longest run a session may train here. Reset to start "
                       "again.")  # fmt: skip
    elif run.epoch >= s.budget:
        notice.success(f"Reached the epoch budget ({s.budget:,}). Raise it to train further, or Reset.")
    snap = run.snapshot()
    projector = ui.projector()
    outputs = "linear" if s.regression else "sigmoid"
    ui.chart(network_chart, figures.network_figure(
        [datasets.FEATURES[k].label for k in s.features], [*s.layers, 1], snap.weights, snap.node_images,
        activations=[*s.activations, outputs], projector=projector), key=f"pg.net.{cycle}")  # fmt: skip
    split = run.split
    ui.chart(boundary_chart, figures.boundary_figure(
        snap.axis, snap.output, split.x_train, split.y_train, split.x_val, split.y_val,
        regression=s.regression, discrete=s.discrete, projector=projector), key=f"pg.boundary.{cycle}")  # fmt: skip
    losses = {"training loss": h.loss, "validation loss": h.val_loss}
    ui.chart(loss_chart, figures.curves_figure(losses, title="Loss", y_title="loss", projector=projector),
             key=f"pg.loss.{cycle}")  # fmt: skip
    if accuracy_chart is not None:
        accuracy = {"training accuracy": h.accuracy, "validation accuracy": h.val_accuracy}
        ui.chart(accuracy_chart, figures.curves_figure(accuracy, title="Accuracy", y_title="accuracy",
                 fraction=True, projector=projector), key=f"pg.accuracy.{cycle}")  # fmt: skip


draw(0)

# --- live training: stream redraws until paused, diverged or out of budget --------------------
# A click anywhere reruns the script, which stops this loop at its next st.* call;
# the run itself lives in the session, so nothing is lost.
if running:
    pace, cycle = pacing.Pace(rate=pacing.per_second(settings.speed)), 0
    if run.epoch == 0:
        status.markdown("**Epoch 0** · compiling the network…")
    while not run.finished:
        pace.step(lambda n: len(run.train(n)))  # waits its turn when many sessions train at once
        cycle += 1
        draw(cycle)
    state["pg.running"] = False
    st.rerun()
