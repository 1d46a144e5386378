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

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow import keras

from dlviz.core import models, patches


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


def _column(y) -> np.ndarray:
    """Targets as a matrix: one column per output (one-hot targets stay as they are)."""
    y = np.asarray(y)
    return y if y.ndim == 2 else np.reshape(y, (-1, 1))


def first_non_finite(values) -> int | None:
    """Index of the first NaN or infinite value, or None when all are finite."""
    bad = np.flatnonzero(~np.isfinite(np.asarray(values, dtype=np.float64)))
    return int(bad[0]) if bad.size else None


# Compiled epochs shared by every session that trains the same network (see ``Trainer``'s ``share``).
_ENGINES: OrderedDict[tuple, list[_Engine]] = OrderedDict()
_ENGINE_KEYS = 64  # architectures kept; the least recently used go first
_engines_lock = threading.Lock()
_AHEAD: dict[tuple, threading.Thread] = {}  # (engine key, epoch size) -> the thread compiling it ahead
SWAP_AFTER = 2  # epochs through the quick graph epoch before its static one is traced behind (``Trainer._quick_now``)
QUICK_EPOCHS = 30  # a run's first epochs through the graph when its epoch is XLA's (``Trainer._quick_now``); each
# costs five times the CPU of an XLA epoch (two threads): 100 made a 30-participant room measurably slower
AHEAD_DELAY = 0.3  # seconds a new network must stay before its epoch is compiled ahead


@tf.function(reduce_retracing=True)
def _copy(targets, sources) -> None:
    for target, source in zip(targets, sources, strict=True):
        target.assign(source)


def _handles(model: keras.Model) -> list[tf.Variable]:
    """Every variable training reads or changes: weights, layer state (dropout's seeds), the optimizer's state."""
    variables = [*model.trainable_variables, *model.non_trainable_variables, *model.optimizer.variables]
    return [v.value for v in variables]


class _Engine:
    """A network and its compiled epochs; a trainer borrows it, bringing its own weights in and out."""

    def __init__(self, model: keras.Model, shuffle: bool, metric: str, jit_compile: bool) -> None:
        self.model, self.shuffle, self.metric, self.jit_compile = model, shuffle, metric, jit_compile
        self.variables = _handles(model)
        self.weight_count = len(model.trainable_variables) + len(model.non_trainable_variables)
        self.lock = threading.Lock()
        self.preparing: Any = (
            None  # what a borrower is compiling on it (an epoch size...): wait, do not compile another
        )
        self._fns: dict[tuple, Any] = {}
        self.ready: set = set()  # what has been compiled and run at least once: epoch sizes, ("quick", size), "probe"
        self.traced: set[tuple] = set()  # epoch sizes whose static-shape epoch is traced (``trace_behind``)
        self._behind: dict[tuple, threading.Thread] = {}

    def probe_fn(self):
        if "probe" not in self._fns:
            self._fns["probe"] = _probe_function(self.model)
        return self._fns["probe"]

    def epoch_fn(self, batch_size: int, n: int):
        if (batch_size, n) not in self._fns:  # setdefault: made untraced, cheaply; two threads get the same one
            self._fns.setdefault((batch_size, n), _epoch_function(self.model, batch_size, n, self.shuffle,
                                                                  self.metric, self.jit_compile))  # fmt: skip
        return self._fns[batch_size, n]

    def quick_fn(self, batch_size: int, n: int):
        if (batch_size, n, "quick") not in self._fns:
            self._fns.setdefault((batch_size, n, "quick"), _epoch_function(self.model, batch_size, n, self.shuffle,
                                                                           self.metric, False, quick=True))  # fmt: skip
        return self._fns[batch_size, n, "quick"]

    def trace_behind(self, batch_size: int, n: int, data: tuple) -> threading.Thread:
        """Trace the static-shape epoch for this size in a thread of its own, holding the server's compile slot
        (``pacing.compiling``: one compile at a time, beside the training turns, so that nobody's training waits
        for it) and not the engine's lock: training goes on through the quick epoch meanwhile and takes the
        static one from its next call on. Tracing runs nothing, so it changes no variable. Returns the thread
        (tests join it)."""
        size = (batch_size, n)
        fn = self.epoch_fn(*size)
        with _engines_lock:
            if size in self._behind:
                return self._behind[size]

            def trace() -> None:
                from dlviz.core import pacing

                with pacing.compiling():
                    try:
                        fn.get_concrete_function(*data, tf.range(n, dtype=tf.int32))
                    except Exception:  # noqa: BLE001 - training goes on through the quick epoch
                        return
                self.traced.add(size)

            # Not a daemon: Python stopping a daemon thread inside TensorFlow at exit aborts the process.
            thread = self._behind[size] = threading.Thread(target=trace, name="dlviz-trace-behind", daemon=False)
        thread.start()
        return thread


