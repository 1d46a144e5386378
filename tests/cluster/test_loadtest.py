"""The load generator's short run: a few real sessions follow the workshop script against `streamlit run`."""

import asyncio
from pathlib import Path

import pytest

from dlviz.tools import loadtest
from dlviz.tools.serve import streamlit_process


@pytest.fixture(scope="module")
def short_run():
    with streamlit_process(extra=["--server.fileWatcherType", "none"]) as (url, pid):
        with loadtest.MemoryWatch([pid]) as memory:
            report = asyncio.run(loadtest.workshop(url, sessions=3, seconds=30, ramp=2, train_seconds=4))
        yield report, memory


def test_a_short_workshop_has_no_errors_and_loses_no_session(short_run):
    report, _ = short_run
    assert report.errors == [] and report.lost == 0
    assert report.sessions_done == 3


def test_every_part_of_the_script_ran_and_answered(short_run):
    report, memory = short_run
    kinds = set(report.latencies)
    assert {"open the home page", "switch page"} <= kinds
    assert kinds & {"Play to first epoch", "draw a digit", "change the filter"}  # each session reached a page
    assert report.latencies and all(report.latencies.values())
    for kind, values in report.latencies.items():
        assert all(v == v and v > 0 for v in values), kind  # every interaction got an answer (no NaN)
    drawn = len(report.latencies.get("draw a digit", []))
    assert report.digits_read == drawn and report.digits_right >= 0.9 * drawn
    trained = "Play to first epoch" in kinds
    assert (len(report.epochs_per_s) > 0) == trained and all(rate > 0 for rate in report.epochs_per_s)
    assert memory.peak > 100  # MB: the watch read the server's memory


def test_a_widget_value_is_encoded_as_the_browser_sends_it():
    from dlviz.tools.wsclient import Widget, widget_state

    class Slider:
        options = []

    assert list(widget_state(Widget("slider", "id", "Noise", "", Slider()), 25).double_array_value.data) == [25.0]
    toggle = widget_state(Widget("checkbox", "id", "ReLU", "", None), True)
    assert toggle.WhichOneof("value") == "bool_value" and toggle.bool_value
    canvas = widget_state(Widget("bidi_component", "id", "canvas", "f", None), {"drawing": {"data": None}})
    assert canvas.json_value == '{"drawing": {"data": null}}'


def test_a_widget_drawn_at_another_place_leaves_its_old_one_and_a_whole_run_drops_what_it_did_not_draw():
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from dlviz.tools.wsclient import Session

    def button(path, fragment="", run="r1", fragments=()):
        msg = ForwardMsg()
        msg.metadata.delta_path.extend(path)
        msg.metadata.run.script_run_id = run
        msg.metadata.run.fragment_ids.extend(fragments)
        msg.delta.fragment_id = fragment
        msg.delta.new_element.button.id = "$$ID-5e1f-pg.play"  # its id, wherever it is drawn
        msg.delta.new_element.button.label = "Play"
        return msg

    def finished(run):
        msg = ForwardMsg()
        msg.metadata.run.script_run_id = run
        msg.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
        return msg

    s = Session("http://127.0.0.1:1")
    s._handle(button((0, 3, 0), fragment="board", run="r1", fragments=["board"]), 0.0, 10)
    s._handle(button((0, 4), run="r2"), 0.1, 10)  # the same widget, drawn as a plain part of the page
    assert [(w.fragment_id, p) for p, w in s.widgets.items()] == [("", (0, 4))]  # a click on it reruns the page
    other = button((0, 9), run="r2")
    other.delta.new_element.button.id = "another"
    s._handle(other, 0.2, 10)
    s._handle(button((0, 4), run="r3"), 0.3, 10)  # a whole-page run that draws Play and not the other
    s._handle(finished("r3"), 0.4, 10)
    assert list(s.widgets) == [(0, 4)]


def test_warming_a_server_opens_every_page_of_the_navigation():
    from dlviz.core import catalog

    with streamlit_process(extra=["--server.fileWatcherType", "none"]) as (url, _):
        seconds = asyncio.run(loadtest.warm(url))
    expected = {"home"} | {Path(p.path).stem for p in catalog.every_page()[1:]}
    assert set(seconds) == expected and all(s > 0 for s in seconds.values())


def test_the_load_generator_knows_the_playgrounds_longest_run():
    from dlviz.playground import engine as playground

    assert loadtest.LONGEST_RUN == playground.MAX_EPOCHS


def test_a_short_class_session_stores_every_send_and_shows_every_push():
    from dlviz.tools import roomload

    with streamlit_process(extra=["--server.fileWatcherType", "none"]) as (url, pid):
        session = roomload.ClassSession(url, 3, pushes=2, drawings=1, drawings_data=loadtest.digit_drawings(4),
                                        pids=[pid])  # fmt: skip
        report = asyncio.run(session.run())
    summary = report.summary(3, 1.0)
    assert report.errors == [] and not report.failed(), report.errors
    assert summary["broadcasts_seen"] == summary["broadcasts_expected"] == 2 * 3 + 1  # and one banner on the follow
    assert summary["follows_opened"] == summary["followers"] == 2  # the other two opened the page by themselves
    assert 0 < summary["follow_opened_p95_ms"] < 30_000
    assert summary["submissions_sent"] == summary["submissions_stored"] == 6  # a drawing and a network each
    assert summary["votes_sent"] == summary["votes_counted"] == 3
    assert summary["database"] == "SQLite" and summary["idle_cpu_percent"] is not None
    assert 0 < summary["broadcast_seen_p95_ms"] < 30_000 and 0 <= summary["wall_update_p95_ms"] < 30_000
