"""Building blocks: a neuron, activation functions, logic gates up to XOR, softmax and the losses."""

import numpy as np
import pandas as pd
import streamlit as st

from dlviz import ui
from dlviz.blocks import code, figures
from dlviz.blocks import engine as bb
from dlviz.blocks.engine import ACTIVATIONS, GATES, PARTS, REGRESSION_LOSSES, BlocksSettings
from dlviz.core import charts, text

NAME = "blocks"
state = st.session_state
saved = ui.page_start(
    NAME,
    BlocksSettings,
    "Building blocks",
    "The parts every network is made of, one at a time. Every number here is computed by Keras.",
)
field = ui.fields("bb", saved)
projector = ui.projector()

tabs, part = ui.part_tabs("bb", PARTS, saved.part)
neuron_tab, activations_tab, gates_tab, softmax_tab, losses_tab = tabs.values()


def each(name: str, n: int) -> list[str]:
    """Widget keys ``bb.name.i`` for the first n items of a tuple setting, first filled from the saved one."""
    values = getattr(saved, name)
    return [ui.initial(f"bb.{name}.{i}", values[i] if i < len(values) else 0.0) for i in range(n)]


def collected(name: str, n: int | None = None) -> tuple:
    values = list(getattr(saved, name))
    n = len(values) if n is None else n
    values += [0.0] * (n - len(values))
    return tuple(float(state.get(f"bb.{name}.{i}", values[i])) for i in range(n))


# --- widgets of the open tab -------------------------------------------------------------------
if neuron_tab.open:
    count_col, act_col = neuron_tab.columns(2)
    count_col.segmented_control("Inputs", [1, 2, 3], key=field("inputs"), required=True)
    act_col.selectbox("Activation", list(ACTIVATIONS), format_func=ACTIVATIONS.get, key=field("activation"))
    n_inputs = int(state["bb.inputs"])
    for i, (x_key, w_key) in enumerate(zip(each("x", n_inputs), each("w", n_inputs), strict=True)):
        x_col, w_col = neuron_tab.columns(2)
        x_col.slider(f"Input x{i + 1}", -5.0, 5.0, step=0.1, key=x_key)
        w_col.slider(f"Weight w{i + 1}", -5.0, 5.0, step=0.1, key=w_key)
    neuron_tab.slider("Bias b", -5.0, 5.0, step=0.1, key=field("b"))

if activations_tab.open:
    activations_tab.multiselect("Activations to compare", list(ACTIVATIONS), format_func=ACTIVATIONS.get,
                                key=field("compare"), max_selections=6)  # fmt: skip


def load_gate() -> None:
    if state["bb.gate"] in GATES:
        for i, value in enumerate(GATES[state["bb.gate"]]):
            state[f"bb.gate_w.{i}"] = value


if gates_tab.open:
    gates_tab.selectbox("Gate", [*GATES, "custom"], key=field("gate"), on_change=load_gate,
                        help="Loads the course's weights; move the sliders to make your own.")  # fmt: skip
    for label, key in zip(("Bias", "Weight w1", "Weight w2"), each("gate_w", 3), strict=True):
        gates_tab.slider(label, -50.0, 50.0, step=1.0, key=key)

if softmax_tab.open:
    classes = softmax_tab.slider("Classes", 3, 10, value=len(saved.logits), key="bb.classes")
    score_cols = softmax_tab.columns(5)
    for i, key in enumerate(each("logits", classes)):
        score_cols[i % 5].number_input(f"Score {i}", -20.0, 20.0, step=0.1, key=key)
    temp_col, true_col = softmax_tab.columns(2)
    temp_col.select_slider("Temperature", sorted({0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, saved.temperature}),
                           key=field("temperature"), help="Softmax of scores / temperature.")  # fmt: skip
    field("true_class")
    if state["bb.true_class"] >= classes:
        state["bb.true_class"] = 0
    true_col.selectbox("True class", list(range(classes)), key="bb.true_class")

