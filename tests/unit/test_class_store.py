"""Class mode's store, the same tests against SQLite and a real PostgreSQL server (the ``class_db`` fixture)."""

import io
import threading
import time

import numpy as np
import pytest
import sqlalchemy as sa

from dlviz.classroom import store as cs
from dlviz.classroom.text import clean

HOSTILE = [
    "<script>alert(1)</script>",
    "**bold** [link](http://x) $x$",
    "x" * 10_000,
    "👩‍💻🧠",
    "مرحبا بالعالم",
    "\u202egnp.exe",
    "\x00\x07",
    "   ",
]


# What the pages' topics list (``dlviz.ui.room.challenge_data`` asks them): key -> (label, regression).
SETS = {
    "playground": {"spiral": ("Spiral", False), "xor": ("XOR", False), "circle": ("Circles", False),
                   "bump": ("Gaussian bumps (regression)", True)},
    "overfitting": {"moons": ("Moons", False), "circle": ("Circles", False), "curve": ("A noisy curve", True)},
}  # fmt: skip


@pytest.fixture
def db(class_db):
    engine = cs.make_engine(class_db)
    yield cs.Store(engine)
    engine.dispose()


@pytest.fixture
def room(db):
    room, key = db.create_room("Tuesday's workshop")
    return room, key


def test_a_room_has_a_short_readable_code_and_an_instructor_key_kept_only_as_a_hash(db, room):
    room, key = room
    assert len(room.code) == cs.CODE_LENGTH and set(room.code) <= set(cs.CODE_ALPHABET)
    assert db.room(room.code.lower()) == db.room(room.code)  # typed in lower case still finds it
    assert db.room(room.code[:3] + "-" + room.code[3:]).code == room.code
    with db.engine.connect() as c:
        stored = c.execute(sa.select(cs.rooms.c.owner_hash)).scalar()
    assert key not in stored and stored == cs.digest(key)
    assert db.is_owner(room.code, key) and not db.is_owner(room.code, key + "x") and not db.is_owner(room.code, None)


def test_joining_gives_a_token_that_finds_the_member_again_in_that_room_only(db, room):
    room, _ = room
    ada, token = db.join(room.code, "  Ada  ")
    assert ada.nickname == "Ada" and db.member(room.code, token) == ada
    other, other_key = db.create_room("Another")
    assert db.member(other.code, token) is None  # a token replayed in another room
    assert db.member(room.code, "forged-token") is None and db.member(room.code, None) is None
    assert db.member(room.code, "x" * 10_000) is None
    with pytest.raises(cs.ClassError, match="no room with that code"):
        db.join("ZZZZZZ", "Bob")


def test_only_the_instructor_may_steer_the_room(db, room):
    room, key = room
    ada, token = db.join(room.code, "Ada")
    other, other_key = db.create_room("Another")
    for forged in (token, other_key, "", "x" * 300, key[:-1]):
        with pytest.raises(cs.NotAllowed):
            db.push(room.code, forged, "playground", "Playground", {"data": "xor"}, "XOR")
        with pytest.raises(cs.NotAllowed):
            db.open_poll(room.code, forged, "Converge?", ["yes", "no"])
        with pytest.raises(cs.NotAllowed):
            db.set_challenge(room.code, forged, cs.PRESETS["XOR, 95% with the fewest weights"], SETS["playground"])
        with pytest.raises(cs.NotAllowed):
            db.clear_wall(room.code, forged)
        with pytest.raises(cs.NotAllowed):
            db.export(room.code, forged)
        with pytest.raises(cs.NotAllowed):
            db.end_room(room.code, forged)
        with pytest.raises(cs.NotAllowed):
            db.roster(room.code, forged)
    assert db.room(room.code).push is None and db.poll(room.code) is None


def test_a_push_reaches_the_room_with_its_page_and_settings(db, room):
    room, key = room
    before = db.room(room.code)
    seq = db.push(room.code, key, "playground", "Playground", {"data": "xor", "layers": "2"}, "XOR, 2 neurons")
    after = db.room(room.code)
    assert seq == 1 and after.push_seq == 1 and after.version > before.version
    assert after.push == {"page": "playground", "title": "Playground", "query": {"data": "xor", "layers": "2"},
                          "summary": "XOR, 2 neurons"}  # fmt: skip
    db.push(room.code, key, "digits", "Digits", {}, "Draw a 7")
    assert db.room(room.code).push_seq == 2 and db.room(room.code).push["page"] == "digits"


