"""Overfitting: a big network memorizes noise; a regularized copy of it does not.

``OverfittingSettings`` is the page's state as it appears in a shared link.
``OverfitRace`` trains two networks on the same data from the same starting
weights, one epoch at a time: the *baseline* (far more capacity than the
data needs) and the *regularized* copy with the participant's choice of
dropout, L2 weight decay, batch normalization and early stopping. Early
stopping is Keras's own ``keras.callbacks.EarlyStopping``, driven epoch by
epoch the way ``model.fit`` drives it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from tensorflow import keras

from dlviz.core import datasets, models, pacing
from dlviz.core.settings import choice, flag, number
from dlviz.core.training import History, Probe, Trainer, TrainerRun

TASKS = {"moons": "Moons", "circle": "Circles", "curve": "A noisy curve (regression)"}
N_VAL = 500  # many validation points: the validation loss is a fair estimate of the truth
JITTER = 0.15  # the points' own scatter; the noise slider flips labels on top of it
CURVE_EXTENT = 3.0
GRID = 60  # decision-boundary resolution
LINE_POINTS = 200  # points along the fitted curve
DIAGRAM_UNITS = 16  # units per layer drawn in the dropout diagram
WIDTHS = (2, 4, 8, 16, 32, 64, 128)
L2_RATES = (0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
LEARNING_RATES = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
BATCHES = (1, 2, 4, 5, 8, 10, 16, 20, 32, 40, 64, 100, 200)
RUNS = ("baseline", "regularized")


@dataclass(frozen=True)
class OverfittingSettings:
    task: str = choice("moons", TASKS)
    noise: int = number(10, 0, 50)  # % of labels flipped; for the curve, the noise's sd in % of its amplitude
    train_points: int = number(60, 10, 200)
    seed: int = number(0, 0, 99_999)
    width: int = number(64, 2, 128)
    depth: int = number(3, 1, 4)
    dropout: float = number(0.4, 0.0, 0.8)  # 0: no Dropout layers
    l2: float = number(0.0, 0.0, 0.1)  # 0: no weight decay
    batchnorm: bool = flag(False)
    early_stopping: bool = flag(True)
    patience: int = number(50, 1, 500)
    min_delta: float = number(0.0, 0.0, 0.1)
    restore_best: bool = flag(True)
    lr: float = number(0.003, 0.0001, 0.1)
    batch: int = number(20, 1, 200)
    epochs: int = number(400, 10, 3000)
    speed: str = choice("50", pacing.SPEEDS)  # a room can watch the gap open and early stopping step in
    show_val: bool = flag(False)  # the maps show the validation points too
    inference: bool = flag(False)  # the dropout diagram shows inference (all units on) instead of a training step

    @property
    def regression(self) -> bool:
        return self.task == "curve"

    @property
    def layers(self) -> tuple[int, ...]:
        return (self.width,) * self.depth

    @property
    def regularizers(self) -> list[str]:
        """The regularizers that are on, in words."""
        found = []
        if self.dropout > 0:
            found.append(f"dropout {self.dropout:g}")
        if self.l2 > 0:
            found.append(f"L2 {self.l2:g}")
        if self.batchnorm:
            found.append("batch normalization")
        if self.early_stopping:
            found.append(f"early stopping (patience {self.patience})")
        return found

    def model_key(self) -> tuple:
        """What the data and both networks depend on; when it changes, both start again."""
        return (
            self.task, self.noise, self.train_points, self.seed, self.width, self.depth, self.dropout, self.l2,
            self.batchnorm, self.early_stopping, self.patience, self.min_delta, self.restore_best, self.lr,
            self.batch,
        )  # fmt: skip


# --- data: the generators are copied by source into the Keras program --------------------------------


def with_label_noise(labels, noise, rng):
    flipped = rng.random(len(labels)) < noise
    return np.where(flipped, 1 - labels, labels).astype(np.float32)


def curve(n, noise, rng):
    x = rng.uniform(-3, 3, n)
    y = np.sin(1.5 * x) + rng.normal(0, noise, n)
    return x[:, None].astype(np.float32), y.astype(np.float32)


def make_split(s: OverfittingSettings) -> datasets.Split:
    """Few training points and N_VAL validation points from one noisy distribution."""
    rng = np.random.default_rng(s.seed)
    n = s.train_points + N_VAL
    if s.regression:
        points, targets = curve(n, s.noise / 100, rng)
    else:
        points, targets = datasets.DATASETS[s.task].generate(n, JITTER, rng)
        targets = with_label_noise(targets, s.noise / 100, rng)
    order = rng.permutation(n)
    points, targets = points[order], targets[order]
    k = s.train_points
    return datasets.Split(points[:k], targets[:k], points[k:], targets[k:], s.regression)


# --- the two networks -----------------------------------------------------------------------------------


def build_network(s: OverfittingSettings, *, regularized: bool) -> keras.Sequential:
    """The baseline, or its regularized copy: the same Dense layers with the chosen regularizers between them."""
    n_inputs = 1 if s.regression else 2
    l2 = keras.regularizers.L2(s.l2) if regularized and s.l2 > 0 else None
    stack: list = [keras.Input(shape=(n_inputs,))]
    for units in s.layers:
        stack.append(keras.layers.Dense(units, activation="relu", kernel_regularizer=l2))
        if regularized and s.batchnorm:
            stack.append(keras.layers.BatchNormalization())
        if regularized and s.dropout > 0:
            stack.append(keras.layers.Dropout(s.dropout))
    stack.append(keras.layers.Dense(1, activation="linear" if s.regression else "sigmoid", kernel_regularizer=l2))
    return keras.Sequential(stack)


def dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def copy_dense_weights(source: keras.Model, target: keras.Model) -> None:
    """Give ``target`` the starting weights of ``source``, layer for layer (Dropout and BN have none to match)."""
    for a, b in zip(dense_layers(source), dense_layers(target), strict=True):
        b.set_weights(a.get_weights())


def build_pair(s: OverfittingSettings) -> tuple[keras.Sequential, keras.Sequential]:
    with models.seeded(s.seed):
        baseline = build_network(s, regularized=False)
        regularized = build_network(s, regularized=True)
    copy_dense_weights(baseline, regularized)
    for model in (baseline, regularized):
        models.compile_for(model, "adam", s.lr, s.regression)
    return baseline, regularized


def parameter_count(s: OverfittingSettings) -> int:
    """Weights and biases of the baseline's Dense layers."""
    sizes = [1 if s.regression else 2, *s.layers, 1]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))