if losses_tab.open:
    out_x, out_y, p_col = losses_tab.columns(3)
    out_x.slider("Outlier x", 0.0, 10.0, step=0.5, key=field("outlier_x"))
    out_y.slider("Outlier y", -20.0, 40.0, step=1.0, key=field("outlier_y"))
    p_col.slider("Predicted probability p of class 1", 0.001, 0.999, step=0.001, key=field("p"), format="%.3f")

n_classes = int(state.get("bb.classes", len(saved.logits)))
settings = ui.read_settings(
    BlocksSettings, "bb", saved, compare=tuple(state.get("bb.compare", saved.compare)) or ("sigmoid",),
    x=collected("x"), w=collected("w"), gate_w=collected("gate_w"), logits=collected("logits", n_classes), part=part,
).repaired()  # fmt: skip
ui.save_settings(NAME, settings)


# --- a neuron ------------------------------------------------------------------------------------
def show_neuron(s: BlocksSettings) -> None:
    n = s.inputs
    xs, ws = s.x[:n], s.w[:n]
    z, out = bb.neuron(xs, ws, s.b, s.activation)
    st.latex(r"z = " + " + ".join(f"w_{i + 1} x_{i + 1}" for i in range(n)) + r" + b \qquad \text{output} = f(z)")
    diagram_col, numbers_col = st.columns([3, 1])
    ui.chart(diagram_col, figures.neuron_diagram(xs, ws, s.b, z, out, ACTIVATIONS[s.activation],
                                                         projector=projector), key="bb.chart.neuron")  # fmt: skip
    numbers_col.metric("z = w·x + b", f"{z:.4g}")
    numbers_col.metric(f"output = {ACTIVATIONS[s.activation].lower()}(z)", f"{out:.4g}")
    if n == 2:
        axis = np.linspace(-5, 5, 101)
        plane = bb.neuron_plane(ws, s.b, s.activation, axis)
        lo, hi = bb.output_range(s.activation, plane)
        ui.chart(st, figures.plane_figure(axis, plane, ws, s.b, lo=lo, hi=hi,
                 points=np.array([xs]), point_name="your input (x1, x2)",
                 title="Output over the plane", projector=projector),
                 key="bb.chart.plane")  # fmt: skip
        st.caption("The dashed line is where z = 0: the neuron's decision line.")
    else:
        st.caption("With two inputs the page also draws the neuron's output over the whole plane.")
    ui.code_panel(code.neuron_program(xs, ws, s.b, s.activation))


# --- activations --------------------------------------------------------------------------------
@st.cache_data(show_spinner="Building two deep stacks and measuring their gradients…", max_entries=64)
def gradients(depth: int) -> dict[str, np.ndarray]:
    return {name: bb.gradient_by_layer(name, depth) for name in ("sigmoid", "relu")}


def show_activations(s: BlocksSettings) -> None:
    z = np.linspace(-6, 6, 241)
    cols = st.columns(min(3, len(s.compare)))
    for i, name in enumerate(s.compare):
        ui.chart(cols[i % len(cols)], figures.activation_figure(
            z, bb.activate(name, z), bb.derivative(name, z), bb.saturated(name, z), name=ACTIVATIONS[name],
            projector=projector), key=f"bb.chart.act.{name}")  # fmt: skip
    st.caption(f"Shaded: where the derivative is below {bb.SATURATION}, the function is saturated and the "
               "gradient flowing back through it nearly vanishes. Sigmoid's derivative is never above 0.25.")  # fmt: skip

    st.subheader("Vanishing gradients")
    st.slider("Layers in the stack", 2, 30, key=field("depth"))
    found = gradients(int(state["bb.depth"]))
    ui.chart(st, figures.gradient_bars(found, projector=projector), key="bb.chart.gradients")
    st.markdown(bb.vanishing_sentence(found))
    ui.code_panel(code.vanishing_program(int(state["bb.depth"])))