def digit(value: int) -> np.ndarray:
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 10 + value % 5 : 14 + value % 5] = 255
    return image


def test_the_wall_keeps_drawings_in_mnists_layout_and_the_instructor_can_hide_them(db, room):
    room, key = room
    ada, _ = db.join(room.code, "Ada")
    first = db.send_digit(ada, digit(1), label=1, read=7)
    db.send_digit(ada, digit(3), label=3, read=3)
    wall = db.wall(room.code, "digit")
    assert [(d["label"], d["read"], d["nickname"]) for d in wall] == [(1, 7, "Ada"), (3, 3, "Ada")]
    from PIL import Image

    assert Image.open(io.BytesIO(wall[0]["image"])).size == (28, 28)  # a PNG made by the store
    db.hide(room.code, key, first)
    assert [d["label"] for d in db.wall(room.code, "digit")] == [3]
    assert len(db.wall(room.code, "digit", hidden=True)) == 2
    npz = np.load(io.BytesIO(db.drawings_npz(room.code, key)))
    assert npz["x_train"].shape == (1, 28, 28) and npz["x_train"].dtype == np.uint8 and list(npz["y_train"]) == [3]
    np.testing.assert_array_equal(npz["x_train"][0], digit(3))
    db.clear_wall(room.code, key)
    assert db.wall(room.code) == []


def test_clearing_the_wall_starts_a_round_and_the_export_keeps_every_round(db, room):
    room, key = room
    ada, _ = db.join(room.code, "Ada")
    t0 = time.time()
    for i in range(cs.MAX_ITEMS_PER_MEMBER):
        db.send_digit(ada, digit(i % 10), label=i % 10, read=i % 10, now=t0 + 20 * i)
    with pytest.raises(cs.LimitReached):
        db.send_digit(ada, digit(5), label=5, read=5, now=t0 + 5000)
    spam = db.wall(room.code)[0]["id"]
    db.hide(room.code, key, [spam])  # moderation: this one stays out of the export
    db.clear_wall(room.code, key)
    assert db.wall(room.code) == []
    db.send_digit(ada, digit(8), label=8, read=8, now=t0 + 6000)  # a new round: Ada may send again
    assert [d["label"] for d in db.wall(room.code)] == [8]
    npz = np.load(io.BytesIO(db.drawings_npz(room.code, key)))
    assert len(npz["y_train"]) == cs.MAX_ITEMS_PER_MEMBER  # 30 of round one but the hidden one, and round two's
    exported = db.export(room.code, key)
    assert len(exported["wall"]) == cs.MAX_ITEMS_PER_MEMBER + 1  # the export has everything, marked
    assert sum(1 for item in exported["wall"] if item["cleared"]) == cs.MAX_ITEMS_PER_MEMBER


def test_hiding_several_items_is_one_change(db, room):
    room, key = room
    ada, _ = db.join(room.code, "Ada")
    ids = [db.send_digit(ada, digit(d), label=d, read=d) for d in range(4)]
    before = db.room(room.code).version
    db.hide(room.code, key, ids[:3])
    assert [d["label"] for d in db.wall(room.code)] == [3] and db.room(room.code).version == before + 1


def test_bad_drawings_and_too_many_sends_are_refused_with_a_sentence(db, room):
    room, _ = room
    ada, _ = db.join(room.code, "Ada")
    with pytest.raises(cs.ClassError, match="28x28"):
        db.send_digit(ada, np.zeros((10, 10)), 1, 1)
    with pytest.raises(cs.ClassError, match="digit you meant"):
        db.send_digit(ada, digit(1), 11, 1)
    with pytest.raises(cs.ClassError, match="256x256"):
        db.send_network(ada, np.zeros((2000, 2000, 3)), {})
    with pytest.raises(cs.LimitReached, match="too long"):
        db.send_network(ada, np.zeros((8, 8, 3)), {"query": "x" * 5000})
    for k in range(cs.MAX_ITEMS_PER_MEMBER):
        db.send_digit(ada, digit(k), k % 10, k % 10)
    with pytest.raises(cs.LimitReached, match=f"sent {cs.MAX_ITEMS_PER_MEMBER} things"):
        db.send_digit(ada, digit(2), 2, 2)


