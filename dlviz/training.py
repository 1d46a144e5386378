"""A whole-epoch trainer that does what ``model.fit`` does, about 30 times faster.

``fit`` spends ~50-100 ms per call on set-up that dwarfs a toy network's
work; the dashboard trains one epoch at a time to show it. This trainer
compiles one epoch (shuffle, every mini-batch step, validation) into a single
XLA function and keeps ``fit``'s semantics: the model's own loss and
optimizer, the same batch size with a smaller last batch, a fresh shuffle
every epoch, regularization losses added, dropout active only in training,
and the reported training loss the batch-size-weighted mean over the epoch.
``tests/test_training.py`` checks it against ``fit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras


@dataclass
class History:
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.loss)

    def extend(self, other: History) -> None:
        for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
            getattr(self, name).extend(getattr(other, name))


def first_non_finite(values) -> int | None:
    """Index of the first NaN or infinite value, or None when all are finite."""
    bad = np.flatnonzero(~np.isfinite(np.asarray(values, dtype=np.float64)))
    return int(bad[0]) if bad.size else None


class Trainer:
    """Trains a compiled Keras model epoch by epoch on in-memory arrays."""

    def __init__(
        self,
        model: keras.Model,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_val: np.ndarray,
        y_val: np.ndarray,
        *,
        batch_size: int,
        seed: int = 0,
        classify: bool = True,
        shuffle: bool = True,
        jit_compile: bool = True,
    ):
        if model.optimizer is None:
            raise ValueError("compile the model before training it")
        self.model = model
        self.seed = int(seed)
        self.shuffle = shuffle
        self.jit_compile = jit_compile
        self.epoch = 0
        self.diverged = False
        self.history = History()
        self._x = tf.constant(x_train, tf.float32)
        self._y = tf.constant(np.reshape(y_train, (-1, 1)), tf.float32)
        self._xv = tf.constant(x_val, tf.float32)
        self._yv = tf.constant(np.reshape(y_val, (-1, 1)), tf.float32)
        self._classify = classify
        model.optimizer.build(model.trainable_variables)
        self._epoch_fns: dict[int, tf.types.experimental.GenericFunction] = {}
        self.batch_size = int(batch_size)

    @property
    def learning_rate(self) -> float:
        return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.model.optimizer.learning_rate.assign(value)

    def run(self, epochs: int) -> History:
        """Train ``epochs`` epochs; stop early at the first epoch whose loss is not finite."""
        step = self._epoch_fn(self.batch_size)
        out = History()
        for _ in range(epochs):
            if self.diverged:
                break
            logs = [float(v) for v in step(tf.constant([self.seed, self.epoch], tf.int32))]
            self.epoch += 1
            for name, value in zip(("loss", "val_loss", "accuracy", "val_accuracy"), logs, strict=True):
                getattr(out, name).append(value)
            if first_non_finite(logs[:2]) is not None:
                self.diverged = True
        self.history.extend(out)
        return out

    def _epoch_fn(self, batch_size: int):
        if batch_size not in self._epoch_fns:
            self._epoch_fns[batch_size] = self._compile_epoch(batch_size)
        return self._epoch_fns[batch_size]

    def _compile_epoch(self, batch_size: int):
        model, x, y, xv, yv = self.model, self._x, self._y, self._xv, self._yv
        loss_fn = model.loss
        if not isinstance(loss_fn, keras.losses.Loss):  # a name or a bare function: reduce as compile() does
            per_sample = keras.losses.get(model.loss)

            def loss_fn(y_true, y_pred):
                return tf.reduce_mean(per_sample(y_true, y_pred))

        opt = model.optimizer
        n = int(x.shape[0])
        batch_size = max(1, min(batch_size, n))
        n_full, remainder = divmod(n, batch_size)
        shuffle, classify = self.shuffle, self._classify

        def total_loss(y_true, y_pred):
            loss = loss_fn(y_true, y_pred)
            if model.losses:
                loss = loss + tf.add_n(model.losses)
            return loss

        def correct(y_true, y_pred):
            if not classify:
                return tf.constant(0.0)
            return tf.reduce_sum(tf.cast(tf.equal(y_true, tf.cast(y_pred > 0.5, tf.float32)), tf.float32))

        def train_step(xb, yb):
            with tf.GradientTape() as tape:
                pred = model(xb, training=True)
                loss = total_loss(yb, pred)
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables, strict=True))
            size = tf.cast(tf.shape(xb)[0], tf.float32)
            return loss * size, correct(yb, pred)

        @tf.function(jit_compile=self.jit_compile, reduce_retracing=True)
        def epoch(seed):
            if shuffle:
                order = tf.argsort(tf.random.stateless_uniform([n], seed=seed))
                xs, ys = tf.gather(x, order), tf.gather(y, order)
            else:
                xs, ys = x, y

            def body(i, loss_sum, hits):
                start = i * batch_size
                xb = tf.slice(xs, [start, 0], [batch_size, -1])
                yb = tf.slice(ys, [start, 0], [batch_size, -1])
                batch_loss, batch_hits = train_step(xb, yb)
                return i + 1, loss_sum + batch_loss, hits + batch_hits

            _, loss_sum, hits = tf.while_loop(
                lambda i, *_: i < n_full, body, (tf.constant(0), tf.constant(0.0), tf.constant(0.0))
            )
            if remainder:
                batch_loss, batch_hits = train_step(xs[n_full * batch_size :], ys[n_full * batch_size :])
                loss_sum += batch_loss
                hits += batch_hits
            val_pred = model(xv, training=False)
            val_loss = total_loss(yv, val_pred)
            val_hits = correct(yv, val_pred)
            return loss_sum / n, val_loss, hits / n, val_hits / tf.cast(tf.shape(xv)[0], tf.float32)

        return epoch


class Probe:
    """Every Dense layer's output over a fixed set of points, in one compiled call.

    The decision boundary and the per-neuron pictures in the network diagram
    both come from it. ``model.predict`` costs ~800 ms on a 100x100 grid and
    is not safe across threads; a compiled call costs about 2 ms.
    """

    def __init__(self, model: keras.Model, inputs: np.ndarray):
        self._inputs = tf.constant(inputs, tf.float32)
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]

        @tf.function(jit_compile=True)
        def outputs(x):
            found, h = [], x
            for layer in model.layers:
                h = layer(h, training=False)
                if layer in dense:
                    found.append(h)
            return found

        self._fn = outputs

    def __call__(self) -> list[np.ndarray]:
        return [t.numpy() for t in self._fn(self._inputs)]
