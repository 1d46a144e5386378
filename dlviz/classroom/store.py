"""A class's shared state in a SQL database: rooms, members, pushes, the wall, polls and challenges.

SQLite by default (one file, WAL mode, a busy timeout, writers queue with ``BEGIN IMMEDIATE``), PostgreSQL
when several replicas share a room. Every change is one transaction and bumps the room's ``version``, so a
session learns of changes by reading one small row. Secrets (the instructor's and each member's token) are
stored only as SHA-256 hashes; what only the instructor may do takes the instructor's token and checks it.

No streamlit here: ``dlviz.ui.room`` hands this an engine from ``st.connection``; tests and the load
generator make their own with ``make_engine``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import math
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy import event

from dlviz.classroom import text

SCHEMA_VERSION = 3  # 2: rooms.tally (votes on a hidden poll, apart from the version); 3: items.cleared
ROOM_HOURS = 12  # a room is deleted this long after its last activity
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
CODE_LENGTH = 6  # 32**6: about a billion codes
MAX_MEMBERS = 300
MAX_ITEMS_PER_MEMBER = 30  # wall items a participant may send
MAX_ITEM_BYTES = 48_000  # one thumbnail, after re-encoding
MAX_META_BYTES = 4_000
REPEAT_SECONDS = 10  # the same thing sent again this soon is one send (a double click, a replayed click)
MAX_ENTRIES_PER_MEMBER = 50  # challenge runs posted


class ClassError(Exception):
    """Something a person did that the page should explain in a sentence (never a stack trace)."""


class NotAllowed(ClassError):
    """Only the room's instructor may do this."""


class LimitReached(ClassError):
    pass


meta = sa.MetaData()


def room_column() -> sa.Column:
    """The room a row belongs to (deleted with it)."""
    return sa.Column("room_id", sa.Integer, sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False, index=True)


