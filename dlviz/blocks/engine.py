"""The parts before networks: a neuron, activation functions, logic gates, softmax and losses.

Every number comes from Keras or TensorFlow where Keras has the function
(activations, their derivatives by ``tf.GradientTape``, losses), so what a
participant sees is what their own code computes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dlviz.core import models
from dlviz.core.settings import choice, choices, number, numbers

ACTIVATIONS = {
    "linear": "Linear",
    "step": "Step",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
}
PARTS = {"neuron": "A neuron", "activations": "Activations", "gates": "Logic gates", "softmax": "Softmax",
         "losses": "Losses"}  # fmt: skip


# --- activations -------------------------------------------------------------------------------


def activate(name: str, z):
    """Keras's activation ``name`` applied to z (NumPy in, NumPy out)."""
    from tensorflow import keras

    z = np.asarray(z, np.float32)
    if name == "step":  # Keras has no step activation; heaviside(z, 1) is the perceptron's
        out = keras.ops.heaviside(z, 1.0)
    else:
        out = keras.activations.get(name)(z)
    return keras.ops.convert_to_numpy(out).astype(np.float64)


def derivative(name: str, z) -> np.ndarray:
    """d activation / dz at every z, by tf.GradientTape through the Keras function."""
    import tensorflow as tf
    from tensorflow import keras

    z = tf.constant(np.asarray(z, np.float32))
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = keras.ops.heaviside(z, 1.0) if name == "step" else keras.activations.get(name)(z)
    grad = tape.gradient(out, z)
    return np.zeros(z.shape) if grad is None else grad.numpy().astype(np.float64)


SATURATION = 0.05  # |derivative| below this counts as saturated: learning there nearly stops


def saturated(name: str, z) -> np.ndarray:
    return np.abs(derivative(name, z)) < SATURATION


# --- a neuron ------------------------------------------------------------------------------------


def neuron(inputs, weights, bias: float, activation: str) -> tuple[float, float]:
    """z = w·x + b and the activation's output."""
    z = float(np.dot(np.asarray(weights, np.float64), np.asarray(inputs, np.float64)) + bias)
    return z, float(activate(activation, [z])[0])


def neuron_plane(weights, bias: float, activation: str, axis: np.ndarray) -> np.ndarray:
    """A two-input neuron's output over the plane (rows follow x2, columns x1)."""
    x1, x2 = np.meshgrid(axis, axis)
    return activate(activation, weights[0] * x1 + weights[1] * x2 + bias)


# --- vanishing gradients -------------------------------------------------------------------------


def gradient_by_layer(activation: str, depth: int = 10, width: int = 16, seed: int = 0) -> np.ndarray:
    """The size of the loss gradient reaching each layer's weights (first layer first).

    A stack of ``depth`` Dense layers with ``activation`` and Glorot-uniform
    weights (Keras's default) on a random batch, loss = mean squared output;
    the bar for a layer is the mean absolute gradient of its kernel.
    """
    import tensorflow as tf
    from tensorflow import keras

    with models.seeded(seed):
        model = keras.Sequential(
            [keras.Input(shape=(width,))] + [keras.layers.Dense(width, activation=activation) for _ in range(depth)]
        )
        x = tf.constant(np.random.default_rng(seed).normal(size=(64, width)), tf.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x)))
    kernels = [layer.kernel for layer in model.layers]
    grads = tape.gradient(loss, kernels)
    return np.array([float(tf.reduce_mean(tf.abs(g))) for g in grads])


# --- logic gates -----------------------------------------------------------------------------------

GATES = {"AND": (-30.0, 20.0, 20.0), "OR": (-10.0, 20.0, 20.0), "NAND": (30.0, -20.0, -20.0)}  # (bias, w1, w2)
INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float64)
XOR_TARGETS = np.array([0, 1, 1, 0], np.float64)


def gate(bias: float, w1: float, w2: float, inputs=INPUTS) -> np.ndarray:
    """A sigmoid neuron's outputs for each row of inputs."""
    return activate("sigmoid", np.asarray(inputs) @ np.array([w1, w2]) + bias)


def truth_table(bias: float, w1: float, w2: float) -> np.ndarray:
    return np.round(gate(bias, w1, w2)).astype(int)


def gate_sentence(computes: str | None) -> str:
    """What a participant reads about the gate some weights compute (``which_gate``'s answer)."""
    if computes is None:
        return "These weights compute no named gate."
    if computes.startswith("always "):
        return f"These weights give **{computes[-1]} for every input**: a constant, not a gate."
    return f"These weights compute **{computes}**."


def which_gate(bias: float, w1: float, w2: float) -> str | None:
    """The name of the gate these weights compute (after rounding), if it has one."""
    table = tuple(truth_table(bias, w1, w2))
    names = {(0, 0, 0, 1): "AND", (0, 1, 1, 1): "OR", (1, 1, 1, 0): "NAND", (1, 0, 0, 0): "NOR",
             (0, 1, 1, 0): "XOR", (1, 0, 0, 1): "XNOR", (0, 0, 0, 0): "always 0", (1, 1, 1, 1): "always 1"}  # fmt: skip
    return names.get(table)


