import ast

import pytest
from programs import run_program

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
    out = run_program(playground_code.playground_program(VARIANTS[name], epochs=3), tmp_path)
    assert "Epoch 3/3" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("final val_") and float(last.split(":")[1]) >= 0


# --- the Digits page's programs --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dense", "cnn", "shipped"])
def test_digits_programs_run_and_train(kind, tmp_path):
    from dlviz.digits import engine as digits

    model = digits.cnn() if kind == "shipped" else digits.own_model(kind)
    program = digits_code.digits_program(model, "adam", 0.001, 1)
    assert "mnist.load_data()" in program and "from tensorflow import keras" in program
    d = digits.load_subset()  # tests never download: mnist.load_data() answers from the shipped sample
    sample = ((d["x_train"][:600], d["y_train"][:600]), (d["x_test"][:200], d["y_test"][:200]))
    out = run_program(program, tmp_path, mnist_load_data=lambda: sample)
    assert "test accuracy:" in out


@pytest.mark.parametrize("own_test", [False, True])
def test_a_digits_program_on_an_uploaded_file_runs(own_test, tmp_path):
    import numpy as np

    from dlviz.digits import engine as digits

    d = digits.load_subset()
    parts = {"x_train": d["x_train"][:300], "y_train": d["y_train"][:300]}
    if own_test:
        parts |= {"x_test": d["x_test"][:50], "y_test": d["y_test"][:50]}
    np.savez_compressed(tmp_path / "room-digits.npz", **parts)
    program = digits_code.digits_program(digits.own_model("dense"), "adam", 0.001, 1, data_file="room-digits.npz",
                                         own_test=own_test)  # fmt: skip
    assert ("mnist.load_data()" in program) != own_test
    sample = ((d["x_train"][:10], d["y_train"][:10]), (d["x_test"][:200], d["y_test"][:200]))
    out = run_program(program, tmp_path, mnist_load_data=lambda: sample)
    assert "test accuracy:" in out