settings_table = sa.Table(
    "dlviz_meta", meta, sa.Column("key", sa.String(40), primary_key=True), sa.Column("value", sa.Text)
)
rooms = sa.Table(
    "rooms",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(12), nullable=False, unique=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("owner_hash", sa.String(64), nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("active", sa.Float, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("push", sa.Text),  # JSON: the page the instructor sent, with its settings
    sa.Column("push_seq", sa.Integer, nullable=False, default=0),
    # Votes on a poll not yet revealed count here, not in ``version``: only the instructor's view shows them,
    # so they need not redraw every participant's Class page.
    sa.Column("tally", sa.Integer, nullable=False, default=0, server_default="0"),
)
members = sa.Table(
    "members",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    room_column(),
    sa.Column("nickname", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("joined", sa.Float, nullable=False),
    sa.Column("seen", sa.Float, nullable=False),
    sa.Column("page", sa.String(80), nullable=False, default=""),
    sa.Column("progress", sa.Text),  # JSON: the live run's epoch, metric, diverged
    sa.Column("progress_at", sa.Float),  # when the metric last improved
)
items = sa.Table(
    "items",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    room_column(),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # "digit" | "network"
    sa.Column("label", sa.Integer),  # digit: what the participant meant
    sa.Column("read", sa.Integer),  # digit: what the network read
    sa.Column("pixels", sa.LargeBinary),  # digit: 28x28 uint8, MNIST's layout
    sa.Column("image", sa.LargeBinary),  # PNG thumbnail, encoded by dlviz
    sa.Column("meta", sa.Text),  # JSON
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),  # by the instructor's moderation
    # Taken off the wall by "Clear the wall" between rounds: kept for the export, no longer counted against
    # the sender's limit.
    sa.Column("cleared", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
)
polls = sa.Table(
    "polls",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    room_column(),
    sa.Column("question", sa.String(800), nullable=False),
    sa.Column("answers", sa.Text, nullable=False),  # JSON list
    sa.Column("revealed", sa.Boolean, nullable=False, default=False),
    sa.Column("created", sa.Float, nullable=False),
)
votes = sa.Table(
    "votes",
    meta,
    sa.Column("poll_id", sa.Integer, sa.ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("answer", sa.Integer, nullable=False),
)
challenges = sa.Table(
    "challenges",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    room_column(),
    sa.Column("spec", sa.Text, nullable=False),  # JSON: Challenge
    sa.Column("created", sa.Float, nullable=False),
)
entries = sa.Table(
    "entries",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("challenge_id", sa.Integer, sa.ForeignKey("challenges.id", ondelete="CASCADE"), nullable=False),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("weights", sa.Integer, nullable=False),
    sa.Column("epochs", sa.Integer, nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Index("entries_by_challenge", "challenge_id", "member_id"),
)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(code: object) -> str | None:
    """A typed room code as stored (upper case, no spaces or dashes), or None when it cannot be one."""
    if not isinstance(code, str):
        return None
    code = code.strip().upper().replace("-", "").replace(" ", "")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


# --- engines -----------------------------------------------------------------------------------------


SQLITE_WAIT_SECONDS = 15.0  # a SQLite writer waits this long for the lock (DLVIZ_SQLITE_WAIT), then gives up
HEARTBEAT_WAIT_SECONDS = 2.0  # a heartbeat waits at most this long: it only says where someone is


def sqlite_wait() -> float:
    """How long a SQLite writer waits for another's lock before the class parts say the database is busy:
    ``DLVIZ_SQLITE_WAIT`` seconds (0.1 to 600), else 15. Readers never wait (WAL)."""
    try:
        wait = float(os.environ.get("DLVIZ_SQLITE_WAIT", SQLITE_WAIT_SECONDS))
    except ValueError:
        return SQLITE_WAIT_SECONDS
    return min(600.0, max(0.1, wait)) if math.isfinite(wait) else SQLITE_WAIT_SECONDS


def engine_options(url: str) -> dict[str, Any]:
    """``create_engine``'s keywords for ``url`` (the page's ``st.connection`` passes the same)."""
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": sqlite_wait(), "check_same_thread": False}
    return kwargs


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url`` with the settings ``prepare`` needs (the tests and tools use this)."""
    return prepare(sa.create_engine(url, **engine_options(url)))


def prepare(engine: sa.Engine) -> sa.Engine:
    """Make a SQLite engine safe for many writers; create or upgrade the schema. Idempotent."""
    if engine.dialect.name == "sqlite" and not getattr(engine, "_dlviz_prepared", False):

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # SQLAlchemy's BEGIN below, not the driver's
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {round(sqlite_wait() * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer (kept in the file)
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):
            if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                return  # a read (Store.reader): each statement on its own
            # A writer takes the lock when it starts, so two transactions never both read and then
            # both try to write (which SQLite answers with an immediate "database is locked"). A writer
            # that may wait less (a heartbeat) says so in its execution options.
            wait = connection.get_execution_options().get("dlviz_wait", sqlite_wait())
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {round(min(wait, sqlite_wait()) * 1000)}")
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        engine._dlviz_prepared = True
        engine.dispose()  # connections made before the listeners would lack them
    migrate(engine)
    return engine


def migrate(engine: sa.Engine) -> None:
    """Create the tables of a new database; upgrade an older schema in place, keeping its rooms."""
    with engine.begin() as c:
        meta.create_all(c, checkfirst=True)
        found = c.execute(sa.select(settings_table.c.value).where(settings_table.c.key == "schema")).scalar()
        if found is None:
            c.execute(settings_table.insert().values(key="schema", value=str(SCHEMA_VERSION)))
        elif int(found) > SCHEMA_VERSION:
            raise ClassError(
                f"The class database was written by a newer dlviz (schema {found}; this one knows {SCHEMA_VERSION})."
            )
        # Upgrades from one version to the next, each in this transaction (which rolls back as a whole).
        if found is not None and int(found) < 2:
            c.execute(sa.text("ALTER TABLE rooms ADD COLUMN tally INTEGER NOT NULL DEFAULT 0"))
        if found is not None and int(found) < 3:
            false = "0" if c.dialect.name == "sqlite" else "FALSE"
            c.execute(sa.text(f"ALTER TABLE items ADD COLUMN cleared BOOLEAN NOT NULL DEFAULT {false}"))
        if found is not None and int(found) < SCHEMA_VERSION:
            c.execute(settings_table.update().where(settings_table.c.key == "schema").values(value=str(SCHEMA_VERSION)))


# --- how a run goes, for the dashboard ---------------------------------------------------------------

STUCK_SECONDS = 120  # a run whose validation figure has not improved for this long is stuck (unless good)
GOOD_ACCURACY = 0.95  # ... and an accuracy this high has little left to improve
ACCURACY_STEP, LOSS_STEP = 0.01, 0.01  # what counts as improving: +1 point of accuracy, or 1% less loss


def _best(old: dict, new: dict) -> tuple[float | None, bool]:
    """The best validation figure of a run so far, and whether ``new`` improved on it.

    A new run (its epoch went back, or another measure) counts as progress: the participant changed something.
    Training epochs that leave the figure where it was do not: a model that does not converge is stuck.
    """
    metric, best = new.get("metric"), old.get("best")
    if metric is None or not math.isfinite(metric):
        return best, False
    fresh = (
        best is None
        or new.get("metric_name") != old.get("metric_name")
        or (new.get("epoch") or 0) < (old.get("epoch") or 0)
    )
    if fresh:
        return metric, True
    if new.get("metric_name") == "val_accuracy":
        return max(best, metric), metric >= best + ACCURACY_STEP
    return min(best, metric), metric <= best * (1 - LOSS_STEP)


def _good(progress: dict) -> bool:
    metric = progress.get("best")
    return progress.get("metric_name") == "val_accuracy" and metric is not None and metric >= GOOD_ACCURACY


# --- what the pages read ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Room:
    id: int
    code: str
    title: str
    version: int
    push: dict | None
    push_seq: int
    active: float
    tally: int = 0  # votes on the open poll while it is hidden (the instructor's view watches it)


@dataclass(frozen=True)
class Member:
    id: int
    room_id: int
    nickname: str


@dataclass(frozen=True)
class Challenge:
    """Reach ``target`` of ``metric`` on ``page`` with the data set ``data``; ties go to ``tiebreak``."""

    name: str
    page: str = "playground"
    data: str = "spiral"
    metric: str = "val_accuracy"
    target: float = 0.9
    tiebreak: str = "weights"  # "weights" | "epochs"
    id: int = 0

    def describe(self) -> str:
        what = "validation accuracy" if self.metric == "val_accuracy" else "validation loss"
        sign = ">=" if self.metric == "val_accuracy" else "<="
        value = f"{self.target:.0%}" if self.metric == "val_accuracy" else f"{self.target:g}"
        fewest = "fewest weights" if self.tiebreak == "weights" else "fewest epochs"
        where = CHALLENGE_PAGES.get(self.page, self.page)
        return f"{what} {sign} {value} on {self.data} ({where}); ties go to the {fewest}"

    def reached(self, value: float | None) -> bool:
        if value is None or not np.isfinite(value):
            return False
        return value >= self.target if self.metric == "val_accuracy" else value <= self.target

    def first_reached(self, values) -> tuple[int, float] | None:
        """(the epoch that first reached the target, the best value so far) from a run's validation figures,
        one per epoch; None when no epoch reached it. Epochs count from 1, as Keras prints them.

        A run is judged on its whole history, not on where it happens to be when the page looks: a
        Playground trains hundreds of epochs a second, so "fewest epochs" has to be the first epoch that
        reached the target, not the epoch the heartbeat caught."""
        v = np.asarray(values, np.float64)
        v = np.where(np.isfinite(v), v, -np.inf if self.metric == "val_accuracy" else np.inf)
        hits = np.flatnonzero(v >= self.target if self.metric == "val_accuracy" else v <= self.target)
        if not hits.size:
            return None
        return int(hits[0]) + 1, float(v.max() if self.metric == "val_accuracy" else v.min())


# The pages a challenge can be set on, as their settings name them.
CHALLENGE_PAGES = {"playground": "Playground", "overfitting": "Overfitting & dropout"}


PRESETS = {
    "Spiral, 90% with the fewest weights": Challenge("Spiral, 90% with the fewest weights", data="spiral"),
    "XOR, 95% with the fewest weights": Challenge("XOR, 95% with the fewest weights", data="xor", target=0.95),
    "Circle, 98% in the fewest epochs": Challenge(
        "Circle, 98% in the fewest epochs", data="circle", target=0.98, tiebreak="epochs"
    ),
}


@dataclass
class Poll:
    id: int
    question: str
    answers: list[str]
    revealed: bool
    counts: list[int] = field(default_factory=list)
    mine: int | None = None


def _now(now: float | None) -> float:
    return time.time() if now is None else now


class Store:
    """All of class mode's reads and writes. Safe to share between threads (SQLAlchemy pools connections)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        # Reads run outside a transaction: one statement, no BEGIN and ROLLBACK around it (on PostgreSQL two
        # round trips fewer for each of the room's one-second looks; on SQLite no write lock for a read).
        self.reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        # Heartbeats come every few seconds from every page: with SQLite locked, each gives up soon and the
        # page tries again later, rather than holding the participant's page for the whole busy timeout.
        self.beats = engine.execution_options(dlviz_wait=HEARTBEAT_WAIT_SECONDS)

    @property
    def kind(self) -> str:
        return self.engine.dialect.name

    # rooms -------------------------------------------------------------------------------------------

    def create_room(self, title: str = "Workshop", *, now: float | None = None) -> tuple[Room, str]:
        """A new room and its instructor token (shown once; only its hash is kept)."""
        title = text.clean(title or "Workshop", text.TITLE_CHARS, "room's name")
        token, t = secrets.token_urlsafe(24), _now(now)
        self.expire(now=t)
        for _ in range(20):
            code = new_code()
            try:
                with self.engine.begin() as c:
                    c.execute(
                        rooms.insert().values(
                            code=code, title=title, owner_hash=digest(token), created=t, active=t, version=1, push_seq=0
                        )
                    )
                return self.room(code, now=t), token
            except sa.exc.IntegrityError:
                continue  # that code is taken: draw another
        raise ClassError("No free room code was found; try again.")

    def room(self, code: str, *, now: float | None = None) -> Room | None:
        """The room, or None when there is none by that code (or it has expired)."""
        code = normal_code(code)
        if code is None:
            return None
        with self.reader.connect() as c:
            row = c.execute(sa.select(rooms).where(rooms.c.code == code)).mappings().first()
        if row is None or row["active"] < _now(now) - ROOM_HOURS * 3600:
            return None
        push = json.loads(row["push"]) if row["push"] else None
        return Room(row["id"], row["code"], row["title"], row["version"], push, row["push_seq"], row["active"],
                    row["tally"])  # fmt: skip

    def version(self, code: str) -> int | None:
        with self.reader.connect() as c:
            return c.execute(sa.select(rooms.c.version).where(rooms.c.code == normal_code(code))).scalar()

    def is_owner(self, code: str, token: object) -> bool:
        if not isinstance(token, str) or not token or len(token) > 200:
            return False
        with self.reader.connect() as c:
            stored = c.execute(sa.select(rooms.c.owner_hash).where(rooms.c.code == normal_code(code))).scalar()
        return stored is not None and hmac.compare_digest(stored, digest(token))

    def _owned(self, code: str, token: object) -> Room:
        room = self.room(code)
        if room is None:
            raise ClassError("This room has ended or expired.")
        if not self.is_owner(code, token):
            raise NotAllowed("Only the room's instructor can do that.")
        return room

    @staticmethod
    def _touch(c, room_id: int, t: float, **values) -> None:
        c.execute(rooms.update().where(rooms.c.id == room_id).values(version=rooms.c.version + 1, active=t, **values))

    def expire(self, *, now: float | None = None) -> int:
        """Delete rooms idle for longer than ROOM_HOURS; returns how many."""
        cutoff = _now(now) - ROOM_HOURS * 3600
        with self.engine.begin() as c:
            old = [r for (r,) in c.execute(sa.select(rooms.c.id).where(rooms.c.active < cutoff))]
            for room_id in old:
                self._delete(c, room_id)
        return len(old)

    @staticmethod
    def _delete(c, room_id: int) -> None:
        member_ids = sa.select(members.c.id).where(members.c.room_id == room_id)
        challenge_ids = sa.select(challenges.c.id).where(challenges.c.room_id == room_id)
        poll_ids = sa.select(polls.c.id).where(polls.c.room_id == room_id)
        c.execute(entries.delete().where(entries.c.challenge_id.in_(challenge_ids)))
        c.execute(votes.delete().where(votes.c.poll_id.in_(poll_ids)))
        c.execute(items.delete().where(items.c.room_id == room_id))
        c.execute(challenges.delete().where(challenges.c.room_id == room_id))
        c.execute(polls.delete().where(polls.c.room_id == room_id))
        c.execute(members.delete().where(members.c.id.in_(member_ids)))
        c.execute(rooms.delete().where(rooms.c.id == room_id))

    def end_room(self, code: str, token: str) -> None:
        room = self._owned(code, token)
        with self.engine.begin() as c:
            self._delete(c, room.id)

    # members -----------------------------------------------------------------------------------------

    def join(self, code: str, nickname: str, *, now: float | None = None) -> tuple[Member, str]:
        """Join a room under a nickname; returns the member and their token (for the address bar)."""
        nickname = text.clean(nickname, text.NICKNAME_CHARS, "nickname")
        room, t = self.room(code, now=now), _now(now)
        if room is None:
            raise ClassError("There is no room with that code. Check the code on the projector.")
        token = secrets.token_urlsafe(16)
        with self.engine.begin() as c:
            count = c.execute(sa.select(sa.func.count()).where(members.c.room_id == room.id)).scalar()
            if count >= MAX_MEMBERS:
                raise LimitReached(f"This room is full ({MAX_MEMBERS} people).")
            result = c.execute(
                members.insert().values(
                    room_id=room.id, nickname=nickname, token_hash=digest(token), joined=t, seen=t, page=""
                )
            )
            self._touch(c, room.id, t)
        return Member(result.inserted_primary_key[0], room.id, nickname), token

    def member(self, code: str, token: object) -> Member | None:
        """Who holds ``token`` in this room, or None (a forged, replayed-elsewhere or removed token)."""
        room = self.room(code)
        if room is None or not isinstance(token, str) or not token or len(token) > 200:
            return None
        with self.reader.connect() as c:
            row = c.execute(
                sa.select(members.c.id, members.c.nickname).where(
                    members.c.token_hash == digest(token), members.c.room_id == room.id
                )
            ).first()
        return Member(row.id, room.id, row.nickname) if row else None

    def heartbeat(self, member: Member, page: str, progress: dict | None = None, *, now: float | None = None):
        """Where a member is and how their run goes (for the instructor's dashboard)."""
        t = _now(now)
        values: dict[str, Any] = {"seen": t, "page": str(page)[:80]}
        with self.beats.begin() as c:
            if progress is not None:
                before = c.execute(sa.select(members.c.progress).where(members.c.id == member.id)).scalar()
                old = json.loads(before) if before else {}
                progress = dict(progress)
                progress["best"], improved = _best(old, progress)
                values["progress"] = json.dumps(progress)
                if improved:
                    values["progress_at"] = t
            c.execute(members.update().where(members.c.id == member.id).values(**values))
            # Keeps the room alive without a new version: the version tells views that the wall, a poll or a
            # challenge changed, and heartbeats come every few seconds from everyone.
            c.execute(rooms.update().where(rooms.c.id == member.room_id).values(active=t))

    def roster(self, code: str, token: str, *, now: float | None = None) -> list[dict]:
        """The instructor's view of who is here: nickname, page, last seen, run progress, stuck or not."""
        room, t = self._owned(code, token), _now(now)
        with self.reader.connect() as c:
            rows = c.execute(sa.select(members).where(members.c.room_id == room.id).order_by(members.c.id)).mappings()
            out = []
            for r in rows:
                progress = json.loads(r["progress"]) if r["progress"] else {}
                idle = t - (r["progress_at"] or r["joined"])
                out.append(
                    {
                        "nickname": r["nickname"],
                        "page": r["page"],
                        "seen_s": round(t - r["seen"]),
                        "epoch": progress.get("epoch"),
                        "metric": progress.get("metric"),
                        "metric_name": progress.get("metric_name"),
                        "diverged": bool(progress.get("diverged")),
                        "stuck": bool(progress.get("diverged"))
                        or (bool(progress) and idle > STUCK_SECONDS and not _good(progress)),
                    }
                )
        return out

    # follow me ---------------------------------------------------------------------------------------

    def push(self, code: str, token: str, page: str, title: str, query: dict, summary: str, *, now=None) -> int:
        """Send a page with its settings to the room; returns the push's number."""
        room, t = self._owned(code, token), _now(now)
        body = {"page": page, "title": title, "query": {str(k): str(v) for k, v in query.items()}, "summary": summary}
        with self.engine.begin() as c:
            self._touch(c, room.id, t, push=json.dumps(body), push_seq=rooms.c.push_seq + 1)
        return room.push_seq + 1

    # the wall ----------------------------------------------------------------------------------------

    def _count_items(self, c, member: Member) -> int:
        """What counts against a participant's limit: what they sent since the wall was last cleared."""
        q = sa.select(sa.func.count()).where(items.c.member_id == member.id, items.c.cleared == sa.false())
        return c.execute(q).scalar()

    def send_digit(self, member: Member, pixels: np.ndarray, label: int, read: int, *, now=None) -> int:
        """A drawing for the wall: 28x28 uint8 (MNIST's layout), the digit meant and the network's reading."""
        pixels = np.asarray(pixels)
        if pixels.shape != (28, 28) or not np.isfinite(pixels).all():
            raise ClassError("A drawing must be 28x28 pixels.")
        if label not in range(10) or read not in range(10):
            raise ClassError("Pick the digit you meant (0-9).")
        data = np.clip(pixels, 0, 255).astype(np.uint8)
        return self._send(member, "digit", now, label=int(label), read=int(read), pixels=data.tobytes(),
                          image=png(data))  # fmt: skip

    def send_network(self, member: Member, thumbnail: np.ndarray, info: dict, *, now=None) -> int:
        """A network for the wall: its boundary as an RGB array and its settings and metrics (``info``)."""
        body = json.dumps(info)
        if len(body) > MAX_META_BYTES:
            raise LimitReached("That network's description is too long to send.")
        return self._send(member, "network", now, image=png(np.asarray(thumbnail)), meta=body)

    def _send(self, member: Member, kind: str, now, **values) -> int:
        if values.get("image") is not None and len(values["image"]) > MAX_ITEM_BYTES:
            raise LimitReached("That picture is too large to send.")
        t = _now(now)
        with self.engine.begin() as c:
            last = c.execute(
                sa.select(items).where(items.c.member_id == member.id).order_by(items.c.id.desc()).limit(1)
            ).mappings().first()  # fmt: skip
            if (last is not None and last["kind"] == kind and t - last["created"] < REPEAT_SECONDS
                    and all(last[k] == v for k, v in values.items())):  # fmt: skip
                return last["id"]
            if self._count_items(c, member) >= MAX_ITEMS_PER_MEMBER:
                raise LimitReached(f"You have sent {MAX_ITEMS_PER_MEMBER} things to the wall, the most one person may.")
            result = c.execute(
                items.insert().values(room_id=member.room_id, member_id=member.id, kind=kind, created=t, **values)
            )
            self._touch(c, member.room_id, t)
        return result.inserted_primary_key[0]

    def wall(self, code: str, kind: str | None = None, *, hidden: bool = False, cleared: bool = False) -> list[dict]:
        """The room's wall, oldest first: each item with its sender's nickname and its PNG. ``hidden`` and
        ``cleared`` add what the instructor hid, and what "Clear the wall" took off it."""
        room = self.room(code)
        if room is None:
            return []
        q = (
            sa.select(items, members.c.nickname)
            .join(members, members.c.id == items.c.member_id)
            .where(items.c.room_id == room.id)
            .order_by(items.c.id)
        )
        if kind:
            q = q.where(items.c.kind == kind)
        if not hidden:
            q = q.where(items.c.hidden == sa.false())
        if not cleared:
            q = q.where(items.c.cleared == sa.false())
        with self.reader.connect() as c:
            rows = c.execute(q).mappings().all()
        return [
            {
                "id": r["id"],
                "kind": r["kind"],
                "nickname": r["nickname"],
                "label": r["label"],
                "read": r["read"],
                "image": r["image"],
                "pixels": r["pixels"],
                "meta": json.loads(r["meta"]) if r["meta"] else {},
                "hidden": r["hidden"],
                "cleared": r["cleared"],
                "created": r["created"],
            }
            for r in rows
        ]

    def hide(self, code: str, token: str, item_id: int | list[int], hidden: bool = True) -> None:
        """Hide one item or several (moderation), in one transaction: all of them or none."""
        room = self._owned(code, token)
        ids = [int(i) for i in (item_id if isinstance(item_id, list | tuple) else [item_id])]
        with self.engine.begin() as c:
            c.execute(items.update().where(items.c.id.in_(ids), items.c.room_id == room.id).values(hidden=hidden))
            self._touch(c, room.id, time.time())

    def clear_wall(self, code: str, token: str) -> None:
        room = self._owned(code, token)
        with self.engine.begin() as c:
            c.execute(items.update().where(items.c.room_id == room.id).values(cleared=True))
            self._touch(c, room.id, time.time())

    # polls -------------------------------------------------------------------------------------------

    def open_poll(self, code: str, token: str, question: str, answers: list[str]) -> int:
        room = self._owned(code, token)
        question = text.clean(question, text.QUESTION_CHARS, "question")
        answers = [text.clean(a, text.ANSWER_CHARS, "answer") for a in answers if isinstance(a, str) and a.strip()]
        if not 2 <= len(answers) <= 5:
            raise ClassError("A poll needs 2 to 5 answers.")
        t = time.time()
        with self.engine.begin() as c:
            result = c.execute(
                polls.insert().values(room_id=room.id, question=question, answers=json.dumps(answers), created=t)
            )
            self._touch(c, room.id, t)
        return result.inserted_primary_key[0]

    def poll(self, code: str, member: Member | None = None) -> Poll | None:
        """The room's latest poll with its counts (and ``member``'s answer)."""
        room = self.room(code)
        if room is None:
            return None
        with self.reader.connect() as c:
            row = (
                c.execute(sa.select(polls).where(polls.c.room_id == room.id).order_by(polls.c.id.desc()).limit(1))
                .mappings()
                .first()
            )
            if row is None:
                return None
            answers = json.loads(row["answers"])
            counts = [0] * len(answers)
            mine = None
            for member_id, answer in c.execute(
                sa.select(votes.c.member_id, votes.c.answer).where(votes.c.poll_id == row["id"])
            ):
                if 0 <= answer < len(counts):
                    counts[answer] += 1
                if member is not None and member_id == member.id:
                    mine = answer
        return Poll(row["id"], row["question"], answers, bool(row["revealed"]), counts, mine)

    def vote(self, member: Member, poll_id: int, answer: int) -> None:
        with self.engine.begin() as c:
            row = c.execute(sa.select(polls).where(polls.c.id == int(poll_id))).mappings().first()
            if row is None or row["room_id"] != member.room_id:
                raise ClassError("That poll has closed.")
            if not 0 <= int(answer) < len(json.loads(row["answers"])):
                raise ClassError("That is not one of the answers.")
            c.execute(votes.delete().where(votes.c.poll_id == row["id"], votes.c.member_id == member.id))
            c.execute(votes.insert().values(poll_id=row["id"], member_id=member.id, answer=int(answer)))
            if row["revealed"]:  # everyone sees the bars
                self._touch(c, member.room_id, time.time())
            else:  # only the instructor does
                c.execute(rooms.update().where(rooms.c.id == member.room_id)
                          .values(tally=rooms.c.tally + 1, active=time.time()))  # fmt: skip

    def reveal(self, code: str, token: str, poll_id: int) -> None:
        room = self._owned(code, token)
        with self.engine.begin() as c:
            c.execute(
                polls.update().where(polls.c.id == int(poll_id), polls.c.room_id == room.id).values(revealed=True)
            )
            self._touch(c, room.id, time.time())

    # challenges --------------------------------------------------------------------------------------

    def set_challenge(self, code: str, token: str, challenge: Challenge,
                      data_sets: dict[str, tuple[str, bool]]) -> int:  # fmt: skip
        """Set the room's challenge. ``data_sets``: the data sets of ``challenge.page`` a challenge may name,
        key -> (label, regression), as the page's topic lists them (the caller asks it; a topic never
        imports another)."""
        room = self._owned(code, token)
        name = text.clean(challenge.name, text.TITLE_CHARS, "challenge's name")
        if challenge.metric not in ("val_accuracy", "val_loss") or challenge.tiebreak not in ("weights", "epochs"):
            raise ClassError("Unknown challenge measure.")
        sets = data_sets if challenge.page in CHALLENGE_PAGES else {}
        if challenge.data not in sets:
            raise ClassError("Choose a page and one of its data sets for the challenge.")
        if sets[challenge.data][1] and challenge.metric == "val_accuracy":
            raise ClassError(f"{sets[challenge.data][0]} is a regression: it has no accuracy. Set a validation "
                             "loss to reach instead.")  # fmt: skip
        if not np.isfinite(challenge.target) or not 0 < challenge.target <= (
            1 if challenge.metric == "val_accuracy" else 100
        ):
            raise ClassError("The target is out of range.")
        spec = {**challenge.__dict__, "name": name}
        spec.pop("id")
        t = time.time()
        with self.engine.begin() as c:
            result = c.execute(challenges.insert().values(room_id=room.id, spec=json.dumps(spec), created=t))
            self._touch(c, room.id, t)
        return result.inserted_primary_key[0]

    def challenge(self, code: str) -> Challenge | None:
        room = self.room(code)
        if room is None:
            return None
        with self.reader.connect() as c:
            row = c.execute(
                sa.select(challenges).where(challenges.c.room_id == room.id).order_by(challenges.c.id.desc()).limit(1)
            ).first()
        return Challenge(**json.loads(row.spec), id=row.id) if row else None

    def post_entry(self, member: Member, challenge: Challenge, score: float, weights: int, epochs: int,
                   query: dict) -> bool:  # fmt: skip
        """Post a run that reached the target; returns False when it does not (or the challenge changed)."""
        if not challenge.reached(score):
            return False
        t = time.time()
        with self.engine.begin() as c:
            latest = c.execute(
                sa.select(sa.func.max(challenges.c.id)).where(challenges.c.room_id == member.room_id)
            ).scalar()
            if latest != challenge.id:
                return False  # the instructor has set another challenge (or this one is another room's)
            mine = c.execute(
                sa.select(sa.func.count()).where(
                    entries.c.challenge_id == challenge.id, entries.c.member_id == member.id
                )
            ).scalar()
            if mine >= MAX_ENTRIES_PER_MEMBER:
                raise LimitReached(
                    f"You have posted {MAX_ENTRIES_PER_MEMBER} runs to this challenge, the most one person may."
                )
            c.execute(
                entries.insert().values(
                    challenge_id=challenge.id, member_id=member.id, score=float(score), weights=int(weights),
                    epochs=int(epochs), query=json.dumps({str(k): str(v) for k, v in query.items()}), created=t,
                )
            )  # fmt: skip
            self._touch(c, member.room_id, t)
        return True

    def leaderboard(self, code: str, challenge: Challenge | None = None) -> list[dict]:
        """Each member's best run for the challenge, best first: the tie-break, then the score, then who was first."""
        challenge = challenge or self.challenge(code)
        if challenge is None:
            return []
        with self.reader.connect() as c:
            rows = (
                c.execute(
                    sa.select(entries, members.c.nickname)
                    .join(members, members.c.id == entries.c.member_id)
                    .where(entries.c.challenge_id == challenge.id)
                )
                .mappings()
                .all()
            )
        better = 1 if challenge.metric == "val_accuracy" else -1

        def rank(r):
            return (r[challenge.tiebreak], -better * r["score"], r["created"])

        best: dict[int, dict] = {}
        for r in sorted(rows, key=rank):
            best.setdefault(r["member_id"], dict(r))
        board = sorted(best.values(), key=rank)
        return [
            {
                "nickname": r["nickname"],
                "score": r["score"],
                "weights": r["weights"],
                "epochs": r["epochs"],
                "query": json.loads(r["query"]),
            }  # fmt: skip
            for r in board
        ]

    # export ------------------------------------------------------------------------------------------

    def export(self, code: str, token: str) -> dict:
        """Everything the room holds, as JSON-ready data (no tokens, no pictures)."""
        room = self._owned(code, token)
        with self.reader.connect() as c:
            people = c.execute(sa.select(members.c.id, members.c.nickname, members.c.joined, members.c.page)
                               .where(members.c.room_id == room.id)).mappings().all()  # fmt: skip
            poll_rows = c.execute(sa.select(polls).where(polls.c.room_id == room.id)).mappings().all()
            all_votes = (
                c.execute(sa.select(votes).where(votes.c.poll_id.in_([p["id"] for p in poll_rows] or [-1])))
                .mappings()
                .all()
            )
        names = {p["id"]: p["nickname"] for p in people}
        challenge = self.challenge(code)
        return {
            "room": {"code": room.code, "title": room.title},
            "members": [{"nickname": p["nickname"], "joined": p["joined"], "page": p["page"]} for p in people],
            "wall": [
                {k: v for k, v in item.items() if k not in ("image", "pixels")}
                for item in self.wall(code, hidden=True, cleared=True)
            ],
            "polls": [
                {
                    "question": p["question"],
                    "answers": json.loads(p["answers"]),
                    "votes": [
                        {"nickname": names.get(v["member_id"]), "answer": v["answer"]}
                        for v in all_votes
                        if v["poll_id"] == p["id"]
                    ],
                }  # fmt: skip
                for p in poll_rows
            ],
            "challenge": challenge.__dict__ if challenge else None,
            "leaderboard": self.leaderboard(code, challenge),
        }

    def drawings_npz(self, code: str, token: str) -> bytes:
        """The room's labelled drawings in MNIST's layout: ``x`` (n, 28, 28) uint8 and ``y`` (n,) uint8.

        Every round's drawings, those taken off by "Clear the wall" too; not those the instructor hid.
        """
        self._owned(code, token)
        drawings = [d for d in self.wall(code, "digit", cleared=True) if d["pixels"]]
        x = np.stack([np.frombuffer(d["pixels"], np.uint8).reshape(28, 28) for d in drawings]) if drawings else \
            np.zeros((0, 28, 28), np.uint8)  # fmt: skip
        y = np.array([d["label"] for d in drawings], np.uint8)
        out = io.BytesIO()
        np.savez_compressed(out, x_train=x, y_train=y)
        return out.getvalue()


def png(image: np.ndarray) -> bytes:
    """A PNG made here from pixel values, so nothing a participant's browser sent reaches anyone else as is."""
    from PIL import Image

    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.shape[0] > 256 or image.shape[1] > 256 or image.size == 0:
        raise ClassError("A picture must be at most 256x256 pixels.")
    data = np.clip(np.nan_to_num(image), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(data).save(out, format="PNG", optimize=True)
    return out.getvalue()
