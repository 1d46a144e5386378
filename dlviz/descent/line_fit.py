"""A single neuron fits a line: the course's first Keras model, trained live.

``keras.Sequential([Dense(1)])`` with SGD learns ``y = w * x + b``. The
page shows the line moving through the data and the pair (w, b) walking
over the loss surface, one epoch at a time. Training goes through the
Playground's ``Trainer``, which matches ``model.fit`` step for step.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from dlviz.core import models
from dlviz.core.training import Trainer, TrainerRun

DATASETS = {"houses": "House prices (the course's data)", "line": "The line y = 2x + 1", "noisy": "A noisy line"}
LOSSES = {"mse": "Mean squared error", "mae": "Mean absolute error", "huber": "Huber"}
HOUSES = np.array([[0.2, 0.2], [1, 1.8], [2, 4], [3, 7], [5, 11], [7, 12], [9, 14], [10, 13]])
SEED = 0  # weights and noise: the same for everyone, and in the exported code
BATCH_SIZE = 32  # model.fit's default: every data set here is one batch
NOISY_POINTS = 20
SURFACE_GRID = 80  # loss-surface resolution along w and b
FOLLOW_LIMIT = 50  # the surface window follows a path up to this many times the best fit's size


@dataclass(frozen=True)
class LineData:
    x: np.ndarray  # as the user sees it
    y: np.ndarray
    x_label: str
    y_label: str
    low: float = 0.0  # min-max scaling: the model sees (x - low) / (high - low)
    high: float = 1.0
    asks: tuple[float, ...] = ()  # inputs the course asks the model about

    @property
    def scaled(self) -> bool:
        return (self.low, self.high) != (0.0, 1.0)

    def model_input(self, x) -> np.ndarray:
        return (np.asarray(x, np.float64) - self.low) / (self.high - self.low)

    def line_in_x(self, w: float, b: float) -> tuple[float, float]:
        """The neuron's y = w·x' + b on scaled x' = (x − low)/(high − low), as slope and intercept in x."""
        span = self.high - self.low
        return w / span, b - w * self.low / span

    def x_range(self, asks) -> tuple[float, float]:
        """The line chart's x range: the data, 0 and every asked input, with a 4 % margin each side."""
        lo, hi = float(min(self.x.min(), 0.0, *asks)), float(max(self.x.max(), *asks))
        return lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo)


def make_data(kind: str, slope: float = 2.0, noise: float = 1.0, scale: bool = False) -> LineData:
    if kind == "houses":
        x, y = HOUSES[:, 0], HOUSES[:, 1]
        labels, asks = ("size (10 m²)", "price (10k)"), (8.0, 12.0)
    elif kind == "line":
        x = np.arange(1.0, 12.0)
        y = 2 * x + 1
        labels, asks = ("x", "y"), (12.0, 20.0)
    else:
        rng = np.random.default_rng(SEED)
        x = np.sort(rng.uniform(0, 10, NOISY_POINTS))
        y = slope * x + 1 + noise * rng.standard_normal(NOISY_POINTS)
        labels, asks = ("x", "y"), (12.0,)
    low, high = (float(x.min()), float(x.max())) if scale else (0.0, 1.0)
    return LineData(x, y, *labels, low=low, high=high, asks=asks)


def build_model(loss: str, learning_rate: float):
    """The course's model: one Dense unit on one input, SGD, the chosen loss."""
    from tensorflow import keras

    with models.seeded(SEED):
        model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss)
    return model


def loss_surface(data: LineData, loss: str, ws: np.ndarray, bs: np.ndarray) -> np.ndarray:
    """Keras's own loss at every (w, b) of a grid: shape (len(bs), len(ws))."""
    from tensorflow import keras

    w, b = np.meshgrid(ws, bs)
    predictions = w[..., None] * data.model_input(data.x) + b[..., None]
    targets = np.broadcast_to(data.y, predictions.shape)
    return keras.ops.convert_to_numpy(keras.losses.get(loss)(targets, predictions)).astype(np.float64)


def losses_at(data: LineData, loss: str, points) -> np.ndarray:
    """Keras's own loss on all the data for each (w, b) in ``points`` (shape (n, 2)): shape (n,)."""
    from tensorflow import keras

    wb = np.reshape(np.asarray(points, np.float64), (-1, 2))
    if not len(wb):
        return np.zeros(0)
    with np.errstate(over="ignore", invalid="ignore"):
        predictions = wb[:, :1] * data.model_input(data.x) + wb[:, 1:]
    targets = np.broadcast_to(data.y, predictions.shape)
    return keras.ops.convert_to_numpy(keras.losses.get(loss)(targets, predictions)).astype(np.float64)


def best_fit(data: LineData) -> tuple[float, float]:
    """The least-squares (w, b), where the loss surface is centred."""
    w, b = np.polyfit(data.model_input(data.x), data.y, 1)
    return float(w), float(b)


