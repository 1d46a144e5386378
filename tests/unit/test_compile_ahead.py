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
    ahead.train(6)
    alone = unshared(PlaygroundRun(s))
    alone.train(6)
    assert ahead.history.loss == alone.history.loss and ahead.history.val_accuracy == alone.history.val_accuracy
    for a, b in zip(ahead.model.get_weights(), alone.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(engines(ahead)) == 1  # Play found the compiled epoch: nothing compiled twice


def test_play_while_it_compiles_waits_for_that_compile_instead_of_starting_another():
    s = replace(PlaygroundSettings(), layers=(6, 5), activations=("tanh", "relu"), seed=22)
    run = PlaygroundRun(s)
    thread = run.trainer.compile_ahead(delay=0) or training.threading.Thread(target=lambda: None)
    run.train(2)  # while the thread may still be compiling
    thread.join()
    assert len(engines(run)) == 1 and run.epoch == 2


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
    assert any((10, 250) in e.ready for e in engines(run))
    assert any("probe" in e.ready for e in training._ENGINES.get(run._probe._share, []))
    run.train(1)
    assert run.epoch == 1 and len(engines(run)) == 1  # trained on the warmed engine, no second compile