def test_the_same_thing_sent_twice_in_a_row_is_one_send(db, room):
    room, _ = room
    ada, _ = db.join(room.code, "Ada")
    bo, _ = db.join(room.code, "Bo")
    t0 = time.time()
    first = db.send_digit(ada, digit(1), 1, 1, now=t0 + 0)
    assert db.send_digit(ada, digit(1), 1, 1, now=t0 + 1) == first  # a double click, or a replayed one
    db.send_digit(bo, digit(1), 1, 1, now=t0 + 1)  # a classmate's identical drawing is theirs
    db.send_digit(ada, digit(1), 7, 1, now=t0 + 2)  # the same picture meant as another digit
    db.send_digit(ada, digit(1), 7, 1, now=t0 + 13)  # again, on purpose, later
    assert [(d["nickname"], d["label"]) for d in db.wall(room.code)] == [("Ada", 1), ("Bo", 1), ("Ada", 7), ("Ada", 7)]
    net = db.send_network(ada, np.zeros((8, 8, 3)), {"epochs": 3}, now=t0 + 14)
    assert db.send_network(ada, np.zeros((8, 8, 3)), {"epochs": 3}, now=t0 + 15) == net
    assert db.send_network(ada, np.zeros((8, 8, 3)), {"epochs": 4}, now=t0 + 15) != net  # trained on: a new one


def test_networks_on_the_wall_carry_their_settings_to_open(db, room):
    room, _ = room
    ada, _ = db.join(room.code, "Ada")
    thumb = np.zeros((24, 24, 3), np.uint8)
    db.send_network(
        ada, thumb, {"page": "playground", "query": {"data": "spiral"}, "weights": 37, "val_accuracy": 0.91}
    )
    (item,) = db.wall(room.code, "network")
    assert item["meta"]["query"] == {"data": "spiral"} and item["meta"]["weights"] == 37


def test_a_poll_counts_one_changeable_answer_per_member_and_reveals(db, room):
    room, key = room
    ada, _ = db.join(room.code, "Ada")
    bob, _ = db.join(room.code, "Bob")
    poll_id = db.open_poll(room.code, key, "Will learning rate 3 converge here?", ["Yes", "No", "  ", "Unsure"])
    poll = db.poll(room.code)
    assert poll.answers == ["Yes", "No", "Unsure"] and poll.counts == [0, 0, 0] and not poll.revealed
    db.vote(ada, poll_id, 0)
    db.vote(ada, poll_id, 1)  # changed her mind
    db.vote(bob, poll_id, 1)
    assert db.poll(room.code, ada).counts == [0, 2, 0] and db.poll(room.code, ada).mine == 1
    with pytest.raises(cs.ClassError):
        db.vote(ada, poll_id, 7)
    other, other_key = db.create_room()
    stranger, _ = db.join(other.code, "Eve")
    with pytest.raises(cs.ClassError):
        db.vote(stranger, poll_id, 0)  # a member of another room
    db.reveal(room.code, key, poll_id)
    assert db.poll(room.code).revealed
    with pytest.raises(cs.ClassError, match="2 to 5"):
        db.open_poll(room.code, key, "Q?", ["only one"])


