"""Live training shared fairly by every session of one server process.

Streamlit runs each participant's script in a thread of one process. Left
alone, every Play loop trains and redraws as fast as it can; with a room
pressing Play in the same minute the cores are shared by whoever happens to
get them, and the redraws alone can need more CPU than the machine has. So:

- at most ``SLOTS`` sessions train at the same moment (one per core); the
  others wait for their turn, in the order they asked;
- a turn trains for about ``REFRESH_SECONDS`` and the session redraws after
  it, outside its turn. Alone, a session gets a turn whenever it asks; with
  thirty sessions each gets a turn, and a redraw, about every two seconds.

docs/benchmarks.md has the measurements behind these numbers.
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator

# One core is left for everything else: answering clicks, drawing charts, reading digits.
SLOTS = int(os.environ.get("DLVIZ_TRAINING_SLOTS", 0)) or max(1, (os.cpu_count() or 1) - 1)
PROBE_EPOCHS = 8  # a quick run's second turn, at least (``Pace.step``)
REFRESH_SECONDS = 0.12  # training time per turn, and so between two redraws when the server is quiet
GIVE_UP_SECONDS = 0.05  # how often a session waiting for its turn asks whether it still wants it


class FairSlots:
    """Slots handed out strictly in the order they were asked for.

    ``threading.Semaphore`` promises no order: a slot just released can be taken by a newcomer (the thread
    that released it, back from its redraw) before the waiter woken for it runs, and that waiter then queues
    again at the back. Here ``release`` hands the slot to the longest waiter directly (tests/test_pacing.py
    has the case a semaphore gets wrong). The load test's figures were the same either way at 30 and 60
    sessions; this makes the module's promise, turns in the order asked, true by construction.
    """

    def __init__(self, slots: int) -> None:
        self._lock = threading.Lock()
        self._slots = self._free = slots
        self._queue: collections.deque[threading.Event] = collections.deque()

    def acquire(self, give_up: Callable[[], bool] | None = None) -> bool:
        """Wait for a slot, in turn; with ``give_up``, asked every ``GIVE_UP_SECONDS`` while waiting, leave the
        queue when it says so (a participant paused meanwhile) and return False."""
        with self._lock:
            if self._free and not self._queue:
                self._free -= 1
                return True
            handed = threading.Event()
            self._queue.append(handed)
        while not handed.wait(None if give_up is None else GIVE_UP_SECONDS):  # set by release(): the slot is ours
            if give_up():
                with self._lock:
                    if handed.is_set():
                        return True  # handed over as it gave up: the slot is ours after all
                    self._queue.remove(handed)
                return False
        return True

    def release(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().set()
            elif self._free < self._slots:
                self._free += 1
            else:
                raise ValueError("released a training slot nobody held")  # as threading.BoundedSemaphore

    def waiting(self) -> int:
        return len(self._queue)

    def free(self) -> int:
        """Slots nobody holds."""
        return self._free


_slots = FairSlots(SLOTS)


_compiles = threading.Semaphore(1)


def closing() -> bool:
    """Whether the process is on its way out (its main thread has ended): background work stops at its next
    step. That work runs in threads that are not daemons, because Python stopping a daemon thread while it is
    inside TensorFlow aborts the process ("terminate called ... FATAL: exception not rethrown"), so the
    process waits for the step under way, and only for it."""
    return not threading.main_thread().is_alive()


@contextlib.contextmanager
def compiling() -> Iterator[None]:
    """Hold the server's one slot for compiling ahead (``dlviz.core.training``'s ``compile_ahead`` and
    ``trace_behind``): one at a time, beside the training turns rather than in one, so a participant's first
    epochs (the graph's, traced in their own turn) do not wait for another network's compile."""
    with _compiles:
        yield


@contextlib.contextmanager
def turn(give_up: Callable[[], bool] | None = None) -> Iterator[bool]:
    """Hold one of the server's training slots; gives False, holding none, when ``give_up`` said so first."""
    if not _slots.acquire(give_up):
        yield False
        return
    try:
        yield True
    finally:
        _slots.release()


class Turns:
    """Turns taken and given back by a training loop that is not ours (Keras's ``fit``), one epoch each.

    Call ``take()`` as an epoch begins and ``give()`` as it ends; ``give()`` again in a ``finally``, so a
    run stopped halfway (a click reruns the script) never keeps its slot.
    """

    def __init__(self) -> None:
        self._held = False

    def take(self) -> None:
        if not self._held:
            _slots.acquire()
            self._held = True

    def give(self) -> None:
        if self._held:
            self._held = False
            _slots.release()


def waiting() -> int:
    """How many sessions are waiting for a slot right now."""
    return _slots.waiting()


# The paces a participant can pick for live training: epochs per second, or "max" for as fast as it goes.
SPEEDS = {"10": "10 epochs/s", "25": "25 epochs/s", "50": "50 epochs/s", "100": "100 epochs/s",
          "250": "250 epochs/s", "max": "As fast as it goes"}  # fmt: skip


def per_second(speed: str) -> float | None:
    """Epochs per second for a ``SPEEDS`` key, None for as fast as it goes."""
    return None if speed == "max" else float(speed)


class Pace:
    """Trains in turns sized so that each lasts about ``seconds``, at most ``rate`` epochs per second.

    ``rate`` None trains as fast as the server allows. With a rate, each turn trains the epochs due since
    the last one (``rate * seconds``, at least one) and ``step`` then waits out the rest of that time, so a
    room can watch a boundary form at TensorFlow Playground's pace (about 50 epochs/s) however fast this
    server is. The wait happens outside the turn: other sessions train meanwhile.
    """

    def __init__(self, seconds: float = REFRESH_SECONDS, most: int = 500, rate: float | None = None,
                 clock: Callable[[], float] = time.perf_counter, sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        self.seconds, self.most, self.rate, self.chunk = seconds, most, rate, 1
        self._clock, self._sleep, self._due = clock, sleep, None
        self._turns = 0
        if rate is not None:
            self.chunk = max(1, min(most, round(rate * seconds)))

    def step(self, train: Callable[[int], int], give_up: Callable[[], bool] | None = None) -> int:
        """One turn: ``train(n)`` trains up to n epochs and returns how many it did; 0, having trained nothing,
        when ``give_up`` says so while the turn is waited for (``FairSlots.acquire``).

        A network's first epoch traces and compiles it inside the turn too: compiling several at once
        (measured) slows every session on the server far more than waiting does.
        """
        if self.rate is not None and self._due is not None:
            self._sleep(max(0.0, self._due - self._clock()))
        with turn(give_up) if give_up is not None else turn() as got:
            if got is False:
                return 0
            started = self._clock()
            trained = train(self.chunk)
            per_epoch = (self._clock() - started) / max(trained, 1)
        if self.rate is not None:
            # The next turn is due when these epochs have had their time at the chosen pace. A slow server
            # (or a first epoch that compiled) is not caught up later: the pace never bursts.
            self._due = max(started + trained / self.rate, self._clock())
            return trained
        # With others waiting, longer turns: a redraw costs as much as ~40 ms of training, and each session
        # gets its turn no more often, however short the turns are.
        seconds = self.seconds * min(4.0, 1.0 + waiting() / (2 * SLOTS))
        chunk = int(seconds / max(per_epoch, 1e-6))
        self._turns += 1
        if self._turns == 1 and trained == 1 and per_epoch <= self.seconds:
            # A run's first turn pays one-time costs (borrowing the compiled epoch, a trace): its one epoch says
            # little of the next ones'. A quick one tries a few before the turns are sized from them: XOR's 95%
            # at epoch 60 came a turn sooner (turns of 1, 8, 32, 38 epochs instead of 1, 1, 21, 35, 51).
            chunk = max(chunk, PROBE_EPOCHS)
        self.chunk = max(1, min(self.most, chunk))
        return trained
