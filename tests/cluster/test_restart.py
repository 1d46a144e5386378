"""Stop the server in the middle of a workshop and start it again: the room, its wall and its leaderboard
are all there, and the instructor and the participant come back with their links."""

from __future__ import annotations

import asyncio
import re
import urllib.parse

from dlviz.classroom import store as cs
from dlviz.tools import loadtest, roomload
from dlviz.tools.serve import streamlit_process
from dlviz.tools.wsclient import Session, widget_state
from dlviz.ui import room as ui_room

EXTRA = ["--server.fileWatcherType", "none"]


async def first_half(url: str) -> dict:
    """A room with a participant who sends a drawing and a network; the instructor sets a challenge."""
    workshop = roomload.ClassSession(url, 1, drawings=1, drawings_data=loadtest.digit_drawings(2))
    link = workshop.instructor.watch(r"key=[\w-]+")
    code = await workshop.start_room()
    _, found = await asyncio.wait_for(link, 60)
    await workshop.join(0, code)
    await workshop.send_things(0)
    teacher = workshop.instructor
    await teacher.switch_page("class")
    await workshop.open_tab("Challenge")
    await teacher.wait(await teacher.send([widget_state(teacher.find("Set the challenge", "button"), True)]))
    me = urllib.parse.parse_qs(workshop.people[0].query_string)["me"][0]
    await asyncio.gather(teacher.close(), workshop.people[0].close())
    return {"code": code, "key": found.group(0).split("=", 1)[1], "me": me, "sent": workshop.report.sends}


async def second_half(url: str, first: dict) -> dict:
    teacher = Session(url)
    await teacher.connect()
    await teacher.open("class", f"room={first['code']}&key={first['key']}")
    wall = teacher.watch(r"^Drawings: (\d+),")
    networks = teacher.watch(r"^Networks: (\d+)$")
    await teacher.set(teacher.find(key="class.tab"), "Wall")
    (_, drawings), (_, nets) = await asyncio.wait_for(asyncio.gather(wall, networks), 60)
    await teacher.set(teacher.find(key="class.tab"), "Challenge")
    winner = [w.label for w in teacher.widgets.values() if w.label.startswith("Open the winner")]
    participant = Session(url)
    await participant.connect()
    back = await participant.open("class", f"room={first['code']}&me={first['me']}")
    await asyncio.gather(teacher.close(), participant.close())
    return {"drawings": int(drawings.group(1)), "networks": int(nets.group(1)), "winner": winner,
            "participant": back.text()}  # fmt: skip


def test_a_restart_keeps_the_room_its_wall_and_its_leaderboard():
    with streamlit_process(extra=EXTRA) as (url, _):
        first = asyncio.run(first_half(url))
        shop = cs.Store(cs.make_engine(ui_room.database_url()))  # the server's own database
        challenge = shop.challenge(first["code"])
        member = shop.member(first["code"], first["me"])
        assert challenge is not None and member is not None
        assert shop.post_entry(member, challenge, 0.97, 17, 120, {"data": challenge.data, "layers": "3"})
        shop.engine.dispose()
    # The server is gone; a new one starts on the same data folder.
    with streamlit_process(extra=EXTRA) as (url, _):
        after = asyncio.run(second_half(url, first))
    assert (after["drawings"], after["networks"]) == (1, 1)
    assert after["winner"] == ["Open the winner's network (p00)"]
    assert re.search(r"You are \*\*p00\*\* in \*\*Workshop\*\*", after["participant"])
