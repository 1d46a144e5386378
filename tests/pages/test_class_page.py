"""The Class page under AppTest: an instructor and participants as separate sessions on one SQLite file.

Each AppTest is its own session in this process, so they share the store (as sessions on one server do).
"""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import chart, click_cell, step
from streamlit.testing.v1 import AppTest

from dlviz.classroom.store import PRESETS, Store, make_engine

ROOT = Path(__file__).resolve().parents[2]
CLASS = "pages/class.py"


@pytest.fixture
def class_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIZ_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DLVIZ_DATABASE_URL", raising=False)
    monkeypatch.delenv("DLVIZ_INSTRUCTOR_PASSWORD", raising=False)
    return tmp_path


def app(page: str = CLASS, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str, where=None):
    found = [b for b in (where or at).button if b.label == label]
    assert found, [b.label for b in (where or at).button]
    return found[0]


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [e.value for e in at.error] + [s.value for s in at.success]
    parts += [h.value for h in at.subheader]
    return "\n".join(str(p) for p in parts).replace("\\", "")  # Markdown escapes of participants' text


def look(at: AppTest) -> AppTest:
    """A participant's page a moment later: its one-second look at the room sees what changed. (The look
    shares one read of the room among the process's sessions for 0.4 s; a test is quicker than that.)"""
    from dlviz.ui import room

    room._room_as_seen.clear()
    at.run()
    return at


def start_room(title: str = "Friday workshop") -> tuple[AppTest, str, str]:
    at = app()
    create = next(t for t in at.text_input if t.label == "Workshop name")
    create.input(title)
    button(at, "Start a room").click().run()
    assert not at.exception, at.exception
    seat = at.session_state["class.seat"]
    assert seat.instructor
    link = at.session_state["class.private_link"]
    assert f"room={seat.code}" in link and "key=" in link
    return at, seat.code, link


def join(code: str, nickname: str) -> AppTest:
    at = app(room=code)
    next(t for t in at.text_input if t.label == "Your nickname").input(nickname)
    assert next(t for t in at.text_input if t.label == "Room code").value == code
    button(at, "Join").click().run()
    assert not at.exception, at.exception
    return at


def test_an_instructor_starts_a_room_and_sees_its_code_qr_and_private_link_once(class_folder):
    at, code, link = start_room()
    page = texts(at)
    assert code in page and "Your private instructor link" in page
    assert any(c.value == link for c in at.code)
    assert at.query_params.get("key") is None  # the secret never stays in the address
    assert at.query_params["room"] == code
    assert at.get("imgs") or at.get("image")  # the QR code
    button(at, "I have saved it").click().run()
    assert "Your private instructor link" not in texts(at) and not any(c.value == link for c in at.code)


def test_the_private_link_makes_a_new_session_the_instructor_and_a_forged_key_does_not(class_folder):
    _, code, link = start_room()
    key = link.split("key=")[1]
    again = app(room=code, key=key)
    assert again.session_state["class.seat"].instructor
    assert "Dashboard" in [t.label for t in again.tabs]
    forged = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    forged.query_params.update(room=code, key=key[:-2] + "xx")
    forged.run()
    assert "class.seat" not in forged.session_state
    assert "not valid" in texts(forged)
    forged.switch_page(CLASS).run()
    assert not [t for t in forged.tabs if t.label == "Dashboard"]


def test_participants_join_by_code_and_nickname_and_keep_their_seat_through_a_reload(class_folder):
    instructor, code, _ = start_room()
    alice = join(code, "Alice 🦊")
    seat = alice.session_state["class.seat"]
    assert not seat.instructor and seat.nickname == "Alice 🦊"
    assert alice.query_params["me"] == seat.token
    assert "You are **Alice 🦊**" in texts(alice)
    reloaded = app(room=code, me=seat.token)
    assert reloaded.session_state["class.seat"].member_id == seat.member_id
    instructor.run()
    roster = instructor.dataframe[0].value
    assert roster["nickname"].tolist() == ["Alice 🦊"]
    assert roster["validation"].tolist() == [""]  # nothing trained yet: read as text, as 97% or 0.012 would be


