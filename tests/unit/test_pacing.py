"""Training turns: at most one session per core trains at a time, and turns are sized to the refresh interval."""

import threading

import pytest

from dlviz.core import pacing


def test_no_more_sessions_train_at_once_than_there_are_slots():
    inside, most, lock = 0, 0, threading.Lock()
    release = threading.Event()
    started = threading.Barrier(pacing.SLOTS + 3 + 1)

    def session():
        nonlocal inside, most
        started.wait()
        with pacing.turn():
            with lock:
                inside += 1
                most = max(most, inside)
            release.wait(5)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=session) for _ in range(pacing.SLOTS + 3)]
    for t in threads:
        t.start()
    started.wait()
    while pacing.waiting() < 3:  # the extra three queue behind the slots
        threading.Event().wait(0.01)
    release.set()
    for t in threads:
        t.join(5)
    assert most == pacing.SLOTS and inside == 0 and pacing.waiting() == 0


def test_a_turn_is_sized_to_last_about_the_refresh_interval():
    pace = pacing.Pace(seconds=0.1, most=500)
    assert pace.chunk == 1

    def train(n):  # each epoch costs 2 ms
        threading.Event().wait(0.002 * n)
        return n

    pace.step(train)
    assert 20 <= pace.chunk <= 50  # 0.1 s / 2 ms = 50, less whatever the machine adds
    pace.step(lambda n: 0)  # nothing trained (finished): the next turn is not sized from a zero
    assert pace.chunk >= 1


def test_turns_given_back_twice_release_the_slot_once():
    turns = pacing.Turns()
    turns.take()
    turns.take()  # already held: no second slot
    turns.give()
    turns.give()  # the finally after a normal end: nothing more to give
    assert free_slots() == pacing.SLOTS


def test_a_fit_stopped_halfway_gives_its_slot_back():
    from dlviz.digits import engine as digits

    def stop(epoch, logs):
        raise KeyboardInterrupt  # what a rerun's StopException does to the callback

    try:
        digits.train_own("dense", "adam", 3, stop, data=small_sample())
    except KeyboardInterrupt:
        pass
    assert free_slots() == pacing.SLOTS  # the stopped fit kept none


def free_slots() -> int:
    """How many training slots are free now."""
    return pacing._slots.free()


def small_sample():
    import numpy as np

    rng = np.random.default_rng(0)
    return {"x_train": rng.integers(0, 255, (64, 28, 28)), "y_train": rng.integers(0, 10, 64),
            "x_test": rng.integers(0, 255, (32, 28, 28)), "y_test": rng.integers(0, 10, 32)}  # fmt: skip


def test_slots_go_to_waiters_in_the_order_they_asked_not_to_whoever_asks_last():
    slots = pacing.FairSlots(1)
    slots.acquire()
    order = []

    def session(name):
        slots.acquire()
        order.append(name)
        slots.release()

    threads = []
    for name in "abc":
        threads.append(threading.Thread(target=session, args=(name,)))
        threads[-1].start()
        while slots.waiting() < len(threads):  # each queues before the next arrives
            threading.Event().wait(0.005)
    slots.release()
    slots.acquire()  # a newcomer asking just as the slot came free waits behind the three
    order.append("newcomer")
    slots.release()
    for t in threads:
        t.join(5)
    assert order == ["a", "b", "c", "newcomer"] and slots.waiting() == 0


def test_a_session_that_pauses_while_it_waits_for_its_turn_leaves_the_queue():
    """Pause pressed while the loop waits its turn (with a room training, up to two seconds) is answered at
    once: the waiter gives up, the queue forgets it, and the next one gets the slot."""
    slots = pacing.FairSlots(1)
    slots.acquire()
    paused, asked, got = threading.Event(), [], []

    def give_up() -> bool:
        asked.append(1)
        return paused.is_set()

    waiter = threading.Thread(target=lambda: got.append(slots.acquire(give_up)))
    waiter.start()
    while slots.waiting() < 1:
        threading.Event().wait(0.005)
    paused.set()
    waiter.join(5)
    assert got == [False] and asked and slots.waiting() == 0
    slots.release()  # the slot goes back to the free ones: nobody is left to hand it to
    assert slots.free() == 1
    assert slots.acquire(give_up) is True  # free: taken at once, give_up never asked
    slots.release()


