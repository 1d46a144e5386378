"""The glass box: one training point through the real network, forward and backward, as numbers.

``glass_step`` runs one point through a compiled Keras ``Sequential`` (Dense layers, with Dropout or other
weightless layers between them) under ``tf.GradientTape`` and returns every number a participant may want
to read: each Dense layer's inputs, weights, weighted sums and activations, the loss, each weight's gradient,
the plain SGD update (learning rate x gradient) and the new weight. ``apply`` writes the new weights into the
model. The ``*_formula`` functions write one line with the numbers plugged in; ``forward_rows`` and
``backward_rows`` are the tables. Numbers are shown to 4 significant digits with a unicode minus.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras

from dlviz.core import text

MINUS = "\u2212"
DIGITS = 4

# Names Keras accepts for the same loss, and the name its Loss objects report.
_LOSS_NAMES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "bce": "binary_crossentropy",
}


@dataclass
class DenseStep:
    """One Dense layer's numbers for one point (vectors are the point's row; ``bias`` is None without one)."""

    layer_index: int  # position in ``model.layers``
    name: str
    activation: str
    trainable: bool
    inputs: np.ndarray  # a, (n_in,)
    kernel: np.ndarray  # W, (n_in, n_out)
    bias: np.ndarray | None  # b, (n_out,)
    z: np.ndarray  # a·W + b, (n_out,)
    outputs: np.ndarray  # activation(z), (n_out,)
    grad_z: np.ndarray  # dL/dz, (n_out,)
    grad_kernel: np.ndarray  # dL/dW (regularization included)
    grad_bias: np.ndarray | None
    penalty: float  # this layer's regularization loss
    penalty_grad_kernel: np.ndarray  # the part of dL/dW that comes from the regularization
    penalty_grad_bias: np.ndarray | None
    update_kernel: np.ndarray  # lr x dL/dW (zero for a frozen layer)
    update_bias: np.ndarray | None
    new_kernel: np.ndarray  # W - lr x dL/dW
    new_bias: np.ndarray | None

    @property
    def units(self) -> int:
        return int(self.kernel.shape[1])

    @property
    def fan_in(self) -> int:
        return int(self.kernel.shape[0])


@dataclass
class GlassStep:
    """One training point's forward and backward pass through the model, and one plain SGD step."""

    x: np.ndarray  # the input row
    y: np.ndarray  # the target, as the loss receives it (one row)
    lr: float
    layers: list[DenseStep]
    prediction: np.ndarray  # the model's own output for x (training=False)
    loss_name: str
    data_loss: float  # the model's loss for this point
    regularization: float  # the regularization losses, summed
    mismatch: float  # largest difference between the numbers here and Keras's own layer calls

    @property
    def loss(self) -> float:
        """What SGD minimizes: the data loss plus the regularization."""
        return self.data_loss + self.regularization


def _loss_function(model: keras.Model):
    """The model's loss as a function of (y_true, y_pred) giving one number, and its name."""
    loss = model.loss
    if isinstance(loss, (list, tuple, dict)):
        raise ValueError("the glass box shows models with one output and one loss")
    if loss is None:
        raise ValueError("compile the model before stepping through it")
    if isinstance(loss, keras.losses.Loss):
        return loss, loss.name
    per_sample = keras.losses.get(loss)
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", "loss")
    return (lambda y_true, y_pred: tf.reduce_mean(per_sample(y_true, y_pred))), _LOSS_NAMES.get(name, name)


def _target(y) -> np.ndarray:
    """The target as one row: a number becomes [[y]], a vector (one-hot) [y]."""
    y = np.asarray(y)
    return y.reshape(1, 1) if y.ndim == 0 else y.reshape(1, -1)


def _numpy(value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value))


