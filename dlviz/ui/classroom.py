"""The Class page's views: the lobby (join, start a room), the instructor's room (dashboard, wall, poll,
challenge, export and end) and a participant's room. ``pages/class.py`` picks one for the seat."""

from __future__ import annotations

import base64
import hmac
import io
import json
import os

import numpy as np
import pandas as pd
import streamlit as st

from dlviz.classroom import figures, share
from dlviz.classroom.store import CHALLENGE_PAGES, PRESETS, ROOM_HOURS, Challenge
from dlviz.core import catalog
from dlviz.ui import room
from dlviz.ui.confusion import pick_cell
from dlviz.ui.room import problems, store
from dlviz.ui.widgets import chart, plain, projector

REFRESH_SECONDS = 2.0  # the instructor's dashboard (who is where, for how long) is redrawn this often
state = st.session_state


# --- not in a room yet --------------------------------------------------------------------------------
def lobby() -> None:
    st.caption("Join the room on the projector with its code, or start one if you are the instructor.")
    room.message()
    with st.form("class.join_form", border=True):
        st.subheader("Join a room")
        code_col, nick_col = st.columns(2)
        code_col.text_input("Room code", value=st.query_params.get(room.ROOM_PARAM, ""), max_chars=12,
                            placeholder="ABC123", key="class.code")  # fmt: skip
        nick_col.text_input("Your nickname", max_chars=24, placeholder="what the room will see", key="class.nick",
                            help="No account, no e-mail: just a name for the wall.")  # fmt: skip
        st.form_submit_button("Join", type="primary", icon=":material/login:", on_click=join)
    with st.expander("Start a room (instructors)", icon=":material/co_present:"):
        with st.form("class.create_form", border=False):
            st.text_input("Workshop name", value="Workshop", max_chars=80, key="class.title")
            if os.environ.get("DLVIZ_INSTRUCTOR_PASSWORD"):
                st.text_input("Instructor password", type="password", key="class.password")
            st.form_submit_button("Start a room", icon=":material/add:", on_click=create)


def join() -> None:
    attempts = state["class.attempts"] = state.get("class.attempts", 0) + 1
    if attempts > room.JOIN_ATTEMPTS:
        state["class.message"] = ("error", "Too many tries from this browser: ask the instructor for the room's "
                                  "link or QR code.")  # fmt: skip
        return

    def sit() -> None:
        code = str(state.get("class.code", ""))
        member, token = store().join(code, state.get("class.nick", ""))
        room.take_seat(room.Seat(room.normal_code(code), token, False, member.nickname, member.id, member.room_id))
        room.keep_in_address()

    room.act(sit)


def create() -> None:
    password = os.environ.get("DLVIZ_INSTRUCTOR_PASSWORD", "")
    if password and not hmac.compare_digest(str(state.get("class.password", "")).encode(), password.encode()):
        state["class.message"] = ("error", "That is not this server's instructor password.")
        return

    def start() -> None:
        new, token = store().create_room(state.get("class.title") or "Workshop")
        room.take_seat(room.Seat(new.code, token, True, "instructor", room_id=new.id))
        state["class.private_link"] = room.link("class", {room.ROOM_PARAM: new.code, room.KEY_PARAM: token})
        room.keep_in_address()

    room.act(start)


# --- the wall (the instructor moderates it; participants see it too) ------------------------------------
@st.cache_data(show_spinner=False, ttl=120, max_entries=64)
def wall_at(code: str, version: int, hidden: bool) -> list[dict]:
    """The wall as it was at ``version`` (the room's version number): one read per change, for every session."""
    return store().wall(code, hidden=hidden)


# The wall's pictures go out as data URLs: st.image would decode and encode each PNG again on every redraw
# (about 1.3 ms apiece); a data URL is sent as it is. Each drawing is encoded once for every session.
@st.cache_data(show_spinner=False, max_entries=4096)
def drawing(item_id: int, _pixels: bytes) -> str:
    return data_url(figures.drawing_png(np.frombuffer(_pixels, np.uint8).reshape(28, 28) / 255.0))


