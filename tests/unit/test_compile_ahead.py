"""A new network's epoch and picture are compiled in the background while the participant looks at it."""

import numpy as np

from dlviz.core import training
from dlviz.core.settings import replace
from dlviz.playground.engine import PlaygroundRun, PlaygroundSettings


def unshared(run: PlaygroundRun) -> PlaygroundRun:
    run.trainer._share, run.trainer._own = None, training._Engine(run.model, True, run.settings.metric, True)
    return run


def engines(run: PlaygroundRun) -> list:
    return training._ENGINES.get(run.trainer._key(), [])


def test_the_epoch_compiled_ahead_trains_exactly_as_one_path_alone():
    s = replace(PlaygroundSettings(), layers=(7, 2), activations=("relu", "tanh"), reg_rate=0.001, seed=21)
    ahead = PlaygroundRun(s)
    thread = ahead.trainer.compile_ahead(delay=0)  # the page's own call may have started it already
    if thread is not None:
        thread.join()
    assert any((s.batch, 250) in e.ready for e in engines(ahead))
    start = [w.copy() for w in ahead.model.get_weights()]
    for a, b in zip(start, PlaygroundRun(s).model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # compiling ahead left the participant's network alone
    epochs = training.QUICK_EPOCHS + 6  # through the graph's epoch, then XLA's
    ahead.train(epochs)
    size = (s.batch, 250)  # Play found both epochs compiled ahead: neither compiled twice
    assert [sum(what in e.ready for e in engines(ahead)) for what in (size, ("quick", size))] == [1, 1]
    later = PlaygroundRun(s)  # the same link opened again: the same figures whatever was compiled when
    later.train(epochs)
    assert ahead.history.loss == later.history.loss and ahead.history.val_accuracy == later.history.val_accuracy
    for a, b in zip(ahead.model.get_weights(), later.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    alone = unshared(PlaygroundRun(s))  # XLA's epoch from the first
    alone.train(epochs)
    np.testing.assert_allclose(ahead.history.loss, alone.history.loss, rtol=1e-5)  # float rounding apart
    for a, b in zip(ahead.model.get_weights(), alone.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_play_while_it_compiles_trains_at_once_through_the_graph_then_waits_for_that_compile():
    s = replace(PlaygroundSettings(), layers=(6, 5), activations=("tanh", "relu"), seed=22)
    run = PlaygroundRun(s)
    thread = run.trainer.compile_ahead(delay=0) or training.threading.Thread(target=lambda: None)
    run.train(2)  # while the thread compiles XLA's epoch: at once, through the graph's, on a twin of its own
    size = (s.batch, 250)
    assert run.epoch == 2 and any(("quick", size) in e.ready for e in engines(run))
    run.train(training.QUICK_EPOCHS)  # past the graph's epochs: waits for the compile rather than compiling again
    thread.join()
    pool = engines(run)
    assert sum(size in e.ready for e in pool) == 1  # compiled once: by the thread, or by Play if it came first
    compiled = next(e for e in pool if size in e.ready)
    assert compiled._fns[size].experimental_get_tracing_count() == 1
    alone = unshared(PlaygroundRun(s))  # XLA's epoch from the first
    alone.train(run.epoch)
    np.testing.assert_allclose(run.history.loss, alone.history.loss, rtol=1e-5)  # float rounding apart
    np.testing.assert_allclose(run.history.val_accuracy, alone.history.val_accuracy, atol=1e-6)
    for a, b in zip(run.model.get_weights(), alone.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_network_with_dropout_trains_through_xla_alone():
    s = replace(PlaygroundSettings(), layers=(6,), activations=("tanh",), dropout=0.2, seed=25)
    run = PlaygroundRun(s)
    run.train(2)
    assert not any(training._has_quick(e) for e in engines(run)) and any(e.ready for e in engines(run))


def test_a_network_left_at_once_is_never_compiled_ahead():
    s = replace(PlaygroundSettings(), layers=(8, 1), activations=("sigmoid", "tanh"), seed=23)
    run = PlaygroundRun(s)
    key = run.trainer._key()
    thread = next(t for t in training.threading.enumerate() if t.name == "dlviz-compile-ahead")
    del run  # the participant clicked on: the run is dropped before the delay is over
    thread.join()
    assert not training._ENGINES.get(key)


def test_a_new_network_is_drawn_eagerly_until_its_picture_is_compiled_and_both_agree():
    s = replace(PlaygroundSettings(), layers=(5, 4), activations=("tanh", "sigmoid"), seed=24)
    run = PlaygroundRun(s)
    run.train(3)
    eager = run.snapshot()
    probe_key = run._probe._share
    deadline = training.threading.Event()
    for _ in range(200):  # the background compile of the picture, bounded
        if any("probe" in e.ready for e in training._ENGINES.get(probe_key, [])):
            break
        deadline.wait(0.05)
    compiled = run.snapshot()
    assert any("probe" in e.ready for e in training._ENGINES.get(probe_key, []))
    np.testing.assert_allclose(compiled.output, eager.output, atol=1e-5)
    for a, b in zip(compiled.node_images, eager.node_images, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_the_server_warms_the_default_network_so_the_first_play_finds_it_compiled():
    from dlviz.playground import engine

    engine.warm()
    run = PlaygroundRun(PlaygroundSettings())
    assert any((10, 250) in e.ready for e in engines(run))  # XLA's epoch
    assert any(("quick", (10, 250)) in e.ready for e in engines(run))  # and the graph's: a run's first epochs
    assert any("probe" in e.ready for e in training._ENGINES.get(run._probe._share, []))
    before = len(engines(run))
    run.train(training.QUICK_EPOCHS + 1)
    assert run.epoch == training.QUICK_EPOCHS + 1 and len(engines(run)) == before  # trained on the warmed engine


def test_a_run_gives_the_same_figures_whether_or_not_the_server_had_compiled_its_network():
    s = replace(PlaygroundSettings(), layers=(3, 3), activations=("tanh", "sigmoid"), seed=26)
    first = PlaygroundRun(s)  # a network new to the server: nothing compiled when Play is pressed
    epochs = training.QUICK_EPOCHS + 10  # the graph's epochs, then XLA's (waited for if still compiling)
    first.train(epochs)
    again = PlaygroundRun(s)  # Reset, or the same link in another tab: both compiled by now
    again.train(epochs)
    assert first.history.__dict__ == again.history.__dict__  # bit for bit
    for a, b in zip(first.model.get_weights(), again.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
