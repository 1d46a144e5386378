"""Keras model builders. Every network a learner sees is built here."""

from __future__ import annotations

import contextlib
import os
import threading

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tensorflow import keras  # noqa: E402

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OPTIMIZERS = {
    "sgd": "SGD",
    "momentum": "SGD with momentum",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}
REGULARIZERS = ("none", "l1", "l2")

# keras.utils.set_random_seed is process-wide and building a layer draws from
# the global generators; sessions build models in parallel threads, so every
# build in dlviz happens inside ``seeded``.
_SEED_LOCK = threading.RLock()


@contextlib.contextmanager
def seeded(seed: int):
    """Build Keras models as after ``keras.utils.set_random_seed(seed)``, one thread at a time."""
    with _SEED_LOCK:
        keras.utils.set_random_seed(seed)
        yield


def optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=learning_rate)
    if name == "momentum":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=learning_rate)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=learning_rate)
    raise ValueError(f"unknown optimizer {name!r}")


def regularizer(kind: str, rate: float):
    if kind == "none" or rate == 0:
        return None
    if kind == "l1":
        return keras.regularizers.L1(rate)
    if kind == "l2":
        return keras.regularizers.L2(rate)
    raise ValueError(f"unknown regularizer {kind!r}")


def mlp(
    n_inputs: int,
    layers: tuple[int, ...],
    activations: tuple[str, ...],
    *,
    regression: bool = False,
    regularization: str = "none",
    reg_rate: float = 0.0,
    dropout: float = 0.0,
    seed: int = 0,
) -> keras.Sequential:
    """A fully connected network with one output neuron, seeded like ``keras.utils.set_random_seed(seed)``."""
    reg = (regularization, reg_rate)
    with seeded(seed):
        # Same construction order as the exported program, so the same weights.
        stack: list[keras.layers.Layer] = [keras.Input(shape=(n_inputs,))]
        for units, activation in zip(layers, activations, strict=True):
            stack.append(keras.layers.Dense(units, activation=activation, kernel_regularizer=regularizer(*reg)))
            if dropout > 0:
                stack.append(keras.layers.Dropout(dropout))
        output = "linear" if regression else "sigmoid"
        stack.append(keras.layers.Dense(1, activation=output, kernel_regularizer=regularizer(*reg)))
        return keras.Sequential(stack)


def compile_for(model: keras.Model, optimizer_name: str, learning_rate: float, regression: bool) -> None:
    model.compile(
        optimizer=optimizer(optimizer_name, learning_rate),
        loss="mse" if regression else "binary_crossentropy",
        metrics=[] if regression else ["accuracy"],
    )
