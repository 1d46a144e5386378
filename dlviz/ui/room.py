"""Class mode in the browser: the room's database, who this session is in a room, follow-me, the send buttons.

The database is reached through ``st.connection(type="sql")``: SQLite in the data folder by default, the
PostgreSQL that ``DLVIZ_DATABASE_URL`` names when replicas share one. Everything a room holds lives there,
never in this process, so replicas agree. A participant's identity is a token in the address (``me``); an
instructor's is the private link's ``key``, which this module takes out of the address at once so that a
projected address bar never shows it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

import numpy as np
import sqlalchemy as sa
import streamlit as st

from dlviz.classroom import share
from dlviz.classroom.store import ROOM_HOURS, ClassError, Member, Room, Store, engine_options, normal_code, prepare
from dlviz.core import catalog
from dlviz.core import settings as query

CONNECTION = "dlviz_class"
ROOM_PARAM, MEMBER_PARAM, KEY_PARAM = "room", "me", "key"
SEAT = "class.seat"
POLL_SECONDS = 1.0  # how often a participant's page looks for a push
REDRAW_SECONDS = 2.0  # a participant's Class page redraws for news at most this often
# The projector's page (one session, and its redraw costs about 60 ms with a full wall) looks twice a second
# and redraws on every change: a send shows on the wall well within 2 s even while the room is busy.
INSTRUCTOR_POLL_SECONDS = 0.5
# Every participant's page in a process shares one read of its room this fresh: thirty pages looking each
# second cost one query every 0.4 s instead of thirty a second. The database stays the only truth (replicas
# agree within this), and a push still shows within about 1.4 s.
SHARED_LOOK_SECONDS = 0.4
BEAT_FAILED = "failed"
HEARTBEAT_SECONDS = 10.0  # how often it tells the dashboard where it is
JOIN_ATTEMPTS = 12  # codes one session may try: with 32**6 codes, guessing one is hopeless
DB_ERRORS = (sa.exc.SQLAlchemyError, OSError)
PENDING = "class.pending"  # a room link that arrived while the database was down: kept, and tried again
DOWN = (
    "Class mode cannot reach its database right now; it tries again on its own. "
    "Everything else on this page works as usual."
)
state = st.session_state


def data_dir() -> Path:
    """Where dlviz keeps what must outlive the server (the class database): ``DLVIZ_DATA_DIR``."""
    return Path(os.environ.get("DLVIZ_DATA_DIR") or Path.home() / ".local" / "share" / "dlviz")


def database_url() -> str:
    url = os.environ.get("DLVIZ_DATABASE_URL", "").strip()
    if url:
        return url
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'class.sqlite'}"


def database_kind(url: str | None = None) -> str:
    """Where the rooms are kept, in words for the instructor (no password): "SQLite (path)", "PostgreSQL (host)"."""
    parsed = sa.engine.make_url(url or database_url())
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite ({parsed.database})"
    name = "PostgreSQL" if parsed.get_backend_name() == "postgresql" else parsed.get_backend_name()
    return f"{name} ({parsed.host or 'local socket'}{f':{parsed.port}' if parsed.port else ''})"


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    """One store per process (its engine pools connections for every session); not kept when it fails."""
    connection = st.connection(CONNECTION, type="sql", url=url, **engine_options(url))
    return Store(prepare(connection.engine))


class Unavailable(Exception):
    """The class database cannot be reached (down, locked for too long, misconfigured)."""


def store() -> Store:
    try:
        return _store(database_url())
    except DB_ERRORS as err:
        raise Unavailable(DOWN) from err


@contextmanager
def problems(where=None, *, quiet: bool = False) -> Iterator[None]:
    """Run a block of class code: a refusal shows as a warning, a database outage as a plain notice."""
    where = where or st
    try:
        yield
    except (ClassError, ValueError) as err:
        where.warning(str(err), icon=":material/block:")
    except (Unavailable, *DB_ERRORS):
        if quiet:
            where.caption(DOWN)
        else:
            where.error(DOWN, icon=":material/cloud_off:")


def act(action, done: str = "") -> bool:
    """Run a class action from a button's callback; what came of it is kept for ``message()`` to show.

    Buttons act through callbacks (they run before the script and survive the navigation's first rerun).
    """
    try:
        action()
    except (ClassError, ValueError) as err:
        state["class.message"] = ("warning", str(err))
        return False
    except (Unavailable, *DB_ERRORS):
        state["class.message"] = ("error", DOWN)
        return False
    if done:
        state["class.message"] = ("success", done)
    return True


def message(where=None) -> None:
    """Show (once) what the last class action came to."""
    kept = state.pop("class.message", None)
    if kept:
        kind, text = kept
        show = {"warning": (where or st).warning, "error": (where or st).error, "success": (where or st).success}
        show[kind](text)


# --- who this session is ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    code: str
    token: str
    instructor: bool
    nickname: str = ""
    member_id: int = 0
    room_id: int = 0

    @property
    def member(self) -> Member:
        return Member(self.member_id, self.room_id, self.nickname)


def seat() -> Seat | None:
    return state.get(SEAT)


def take_seat(new: Seat) -> None:
    state[SEAT] = new
    state["class.seen_push"] = 0
    state.pop("class.beat", None)


def leave() -> None:
    for key in [k for k in state if str(k).startswith("class.") and k != "class.attempts"]:
        del state[key]
    for param in (ROOM_PARAM, MEMBER_PARAM, KEY_PARAM):
        st.query_params.pop(param, None)


INSTRUCTOR_COOKIE = "dlviz_instructor"  # "CODE:KEY" on the instructor's own browser, so a reload keeps the seat

# Sets (or, with max_age 0, removes) the instructor's cookie in the browser: Streamlit reads cookies
# (st.context.cookies, sent with each new session) but has no call that sets one.
_cookie_setter = None


def _set_cookie(value: str, max_age: int) -> None:
    global _cookie_setter
    if _cookie_setter is None:
        _cookie_setter = st.components.v2.component(
            "dlviz_instructor_cookie",
            js="""export default function ({ data }) {
                document.cookie = `${data.name}=${encodeURIComponent(data.value)}; max-age=${data.max_age}; ` +
                                  "path=/; SameSite=Strict";
            }""",
        )
    _cookie_setter(data={"name": INSTRUCTOR_COOKIE, "value": value, "max_age": max_age}, key="class.cookie_setter")


def remember_instructor() -> None:
    """On the instructor's page: keep their seat in a cookie of their browser for as long as a room lives, so
    that reloading the projector's tab (or the laptop waking up) does not hand the room back to the lobby.
    The private link's key never goes in the address, where a projected address bar would show it. Once a
    session; after "End the room", the next run removes the cookie."""
    s = seat()
    if state.pop("class.forget_cookie", False):
        _set_cookie("", 0)
    elif s is not None and s.instructor and state.get("class.cookie_room") != s.code:
        _set_cookie(f"{s.code}:{s.token}", ROOM_HOURS * 3600)
        state["class.cookie_room"] = s.code


def _cookie_key(code: str) -> str | None:
    """The instructor's key for room ``code`` from this browser's cookie, if it holds one."""
    try:
        saved = st.context.cookies.get(INSTRUCTOR_COOKIE)
    except Exception:  # no browser context (a test harness, a websocket client)
        return None
    if not isinstance(saved, str):
        return None
    saved_code, _, key = unquote(saved).partition(":")
    return key if key and normal_code(saved_code) == code else None


def arrive() -> None:
    """Take a room link's identity into the session (once), then keep the room in the address."""
    params = st.query_params
    code, me, key = (params.get(p) for p in (ROOM_PARAM, MEMBER_PARAM, KEY_PARAM))
    current = seat()
    pending = state.get(PENDING)
    if current is None and pending and not code:  # the address was tidied while the database was down: try again
        code, me = pending.get(ROOM_PARAM), pending.get(MEMBER_PARAM)
    if code and not (me or key) and current is None and (saved := _cookie_key(normal_code(code))):
        with problems(quiet=True):  # the instructor's own browser, reloaded (a stale cookie is ignored)
            key = saved if store().is_owner(normal_code(code), saved) else None
    fresh = (
        code and (me or key) and (current is None or (current.code, current.token) != (normal_code(code), me or key))
    )
    if fresh:
        try:
            _sit(normal_code(code), me, key)
            state.pop(PENDING, None)
        except (ClassError, ValueError) as err:
            state.pop(PENDING, None)
            st.warning(str(err), icon=":material/block:")
        except (Unavailable, *DB_ERRORS):
            # The seat cannot be checked now: keep the participant's link in the address (a reload later still
            # finds the room) and try again on the next run. The instructor's key never stays in the address.
            state[PENDING] = {ROOM_PARAM: code, **({MEMBER_PARAM: me} if me else {})}
            st.caption(DOWN)
    if KEY_PARAM in params:
        params.pop(KEY_PARAM)  # never left in the address: a projected address bar would show it
    keep_in_address()


def _sit(code: str | None, me: str | None, key: str | None) -> None:
    shop = store()
    if code and key and shop.is_owner(code, key):
        room = shop.room(code)
        take_seat(Seat(code, key, True, nickname="instructor", room_id=room.id))
        state["class.private_link"] = True
        return
    member = shop.member(code, me) if code and me else None
    if member is None:
        state["class.notice"] = "That class link is not valid (the room has ended, or the link was changed)."
        return
    take_seat(Seat(code, me, False, member.nickname, member.id, member.room_id))


def address_params() -> dict[str, str]:
    """What the address keeps for class mode: the room, and a participant's token (never the instructor's)."""
    s = seat()
    if s is None:
        return dict(state.get(PENDING) or {})
    return {ROOM_PARAM: s.code} if s.instructor else {ROOM_PARAM: s.code, MEMBER_PARAM: s.token}


def keep_in_address() -> None:
    wanted = address_params()
    if any(st.query_params.get(k) != v for k, v in wanted.items()):
        st.query_params.update(wanted)


def link(path: str, params: dict) -> str:
    """An absolute link to ``path`` on this server (for the join link and its QR code)."""
    parts = urlsplit(st.context.url or "http://localhost:8501/")
    return f"{parts.scheme}://{parts.netloc}/{path}" + (f"?{urlencode(params)}" if params else "")


# --- opening the instructor's (or a classmate's) view without losing one's own ---------------------------


def open_view(path: str, params: dict) -> None:
    """A button's callback: open page ``path`` with ``params`` as its settings (``class_bar`` switches to it)."""
    if prepare_view(path, params):
        state["class.go"] = path


def prepare_view(path: str, params: dict) -> bool:
    """Set page ``path`` up with ``params`` as its settings, keeping this session's own settings and runs there.

    The first time a view is opened on a page, what the participant had there (its settings and runs) is set
    aside; "Back to my own work" puts it back.
    """
    info = catalog.by_path(path)
    if info is None:
        return False
    cls = info.settings_class()
    if cls is not None:
        own = state.setdefault("class.own", {})
        if info.name not in own:
            own[info.name] = {k: state[k] for k in (info.name, *info.work) if k in state}
        _forget_page(info)
        state[info.name], state[info.name + ".problems"] = query.from_query(cls, dict(params))
    return True


def _forget_page(info: catalog.PageInfo) -> None:
    for key in [k for k in state if str(k).startswith(info.prefix + ".") or k == info.name]:
        del state[key]


def back_to_own(info: catalog.PageInfo) -> None:
    own = state.get("class.own", {}).pop(info.name, None)
    _forget_page(info)
    if own:
        state.update(own)


# --- on every page ------------------------------------------------------------------------------------


def class_bar(info: catalog.PageInfo) -> None:
    """The room's strip on every page: the sidebar's room line, the instructor's push button, the banner."""
    state["class.runs"] = state.get("class.runs", 0) + 1  # full runs only: fragments rerun without this
    arrive()
    go = state.pop("class.go", None)
    if go and go != info.path:
        st.switch_page(go)
    notice = state.pop("class.notice", None)
    if notice:
        st.warning(notice, icon=":material/link_off:")
    s = seat()
    if s is None:
        return
    side = st.sidebar
    side.caption(f"Class **{s.code}**" + ("" if s.instructor else f" · you are {_plain(s.nickname)}"))
    if s.instructor and info is not catalog.CLASS:
        side.button("Send this page to the room", icon=":material/cast:", on_click=_push, args=(info,),
                    help="Every participant gets a banner to open this page with these settings.")  # fmt: skip
        message(side)
    if not s.instructor:
        side.toggle("Follow the instructor", key=_initial("class.follow", False),
                    help="Open what the instructor sends as soon as it arrives. Your own work is kept.")  # fmt: skip
        if info.name in state.get("class.own", {}):  # an instructor's view stands here in place of one's own work
            st.button("Back to my own work", icon=":material/undo:", on_click=back_to_own, args=(info,),
                      help="Your own settings and runs on this page, as you left them.")  # fmt: skip
        _follow(info.path)


def _initial(key: str, value) -> str:
    if key not in state:
        state[key] = value
    return key


def _plain(text: str) -> str:
    from dlviz.ui.widgets import plain

    return plain(text)


def _push(info: catalog.PageInfo) -> None:
    s = seat()
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in (ROOM_PARAM, MEMBER_PARAM, KEY_PARAM)}
    params.pop("projector", None)
    settings = state.get(info.name)
    summary = share.summary(info.title, settings) if settings is not None else info.title
    act(lambda: store().push(s.code, s.token, info.path, info.title, params, summary), f"Sent to the room: {summary}")


