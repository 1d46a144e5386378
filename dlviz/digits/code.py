"""The Keras program of a digit network: the shipped CNN's architecture or a participant's own."""

from __future__ import annotations

from dlviz.core.keras_code import optimizer_code, sequential_code


def digits_program(model, optimizer: str, learning_rate: float, epochs: int, note: str = "",
                   data_file: str | None = None, own_test: bool = False) -> str:  # fmt: skip
    """A complete MNIST program for a Sequential model: load, scale, build, compile, fit, evaluate.

    ``data_file``: train on that .npz in MNIST's layout instead (a room's drawings), tested on its own
    ``x_test`` if ``own_test``, else on MNIST's test digits.
    """
    header = f"# {note}\n" if note else ""
    if data_file is None:
        load = "mnist = keras.datasets.mnist\n(x_train, y_train), (x_test, y_test) = mnist.load_data()"
    else:
        load = f'data = np.load({data_file!r})\nx_train, y_train = data["x_train"], data["y_train"]\n'
        load += ('x_test, y_test = data["x_test"], data["y_test"]' if own_test else
                 "(_, _), (x_test, y_test) = keras.datasets.mnist.load_data()  # tested on MNIST's test digits")  # fmt: skip
    imports = "import numpy as np\nfrom tensorflow import keras" if data_file else "from tensorflow import keras"
    return f"""{header}{imports}

EPOCHS = {epochs}

{load}
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