@st.cache_data(show_spinner=False, max_entries=512)
def thumbnail(item_id: int, _png: bytes) -> str:
    return data_url(_png)


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def show_wall(s: room.Seat) -> None:
    shop = store()
    version = shop.version(s.code)
    if version is None:
        return
    items = wall_at(s.code, version, False)
    drawings = [i for i in items if i["kind"] == "digit"]
    networks = [i for i in items if i["kind"] == "network"]
    if not items:
        st.info(
            "The wall is empty. Participants send drawings from **Digits** and networks from the **Playground** and **Overfitting & dropout**."
        )
    if drawings:
        matrix, accuracy = share.confusion(drawings)
        st.subheader(f"Drawings: {len(drawings)}, the network read {accuracy:.0%} of them as meant")
        matrix_col, cell_col = st.columns([1, 1])
        cell, empty = pick_cell(matrix_col, cell_col, matrix, [str(d) for d in range(10)], key="class",
                                prompt="Show the drawings (or click a cell of the matrix)",
                                nothing="all, grouped by what the network read", projector=projector(),
                                describe=lambda c: f"meant {c[0]}, read as {c[1]} ({matrix[c]})")  # fmt: skip
        if empty is not None:
            cell_col.caption(f"Nobody's {empty[0]} was read as {empty[1]}.")
        chosen = [d for d in drawings if cell is None or (d["label"], d["read"]) == cell]
        for read in sorted({d["read"] for d in chosen}):
            group = [d for d in chosen if d["read"] == read][-24:]
            cell_col.markdown(f"**Read as {read}**")
            cell_col.html(figures.drawing_grid([drawing(d["id"], d["pixels"]) for d in group],
                                               [d["nickname"] for d in group], [d["label"] for d in group],
                                               [d["label"] != d["read"] for d in group], projector=projector()))  # fmt: skip
        cell_col.caption("Under each drawing: who sent it and the digit they meant; misreads in red.")
    if networks:
        st.subheader(f"Networks: {len(networks)}")
        cols = st.columns(4)
        for n, item in enumerate(reversed(networks[-24:])):
            col = cols[n % 4]
            meta = item["meta"]
            col.image(thumbnail(item["id"], item["image"]), width="stretch")
            col.caption(f"**{plain(item['nickname'])}** · {plain(share.network_caption(meta))}")
            col.button("Open", key=f"class.open.{item['id']}", icon=":material/open_in_new:", on_click=room.open_view,
                       args=(share.page_path(meta), meta.get("query", {})))  # fmt: skip
    if s.instructor and items:
        moderate(s, items)


def moderate(s: room.Seat, items: list[dict]) -> None:
    with st.expander("Moderate the wall", icon=":material/shield:"):
        shown = {i["id"]: f"#{i['id']} {i['kind']} from {i['nickname']}" for i in items}
        hide = st.multiselect("Hide", list(shown), format_func=shown.get, key="class.hide")
        hide_col, clear_col = st.columns(2)
        hide_col.button("Hide the chosen", disabled=not hide, on_click=lambda: room.act(
            lambda: store().hide(s.code, s.token, list(state.get("class.hide", [])))))  # fmt: skip
        clear_col.button("Clear the wall", icon=":material/delete_sweep:",
                         on_click=lambda: room.act(lambda: store().clear_wall(s.code, s.token)),
                         help="Start a new round: the wall empties and everyone may send again. The export keeps "
                              "every round's drawings; what you hid stays out.")  # fmt: skip
        room.message()


