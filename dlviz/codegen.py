"""Runnable Keras programs for a page's current settings, in the course's style.

The programs are self-contained (NumPy and ``from tensorflow import keras``)
so a participant can paste them into a notebook. Data generators are copied
from ``dlviz.datasets`` by source, so the program draws the same points.
"""

from __future__ import annotations

import inspect

import numpy as np

from dlviz import datasets, overfitting
from dlviz.overfitting import OverfittingSettings
from dlviz.playground import PlaygroundSettings

_OPTIMIZER_CODE = {
    "sgd": "keras.optimizers.SGD(learning_rate={lr})",
    "momentum": "keras.optimizers.SGD(learning_rate={lr}, momentum=0.9)",
    "rmsprop": "keras.optimizers.RMSprop(learning_rate={lr})",
    "adam": "keras.optimizers.Adam(learning_rate={lr})",
}


def _number(x: float) -> str:
    return f"{x:.6g}"


def optimizer_code(name: str, learning_rate: float) -> str:
    return _OPTIMIZER_CODE[name].format(lr=_number(learning_rate))


def regularizer_code(kind: str, rate: float) -> str:
    if kind == "none" or rate == 0:
        return ""
    return f", kernel_regularizer=keras.regularizers.{kind.upper()}({_number(rate)})"


def dense_stack(s: PlaygroundSettings) -> list[str]:
    """The ``keras.Sequential`` layer lines for the Playground's network."""
    reg = regularizer_code(s.regularization, s.reg_rate)
    lines = [f"keras.Input(shape=({len(s.features)},)),"]
    for units, activation in zip(s.layers, s.activations, strict=True):
        lines.append(f'keras.layers.Dense({units}, activation="{activation}"{reg}),')
        if s.dropout > 0:
            lines.append(f"keras.layers.Dropout({_number(s.dropout)}),")
    output = "linear" if s.regression else "sigmoid"
    lines.append(f'keras.layers.Dense(1, activation="{output}"{reg}),')
    return lines


def features_function(keys: tuple[str, ...]) -> str:
    columns = ", ".join(datasets.FEATURES[k].expression for k in keys)
    names = ", ".join(datasets.FEATURES[k].label for k in keys)
    return (
        "def features(points):\n"
        f'    """The network\'s inputs: {names}."""\n'
        "    x1, x2 = points[:, 0], points[:, 1]\n"
        f"    return np.column_stack([{columns}])\n"
    )


def playground_program(s: PlaygroundSettings, epochs: int | None = None) -> str:
    dataset = datasets.DATASETS[s.data]
    n_train = datasets.train_count(s.points, s.train_pct / 100)
    epochs = epochs if epochs is not None else (s.epochs or 1000)
    shape = "-".join(str(n) for n in s.layers) or "no hidden layer"
    layers = "\n".join("    " + line for line in dense_stack(s))
    if s.regression:
        loss, metrics, report = '"mse"', "", "val_loss"
    else:
        loss, metrics, report = '"binary_crossentropy"', '\n    metrics=["accuracy"],', "val_accuracy"
    return f'''"""{dataset.label} learned by a {shape} network: the Playground's settings as a Keras program."""
import numpy as np
from tensorflow import keras

SEED = {s.seed}
EPOCHS = {epochs}


{dataset.source()}

{features_function(s.features)}

# Data: {s.points} points with {s.noise}% noise, {s.train_pct}% of them for training
rng = np.random.default_rng(SEED)
points, labels = {s.data}({s.points}, {_number(s.noise / 100)}, rng)
order = rng.permutation(len(points))
points, labels = points[order], labels[order]
x_train, y_train = features(points[:{n_train}]), labels[:{n_train}]
x_val, y_val = features(points[{n_train}:]), labels[{n_train}:]

# Model: the same seed gives the same starting weights as the dashboard
keras.utils.set_random_seed(SEED)
model = keras.Sequential([
{layers}
])
model.compile(
    optimizer={optimizer_code(s.optimizer, s.lr)},
    loss={loss},{metrics}
)
model.summary()

history = model.fit(
    x_train, y_train,
    batch_size={s.batch},
    epochs=EPOCHS,
    validation_data=(x_val, y_val),
    verbose=2,
)
print("final {report}:", round(history.history["{report}"][-1], 4))
'''


