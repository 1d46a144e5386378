"""Every workaround of TensorFlow's and Keras's internals, in one place (Streamlit's and the canvas's are in
``dlviz.ui.patches``: only ``dlviz.ui`` may import Streamlit).

Each one is guarded: when an internal it relies on is gone (a newer Keras), it falls back to the public way
and logs once, and a test fails (tests/unit/test_core_patches.py) so the upgrade is noticed.
"""

from __future__ import annotations

import functools
import logging
import random
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow import keras

log = logging.getLogger(__name__)


@functools.cache
def missing(what: str) -> None:
    """Say once per process that a workaround found nothing to patch (the library changed)."""
    log.warning("dlviz.core.patches: %s is gone in this version; that workaround is off.", what)


def set_random_seed(seed: int) -> None:
    """``keras.utils.set_random_seed(seed)`` for building Keras models, without clearing TensorFlow's kernel cache.

    Keras's function also calls ``tf.random.set_seed``, and TensorFlow then clears the process's kernel cache:
    every compiled function of every session sets its kernels up again at its next call (a Playground epoch
    took 90 ms instead of 4, its weight copy 13 ms instead of 1: docs/benchmarks.md). A server builds a model
    whenever someone opens a page, changes a network or presses Reset, so in a room that was most turns. Keras
    3 draws its initializers' and layers' seeds from Python's ``random`` and its own global seed generator,
    never from TensorFlow's global seed (its random ops are stateless), so the weights are the same: this
    does what Keras's function does, bar TensorFlow's seed (tests/unit/test_core_patches.py)."""
    try:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
        from keras.src.utils import rng_utils

        names = rng_utils.GLOBAL_RANDOM_SEED, seed_generator.GLOBAL_SEED_GENERATOR
        setter = global_state.set_global_attribute
    except (ImportError, AttributeError):
        missing("keras.src.utils.rng_utils.GLOBAL_RANDOM_SEED or keras.src.random.seed_generator.GLOBAL_SEED_GENERATOR")
        keras.utils.set_random_seed(seed)
        return
    if not isinstance(seed, int):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} (of type {type(seed)})")
    setter(names[0], seed)
    setter(names[1], None)  # Keras's global seed generator is made again from the seed when next used
    random.seed(seed)
    np.random.seed(seed)


def fused_kind(optimizer: Any) -> str | None:
    """Which of TensorFlow's fused training ops computes exactly this optimizer's update: "adam",
    "momentum", "sgd", or None (then ``apply_gradients`` leaves it to Keras).

    Only the plain cases: no clipping, weight decay, loss scaling, gradient accumulation, moving average
    or AMSGrad, whose extra steps Keras adds around the update."""
    for extra in ("use_ema", "clipnorm", "clipvalue", "global_clipnorm", "weight_decay", "loss_scale_factor",
                  "gradient_accumulation_steps"):  # fmt: skip
        if getattr(optimizer, extra, None):
            return None
    if type(optimizer) is keras.optimizers.Adam and not optimizer.amsgrad:
        if not all(hasattr(optimizer, a) for a in ("_momentums", "_velocities", "_get_variable_index")):
            return missing("keras.optimizers.Adam's _momentums, _velocities or _get_variable_index")
        return "adam"
    if type(optimizer) is keras.optimizers.SGD:
        if not optimizer.momentum:
            return "sgd"
        if not all(hasattr(optimizer, a) for a in ("momentums", "_get_variable_index")):
            return missing("keras.optimizers.SGD's momentums or _get_variable_index")
        return "momentum"
    return None


def apply_gradients(optimizer: Any, grads: list, variables: list) -> None:
    """``optimizer.apply_gradients(zip(grads, variables))`` inside a traced epoch, as one fused TensorFlow op
    per variable where ``fused_kind`` names one.

    Keras writes Adam's update as about ten ops per variable, each traced in Python, and works the learning
    rate's bias correction out again for every variable; ``ResourceApplyAdam`` is the same formula (the
    same order of operations: m += (g - m)(1 - beta1), v += (g^2 - v)(1 - beta2), w -= alpha m / (sqrt(v) +
    epsilon)) in one kernel that TensorFlow and XLA both have. Measured here: a new Data lab network's first
    epoch (trace and run) 0.40-0.49 s -> 0.25-0.36 s, its later epochs 30% quicker, the weights equal to
    Keras's own update to float rounding (docs/benchmarks.md; tests/unit/test_core_patches.py). The
    optimizer's own variables hold the state, so saving, loading and ``fit`` carry on from it."""
    kind = fused_kind(optimizer)
    if (
        kind is None
        or any(g is None or isinstance(g, tf.IndexedSlices) for g in grads)
        or any(
            getattr(v, "constraint", None) is not None
            or getattr(v, "overwrite_with_gradient", False)
            or v.dtype != "float32"
            for v in variables
        )  # fmt: skip
    ):
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        return
    lr = tf.cast(optimizer.learning_rate, tf.float32)
    if kind == "adam":
        step = tf.cast(optimizer.iterations + 1, tf.float32)
        beta_1, beta_2 = tf.constant(optimizer.beta_1, tf.float32), tf.constant(optimizer.beta_2, tf.float32)
        beta_1_power, beta_2_power = tf.pow(beta_1, step), tf.pow(beta_2, step)
        epsilon = tf.constant(optimizer.epsilon, tf.float32)
    elif kind == "momentum":
        momentum = tf.constant(optimizer.momentum, tf.float32)
    for grad, variable in zip(grads, variables, strict=True):
        handle = variable.value.handle
        if kind == "adam":
            i = optimizer._get_variable_index(variable)
            m, v = optimizer._momentums[i], optimizer._velocities[i]
            tf.raw_ops.ResourceApplyAdam(var=handle, m=m.value.handle, v=v.value.handle, beta1_power=beta_1_power,
                                         beta2_power=beta_2_power, lr=lr, beta1=beta_1, beta2=beta_2, epsilon=epsilon,
                                         grad=grad)  # fmt: skip
        elif kind == "momentum":
            accum = optimizer.momentums[optimizer._get_variable_index(variable)]
            tf.raw_ops.ResourceApplyKerasMomentum(var=handle, accum=accum.value.handle, lr=lr, grad=grad,
                                                  momentum=momentum, use_nesterov=bool(optimizer.nesterov))  # fmt: skip
        else:
            tf.raw_ops.ResourceApplyGradientDescent(var=handle, alpha=lr, delta=grad)
    optimizer.iterations.assign_add(1)