# --- polls and challenges -----------------------------------------------------------------------------
def show_poll(s: room.Seat) -> None:
    poll = store().poll(s.code, None if s.instructor else s.member)
    if poll is None:
        st.caption("No poll yet." if s.instructor else "No poll open. When the instructor asks, it appears here.")
        return
    st.markdown(f"**{plain(poll.question)}**")
    if not s.instructor:
        labels = [f"{i + 1}. {a}" for i, a in enumerate(poll.answers)]
        key = f"class.vote.{poll.id}"
        if key not in state:
            state[key] = poll.mine
        st.radio("Your answer", range(len(labels)), format_func=lambda i: labels[i], key=key,
                 on_change=lambda: room.act(lambda: store().vote(s.member, poll.id, int(state[key]))))  # fmt: skip
        room.message()
    if s.instructor or poll.revealed:
        chart(st, figures.poll_figure([f"{i + 1}. {a}" for i, a in enumerate(poll.answers)], poll.counts,
                 projector=projector()), key="class.poll_bars")  # fmt: skip
        st.caption(f"{sum(poll.counts)} answers" + ("" if poll.revealed else " · the room sees them once revealed"))
    else:
        st.caption("The answers are shown when the instructor reveals them.")
    if s.instructor and not poll.revealed:
        st.button("Reveal the answers", icon=":material/visibility:",
                  on_click=lambda: room.act(lambda: store().reveal(s.code, s.token, poll.id)))  # fmt: skip


def show_challenge(s: room.Seat) -> None:
    shop = store()
    challenge = shop.challenge(s.code)
    if challenge is None:
        st.caption("No challenge yet.")
        return
    st.markdown(f"**{plain(challenge.name)}**: {challenge.describe()}.")
    if not s.instructor:
        st.caption(f"Train on **{CHALLENGE_PAGES.get(challenge.page, challenge.page)}** with this data set: the "
                   "first run that reaches the target is posted here.")  # fmt: skip
    board = shop.leaderboard(s.code, challenge)
    if not board:
        st.caption("Nobody has reached the target yet.")
        return
    metric = "validation accuracy" if challenge.metric == "val_accuracy" else "validation loss"
    table = pd.DataFrame({"": range(1, len(board) + 1), "nickname": [r["nickname"] for r in board],
                          metric: [r["score"] for r in board], "weights": [r["weights"] for r in board],
                          "epochs": [r["epochs"] for r in board]})  # fmt: skip
    fmt = "percent" if challenge.metric == "val_accuracy" else "%.4f"
    st.dataframe(
        table, hide_index=True, width="stretch", column_config={metric: st.column_config.NumberColumn(format=fmt)}
    )
    page = next((p for p in catalog.every_page() if p.name == challenge.page), catalog.by_path("pages/playground.py"))
    st.button(f"Open the winner's network ({board[0]['nickname'][:24]})", icon=":material/emoji_events:",
              key="class.open_winner", on_click=room.open_view, args=(page.path, board[0]["query"]))  # fmt: skip


# --- the instructor's room ----------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=64)
def qr_png(text: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=10, border=2)
    return out.getvalue()


def header(s: room.Seat) -> bool:
    current = store().room(s.code)
    if current is None:
        room.leave()
        st.info(f"Room {s.code} has ended or expired. Start a new one below.", icon=":material/door_open:")
        return False
    room.mark_drawn(current, s)
    room.redraw_on_change(s)
    join = room.link("class", {room.ROOM_PARAM: s.code})
    code_col, qr_col = st.columns([3, 1], vertical_alignment="center")
    code_col.markdown(f"#### {plain(current.title)} · join at **{plain(join.split('?')[0])}** with the code")
    code_col.markdown(
        f"<div style='font-size:6rem;font-weight:800;letter-spacing:0.3rem;line-height:1.1'>{s.code}</div>",
        unsafe_allow_html=True,
    )  # fmt: skip (the code is from our alphabet)
    code_col.caption(f"Or scan the code, or open {join}")
    qr_col.image(qr_png(join), width=220, caption="Scan to join")
    link = state.get("class.private_link")
    if isinstance(link, str):
        with st.container(border=True):
            st.markdown(":material/key: **Your private instructor link.** It is shown only now: bookmark it to "
                        "come back to this room as its instructor. Anyone with it can steer the room.")  # fmt: skip
            st.code(link, language=None)
            st.button("I have saved it", on_click=lambda: state.update({"class.private_link": True}))
    return True


