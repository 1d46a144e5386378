"""Building blocks' programs: a neuron, a gate, XOR, softmax, the losses and vanishing gradients in Keras."""

from __future__ import annotations

from dlviz.core.keras_code import number_literal

_STEP_FUNCTION = """

def step(z):  # Keras has no step activation: heaviside(z, 1) is the perceptron's step
    return keras.ops.heaviside(z, 1.0)

"""


def _activation_code(name: str) -> str:
    return "step" if name == "step" else f'"{name}"'


def neuron_program(inputs, weights, bias: float, activation: str) -> str:
    """One Dense unit with the page's weights, applied to the page's inputs."""
    n = len(inputs)
    kernel = ", ".join(f"[{number_literal(w)}]" for w in weights)
    return f"""import numpy as np
from tensorflow import keras
{_STEP_FUNCTION if activation == "step" else ""}
x = np.array([[{", ".join(number_literal(v) for v in inputs)}]])
neuron = keras.layers.Dense(1, activation={_activation_code(activation)})
neuron.build((None, {n}))
neuron.set_weights([np.array([{kernel}]), np.array([{number_literal(bias)}])])

z = x @ neuron.kernel.numpy() + neuron.bias.numpy()
print("z =", z[0, 0])
print("output =", keras.ops.convert_to_numpy(neuron(x))[0, 0])
"""


def gate_program(bias: float, w1: float, w2: float) -> str:
    """A sigmoid neuron with the gate's weights and its truth table."""
    return f"""import numpy as np
from tensorflow import keras

inputs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
gate = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
gate.layers[0].set_weights([np.array([[{number_literal(w1)}], [{number_literal(w2)}]]), np.array([{number_literal(bias)}])])

outputs = gate.predict(inputs, verbose=0)[:, 0]
for (x1, x2), y in zip(inputs, outputs):
    print(x1, x2, "->", round(float(y), 4), "rounds to", int(round(float(y))))
"""


def xor_program(seed: int, epochs: int, learning_rate: float) -> str:
    """The 2-2-1 network the page trains on XOR."""
    return f"""import numpy as np
from tensorflow import keras

inputs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
targets = np.array([0, 1, 1, 0], dtype="float32")

keras.utils.set_random_seed({seed})  # the same starting weights as the dashboard
model = keras.Sequential([
    keras.Input(shape=(2,)),
    keras.layers.Dense(2, activation="sigmoid"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate={number_literal(learning_rate)}), loss="binary_crossentropy")
model.fit(inputs, targets, batch_size=4, epochs={epochs}, shuffle=False, verbose=0)

print("outputs:", model.predict(inputs, verbose=0)[:, 0].round(3))
for layer in model.layers:
    kernel, bias = layer.get_weights()
    print(layer.name, "weights", kernel.round(2).tolist(), "bias", bias.round(2).tolist())
"""


def softmax_program(logits, temperature: float, true_class: int) -> str:
    """Softmax of the scores and both cross-entropies, computed by Keras."""
    n = len(logits)
    return f"""import numpy as np
from tensorflow import keras

scores = np.array([[{", ".join(number_literal(v) for v in logits)}]])  # the network's raw outputs (logits)
temperature = {number_literal(temperature)}
probabilities = keras.activations.softmax(scores / temperature)
print("softmax:", keras.ops.convert_to_numpy(probabilities).round(3))

one_hot = keras.utils.to_categorical([{true_class}], num_classes={n})  # one-hot label: categorical
print("categorical cross-entropy:", float(keras.losses.CategoricalCrossentropy()(one_hot, probabilities)))
integer = np.array([{true_class}])  # integer label: sparse categorical
print("sparse categorical cross-entropy:", float(keras.losses.SparseCategoricalCrossentropy()(integer, probabilities)))
"""


def losses_program(errors, p: float) -> str:
    """The regression losses of some errors and the binary cross-entropy of one prediction."""
    return f"""import numpy as np
from tensorflow import keras

errors = np.array([{", ".join(number_literal(e) for e in errors)}])
y_true, y_pred = np.zeros((len(errors), 1)), errors[:, None]  # prediction = truth + error
for name in ["mae", "mse", "huber"]:
    print(name, keras.ops.convert_to_numpy(keras.losses.get(name)(y_true, y_pred)).round(4))

p = {number_literal(p)}  # the predicted probability of class 1
print("binary cross-entropy if y = 1:", float(keras.losses.binary_crossentropy(np.array([1.0]), np.array([p]))))
print("binary cross-entropy if y = 0:", float(keras.losses.binary_crossentropy(np.array([0.0]), np.array([p]))))
"""


def vanishing_program(depth: int, width: int = 16, seed: int = 0) -> str:
    """The gradient reaching each layer of a deep sigmoid stack and a deep ReLU stack."""
    return f"""import numpy as np
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
"""
