"""The live-run contract and its restart rule, and the runs that follow it."""

from dataclasses import dataclass, field

from dlviz.core import live
from dlviz.core.settings import replace
from dlviz.overfitting.engine import OverfitRace, OverfittingSettings
from dlviz.playground.engine import PlaygroundRun, PlaygroundSettings


@dataclass(frozen=True)
class Knobs:
    data: str = "xor"
    lr: float = 0.1

    def model_key(self):
        return (self.data,)


@dataclass
class Counter:
    settings: Knobs
    epoch: int = 0
    budget: int = 3
    diverged: bool = False
    history: list = field(default_factory=list)
    adopted: list = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.diverged or self.epoch >= self.budget

    def train(self, epochs: int) -> int:
        n = max(0, min(epochs, self.budget - self.epoch))
        self.epoch += n
        return n

    def adopt(self, settings) -> None:
        self.adopted.append(settings)
        self.settings = settings


def test_a_new_run_when_there_is_none_on_reset_or_when_the_model_changes():
    run, new = live.current_run(None, Knobs(), Counter)
    assert new and isinstance(run, live.LiveRun)
    run.train(2)
    same, new = live.current_run(run, Knobs(lr=0.3), Counter)
    assert same is run and not new and run.adopted == [Knobs(lr=0.3)] and run.epoch == 2  # adopted mid-run
    other, new = live.current_run(run, Knobs(data="spiral"), Counter)
    assert new and other is not run and other.epoch == 0
    again, new = live.current_run(other, Knobs(data="spiral"), Counter, reset=True)
    assert new and again is not other
    kept, new = live.current_run(again, Knobs(data="circle"), Counter, key=lambda s: s.lr)
    assert kept is again and not new  # a page's own restart rule


def test_the_pages_runs_follow_the_contract():
    pg = PlaygroundRun(replace(PlaygroundSettings(), epochs=3))
    race = OverfitRace(replace(OverfittingSettings(), epochs=3))
    for run in (pg, race):
        assert isinstance(run, live.LiveRun)
        assert run.train(10) == 3 and run.epoch == 3 == run.budget and run.finished and not run.diverged
        assert run.train(1) == 0 and len(run.history) == 3


def test_step_trains_one_epoch_in_a_training_turn():
    import threading

    from dlviz.core import pacing

    run = Counter(Knobs())
    held = [pacing.turn() for _ in range(pacing.SLOTS)]
    for turn in held:  # every slot taken, as when the room is training
        turn.__enter__()
    stepper = threading.Thread(target=live.step, args=(run,))
    stepper.start()
    try:
        for _ in range(500):  # until the step is queued for a slot
            if pacing.waiting():
                break
            threading.Event().wait(0.01)
        assert pacing.waiting() == 1 and run.epoch == 0
    finally:
        for turn in held:
            turn.__exit__(None, None, None)
    stepper.join(10)
    assert run.epoch == 1 and not pacing.waiting()
    run.epoch = run.budget
    assert live.step(run) == 0  # a finished run does not train, nor wait for a turn