def equally_big_single_layer(s: OverfittingSettings) -> int:
    """Neurons one hidden layer needs for as many weights as the baseline: wider instead of deeper."""
    n_in = 1 if s.regression else 2
    return max(1, round((parameter_count(s) - 1) / (n_in + 2)))


# --- one network in the race ----------------------------------------------------------------------------


@dataclass
class Contestant(TrainerRun):
    name: str
    model: keras.Sequential
    trainer: Trainer
    probe: Probe
    stopper: keras.callbacks.EarlyStopping | None = None
    stopped_epoch: int | None = None  # 1-based epoch after which early stopping ended training
    restored_epoch: int | None = None  # 1-based epoch whose weights were restored
    finished_training: bool = False

    @property
    def best_epoch(self) -> int | None:
        """1-based epoch of the lowest validation loss so far."""
        val = np.asarray(self.history.val_loss, dtype=np.float64)
        if not np.isfinite(val).any():
            return None
        return int(np.nanargmin(np.where(np.isfinite(val), val, np.nan))) + 1

    @property
    def gap(self) -> float | None:
        """Validation loss minus training loss at the last epoch."""
        h = self.history
        return h.val_loss[-1] - h.loss[-1] if len(h) else None

    def train(self, epochs: int) -> None:
        if self.finished_training or self.trainer.diverged:
            return
        if self.stopper is None:
            self.trainer.run(epochs)
            return
        for _ in range(epochs):  # the callback sees every epoch, as in model.fit
            logs = self.trainer.run(1)
            if not len(logs):
                break
            self.stopper.on_epoch_end(self.epoch - 1, {"val_loss": logs.val_loss[-1]})
            if self.model.stop_training:
                self.stopped_epoch = self.epoch
                self.end_training()
                break

    def end_training(self) -> None:
        """What fit does when training ends: EarlyStopping restores the best weights if asked to."""
        if self.finished_training:
            return
        self.finished_training = True
        if self.stopper is not None:
            self.stopper.on_train_end()
            if self.stopper.restore_best_weights and self.stopper.best_weights is not None:
                self.restored_epoch = self.stopper.best_epoch + 1

    def resume(self) -> None:
        """Train on after the budget was raised, from the weights training ended with (as a second fit would)."""
        self.finished_training = False
        self.restored_epoch = None

    def predict(self) -> np.ndarray:
        return self.probe()[-1]