@st.cache_data(ttl=SHARED_LOOK_SECONDS, max_entries=256, show_spinner=False)
def _room_as_seen(url: str, code: str) -> Room | None:
    """The room as the process's participants see it in their one-second look (shared, at most 0.4 s old)."""
    return store().room(code)


@st.fragment(run_every=POLL_SECONDS)
def _follow(path: str) -> None:
    """A participant's look at the room, every second: a push to open, the heartbeat, challenge entries."""
    go = state.pop("class.go", None)
    if go:  # "Open" was clicked: a fragment's button reruns only the fragment, so the page is switched here
        _switch(path, go)
    s = seat()
    if s is None:
        return
    with problems(quiet=True):
        shop = store()
        room = shop.room(s.code) if s.instructor else _room_as_seen(database_url(), s.code)
        if room is None:
            leave()
            st.info(
                "The instructor has ended the room. Everything on this page is still yours.",
                icon=":material/door_open:",
            )
            return
        _heartbeat(shop, s, path)
        if path == catalog.CLASS.path:
            _redraw_if_changed(room, s)
        push = room.push
        if not push or room.push_seq <= state.get("class.seen_push", 0):
            return
        target = catalog.by_path(push.get("page"))
        if target is None:
            return
        if state.get("class.follow"):
            state["class.seen_push"] = room.push_seq
            if prepare_view(target.path, push.get("query", {})):
                _switch(path, target.path)
        with st.container(border=True):
            text_col, open_col, later_col = st.columns([6, 1, 1], vertical_alignment="center")
            text_col.markdown(f":material/cast: **The instructor opened {_plain(push.get('summary', target.title))}**")
            open_col.button("Open", type="primary", key="class.open_push", width="stretch", on_click=_open_push,
                            args=(room.push_seq, target.path, push.get("query", {})))  # fmt: skip
            later_col.button(
                "Dismiss", key="class.dismiss_push", width="stretch", on_click=_seen, args=(room.push_seq,)
            )


