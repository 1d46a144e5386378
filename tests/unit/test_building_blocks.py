"""The Building-blocks page's library: activations, gates, XOR, softmax, losses; and its Keras programs."""

import re

import numpy as np
import pytest
from programs import run_program

from dlviz.blocks import code as blocks_code
from dlviz.blocks import engine as bb


@pytest.mark.parametrize("gate, table", [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("NAND", [1, 1, 1, 0])])
def test_the_courses_gate_weights_give_their_truth_tables(gate, table):
    assert bb.truth_table(*bb.GATES[gate]).tolist() == table
    assert bb.which_gate(*bb.GATES[gate]) == gate


def test_hand_built_xor_rounds_to_0_1_1_0():
    hidden, out = bb.xor_by_hand()
    assert np.round(out).tolist() == [0, 1, 1, 0]
    assert np.round(hidden).tolist() == [[0, 1], [1, 1], [1, 1], [1, 0]]  # OR, NAND


def test_softmax_of_the_courses_worked_example():
    np.testing.assert_allclose(bb.softmax([2.33, -1.46, 0.56]), [0.838, 0.019, 0.143], atol=1e-3)
    sharp, flat = bb.softmax([2.33, -1.46, 0.56], 0.1), bb.softmax([2.33, -1.46, 0.56], 10)
    assert sharp[0] > 0.999 and flat.max() - flat.min() < 0.15


def test_categorical_and_sparse_cross_entropy_agree_and_are_minus_log_p():
    probs = bb.softmax([2.33, -1.46, 0.56])
    categorical, sparse = bb.cross_entropies(probs, 2)
    assert categorical == pytest.approx(sparse, rel=1e-5) == pytest.approx(-np.log(probs[2]), rel=1e-4)


def test_binary_cross_entropy_of_the_courses_table():
    assert round(float(bb.binary_cross_entropy(1, [0.1])[0]), 4) == 2.3026
    assert float(bb.binary_cross_entropy(0, [0.1])[0]) == pytest.approx(-np.log(0.9), rel=1e-5)


def test_derivatives():
    assert bb.derivative("sigmoid", [0.0])[0] == pytest.approx(0.25)
    assert bb.derivative("relu", [-2.0, 3.0]).tolist() == [0.0, 1.0]
    assert bb.derivative("tanh", [0.0])[0] == pytest.approx(1.0)
    assert bb.derivative("step", [-1.0, 1.0]).tolist() == [0.0, 0.0]
    assert bb.derivative("leaky_relu", [-1.0])[0] == pytest.approx(0.2)
    z = np.linspace(-6, 6, 121)
    assert bb.derivative("sigmoid", z).max() == pytest.approx(0.25, abs=1e-4)
    assert bb.saturated("sigmoid", np.array([-6.0, 0.0, 6.0])).tolist() == [True, False, True]


def test_step_is_the_perceptrons():
    assert bb.activate("step", [-0.5, 0.0, 0.5]).tolist() == [0.0, 1.0, 1.0]


def test_a_neuron():
    z, out = bb.neuron([1.0, 0.5], [0.8, -0.4], 0.1, "sigmoid")
    assert z == pytest.approx(0.7) and out == pytest.approx(1 / (1 + np.exp(-0.7)), rel=1e-6)
    assert bb.neuron([2.0], [-1.0], 0.5, "relu") == (pytest.approx(-1.5), 0.0)


def test_vanishing_gradients_fall_with_depth_for_sigmoid_and_not_for_relu():
    sigmoid, relu = bb.gradient_by_layer("sigmoid", 10), bb.gradient_by_layer("relu", 10)
    assert np.all(np.diff(sigmoid) > 0)  # every step towards the input loses gradient
    assert sigmoid[0] / sigmoid[-1] < 1e-4
    assert 0.2 < relu[0] / relu[-1] < 5


def test_xor_network_is_solved_with_the_default_seed():
    fit = bb.train_xor(0)
    assert fit.solved and fit.losses[-1] < fit.losses[0] / 10
    assert fit.hidden_weights.shape == (2, 2) and fit.output_weights.shape == (2, 1)


@pytest.mark.parametrize("name", list(bb.REGRESSION_LOSSES))
def test_regression_losses_against_the_error(name):
    e = np.array([-3.0, 0.0, 0.5, 3.0])
    expected = {"mae": np.abs(e), "mse": e**2, "huber": np.where(np.abs(e) <= 1, 0.5 * e**2, np.abs(e) - 0.5)}[name]
    np.testing.assert_allclose(bb.loss_of_error(name, e), expected, rtol=1e-6)


