"""The live-run contract: anything a page trains while the room watches, epoch by epoch.

A page builds a run from its settings and keeps it in the session; Play, Pause, Step and Reset
(``dlviz.ui.LiveControls``) drive it through this contract alone, so every live page behaves the same:

- a change to what the model or its data depend on (``key(settings)``) starts a new run;
- any other change is adopted by the run as it stands (a new learning rate mid-run, as in
  TensorFlow Playground; a larger epoch budget);
- Step trains one epoch, Play trains in paced turns until the run is finished (diverged or at its budget).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from dlviz.core import pacing


@runtime_checkable
class LiveRun(Protocol):
    settings: Any

    @property
    def epoch(self) -> int:
        """Epochs trained so far."""

    @property
    def budget(self) -> int:
        """The epoch this run stops at."""

    @property
    def diverged(self) -> bool:
        """The loss is no longer a finite number: training stopped for good."""

    @property
    def finished(self) -> bool:
        """Nothing more to train: diverged, or at its budget (or stopped early)."""

    @property
    def history(self) -> Any:
        """Per-epoch losses and metrics (``dlviz.core.training.History``)."""

    def train(self, epochs: int) -> int:
        """Train up to ``epochs`` more epochs; returns how many it trained."""

    def adopt(self, settings: Any) -> None:
        """Take new settings that do not restart the run."""


R = TypeVar("R", bound=LiveRun)


def model_key(settings: Any) -> Any:
    """The default restart rule: what the settings' ``model_key()`` says the model and its data depend on."""
    return settings.model_key()


def current_run(run: R | None, settings: Any, make: Callable[[Any], R], *, key: Callable[[Any], Any] = model_key,
                reset: bool = False) -> tuple[R, bool]:  # fmt: skip
    """The run to show for ``settings``, and whether it is a new one.

    A new run when there is none, when Reset was pressed, or when ``key`` differs from the run's own settings;
    otherwise the run adopts the settings and goes on.
    """
    if reset or run is None or key(run.settings) != key(settings):
        return make(settings), True
    run.adopt(settings)
    return run, False


def step(run: LiveRun) -> int:
    """Step: one epoch, in one of the server's training turns as Play's epochs are.

    A room pressing Step together ("everyone, press Step") would otherwise train at once: every session that
    finds the shared compiled epoch busy builds and compiles one more (``training._borrow``), seconds of CPU
    each, most of it holding Python's lock, while the rest of the room waits for the server."""
    if run.finished:
        return 0
    with pacing.turn():
        return run.train(1)