def _adapted(model: keras.Model) -> list:
    """The layers whose state a traced function holds as constants: an adapted preprocessing layer
    (``Normalization``) turns its mean and variance into tensors when adapted (``finalize_state``), not
    variables, so a compiled epoch keeps the statistics of the network it was traced on."""
    return [layer for layer in model.layers if callable(getattr(layer, "finalize_state", None))]


def _adapted_digest(model: keras.Model) -> str:
    """A digest of ``_adapted``'s statistics: part of a shared epoch's key, as its compiled code holds them."""
    digest = hashlib.sha1()
    for layer in _adapted(model):
        for weight in layer.get_weights():
            digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()


def _twin(model: keras.Model) -> keras.Model:
    """A network like ``model``, with variables of its own, compiled the same way (its adapted layers with
    ``model``'s statistics)."""
    with models.unseeded():
        twin = keras.models.clone_model(model)
    if _adapted(model):
        twin.set_weights(model.get_weights())
        for layer in _adapted(twin):
            layer.finalize_state()
    optimizer = model.optimizer.__class__.from_config(model.optimizer.get_config())
    twin.compile(optimizer=optimizer, loss=model.loss)
    optimizer.build(twin.trainable_variables)
    return twin


def _has_quick(engine: _Engine) -> bool:
    return any(isinstance(what, tuple) and what[:1] == ("quick",) for what in engine.ready)


def _borrow(
    key: tuple, model: keras.Model, make: Callable[[keras.Model], _Engine], ahead: bool = False, want: Any = None,
    compiled: bool = False,
) -> _Engine | None:  # fmt: skip
    """A free engine for ``key`` (taken with its lock held), or a new one built on a twin of ``model``.

    The borrower wants ``want`` (an epoch size, ("quick", size), "probe") compiled: a free engine where it is
    comes first; if there is none and another borrower is compiling it, that engine is waited for, as
    compiling it twice would cost twice; a quick graph epoch's engines are waited for too while one has it
    (a turn lasts about 0.1 s; a room pressing Play at once would otherwise trace one per participant). An
    engine taken to compile ``want`` on is marked ``preparing`` it until its borrower is done.
    ``compiled``: only a free engine with ``want`` compiled will do; None if there is none. ``ahead``: the
    borrower compiles ``want`` ahead (``compile_ahead``): None when an engine has it or is preparing it; else
    a free engine with nothing compiled yet (runs want the others back), or a new one.
    """

    def done(pool: list[_Engine]) -> bool:
        return any(want in engine.ready or engine.preparing == want for engine in pool)

    with _engines_lock:
        pool = _ENGINES.setdefault(key, [])
        _ENGINES.move_to_end(key)
        while len(_ENGINES) > _ENGINE_KEYS:
            _ENGINES.popitem(last=False)
        if ahead and done(pool):
            return None
        waiting = not (ahead or compiled) and any(engine.preparing == want for engine in pool)
        if compiled or waiting:
            order = [engine for engine in pool if want in engine.ready]
        elif ahead:
            order = [engine for engine in pool if not engine.ready]
        else:  # those that have what is wanted first; to compile something else, those with no graph epoch
            order = sorted(pool, key=lambda engine: (want not in engine.ready, _has_quick(engine)))
        for engine in order:
            if engine.lock.acquire(blocking=False):
                engine.preparing = None if compiled or want in engine.ready else want
                return engine
        if compiled:
            return None
        busy = None
        if waiting:
            busy = next(engine for engine in pool if engine.preparing == want)
        elif not ahead and isinstance(want, tuple) and want[:1] == ("quick",):
            busy = next((engine for engine in pool if want in engine.ready and engine.preparing is None), None)
    if busy is not None:
        busy.lock.acquire()
        return busy
    engine = make(_twin(model))
    engine.lock.acquire()
    engine.preparing = want
    with _engines_lock:
        pool = _ENGINES.setdefault(key, [])
        if ahead and done(pool):
            return None  # a run took it on while the twin was made
        pool.append(engine)
    return engine


