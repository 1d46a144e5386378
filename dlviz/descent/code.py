"""The course's descent loop and the neuron that fits a line, as runnable programs for the page's settings."""

from __future__ import annotations

from dlviz.core.keras_code import number_literal


def descent_loop_program(curve, x0: float, learning_rate: float, steps: int) -> str:
    """The course's hand-written gradient descent for a curve, as a runnable program."""
    formula = curve.formula.replace("exp(", "math.exp(")
    return f"""import math


def f(x):
    return {formula}


def df(x):  # dy/dx
    return {curve.derivative}


x = {x0:g}
learning_rate = {learning_rate:g}
for step in range({steps}):
    x = x - learning_rate * df(x)
    if abs(x) > 1e6:
        print("diverged at step", step)
        break
print("x =", x, " y =", f(x))
"""


def line_fit_program(data, kind: str, slope: float, noise: float, loss: str, learning_rate: float, epochs: int) -> str:
    """One Dense unit fitting the page's data with SGD, as the course writes it."""
    from dlviz.descent import line_fit

    if kind == "noisy":
        points = f"""rng = np.random.default_rng({line_fit.SEED})
xs = np.sort(rng.uniform(0, 10, {line_fit.NOISY_POINTS}))
ys = {number_literal(slope)} * xs + 1 + {number_literal(noise)} * rng.standard_normal({line_fit.NOISY_POINTS})"""
    else:
        points = f"""xs = np.array([{", ".join(number_literal(v) for v in data.x)}])
ys = np.array([{", ".join(number_literal(v) for v in data.y)}])"""
    if data.scaled:
        scaling = """
# Min-max scaling: the neuron sees inputs between 0 and 1
low, high = xs.min(), xs.max()


def scale(x):
    return (x - low) / (high - low)

"""
    else:
        scaling = """

def scale(x):  # no scaling: the neuron sees x as it is
    return x

"""
    asks = ", ".join(number_literal(v) for v in data.asks)
    return f'''"""{line_fit.DATASETS[kind]}: one neuron learns y = w * x + b, the page's settings as a Keras program."""
import numpy as np
from tensorflow import keras

{points}
{scaling}
keras.utils.set_random_seed({line_fit.SEED})  # the same starting weights as the dashboard
model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(learning_rate={number_literal(learning_rate)}), loss="{loss}")
model.fit(scale(xs), ys, epochs={epochs}, verbose=0)

w, b = model.layers[0].get_weights()
print("w =", w[0, 0], " b =", b[0])
print("loss =", model.evaluate(scale(xs), ys, verbose=0))
for x in [{asks}]:
    print(x, "->", model.predict(scale(np.array([[x]])), verbose=0)[0, 0])
'''
