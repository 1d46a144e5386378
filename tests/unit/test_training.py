import numpy as np
import pytest

from dlviz.core import datasets, models
from dlviz.core.settings import replace
from dlviz.core.training import Trainer, first_non_finite
from dlviz.playground import code as playground_code
from dlviz.playground.engine import PlaygroundRun, PlaygroundSettings, build_model


def xor_inputs(s):
    split = datasets.make(s.data, s.points, s.noise / 100, s.train_pct / 100, s.seed)
    f = lambda p: datasets.features(p, s.features)  # noqa: E731
    return f(split.x_train), split.y_train, f(split.x_val), split.y_val


def test_first_non_finite():
    assert first_non_finite([1.0, 2.0]) is None
    assert first_non_finite([1.0, float("nan"), 3.0]) == 1
    assert first_non_finite([float("inf")]) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"batch": 7, "optimizer": "adam", "lr": 0.01},  # a smaller last batch; optimizer state
        {"regularization": "l2", "reg_rate": 0.01, "optimizer": "momentum"},
    ],
)
@pytest.mark.parametrize("jit_compile", [True, False])  # the last, smaller batch: a step of its own, or in the loop
def test_trainer_matches_keras_fit_exactly_without_shuffling(changes, jit_compile):
    s = replace(PlaygroundSettings(), **changes)
    x, y, xv, yv = xor_inputs(s)
    ours, theirs = build_model(s), build_model(s)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(x) % s.batch or "batch" not in changes  # batch 7: 250 rows leave a last batch of 5
    history = Trainer(ours, x, y, xv, yv, batch_size=s.batch, shuffle=False, jit_compile=jit_compile).run(4)
    fit = theirs.fit(x, y, batch_size=s.batch, epochs=4, shuffle=False, validation_data=(xv, yv), verbose=0)
    np.testing.assert_allclose(history.loss, fit.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(history.val_loss, fit.history["val_loss"], rtol=1e-4)
    np.testing.assert_allclose(history.val_accuracy, fit.history["val_accuracy"], atol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_graph_epoch_starts_quick_then_swaps_to_the_static_one_with_the_same_figures(monkeypatch):
    """Without XLA and with a smaller last batch the first epochs go through the quick epoch (the step traced
    once, the last batch in the loop); the static-shape epoch, traced behind in the compile slot (not a
    training turn), takes over: the losses and weights are exactly those of either alone."""
    import contextlib

    from dlviz.core import pacing

    held = []

    def slot(name):
        @contextlib.contextmanager
        def hold():
            held.append(name)
            yield

        return hold

    monkeypatch.setattr(pacing, "compiling", slot("compiling"))
    monkeypatch.setattr(pacing, "turn", slot("turn"))
    s = replace(PlaygroundSettings(), batch=7, optimizer="adam", lr=0.01, dropout=0.2)
    x, y, xv, yv = xor_inputs(s)
    runs = {}
    for quick in ("swap", "only", "never"):
        model = build_model(s)
        trainer = Trainer(model, x, y, xv, yv, batch_size=s.batch, seed=3, jit_compile=False, quick=quick)
        history = trainer.run(1)
        history.extend(trainer.run(1))
        trainer.wait_behind()
        engine = trainer._own
        size = (s.batch, len(x))
        assert (size in engine.traced) == (quick == "swap")
        assert ((*size, "quick") in engine._fns) == (quick != "never")
        history.extend(trainer.run(3))
        assert trainer._quick_now(engine, *size) == (quick == "only")
        runs[quick] = (history, model.get_weights())
    assert held == ["compiling"]  # the one trace behind, "swap"'s
    for quick in ("only", "never"):
        for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
            np.testing.assert_array_equal(getattr(runs["swap"][0], name), getattr(runs[quick][0], name))
        for a, b in zip(runs["swap"][1], runs[quick][1], strict=True):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="quick is"):
        Trainer(build_model(s), x, y, xv, yv, batch_size=s.batch, quick="sometimes")


@pytest.mark.parametrize("init", [0, 7])
def test_exported_program_starts_from_the_pages_weights_and_data(init):
    s = replace(PlaygroundSettings(), dropout=0.1, layers=(5, 3), activations=("relu", "tanh"), init=init)
    run = PlaygroundRun(s)
    program = playground_code.playground_program(s).split("model.summary()")[0]
    scope: dict = {}
    exec(compile(program, "exported", "exec"), scope)
    for a, b in zip(run.model.get_weights(), scope["model"].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(scope["x_val"], datasets.features(run.split.x_val, s.features))
    np.testing.assert_array_equal(scope["y_train"], run.split.y_train)
    assert ("WEIGHTS_SEED" in program) == bool(init)


def test_default_xor_network_learns_and_shuffles_every_epoch():
    run = PlaygroundRun(PlaygroundSettings())
    assert run.train(300) == 300
    history = run.history
    assert history.loss[-1] < history.loss[0] * 0.3
    assert history.val_accuracy[-1] >= 0.95
    assert run.epoch == 300 and len(run.history) == 300


def test_shuffling_is_seeded():
    s = PlaygroundSettings()
    a, b = PlaygroundRun(s), PlaygroundRun(s)
    a.train(5), b.train(5)
    assert a.history.loss == b.history.loss


@pytest.mark.parametrize("quick", ["swap", "never"])  # the quick graph epoch first, or XLA's from the start
def test_huge_learning_rate_diverges_and_stops(quick):
    # Where a run blows up can differ between the graph and XLA: spirals at 10 give NaN at once through XLA and
    # a loss of 79,451 then a recovery through the graph. A regression at 1 overflows through both.
    s = replace(PlaygroundSettings(), lr=1.0, layers=(8, 8), activations=("relu",) * 2, optimizer="sgd",
                data="plane", features=tuple(datasets.FEATURES))  # fmt: skip
    run = PlaygroundRun(s)
    run.trainer.quick = quick
    run.train(50)
    assert run.diverged and run.finished
    last = len(run.history) - 1  # the diverged epoch is the last one kept, in one of the two losses
    assert last in (first_non_finite(run.history.loss), first_non_finite(run.history.val_loss))
    assert run.epoch < 50
    assert run.train(10) == 0  # a diverged run does not train on


def test_learning_rate_and_batch_size_change_without_reset():
    s = PlaygroundSettings()
    run = PlaygroundRun(s)
    run.train(2)
    run.adopt(replace(s, lr=0.1, batch=25))
    assert run.trainer.learning_rate == pytest.approx(0.1)
    run.train(2)
    assert run.epoch == 4


def test_budget_stops_training():
    run = PlaygroundRun(replace(PlaygroundSettings(), epochs=3))
    assert run.train(10) == 3 and run.finished and run.budget == 3


def test_dropout_is_inactive_when_drawing():
    run = PlaygroundRun(replace(PlaygroundSettings(), dropout=0.5))
    run.train(1)
    a, b = run.snapshot(), run.snapshot()
    np.testing.assert_array_equal(a.output, b.output)


def test_snapshot_shapes_for_network_diagram():
    s = replace(PlaygroundSettings(), features=("x1", "x2", "x1x2"), layers=(3, 5), activations=("relu", "tanh"))
    snap = PlaygroundRun(s).snapshot()
    assert snap.output.shape == (100, 100)
    assert [img.shape[0] for img in snap.node_images] == [3, 3, 5, 1]
    assert all(img.min() >= 0 and img.max() <= 1 for img in snap.node_images)
    assert [w.shape for w in snap.weights] == [(3, 3), (3, 5), (5, 1)]


@pytest.mark.parametrize("data", ["plane", "bump"])
def test_regression_trains_with_mse(data):
    run = PlaygroundRun(replace(PlaygroundSettings(), data=data, lr=0.01))
    run.train(20)
    h = run.history
    assert h.loss[-1] < h.loss[0]
    assert h.accuracy == [0.0] * 20


def test_model_parameter_counts():
    model = models.mlp(2, (4, 2), ("tanh", "tanh"))
    assert len(model.layers) == 3
    assert model.count_params() == (2 * 4 + 4) + (4 * 2 + 2) + (2 + 1)
    model = models.mlp(7, (), ())
    assert model.count_params() == 8
    model = models.mlp(3, (5, 5), ("relu", "relu"), dropout=0.2)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]


def test_sessions_with_the_same_network_share_one_compiled_epoch_and_keep_their_own_weights():
    from dlviz.core import training

    s = replace(PlaygroundSettings(), layers=(3, 3), seed=11)
    alone = PlaygroundRun(replace(s, seed=12))
    alone.trainer._share, alone.trainer._own = None, training._Engine(alone.model, True, "binary", True)  # unshared
    alone.train(10)
    a, b = PlaygroundRun(s), PlaygroundRun(replace(s, seed=12, noise=0))  # same network, other data
    thread = a.trainer.compile_ahead(delay=0)  # as the page would, while the participant looks at it
    if thread is not None:
        thread.join()
    b_solo_start = [w.copy() for w in b.model.get_weights()]
    quick = training.QUICK_EPOCHS  # a run's first epochs go through the graph's epoch, then XLA's
    a.train(quick + 5)
    b.train(quick + 5)
    a.train(5)  # interleaved with b on the same shared engine
    assert a.trainer._key() == b.trainer._key()
    engines = training._ENGINES[a.trainer._key()]
    size = (s.batch, 250)  # XLA's epoch and the graph's, each compiled ahead once, each on its own twin
    assert [sum(what in e.ready for e in engines) for what in (size, ("quick", size))] == [1, 1]
    assert sorted(f.experimental_get_tracing_count() for e in engines for f in e._fns.values()) == [1, 1]
    assert a.trainer.epoch == quick + 10 and b.trainer.epoch == quick + 5
    assert not np.allclose(b.model.get_weights()[0], b_solo_start[0])  # b trained its own weights
    same = replace(s, seed=12)
    c = PlaygroundRun(same)  # a fresh copy of alone's settings, shared: the same numbers as alone
    c.train(10)  # (through the graph's epoch, so to float rounding)
    np.testing.assert_allclose(c.history.loss, alone.history.loss, rtol=1e-5)
    for x, y in zip(c.model.get_weights(), alone.model.get_weights(), strict=True):
        np.testing.assert_allclose(x, y, atol=1e-5)
    np.testing.assert_allclose(c.snapshot().output, alone.snapshot().output, atol=1e-5)


def test_a_twin_is_cloned_holding_the_seed_lock(monkeypatch):
    """Cloning draws layer seeds from Python's global generator: unlocked, a twin compiled ahead in the
    background took draws meant for a seeded build in another session, whose starting weights then differed."""
    import threading

    from dlviz.core import training

    held = []
    clone = training.keras.models.clone_model

    def watched(model):
        free = []
        probe = threading.Thread(target=lambda: free.append(models._SEED_LOCK.acquire(blocking=False)))
        probe.start()
        probe.join()
        if free[0]:
            models._SEED_LOCK.release()
        held.append(not free[0])
        return clone(model)

    monkeypatch.setattr(training.keras.models, "clone_model", watched)
    training._twin(build_model(PlaygroundSettings()))
    assert held == [True]