# --- the Overfitting page's two networks ------------------------------------------------------------


def overfitting_layers(s: OverfittingSettings, *, regularized: bool) -> list[str]:
    """The ``keras.Sequential`` layer lines of the baseline or of its regularized copy."""
    reg = f", kernel_regularizer=keras.regularizers.L2({_number(s.l2)})" if regularized and s.l2 > 0 else ""
    lines = [f"keras.Input(shape=({1 if s.regression else 2},)),"]
    for units in s.layers:
        lines.append(f'keras.layers.Dense({units}, activation="relu"{reg}),')
        if regularized and s.batchnorm:
            lines.append("keras.layers.BatchNormalization(),")
        if regularized and s.dropout > 0:
            lines.append(f"keras.layers.Dropout({_number(s.dropout)}),")
    lines.append(f'keras.layers.Dense(1, activation="{"linear" if s.regression else "sigmoid"}"{reg}),')
    return lines


def overfitting_program(s: OverfittingSettings, epochs: int | None = None) -> str:
    """Both of the Overfitting page's runs as one Keras program: same data, same starting weights."""
    epochs = epochs if epochs is not None else s.epochs
    n = s.train_points + overfitting.N_VAL
    if s.regression:
        generators = inspect.getsource(overfitting.curve)
        data = f"points, targets = curve({n}, {_number(s.noise / 100)}, rng)"
        what, loss, metrics = "a noisy curve", '"mse"', ""
    else:
        generators = datasets.DATASETS[s.task].source() + "\n\n" + inspect.getsource(overfitting.with_label_noise)
        data = (f"points, targets = {s.task}({n}, {_number(overfitting.JITTER)}, rng)\n"
                f"targets = with_label_noise(targets, {_number(s.noise / 100)}, rng)  # {s.noise}% of labels flipped")  # fmt: skip
        what, loss, metrics = overfitting.TASKS[s.task].lower(), '"binary_crossentropy"', ', metrics=["accuracy"]'
    baseline = "\n".join("    " + line for line in overfitting_layers(s, regularized=False))
    regularized = "\n".join("    " + line for line in overfitting_layers(s, regularized=True))
    if s.early_stopping:
        stopper = (f"early_stopping = keras.callbacks.EarlyStopping(\n    monitor=\"val_loss\", patience={s.patience}, "
                   f"min_delta={_number(s.min_delta)}, restore_best_weights={s.restore_best},\n)\n")  # fmt: skip
        callbacks = "[early_stopping]"
    else:
        stopper, callbacks = "", "[]"
    shape = " x ".join(str(u) for u in s.layers)
    return f'''"""Overfitting on {what}: a {shape} network against its regularized copy ({", ".join(s.regularizers) or "no regularizer yet"})."""
import numpy as np
from tensorflow import keras

SEED = {s.seed}
EPOCHS = {epochs}


{generators}

# Data: {s.train_points} points to learn from, {overfitting.N_VAL} to check on, all from the same noisy source
rng = np.random.default_rng(SEED)
{data}
order = rng.permutation(len(points))
points, targets = points[order], targets[order]
x_train, y_train = points[:{s.train_points}], targets[:{s.train_points}]
x_val, y_val = points[{s.train_points}:], targets[{s.train_points}:]

# Two networks with the same Dense layers; the regularized one adds its regularizers
keras.utils.set_random_seed(SEED)
baseline = keras.Sequential([
{baseline}
])
regularized = keras.Sequential([
{regularized}
])
# The same starting weights for both: copy the baseline's Dense layers into the copy
dense = lambda model: [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
for source, target in zip(dense(baseline), dense(regularized)):
    target.set_weights(source.get_weights())

{stopper}for name, model, callbacks in [("baseline", baseline, []), ("regularized", regularized, {callbacks})]:
    model.compile(optimizer={optimizer_code("adam", s.lr)}, loss={loss}{metrics})
    history = model.fit(
        x_train, y_train,
        batch_size={s.batch},
        epochs=EPOCHS,
        validation_data=(x_val, y_val),
        callbacks=callbacks,
        verbose=0,
    )
    loss, val_loss = history.history["loss"], history.history["val_loss"]
    best = int(np.argmin(val_loss))
    print(f"{{name}}: {{len(loss)}} epochs, training loss {{loss[-1]:.4f}}, validation loss {{val_loss[-1]:.4f}}, "
          f"lowest validation loss {{val_loss[best]:.4f}} at epoch {{best + 1}}")
'''