# --- the Class page redraws when the room changes, not on a timer ---------------------------------------


def signature(room: Room, s: Seat) -> tuple:
    """What a seat's Class page shows changes with this: the instructor also sees votes on a hidden poll."""
    return (room.version, room.tally) if s.instructor else (room.version,)


def mark_drawn(room: Room, s: Seat) -> None:
    """The Class page calls this as it draws the room's views: later changes to the room redraw it."""
    state["class.drawn"] = (signature(room, s), time.monotonic(), state.get("class.runs", 0))


def _redraw_if_changed(room: Room, s: Seat) -> None:
    """From a fragment's rerun: redraw the whole page when the room has changed since the page was drawn.

    Only what the page drew in the latest full run counts: during a full run the fragment runs before the
    page draws (``class_bar`` comes first), and rerunning then would never let the page finish.
    """
    drawn = state.get("class.drawn")
    if not drawn or drawn[2] != state.get("class.runs", 0) or drawn[0] == signature(room, s):
        return
    if s.instructor or time.monotonic() - drawn[1] >= REDRAW_SECONDS:
        st.rerun(scope="app")


@st.fragment(run_every=INSTRUCTOR_POLL_SECONDS)
def redraw_on_change(s: Seat) -> None:
    """The instructor's Class page: one small read a second; the page is redrawn only when the room changed.

    (A participant's page does the same inside its look at the room, ``_follow``.)
    """
    with problems(quiet=True):
        current = store().room(s.code)
        if current is not None:
            _redraw_if_changed(current, s)