@st.fragment(run_every=REFRESH_SECONDS)
def dashboard(s: room.Seat) -> None:
    with problems(quiet=True):
        shop = store()
        roster = shop.roster(s.code, s.token)
        challenge = shop.challenge(s.code)
        reached = len(shop.leaderboard(s.code, challenge)) if challenge else 0
        stuck = [r for r in roster if r["stuck"]]
        joined_col, reached_col, stuck_col = st.columns(3)
        joined_col.metric("Joined", len(roster))
        reached_col.metric("Reached the challenge", reached if challenge else "no challenge")
        stuck_col.metric("Stuck or diverged", len(stuck))
        accuracies = share.accuracy_histogram(roster)
        if accuracies:
            target = challenge.target if challenge and challenge.metric == "val_accuracy" else None
            chart(st, figures.accuracy_histogram(accuracies, target=target, projector=projector()),
                     key="class.histogram")  # fmt: skip
        if stuck:
            st.warning("Stuck (diverged, or training on without improving for 2 minutes, below 95%): " +
                       ", ".join(plain(r["nickname"]) for r in stuck))  # fmt: skip
        if roster:
            st.dataframe(pd.DataFrame(share.roster_rows(roster)), hide_index=True, width="stretch")
        else:
            st.info("Nobody has joined yet: show the code and the QR above.")


def poll_form(s: room.Seat) -> None:
    def ask() -> None:
        question, answers = state.get("class.question", ""), str(state.get("class.answers", ""))
        room.act(lambda: store().open_poll(s.code, s.token, question, answers.splitlines()), "Asked the room.")

    with st.form("class.new_poll"):
        st.text_input("Question", max_chars=200, placeholder="Will learning rate 3 converge here?",
                      key="class.question")  # fmt: skip
        st.text_area("Answers, one per line (2 to 5)", value="Yes\nNo", max_chars=500, key="class.answers")
        st.form_submit_button("Ask the room", icon=":material/how_to_vote:", on_click=ask)
    room.message()


def chosen_challenge() -> Challenge:
    """The challenge the form shows, read from its widgets' state (a click reads what was just typed)."""
    preset = PRESETS.get(state.get("class.preset"))
    if preset is not None:
        return preset
    page = state.get("class.ch_page", "playground")
    sets = room.challenge_data(page)
    data = state.get(f"class.ch_data.{page}", next(iter(sets)))
    regression = sets.get(data, ("", False))[1]
    metric = "val_loss" if regression else state.get("class.ch_metric", "val_accuracy")
    target = state.get("class.ch_target", 0.9) if metric == "val_accuracy" else state.get(
        f"class.ch_loss.{page}.{data}", LOSS_TARGET)  # fmt: skip
    return Challenge(state.get("class.ch_name", "Our challenge"), page=page, data=data, metric=metric,
                     target=float(target), tiebreak=state.get("class.ch_tie", "weights"))  # fmt: skip


LOSS_TARGET = 0.1


def challenge_form(s: room.Seat) -> None:
    if st.selectbox("Preset", [*PRESETS, "Your own"], key="class.preset") not in PRESETS:
        page_col, data_col, name_col = st.columns(3)
        page = page_col.selectbox("Page", list(CHALLENGE_PAGES), format_func=CHALLENGE_PAGES.get, key="class.ch_page")
        sets = room.challenge_data(page)
        data = data_col.selectbox("Data set", list(sets), format_func=lambda k: sets[k][0],
                                  key=f"class.ch_data.{page}")  # fmt: skip
        name_col.text_input("Name", value="Our challenge", max_chars=80, key="class.ch_name")
        measure_col, target_col, tie_col = st.columns(3)
        regression = sets[data][1]
        metric = measure_col.radio("Measure", ["val_loss"] if regression else ["val_accuracy", "val_loss"],
                                   format_func={"val_accuracy": "validation accuracy, at least",
                                                "val_loss": "validation loss, at most"}.get, key="class.ch_metric",
                                   help="A regression has no accuracy: its challenge is a loss to get under.")  # fmt: skip
        if metric == "val_accuracy":
            target_col.slider("Target", 0.5, 1.0, 0.9, 0.01, format="%.2f", key="class.ch_target")
        else:
            target_col.number_input("Target", 0.0001, 100.0, LOSS_TARGET, format="%.4g",
                                    key=f"class.ch_loss.{page}.{data}")  # fmt: skip
        tie_col.selectbox("Ties go to", ["weights", "epochs"], format_func=lambda t: f"fewest {t}", key="class.ch_tie")
    st.caption(f"Reach {chosen_challenge().describe()}.")

    def set_it() -> None:
        chosen = chosen_challenge()
        room.act(lambda: room.set_challenge(s, chosen), f"Set: {chosen.name}.")

    st.button("Set the challenge", icon=":material/flag:", type="primary", on_click=set_it)
    room.message()


