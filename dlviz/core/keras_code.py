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


def _regularizer_code(config) -> str:
    """``keras.regularizers.L1(0.001)`` from a layer's serialized ``kernel_regularizer`` (empty for none)."""
    if not config:
        return ""
    kind, values = config["class_name"], config["config"]
    rates = [v for k, v in values.items() if k in ("l1", "l2") and v]
    if kind not in ("L1", "L2") or len(rates) != 1:
        raise ValueError(f"no code for regularizer {config!r}")
    return f", kernel_regularizer=keras.regularizers.{kind}({number_literal(float(rates[0]))})"


def layer_code(layer) -> str:
    """The ``keras.layers`` constructor that builds ``layer`` again (the layers the course uses)."""
    kind = type(layer).__name__
    cfg = layer.get_config()
    activation = cfg.get("activation")
    act = f', activation="{activation}"' if activation and activation != "linear" else ""
    if kind == "Conv2D":
        k = cfg["kernel_size"]
        size = k[0] if k[0] == k[1] else tuple(k)
        return f"keras.layers.Conv2D({cfg['filters']}, {size}{act}{_regularizer_code(cfg.get('kernel_regularizer'))})"
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return f"keras.layers.{kind}({cfg['pool_size'][0]})"
    if kind == "Flatten":
        return "keras.layers.Flatten()"
    if kind == "Dropout":
        return f"keras.layers.Dropout({number_literal(cfg['rate'])})"
    if kind == "Dense":
        return f"keras.layers.Dense({cfg['units']}{act}{_regularizer_code(cfg.get('kernel_regularizer'))})"
    if kind == "BatchNormalization":
        return "keras.layers.BatchNormalization()"
    raise ValueError(f"no code for layer type {kind}")


def layer_lines(model) -> list[str]:
    """The lines inside ``keras.Sequential([...])`` that build ``model`` again: its Input, then each layer."""
    shape = ", ".join(str(d) for d in model.input_shape[1:])
    return [f"keras.Input(shape=({shape},)),"] + [layer_code(layer) + "," for layer in model.layers]


def sequential_code(model, name: str = "model", indent: str = "    ") -> str:
    """``name = keras.Sequential([...])`` for a built Sequential model: the page's own model is the description."""
    return f"{name} = keras.Sequential([\n" + "\n".join(indent + line for line in layer_lines(model)) + "\n])"