def test_joining_refuses_a_wrong_code_hostile_nicknames_and_endless_guessing(class_folder):
    _, code, _ = start_room()
    at = app()
    for nickname in ["", " \u202e ", "x" * 10_000]:
        next(t for t in at.text_input if t.label == "Your nickname").input(nickname)
        next(t for t in at.text_input if t.label == "Room code").input(code)
        button(at, "Join").click().run()
        assert not at.exception and "class.seat" not in at.session_state
    assert "nickname is empty" in texts(at)
    for guess in range(20):
        next(t for t in at.text_input if t.label == "Room code").input(f"ZZZZ{guess:02d}")
        next(t for t in at.text_input if t.label == "Your nickname").input("guesser")
        button(at, "Join").click().run()
        assert not at.exception
    assert "Too many tries" in texts(at)
    next(t for t in at.text_input if t.label == "Room code").input(code)
    button(at, "Join").click().run()
    assert "class.seat" not in at.session_state  # even the right code, once the tries are used up


def room_with_alices_own_network() -> tuple[AppTest, AppTest, object]:
    """A room, and Alice in it with a network of her own on the Playground (one hidden layer of 4)."""
    instructor, code, _ = start_room()
    alice = join(code, "alice")
    alice.switch_page("pages/playground.py").run()
    alice.sidebar.number_input(key="pg.depth").set_value(1).run()
    own = alice.session_state["playground"]
    assert own.layers == (4,)
    return instructor, alice, own


def test_a_push_reaches_a_participant_as_a_banner_and_keeps_their_own_work(class_folder):
    instructor, alice, own = room_with_alices_own_network()
    # The instructor opens XOR with one hidden layer of 2 and sends it.
    instructor.query_params["data"] = "xor"
    instructor.switch_page("pages/playground.py").run()
    instructor.sidebar.selectbox(key="pg.data").set_value("xor").run()
    instructor.sidebar.number_input(key="pg.depth").set_value(1).run()
    instructor.sidebar.number_input(key="pg.units.0").set_value(2).run()
    button(instructor, "Send this page to the room", instructor.sidebar).click().run()
    assert not instructor.exception
    assert "Sent to the room: Playground: XOR, one hidden layer of 2 neurons" in texts(instructor)
    look(alice)
    assert "The instructor opened Playground: XOR, one hidden layer of 2 neurons" in texts(alice)
    button(alice, "Open").click().run()
    assert not alice.exception, alice.exception
    shown = alice.session_state["playground"]
    assert (shown.data, shown.layers) == ("xor", (2,))
    button(alice, "Back to my own work").click().run()
    assert alice.session_state["playground"] == own


def test_back_to_my_own_work_stays_on_every_page_the_instructor_sent(class_folder):
    instructor, alice, own = room_with_alices_own_network()
    instructor.switch_page("pages/playground.py").run()
    button(instructor, "Send this page to the room", instructor.sidebar).click().run()
    look(alice)
    button(alice, "Open").click().run()
    instructor.switch_page("pages/gradient_descent.py").run()
    button(instructor, "Send this page to the room", instructor.sidebar).click().run()
    look(alice)
    button(alice, "Open").click().run()
    assert not alice.exception, alice.exception
    alice.switch_page("pages/playground.py").run()  # back on the first page the instructor sent
    button(alice, "Back to my own work").click().run()
    assert not alice.exception and alice.session_state["playground"] == own


def test_a_participant_cannot_use_instructor_controls(class_folder):
    _, code, _ = start_room()
    alice = join(code, "alice")
    labels = {b.label for b in alice.button} | {b.label for b in alice.sidebar.button}
    assert not labels & {"Send this page to the room", "End the room", "Reveal the answers", "Clear the wall"}
    assert not [t for t in alice.tabs if t.label == "Dashboard"]
    alice.switch_page("pages/playground.py").run()
    assert "Send this page to the room" not in {b.label for b in alice.sidebar.button}


def test_polls_collect_votes_and_reveal_them(class_folder):
    instructor, code, _ = start_room()
    alice, bob = join(code, "alice"), join(code, "bob")
    instructor.session_state["class.tab"] = "Poll"
    instructor.run()
    next(t for t in instructor.text_input if t.label == "Question").input("Will lr 3 converge?")
    next(t for t in instructor.text_area if t.label.startswith("Answers")).input("Yes\nNo\n<b>Maybe</b>")
    button(instructor, "Ask the room").click().run()
    for person, answer in ((alice, 0), (bob, 2)):
        person.run()
        assert "Will lr 3 converge?" in texts(person)
        person.radio[0].set_value(answer).run()
        assert not person.exception
        assert "shown when the instructor reveals" in texts(person)
    instructor.run()
    bars = json.loads(instructor.get("plotly_chart")[0].proto.spec)["data"][0]
    assert bars["x"] == [1, 0, 1] and "&lt;b&gt;" in bars["y"][2]
    button(instructor, "Reveal the answers").click().run()
    look(alice)
    assert alice.get("plotly_chart")


