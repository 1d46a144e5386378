"""The one Play / Pause / Step / Reset controller for every page that trains live (``dlviz.core.live``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dlviz.core import live, pacing
from dlviz.ui import patches, widgets


def on_click(state_key: str, value: Any, *, whole: bool = False) -> Callable[[], None]:
    """A button's callback that sets ``state_key`` to ``value``; with ``whole``, the page then reruns whole even
    when the button sits in a fragment (a callback's ``st.rerun()`` widens the rerun to the app)."""

    def set_state() -> None:
        st.session_state[state_key] = value
        if whole:
            st.rerun()

    return set_state


def play_controls(prefix: str, *, running: bool, finished: bool, step_help: str = "Train one epoch.",
                  new_weights: str | None = None, fragment: str | None = None, play_whole: bool = True):  # fmt: skip
    """Play/Pause, Step and Reset for a training run, with a status line beside them (returned, empty).

    The buttons set ``prefix.running``, ``prefix.step`` and ``prefix.reset`` in the session; their keys are
    ``prefix.play``, ``prefix.stepper`` and ``prefix.resetter``. With ``new_weights`` (the session key of the
    page's weights-seed setting) a fourth button, New weights, starts again from other starting weights; Reset
    then says that it keeps them. Drawn in ``fragment`` (its key: ``LiveControls.board``), Step reruns the
    fragment alone, named (so that a rerun sent without the fragment's id does the same); Play and Pause rerun
    the whole page (which starts or stops the training loop) unless ``play_whole`` is False (the loop then runs
    in the fragment: ``LiveControls``); Reset and New weights rerun the whole page.
    """

    def step_clicked() -> None:
        st.session_state[f"{prefix}.step"] = True
        if fragment and not patches.in_fragment_run():  # a click in the browser reruns its fragment already
            st.rerun(fragment)

    widths = [1, 1, 1, 1.7, 3.3] if new_weights else [1, 1, 1, 4]
    play_col, step_col, reset_col, *more, status_col = st.columns(widths, vertical_alignment="center")
    play_col.button("Pause" if running else "Play", icon=":material/pause:" if running else ":material/play_arrow:",
                    type="primary", on_click=on_click(f"{prefix}.running", not running, whole=play_whole), disabled=finished,
                    width="stretch", key=f"{prefix}.play")  # fmt: skip
    step_col.button("Step", icon=":material/skip_next:", on_click=step_clicked,
                    disabled=running or finished, width="stretch", help=step_help, key=f"{prefix}.stepper")  # fmt: skip
    reset_col.button("Reset", icon=":material/replay:", on_click=on_click(f"{prefix}.reset", True, whole=True),
                     width="stretch",
                     key=f"{prefix}.resetter",
                     help="Start again from the same starting weights: the same run again, epoch by epoch."
                     if new_weights else None)  # fmt: skip
    if new_weights:

        def draw_new() -> None:
            st.session_state[new_weights] = (int(st.session_state.get(new_weights, 0)) + 1) % 100_000
            st.session_state[f"{prefix}.reset"] = True
            st.rerun()

        more[0].button("New weights", icon=":material/casino:", on_click=draw_new, width="stretch",
                       key=f"{prefix}.reweigh", help="Start again from other random starting weights, on the same data.")  # fmt: skip
    status = widgets.slot(status_col, redrawn=running)
    if new_weights:
        st.caption("Reset: the same starting weights again. New weights: other ones, the same data.")
    return status


class LiveControls:
    """The one Play / Pause / Step / Reset controller for every page that trains live (``dlviz.core.live``).

    Build it with the page's settings and a factory; it keeps the run in ``prefix.run``, starts a new run
    when ``key(settings)`` changes or Reset is pressed, lets the run adopt other changes, and trains one
    epoch on Step. ``controls()`` draws the buttons with a status line and a notice below them; ``play(draw)``
    draws the run (``draw(cycle)``, where ``cycle`` keeps element keys unique per frame), then while playing
    trains in paced turns and redraws after each, and ends with a rerun that shows the buttons paused.

    The page draws the controls and what shows the run through ``board(body)``, a fragment: Step, Play, Pause
    and a widget inside it rerun only the body and not the sidebar and the rest of the page (docs/benchmarks.md:
    a Step on screen 30-50 ms sooner on the Playground, Play's first epoch 0.26-0.30 s instead of 0.37-0.49 s);
    Reset and New weights rerun the whole page. Streamlit lets a click inside a fragment interrupt no run, so
    the training loop asks between two turns, and while it waits for one, whether one is waiting
    (``patches.click_waiting``) and then ends its run, and the queued run takes the click; a change in the
    sidebar reruns the whole page, which interrupts the loop by itself. Where Streamlit's internals no longer
    tell, the body is part of the page while playing, and Play and Pause rerun the whole page, as before. The
    body writes nothing outside itself (a fragment may not write to a container it did not fill in the last
    whole-page run, and that run may have been cut short).
    """

    def __init__(self, prefix: str, settings: Any, make: Callable[[Any], live.LiveRun], *,
                 key: Callable[[Any], Any] = live.model_key, speed: str = "max", most: int = 500) -> None:  # fmt: skip
        state = st.session_state
        self.prefix, self.speed, self.most = prefix, speed, most
        self.run, restarted = live.current_run(state.get(f"{prefix}.run"), settings, make, key=key,
                                               reset=state.pop(f"{prefix}.reset", False))  # fmt: skip
        state[f"{prefix}.run"] = self.run
        if restarted:
            state[f"{prefix}.running"] = False
        if state.pop(f"{prefix}.step", False):
            live.step(self.run)
        self.running = bool(state.get(f"{prefix}.running", False)) and not self.run.finished
        self.status = self.notice = None
        self._frame: Callable[[int], None] = lambda cycle: None
        self.plays_in_fragment = patches.sees_waiting_clicks()  # the loop can tell a click on the board waits
        playing_outside = self.running and not self.plays_in_fragment
        self.fragment = None if playing_outside else f"{prefix}.board"  # the board's key (``board``)

    def controls(self, step_help: str = "Train one epoch.", new_weights: str | None = None) -> None:
        self.status = play_controls(self.prefix, running=self.running, finished=self.run.finished,
                                    step_help=step_help, new_weights=new_weights, fragment=self.fragment,
                                    play_whole=not self.plays_in_fragment)  # fmt: skip
        self.notice = widgets.slot(st, redrawn=self.running)  # written at most once while paused

    def slot(self, where: Any = st) -> Any:
        """Where ``draw`` puts one thing that shows the run, in ``where`` (a column, or ``st``): ``ui.slot``,
        redrawn by every turn while playing, drawn once while paused."""
        return widgets.slot(where, redrawn=self.running)

    def board(self, body: Callable[[], None]) -> None:
        """Draw ``body``, the controls and what shows the run: a fragment while paused (see the class)."""
        if self.fragment is None:
            with st.container():  # where a fragment draws: a Play after a Step keeps the widgets the browser has
                body()
            return

        def board_run() -> None:
            # A rerun of the fragment alone (Step) skips __init__: take the step here. When another run took the
            # run's place since the page was drawn (a model loaded on the board), the whole page starts again.
            if st.session_state.get(f"{self.prefix}.run") is not self.run:
                st.rerun()
            if st.session_state.pop(f"{self.prefix}.step", False):
                live.step(self.run)
            self.running = bool(st.session_state.get(f"{self.prefix}.running", False)) and not self.run.finished
            body()

        st.fragment(board_run, key=self.fragment)()

    def show(self, draw: Callable[[int], None], *, diverged: str = "", budget: str | None = None) -> None:
        """Draw the run as it is now (``draw(0)`` and the notices), before the parts of the page below it: a
        page whose slower parts come after its curves shows a Step's epoch first. ``play()`` then trains on.
        ``diverged``: what to do about it (after "Training diverged at epoch N: ..."); ``budget``: the notice
        when the run reached its budget (a default one when None, none when "")."""

        def frame(cycle: int) -> None:
            draw(cycle)
            self._notices(diverged, budget)

        self._frame = frame
        frame(0)

    def play(self, draw: Callable[[int], None] | None = None, *, diverged: str = "", budget: str | None = None,
             starting: str = "compiling the network…") -> None:  # fmt: skip
        """While playing, train in paced turns and redraw after each; with ``draw``, ``show`` it first (else
        ``show`` came earlier, with its own ``diverged`` and ``budget``)."""
        if draw is not None:
            self.show(draw, diverged=diverged, budget=budget)
        frame = self._frame
        if not self.running:
            return
        # A change in the sidebar reruns the whole script, which stops this loop at its next st.* call; a click
        # on the board waits for this run to end, which it does at once (``clicked``): even while it waits for
        # its turn. The run itself lives in the session, so nothing is lost.
        run, pace, cycle = self.run, pacing.Pace(most=self.most, rate=pacing.per_second(self.speed)), 0
        if run.epoch == 0 and starting and self.status is not None:
            self.status.markdown(f"**Epoch 0** · {starting}")

        def clicked() -> bool:  # Pause, or another widget of the board: the run waiting for this one takes it
            return self.fragment is not None and patches.click_waiting()

        while not run.finished and not clicked():
            pace.step(run.train, give_up=clicked)  # waits its turn when many sessions train at once
            if clicked():
                return  # the run that takes the click draws the board: not this one's frame first
            cycle += 1
            frame(cycle)
        if not run.finished:
            return
        st.session_state[f"{self.prefix}.running"] = False
        st.rerun()

    def _notices(self, diverged: str, budget: str | None) -> None:
        if self.notice is None:
            return
        run = self.run
        if run.diverged and diverged:
            self.notice.error(f"Training diverged at epoch {run.epoch}: {diverged}", icon=":material/warning:")
        elif not run.diverged and run.epoch >= run.budget and budget != "":
            self.notice.success(budget or f"Reached the epoch budget ({run.budget:,}). Raise it to train further, "
                                "or Reset.")  # fmt: skip
