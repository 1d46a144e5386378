"""The Keras program of a digit network: the shipped CNN's architecture or a participant's own."""

from __future__ import annotations

from dlviz.core.keras_code import number_literal, optimizer_code


def layer_code(layer) -> str:
    """The ``keras.layers`` constructor for one layer of a Sequential model."""
    kind = type(layer).__name__
    cfg = layer.get_config()
    activation = cfg.get("activation")
    act = f', activation="{activation}"' if activation and activation != "linear" else ""
    if kind == "Conv2D":
        k = cfg["kernel_size"]
        size = k[0] if k[0] == k[1] else tuple(k)
        return f"keras.layers.Conv2D({cfg['filters']}, {size}{act})"
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return f"keras.layers.{kind}({cfg['pool_size'][0]})"
    if kind == "Flatten":
        return "keras.layers.Flatten()"
    if kind == "Dropout":
        return f"keras.layers.Dropout({number_literal(cfg['rate'])})"
    if kind == "Dense":
        return f"keras.layers.Dense({cfg['units']}{act})"
    if kind == "BatchNormalization":
        return "keras.layers.BatchNormalization()"
    raise ValueError(f"no code for layer type {kind}")


def sequential_code(model, indent: str = "    ") -> str:
    shape = ", ".join(str(d) for d in model.input_shape[1:])
    lines = [f"keras.Input(shape=({shape},)),"] + [layer_code(layer) + "," for layer in model.layers]
    return "model = keras.Sequential([\n" + "\n".join(indent + line for line in lines) + "\n])"


def digits_program(model, optimizer: str, learning_rate: float, epochs: int, note: str = "") -> str:
    """A complete MNIST program for a Sequential model: load, scale, build, compile, fit, evaluate."""
    header = f"# {note}\n" if note else ""
    return f"""{header}from tensorflow import keras

EPOCHS = {epochs}

mnist = keras.datasets.mnist
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(-1, 28, 28, 1) / 255.0
x_test = x_test.reshape(-1, 28, 28, 1) / 255.0

{sequential_code(model)}
model.compile(
    optimizer={optimizer_code(optimizer, learning_rate)},
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.summary()

model.fit(x_train, y_train, epochs=EPOCHS, validation_data=(x_test, y_test))
test_loss, test_accuracy = model.evaluate(x_test, y_test)
print("test accuracy:", round(test_accuracy, 4))
"""
