"""The runnable Keras program for both Overfitting networks, written from the same settings the page builds its model from.

The data generators are copied from ``dlviz.core.datasets`` by source, so the program draws the same points.
"""

from __future__ import annotations

import functools
import inspect

from dlviz.core import datasets, models
from dlviz.core.keras_code import layer_lines, number_literal, optimizer_code
from dlviz.overfitting import engine as overfitting
from dlviz.overfitting.engine import OverfittingSettings


@functools.lru_cache(maxsize=64)
def _stacks(s: OverfittingSettings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    with models.seeded(s.seed):
        baseline, regularized = (overfitting.build_network(s, regularized=r) for r in (False, True))
    return tuple(layer_lines(baseline)), tuple(layer_lines(regularized))


def overfitting_layers(s: OverfittingSettings, *, regularized: bool) -> list[str]:
    """The ``keras.Sequential`` layer lines of the baseline or its regularized copy, written from the page's own
    ``build_network``."""
    return list(_stacks(s)[regularized])


def overfitting_program(s: OverfittingSettings, epochs: int | None = None) -> str:
    """Both of the Overfitting page's runs as one Keras program: same data, same starting weights."""
    epochs = epochs if epochs is not None else s.epochs
    n = s.train_points + overfitting.N_VAL
    if s.regression:
        generators = inspect.getsource(overfitting.curve)
        data = f"points, targets = curve({n}, {number_literal(s.noise / 100)}, rng)"
        what, loss, metrics = "a noisy curve", '"mse"', ""
    else:
        generators = datasets.DATASETS[s.task].source() + "\n\n" + inspect.getsource(overfitting.with_label_noise)
        data = (f"points, targets = {s.task}({n}, {number_literal(overfitting.JITTER)}, rng)\n"
                f"targets = with_label_noise(targets, {number_literal(s.noise / 100)}, rng)  # {s.noise}% of labels flipped")  # fmt: skip
        what, loss, metrics = overfitting.TASKS[s.task].lower(), '"binary_crossentropy"', ', metrics=["accuracy"]'
    baseline = "\n".join("    " + line for line in overfitting_layers(s, regularized=False))
    regularized = "\n".join("    " + line for line in overfitting_layers(s, regularized=True))
    if s.early_stopping:
        stopper = (f"early_stopping = keras.callbacks.EarlyStopping(\n    monitor=\"val_loss\", patience={s.patience}, "
                   f"min_delta={number_literal(s.min_delta)}, restore_best_weights={s.restore_best},\n)\n")  # fmt: skip
        callbacks = "[early_stopping]"
    else:
        stopper, callbacks = "", "[]"
    shape = " x ".join(str(u) for u in s.layers)
    return f'''"""Overfitting on {what}: a {shape} network against its regularized copy ({", ".join(s.regularizers) or "no regularizer yet"})."""
import numpy as np
from tensorflow import keras

SEED = {s.seed}
EPOCHS = {epochs}


{generators}

# Data: {s.train_points} points to learn from, {overfitting.N_VAL} to check on, all from the same noisy source
rng = np.random.default_rng(SEED)
{data}
order = rng.permutation(len(points))
points, targets = points[order], targets[order]
x_train, y_train = points[:{s.train_points}], targets[:{s.train_points}]
x_val, y_val = points[{s.train_points}:], targets[{s.train_points}:]

# Two networks with the same Dense layers; the regularized one adds its regularizers
keras.utils.set_random_seed(SEED)
baseline = keras.Sequential([
{baseline}
])
regularized = keras.Sequential([
{regularized}
])
# The same starting weights for both: copy the baseline's Dense layers into the copy
dense = lambda model: [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
for source, target in zip(dense(baseline), dense(regularized)):
    target.set_weights(source.get_weights())

{stopper}for name, model, callbacks in [("baseline", baseline, []), ("regularized", regularized, {callbacks})]:
    model.compile(optimizer={optimizer_code("adam", s.lr)}, loss={loss}{metrics})
    history = model.fit(
        x_train, y_train,
        batch_size={s.batch},
        epochs=EPOCHS,
        validation_data=(x_val, y_val),
        callbacks=callbacks,
        verbose=0,
    )
    loss, val_loss = history.history["loss"], history.history["val_loss"]
    best = int(np.argmin(val_loss))
    print(f"{{name}}: {{len(loss)}} epochs, training loss {{loss[-1]:.4f}}, validation loss {{val_loss[-1]:.4f}}, "
          f"lowest validation loss {{val_loss[best]:.4f}} at epoch {{best + 1}}")
'''