def test_digits_reach_the_wall_with_the_rooms_confusion_matrix(class_folder):
    instructor, code, _ = start_room()
    alice = join(code, "alice")
    store = Store(make_engine(f"sqlite:///{class_folder / 'class.sqlite'}"))
    member = store.member(code, alice.session_state["class.seat"].token)
    seven = np.zeros((28, 28))
    seven[5:8, 6:22] = 255
    seven[8:24, 16:19] = 255
    store.send_digit(member, seven, 7, 7)
    store.send_digit(member, seven, 1, 7)
    instructor.session_state["class.tab"] = "Wall"
    instructor.run()
    assert "Drawings: 2, the network read 50% of them as meant" in texts(instructor)
    matrix = json.loads(instructor.get("plotly_chart")[0].proto.spec)["data"][2]["z"]
    assert matrix[7][7] == 1 and matrix[1][7] == 1


def test_the_walls_matrix_is_clickable_and_its_captions_show_names_as_typed(class_folder):
    instructor, code, _ = start_room()
    nickname = "عليّ 💥 <b>"
    alice = join(code, nickname)
    store = Store(make_engine(f"sqlite:///{class_folder / 'class.sqlite'}"))
    member = store.member(code, alice.session_state["class.seat"].token)
    ink = np.zeros((28, 28))
    ink[5:8, 6:22] = 255
    store.send_digit(member, ink, 7, 7)
    store.send_digit(member, ink, 1, 7)
    instructor.session_state["class.tab"] = "Wall"
    instructor.run()
    grids = [h.value for h in instructor.html]
    assert len(grids) == 1 and "عليّ 💥 &lt;b&gt;" in grids[0]  # text for the browser to set, not markup
    assert grids[0].count("<img") == 2
    click_cell(instructor, "class.confusion.", (1, 7))
    assert not instructor.exception
    assert instructor.selectbox(key="class.cell").value == (1, 7)
    (grid,) = [h.value for h in instructor.html]
    assert grid.count("<img") == 1 and "meant 1, misread" in grid
    shape = json.loads(chart(instructor, "class.confusion.").proto.spec)["layout"]["shapes"][0]
    assert (shape["x0"], shape["y0"]) == (6.5, 0.5)  # the clicked cell is framed
    click_cell(instructor, "class.confusion.", (0, 0))
    assert instructor.selectbox(key="class.cell").value is None
    assert "Nobody's 0 was read as 0." in texts(instructor)


def test_export_and_end_the_room(class_folder):
    instructor, code, _ = start_room()
    join(code, "alice")
    instructor.session_state["class.tab"] = "Room"
    instructor.run()
    downloads = instructor.get("download_button")
    assert len(downloads) == 4
    instructor.checkbox(key="class.end_sure").check().run()
    button(instructor, "End the room").click().run()
    assert "class.seat" not in instructor.session_state
    assert Store(make_engine(f"sqlite:///{class_folder / 'class.sqlite'}")).room(code) is None


def test_a_run_that_reaches_the_challenge_goes_on_the_leaderboard_and_anyone_can_open_it(class_folder):
    instructor, code, _ = start_room()
    instructor.session_state["class.tab"] = "Challenge"
    instructor.run()
    instructor.selectbox(key="class.preset").set_value("Your own").run()
    instructor.text_input(key="class.ch_name").input("Circles at 50%")
    instructor.selectbox(key="class.ch_data.playground").set_value("circle")
    instructor.slider(key="class.ch_target").set_value(0.5)
    button(instructor, "Set the challenge").click().run()
    assert "Set: Circles at 50%." in texts(instructor)
    alice = join(code, "alice")
    assert "**Circles at 50%**: validation accuracy >= 50% on circle" in texts(alice)
    alice.switch_page("pages/playground.py").run()
    alice.sidebar.selectbox(key="pg.data").set_value("circle").run()
    for _ in range(30):
        step(alice)
        look(alice)  # the room strip reads the run the page trained in the run before
        if "class.posted" in alice.session_state:
            break
    assert "class.posted" in alice.session_state
    instructor.run()
    board = instructor.dataframe[0].value
    assert board["nickname"].tolist() == ["alice"] and board["validation accuracy"][0] >= 0.5
    bob = join(code, "bob")
    button(bob, "Open the winner's network (alice)").click().run()
    assert not bob.exception
    assert bob.session_state["playground"].data == "circle"