def _switch(here: str, there: str) -> None:
    """From inside the fragment: show page ``there`` with the settings just set (the whole app reruns)."""
    if there != here:
        st.switch_page(there)
    st.rerun(scope="app")


def _seen(seq: int) -> None:
    state["class.seen_push"] = seq


def _open_push(seq: int, path: str, params: dict) -> None:
    _seen(seq)
    open_view(path, params)


def _heartbeat(shop: Store, s: Seat, path: str) -> None:
    info = catalog.by_path(path)
    run = state.get(f"{info.prefix}.run") if info and info.prefix else None
    progress = share.progress(run)
    beat = (path, None if progress is None else (progress["epoch"], progress["metric"]))
    last = state.get("class.beat")
    if last and last[0] in (beat, BEAT_FAILED) and time.monotonic() - last[1] < HEARTBEAT_SECONDS:
        if last[0] == BEAT_FAILED:
            st.caption(DOWN)
        return
    try:
        shop.heartbeat(s.member, info.title if info else "", progress)
    except DB_ERRORS:
        # SQLite locked past the heartbeat's short wait, or the database gone: say so, and try again in a
        # while rather than on every look (the look at the room, a read, goes on: pushes still arrive).
        state["class.beat"] = (BEAT_FAILED, time.monotonic())
        st.caption(DOWN)
        return
    state["class.beat"] = (beat, time.monotonic())
    if progress and info is not None:
        _post_if_reached(shop, s, info, run)


