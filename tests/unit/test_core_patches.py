"""dlviz.core.patches: Keras's optimizer updates as TensorFlow's fused training ops, equal to Keras's own."""

import logging

import numpy as np
import pytest
import tensorflow as tf
from tensorflow import keras

from dlviz.core import patches

OPTIMIZERS = {
    "adam": lambda: keras.optimizers.Adam(0.01),
    "sgd": lambda: keras.optimizers.SGD(0.1),
    "momentum": lambda: keras.optimizers.SGD(0.1, momentum=0.9),
    "nesterov": lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.01),
    "amsgrad": lambda: keras.optimizers.Adam(0.01, amsgrad=True),
    "clipped adam": lambda: keras.optimizers.Adam(0.01, clipnorm=0.5),
    "adam with weight decay": lambda: keras.optimizers.Adam(0.01, weight_decay=0.01),
    "adamw": lambda: keras.optimizers.AdamW(0.01),
}
KINDS = {"adam": "adam", "sgd": "sgd", "momentum": "momentum", "nesterov": "momentum"}


def network(optimizer) -> keras.Model:
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    model.optimizer.build(model.trainable_variables)
    return model


def train(model: keras.Model, fused: bool, steps: int = 6) -> None:
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(steps, 8, 3)), tf.float32)
    y = tf.constant(rng.normal(size=(steps, 8, 2)), tf.float32)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(xb, training=True) - yb))
        grads = tape.gradient(loss, model.trainable_variables)
        if fused:
            patches.apply_gradients(model.optimizer, grads, model.trainable_variables)
        else:
            model.optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))

    for i in range(steps):
        step(x[i], y[i])


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_fused_updates_equal_keras_own(name):
    """Weights, the optimizer's state and its step count after six steps, fused or Keras's update."""
    mine, theirs = network(OPTIMIZERS[name]()), network(OPTIMIZERS[name]())
    assert patches.fused_kind(mine.optimizer) == KINDS.get(name)
    train(mine, fused=True)
    train(theirs, fused=False)
    assert int(mine.optimizer.iterations.numpy()) == int(theirs.optimizer.iterations.numpy()) == 6
    for a, b in zip(mine.weights + mine.optimizer.variables, theirs.weights + theirs.optimizer.variables, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    assert not np.allclose(np.asarray(mine.weights[0]), np.asarray(network(OPTIMIZERS[name]()).weights[0]))


def test_the_epoch_traces_one_fused_op_per_variable():
    """What makes the trace quick: the graph holds ResourceApplyAdam, one per weight matrix and bias."""
    model = network(keras.optimizers.Adam(0.01))

    @tf.function
    def step(grads):
        patches.apply_gradients(model.optimizer, grads, model.trainable_variables)

    graph = step.get_concrete_function([tf.zeros_like(v) for v in model.trainable_variables]).graph
    kinds = [op.type for op in graph.get_operations()]
    assert kinds.count("ResourceApplyAdam") == len(model.trainable_variables) == 4


def test_a_missing_internal_falls_back_to_keras_and_says_so(monkeypatch, caplog):
    """A newer Keras without Adam's ``_momentums``: the update is left to Keras, with a warning."""
    patches.missing.cache_clear()
    optimizer = network(keras.optimizers.Adam(0.01)).optimizer
    monkeypatch.delattr(optimizer, "_momentums")
    with caplog.at_level(logging.WARNING, logger="dlviz.core.patches"):
        assert patches.fused_kind(optimizer) is None
    assert "_momentums" in caplog.text


def _seeded_network(seed_with) -> tuple[list[np.ndarray], np.ndarray, float, float]:
    """A network with every kind of layer that draws seeds, built after ``seed_with(7)``: its weights, a dropout
    mask it draws in training, and the next numbers of Python's and NumPy's generators."""
    import random

    seed_with(7)
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(5, activation="tanh"), keras.layers.Dropout(0.5),
                              keras.layers.Dense(3, kernel_initializer="random_normal")])  # fmt: skip
    mask = np.asarray(model.layers[-2](tf.ones((2, 5)), training=True))
    return [np.asarray(w) for w in model.weights], mask, random.random(), float(np.random.random())


def test_the_random_seed_is_keras_own_without_clearing_tensorflow_kernels(monkeypatch):
    """``patches.set_random_seed`` builds the same weights, dropout masks and Python and NumPy numbers as
    ``keras.utils.set_random_seed``, and leaves TensorFlow's kernel cache (every session's compiled functions)
    alone, which Keras's function clears."""
    from tensorflow.python import pywrap_tfe

    theirs = _seeded_network(keras.utils.set_random_seed)
    cleared = []
    clear = pywrap_tfe.TFE_ContextClearCaches
    monkeypatch.setattr(pywrap_tfe, "TFE_ContextClearCaches", lambda handle: cleared.append(handle) or clear(handle))
    keras.utils.set_random_seed(7)
    assert len(cleared) == 1  # what Keras's own function does, seen by this spy
    mine = _seeded_network(patches.set_random_seed)
    assert len(cleared) == 1
    for a, b in zip(mine[0], theirs[0], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(mine[1], theirs[1])
    assert mine[2:] == theirs[2:]
    with pytest.raises(ValueError, match="integer"):
        patches.set_random_seed(7.5)


def test_a_missing_keras_seed_internal_falls_back_to_keras_and_says_so(monkeypatch, caplog):
    """A newer Keras whose global seed lives elsewhere: Keras's own function seeds, with a warning."""
    import sys

    from keras.src.backend import common

    theirs = _seeded_network(keras.utils.set_random_seed)
    patches.missing.cache_clear()
    monkeypatch.delattr(common, "global_state")  # Keras's own modules keep the one they imported
    monkeypatch.setitem(sys.modules, "keras.src.backend.common.global_state", None)
    with caplog.at_level(logging.WARNING, logger="dlviz.core.patches"):
        mine = _seeded_network(patches.set_random_seed)
    assert "that workaround is off" in caplog.text
    np.testing.assert_array_equal(mine[0][0], theirs[0][0])