class Trainer:
    """Trains a compiled Keras model epoch by epoch on in-memory arrays.

    With ``share`` (a key naming the network's architecture and optimizer)
    the compiled epoch is shared by every trainer on the server with that
    key and the same data shapes: each run copies the model's weights and
    optimizer state into a shared twin network, trains it, and copies them
    back (~1 ms). Tracing and compiling an epoch costs seconds of CPU,
    most of it holding Python's lock, so a room that opens the same shared
    link compiles it once instead of once per participant.
    """

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
        metric: str | None = None,
        shuffle: bool = True,
        jit_compile: bool = True,
        share: tuple | None = None,
        quick: str = "swap",
    ):
        if model.optimizer is None:
            raise ValueError("compile the model before training it")
        self.model = model
        self.seed = int(seed)
        self.shuffle = shuffle
        self.jit_compile = jit_compile
        if quick not in ("swap", "only", "never"):
            raise ValueError(f"quick is 'swap', 'only' or 'never', not {quick!r}")
        self.quick = quick
        # Layers that draw random numbers (dropout's masks) draw other ones under XLA than in a graph
        self._draws = any(hasattr(layer, "seed_generator") for layer in model.layers)
        # Batch normalization's statistics round otherwise over the quick epoch's dynamic last batch than over
        # the static one's: a network with it keeps the quick epoch, so that its figures never depend on
        # when (or whether, for a shared epoch) the static one was ready
        self._swaps = not any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)
        self.epoch = 0
        self.diverged = False
        self.history = History()
        self._data = tuple(tf.constant(a, tf.float32) for a in (x_train, _column(y_train), x_val, _column(y_val)))
        # what the accuracy fields hold: "binary" (a sigmoid output), "sparse" (class numbers against a softmax),
        # "categorical" (one-hot targets), "mae" (mean absolute error) or "none"
        self._metric = metric or ("binary" if classify else "none")
        model.optimizer.build(model.trainable_variables)
        self._share = share
        self._adapted = _adapted_digest(model) if share else ""
        self._own = None if share else _Engine(model, shuffle, self._metric, jit_compile)
        self.batch_size = int(batch_size)

    @property
    def learning_rate(self) -> float:
        return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.model.optimizer.learning_rate.assign(value)

    def run(self, epochs: int) -> History:
        """Train ``epochs`` epochs; stop early at the first epoch whose loss is not finite."""
        out = History()
        if epochs <= 0 or self.diverged:
            return out
        n = int(self._data[0].shape[0])
        batch_size = max(1, min(self.batch_size, n))
        size = (batch_size, n)
        while epochs > 0 and not self.diverged:
            quick = self._quick_now(self._own, *size)
            want = ("quick", size) if quick else size
            engine = self._own or _borrow(self._key(), self.model, self._make_engine, want=want)
            if engine is self._own:
                engine.lock.acquire()
            elif not self.jit_compile and quick:  # a shared graph epoch: the static one, if this engine has it
                quick = self._quick_now(engine, *size)
                want = ("quick", size) if quick else size
            take = epochs if not quick or not engine.jit_compile else min(epochs, QUICK_EPOCHS - self.epoch)
            try:
                if self._own is None:
                    mine = _handles(self.model)
                    _copy(engine.variables, mine)
                self._run(engine.quick_fn(*size) if quick else engine.epoch_fn(*size), take, out)
                engine.ready.add(want)
                if self._own is None:
                    _copy(mine, engine.variables)
            finally:
                engine.preparing = None
                engine.lock.release()
            epochs -= take
            if quick and self.quick == "swap":
                if engine.jit_compile:
                    self.compile_ahead(delay=0)  # XLA's, on a twin of its own, while the graph's epochs run
                elif self.epoch >= SWAP_AFTER and self._swaps:
                    engine.trace_behind(batch_size, n, self._data)
        self.history.extend(out)
        return out

    def _quick_now(self, engine: _Engine | None, batch_size: int, n: int) -> bool:
        """Whether the next epoch goes through the quick epoch: a graph (no XLA) whose training step is traced
        once, in a fraction of the time (a new Playground network: 0.2 s against about a second for XLA; a
        Data lab network with a smaller last batch: two thirds of the static graph's time), and which runs
        slower.

        - A shared XLA epoch (the Playground): a run's first ``QUICK_EPOCHS`` epochs, always, so that Play
          shows a new network's first epoch at once; XLA's epoch is compiled ahead on a twin meanwhile
          (``compile_ahead``) and trains the rest. Always those epochs, whether XLA's is ready or not: a run,
          run again after Reset, gives the same figures whatever the server had compiled. The two agree to
          float rounding (XLA fuses kernels), not where a run blows up: a huge learning rate may give NaN at
          once through XLA and a huge but finite loss through the graph. A network with dropout trains
          through XLA alone: its masks would be other random numbers.
        - A graph epoch with a smaller last batch (the Data lab, Overfitting): until its static-shape version,
          traced behind it from the second epoch on (``_Engine.trace_behind``), is ready. The two are the same
          kernels on the same batches: bit for bit the same figures (tests/unit/test_training.py), bar batch
          normalization's, which round otherwise: a network with it keeps the quick epoch.

        ``quick="only"`` keeps the quick epoch (short runs such as K-fold's, where tracing twice costs more
        than it saves), ``"never"`` never uses it."""
        size = (batch_size, n)
        if self.quick == "never":
            return False
        if self.jit_compile:
            return self._graph_first() and self.epoch < QUICK_EPOCHS
        static = self.quick != "only" and self._swaps and engine is not None and size in engine.traced
        return n % batch_size != 0 and not static

    def _graph_first(self) -> bool:
        """Whether this XLA trainer's runs start through the graph's epoch: XLA needs a twin to compile ahead
        on, so only a shared epoch does; and not with dropout, whose masks would be other random numbers."""
        return self.jit_compile and self._share is not None and not self._draws and self.quick != "never"

    def _order(self, epoch: int) -> tf.Tensor:
        """The order of the training rows in ``epoch``: a fresh shuffle from the seed and the epoch number
        (``fit``'s shuffle every epoch, reproducible), or as they are. Drawn with NumPy for every kind of epoch
        alike: XLA's stateless random numbers differ from the graph's, even for the same algorithm."""
        n = int(self._data[0].shape[0])
        if not self.shuffle:
            return tf.range(n, dtype=tf.int32)
        return tf.constant(np.random.default_rng([self.seed, epoch]).permutation(n).astype(np.int32))

    def wait_behind(self) -> None:
        """Wait for the static-shape epoch being traced behind the quick one (benchmarks and tests)."""
        if self._own is not None:
            engines = [self._own]
        else:
            with _engines_lock:
                engines = list(_ENGINES.get(self._key(), []))
        for thread in [thread for engine in engines for thread in list(engine._behind.values())]:
            thread.join()

    def _key(self) -> tuple:
        shapes = tuple(tuple(d.shape) for d in self._data)
        return (self._share, self._adapted, shapes, self.shuffle, self._metric, self.jit_compile)

    def _make_engine(self, twin: keras.Model) -> _Engine:
        return _Engine(twin, self.shuffle, self._metric, self.jit_compile)

    def compile_ahead(self, delay: float = AHEAD_DELAY) -> threading.Thread | None:
        """Compile this network's epoch in a background thread, so that Play finds it ready.

        Tracing and compiling a new network's epoch takes about a second of CPU here, and a participant who
        has just built one looks at it before pressing Play. After ``delay`` seconds, if the trainer is
        still in use (a participant clicking neurons +1, +1, +1 leaves the first two at once) and the
        server has not compiled this network already, a thread takes a training turn (so a busy room's
        training goes first) and runs one epoch on a shared twin of the network: the twin's weights are
        overwritten by every run that borrows it, so the trainer's own numbers are exactly those of a run
        without it. Returns the thread (tests join it), or None when there is nothing left to do.
        """
        if self._share is None:
            return None
        n = int(self._data[0].shape[0])
        size = (max(1, min(self.batch_size, n)), n)
        jobs = [(size, lambda trainer, engine: engine.epoch_fn(*size)(*trainer._data, trainer._order(0)))]
        if self._graph_first():  # the graph's epoch first: a run's first epochs go through it
            jobs.insert(0, (("quick", size),
                            lambda trainer, engine: engine.quick_fn(*size)(*trainer._data, trainer._order(0))))  # fmt: skip
        return _ahead(self._key(), jobs, self, delay)

    def _run(self, step, epochs: int, out: History) -> None:
        for _ in range(epochs):
            if self.diverged:
                break
            logs = [float(v) for v in step(*self._data, self._order(self.epoch))]
            self.epoch += 1
            for name, value in zip(("loss", "val_loss", "accuracy", "val_accuracy"), logs, strict=True):
                getattr(out, name).append(value)
            if first_non_finite(logs[:2]) is not None:
                self.diverged = True