def test_a_turn_given_up_trains_nothing():
    trained = []
    pace = pacing.Pace()
    for _ in range(pacing.SLOTS):  # the server's slots are others'
        pacing._slots.acquire()
    try:
        assert pace.step(lambda n: trained.append(n) or n, give_up=lambda: True) == 0
    finally:
        for _ in range(pacing.SLOTS):
            pacing._slots.release()
    assert trained == [] and pacing._slots.waiting() == 0


def test_giving_back_a_slot_nobody_held_is_an_error():
    slots = pacing.FairSlots(1)
    with pytest.raises(ValueError):
        slots.release()


class FakeClock:
    """Time that moves only when training or waiting says so."""

    def __init__(self) -> None:
        self.now, self.waits = 0.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("rate", [10.0, 50.0, 250.0])
def test_a_chosen_pace_trains_that_many_epochs_per_second(rate):
    clock = FakeClock()
    pace = pacing.Pace(rate=rate, clock=clock, sleep=clock.sleep)

    def train(n: int) -> int:
        clock.now += 0.001 * n  # a fast server: 1,000 epochs/s
        return n

    trained = sum(pace.step(train) for _ in range(50))
    assert trained / clock.now == pytest.approx(rate, rel=0.1)
    assert pace.chunk == max(1, round(rate * pacing.REFRESH_SECONDS))


def test_a_pace_the_server_cannot_keep_never_waits_nor_bursts():
    clock = FakeClock()
    pace = pacing.Pace(rate=100.0, clock=clock, sleep=clock.sleep)

    def slow(n: int) -> int:
        clock.now += 0.05 * n  # 20 epochs/s
        return n

    for _ in range(10):
        pace.step(slow)
    assert all(wait == 0 for wait in clock.waits)
    assert pace.chunk == 12  # the chunk stays the pace's: no catching up in one big turn


def test_speed_keys_name_their_rate():
    assert pacing.per_second("max") is None
    assert pacing.per_second("50") == 50.0
    assert set(pacing.SPEEDS) >= {"50", "max"}


def test_a_quick_runs_first_turn_does_not_size_the_next_one():
    """The first turn's one epoch pays one-time costs; a quick run's second turn trains a few epochs anyway,
    and the turns after it are sized from those. A slow first turn keeps its own sizing."""
    clock = FakeClock()
    pace = pacing.Pace(seconds=0.12, clock=clock, sleep=clock.sleep)
    costs = iter([0.1] + [0.003] * 1000)  # the first epoch 100 ms (borrowing, tracing), then 3 ms each

    def train(n: int) -> int:
        clock.now += sum(next(costs) for _ in range(n))
        return n

    assert [pace.step(train) for _ in range(3)] == [1, pacing.PROBE_EPOCHS, 40]
    assert pacing.PROBE_EPOCHS * 0.003 < 0.12  # the probe is a short turn

    slow = pacing.Pace(seconds=0.12, clock=clock, sleep=clock.sleep)
    slow.step(lambda n: (setattr(clock, "now", clock.now + 0.2), n)[1])  # a first epoch of 0.2 s
    assert slow.chunk == 1


EXIT_WHILE_COMPILING = """
import threading
from dlviz.core import pacing
from dlviz.playground.engine import PlaygroundRun, PlaygroundSettings

run = PlaygroundRun(PlaygroundSettings(layers=(5, 3), activations=("relu", "relu")))
ahead = run.trainer.compile_ahead(delay=0)
print("ahead daemon:", ahead is not None and ahead.daemon, flush=True)

def watch():
    print("closing while main runs:", pacing.closing(), flush=True)
    threading.main_thread().join()
    print("closing after main ended:", pacing.closing(), flush=True)

threading.Thread(target=watch).start()
"""


def test_the_process_exits_cleanly_while_a_network_compiles_ahead():
    """Python stops daemon threads at exit; one stopped inside TensorFlow aborts the process. The background
    compiles are no daemons: the process waits for the step under way, and ``closing`` tells them to stop."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", EXIT_WHILE_COMPILING], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ahead daemon: False" in done.stdout
    assert "closing while main runs: False" in done.stdout and "closing after main ended: True" in done.stdout
    assert "terminate called" not in done.stderr
