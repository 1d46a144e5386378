"""The runnable Keras program for the Playground, written from the same settings the page builds its model from.

The data generators are copied from ``dlviz.core.datasets`` by source, so the program draws the same points.
"""

from __future__ import annotations

import functools

from dlviz.core import datasets, models
from dlviz.core.keras_code import layer_lines, number_literal, optimizer_code
from dlviz.core.settings import replace
from dlviz.playground.engine import PlaygroundSettings, network


@functools.lru_cache(maxsize=64)
def _stack(s: PlaygroundSettings) -> tuple[str, ...]:
    return tuple(layer_lines(network(s)))


def dense_stack(s: PlaygroundSettings) -> list[str]:
    """The ``keras.Sequential`` layer lines, written from the network the page trains (``engine.network``)."""
    return list(_stack(replace(s, seed=0, init=0)))  # the layers do not depend on the seeds


def features_function(keys: tuple[str, ...]) -> str:
    columns = ", ".join(datasets.FEATURES[k].expression for k in keys)
    names = ", ".join(datasets.FEATURES[k].label for k in keys)
    return (
        "def features(points):\n"
        f'    """The network\'s inputs: {names}."""\n'
        "    x1, x2 = points[:, 0], points[:, 1]\n"
        f"    return np.column_stack([{columns}])\n"
    )


def playground_program(s: PlaygroundSettings, epochs: int | None = None) -> str:
    dataset = datasets.DATASETS[s.data]
    n_train = datasets.train_count(s.points, s.train_pct / 100)
    epochs = epochs if epochs is not None else (s.epochs or 1000)
    shape = "-".join(str(n) for n in s.layers) or "no hidden layer"
    layers = "\n".join("    " + line for line in dense_stack(s))
    loss = f'"{models.loss_for(s.regression, s.n_classes)}"'
    if s.regression:
        metrics, report = "", "val_loss"
    else:
        metrics, report = '\n    metrics=["accuracy"],', "val_accuracy"
    classes = f", classes={s.n_classes}" if s.multiclass else ""
    labels_note = (
        f"\n# Labels are class numbers 0..{s.n_classes - 1}: sparse categorical cross-entropy takes them as they are"
        if s.multiclass
        else ""
    )
    weights_line = (
        f"\nWEIGHTS_SEED = {s.weights_seed}  # New weights: other starting weights, the same data" if s.init else ""
    )
    return f'''"""{dataset.label} learned by a {shape} network: the Playground's settings as a Keras program."""
import numpy as np
from tensorflow import keras

SEED = {s.seed}{weights_line}
EPOCHS = {epochs}


{dataset.source()}

{features_function(s.features)}

# Data: {s.points} points with {s.noise}% noise, {s.train_pct}% of them for training
rng = np.random.default_rng(SEED)
points, labels = {s.data}({s.points}, {number_literal(s.noise / 100)}, rng{classes}){labels_note}
order = rng.permutation(len(points))
points, labels = points[order], labels[order]
x_train, y_train = features(points[:{n_train}]), labels[:{n_train}]
x_val, y_val = features(points[{n_train}:]), labels[{n_train}:]

# Model: the same seed gives the same starting weights as the dashboard
keras.utils.set_random_seed({"WEIGHTS_SEED" if s.init else "SEED"})
model = keras.Sequential([
{layers}
])
model.compile(
    optimizer={optimizer_code(s.optimizer, s.lr)},
    loss={loss},{metrics}
)
model.summary()

history = model.fit(
    x_train, y_train,
    batch_size={s.batch},
    epochs=EPOCHS,
    validation_data=(x_val, y_val),
    verbose=2,
)
print("final {report}:", round(history.history["{report}"][-1], 4))
'''
