"""Data lab: a Keras network on a real table, trained the way the course trains one.

``DataLabSettings`` is the page's state as it appears in a shared link (a link names a built-in table and
the network; your own CSV stays in your session). ``prepare`` turns a table into the three splits,
``LabRun`` trains on them epoch by epoch through the shared live-run contract, with Keras's own
``EarlyStopping`` driven the way ``model.fit`` drives it (``warm_soon`` traces its epoch before the first
Step or Play), and ``kfold`` runs K-fold validation in the server's training turns.

Chollet's table decides the last layer and the loss from the task:

| task | last layer | loss | metric |
| --- | --- | --- | --- |
| binary | Dense(1, sigmoid) | binary cross-entropy | accuracy |
| multi-class | Dense(k, softmax) | (sparse) categorical cross-entropy | accuracy |
| regression | Dense(1), no activation | MSE or MAE | MAE |
"""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tensorflow import keras

from dlviz.core import models, pacing
from dlviz.core.settings import choice, flag, number
from dlviz.core.training import History, Trainer, TrainerRun
from dlviz.datalab import prep, tables

TASK_CHOICES = {"detect": "Detect from the target", **prep.TASKS}
CLASS_LOSSES = {"sparse": "sparse_categorical_crossentropy", "categorical": "categorical_crossentropy"}
REGRESSION_LOSSES = {"mse": "mse", "mae": "mae"}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu")
PARTS = {
    "data": "The data",
    "results": "Results",
    "kfold": "K-fold",
    "sees": "What the network sees",
    "save": "Save and load",
}
UNITS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
LEARNING_RATES = (0.00001, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCHES = (1, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
MAX_MODEL_MB = 20  # the largest .keras file taken back
LAST_LAYER = {
    "binary": ('Dense(1, activation="sigmoid")', "binary_crossentropy", "accuracy"),
    "multiclass": ('Dense(k, activation="softmax")', "sparse or categorical cross-entropy", "accuracy"),
    "regression": ("Dense(1) (no activation)", "mse or mae", "mae"),
}


def chollet_table(task: str) -> list[dict]:
    """Chollet's table (Deep Learning with Python, chapter 4) as rows, the one for ``task`` marked."""
    return [{"task": prep.TASKS[t], "last layer": last, "loss": loss, "metric": metric, "here": "◀" if t == task else ""}
            for t, (last, loss, metric) in LAST_LAYER.items()]  # fmt: skip


@dataclass(frozen=True)
class DataLabSettings:
    source: str = choice("wine", tables.SOURCES)
    task: str = choice("detect", TASK_CHOICES)
    normalize: bool = flag(True)
    depth: int = number(2, 0, 4)  # hidden layers (0: the output layer alone, a linear or logistic regression)
    units: int = number(64, 1, 512)
    activation: str = choice("relu", ACTIVATIONS)
    dropout: float = number(0.0, 0.0, 0.8)
    batchnorm: bool = flag(False)
    l2: float = number(0.0, 0.0, 0.1)
    optimizer: str = choice("adam", models.OPTIMIZERS)
    lr: float = number(0.001, 0.00001, 1.0)
    batch: int = number(32, 1, 1024)
    epochs: int = number(200, 1, 2000)
    class_loss: str = choice("sparse", CLASS_LOSSES)
    regression_loss: str = choice("mse", REGRESSION_LOSSES)
    early_stopping: bool = flag(True)
    patience: int = number(20, 1, 500)
    min_delta: float = number(0.0, 0.0, 1.0)
    restore_best: bool = flag(True)
    val_pct: int = number(20, 5, 50)
    test_pct: int = number(20, 5, 50)
    k: int = number(4, 2, 10)
    seed: int = number(0, 0, 99_999)
    shuffle: bool = flag(False)  # fit's per-epoch shuffle; off, the exported program reproduces the page exactly
    speed: str = choice("50", pacing.SPEEDS)
    part: str = choice("data", PARTS)

    @property
    def layers(self) -> tuple[int, ...]:
        return (self.units,) * self.depth

    def data_key(self) -> tuple:
        """What the prepared arrays depend on (with the table itself and its target)."""
        return (self.source, self.task, self.val_pct, self.test_pct, self.seed)

    def network_key(self, task: str) -> tuple:
        """What a network built from these settings compiles to, bar the table's shapes and its adapted
        statistics (``Trainer``'s key adds them): sessions training the same network on the same table, as a
        room does, share its traced epochs (``Trainer``'s ``share``). The learning rate is a variable, the
        weights and seeds are copied in and out, so neither is part of it."""
        return ("datalab", task, self.normalize, self.layers, self.activation, self.dropout, self.batchnorm, self.l2,
                self.optimizer, self.class_loss, self.regression_loss)  # fmt: skip

    def model_key(self) -> tuple:
        """A change to any of these starts a new run; the epoch budget, pace and view do not."""
        skip = {"epochs", "speed", "part", "k"}
        return tuple(getattr(self, f) for f in self.__dataclass_fields__ if f not in skip)


# --- the prepared data ------------------------------------------------------------------------------
@dataclass
class Prepared:
    """A table made ready: its rows with a usable target, the plan for its columns, the splits, the arrays."""

    table: tables.Table
    frame: pd.DataFrame  # the rows kept, numbered 0..n-1
    plan: prep.Plan
    target: prep.Target
    split: prep.Split
    encoded: prep.Encoded
    detected: str  # the task the rule found (the settings may override it)
    notes: list[str] = field(default_factory=list)

    @property
    def task(self) -> str:
        return self.target.task

    @property
    def classes(self) -> list[str]:
        return self.target.classes

    @property
    def n_outputs(self) -> int:
        return len(self.classes) if self.task == "multiclass" else 1

    def x(self, part: str) -> np.ndarray:
        return self.encoded.x[getattr(self.split, part)]

    def y(self, part: str) -> np.ndarray:
        return self.target.values[getattr(self.split, part)]


def prepare(table: tables.Table, s: DataLabSettings, target: str | None = None) -> Prepared:
    """The table ready to train on for settings ``s``; raises ``prep.PrepError`` with the reason."""
    target = target or table.target
    if target not in table.frame.columns:
        raise prep.PrepError(f"There is no column called {target!r}.")
    detected = prep.detect_task(table.frame[target])
    task = detected if s.task == "detect" else s.task
    y = prep.target_values(table.frame[target], task)
    frame = table.frame[y.keep].reset_index(drop=True)
    plan = prep.plan(frame, target)
    split = prep.split(len(frame), s.val_pct, s.test_pct, s.seed)
    encoded = prep.encode(frame, plan, split.train)
    return Prepared(table, frame, plan, y, split, encoded, detected, [*table.notes, *y.notes, *plan.notes])


# --- the model --------------------------------------------------------------------------------------
def loss_name(s: DataLabSettings, task: str) -> str:
    if task == "binary":
        return "binary_crossentropy"
    if task == "multiclass":
        return CLASS_LOSSES[s.class_loss]
    return REGRESSION_LOSSES[s.regression_loss]


def metric_name(task: str) -> str:
    return "mae" if task == "regression" else "accuracy"


def trainer_metric(s: DataLabSettings, task: str) -> str:
    if task == "binary":
        return "binary"
    if task == "multiclass":
        return "categorical" if s.class_loss == "categorical" else "sparse"
    return "mae"


def targets_for_loss(s: DataLabSettings, data: Prepared, y: np.ndarray) -> np.ndarray:
    """Class numbers, one-hot rows for categorical cross-entropy, or values."""
    if data.task == "multiclass" and s.class_loss == "categorical":
        return prep.one_hot(y, len(data.classes))
    return y.astype(np.float32)


def build_model(s: DataLabSettings, n_features: int, task: str, n_outputs: int, x_train: np.ndarray) -> keras.Model:
    """The network, built in the exported program's order (so from the same seed, the same weights)."""
    with models.seeded(s.seed):
        stack: list = [keras.Input(shape=(n_features,))]
        if s.normalize:
            normalizer = keras.layers.Normalization()
            normalizer.adapt(x_train)  # the training rows alone: validation and test stay unseen
            stack.append(normalizer)
        for units in s.layers:
            reg = keras.regularizers.L2(s.l2) if s.l2 > 0 else None
            stack.append(keras.layers.Dense(units, activation=s.activation, kernel_regularizer=reg))
            if s.batchnorm:
                stack.append(keras.layers.BatchNormalization())
            if s.dropout > 0:
                stack.append(keras.layers.Dropout(s.dropout))
        if task == "binary":
            stack.append(keras.layers.Dense(1, activation="sigmoid"))
        elif task == "multiclass":
            stack.append(keras.layers.Dense(n_outputs, activation="softmax"))
        else:
            stack.append(keras.layers.Dense(1))
        model = keras.Sequential(stack)
    model.compile(optimizer=models.optimizer(s.optimizer, s.lr), loss=loss_name(s, task), metrics=[metric_name(task)])
    return model


def summary_rows(model: keras.Model) -> list[dict]:
    """``model.summary()`` as a table: each layer, its output shape, its weights' shapes and parameter count."""
    rows = []
    for layer in model.layers:
        shapes = [tuple(int(d) for d in w.shape) for w in layer.weights]
        rows.append({
            "layer": f"{layer.name} ({type(layer).__name__})",
            "output shape": str(tuple(layer.output.shape)).replace("None", "batch"),
            "weights": ", ".join(str(shape) for shape in shapes) or "-",
            "parameters": int(layer.count_params()),
            "trained": int(sum(int(np.prod(w.shape)) for w in layer.trainable_weights)),
        })  # fmt: skip
    return rows


# --- a run ------------------------------------------------------------------------------------------
class LabRun(TrainerRun):
    """One network on one prepared table, trained epoch by epoch (``dlviz.core.live.LiveRun``)."""

    def __init__(self, settings: DataLabSettings, data: Prepared, model: keras.Model | None = None):
        self._lock = threading.RLock()  # a click's new script run may start while the old one trains
        self.settings, self.data = settings, data
        s = settings
        x_train = data.x("train")
        self.model = model or build_model(s, x_train.shape[1], data.task, data.n_outputs, x_train)
        self.trainer = Trainer(
            self.model, x_train, targets_for_loss(s, data, data.y("train")),
            data.x("val"), targets_for_loss(s, data, data.y("val")),
            batch_size=s.batch, seed=s.seed, metric=trainer_metric(s, data.task), shuffle=s.shuffle,
            jit_compile=False, share=None if model or s.early_stopping else s.network_key(data.task),
        )  # fmt: skip
        # Shared only without early stopping: its callback reads the network's own weights after every epoch,
        # so a shared epoch would borrow and copy them back each epoch (measured: 100-127 epochs/s against
        # 178-269 on its own engine, wine's default network)
        self.stopper = None
        if s.early_stopping:
            self.stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=s.patience,
                                                         min_delta=s.min_delta, restore_best_weights=s.restore_best)  # fmt: skip
            self.stopper.set_model(self.model)
            self.stopper.on_train_begin()
        self.stopped_epoch: int | None = None  # early stopping ended training after this epoch
        self.restored_epoch: int | None = None  # ... and put back the weights of this one
        self.finished_training = False
        self.test: dict | None = None  # the test set's figures, once asked for
        self.warmed = False  # the epoch function is traced (``warm``)
        self.warming: threading.Thread | None = None  # ``warm_soon``'s thread
        self.stale = False  # the page has moved on to another run: nothing left to warm up for

    def warm(self) -> bool:
        """Trace the epoch function now, so that the first Step or Play finds it ready (tracing a Keras
        network's epoch takes most of a second; the epoch itself milliseconds).

        The traced epoch runs once, as the first epoch would, through a shallow copy of the trainer (the
        same network and traced functions; an epoch count and history of its own, so the page never sees
        an epoch that did not happen), and every variable it changed (the weights, the optimizer's moments
        and step count, batch normalization's averages, dropout's seeds) is put back: training afterwards
        gives exactly the figures it gives without this. Returns whether it traced (not when already
        traced, trained, stale or diverged)."""
        global _process_warm
        with self._lock:
            if self.warmed or self.stale or self.epoch or self.diverged:
                return False
            self.warmed = True
            variables = [*self.model.trainable_variables, *self.model.non_trainable_variables,
                         *self.model.optimizer.variables]  # fmt: skip
            saved = [np.array(v.numpy(), copy=True) for v in variables]
            shadow = copy.copy(self.trainer)
            shadow.history = History()
            try:
                shadow.run(1)
            finally:
                for variable, value in zip(variables, saved, strict=True):
                    variable.assign(value)
        _process_warm = True
        return True

    @property
    def budget(self) -> int:
        return self.settings.epochs

    @property
    def finished(self) -> bool:
        return self.diverged or self.finished_training or self.epoch >= self.budget

    def adopt(self, s: DataLabSettings) -> None:
        with self._lock:
            self.settings = s
            if self.finished_training and self.stopped_epoch is None and self.epoch < s.epochs:
                self.finished_training = False  # a larger budget: train on, as a second fit would
            elif self.epoch >= s.epochs:
                self._end()

    def train(self, epochs: int) -> int:
        with self._lock:
            before = self.epoch
            epochs = max(0, min(epochs, self.budget - self.epoch))
            if self.finished_training or epochs == 0:
                return 0
            if self.stopper is None:
                self.trainer.run(epochs)
            else:
                for _ in range(epochs):  # the callback sees every epoch, as in model.fit
                    logs = self.trainer.run(1)
                    if not len(logs):
                        break
                    self.stopper.on_epoch_end(self.epoch - 1, {"val_loss": logs.val_loss[-1]})
                    if self.model.stop_training:
                        self.stopped_epoch = self.epoch
                        self._end()
                        break
            if self.epoch >= self.budget:
                self._end()
            return self.epoch - before

    def _end(self) -> None:
        """What fit does when training ends: EarlyStopping restores the best weights if asked to."""
        if self.finished_training:
            return
        self.finished_training = True
        if self.stopper is not None:
            self.stopper.on_train_end()
            if self.stopper.restore_best_weights and self.stopper.best_weights is not None:
                self.restored_epoch = self.stopper.best_epoch + 1

    # --- after training ---
    def predict(self, part: str = "test") -> np.ndarray:
        """The network's output for a split: class probabilities (k columns, or 1 for binary) or values."""
        with self._lock:
            out = self.model(self.data.x(part), training=False)
        return np.asarray(out)

    def predicted(self, part: str = "test") -> np.ndarray:
        """Predicted class numbers (classification) or values (regression)."""
        out = self.predict(part)
        if self.data.task == "binary":
            return (out[:, 0] > 0.5).astype(np.int64)
        if self.data.task == "multiclass":
            return out.argmax(axis=1)
        return out[:, 0]

    def evaluate(self, part: str = "test") -> dict:
        """Loss and metric on a split, as ``model.evaluate`` reports them."""
        with self._lock:
            values = self.model.evaluate(self.data.x(part), targets_for_loss(self.settings, self.data,
                                         self.data.y(part)), verbose=0, return_dict=True)  # fmt: skip
        return {k: float(v) for k, v in values.items() if k in ("loss", "accuracy", "mae")}

    def evaluate_test(self) -> dict:
        """The test set, evaluated once per run: kept with the epoch it was evaluated at, and asked again it
        answers the same. Evaluating again after more training would turn the test set into a second
        validation set, which the choices made next would be tuned on; a new run (Reset, other settings)
        may look once more."""
        if self.test is None:
            self.test = {**self.evaluate("test"), "epoch": self.restored_epoch or self.epoch}
        return self.test

    def confusion(self, part: str = "test") -> np.ndarray:
        k = len(self.data.classes)
        matrix = np.zeros((k, k), np.int64)
        np.add.at(matrix, (self.data.y(part), self.predicted(part)), 1)
        return matrix

    def save(self) -> bytes:
        """The trained model as a ``.keras`` file."""
        with tempfile.TemporaryDirectory() as folder, self._lock:
            path = Path(folder) / "model.keras"
            self.model.save(path)
            return path.read_bytes()


def warm_soon(run: LabRun) -> threading.Thread | None:
    """``run.warm()`` in a thread of its own, in one of the server's training turns: the page is drawn
    meanwhile, a rerun never waits for it, and a busy room's turns stay fair (tracing is CPU, mostly under
    Python's lock). A Step or Play pressed before it is done waits for it, then trains at once."""
    if run.warming is not None or run.warmed or run.stale or run.epoch:
        return None

    def warm() -> None:
        with pacing.turn():
            with contextlib.suppress(Exception):  # a failed warm-up leaves the first epoch to trace as before
                run.warm()

    # Not a daemon: Python stopping a daemon thread inside TensorFlow at exit aborts the process.
    thread = run.warming = threading.Thread(target=warm, name="dlviz-datalab-warm", daemon=False)
    thread.start()
    return thread


WARM_WAIT = 1.0  # seconds a page waits for its run's warm-up (``wait_warm``)


def wait_warm(run: LabRun, timeout: float = WARM_WAIT) -> None:
    """Wait for ``warm_soon``'s trace, at most ``timeout`` seconds (a busy room's turns come first).

    The page calls it after its buttons and curves, before its slower parts: tracing is Python, and the page
    drawn meanwhile took the same lock, so each made the other slower (with the sidebar drawn before the
    table, a 5,000-row CSV's upload to epoch 1 on screen went from 1.27 s to 1.08 s in fresh tabs; the
    Data lab's section of docs/benchmarks.md). A Step pressed meanwhile waits for the trace in any case."""
    if run.warming is not None:
        run.warming.join(timeout)


_process_warm = False  # a Data lab epoch has been traced in this process
_process_warm_lock = threading.Lock()


def warm_process() -> bool:
    """Once per process: trace and run a small network's epoch on made-up rows (then throw it away).

    A process's first traced epoch costs more than later ones do, TensorFlow's and Keras's own first-time
    costs (measured: 1.3 s against 0.7 s for two layers of 64 with dropout; since the epoch is traced without
    autograph, whose first conversions were most of it, 0.6 s against 0.25 s). The server's warm-up calls
    this (``warm``), and the page again while it waits for a CSV (at once when done), so the upload's own
    warm-up pays only its network's share. Returns whether it ran."""
    global _process_warm
    if _process_warm or not _process_warm_lock.acquire(blocking=False):
        return False  # done, or another session is doing it
    try:
        if _process_warm:
            return False
        rng = np.random.default_rng(0)
        x = rng.normal(size=(100, 4))
        frame = pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(y=np.where(x[:, 0] > 0, "yes", "no"))
        s = DataLabSettings(source="csv", dropout=0.1, batch=32)
        run = LabRun(s, prepare(tables.Table(frame, "y", "warm-up"), s))
        with pacing.turn():
            run.warm()
        _process_warm = True
        return True
    finally:
        _process_warm_lock.release()


def warm() -> None:
    """What a fresh server's background warm-up (``tfconfig.warm_up``) does ahead for this page:
    ``warm_process``, so even the first Data lab visitor's network traces at the cheaper, later cost."""
    warm_process()


def per_class(matrix: np.ndarray, classes: list[str]) -> pd.DataFrame:
    """Precision and recall of each class from a confusion matrix (rows: true class)."""
    matrix = np.asarray(matrix, np.float64)
    hits = np.diag(matrix)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = hits / matrix.sum(axis=0)
        recall = hits / matrix.sum(axis=1)
    return pd.DataFrame({"class": classes, "rows": matrix.sum(axis=1).astype(int), "precision": precision,
                         "recall": recall})  # fmt: skip


class ModelFileError(ValueError):
    pass


def load_model(data: bytes, prepared: Prepared, s: DataLabSettings) -> keras.Model:
    """A ``.keras`` file saved here, loaded in Keras's safe mode; it must fit this table's features and task."""
    if len(data) > MAX_MODEL_MB * 1024 * 1024:
        raise ModelFileError(f"The file is over {MAX_MODEL_MB} MB; a model saved here is far smaller.")
    if not data.startswith(b"PK\x03\x04"):
        raise ModelFileError("This is not a .keras file (a .keras file is a zip archive Keras writes).")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        try:
            with models.seeded(s.seed):
                model = keras.models.load_model(path, safe_mode=True, compile=True)
        except Exception as error:  # a broken zip, a custom layer, code in a Lambda: all refused alike
            raise ModelFileError(f"Keras could not load it safely ({type(error).__name__}): it has to be a model "
                                 "saved by this page.") from None  # fmt: skip
    shape = tuple(model.inputs[0].shape) if model.inputs else ()
    if len(shape) != 2 or shape[1] != prepared.encoded.x.shape[1]:
        raise ModelFileError(f"That model reads {shape[1] if len(shape) == 2 else '?'} features; this table gives "
                             f"{prepared.encoded.x.shape[1]}. Load it with the table it was trained on.")  # fmt: skip
    outputs = int(model.outputs[0].shape[-1])
    if outputs != prepared.n_outputs:
        raise ModelFileError(f"That model has {outputs} outputs; this table's task needs {prepared.n_outputs}.")
    x_train = prepared.x("train")
    wanted = build_model(s, x_train.shape[1], prepared.task, prepared.n_outputs, x_train)
    if [tuple(w.shape) for w in model.weights] != [tuple(w.shape) for w in wanted.weights]:
        raise ModelFileError("That model is a different network from the one set in the sidebar (its layers or "
                             "neurons differ): set the same network to keep training it.")  # fmt: skip
    if model.optimizer is None or getattr(model, "loss", None) is None:
        raise ModelFileError("That model was saved without its training set-up (compile); save it again here.")
    return model


# --- K-fold -----------------------------------------------------------------------------------------
@dataclass
class KFold:
    k: int
    histories: list[History]
    final: list[dict]  # each fold's validation figures after its last epoch

    def mean_curve(self, name: str) -> list[float]:
        curves = [getattr(h, name) for h in self.histories]
        n = min(len(c) for c in curves)
        return np.mean([c[:n] for c in curves], axis=0).tolist()


def kfold(s: DataLabSettings, data: Prepared, epochs: int | None = None, progress=None) -> KFold:
    """K-fold validation (Chollet's chapter 4): the rows outside the test set in ``s.k`` parts; each part is
    the validation set once, for a network trained from scratch on the others (normalization adapted on
    those alone) for the same number of epochs.

    Each fold trains in the server's training turns (``pacing.Pace``), a turn's worth of epochs at a time,
    so that a K-fold run never holds a training slot for seconds while the room's live training waits.
    Training epochs in chunks gives the same figures as one call: each epoch's shuffle seed is its number."""
    epochs = epochs or s.epochs
    rows = np.concatenate([data.split.train, data.split.val])
    histories, final = [], []
    for i, (train_rows, val_rows) in enumerate(prep.folds(rows, s.k)):
        encoded = prep.encode(data.frame, data.plan, train_rows)
        x_train, x_val = encoded.x[train_rows], encoded.x[val_rows]
        y_train = targets_for_loss(s, data, data.target.values[train_rows])
        y_val = targets_for_loss(s, data, data.target.values[val_rows])
        model = build_model(s, x_train.shape[1], data.task, data.n_outputs, x_train)
        trainer = Trainer(
            model,
            x_train,
            y_train,
            x_val,
            y_val,
            batch_size=s.batch,
            seed=s.seed + i,
            metric=trainer_metric(s, data.task),
            shuffle=s.shuffle,
            jit_compile=False,
            # a second trace (~0.5 s) pays for itself after about 250 epochs (docs/benchmarks.md)
            quick="only" if epochs <= 250 else "swap",
        )
        pace = pacing.Pace()  # turns of ~0.12 s each, as Play's: other sessions' live training goes on between
        while trainer.epoch < epochs and not trainer.diverged:
            pace.step(lambda n, t=trainer: len(t.run(min(n, epochs - t.epoch))))
        histories.append(trainer.history)
        final.append({"loss": trainer.history.val_loss[-1] if len(trainer.history) else float("nan"),
                      metric_name(data.task): trainer.history.val_accuracy[-1] if len(trainer.history) else float("nan")})  # fmt: skip
        if progress is not None:
            progress(i + 1, s.k)
    return KFold(s.k, histories, final)


def table_csv(table: tables.Table) -> bytes:
    """The table as the CSV the exported program reads."""
    out = io.StringIO()
    table.frame.to_csv(out, index=False)
    return out.getvalue().encode()