def _post_if_reached(shop: Store, s: Seat, info: catalog.PageInfo, run) -> None:
    """A run that reaches the room's challenge goes on its leaderboard (once per run and challenge), with
    the first epoch that reached the target and its best validation figure."""
    challenge = shop.challenge(s.code)
    if challenge is None or challenge.page != info.name or share.data_of(run.settings) != challenge.data:
        return
    posted = (challenge.id, id(run))
    if state.get("class.posted") == posted:
        return
    own = share.own_run(run)
    hit = challenge.first_reached(getattr(own.history, challenge.metric, ()))
    if hit is None:
        return
    from dlviz.core.settings import to_query

    epochs, score = hit
    weights = int(own.model.count_params()) if hasattr(own, "model") else 0
    if shop.post_entry(s.member, challenge, score, weights, epochs, to_query(run.settings)):
        state["class.posted"] = posted
        st.toast(f"Your run reached the challenge ({challenge.describe()}): it is on the leaderboard.", icon="🏆")


def challenge_data(page: str) -> dict[str, tuple[str, bool]]:
    """A page's data sets a challenge can name: key -> (label, regression)."""
    if page == "playground":
        from dlviz.core.datasets import DATASETS

        return {k: (d.label, d.regression) for k, d in DATASETS.items() if not d.drawn}
    if page == "overfitting":
        from dlviz.overfitting.engine import TASKS

        return {k: (label, k == "curve") for k, label in TASKS.items()}
    return {}