def room_tools(s: room.Seat) -> None:
    with problems():
        shop = store()
        data = shop.export(s.code, s.token)
        stem = f"dlviz-{s.code.lower()}"
        json_col, wall_col, board_col, npz_col = st.columns(4)
        json_col.download_button("Everything (JSON)", json.dumps(data, indent=1, default=str), f"{stem}.json",
                                 mime="application/json", icon=":material/download:")  # fmt: skip
        wall = pd.DataFrame([{k: v for k, v in i.items() if k != "meta"} | {"meta": json.dumps(i["meta"])}
                             for i in data["wall"]])  # fmt: skip
        wall_col.download_button("The wall (CSV)", wall.to_csv(index=False), f"{stem}-wall.csv", mime="text/csv",
                                 icon=":material/table:")  # fmt: skip
        board_col.download_button("Leaderboard (CSV)", pd.DataFrame(data["leaderboard"]).to_csv(index=False),
                                  f"{stem}-leaderboard.csv", mime="text/csv", icon=":material/leaderboard:")  # fmt: skip
        npz_col.download_button("Drawings (MNIST .npz)", shop.drawings_npz(s.code, s.token), f"{stem}-digits.npz",
                                icon=":material/draw:", help="x_train (n, 28, 28) uint8 and y_train, as MNIST. Upload it in **Digits**, Train "
                                "your own: how well does a network trained on the room's handwriting read MNIST?")  # fmt: skip
        st.caption(f"The room is deleted {ROOM_HOURS} hours after its last activity. Export first to keep it. "
                   f"Its data is kept in {plain(room.database_kind())}.")  # fmt: skip
    st.divider()
    sure = st.checkbox("I have exported what I need: end the room and delete its data", key="class.end_sure")

    def end() -> None:
        if room.act(lambda: store().end_room(s.code, s.token)):
            room.leave()
            state["class.forget_cookie"] = True  # this browser no longer reopens the room as its instructor

    st.button("End the room", type="primary", disabled=not sure, icon=":material/logout:", on_click=end)


def instructor(s: room.Seat) -> None:
    if not header(s):
        lobby()
        return
    tabs = st.tabs(["Dashboard", "Wall", "Poll", "Challenge", "Room"], key="class.tab", on_change="rerun")
    views = [lambda: dashboard(s), lambda: show_wall(s), lambda: (poll_form(s), show_poll(s)),
             lambda: (challenge_form(s), show_challenge(s)), lambda: room_tools(s)]  # fmt: skip
    for tab, view in zip(tabs, views, strict=True):
        if tab.open:
            with tab:
                view()


# --- a participant's room -----------------------------------------------------------------------------
def participant(s: room.Seat) -> None:
    current = store().room(s.code)
    if current is None:
        return
    room.mark_drawn(current, s)
    st.markdown(f"You are **{plain(s.nickname)}** in **{plain(current.title)}** (room {s.code}). "
                "Go to any page: what the instructor sends arrives as a banner at the top.")  # fmt: skip
    poll_col, challenge_col = st.columns(2)
    with poll_col:
        st.subheader("Poll")
        show_poll(s)
    with challenge_col:
        st.subheader("Challenge")
        show_challenge(s)
    st.subheader("The room's wall")
    show_wall(s)
    st.divider()
    st.button("Leave the room", on_click=room.leave, icon=":material/logout:")


def page() -> None:
    """The Class page for whoever this session is: not in a room, the room's instructor, or a participant."""
    seat = room.seat()
    room.remember_instructor()  # a reload of the instructor's tab keeps the room (a cookie of this browser)
    with problems():
        if seat is None:
            lobby()
        elif seat.instructor:
            instructor(seat)
        else:
            participant(seat)
