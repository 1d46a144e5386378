import math

import pytest

from dlviz.core import settings as query
from dlviz.playground.engine import MAX_EPOCHS, PlaygroundSettings


def test_defaults_make_an_empty_query():
    assert query.to_query(PlaygroundSettings()) == {}


def test_round_trip_of_every_kind_of_field():
    s = PlaygroundSettings(
        data="spiral", points=300, noise=25, seed=42, features=("x1", "x2", "sinx1"),
        layers=(8, 8, 3), activations=("relu", "relu", "tanh"), regularization="l2",
        reg_rate=0.003, dropout=0.25, optimizer="adam", lr=0.001, batch=32, epochs=0, discrete=True,
    )  # fmt: skip
    q = query.to_query(s)
    assert q["layers"] == "8,8,3" and q["lr"] == "0.001" and q["discrete"] == "1"
    back, problems = query.from_query(PlaygroundSettings, q)
    assert problems == [] and back == s


@pytest.mark.parametrize(
    "params, field",
    [
        ({"lr": "abc"}, "lr"),
        ({"lr": "nan"}, "lr"),
        ({"lr": "inf"}, "lr"),
        ({"lr": "1e308"}, "lr"),
        ({"lr": "-1"}, "lr"),
        ({"layers": "999,-1"}, "layers"),
        ({"layers": "4,4,4,4,4,4,4"}, "layers"),
        ({"layers": "2.5"}, "layers"),
        ({"points": "1e9"}, "points"),
        ({"points": "-5"}, "points"),
        ({"data": "<script>alert(1)</script>"}, "data"),
        ({"features": "x1,x9"}, "features"),
        ({"features": ""}, "features"),
        ({"discrete": "maybe"}, "discrete"),
        ({"noise": "x" * 10_000}, "noise"),
        ({"seed": "١٢"}, None),  # arabic-indic digits: float() reads them, and 12 is a fine seed
    ],
)
def test_hostile_values_fall_back_to_defaults(params, field):
    s, problems = query.from_query(PlaygroundSettings, params)
    if field is None:
        assert problems == []
        return
    assert getattr(s, field) == getattr(PlaygroundSettings(), field)
    assert len(problems) == 1 and problems[0].startswith(field + "=")
    assert len(problems[0]) < 200


def test_unknown_keys_are_ignored_and_repeated_keys_take_the_last():
    s, problems = query.from_query(PlaygroundSettings, {"evil": "1", "batch": ["3", "7"]})
    assert problems == [] and s.batch == 7


def test_activations_are_repaired_to_match_layers():
    s, _ = query.from_query(PlaygroundSettings, {"layers": "3,3,3", "activations": "relu"})
    assert s.activations == ("relu", "relu", "relu")
    s, _ = query.from_query(PlaygroundSettings, {"layers": "3", "activations": "relu,tanh,tanh"})
    assert s.activations == ("relu",)
    s, _ = query.from_query(PlaygroundSettings, {"layers": "", "activations": "relu"})
    assert s.layers == () and s.activations == ()


def test_model_key_ignores_learning_rate_batch_and_budget():
    a = PlaygroundSettings()
    assert query.replace(a, lr=1.0, batch=3, epochs=5, discrete=True).model_key() == a.model_key()
    assert query.replace(a, layers=(3,), activations=("tanh",)).model_key() != a.model_key()
    assert query.replace(a, noise=10).model_key() != a.model_key()


def test_unlimited_budget_is_capped():
    assert PlaygroundSettings(epochs=0).budget == MAX_EPOCHS
    assert not math.isinf(PlaygroundSettings(epochs=0).budget)


def test_new_weights_are_their_own_seed_and_start_a_new_run():
    from dlviz.playground.engine import WEIGHT_DRAWS, PlaygroundSettings

    base = PlaygroundSettings(seed=5)
    assert base.weights_seed == 5  # until New weights is pressed, the data's seed as before
    drawn = query.replace(base, init=2)
    assert drawn.weights_seed == 5 + 2 * WEIGHT_DRAWS and drawn.model_key() != base.model_key()
    assert drawn.network_key() == base.network_key()  # the compiled network is the same one