def set_challenge(s: Seat, challenge) -> None:
    """The instructor sets the room's challenge (checked against its page's data sets)."""
    store().set_challenge(s.code, s.token, challenge, challenge_data(challenge.page))


# --- send buttons on the pages --------------------------------------------------------------------------


def participant() -> Seat | None:
    s = seat()
    return s if s is not None and not s.instructor else None


def send_digit(pixels: np.ndarray, read: int) -> None:
    """Below a reading on Digits: which digit was meant, and "Send to the wall"."""
    s = participant()
    if s is not None:
        _digit_sender(s, pixels, read)


@st.fragment
def _digit_sender(s: Seat, pixels: np.ndarray, read: int) -> None:
    """A fragment of its own: choosing the digit and sending rerun only these two widgets, not the reading and
    its pictures above them, which a room sending at once would make the server draw again for each send."""
    meant_col, send_col = st.columns([1, 1], vertical_alignment="bottom")
    meant_col.selectbox("The digit you meant", list(range(10)), index=read, key=f"class.meant.{read}")

    def send() -> None:
        meant = int(state[f"class.meant.{read}"])
        act(lambda: store().send_digit(s.member, np.asarray(pixels) * 255.0, meant, int(read)),
            f"Sent to the wall: your {meant}.")  # fmt: skip

    send_col.button("Send to the wall", icon=":material/send:", key="class.send_digit", width="stretch", on_click=send)
    message()


def send_network(settings, run, *, playing: bool = False) -> None:
    """Below the Playground's controls: "Send my network" with its boundary, settings and metrics."""

    def made() -> tuple[np.ndarray, dict]:
        from dlviz.core.settings import to_query

        thumb = share.boundary_thumbnail(run.snapshot().output, settings.regression)
        return thumb, share.network_info(run.settings, run.history, run.model.count_params(), to_query(run.settings))

    _send_button(run.epoch > 0, made, "Train it first: the wall shows its boundary and accuracy.", playing)


def send_race(settings, race, *, playing: bool = False) -> None:
    """Below Overfitting's controls: "Send my network" with the regularized copy's boundary (or curve), its
    regularizers and validation metrics, and the baseline's validation loss beside them."""

    def made() -> tuple[np.ndarray, dict]:
        from dlviz.core.settings import to_query

        s, out = race.settings, race.outputs()["regularized"]
        split = race.split
        thumb = (share.curve_thumbnail(race.axis, out, split.x_train, split.y_train) if s.regression
                 else share.boundary_thumbnail(out))  # fmt: skip
        weights = race.regularized.model.count_params()
        return thumb, share.race_info(s, race.regularized.history, race.baseline.history, weights, to_query(s))

    _send_button(race.epoch > 0, made, "Train first: the wall shows the regularized copy and both validation losses.",
                 playing)  # fmt: skip


def _send_button(ready: bool, made, why: str, playing: bool = False) -> None:
    """While the page trains, a plain button: its click stops the training run to send (a fragment's would wait
    for the run to end, Streamlit never interrupts a whole-page run for one). Paused, a fragment of its own: the
    click reruns only the button, not the page's four figures, which a room sending at once would redraw."""
    s = participant()
    if s is None:
        return
    if playing:
        _network_sender(s, ready, made, why)
    else:
        _quick_network_sender(s, ready, made, why)


def _network_sender(s: Seat, ready: bool, made, why: str) -> None:
    def send() -> None:
        thumb, info = made()
        act(lambda: store().send_network(s.member, thumb, info), "Sent: your network is on the room's wall.")

    st.button("Send my network to the wall", icon=":material/send:", key="class.send_network", on_click=send,
              disabled=not ready, help=why)  # fmt: skip
    message()


_quick_network_sender = st.fragment(_network_sender)
