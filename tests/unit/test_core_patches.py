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