# --- logic gates ----------------------------------------------------------------------------------
def show_gates(s: BlocksSettings) -> None:
    bias, w1, w2 = s.gate_w
    outputs = bb.gate(bias, w1, w2)
    computes = bb.which_gate(bias, w1, w2)
    table_col, plane_col = st.columns([1, 1])
    table_col.markdown(bb.gate_sentence(computes))
    table_col.dataframe(bb.gate_table(bias, w1, w2), hide_index=True, width="stretch")
    axis = np.linspace(-0.5, 1.5, 81)
    ui.chart(plane_col, figures.plane_figure(axis, bb.neuron_plane((w1, w2), bias, "sigmoid", axis),
             (w1, w2), bias, points=bb.INPUTS, targets=np.round(outputs), title="Inputs coloured by the output",
             projector=projector), key="bb.chart.gate")  # fmt: skip
    ui.code_panel(code.gate_program(bias, w1, w2), title="Keras code: this gate")

    st.subheader("XOR needs a hidden layer")
    st.markdown("XOR is 1 when exactly one input is 1. No straight line puts (0, 1) and (1, 0) on one side and "
                "(0, 0) and (1, 1) on the other, so no single neuron computes it. Two layers do: "
                "**(x1 OR x2) AND (x1 NAND x2)**.")  # fmt: skip
    hand_col, band_col = st.columns([1, 1])
    hand_col.dataframe(bb.xor_table(), hide_index=True, width="stretch")
    band = bb.xor_band(axis)
    ui.chart(band_col, figures.plane_figure(axis, band, (0.0, 0.0), 0.0, points=bb.INPUTS,
             targets=bb.XOR_TARGETS, title="The two-layer network's output: a band no single line makes",
             projector=projector), key="bb.chart.xor")  # fmt: skip

    seed_col, train_col = st.columns([1, 2], vertical_alignment="bottom")
    seed_col.number_input("Seed", 0, 9999, key=field("xor_seed"))
    train_col.button("Train a 2-2-1 network on XOR", icon=":material/model_training:", type="primary",
                     on_click=ui.on_click("bb.xor.train", True))  # fmt: skip
    seed = int(state["bb.xor_seed"])
    if state.pop("bb.xor.train", False):
        with st.spinner("Training 1,000 epochs…"):
            state["bb.xor.fit"] = (seed, bb.train_xor(seed))
    trained = state.get("bb.xor.fit")
    if trained and trained[0] == seed:
        fit = trained[1]
        if fit.solved:
            st.success(f"Solved: the outputs {text.listed(fit.outputs, 3)} round to 0, 1, 1, 0.")
        else:
            st.warning(f"Stuck: the outputs {text.listed(fit.outputs, 3)} do not round to 0, 1, 1, 0. With only "
                       "two hidden units some starting weights lead into a local minimum: try another seed.")  # fmt: skip
        weights_col, loss_col = st.columns(2)
        weights_col.markdown("Weights it found (rows: inputs, columns: hidden units)")
        weights = pd.DataFrame(np.asarray(fit.hidden_weights, np.float64), index=["x1", "x2"], columns=["h1", "h2"])
        weights_col.dataframe(weights.round(2), column_config={h: st.column_config.NumberColumn(format="%.2f")
                                                               for h in weights.columns})  # fmt: skip
        weights_col.markdown(f"Hidden biases {text.listed(fit.hidden_bias)}; output weights "
                             f"{text.listed(fit.output_weights[:, 0])}, output bias {float(fit.output_bias[0]):.2f}")  # fmt: skip
        ui.chart(loss_col, charts.curves_figure({"training loss": fit.losses}, title="Loss", y_title="loss",
                                                         log_y=True, projector=projector), key="bb.chart.xorloss")  # fmt: skip
    ui.code_panel(code.xor_program(seed, bb.XOR_EPOCHS, bb.XOR_LEARNING_RATE), title="Keras code: XOR")


