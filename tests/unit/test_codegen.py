import ast
import subprocess
import sys

import pytest

from dlviz.core.settings import replace
from dlviz.digits import code as digits_code
from dlviz.playground import code as playground_code
from dlviz.playground.engine import PlaygroundSettings

VARIANTS = {
    "default": PlaygroundSettings(),
    "everything": replace(
        PlaygroundSettings(),
        data="spiral",
        features=("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"),
        layers=(6, 4),
        activations=("relu", "sigmoid"),
        regularization="l1",
        reg_rate=0.001,
        dropout=0.1,
        optimizer="rmsprop",
        lr=0.003,
        batch=16,
    ),  # fmt: skip
    "regression": replace(PlaygroundSettings(), data="bump", layers=(), activations=(), optimizer="adam"),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_program_is_valid_python_in_course_style(name):
    program = playground_code.playground_program(VARIANTS[name])
    ast.parse(program)
    assert "from tensorflow import keras" in program
    assert "keras.Sequential([" in program and "model.fit(" in program
    assert "dlviz" not in program  # self-contained


def test_program_reflects_settings():
    program = playground_code.playground_program(VARIANTS["everything"])
    assert 'Dense(6, activation="relu", kernel_regularizer=keras.regularizers.L1(0.001))' in program
    assert "keras.layers.Dropout(0.1)" in program
    assert "keras.optimizers.RMSprop(learning_rate=0.003)" in program
    assert "batch_size=16" in program and "np.sin(x2)" in program
    assert 'loss="mse"' in playground_code.playground_program(VARIANTS["regression"])


@pytest.mark.parametrize("name", ["default", "regression"])
def test_program_runs_and_trains(name, tmp_path):
    path = tmp_path / "program.py"
    path.write_text(playground_code.playground_program(VARIANTS[name], epochs=3))
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Epoch 3/3" in done.stdout
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("final val_") and float(last.split(":")[1]) >= 0


# --- the Digits page's programs --------------------------------------------------------------

# Runs a program with keras.datasets.mnist.load_data() answered from the shipped
# sample, since tests never download.
OFFLINE_MNIST = """
import numpy as np
from tensorflow import keras
from dlviz.digits import engine as digits
_d = digits.load_subset()
keras.datasets.mnist.load_data = lambda: ((_d["x_train"][:600], _d["y_train"][:600]), (_d["x_test"][:200], _d["y_test"][:200]))
exec(compile(open({path!r}).read(), {path!r}, "exec"))
"""


@pytest.mark.parametrize("kind", ["dense", "cnn", "shipped"])
def test_digits_programs_run_and_train(kind, tmp_path):
    from dlviz.digits import engine as digits

    model = digits.cnn() if kind == "shipped" else digits.own_model(kind)
    program = digits_code.digits_program(model, "adam", 0.001, 1)
    assert "mnist.load_data()" in program and "from tensorflow import keras" in program
    path = tmp_path / "program.py"
    path.write_text(program)
    runner = OFFLINE_MNIST.format(path=str(path))
    root = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    done = subprocess.run([sys.executable, "-c", runner], capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "test accuracy:" in done.stdout
