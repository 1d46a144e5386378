"""The Keras program of a digit network: the shipped CNN's architecture or a participant's own."""

from __future__ import annotations

from dlviz.core.keras_code import optimizer_code, sequential_code


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