def test_a_trained_network_goes_to_the_wall_and_opens_for_a_classmate(class_folder):
    instructor, code, _ = start_room()
    alice = join(code, "alice")
    alice.switch_page("pages/playground.py").run()
    alice.sidebar.selectbox(key="pg.data").set_value("xor").run()
    assert next(b for b in alice.button if b.label == "Send my network to the wall").disabled
    step(alice)
    button(alice, "Send my network to the wall").click().run()
    assert "Sent: your network is on the room's wall." in texts(alice)
    instructor.session_state["class.tab"] = "Wall"
    instructor.run()
    assert "Networks: 1" in texts(instructor)
    assert "**alice** · XOR · [4, 2] · 25 weights" in texts(instructor)
    bob = join(code, "bob")
    button(bob, "Open").click().run()
    assert not bob.exception
    assert bob.session_state["playground"].data == "xor"
    assert any("Playground" in t.value for t in bob.title)


def test_a_challenge_on_overfitting_scores_the_regularized_networks_validation_loss(class_folder):
    instructor, code, _ = start_room()
    instructor.session_state["class.tab"] = "Challenge"
    instructor.run()
    instructor.selectbox(key="class.preset").set_value("Your own").run()
    instructor.selectbox(key="class.ch_page").set_value("overfitting").run()
    instructor.selectbox(key="class.ch_data.overfitting").set_value("curve").run()
    assert [r.options for r in instructor.radio if r.key == "class.ch_metric"] == [["validation loss, at most"]]
    instructor.number_input(key="class.ch_loss.overfitting.curve").set_value(50.0)
    button(instructor, "Set the challenge").click().run()
    assert "Set: Our challenge." in texts(instructor)
    alice = join(code, "alice")
    assert "Train on **Overfitting & dropout** with this data set" in texts(alice)
    alice.switch_page("pages/overfitting.py").run()
    alice.sidebar.selectbox(key="of.task").set_value("curve").run()
    for _ in range(10):
        step(alice)
        look(alice)  # the room strip reads the run the page trained in the run before
        if "class.posted" in alice.session_state:
            break
    assert "class.posted" in alice.session_state
    race = alice.session_state["of.run"]
    instructor.run()
    board = instructor.dataframe[0].value
    assert board["nickname"].tolist() == ["alice"] and board["epochs"][0] == 1  # the first epoch under 50
    assert board["validation loss"][0] == pytest.approx(min(race.regularized.history.val_loss))
    assert board["weights"][0] == race.regularized.model.count_params()
    bob = join(code, "bob")
    button(bob, "Open the winner's network (alice)").click().run()
    assert not bob.exception
    assert bob.session_state["overfitting"].task == "curve"
    assert any("Overfitting" in t.value for t in bob.title)


def test_an_overfitting_race_goes_to_the_wall_with_both_losses_and_opens_on_overfitting(class_folder):
    instructor, code, _ = start_room()
    alice = join(code, "alice")
    alice.switch_page("pages/overfitting.py").run()
    alice.sidebar.select_slider(key="of.width").set_value(8).run()
    alice.sidebar.slider(key="of.depth").set_value(1).run()
    step(alice)
    button(alice, "Send my network to the wall").click().run()
    assert not alice.exception, alice.exception
    assert "Sent: your network is on the room's wall." in texts(alice)
    item = Store(make_engine(f"sqlite:///{class_folder / 'class.sqlite'}")).wall(code)[0]
    assert item["meta"]["page"] == "overfitting" and item["meta"]["weights"] == 33
    assert "baseline_val_loss" in item["meta"] and "dropout 0.4" in item["meta"]["regularizers"]
    alice.sidebar.selectbox(key="of.task").set_value("curve").run()  # a regression race sends its fitted curve
    step(alice)
    button(alice, "Send my network to the wall").click().run()
    assert not alice.exception, alice.exception
    assert "val_loss" in Store(make_engine(f"sqlite:///{class_folder / 'class.sqlite'}")).wall(code)[1]["meta"]
    instructor.session_state["class.tab"] = "Wall"
    instructor.run()
    assert "Networks: 2" in texts(instructor)
    assert "**alice** · Moons · [8] · dropout 0.4, early stopping (patience 50) · 33 weights" in texts(instructor)
    bob = join(code, "bob")
    button(bob, "Open").click().run()  # the newest first: the curve
    assert not bob.exception
    assert bob.session_state["overfitting"].task == "curve" and bob.session_state["overfitting"].width == 8
    assert any("Overfitting" in t.value for t in bob.title)