def xor_by_hand(inputs=INPUTS) -> tuple[np.ndarray, np.ndarray]:
    """(x1 OR x2) AND (x1 NAND x2): the hidden layer's two outputs and the final output."""
    hidden = np.column_stack([gate(*GATES["OR"], inputs), gate(*GATES["NAND"], inputs)])
    return hidden, gate(*GATES["AND"], hidden)


@dataclass
class XorFit:
    hidden_weights: np.ndarray  # (2, 2): inputs x hidden units
    hidden_bias: np.ndarray
    output_weights: np.ndarray  # (2, 1)
    output_bias: np.ndarray
    outputs: np.ndarray  # for the four inputs
    losses: list[float]

    @property
    def solved(self) -> bool:
        return bool(np.all(np.round(self.outputs) == XOR_TARGETS))


XOR_EPOCHS = 1000
XOR_LEARNING_RATE = 0.1


def train_xor(seed: int = 0, epochs: int = XOR_EPOCHS) -> XorFit:
    """A 2-2-1 sigmoid network trained on XOR with Adam (full batch), as the exported code does."""
    from tensorflow import keras

    from dlviz.core.training import Trainer

    with models.seeded(seed):
        model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(2, activation="sigmoid"),
                                  keras.layers.Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=XOR_LEARNING_RATE), loss="binary_crossentropy")
    trainer = Trainer(model, INPUTS, XOR_TARGETS, INPUTS, XOR_TARGETS, batch_size=4, seed=seed, shuffle=False)
    history = trainer.run(epochs)
    (w1, b1), (w2, b2) = (layer.get_weights() for layer in model.layers)
    hidden = activate("sigmoid", INPUTS @ w1 + b1)
    outputs = activate("sigmoid", hidden @ w2 + b2)[:, 0]
    return XorFit(w1, b1, w2, b2, outputs, history.loss)


# --- softmax and cross-entropy ----------------------------------------------------------------


def softmax(logits, temperature: float = 1.0) -> np.ndarray:
    from tensorflow import keras

    scaled = np.asarray(logits, np.float32) / np.float32(temperature)
    return keras.ops.convert_to_numpy(keras.activations.softmax(scaled[None, :]))[0].astype(np.float64)


def cross_entropies(probabilities, true_class: int) -> tuple[float, float]:
    """Categorical cross-entropy with a one-hot label and sparse categorical with the integer label."""
    from tensorflow import keras

    p = np.asarray(probabilities, np.float32)[None, :]
    one_hot = np.eye(p.shape[1], dtype=np.float32)[[true_class]]
    categorical = keras.losses.CategoricalCrossentropy()(one_hot, p)
    sparse = keras.losses.SparseCategoricalCrossentropy()(np.array([true_class]), p)
    return float(categorical), float(sparse)


# --- losses ----------------------------------------------------------------------------------------

REGRESSION_LOSSES = {"mae": "Mean absolute error", "mse": "Mean squared error", "huber": "Huber (δ = 1)"}


def loss_of_error(name: str, errors) -> np.ndarray:
    """Each loss for a single prediction off by ``error`` (Keras's per-sample loss)."""
    from tensorflow import keras

    e = np.asarray(errors, np.float32)[:, None]
    return keras.ops.convert_to_numpy(keras.losses.get(name)(np.zeros_like(e), e)).astype(np.float64)


def binary_cross_entropy(y_true: float, p) -> np.ndarray:
    """Keras's binary cross-entropy of each predicted probability p for the label ``y_true``."""
    from tensorflow import keras

    p = np.asarray(p, np.float32)[:, None]
    y = np.full_like(p, y_true)
    return keras.ops.convert_to_numpy(keras.losses.binary_crossentropy(y, p)).astype(np.float64)


OUTLIER_BASE = np.array([[1, 2.1], [2, 2.9], [3, 4.2], [4, 4.8], [5, 6.1], [6, 7.0], [7, 7.9], [8, 9.1]])


