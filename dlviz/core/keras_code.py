"""Helpers that write course-style Keras programs: numbers, optimizers, layers and whole ``Sequential`` stacks.

Each topic's ``code.py`` writes its page's program with these. The programs are self-contained (NumPy and
``from tensorflow import keras``) so a participant can paste them into a notebook.
"""

from __future__ import annotations

_OPTIMIZER_CODE = {
    "sgd": "keras.optimizers.SGD(learning_rate={lr})",
    "momentum": "keras.optimizers.SGD(learning_rate={lr}, momentum=0.9)",
    "rmsprop": "keras.optimizers.RMSprop(learning_rate={lr})",
    "adam": "keras.optimizers.Adam(learning_rate={lr})",
}


def number_literal(x: float) -> str:
    return f"{x:.6g}"


def optimizer_code(name: str, learning_rate: float) -> str:
    return _OPTIMIZER_CODE[name].format(lr=number_literal(learning_rate))