def test_the_leaderboard_keeps_each_members_best_run_and_breaks_ties(db, room):
    room, key = room
    ada, _ = db.join(room.code, "Ada")
    bob, _ = db.join(room.code, "Bob")
    cid = db.set_challenge(room.code, key, cs.PRESETS["Spiral, 90% with the fewest weights"], SETS["playground"])
    challenge = db.challenge(room.code)
    assert challenge.id == cid and challenge.data == "spiral" and "fewest weights" in challenge.describe()
    assert not db.post_entry(ada, challenge, 0.85, 20, 100, {})  # below the target: not posted
    assert db.post_entry(ada, challenge, 0.92, 60, 300, {"layers": "8,8"})
    assert db.post_entry(ada, challenge, 0.91, 40, 500, {"layers": "4,4"})
    assert db.post_entry(bob, challenge, 0.95, 50, 200, {"layers": "6"})
    assert not db.post_entry(bob, challenge, float("nan"), 1, 1, {})
    board = db.leaderboard(room.code)
    assert [(r["nickname"], r["weights"]) for r in board] == [("Ada", 40), ("Bob", 50)]
    assert board[0]["query"] == {"layers": "4,4"}
    db.set_challenge(
        room.code, key, cs.Challenge("Fast", data="circle", target=0.98, tiebreak="epochs"), SETS["playground"]
    )
    assert db.leaderboard(room.code) == [] and not db.post_entry(ada, challenge, 0.99, 1, 1, {})  # the old one ended


def test_a_challenge_names_a_page_and_one_of_its_data_sets_and_a_measure_it_has(db, room):
    room, key = room
    with pytest.raises(cs.ClassError, match="page"):
        db.set_challenge(room.code, key, cs.Challenge("Nowhere", page="digits", data="spiral"), SETS["playground"])
    with pytest.raises(cs.ClassError, match="page"):
        db.set_challenge(
            room.code, key, cs.Challenge("Not there", page="overfitting", data="spiral"), SETS["overfitting"]
        )
    with pytest.raises(cs.ClassError, match="regression"):
        db.set_challenge(
            room.code, key, cs.Challenge("No accuracy", data="bump", metric="val_accuracy"), SETS["playground"]
        )
    db.set_challenge(room.code, key, cs.Challenge("Curve", page="overfitting", data="curve", metric="val_loss",
                                                  target=0.05, tiebreak="epochs"), SETS["overfitting"])  # fmt: skip
    challenge = db.challenge(room.code)
    assert (challenge.page, challenge.data, challenge.metric) == ("overfitting", "curve", "val_loss")
    assert challenge.describe() == (
        "validation loss <= 0.05 on curve (Overfitting & dropout); ties go to the fewest epochs"
    )


def test_a_run_is_judged_on_the_first_epoch_that_reached_the_target_and_its_best_figure():
    accuracy = cs.Challenge("A", target=0.9)
    assert accuracy.first_reached([0.5, 0.8, 0.91, 0.95, 0.85]) == (3, 0.95)
    assert accuracy.first_reached([0.5, float("nan"), 0.89]) is None
    assert accuracy.first_reached([]) is None
    loss = cs.Challenge("L", metric="val_loss", target=0.1)
    assert loss.first_reached([0.5, float("nan"), 0.09, 0.05, float("inf")]) == (3, 0.05)


def test_the_roster_shows_pages_progress_and_who_is_stuck(db, room):
    room, key = room
    t0 = time.time()
    ada, _ = db.join(room.code, "Ada", now=t0)
    bob, _ = db.join(room.code, "Bob", now=t0)
    db.heartbeat(ada, "playground", {"epoch": 50, "metric": 0.7, "metric_name": "val_accuracy"}, now=t0)
    db.heartbeat(bob, "playground", {"epoch": 5, "metric": None, "diverged": True}, now=t0)
    db.heartbeat(ada, "playground", {"epoch": 50, "metric": 0.7, "metric_name": "val_accuracy"}, now=t0 + 200)
    rows = {r["nickname"]: r for r in db.roster(room.code, key, now=t0 + 200)}
    assert rows["Ada"]["page"] == "playground" and rows["Ada"]["metric"] == 0.7
    assert rows["Ada"]["stuck"] and rows["Bob"]["stuck"]  # Ada: no progress for 200 s; Bob: diverged