def glass_step(model: keras.Model, x, y, lr: float) -> GlassStep:
    """Forward and backward pass of one point ``x`` (shape (n_features,)) with target ``y``, and the SGD step.

    The model is called with ``training=False``: dropout is off, so the numbers are those of the network
    the participant sees (Keras's own training step would drop neurons at random). The gradients come from
    ``tf.GradientTape`` over the model's own variables, of the model's loss plus its regularization losses,
    as Keras's training step computes them. Hold the run's lock while calling this.
    """
    loss_fn, loss_name = _loss_function(model)
    xb = tf.constant(np.asarray(x, dtype=np.float32).reshape(1, -1))
    yb = _target(y)
    dense = []
    for index, layer in enumerate(model.layers):
        if isinstance(layer, keras.layers.Dense):
            dense.append((index, layer))
        elif layer.weights:
            raise ValueError(f"the glass box shows Dense layers only, not {layer.__class__.__name__}")
    if not dense:
        raise ValueError("the model has no Dense layer")
    watched = [v for _, layer in dense for v in ([layer.kernel] if layer.bias is None else [layer.kernel, layer.bias])]
    mismatch = 0.0
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([v.value for v in watched])  # the tf.Variables behind Keras's, frozen ones included
        h = xb
        inputs, zs, outs, penalties = {}, {}, {}, {}
        for index, layer in enumerate(model.layers):
            if not isinstance(layer, keras.layers.Dense):
                h = layer(h, training=False)
                continue
            inputs[index] = h
            z = keras.ops.matmul(h, layer.kernel)
            if layer.bias is not None:
                z = z + layer.bias
            out = layer.activation(z)
            own = layer(inputs[index], training=False)  # Keras's own call, to check the numbers against
            mismatch = max(mismatch, float(np.max(np.abs(_numpy(own) - _numpy(out)))))
            zs[index], outs[index] = z, out
            penalties[index] = tf.add_n(layer.losses) if layer.losses else None
            h = out
        data_loss = tf.convert_to_tensor(loss_fn(tf.constant(yb), h))
        regularization = tf.add_n(model.losses) if model.losses else tf.constant(0.0)
        total = data_loss + regularization
    prediction = _numpy(model(xb, training=False))[0]
    mismatch = max(mismatch, float(np.max(np.abs(prediction - _numpy(h)[0]))))
    indices = [index for index, _ in dense]
    grads = tape.gradient(total, [zs[i] for i in indices] + watched)
    grad_z, grad_vars = grads[: len(indices)], iter(grads[len(indices) :])
    lr32 = np.float32(lr)
    layers = []
    for (index, layer), dz in zip(dense, grad_z, strict=True):
        kernel, bias = _numpy(layer.kernel), None if layer.bias is None else _numpy(layer.bias)
        gk = _numpy(next(grad_vars))
        gb = None if bias is None else _numpy(next(grad_vars))
        pk, pb = np.zeros_like(kernel), None if bias is None else np.zeros_like(bias)
        if penalties[index] is not None:
            params = [layer.kernel] if bias is None else [layer.kernel, layer.bias]
            parts = [np.zeros_like(_numpy(v)) if g is None else _numpy(g)
                     for v, g in zip(params, tape.gradient(penalties[index], params), strict=True)]  # fmt: skip
            pk = parts[0]
            pb = None if bias is None else parts[1]
        # Keras's SGD: variable - gradient * learning_rate, in the variable's dtype (float32)
        uk = gk * lr32 if layer.trainable else np.zeros_like(kernel)
        ub = None if bias is None else (gb * lr32 if layer.trainable else np.zeros_like(bias))
        layers.append(
            DenseStep(
                layer_index=index,
                name=layer.name,
                activation=getattr(layer.activation, "__name__", str(layer.activation)),
                trainable=bool(layer.trainable),
                inputs=_numpy(inputs[index])[0],
                kernel=kernel,
                bias=bias,
                z=_numpy(zs[index])[0],
                outputs=_numpy(outs[index])[0],
                grad_z=_numpy(dz)[0],
                grad_kernel=gk,
                grad_bias=gb,
                penalty=0.0 if penalties[index] is None else float(penalties[index]),
                penalty_grad_kernel=pk,
                penalty_grad_bias=pb,
                update_kernel=uk,
                update_bias=ub,
                new_kernel=kernel - uk,
                new_bias=None if bias is None else bias - ub,
            )
        )
    del tape
    return GlassStep(
        x=_numpy(xb)[0],
        y=yb[0],
        lr=float(lr),
        layers=layers,
        prediction=prediction,
        loss_name=loss_name,
        data_loss=float(data_loss),
        regularization=float(regularization),
        mismatch=mismatch,
    )