def _epoch_function(model: keras.Model, batch_size: int, n: int, shuffle: bool, metric: str, jit_compile: bool,
                    quick: bool = False):  # fmt: skip
    """One epoch of ``model`` as one compiled function of the data and the order of the training rows
    (``Trainer._order``: drawn outside, since XLA's random numbers are not the graph's). ``quick`` (not XLA): the
    last, smaller batch goes through the loop too, with a dynamic shape there."""
    loss_fn = model.loss
    if not isinstance(loss_fn, keras.losses.Loss):  # a name or a bare function: reduce as compile() does
        per_sample = keras.losses.get(model.loss)

        def loss_fn(y_true, y_pred):
            return tf.reduce_mean(per_sample(y_true, y_pred))

    opt = model.optimizer
    n_full, remainder = divmod(n, batch_size)
    # Quick: the training step is traced once instead of twice (two thirds of the time a new network's first
    # epoch takes), but with the batch's shape unknown in the graph each epoch runs about 30% slower
    # (docs/benchmarks.md). XLA needs static shapes: with it there is no quick epoch.
    in_loop = bool(remainder) and quick

    def total_loss(y_true, y_pred):
        loss = loss_fn(y_true, y_pred)
        if model.losses:
            loss = loss + tf.add_n(model.losses)
        return loss

    def correct(y_true, y_pred):
        """The batch's metric summed over its samples: hits (accuracy), or absolute errors (MAE)."""
        if metric == "binary":
            return tf.reduce_sum(tf.cast(tf.equal(y_true, tf.cast(y_pred > 0.5, tf.float32)), tf.float32))
        if metric == "sparse":  # class numbers against the softmax's most likely class
            hit = tf.equal(tf.cast(y_true[:, 0], tf.int64), tf.argmax(y_pred, axis=-1))
            return tf.reduce_sum(tf.cast(hit, tf.float32))
        if metric == "categorical":  # one-hot targets
            hit = tf.equal(tf.argmax(y_true, axis=-1), tf.argmax(y_pred, axis=-1))
            return tf.reduce_sum(tf.cast(hit, tf.float32))
        if metric == "mae":
            return tf.reduce_sum(tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1))
        return tf.constant(0.0)

    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            pred = model(xb, training=True)
            loss = total_loss(yb, pred)
        grads = tape.gradient(loss, model.trainable_variables)
        patches.apply_gradients(opt, grads, model.trainable_variables)  # Keras's update, as fused ops
        size = tf.cast(tf.shape(xb)[0], tf.float32)
        return loss * size, correct(yb, pred)

    # No autograph: every branch here is on Python values, and converting each call costs a new network's
    # trace ~15 ms (docs/benchmarks.md)
    @tf.function(jit_compile=jit_compile, reduce_retracing=True, autograph=False)
    def epoch(x, y, xv, yv, order):
        if shuffle:
            xs, ys = tf.gather(x, order), tf.gather(y, order)
        else:
            xs, ys = x, y

        def body(i, loss_sum, hits):
            start = i * batch_size
            if in_loop:  # the rows' count unknown in the graph, their width known
                end = tf.minimum(start + batch_size, n)
                xb, yb = xs[start:end], ys[start:end]
            else:
                xb = tf.slice(xs, [start, 0], [batch_size, -1])
                yb = tf.slice(ys, [start, 0], [batch_size, -1])
            batch_loss, batch_hits = train_step(xb, yb)
            return i + 1, loss_sum + batch_loss, hits + batch_hits

        _, loss_sum, hits = tf.while_loop(
            lambda i, *_: i < n_full + int(in_loop), body, (tf.constant(0), tf.constant(0.0), tf.constant(0.0))
        )
        if remainder and not in_loop:
            batch_loss, batch_hits = train_step(xs[n_full * batch_size :], ys[n_full * batch_size :])
            loss_sum += batch_loss
            hits += batch_hits
        val_pred = model(xv, training=False)
        val_loss = total_loss(yv, val_pred)
        val_hits = correct(yv, val_pred)
        return loss_sum / n, val_loss, hits / n, val_hits / tf.cast(tf.shape(xv)[0], tf.float32)

    return epoch