def test_a_run_that_trains_on_without_improving_is_stuck_and_a_good_one_is_not(db, room):
    room, key = room
    t0 = time.time()
    cy, _ = db.join(room.code, "Cy", now=t0)
    di, _ = db.join(room.code, "Di", now=t0)
    ed, _ = db.join(room.code, "Ed", now=t0)
    for k in range(0, 31):  # five minutes of heartbeats, ten seconds apart
        t = t0 + 10 * k
        # Cy's network trains on and on at about 60%: epochs rise, the accuracy wobbles but never improves.
        db.heartbeat(
            cy, "playground", {"epoch": 100 * k, "metric": 0.6 + 0.004 * (k % 2), "metric_name": "val_accuracy"}, now=t
        )
        # Di's loss keeps falling: progress.
        db.heartbeat(di, "overfitting", {"epoch": 50 * k, "metric": 1.0 * 0.95**k, "metric_name": "val_loss"}, now=t)
        # Ed reached 100% early and stays there: nothing left to improve, not stuck.
        db.heartbeat(ed, "playground", {"epoch": 40 * k, "metric": 1.0, "metric_name": "val_accuracy"}, now=t)
    rows = {r["nickname"]: r for r in db.roster(room.code, key, now=t0 + 300)}
    assert rows["Cy"]["stuck"] and not rows["Di"]["stuck"] and not rows["Ed"]["stuck"]
    db.heartbeat(cy, "playground", {"epoch": 3, "metric": 0.55, "metric_name": "val_accuracy"}, now=t0 + 310)
    rows = {r["nickname"]: r for r in db.roster(room.code, key, now=t0 + 320)}
    assert not rows["Cy"]["stuck"]  # a new run (Reset, another network): Cy is trying something else


def test_export_holds_the_room_without_secrets_and_ending_deletes_it(db, room):
    room, key = room
    ada, token = db.join(room.code, "Ada")
    db.send_digit(ada, digit(4), 4, 9)
    pid = db.open_poll(room.code, key, "Q?", ["a", "b"])
    db.vote(ada, pid, 1)
    data = db.export(room.code, key)
    assert data["members"][0]["nickname"] == "Ada" and data["wall"][0]["read"] == 9
    assert data["polls"][0]["votes"] == [{"nickname": "Ada", "answer": 1}]
    import json

    dumped = json.dumps(data)
    assert token not in dumped and key not in dumped and cs.digest(token) not in dumped
    db.end_room(room.code, key)
    assert db.room(room.code) is None and db.member(room.code, token) is None
    with db.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(cs.items)).scalar() == 0


def test_rooms_expire_after_a_quiet_spell(db):
    old, _ = db.create_room("Old", now=0.0)
    assert db.room(old.code, now=cs.ROOM_HOURS * 3600 - 1) is not None
    assert db.room(old.code, now=cs.ROOM_HOURS * 3600 + 1) is None
    db.create_room("New", now=cs.ROOM_HOURS * 3600 + 2)  # creating a room sweeps the expired ones
    with db.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(cs.rooms)).scalar() == 1


def test_a_restart_keeps_every_room_and_a_newer_schema_is_refused(class_db):
    first = cs.Store(cs.make_engine(class_db))
    room, key = first.create_room("Kept")
    ada, token = first.join(room.code, "Ada")
    first.send_digit(ada, digit(5), 5, 5)
    first.engine.dispose()
    again = cs.Store(cs.make_engine(class_db))  # the schema is there: nothing is recreated
    assert again.member(room.code, token) == ada and len(again.wall(room.code)) == 1 and again.is_owner(room.code, key)
    with again.engine.begin() as c:
        c.execute(cs.settings_table.update().values(value=str(cs.SCHEMA_VERSION + 1)))
    again.engine.dispose()
    with pytest.raises(cs.ClassError, match="newer dlviz"):
        cs.make_engine(class_db)


def test_a_schema_1_database_is_upgraded_in_place_and_keeps_its_rooms(class_db):
    first = cs.Store(cs.make_engine(class_db))
    room, key = first.create_room("Made by schema 1")
    ada, token = first.join(room.code, "Ada")
    with first.engine.begin() as c:  # what dlviz with schema 1 wrote: no tally column
        c.execute(sa.text("ALTER TABLE rooms DROP COLUMN tally"))
        c.execute(sa.text("ALTER TABLE items DROP COLUMN cleared"))  # schema 3's
        c.execute(cs.settings_table.update().values(value="1"))
    first.engine.dispose()
    again = cs.Store(cs.make_engine(class_db))
    assert again.member(room.code, token) == ada and again.is_owner(room.code, key)
    assert again.room(room.code).tally == 0
    with again.engine.connect() as c:
        assert c.execute(sa.select(cs.settings_table.c.value)).scalar() == str(cs.SCHEMA_VERSION)
    poll = again.open_poll(room.code, key, "Q?", ["a", "b"])
    again.vote(ada, poll, 1)
    assert again.room(room.code).tally == 1