# --- softmax ----------------------------------------------------------------------------------------
def show_softmax(s: BlocksSettings) -> None:
    probs = bb.softmax(s.logits, s.temperature)
    categorical, sparse = bb.cross_entropies(probs, s.true_class)
    st.latex(r"\mathrm{softmax}(s)_i = \frac{e^{s_i / T}}{\sum_j e^{s_j / T}}")
    ui.chart(st, figures.class_bars([f"class {i}" for i in range(len(probs))], probs, highlight=s.true_class,
             title=f"Softmax at temperature {s.temperature:g} (the true class in blue)", projector=projector),
             key="bb.chart.softmax")  # fmt: skip
    left, right = st.columns(2)
    left.metric(f"Categorical cross-entropy, label one-hot {[int(i == s.true_class) for i in range(len(probs))]}",
                f"{categorical:.4f}")  # fmt: skip
    right.metric(f"Sparse categorical cross-entropy, label {s.true_class}", f"{sparse:.4f}")
    st.caption(f"Both are −log(p of the true class) = −log({probs[s.true_class]:.4f}). Use "
               "`categorical_crossentropy` when labels are one-hot vectors and `sparse_categorical_crossentropy` "
               "when they are class numbers; the loss is the same. A higher temperature flattens the "
               "probabilities, a lower one sharpens them.")  # fmt: skip
    ui.code_panel(code.softmax_program(s.logits, s.temperature, s.true_class))


# --- losses -------------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=256)
def fitted_lines(x: float, y: float) -> dict[str, tuple[float, float]]:
    xs, ys = bb.outlier_data(x, y)
    return {REGRESSION_LOSSES[name].split(" (")[0]: bb.best_line(name, xs, ys) for name in REGRESSION_LOSSES}


def show_losses(s: BlocksSettings) -> None:
    st.subheader("Regression: how much an error costs")
    errors = np.linspace(-4, 4, 161)
    curves_col, fit_col = st.columns(2)
    ui.chart(curves_col, figures.loss_curves_figure(
        errors, {REGRESSION_LOSSES[n]: bb.loss_of_error(n, errors) for n in REGRESSION_LOSSES},
        x_title="error = prediction − truth", y_range=(0, 8), projector=projector), key="bb.chart.regression")  # fmt: skip
    xs, ys = bb.outlier_data(s.outlier_x, s.outlier_y)
    ui.chart(fit_col, figures.fitted_lines_figure(xs, ys, fitted_lines(s.outlier_x, s.outlier_y),
                                                          outlier=len(xs) - 1, projector=projector),
             key="bb.chart.fits")  # fmt: skip
    st.caption("Squared error grows fastest, so one far-off point pulls the MSE line towards it; absolute error "
               "counts every unit of error the same and follows the majority; Huber is squared near zero and "
               "absolute beyond δ = 1. Drag the outlier with the sliders above.")  # fmt: skip

    st.subheader("Classification: binary cross-entropy")
    p = np.linspace(0.001, 0.999, 400)
    marks = {"true label y = 1": (s.p, float(bb.binary_cross_entropy(1, [s.p])[0])),
             "true label y = 0": (s.p, float(bb.binary_cross_entropy(0, [s.p])[0]))}  # fmt: skip
    bce_col, table_col = st.columns([3, 2])
    ui.chart(bce_col, figures.loss_curves_figure(
        p, {"true label y = 1": bb.binary_cross_entropy(1, p), "true label y = 0": bb.binary_cross_entropy(0, p)},
        x_title="predicted probability p of class 1", marker=marks, y_range=(0, 7), projector=projector),
        key="bb.chart.bce")  # fmt: skip
    table_col.dataframe(bb.bce_table(), hide_index=True, width="stretch")
    table_col.caption("A confident wrong answer costs most: predicting 0.1 for a true 1 costs −log(0.1) ≈ 2.303.")
    ui.code_panel(code.losses_program([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], s.p))


shows = {"neuron": show_neuron, "activations": show_activations, "gates": show_gates, "softmax": show_softmax,
         "losses": show_losses}  # fmt: skip
ui.show_open(tabs, {part: lambda show=show: show(settings) for part, show in shows.items()})