def _ahead(key: tuple, jobs: list[tuple[Any, Callable[[Any, _Engine], Any]]], owner: Any, delay: float):
    """Run each ``job(owner, engine)`` of ``jobs`` (what it compiles, the job) in turn, each on an engine for
    ``key`` borrowed ahead (``_borrow``), in a background thread holding the server's compile slot
    (``pacing.compiling``), after ``delay`` seconds and only while ``owner`` is alive. Returns the thread
    (perhaps one started earlier for the same), or None when all are compiled."""
    me = weakref.ref(owner)
    del owner  # the thread must not keep it alive

    def compile_them() -> None:
        from dlviz.core import pacing

        try:
            if delay:
                threading.Event().wait(delay)
            for what, job in jobs:
                owner = me()
                if owner is None or pacing.closing():
                    return
                with pacing.compiling():
                    engine = _borrow(key, owner.model, owner._make_engine, ahead=True, want=what)
                    if engine is None:
                        continue
                    try:
                        if what not in engine.ready:
                            job(owner, engine)
                            engine.ready.add(what)
                    finally:
                        engine.preparing = None
                        engine.lock.release()
                del owner
        finally:
            with _engines_lock:
                for what, _ in jobs:
                    _AHEAD.pop((key, what), None)

    with _engines_lock:
        pool = _ENGINES.get(key, [])
        jobs = [(what, job) for what, job in jobs if not any(what in engine.ready for engine in pool)]
        if not jobs:
            return None
        started = next((_AHEAD[key, what] for what, _ in jobs if (key, what) in _AHEAD), None)
        if started is not None:
            return started
        thread = threading.Thread(target=compile_them, name="dlviz-compile-ahead", daemon=False)  # pacing.closing
        for what, _ in jobs:
            _AHEAD[key, what] = thread
    thread.start()
    return thread