def apply(model: keras.Model, step: GlassStep) -> None:
    """Write the step's new weights into ``model``: one plain SGD step on that one point.

    Only the weights change: the optimizer's state (momentum, Adam's averages) and the epoch count stay as
    they were. Raises ValueError when the model's weights are no longer those the step started from (it
    trained in between); compute the step again then. Hold the run's lock across computing and applying.
    """
    pairs = []
    for d in step.layers:
        layer = model.layers[d.layer_index]
        pairs.append((layer.kernel, d.kernel, d.new_kernel))
        if d.bias is not None:
            pairs.append((layer.bias, d.bias, d.new_bias))
    for variable, old, _ in pairs:
        if not np.array_equal(_numpy(variable), old, equal_nan=True):
            raise ValueError("the network's weights changed since this step was computed")
    for variable, _, new in pairs:
        variable.assign(new)


# --- numbers as text ---------------------------------------------------------------------------


def num(value: float) -> str:
    """A number to 4 significant digits, with a unicode minus and never "-0"."""
    value = float(value)
    if value == 0:
        return "0"
    return text.significant(value, DIGITS).replace("-", MINUS)


def _factor(value: float) -> str:
    """A number inside a product: negatives in parentheses."""
    out = num(value)
    return f"({out})" if out.startswith(MINUS) else out


def _power(value: float) -> str:
    """An exponent after e^: negatives in parentheses."""
    return "e^" + _factor(value)


def neuron_name(step: GlassStep, layer: int, k: int) -> str:
    """ "layer 1 · 3" for a hidden neuron, "output" (or "output · 2" among several) for the last layer's."""
    if layer == len(step.layers) - 1:
        return "output" if step.layers[layer].units == 1 else f"output · {k + 1}"
    return f"layer {layer + 1} · {k + 1}"


def source_name(step: GlassStep, layer: int, j: int | None, input_names=None) -> str:
    """Where weight (j -> ·) of ``layer`` starts: an input feature, a neuron of the layer before, or "bias"."""
    if j is None:
        return "bias"
    if layer == 0:
        return input_names[j] if input_names is not None else f"input {j + 1}"
    return neuron_name(step, layer - 1, j)


def neuron_formula(step: GlassStep, layer: int, k: int) -> tuple[str, str]:
    """Neuron k of Dense layer ``layer``: its weighted sum, then its activation, with the numbers plugged in.

    ("z = 0.42·1.2 + (−0.31)·(−0.5) + 0.1 = 0.759", "tanh(0.759) = 0.6405")
    """
    d = step.layers[layer]
    terms = [f"{_factor(w)}·{_factor(a)}" for w, a in zip(d.kernel[:, k], d.inputs, strict=True)]
    if d.bias is not None:
        terms.append(_factor(d.bias[k]))
    total = terms[0] + "".join(f" + {t}" for t in terms[1:])
    zk, ak = d.z[k], d.outputs[k]
    name = d.activation
    if name == "tanh":
        act = f"tanh({num(zk)}) = {num(ak)}"
    elif name == "sigmoid":
        act = f"sigmoid({num(zk)}) = 1 / (1 + {_power(-zk)}) = {num(ak)}"
    elif name == "relu":
        act = f"relu({num(zk)}) = max(0, {num(zk)}) = {num(ak)}"
    elif name == "linear":
        act = f"linear({num(zk)}) = {num(ak)}"
    elif name == "softmax":
        denominator = " + ".join(_power(v) for v in d.z)
        act = f"softmax(z)[{k + 1}] = {_power(zk)} / ({denominator}) = {num(ak)}"
    else:
        act = f"{name}({num(zk)}) = {num(ak)}"
    return f"z = {total} = {num(zk)}", act


def weight_formula(step: GlassStep, layer: int, j: int | None, k: int) -> str:
    """The SGD update of the weight from j to k in ``layer`` (j None: k's bias), numbers plugged in.

    "w = 0.4213 − 0.03 × 0.1172 = 0.4178"
    """
    d = step.layers[layer]
    if j is None:
        old, grad, new, symbol = d.bias[k], d.grad_bias[k], d.new_bias[k], "b"
    else:
        old, grad, new, symbol = d.kernel[j, k], d.grad_kernel[j, k], d.new_kernel[j, k], "w"
    if not d.trainable:
        return f"{symbol} = {num(old)} (a frozen layer: not trained)"
    return f"{symbol} = {num(old)} {MINUS} {num(step.lr)} × {_factor(grad)} = {num(new)}"