# --- any Sequential model, layer by layer -------------------------------------------------------


def layer_code(layer) -> str:
    """The ``keras.layers`` constructor for one layer of a Sequential model."""
    kind = type(layer).__name__
    cfg = layer.get_config()
    activation = cfg.get("activation")
    act = f', activation="{activation}"' if activation and activation != "linear" else ""
    if kind == "Conv2D":
        k = cfg["kernel_size"]
        size = k[0] if k[0] == k[1] else tuple(k)
        return f"keras.layers.Conv2D({cfg['filters']}, {size}{act})"
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return f"keras.layers.{kind}({cfg['pool_size'][0]})"
    if kind == "Flatten":
        return "keras.layers.Flatten()"
    if kind == "Dropout":
        return f"keras.layers.Dropout({_number(cfg['rate'])})"
    if kind == "Dense":
        return f"keras.layers.Dense({cfg['units']}{act})"
    if kind == "BatchNormalization":
        return "keras.layers.BatchNormalization()"
    raise ValueError(f"no code for layer type {kind}")


def sequential_code(model, indent: str = "    ") -> str:
    shape = ", ".join(str(d) for d in model.input_shape[1:])
    lines = [f"keras.Input(shape=({shape},)),"] + [layer_code(layer) + "," for layer in model.layers]
    return "model = keras.Sequential([\n" + "\n".join(indent + line for line in lines) + "\n])"


def digits_program(model, optimizer: str, learning_rate: float, epochs: int, note: str = "") -> str:
    """A complete MNIST program for a Sequential model: load, scale, build, compile, fit, evaluate."""
    header = f"# {note}\n" if note else ""
    return f'''{header}from tensorflow import keras

EPOCHS = {epochs}

mnist = keras.datasets.mnist
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(-1, 28, 28, 1) / 255.0
x_test = x_test.reshape(-1, 28, 28, 1) / 255.0

{sequential_code(model)}
model.compile(
    optimizer={optimizer_code(optimizer, learning_rate)},
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.summary()

model.fit(x_train, y_train, epochs=EPOCHS, validation_data=(x_test, y_test))
test_loss, test_accuracy = model.evaluate(x_test, y_test)
print("test accuracy:", round(test_accuracy, 4))
'''


# --- the Gradient-descent page's loop -------------------------------------------------------


def descent_loop_program(curve, x0: float, learning_rate: float, steps: int) -> str:
    """The course's hand-written gradient descent for a curve, as a runnable program."""
    formula = curve.formula.replace("exp(", "math.exp(")
    return f"""import math


def f(x):
    return {formula}


def df(x):  # dy/dx
    return {curve.derivative}


x = {x0:g}
learning_rate = {learning_rate:g}
for step in range({steps}):
    x = x - learning_rate * df(x)
    if abs(x) > 1e6:
        print("diverged at step", step)
        break
print("x =", x, " y =", f(x))
"""


# --- the Gradient-descent page's neuron -------------------------------------------------------


