"""The Playground: settings, and one participant's network in training.

``PlaygroundSettings`` is the page's whole state as it appears in a shared
link. ``PlaygroundRun`` owns the data, the Keras model and its trainer for
one participant; the page keeps it in the session and asks it for pictures.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from tensorflow import keras

from dlviz.core import datasets, models, pacing
from dlviz.core.settings import choice, choices, flag, number, numbers, replace
from dlviz.core.training import Probe, Trainer, TrainerRun

GRID = 100  # decision-boundary resolution, as TensorFlow Playground
THUMB_STEP = 5  # node pictures use every 5th grid point: 20 x 20
MAX_EPOCHS = 10_000  # a run never goes past this, budget or not
MAX_LAYERS, MAX_UNITS = 6, 16  # the largest network a session may build
REG_RATES = (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
WEIGHT_DRAWS = 100_000  # weights_seed: seed + WEIGHT_DRAWS * init, so no two (seed, init) pairs meet
MAX_ADDED = 60  # points added by hand, all kept in the link (x, y in tenths, class: up to ~12 characters each)
ADDED_SCALE = 10  # coordinates are kept in tenths: -60..60 for the plane's -6..6
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


@dataclass(frozen=True)
class PlaygroundSettings:
    data: str = choice("xor", datasets.DATASETS)
    classes: int = number(3, datasets.MIN_CLASSES, datasets.MAX_CLASSES)  # the multi-class sets only
    points: int = number(500, 50, 1000)
    noise: int = number(0, 0, 50)
    train_pct: int = number(50, 10, 90)
    seed: int = number(0, 0, 99_999)
    # New starting weights for the same data: 0 draws them with the data's seed (Reset starts again from them)
    init: int = number(0, 0, 99_999)
    features: tuple[str, ...] = choices(("x1", "x2"), datasets.FEATURES, min_len=1, max_len=7)
    layers: tuple[int, ...] = numbers((4, 2), 1, MAX_UNITS, max_len=MAX_LAYERS)
    activations: tuple[str, ...] = choices(("tanh", "tanh"), models.ACTIVATIONS, max_len=MAX_LAYERS)
    regularization: str = choice("none", models.REGULARIZERS)
    reg_rate: float = number(0.0, 0.0, 10.0)
    dropout: float = number(0.0, 0.0, 0.9)
    optimizer: str = choice("sgd", models.OPTIMIZERS)
    lr: float = number(0.03, 0.00001, 10.0)
    batch: int = number(10, 1, 64)
    epochs: int = number(1000, 0, MAX_EPOCHS)  # 0: until paused (at most MAX_EPOCHS)
    # TensorFlow Playground's pace: a room sees the boundary form (XOR in 1-2 s) before the run is over.
    speed: str = choice("50", pacing.SPEEDS)
    discrete: bool = flag(False)
    # Points added by clicking on the plane: x and y in tenths, then the class, for each point in turn.
    added: tuple[int, ...] = numbers((), -60, 60, max_len=3 * MAX_ADDED, max_chars=13 * MAX_ADDED)

    def repaired(self) -> PlaygroundSettings:
        """Make the parts agree: one activation per layer, each feature once, added points of known classes."""
        acts = self.activations[: len(self.layers)]
        acts += (acts[-1] if acts else "tanh",) * (len(self.layers) - len(acts))
        unique = tuple(dict.fromkeys(self.features))
        added = () if self.regression else self.added[: len(self.added) // 3 * 3]
        added = tuple(v for i in range(0, len(added), 3) if 0 <= added[i + 2] < self.n_classes
                      for v in added[i : i + 3])  # fmt: skip
        if acts == self.activations and unique == self.features and added == self.added:
            return self
        return replace(self, activations=acts, features=unique, added=added)

    @property
    def regression(self) -> bool:
        return datasets.DATASETS[self.data].regression

    @property
    def multiclass(self) -> bool:
        return datasets.DATASETS[self.data].multiclass

    @property
    def n_classes(self) -> int:
        """How many classes the output tells apart: 2 for the two-class sets (and, unused, regressions)."""
        return self.classes if self.multiclass else 2

    @property
    def n_outputs(self) -> int:
        return models.output_layer(self.regression, self.n_classes)[1]

    @property
    def metric(self) -> str:
        """What the trainer's accuracy counts (``dlviz.core.training.Trainer``'s ``metric``)."""
        return "none" if self.regression else "sparse" if self.multiclass else "binary"

    @property
    def budget(self) -> int:
        return self.epochs or MAX_EPOCHS

    @property
    def weights_seed(self) -> int:
        """The seed the starting weights are drawn with: the data's seed, until New weights asks for others."""
        return self.seed + WEIGHT_DRAWS * self.init

    def network_key(self) -> tuple:
        """What the compiled network depends on: sessions whose settings agree here share its compiled code."""
        return (len(self.features), self.layers, self.activations, self.regularization, self.reg_rate, self.dropout,
                self.optimizer, self.regression, self.n_outputs)  # fmt: skip

    def model_key(self) -> tuple:
        """What the model and data depend on; when it changes, training starts again.

        The learning rate, batch size and epoch budget can change mid-run, as
        in TensorFlow Playground.
        """
        return (
            self.data, self.n_classes, self.added, self.points, self.noise, self.train_pct, self.seed, self.init, self.features,
            self.layers, self.activations, self.regularization, self.reg_rate, self.dropout,
            self.optimizer,
        )  # fmt: skip