def test_challenges_post_reaching_runs_to_the_leaderboard(class_folder):
    instructor, code, _ = start_room()
    instructor.session_state["class.tab"] = "Challenge"
    instructor.run()
    instructor.selectbox(key="class.preset").set_value(next(iter(PRESETS)))
    button(instructor, "Set the challenge").click().run()
    assert not instructor.exception
    alice = join(code, "alice")
    assert "Spiral, 90% with the fewest weights" in texts(alice)


def test_with_sqlite_locked_past_its_wait_the_class_parts_say_so_and_nothing_is_half_written(class_folder, monkeypatch):
    """Another program holds SQLite's write lock longer than a writer waits (DLVIZ_SQLITE_WAIT, 0.5 s here):
    a vote says the database cannot be reached and writes nothing, the room is still read and shown, the
    Playground trains, and once the lock is gone the same vote counts."""
    import sqlite3

    monkeypatch.setenv("DLVIZ_SQLITE_WAIT", "0.5")
    instructor, code, _ = start_room()
    store = Store(make_engine(f"sqlite:///{class_folder / 'class.sqlite'}"))
    poll_id = store.open_poll(code, instructor.session_state["class.seat"].token, "Converges?", ["Yes", "No"])
    alice = join(code, "alice")
    holder = sqlite3.connect(class_folder / "class.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer that does not let go
    try:
        alice.radio(key=f"class.vote.{poll_id}").set_value(1).run()
        assert not alice.exception, alice.exception
        assert any("cannot reach its database" in e.value for e in alice.error)
        assert store.poll(code).counts == [0, 0]  # read while locked: nothing was half-written
        instructor.run()
        assert not instructor.exception and code in texts(instructor)  # readers never wait
        alice.switch_page("pages/playground.py").run()
        step(alice)
        assert not alice.exception and "**Epoch 1**" in " ".join(m.value for m in alice.markdown)
        assert any("cannot reach its database" in c.value for c in alice.caption)  # the heartbeat said so
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    alice.switch_page(CLASS).run()
    alice.radio(key=f"class.vote.{poll_id}").set_value(0).run()
    assert not alice.error and store.poll(code).counts == [1, 0]


def test_with_the_database_down_the_class_parts_say_so_and_everything_else_works(class_folder, monkeypatch):
    """A PostgreSQL nobody answers on: the Class page says so plainly, starting a room changes nothing, and a
    participant's Playground (a room in its address) trains as usual."""
    import socket

    with socket.socket() as s:  # a loopback port with nothing listening: the connection is refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("DLVIZ_DATABASE_URL", f"postgresql+psycopg://dlviz@127.0.0.1:{port}/dlviz?connect_timeout=3")
    at = app()
    assert not at.exception, at.exception
    next(t for t in at.text_input if t.label == "Workshop name").input("Down")
    button(at, "Start a room").click().run()
    assert not at.exception, at.exception
    shown = " ".join(e.value for e in at.error) + " ".join(c.value for c in at.caption)
    assert "cannot reach its database" in shown and "class.seat" not in at.session_state
    assert "Traceback" not in shown
    play = app("pages/playground.py", room="ABCDEF", me="a-participants-token")
    assert not play.exception, play.exception
    step(play)
    assert not play.exception and "**Epoch 1**" in " ".join(m.value for m in play.markdown)
    assert any("cannot reach its database" in c.value for c in play.caption)  # said again: it keeps trying
    # Nothing lost: the participant's link stays in the address for when the database is back.
    assert play.query_params["room"] == "ABCDEF" and play.query_params["me"] == "a-participants-token"