def _probe_function(model: keras.Model):
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]

    @tf.function(jit_compile=True)
    def outputs(x):
        found, h = [], x
        for layer in model.layers:
            h = layer(h, training=False)
            if layer in dense:
                found.append(h)
        return found

    return outputs


class Probe:
    """Every Dense layer's output over a fixed set of points, in one compiled call.

    The decision boundary and the per-neuron pictures in the network diagram
    both come from it. ``model.predict`` costs ~800 ms on a 100x100 grid and
    is not safe across threads; a compiled call costs about 2 ms. With
    ``share``, the compiled call is shared as the Trainer's epochs are; until
    the server has compiled it for this network (in the background, as
    ``Trainer.compile_ahead``), the same layers run eagerly (~10 ms), so a
    new network is drawn at once instead of after a compile.
    """

    def __init__(self, model: keras.Model, inputs: np.ndarray, share: tuple | None = None):
        self.model = model
        self._inputs = tf.constant(inputs, tf.float32)
        self._share = None if share is None else ("probe", share, tuple(self._inputs.shape))
        self._fn = None if share else _probe_function(model)

    def _make_engine(self, twin: keras.Model) -> _Engine:
        return _Engine(twin, False, "none", True)

    def compile_ahead(self, delay: float = AHEAD_DELAY) -> threading.Thread | None:
        """Compile the shared picture in the background (as ``Trainer.compile_ahead``); None if done or unshared."""
        if self._share is None:
            return None
        return _ahead(self._share, [("probe", lambda probe, engine: engine.probe_fn()(probe._inputs))], self, delay)

    def __call__(self) -> list[np.ndarray]:
        if self._fn is not None:
            return [t.numpy() for t in self._fn(self._inputs)]
        engine = _borrow(self._share, self.model, self._make_engine, want="probe", compiled=True)
        if engine is None:  # not compiled yet (or every compiled one in use): the same layers, eagerly
            self.compile_ahead()
            return [t.numpy() for t in _probe_function(self.model).python_function(self._inputs)]
        try:
            weights = _handles(self.model)[: engine.weight_count]
            _copy(engine.variables[: engine.weight_count], weights)
            return [t.numpy() for t in engine.probe_fn()(self._inputs)]
        finally:
            engine.lock.release()


class TrainerRun:
    """A run whose epochs, history and divergence are its ``trainer``'s (part of ``dlviz.core.live.LiveRun``)."""

    trainer: Trainer

    @property
    def epoch(self) -> int:
        return self.trainer.epoch

    @property
    def history(self) -> History:
        return self.trainer.history

    @property
    def diverged(self) -> bool:
        return self.trainer.diverged