def added_points(s: PlaygroundSettings) -> tuple[np.ndarray, np.ndarray]:
    """The points added by hand: (k, 2) coordinates and their k classes."""
    triples = np.asarray(s.added, dtype=np.float32).reshape(-1, 3)
    return triples[:, :2] / ADDED_SCALE, triples[:, 2]


def with_point(s: PlaygroundSettings, x: float, y: float, label: int) -> PlaygroundSettings:
    """These settings with one more point added by hand (the oldest goes beyond ``MAX_ADDED``)."""
    point = (*(int(round(np.clip(v, -datasets.EXTENT, datasets.EXTENT) * ADDED_SCALE)) for v in (x, y)), int(label))
    return replace(s, added=(*s.added, *point)[-3 * MAX_ADDED :])


def without_point(s: PlaygroundSettings, x: float, y: float, radius: float = 0.8) -> PlaygroundSettings:
    """These settings without the added point nearest to (x, y), if one lies within ``radius``."""
    points, _ = added_points(s)
    if not len(points):
        return s
    distance = np.hypot(points[:, 0] - x, points[:, 1] - y)
    nearest = int(np.argmin(distance))
    if distance[nearest] > radius:
        return s
    return replace(s, added=s.added[: 3 * nearest] + s.added[3 * nearest + 3 :])


def make_split(s: PlaygroundSettings) -> datasets.Split:
    """The generated data, with the points added by hand joining the training points.

    With "Your own points" there is nothing else: the network is validated on the same points it learns.
    """
    split = datasets.make(s.data, s.points, s.noise / 100, s.train_pct / 100, s.seed, s.n_classes)
    points, labels = added_points(s)
    if not len(points):
        return split
    x_train = np.concatenate([split.x_train, points]).astype(np.float32)
    y_train = np.concatenate([split.y_train, labels]).astype(np.float32)
    if datasets.DATASETS[s.data].drawn:
        return replace(split, x_train=x_train, y_train=y_train, x_val=x_train, y_val=y_train, classes=2)
    return replace(split, x_train=x_train, y_train=y_train)


def network(s: PlaygroundSettings):
    """The uncompiled Keras network these settings describe: the page trains it, the Keras code is written from it."""
    return models.mlp(
        len(s.features),
        s.layers,
        s.activations,
        regression=s.regression,
        regularization=s.regularization,
        reg_rate=s.reg_rate,
        dropout=s.dropout,
        seed=s.weights_seed,
        classes=s.n_classes,
    )


def build_model(s: PlaygroundSettings):
    model = network(s)
    models.compile_for(model, s.optimizer, s.lr, s.regression, s.n_classes)
    return model


@dataclass
class Snapshot:
    """What the page draws for the network's current weights."""

    axis: np.ndarray  # grid coordinates
    output: np.ndarray  # (GRID, GRID) prediction over the plane; (GRID, GRID, classes) probabilities for 3+ classes
    node_images: list[np.ndarray]  # per column (inputs, hidden..., output): (n, h, w) in [0, 1]
    weights: list[np.ndarray]  # Dense kernels, (n_in, n_out)
    biases: list[np.ndarray] = field(default_factory=list)  # Dense biases, (n_out,)