def line_fit_program(data, kind: str, slope: float, noise: float, loss: str, learning_rate: float, epochs: int) -> str:
    """One Dense unit fitting the page's data with SGD, as the course writes it."""
    from dlviz import line_fit

    if kind == "noisy":
        points = f"""rng = np.random.default_rng({line_fit.SEED})
xs = np.sort(rng.uniform(0, 10, {line_fit.NOISY_POINTS}))
ys = {_number(slope)} * xs + 1 + {_number(noise)} * rng.standard_normal({line_fit.NOISY_POINTS})"""
    else:
        points = f"""xs = np.array([{", ".join(_number(v) for v in data.x)}])
ys = np.array([{", ".join(_number(v) for v in data.y)}])"""
    if data.scaled:
        scaling = """
# Min-max scaling: the neuron sees inputs between 0 and 1
low, high = xs.min(), xs.max()


def scale(x):
    return (x - low) / (high - low)

"""
    else:
        scaling = """

def scale(x):  # no scaling: the neuron sees x as it is
    return x

"""
    asks = ", ".join(_number(v) for v in data.asks)
    return f'''"""{line_fit.DATASETS[kind]}: one neuron learns y = w * x + b, the page's settings as a Keras program."""
import numpy as np
from tensorflow import keras

{points}
{scaling}
keras.utils.set_random_seed({line_fit.SEED})  # the same starting weights as the dashboard
model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate={_number(learning_rate)}), loss="{loss}")
model.fit(scale(xs), ys, epochs={epochs}, verbose=0)

w, b = model.layers[0].get_weights()
print("w =", w[0, 0], " b =", b[0])
print("loss =", model.evaluate(scale(xs), ys, verbose=0))
for x in [{asks}]:
    print(x, "->", model.predict(scale(np.array([[x]])), verbose=0)[0, 0])
'''


# --- the Building-blocks page ---------------------------------------------------------------------

_STEP_FUNCTION = """

def step(z):  # Keras has no step activation: heaviside(z, 1) is the perceptron's step
    return keras.ops.heaviside(z, 1.0)

"""


def _activation_code(name: str) -> str:
    return "step" if name == "step" else f'"{name}"'


def neuron_program(inputs, weights, bias: float, activation: str) -> str:
    """One Dense unit with the page's weights, applied to the page's inputs."""
    n = len(inputs)
    kernel = ", ".join(f"[{_number(w)}]" for w in weights)
    return f'''import numpy as np
from tensorflow import keras
{_STEP_FUNCTION if activation == "step" else ""}
x = np.array([[{", ".join(_number(v) for v in inputs)}]])
neuron = keras.layers.Dense(1, activation={_activation_code(activation)})
neuron.build((None, {n}))
neuron.set_weights([np.array([{kernel}]), np.array([{_number(bias)}])])

z = x @ neuron.kernel.numpy() + neuron.bias.numpy()
print("z =", z[0, 0])
print("output =", keras.ops.convert_to_numpy(neuron(x))[0, 0])
'''


def gate_program(bias: float, w1: float, w2: float) -> str:
    """A sigmoid neuron with the gate's weights and its truth table."""
    return f'''import numpy as np
from tensorflow import keras

inputs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
gate = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
gate.layers[0].set_weights([np.array([[{_number(w1)}], [{_number(w2)}]]), np.array([{_number(bias)}])])

outputs = gate.predict(inputs, verbose=0)[:, 0]
for (x1, x2), y in zip(inputs, outputs):
    print(x1, x2, "->", round(float(y), 4), "rounds to", int(round(float(y))))
'''


def xor_program(seed: int, epochs: int, learning_rate: float) -> str:
    """The 2-2-1 network the page trains on XOR."""
    return f'''import numpy as np
from tensorflow import keras

inputs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
targets = np.array([0, 1, 1, 0], dtype="float32")

keras.utils.set_random_seed({seed})  # the same starting weights as the dashboard
model = keras.Sequential([
    keras.Input(shape=(2,)),
    keras.layers.Dense(2, activation="sigmoid"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate={_number(learning_rate)}), loss="binary_crossentropy")
model.fit(inputs, targets, batch_size=4, epochs={epochs}, shuffle=False, verbose=0)

print("outputs:", model.predict(inputs, verbose=0)[:, 0].round(3))
for layer in model.layers:
    kernel, bias = layer.get_weights()
    print(layer.name, "weights", kernel.round(2).tolist(), "bias", bias.round(2).tolist())
'''


def softmax_program(logits, temperature: float, true_class: int) -> str:
    """Softmax of the scores and both cross-entropies, computed by Keras."""
    n = len(logits)
    return f'''import numpy as np
from tensorflow import keras

scores = np.array([[{", ".join(_number(v) for v in logits)}]])  # the network's raw outputs (logits)
temperature = {_number(temperature)}
probabilities = keras.activations.softmax(scores / temperature)
print("softmax:", keras.ops.convert_to_numpy(probabilities).round(3))

one_hot = keras.utils.to_categorical([{true_class}], num_classes={n})  # one-hot label: categorical
print("categorical cross-entropy:", float(keras.losses.CategoricalCrossentropy()(one_hot, probabilities)))
integer = np.array([{true_class}])  # integer label: sparse categorical
print("sparse categorical cross-entropy:", float(keras.losses.SparseCategoricalCrossentropy()(integer, probabilities)))
'''