@dataclass
class OverfitRace:
    """The baseline and the regularized network, trained side by side."""

    settings: OverfittingSettings
    split: datasets.Split = field(init=False)

    def __post_init__(self):
        self._lock = threading.RLock()  # a click's new script run may start while the old one trains
        s = self.settings
        self.split = make_split(s)
        if s.regression:
            self.axis = np.linspace(-CURVE_EXTENT, CURVE_EXTENT, LINE_POINTS, dtype=np.float32)
            inputs = self.axis[:, None]
        else:
            self.axis, inputs = datasets.grid(GRID)
        self.runs = {}
        for name, model in zip(RUNS, build_pair(s), strict=True):
            trainer = Trainer(
                model, self.split.x_train, self.split.y_train, self.split.x_val, self.split.y_val,
                batch_size=s.batch, seed=s.seed, classify=not s.regression, jit_compile=False,
            )  # fmt: skip
            stopper = None
            if name == "regularized" and s.early_stopping:
                stopper = keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=s.patience, min_delta=s.min_delta,
                    restore_best_weights=s.restore_best,
                )  # fmt: skip
                stopper.set_model(model)
                stopper.on_train_begin()
            self.runs[name] = Contestant(name, model, trainer, Probe(model, inputs), stopper)
        self._mask_rng = np.random.default_rng(s.seed)

    @property
    def baseline(self) -> Contestant:
        return self.runs["baseline"]

    @property
    def regularized(self) -> Contestant:
        return self.runs["regularized"]

    @property
    def epoch(self) -> int:
        return self.baseline.epoch

    @property
    def budget(self) -> int:
        return self.settings.epochs

    @property
    def history(self) -> History:
        """The baseline's; each run keeps its own."""
        return self.baseline.history

    @property
    def diverged(self) -> bool:
        """Both networks diverged (each one's own divergence is in its ``trainer``)."""
        return all(run.trainer.diverged for run in self.runs.values())

    @property
    def finished(self) -> bool:
        return all(run.finished_training or run.trainer.diverged for run in self.runs.values())

    def adopt(self, s: OverfittingSettings) -> None:
        """Take the settings that may change mid-run: the epoch budget and the diagram's view."""
        with self._lock:
            self.settings = s
            for run in self.runs.values():
                if run.epoch >= s.epochs:
                    run.end_training()
                elif run.finished_training and run.stopped_epoch is None:
                    run.resume()

    def train(self, epochs: int) -> int:
        """Both networks, up to ``epochs`` more each; returns how far the race moved on."""
        with self._lock:
            before, budget = self.epoch, self.settings.epochs
            for run in self.runs.values():
                run.train(max(0, min(epochs, budget - run.epoch)))
                if run.epoch >= budget:
                    run.end_training()
            return self.epoch - before

    def loss_ranges(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Axes for both loss charts, the same for both so their gaps compare at a glance: every epoch of the
        budget, and a loss from 0 to a little above the highest finite loss either run had (at most 50)."""
        values = np.concatenate([np.asarray(v, np.float64) for run in self.runs.values()
                                 for v in (run.history.loss, run.history.val_loss)] + [np.zeros(1)])  # fmt: skip
        finite = values[np.isfinite(values)]
        top = min(float(finite.max()), 50.0) * 1.08
        return (0.0, float(self.settings.epochs)), (0.0, top or 1.0)

    def outputs(self) -> dict[str, np.ndarray]:
        """Each network's prediction over the plane (GRID x GRID) or along the curve (LINE_POINTS)."""
        with self._lock:
            found = {name: run.predict() for name, run in self.runs.items()}
        if self.settings.regression:
            return {name: values.ravel() for name, values in found.items()}
        return {name: values.reshape(GRID, GRID) for name, values in found.items()}

    def dropout_masks(self) -> list[np.ndarray] | None:
        """One training step's dropped units per hidden layer, as Keras draws them: each unit off with
        probability ``dropout``, a fresh draw every step. None when the regularized run has no dropout."""
        s = self.settings
        if s.dropout <= 0:
            return None
        return [self._mask_rng.random(units) < s.dropout for units in s.layers]