@dataclass
class PlaygroundRun(TrainerRun):
    settings: PlaygroundSettings
    split: datasets.Split = field(init=False)
    trainer: Trainer = field(init=False)

    def __post_init__(self):
        # A click can start a new script run while the old one is still inside
        # train(); one run at a time touches the weights.
        self._lock = threading.RLock()
        s = self.settings
        self.split = make_split(s)
        self.model = build_model(s)
        self.trainer = Trainer(
            self.model,
            datasets.features(self.split.x_train, s.features),
            self.split.y_train,
            datasets.features(self.split.x_val, s.features),
            self.split.y_val,
            batch_size=s.batch,
            seed=s.seed,
            metric=s.metric,
            share=s.network_key(),
        )
        self.axis, grid_points = datasets.grid(GRID)
        grid_inputs = datasets.features(grid_points, s.features)
        self._probe = Probe(self.model, grid_inputs, share=s.network_key())
        self.trainer.compile_ahead()  # a network new to the server compiles while the participant looks at it
        thumbs = grid_inputs.reshape(GRID, GRID, -1)[::THUMB_STEP, ::THUMB_STEP]
        scale = np.abs(thumbs).max(axis=(0, 1))
        self._input_images = np.moveaxis(thumbs / np.where(scale > 0, scale, 1) / 2 + 0.5, -1, 0)

    def adopt(self, s: PlaygroundSettings) -> None:
        """Take the settings that may change mid-run (learning rate, batch size, budget)."""
        with self._lock:
            self._adopt(s)

    def _adopt(self, s: PlaygroundSettings) -> None:
        if s.lr != self.settings.lr:
            self.trainer.learning_rate = s.lr
        self.trainer.batch_size = s.batch
        self.settings = s

    def train(self, epochs: int) -> int:
        with self._lock:
            epochs = max(0, min(epochs, self.settings.budget - self.epoch))
            return len(self.trainer.run(epochs))

    @property
    def budget(self) -> int:
        return self.settings.budget

    @property
    def finished(self) -> bool:
        return self.diverged or self.epoch >= self.settings.budget

    def dense(self) -> list[keras.layers.Dense]:
        return [layer for layer in self.model.layers if isinstance(layer, keras.layers.Dense)]

    def weight(self, layer: int, i: int | None, j: int) -> float:
        """Dense layer ``layer``'s weight from input ``i`` to unit ``j``, or unit ``j``'s bias when ``i`` is None."""
        with self._lock:
            dense = self.dense()[layer]
            values = dense.bias if i is None else dense.kernel
            return float(keras.ops.convert_to_numpy(values)[j if i is None else (i, j)])

    def set_weight(self, layer: int, i: int | None, j: int, value: float) -> None:
        """Set one weight (or bias, ``i`` None) by hand: training goes on from the network as it now is."""
        with self._lock:
            dense = self.dense()[layer]
            variable = dense.bias if i is None else dense.kernel
            values = keras.ops.convert_to_numpy(variable).copy()
            values[j if i is None else (i, j)] = value
            variable.assign(values)

    def snapshot(self) -> Snapshot:
        with self._lock:
            outputs = self._probe()
            weights = [keras.ops.convert_to_numpy(layer.kernel) for layer in self.dense()]
            biases = [keras.ops.convert_to_numpy(layer.bias) for layer in self.dense()]
        thumbs = [o.reshape(GRID, GRID, -1)[::THUMB_STEP, ::THUMB_STEP] for o in outputs]
        hidden = [np.clip(t, -1, 1) / 2 + 0.5 for t in thumbs[:-1]]
        last = thumbs[-1] if not self.settings.regression else np.clip(thumbs[-1], -1, 1) / 2 + 0.5
        images = [self._input_images] + [np.moveaxis(t, -1, 0) for t in [*hidden, last]]
        output = outputs[-1].reshape(GRID, GRID, -1)
        return Snapshot(self.axis, output if self.settings.multiclass else output[..., 0], images, weights, biases)


def warm() -> None:
    """Compile the default network's epochs (XLA's and the graph's) and picture: the first network every
    participant trains.

    Called once per server process in the background (``dlviz.core.tfconfig.warm_up``), so that the first
    Play on a fresh server does not wait for a compile.
    """
    run = PlaygroundRun(PlaygroundSettings())
    for thread in (run.trainer.compile_ahead(delay=0), run._probe.compile_ahead(delay=0)):
        if thread is not None:
            thread.join()
    run.train(1)  # and the graph's epoch, which a run's first epochs go through (``Trainer._quick_now``)