def gradient_formula(step: GlassStep, layer: int, j: int | None, k: int) -> str:
    """The chain rule for one weight's gradient: the input it multiplies times dL/dz of its neuron.

    "∂L/∂w = a × ∂L/∂z = 1.2 × 0.09767 = 0.1172", plus the regularization's part when there is one.
    """
    d = step.layers[layer]
    dz = d.grad_z[k]
    if j is None:
        grad, extra = d.grad_bias[k], d.penalty_grad_bias[k]
        head, plugged = "∂L/∂b = ∂L/∂z", _factor(dz)
    else:
        grad, extra = d.grad_kernel[j, k], d.penalty_grad_kernel[j, k]
        head, plugged = "∂L/∂w = a × ∂L/∂z", f"{_factor(d.inputs[j])} × {_factor(dz)}"
    if extra != 0:
        head += " + ∂(regularization)/∂" + ("b" if j is None else "w")
        plugged += f" + {_factor(extra)}"
    elif j is None:
        return f"{head} = {num(grad)}"
    return f"{head} = {plugged} = {num(grad)}"


def loss_formula(step: GlassStep) -> str:
    """The point's loss with its numbers plugged in, and the regularization added when there is one."""
    y, p = step.y, step.prediction
    name = step.loss_name
    if name == "mean_squared_error" and p.size == 1:
        line = f"L = (y {MINUS} ŷ)² = ({num(y[0])} {MINUS} {_factor(p[0])})² = {num(step.data_loss)}"
    elif name == "binary_crossentropy" and p.size == 1:
        t, q = float(y[0]), float(p[0])
        line = (f"L = {MINUS}[y·ln ŷ + (1 {MINUS} y)·ln(1 {MINUS} ŷ)] = {MINUS}[{num(t)}·ln {num(q)} + "
                f"{_factor(1 - t)}·ln {num(1 - q)}] = {num(step.data_loss)}")  # fmt: skip
    elif name == "sparse_categorical_crossentropy" and y.size == 1 and float(y[0]).is_integer():
        c = int(y[0])
        line = f"L = {MINUS}ln ŷ[{c + 1}] = {MINUS}ln {num(p[c])} = {num(step.data_loss)}"
    else:
        line = f"L = {name}(y, ŷ) = {num(step.data_loss)}"
    if step.regularization:
        line += f"\nL + regularization = {num(step.data_loss)} + {num(step.regularization)} = {num(step.loss)}"
    return line


# --- tables ------------------------------------------------------------------------------------


def forward_rows(step: GlassStep, layer: int) -> list[dict[str, object]]:
    """One row per neuron of ``layer``: its weighted sum z and its activation."""
    d = step.layers[layer]
    return [{"neuron": neuron_name(step, layer, k), "z = a·W + b": num(d.z[k]), f"{d.activation}(z)": num(d.outputs[k])}
            for k in range(d.units)]  # fmt: skip


def backward_rows(step: GlassStep, layer: int, input_names=None) -> list[dict[str, object]]:
    """One row per weight of ``layer`` (the biases last): value, gradient, lr x gradient, new value."""
    d = step.layers[layer]
    rows = []
    cells = [(j, k) for k in range(d.units) for j in range(d.fan_in)]
    if d.bias is not None:
        cells += [(None, k) for k in range(d.units)]
    for j, k in cells:
        if j is None:
            values = d.bias[k], d.grad_bias[k], d.update_bias[k], d.new_bias[k]
        else:
            values = d.kernel[j, k], d.grad_kernel[j, k], d.update_kernel[j, k], d.new_kernel[j, k]
        rows.append({"from": source_name(step, layer, j, input_names), "to": neuron_name(step, layer, k),
                     **dict(zip(("value", "gradient", "lr × gradient", "new value"), map(num, values), strict=True))})  # fmt: skip
    return rows


def checked(step: GlassStep) -> bool:
    """Whether the layer-by-layer numbers agree with Keras's own calls (to float32 rounding)."""
    scale = max([1.0] + [float(np.max(np.abs(d.outputs))) for d in step.layers])
    return math.isfinite(step.mismatch) and step.mismatch <= 1e-5 * scale