def outlier_data(x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
    """The tiny data set (a clean line y ≈ x + 1) with one point the participant drags."""
    points = np.vstack([OUTLIER_BASE, [[x, y]]])
    return points[:, 0], points[:, 1]


def best_line(name: str, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The (w, b) minimizing Keras's loss ``name`` over the data, by two rounds of grid search.

    One vectorized Keras call per round scores 201 x 201 lines; the second
    round zooms in on the best of the first. MAE has no closed form and
    its minimum can be a flat segment, where any point of it will do.
    """
    from dlviz.descent.line_fit import LineData, loss_surface

    data = LineData(np.asarray(x, np.float64), np.asarray(y, np.float64), "x", "y")
    w0, b0 = np.polyfit(data.x, data.y, 1)
    half_w, half_b = 3.0 + abs(w0), 10.0 + abs(b0)
    for _ in range(2):
        ws, bs = np.linspace(w0 - half_w, w0 + half_w, 201), np.linspace(b0 - half_b, b0 + half_b, 201)
        values = loss_surface(data, name, ws, bs)
        row, col = np.unravel_index(np.argmin(values), values.shape)
        w0, b0, half_w, half_b = ws[col], bs[row], half_w / 50, half_b / 50
    return float(w0), float(b0)


# --- the page's settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BlocksSettings:
    part: str = choice("neuron", PARTS)
    inputs: int = number(2, 1, 3)
    x: tuple[float, ...] = numbers((1.0, 0.5, -1.0), -5.0, 5.0, min_len=3, max_len=3)
    w: tuple[float, ...] = numbers((0.8, -0.4, 0.3), -5.0, 5.0, min_len=3, max_len=3)
    b: float = number(0.1, -5.0, 5.0)
    activation: str = choice("sigmoid", ACTIVATIONS)
    compare: tuple[str, ...] = choices(("sigmoid", "tanh", "relu"), ACTIVATIONS, min_len=1, max_len=6)
    depth: int = number(10, 2, 30)
    gate: str = choice("AND", (*GATES, "custom"))
    gate_w: tuple[float, ...] = numbers((-30.0, 20.0, 20.0), -50.0, 50.0, min_len=3, max_len=3)
    xor_seed: int = number(0, 0, 9999)
    logits: tuple[float, ...] = numbers((2.33, -1.46, 0.56), -20.0, 20.0, min_len=3, max_len=10)
    temperature: float = number(1.0, 0.1, 10.0)
    true_class: int = number(0, 0, 9)
    outlier_x: float = number(7.0, 0.0, 10.0)
    outlier_y: float = number(20.0, -20.0, 40.0)
    p: float = number(0.1, 0.001, 0.999)

    def repaired(self) -> BlocksSettings:
        """The true class must be one of the classes."""
        if self.true_class < len(self.logits):
            return self
        from dlviz.core.settings import replace

        return replace(self, true_class=0)


# --- the pages' tables and summaries ----------------------------------------------------------------

BOUNDED = {"sigmoid": (0.0, 1.0), "step": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def output_range(activation: str, plane: np.ndarray) -> tuple[float, float]:
    """The colour range of a neuron's output plane: the activation's own bounds, else the plane's, never empty."""
    lo, hi = BOUNDED.get(activation, (float(plane.min()), float(plane.max())))
    return lo, hi + (hi == lo)


def _inputs_table() -> dict:
    return {"x1": INPUTS[:, 0].astype(int), "x2": INPUTS[:, 1].astype(int)}


def gate_table(bias: float, w1: float, w2: float) -> pd.DataFrame:
    """The single neuron's truth table: z, sigmoid(z) and its rounding for each pair of inputs."""
    outputs = gate(bias, w1, w2)
    return pd.DataFrame({**_inputs_table(), "z = b + w1·x1 + w2·x2": INPUTS @ np.array([w1, w2]) + bias,
                         "sigmoid(z)": outputs.round(6), "rounded": np.round(outputs).astype(int)})  # fmt: skip


def xor_table() -> pd.DataFrame:
    """XOR by hand, (x1 OR x2) AND (x1 NAND x2), one column per neuron."""
    hidden, final = xor_by_hand()
    return pd.DataFrame({**_inputs_table(), "x1 OR x2": hidden[:, 0].round(4), "x1 NAND x2": hidden[:, 1].round(4),
                         "AND of the two": final.round(4), "rounded": np.round(final).astype(int)})  # fmt: skip


def xor_band(axis: np.ndarray) -> np.ndarray:
    """The hand-made two-layer network's output over the plane ``axis`` x ``axis``."""
    x1, x2 = np.meshgrid(axis, axis)
    return xor_by_hand(np.column_stack([x1.ravel(), x2.ravel()]))[1].reshape(x1.shape)


def bce_table(probabilities=(0.1, 0.5, 0.9, 0.99)) -> pd.DataFrame:
    p = list(probabilities)
    return pd.DataFrame({"p": p, "loss if y = 1": binary_cross_entropy(1, p).round(3),
                         "loss if y = 0": binary_cross_entropy(0, p).round(3)})  # fmt: skip


def vanishing_sentence(gradients: dict[str, np.ndarray]) -> str:
    """How much less gradient the first layer of each stack gets than the last, in words."""
    ratio = {name: g[0] / g[-1] if g[-1] > 0 else float("nan") for name, g in gradients.items()}
    return (
        f"In a stack of {len(gradients['sigmoid'])} sigmoid layers the first layer receives "
        f"**{ratio['sigmoid']:.1e}** times the gradient of the last; with ReLU **{ratio['relu']:.2g}** times. "
        "Each sigmoid multiplies the gradient by at most 0.25 on the way back, so the early layers barely learn."
    )