def test_an_outlier_pulls_the_mse_line_and_not_the_mae_line():
    x, y = bb.outlier_data(7.0, 20.0)
    w_mse, _ = bb.best_line("mse", x, y)
    w_mae, b_mae = bb.best_line("mae", x, y)
    w_hub, _ = bb.best_line("huber", x, y)
    assert w_mse == pytest.approx(np.polyfit(x, y, 1)[0], abs=0.01)
    assert abs(w_mae - 1.0) < 0.1 and abs(b_mae - 1.1) < 0.3  # the clean points' line y ≈ x + 1
    assert abs(w_mae - 1.0) < abs(w_hub - 1.0) < abs(w_mse - 1.0)


def test_settings_keep_the_true_class_among_the_classes():
    from dlviz.core.settings import from_query

    s, problems = from_query(bb.BlocksSettings, {"logits": "1,2,3", "true_class": "7"})
    assert s.true_class == 0 and not problems
    s, problems = from_query(bb.BlocksSettings, {"logits": "1,nan,3", "gate_w": "1,2"})
    assert s.logits == (2.33, -1.46, 0.56) and len(problems) == 2


def _run(program: str, tmp_path) -> str:
    return run_program(program, tmp_path)


def test_block_programs_run_and_agree_with_the_page(tmp_path):
    out = _run(blocks_code.neuron_program([1.0, 0.5], [0.8, -0.4], 0.1, "sigmoid"), tmp_path)
    assert float(re.search(r"output = (\S+)", out).group(1)) == pytest.approx(
        bb.neuron([1, 0.5], [0.8, -0.4], 0.1, "sigmoid")[1], rel=1e-5
    )
    step = _run(blocks_code.neuron_program([1.0], [-2.0], 0.5, "step"), tmp_path)
    assert float(re.search(r"output = (\S+)", step).group(1)) == 0.0
    gate = _run(blocks_code.gate_program(*bb.GATES["NAND"]), tmp_path)
    assert [int(v) for v in re.findall(r"rounds to (\d)", gate)] == [1, 1, 1, 0]
    soft = _run(blocks_code.softmax_program((2.33, -1.46, 0.56), 1.0, 0), tmp_path)
    values = [float(v) for v in re.findall(r"cross-entropy: (\S+)", soft)]
    assert values == pytest.approx([bb.cross_entropies(bb.softmax([2.33, -1.46, 0.56]), 0)[0]] * 2, rel=1e-5)
    losses = _run(blocks_code.losses_program([-3.0, 0.5], 0.1), tmp_path)
    assert "if y = 1: 2.302" in losses


def test_xor_and_vanishing_programs_run(tmp_path):
    # 150 of the page's 1000 epochs: the same program and training, a seventh of the time
    out = _run(blocks_code.xor_program(0, 150, bb.XOR_LEARNING_RATE), tmp_path)
    outputs = [float(v) for v in re.search(r"outputs: \[([^\]]+)\]", out).group(1).split()]
    np.testing.assert_allclose(outputs, bb.train_xor(0, epochs=150).outputs, atol=0.01)
    vanish = _run(blocks_code.vanishing_program(10), tmp_path)
    ratios = dict(re.findall(r"(\w+) first layer / last layer: (\S+)", vanish))
    expected = {name: g[0] / g[-1] for name in ("sigmoid", "relu") for g in [bb.gradient_by_layer(name, 10)]}
    assert float(ratios["sigmoid"]) == pytest.approx(expected["sigmoid"], rel=1e-3)
    assert float(ratios["relu"]) == pytest.approx(expected["relu"], rel=1e-3)


def test_the_output_planes_colour_range_is_the_activations_own_or_the_planes():
    plane = np.array([[-3.0, 2.0]])
    assert bb.output_range("sigmoid", plane) == (0.0, 1.0)
    assert bb.output_range("tanh", plane) == (-1.0, 1.0)
    assert bb.output_range("linear", plane) == (-3.0, 2.0)
    assert bb.output_range("relu", np.zeros((2, 2))) == (0.0, 1.0)  # a flat plane still gets a range


def test_gate_table_rounds_to_the_gate_its_weights_compute():
    table = bb.gate_table(*bb.GATES["AND"])
    assert table["rounded"].tolist() == [0, 0, 0, 1]
    assert table.columns[2] == "z = b + w1·x1 + w2·x2"


def test_xor_table_and_band_are_xor():
    assert bb.xor_table()["rounded"].tolist() == [0, 1, 1, 0]
    axis = np.array([0.0, 1.0])
    np.testing.assert_array_equal(np.round(bb.xor_band(axis)), [[0, 1], [1, 0]])


def test_bce_table_charges_a_confident_wrong_answer_most():
    table = bb.bce_table()
    assert table["loss if y = 1"].iloc[0] == 2.303 and table["loss if y = 0"].iloc[-1] == 4.605


def test_vanishing_sentence_quotes_the_ratio_of_first_to_last_layer():
    text = bb.vanishing_sentence({"sigmoid": np.array([1e-6, 1e-3, 1.0]), "relu": np.array([0.5, 1.0, 1.0])})
    assert "3 sigmoid layers" in text and "**1.0e-06**" in text and "**0.5**" in text
