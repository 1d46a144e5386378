"""The glass box: its numbers are Keras's own (forward outputs, gradients, one SGD step), its formulas show them."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow import keras

from dlviz.core import models
from dlviz.playground import glassbox as gb

X = np.array([1.2, -0.5, 0.8], dtype=np.float32)


def playground_model(activation: str, *, regression=False, dropout=0.0, regularization="none", reg_rate=0.0):
    """A network as the Playground builds it: three inputs, two hidden layers, one output neuron."""
    model = models.mlp(3, (4, 3), (activation, activation), regression=regression, regularization=regularization,
                       reg_rate=reg_rate, dropout=dropout, seed=3)  # fmt: skip
    models.compile_for(model, "sgd", 0.1, regression)
    return model


def softmax_model(loss, *, dropout=0.0, reg_rate=0.0):
    """Three inputs, a relu layer and a 4-class softmax, compiled with sparse categorical crossentropy."""
    with models.seeded(5):
        reg = models.regularizer("l2", reg_rate)
        stack = [keras.Input(shape=(3,)), keras.layers.Dense(5, activation="relu", kernel_regularizer=reg)]
        if dropout:
            stack.append(keras.layers.Dropout(dropout))
        stack.append(keras.layers.Dense(4, activation="softmax", kernel_regularizer=reg))
        model = keras.Sequential(stack)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    return model


CASES = {
    "tanh": lambda: (playground_model("tanh"), 1.0),
    "relu": lambda: (playground_model("relu"), 0.0),
    "sigmoid": lambda: (playground_model("sigmoid"), 1.0),
    "linear": lambda: (playground_model("linear"), 0.0),
    "tanh dropout l2": lambda: (playground_model("tanh", dropout=0.3, regularization="l2", reg_rate=0.03), 1.0),
    "relu l1": lambda: (playground_model("relu", regularization="l1", reg_rate=0.01), 0.0),
    "regression mse": lambda: (playground_model("tanh", regression=True), 0.4),
    "regression dropout l2": lambda: (
        playground_model("relu", regression=True, dropout=0.2, regularization="l2", reg_rate=0.01),
        -0.7,
    ),
    "softmax": lambda: (softmax_model("sparse_categorical_crossentropy"), 2.0),
    "softmax dropout l2 loss object": lambda: (
        softmax_model(keras.losses.SparseCategoricalCrossentropy(), dropout=0.25, reg_rate=0.01),
        3.0,
    ),
}


def dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def without_dropout(model, lr: float):
    """The same Dense layers (weights, regularizers) without Dropout, compiled with plain SGD and the same loss."""
    dense = dense_layers(model)
    twin = keras.Sequential([keras.Input(shape=model.input_shape[1:]),
                             *[keras.layers.Dense.from_config(layer.get_config()) for layer in dense]])  # fmt: skip
    for mine, theirs in zip(dense_layers(twin), dense, strict=True):
        mine.set_weights(theirs.get_weights())
    twin.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss=model.loss)
    return twin


def keras_gradients(model, x, y):
    """Keras's own loss for the point (``compute_loss``: the compiled loss plus regularization), taped on a clone."""
    twin = without_dropout(model, 0.1)
    xb, yb = x[None], np.reshape(y, (1, -1))
    with tf.GradientTape() as tape:
        loss = twin.compute_loss(x=xb, y=yb, y_pred=twin(xb, training=False), training=False)
    return float(loss), [g.numpy() for g in tape.gradient(loss, twin.trainable_variables)]


def step_gradients(step):
    return [g for d in step.layers for g in (d.grad_kernel, d.grad_bias)]


@pytest.fixture(params=list(CASES))
def case(request):
    return CASES[request.param]()