def surface_window(data: LineData, points) -> tuple[np.ndarray, np.ndarray]:
    """A (w, b) window holding the best fit and the given points, with room around them.

    Points far out (a diverging run) are not followed: the valley stays in view.
    """
    best = np.array(best_fit(data))
    pts = np.vstack([best, np.reshape(np.asarray(points, np.float64), (-1, 2))])
    near = pts[np.all(np.abs(pts - best) <= FOLLOW_LIMIT * (1 + np.abs(best)), axis=1)]
    lo, hi = near.min(axis=0), near.max(axis=0)
    centre, half = (lo + hi) / 2, np.maximum((hi - lo) / 2 * 1.25, [1.0, 2.0])
    return (np.linspace(centre[0] - half[0], centre[0] + half[0], SURFACE_GRID),
            np.linspace(centre[1] - half[1], centre[1] + half[1], SURFACE_GRID))  # fmt: skip


class LineRun(TrainerRun):
    """One participant's neuron in training, with the (w, b) of every epoch."""

    def __init__(self, kind: str, slope: float, noise: float, scale: bool, loss: str, learning_rate: float,
                 budget: int = 1000, settings=None):  # fmt: skip
        self.key = (kind, slope, noise, scale, loss)
        self.budget, self.settings = budget, settings  # the page's settings it was made from (dlviz.core.live)
        self.loss = loss
        self._surface = None
        self.data = make_data(kind, slope, noise, scale)
        self.best = best_fit(self.data)
        self.model = build_model(loss, learning_rate)
        x = self.data.model_input(self.data.x)[:, None]
        self.trainer = Trainer(self.model, x, self.data.y, x, self.data.y, batch_size=BATCH_SIZE, seed=SEED,
                               classify=False)  # fmt: skip
        self.weights = [self.current()]
        self._losses: list[float] = []  # the loss of weights[i], filled in on demand (end_losses)
        self.lock = threading.RLock()

    @property
    def diverged(self) -> bool:
        return self.trainer.diverged or not np.all(np.isfinite(self.weights[-1]))

    def current(self) -> tuple[float, float]:
        kernel, bias = self.model.layers[0].get_weights()
        return float(kernel[0, 0]), float(bias[0])

    def set_learning_rate(self, value: float) -> None:
        """The learning rate may change mid-run, as on the Playground."""
        if abs(self.trainer.learning_rate - value) > 1e-12 * value:
            self.trainer.learning_rate = value

    @property
    def finished(self) -> bool:
        return self.diverged or self.epoch >= self.budget

    def adopt(self, settings) -> None:
        """The page's settings that do not restart the neuron: its learning rate and epoch budget."""
        self.set_learning_rate(settings.fit_lr)
        self.budget, self.settings = settings.fit_epochs, settings

    def train(self, epochs: int) -> int:
        """Train up to ``epochs`` epochs (within the budget), one at a time to record each (w, b); returns how
        many ran."""
        with self.lock:
            done, epochs = 0, min(epochs, self.budget - self.epoch)
            while done < epochs and not self.diverged:
                self.trainer.run(1)
                self.weights.append(self.current())
                done += 1
            return done

    def end_losses(self) -> np.ndarray:
        """The loss on all the data of the weights after each epoch so far; [0] is before training.

        Keras's history records a different number: the loss met during the epoch's batch, before that
        batch's update (with every data set here one batch, the loss of the previous epoch's weights).
        """
        with self.lock:
            if len(self._losses) < len(self.weights):
                self._losses.extend(losses_at(self.data, self.loss, self.weights[len(self._losses) :]))
            return np.asarray(self._losses[: len(self.weights)])

    def current_loss(self) -> float:
        """The loss of the weights shown now (the last epoch's), on all the data."""
        return float(self.end_losses()[-1])

    def surface(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The loss over a (w, b) window around the path so far and the best fit: ws, bs, values.

        The window grows when the path walks out of it, so the walk stays on the map.
        """
        path = np.asarray(self.weights)
        if self._surface is None or not self._shows(path):
            ws, bs = surface_window(self.data, path[np.all(np.isfinite(path), axis=1)])
            self._surface = ws, bs, loss_surface(self.data, self.loss, ws, bs)
        return self._surface

    def _shows(self, path: np.ndarray) -> bool:
        ws, bs, _ = self._surface
        best = np.array(self.best)
        near = path[np.all(np.abs(path - best) <= FOLLOW_LIMIT * (1 + np.abs(best)), axis=1)]
        return bool(
            np.all((near[:, 0] >= ws[0]) & (near[:, 0] <= ws[-1]) & (near[:, 1] >= bs[0]) & (near[:, 1] <= bs[-1]))
        )

    def predict(self, x) -> np.ndarray:
        w, b = self.weights[-1]
        return w * self.data.model_input(x) + b
