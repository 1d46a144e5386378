"""Keras model builders. Every network a learner sees is built here."""

from __future__ import annotations

import contextlib
import os
import threading

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tensorflow import keras  # noqa: E402

from dlviz.core import patches  # noqa: E402

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
    """Build Keras models as after ``keras.utils.set_random_seed(seed)``, one thread at a time (and without
    clearing TensorFlow's kernel cache for every session: ``patches.set_random_seed``)."""
    with _SEED_LOCK:
        patches.set_random_seed(seed)
        yield


@contextlib.contextmanager
def unseeded():
    """Build or clone a Keras model whose starting weights nobody keeps (a twin whose weights are overwritten):
    its layers still draw their seeds from Python's global generator, so without the lock a clone in one
    thread would take draws meant for a ``seeded`` build in another, whose weights would then differ."""
    with _SEED_LOCK:
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
    classes: int = 2,
) -> keras.Sequential:
    """A fully connected network seeded like ``keras.utils.set_random_seed(seed)``.

    Its output is one neuron (sigmoid for two classes, linear for a regression), or a softmax over
    ``classes`` neurons when there are more than two classes.
    """
    reg = (regularization, reg_rate)
    with seeded(seed):
        # Same construction order as the exported program, so the same weights.
        stack: list[keras.layers.Layer] = [keras.Input(shape=(n_inputs,))]
        for units, activation in zip(layers, activations, strict=True):
            stack.append(keras.layers.Dense(units, activation=activation, kernel_regularizer=regularizer(*reg)))
            if dropout > 0:
                stack.append(keras.layers.Dropout(dropout))
        output, units = output_layer(regression, classes)
        stack.append(keras.layers.Dense(units, activation=output, kernel_regularizer=regularizer(*reg)))
        return keras.Sequential(stack)


def output_layer(regression: bool, classes: int = 2) -> tuple[str, int]:
    """The last layer's activation and width: Chollet's table for a regression, two classes or more."""
    if regression:
        return "linear", 1
    return ("softmax", classes) if classes > 2 else ("sigmoid", 1)


def loss_for(regression: bool, classes: int = 2) -> str:
    """The loss that goes with ``output_layer``: class numbers as targets for a softmax."""
    if regression:
        return "mse"
    return "sparse_categorical_crossentropy" if classes > 2 else "binary_crossentropy"


def compile_for(
    model: keras.Model, optimizer_name: str, learning_rate: float, regression: bool, classes: int = 2
) -> None:
    model.compile(
        optimizer=optimizer(optimizer_name, learning_rate),
        loss=loss_for(regression, classes),
        metrics=[] if regression else ["accuracy"],
    )