def test_forward_numbers_are_each_layers_keras_outputs(case):
    model, y = case
    step = gb.glass_step(model, X, y, 0.1)
    dense = dense_layers(model)
    assert len(step.layers) == len(dense)
    # Keras's own layer outputs, from a sub-model over the real layers (dropout off)
    outputs = keras.Model(model.inputs, [layer.output for layer in dense])([X[None]], training=False)
    inputs = X
    for d, layer, out in zip(step.layers, dense, outputs, strict=True):
        np.testing.assert_allclose(d.inputs, inputs, rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(d.kernel, layer.kernel.numpy())
        np.testing.assert_array_equal(d.bias, layer.bias.numpy())
        np.testing.assert_allclose(d.z, d.inputs.astype(np.float64) @ d.kernel + d.bias, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(d.outputs, out.numpy()[0], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(d.outputs, np.asarray(keras.activations.get(d.activation)(d.z[None]))[0], rtol=1e-6)
        inputs = d.outputs
    np.testing.assert_allclose(step.prediction, model.predict(X[None], verbose=0)[0], rtol=1e-6, atol=1e-7)
    assert gb.checked(step) and step.mismatch < 1e-6


def test_gradients_and_loss_equal_keras_own(case):
    model, y = case
    step = gb.glass_step(model, X, y, 0.1)
    loss, grads = keras_gradients(model, X, y)
    assert step.loss == pytest.approx(loss, rel=1e-6)
    assert (step.regularization > 0) == bool(model.losses)
    assert step.regularization == pytest.approx(float(sum(v.numpy() for v in model.losses)), rel=1e-6)
    for ours, theirs in zip(step_gradients(step), grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)
    for d in step.layers:  # the chain rule the formulas show: dL/dW = a (outer) dL/dz + the penalty's part
        np.testing.assert_allclose(d.grad_bias, d.grad_z, rtol=1e-6)
        np.testing.assert_allclose(d.grad_kernel, np.outer(d.inputs, d.grad_z) + d.penalty_grad_kernel,
                                   rtol=1e-4, atol=1e-7)  # fmt: skip


@pytest.mark.parametrize("lr", [0.03, 1.0])
def test_apply_is_one_keras_sgd_step_on_that_point(case, lr):
    model, y = case
    step = gb.glass_step(model, X, y, lr)
    twin = without_dropout(model, lr)
    before = [v.numpy().copy() for v in twin.trainable_variables]
    twin.train_on_batch(X[None], np.reshape(y, (1, -1)))  # Keras's own training step (no dropout to drop)
    keras_new = [v.numpy() for v in twin.trainable_variables]
    for d, old in zip(step.layers, before[::2], strict=True):
        np.testing.assert_array_equal(d.kernel, old)
        np.testing.assert_array_equal(d.update_kernel, d.grad_kernel * np.float32(lr))
    gb.apply(model, step)
    after = [v.numpy() for layer in dense_layers(model) for v in (layer.kernel, layer.bias)]
    for ours, theirs in zip(after, keras_new, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    for d, layer in zip(step.layers, dense_layers(model), strict=True):  # exactly the numbers shown
        np.testing.assert_array_equal(layer.kernel.numpy(), d.new_kernel)
        np.testing.assert_array_equal(layer.bias.numpy(), d.new_bias)
    with pytest.raises(ValueError, match="changed"):
        gb.apply(model, step)  # a second time: the weights are no longer those the step started from


def test_dropout_is_off_so_the_numbers_repeat():
    model = playground_model("relu", dropout=0.5)
    first, second = gb.glass_step(model, X, 1.0, 0.1), gb.glass_step(model, X, 1.0, 0.1)
    for a, b in zip(first.layers, second.layers, strict=True):
        np.testing.assert_array_equal(a.outputs, b.outputs)
        np.testing.assert_array_equal(a.grad_kernel, b.grad_kernel)
    np.testing.assert_allclose(first.prediction, model(X[None], training=False).numpy()[0])


def test_the_model_is_left_alone_until_applied():
    model = playground_model("tanh", regularization="l2", reg_rate=0.01)
    weights = [w.copy() for w in model.get_weights()]
    gb.glass_step(model, X, 1.0, 0.3)
    for a, b in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)


def one_neuron(activation: str, kernel, bias, loss: str):
    model = keras.Sequential([keras.Input(shape=(len(kernel),)), keras.layers.Dense(1, activation=activation)])
    model.set_weights([np.array(kernel, np.float32).reshape(-1, 1), np.array([bias], np.float32)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    return model


def test_formulas_show_the_numbers_of_a_linear_neuron():
    # z = 0.5·1 - 0.25·2 + 0.1 = 0.1; L = (0 - 0.1)^2; dL/dz = 2·0.1 = 0.2; dL/dw = (1, 2)·0.2
    step = gb.glass_step(one_neuron("linear", [0.5, -0.25], 0.1, "mse"), np.array([1.0, 2.0], np.float32), 0.0, 0.1)
    assert gb.neuron_formula(step, 0, 0) == ("z = 0.5·1 + (−0.25)·2 + 0.1 = 0.1", "linear(0.1) = 0.1")
    assert gb.loss_formula(step) == "L = (y − ŷ)² = (0 − 0.1)² = 0.01"
    assert gb.weight_formula(step, 0, 0, 0) == "w = 0.5 − 0.1 × 0.2 = 0.48"
    assert gb.weight_formula(step, 0, 1, 0) == "w = −0.25 − 0.1 × 0.4 = −0.29"
    assert gb.weight_formula(step, 0, None, 0) == "b = 0.1 − 0.1 × 0.2 = 0.08"
    assert gb.gradient_formula(step, 0, 1, 0) == "∂L/∂w = a × ∂L/∂z = 2 × 0.2 = 0.4"
    assert gb.gradient_formula(step, 0, None, 0) == "∂L/∂b = ∂L/∂z = 0.2"
    rows = gb.backward_rows(step, 0, ["x₁", "x₂"])
    assert rows[1] == {"from": "x₂", "to": "output", "value": "−0.25", "gradient": "0.4", "lr × gradient": "0.04",
                       "new value": "−0.29"}  # fmt: skip
    assert [r["from"] for r in rows] == ["x₁", "x₂", "bias"]
    assert gb.forward_rows(step, 0) == [{"neuron": "output", "z = a·W + b": "0.1", "linear(z)": "0.1"}]


def test_formulas_negative_gradient_and_the_issues_tanh_neuron():
    model = one_neuron("tanh", [0.42, -0.31], 0.1, "mse")
    step = gb.glass_step(model, np.array([1.2, -0.5], np.float32), 1.0, 0.03)
    d = step.layers[0]
    assert gb.neuron_formula(step, 0, 0) == ("z = 0.42·1.2 + (−0.31)·(−0.5) + 0.1 = 0.759", "tanh(0.759) = 0.6405")
    assert d.grad_kernel[0, 0] < 0  # the output is below its target: the weight grows
    g, new = gb.num(d.grad_kernel[0, 0]), gb.num(d.new_kernel[0, 0])
    assert gb.weight_formula(step, 0, 0, 0) == f"w = 0.42 − 0.03 × ({g}) = {new}"
    assert float(new.replace("−", "-")) == pytest.approx(0.42 - 0.03 * float(g.replace("−", "-")), abs=1e-4)


def test_formulas_of_sigmoid_relu_softmax_and_the_losses():
    sig = gb.glass_step(one_neuron("sigmoid", [1.0, -1.0], 0.0, "binary_crossentropy"),
                        np.array([0.5, -0.25], np.float32), 1.0, 0.1)  # fmt: skip
    p = 1 / (1 + np.exp(-0.75))
    assert gb.neuron_formula(sig, 0, 0)[1] == f"sigmoid(0.75) = 1 / (1 + e^(−0.75)) = {gb.num(p)}"
    assert gb.loss_formula(sig) == (f"L = −[y·ln ŷ + (1 − y)·ln(1 − ŷ)] = −[1·ln {gb.num(p)} + 0·ln {gb.num(1 - p)}] "
                                    f"= {gb.num(-np.log(p))}")  # fmt: skip
    relu = gb.glass_step(one_neuron("relu", [1.0, 1.0], 0.0, "mse"), np.array([-1.0, 0.5], np.float32), 0.0, 0.1)
    assert gb.neuron_formula(relu, 0, 0)[1] == "relu(−0.5) = max(0, −0.5) = 0"
    assert gb.gradient_formula(relu, 0, 0, 0) == "∂L/∂w = a × ∂L/∂z = (−1) × 0 = 0"

    model = softmax_model("sparse_categorical_crossentropy", reg_rate=0.01)
    step = gb.glass_step(model, X, 2, 0.1)
    out = step.layers[-1]
    terms = " + ".join("e^" + (f"({gb.num(v)})" if v < 0 else gb.num(v)) for v in out.z)
    assert gb.neuron_formula(step, 1, 2)[1] == f"softmax(z)[3] = e^{gb._factor(out.z[2])} / ({terms}) = " + gb.num(
        out.outputs[2]
    )
    lines = gb.loss_formula(step).split("\n")
    assert lines[0] == f"L = −ln ŷ[3] = −ln {gb.num(step.prediction[2])} = {gb.num(step.data_loss)}"
    assert lines[1] == (f"L + regularization = {gb.num(step.data_loss)} + {gb.num(step.regularization)} = "
                        f"{gb.num(step.loss)}")  # fmt: skip
    assert "∂(regularization)/∂w" in gb.gradient_formula(step, 0, 1, 1)
    assert [r["neuron"] for r in gb.forward_rows(step, 1)] == ["output · 1", "output · 2", "output · 3", "output · 4"]
    assert gb.backward_rows(step, 1)[0]["from"] == "layer 1 · 1"
    assert len(gb.backward_rows(step, 1)) == 5 * 4 + 4


def test_numbers_have_four_significant_digits_and_one_minus():
    assert gb.num(0.123456) == "0.1235"
    assert gb.num(-12.3456) == "−12.35"
    assert gb.num(-0.0) == "0"
    assert gb.num(1e-5) == "1e−05"
    assert "-" not in gb.num(-6.2745e-4)


@pytest.mark.parametrize("data", ["xor", "blobs"])
def test_a_playground_runs_point_applied_then_trained_on(data):
    from dlviz.core import datasets
    from dlviz.core.settings import replace
    from dlviz.playground.engine import PlaygroundRun, PlaygroundSettings

    settings = replace(PlaygroundSettings(), data=data, classes=4, points=50, dropout=0.1, regularization="l2",
                       reg_rate=0.01)  # fmt: skip
    run = PlaygroundRun(settings)
    x = datasets.features(run.split.x_train[3:4], run.settings.features)[0]
    with run._lock:
        step = gb.glass_step(run.model, x, run.split.y_train[3], run.settings.lr)
        gb.apply(run.model, step)
    applied = [v.numpy().copy() for v in run.model.trainable_variables]
    np.testing.assert_array_equal(applied[0], step.layers[0].new_kernel)
    assert step.layers[-1].units == settings.n_outputs and gb.checked(step)
    assert run.epoch == 0 and run.train(1) == 1  # training goes on from the applied weights
    assert not np.array_equal(run.model.trainable_variables[0].numpy(), applied[0])