def losses_program(errors, p: float) -> str:
    """The regression losses of some errors and the binary cross-entropy of one prediction."""
    return f'''import numpy as np
from tensorflow import keras

errors = np.array([{", ".join(_number(e) for e in errors)}])
y_true, y_pred = np.zeros((len(errors), 1)), errors[:, None]  # prediction = truth + error
for name in ["mae", "mse", "huber"]:
    print(name, keras.ops.convert_to_numpy(keras.losses.get(name)(y_true, y_pred)).round(4))

p = {_number(p)}  # the predicted probability of class 1
print("binary cross-entropy if y = 1:", float(keras.losses.binary_crossentropy(np.array([1.0]), np.array([p]))))
print("binary cross-entropy if y = 0:", float(keras.losses.binary_crossentropy(np.array([0.0]), np.array([p]))))
'''


def vanishing_program(depth: int, width: int = 16, seed: int = 0) -> str:
    """The gradient reaching each layer of a deep sigmoid stack and a deep ReLU stack."""
    return f'''import numpy as np
import tensorflow as tf
from tensorflow import keras

x = tf.constant(np.random.default_rng({seed}).normal(size=(64, {width})), tf.float32)
for activation in ["sigmoid", "relu"]:
    keras.utils.set_random_seed({seed})
    model = keras.Sequential(
        [keras.Input(shape=({width},))] + [keras.layers.Dense({width}, activation=activation) for _ in range({depth})]
    )
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x)))
    grads = tape.gradient(loss, [layer.kernel for layer in model.layers])
    sizes = [float(tf.reduce_mean(tf.abs(g))) for g in grads]
    print(activation, "first layer / last layer:", sizes[0] / sizes[-1])
'''


# --- the Convolution page ---------------------------------------------------------------------------


def convolution_program(kernel, stride: int, padding: str, relu: bool, pool: str, pool_size: int,
                        image_name: str = "chelsea.png") -> str:  # fmt: skip
    """A Conv2D layer whose weights are the page's kernel, on a photo, as the course writes it."""
    k = np.asarray(kernel, np.float64)
    rows = ",\n".join("    [" + ", ".join(_number(v) for v in row) + "]" for row in k)
    pad = (k.shape[0] - 1) // 2 if padding == "same" else 0
    padding_line = f"    keras.layers.ZeroPadding2D({pad}),  # 'same': {pad} ring(s) of zeros\n" if pad else ""
    activation = ', activation="relu"' if relu else ""
    pooling = ""
    if pool != "none":
        layer = "MaxPooling2D" if pool == "max" else "AveragePooling2D"
        pooling = f"    keras.layers.{layer}({pool_size}),\n"
    return f'''"""The page's filter as a Keras Conv2D layer whose weights are the kernel."""
import numpy as np
from PIL import Image
from tensorflow import keras

IMAGE = "{image_name}"  # any photo; a dlviz checkout has this one in assets/images/
photo = Image.open(IMAGE).convert("RGB")
photo.thumbnail((512, 512))  # the page filters at most 512 pixels on the long side
image = np.asarray(photo, dtype="float32") @ np.array([0.299, 0.587, 0.114], dtype="float32") / 255.0

kernel = np.array([
{rows}
], dtype="float32")

model = keras.Sequential([
    keras.Input(shape=(*image.shape, 1)),
{padding_line}    keras.layers.Conv2D(1, kernel.shape, strides={stride}, use_bias=False{activation}),
{pooling}])
conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
conv.set_weights([kernel[:, :, None, None]])  # a (rows, columns, in, out) kernel

result = keras.ops.convert_to_numpy(model(image[None, :, :, None]))[0, :, :, 0]
print("input", image.shape, "-> output", result.shape)
print("mean", float(result.mean()), "min", float(result.min()), "max", float(result.max()))
'''