def test_votes_on_a_hidden_poll_move_the_tally_not_the_version(db, room):
    room, key = room
    ada, _ = db.join(room.code, "Ada")
    poll = db.open_poll(room.code, key, "Q?", ["a", "b"])
    before = db.room(room.code)
    db.vote(ada, poll, 0)
    after = db.room(room.code)
    assert (after.version, after.tally) == (before.version, before.tally + 1)  # participants' pages stay put
    db.reveal(room.code, key, poll)
    revealed = db.room(room.code)
    db.vote(ada, poll, 1)  # once revealed, everyone's bars move
    assert db.room(room.code).version == revealed.version + 1


def test_thirty_concurrent_writers_lose_nothing(db, room):
    room, key = room
    people = [db.join(room.code, f"p{i}")[0] for i in range(30)]
    pid = db.open_poll(room.code, key, "Q?", ["a", "b", "c"])
    errors = []
    start = threading.Barrier(len(people))

    def work(i, member):
        try:
            start.wait()
            for k in range(3):
                db.send_digit(member, digit(k), k, (k + i) % 10)
                db.heartbeat(member, "digits", {"epoch": k})
            db.vote(member, pid, i % 3)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(i, m)) for i, m in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(db.wall(room.code, "digit")) == 90
    assert db.poll(room.code).counts == [10, 10, 10]


@pytest.mark.parametrize("nickname", HOSTILE)
def test_hostile_nicknames_are_stored_as_plain_text_or_refused_with_a_sentence(db, room, nickname):
    room, _ = room
    try:
        expected = clean(nickname, 24, "nickname")
    except ValueError as e:
        with pytest.raises(ValueError, match="nickname"):
            db.join(room.code, nickname)
        assert "nickname" in str(e)
        return
    member, _ = db.join(room.code, nickname)
    assert member.nickname == expected and "\u202e" not in expected and len(expected) <= 24


def test_codes_cannot_be_guessed_by_trying():
    assert len(cs.CODE_ALPHABET) ** cs.CODE_LENGTH > 10**9
    assert cs.normal_code("abc") is None and cs.normal_code("ABCDE0") is None and cs.normal_code(5) is None


@pytest.mark.parametrize("value, wait", [("3", 3.0), ("0", 0.1), ("1e9", 600.0), ("nan", 15.0), ("soon", 15.0),
                                         ("", 15.0)])  # fmt: skip
def test_the_sqlite_wait_is_read_from_the_environment_within_bounds(monkeypatch, value, wait):
    monkeypatch.setenv("DLVIZ_SQLITE_WAIT", value)
    assert cs.sqlite_wait() == wait


def test_with_sqlite_locked_a_heartbeat_gives_up_and_reads_go_on(tmp_path, monkeypatch):
    import sqlite3

    monkeypatch.setenv("DLVIZ_SQLITE_WAIT", "0.3")
    path = tmp_path / "class.sqlite"
    db = cs.Store(cs.make_engine(f"sqlite:///{path}"))
    room, key = db.create_room("Locked")
    ada, _ = db.join(room.code, "Ada")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            db.heartbeat(ada, "Playground", {"epoch": 3, "metric": 0.5, "metric_name": "val_accuracy"})
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            db.send_digit(ada, np.zeros((28, 28)), 1, 1)
        assert db.room(room.code).code == room.code and db.wall(room.code) == []  # readers never wait
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    db.heartbeat(ada, "Playground", {"epoch": 3, "metric": 0.5, "metric_name": "val_accuracy"})
    assert db.roster(room.code, key)[0]["epoch"] == 3
    db.engine.dispose()
