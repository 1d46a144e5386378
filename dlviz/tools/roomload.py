"""A class session under load: one instructor and N participants in real Streamlit sessions (``--room``).

    python -m dlviz.loadtest --room --sessions 30 --url http://127.0.0.1:8501

The instructor starts a room on the Class page; the participants join it with its code and a nickname and
open the Playground. Then, as in a workshop:

1. **Follow me.** The instructor sends the Playground to the room several times; each participant's page
   shows the banner (its one-second look at the room) and dismisses it. ``broadcast_seen_*_ms``: from the
   instructor's click to the banner arriving on each participant's page. Then half the room turns on
   *Follow the instructor* and the instructor sends Gradient descent: ``follow_opened_*_ms``, from the click
   to a follower's session showing that page by itself (the others get the banner, as before).
2. **The wall.** The instructor watches the Class page's Wall; every participant draws digits on Digits and
   sends them, then trains a network one epoch on the Playground and sends it. ``wall_update_*_ms``: from a
   participant's click on Send to the instructor's wall counting it (the wall's counts are matched with
   the sends in the order the server acknowledged them). ``submissions_stored`` is what the wall counts.
3. **A poll.** The instructor asks; every participant answers on the Class page; the instructor's bars count.
4. **Idle.** Everyone stays on their page while the fragments keep polling: the server's CPU then.

Each session reruns its page's ``run_every`` fragments as a browser does (``Session.start_ticking``), so the
server does all the polling a real room causes.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dlviz.tools.wsclient import Lost, Session, widget_state

BANNER = r"The instructor opened"
DRAWINGS = re.compile(r"^Drawings: (\d+),")
NETWORKS = re.compile(r"^Networks: (\d+)$")
ANSWERS = re.compile(r"^(\d+) answers")
KEPT = r"data is kept in (\w+)"
QUESTION = "Will learning rate 3 converge here?"


@dataclass
class RoomReport:
    joins_ms: list[float] = field(default_factory=list)
    broadcast_ms: list[float] = field(default_factory=list)
    broadcasts_expected: int = 0
    wall_ms: list[float] = field(default_factory=list)
    sends: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: {"digit": [], "network": []})
    seen: dict[str, dict[int, float]] = field(default_factory=lambda: {"digit": {}, "network": {}})
    follow_ms: list[float] = field(default_factory=list)
    followers: int = 0
    votes_sent: int = 0
    votes_counted: int = 0
    idle_cpu_percent: float | None = None
    wall_cpu_percent: dict[str, float] = field(default_factory=dict)  # while everyone sends: servers, generator
    database: str = ""
    errors: list[str] = field(default_factory=list)
    lost: int = 0
    replicas: Counter = field(default_factory=Counter)  # participants per replica, when a proxy names it
    instructor_replica: str = ""

    def count(self, kind: str) -> int:
        return max(self.seen[kind], default=0)

    def wall_latencies(self, only: str | None = None) -> list[float]:
        """Each send, in the order the server acknowledged it, against the first wall that counted that many."""
        out = []
        for kind, sends in self.sends.items():
            if only and kind != only:
                continue
            for rank, (sent, _) in enumerate(sorted(sends, key=lambda s: s[1]), start=1):
                shown = [t for n, t in self.seen[kind].items() if n >= rank]
                if shown:
                    out.append(max(0.0, min(shown) - sent) * 1000)
        return out

    def summary(self, participants: int, seconds: float, memory=None) -> dict:
        def pct(values: list[float], q: int) -> float | None:
            return round(float(np.percentile(values, q)), 1) if values else None

        wall = self.wall_latencies()
        sent = sum(len(v) for v in self.sends.values())
        return {
            "scenario": "room",
            "participants": participants,
            "seconds": round(seconds, 1),
            "database": self.database,
            "join_p95_ms": pct(self.joins_ms, 95),
            "broadcasts_expected": self.broadcasts_expected,
            "broadcasts_seen": len(self.broadcast_ms),
            "broadcast_seen_p50_ms": pct(self.broadcast_ms, 50),
            "broadcast_seen_p95_ms": pct(self.broadcast_ms, 95),
            "broadcast_seen_max_ms": round(max(self.broadcast_ms), 1) if self.broadcast_ms else None,
            "followers": self.followers,
            "follows_opened": len(self.follow_ms),
            "follow_opened_p95_ms": pct(self.follow_ms, 95),
            "wall_update_p50_ms": pct(wall, 50),
            "wall_update_p95_ms": pct(wall, 95),
            "wall_update_max_ms": round(max(wall), 1) if wall else None,
            "wall_update_p95_ms_by_kind": {k: pct(self.wall_latencies(k), 95) for k in self.sends},
            # the participant's own page: from the click on Send to its confirmation (the write is in there)
            "send_confirmed_p95_ms": pct([(done - sent) * 1000 for v in self.sends.values() for sent, done in v], 95),
            "submissions_sent": sent,
            "submissions_stored": self.count("digit") + self.count("network"),
            "votes_sent": self.votes_sent,
            "votes_counted": self.votes_counted,
            "idle_cpu_percent": self.idle_cpu_percent,
            # the two cores while the room sends to the wall, in % of one core: the servers and this generator
            "wall_cpu_percent": self.wall_cpu_percent,
            "errors": len(self.errors),
            "lost_sessions": self.lost,
            **(
                {
                    "participants_per_replica": dict(sorted(self.replicas.items())),
                    "instructor_replica": self.instructor_replica,
                }
                if self.replicas
                else {}
            ),  # fmt: skip
            **(memory.figures() if memory is not None else {}),
        }

    def failed(self) -> bool:
        s = self.summary(0, 0)
        return bool(self.errors or self.lost or s["submissions_sent"] != s["submissions_stored"]
                    or s["broadcasts_seen"] != s["broadcasts_expected"] or self.votes_sent != self.votes_counted
                    or s["follows_opened"] != s["followers"])  # fmt: skip


def table(summary: dict) -> str:
    return "\n".join([
        f"class session: 1 instructor and {summary['participants']} participants, {summary['seconds']:.0f} s, "
        f"rooms kept in {summary['database']}",
        f"follow me: {summary['broadcasts_seen']} of {summary['broadcasts_expected']} banners seen, "
        f"p50 {summary['broadcast_seen_p50_ms']} ms, p95 {summary['broadcast_seen_p95_ms']} ms, "
        f"max {summary['broadcast_seen_max_ms']} ms; followers: {summary['follows_opened']} of "
        f"{summary['followers']} opened the page by themselves, p95 {summary['follow_opened_p95_ms']} ms",
        f"wall: {summary['submissions_stored']} of {summary['submissions_sent']} sends on the instructor's wall, "
        f"p50 {summary['wall_update_p50_ms']} ms, p95 {summary['wall_update_p95_ms']} ms, "
        f"max {summary['wall_update_max_ms']} ms",
        f"poll: {summary['votes_counted']} of {summary['votes_sent']} answers counted; joins p95 "
        f"{summary['join_p95_ms']} ms; idle server CPU {summary['idle_cpu_percent']}% of a core",
        f"errors {summary['errors']}, lost sessions {summary['lost_sessions']}, server memory peak "
        f"{summary.get('peak_rss_mb')} MB",
    ])  # fmt: skip


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU the processes have used so far (Linux /proc), in seconds."""
    import os

    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class ClassSession:
    def __init__(self, url: str, participants: int, *, pushes: int = 3, drawings: int = 3, password: str = "",
                 timeout: float = 120.0, seed: int = 0, drawings_data=None, pids: list[int] = (),
                 sessions: list[Session] | None = None) -> None:  # fmt: skip
        """``sessions``: the instructor's and the participants' sessions, already connected (else new ones)."""
        self.url, self.n, self.pushes, self.drawings, self.password = url, participants, pushes, drawings, password
        self.timeout, self.rng, self.pids = timeout, random.Random(seed), list(pids)
        self.report = RoomReport()
        self.data = drawings_data or []
        made = sessions or [Session(url) for _ in range(participants + 1)]
        self.instructor, self.people = made[0], made[1 : participants + 1]

    # --- steps --------------------------------------------------------------------------------
    async def start_room(self) -> str:
        s = self.instructor
        if s.ws is None:
            await s.connect()
        self.report.instructor_replica = s.upstream
        await s.open("class", timeout=self.timeout)
        states = []
        if self.password:
            states.append(widget_state(s.find("Instructor password", "text_input"), self.password))
        submit = s.find("Start a room", "button")
        await s.wait(await s.send([*states, widget_state(submit, True)]), self.timeout)
        code = urllib.parse.parse_qs(s.query_string).get("room", [""])[0]
        if not code:
            raise RuntimeError("the Class page did not start a room (is DLVIZ_INSTRUCTOR_PASSWORD set? --password)")
        s.start_ticking()
        return code

    async def join(self, who: int, code: str) -> None:
        s = self.people[who]
        if s.ws is None:
            await s.connect()
        if s.upstream:
            self.report.replicas[s.upstream] += 1
        await s.open("class", f"room={code}", timeout=self.timeout)
        nick = s.find("Your nickname", "text_input")
        run = await s.wait(await s.send([widget_state(nick, f"p{who:02d}"), widget_state(s.find("Join", "button"),
                                         True)]), self.timeout)  # fmt: skip
        if "me=" not in s.query_string:
            raise RuntimeError(f"participant {who} could not join: {run.text()[:200]}")
        self.report.joins_ms.append(run.latency * 1000)
        await s.switch_page("playground", self.timeout)
        s.start_ticking()

    async def push(self) -> None:
        """The instructor sends the Playground; every participant's page shows the banner, then dismisses it."""
        watchers = [p.watch(BANNER) for p in self.people]
        self.report.broadcasts_expected += len(self.people)
        sent = (await self.instructor.click("Send this page to the room", timeout=self.timeout)).sent_at

        await asyncio.gather(*(self._banner(p, w, sent) for p, w in zip(self.people, watchers, strict=True)))

    async def _banner(self, person: Session, watcher: asyncio.Future, sent: float) -> None:
        """A participant's page shows the instructor's banner (timed from ``sent``), and they dismiss it."""
        try:
            at, _ = await asyncio.wait_for(watcher, 30)
        except TimeoutError:
            self.report.errors.append("a participant never saw the instructor's banner within 30 s")
            return
        self.report.broadcast_ms.append((at - sent) * 1000)
        await self._when_idle(person)
        await person.set(person.find("Dismiss", "button"), True, timeout=self.timeout)

    async def follow(self, page: str = "gradient_descent") -> None:
        """Half the room follows the instructor: a push opens the page by itself for them, a banner for the rest."""
        followers = self.people[::2]

        async def toggle(p: Session, on: bool) -> None:
            await self._when_idle(p)
            await p.set(p.find("Follow the instructor", "checkbox"), on, timeout=self.timeout)

        await asyncio.gather(*(toggle(p, True) for p in followers))
        self.report.followers = len(followers)
        others = [p for p in self.people if p not in followers]
        watchers = [p.watch(BANNER) for p in others]
        self.report.broadcasts_expected += len(others)
        await self.instructor.switch_page(page, self.timeout)
        sent = (await self.instructor.click("Send this page to the room", timeout=self.timeout)).sent_at

        async def opened(person: Session) -> None:
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline:
                shown = [t for t, path in person.navigations if t >= sent and path == page]
                if shown:
                    self.report.follow_ms.append((shown[0] - sent) * 1000)
                    return
                await asyncio.sleep(0.05)
            self.report.errors.append(f"a follower's page did not open {page} within 30 s")

        await asyncio.gather(*(opened(p) for p in followers),
                             *(self._banner(p, w, sent) for p, w in zip(others, watchers, strict=True)))  # fmt: skip
        await asyncio.gather(*(toggle(p, False) for p in followers))  # following nobody, for the rest

    async def _when_idle(self, s: Session) -> None:
        """Wait for the session's fragment rerun under way (a browser queues a click behind it too)."""
        if s.run is not None and not s.run.done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(s.run.done.wait(), self.timeout)

    def watch_wall(self) -> None:
        def counts(body: str, now: float) -> None:
            for kind, pattern in (("digit", DRAWINGS), ("network", NETWORKS)):
                found = pattern.match(body)
                if found:
                    self.report.seen[kind].setdefault(int(found.group(1)), now)

        self.instructor.listen(counts)

    async def open_tab(self, name: str) -> None:
        s = self.instructor
        await self._when_idle(s)
        await s.set(s.find(key="class.tab"), name, timeout=self.timeout)

    async def send_things(self, who: int) -> None:
        s = self.people[who]
        rng = random.Random(who)
        await asyncio.sleep(rng.uniform(0, 3))
        await self._when_idle(s)
        await s.switch_page("digits", self.timeout)
        # different drawings: the same one sent twice in a row within 10 s is one send (store.REPEAT_SECONDS)
        for data_url, _label in rng.sample(self.data, min(self.drawings, len(self.data))):
            await asyncio.sleep(rng.uniform(1, 3))
            canvas = s.find(type="bidi_component")
            value = {"drawing": {"raw": {"objects": [{"type": "Path"}], "background": "#000000"}, "data": data_url},
                     "backgroundFit": None}  # fmt: skip
            await self._when_idle(s)
            await s.set(canvas, value, timeout=self.timeout)
            await self._send(s, "Send to the wall", "digit")
        await asyncio.sleep(rng.uniform(1, 3))
        await self._when_idle(s)
        await s.switch_page("playground", self.timeout)
        await self._when_idle(s)
        await s.set(s.find(key="pg.stepper"), True, timeout=self.timeout)
        await self._send(s, "Send my network to the wall", "network")

    async def _send(self, s: Session, label: str, kind: str) -> None:
        await self._when_idle(s)
        run = await s.click(label, timeout=self.timeout)
        if not any(a.startswith("Sent") for a in run.alerts):
            self.report.errors.append(f"{label}: no confirmation (the page said {run.alerts!r})")
            return
        self.report.sends[kind].append((run.sent_at, run.finished_at or run.last_delta_at))

    async def poll(self) -> None:
        s = self.instructor
        await self.open_tab("Poll")
        await self._when_idle(s)
        question = widget_state(s.find("Question", "text_input"), QUESTION)
        await s.wait(await s.send([question, widget_state(s.find("Ask the room", "button"), True)]), self.timeout)
        last = {"n": 0}
        s.listen(lambda body, now: (m := ANSWERS.match(body)) and last.update(n=int(m.group(1))))

        async def answer(who: int) -> None:
            p = self.people[who]
            watcher = p.watch(re.escape(QUESTION))
            await self._when_idle(p)
            await p.switch_page("class", self.timeout)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watcher, 30)
            await self._when_idle(p)
            radio = p.find("Your answer", "radio")
            await p.set(radio, list(radio.proto.options)[who % 2], timeout=self.timeout)
            self.report.votes_sent += 1

        await asyncio.gather(*(answer(i) for i in range(self.n)))
        deadline = time.perf_counter() + 30
        while last["n"] < self.report.votes_sent and time.perf_counter() < deadline:
            await asyncio.sleep(0.2)
        self.report.votes_counted = last["n"]

    async def idle(self, seconds: float) -> None:
        if not self.pids:
            return
        before, started = cpu_seconds(self.pids), time.perf_counter()
        await asyncio.sleep(seconds)
        used, spent = cpu_seconds(self.pids) - before, time.perf_counter() - started
        self.report.idle_cpu_percent = round(100 * used / spent, 1)

    async def database(self) -> None:
        watcher = self.instructor.watch(KEPT)
        await self.open_tab("Room")
        with contextlib.suppress(TimeoutError):
            _, found = await asyncio.wait_for(watcher, 30)
            self.report.database = found.group(1)

    async def run(self) -> RoomReport:
        try:
            code = await self.start_room()
            for start in range(0, self.n, 10):  # a room arrives over a few seconds, not in one instant
                await asyncio.gather(*(self.join(i, code) for i in range(start, min(start + 10, self.n))))
            await self.instructor.switch_page("playground", self.timeout)
            for _ in range(self.pushes):
                await self.push()
            await self.follow()
            await self.instructor.switch_page("class", self.timeout)
            self.watch_wall()
            await self.open_tab("Wall")
            servers, mine, started = cpu_seconds(self.pids), time.process_time(), time.perf_counter()
            await asyncio.gather(*(self.send_things(i) for i in range(self.n)))
            spent = time.perf_counter() - started
            self.report.wall_cpu_percent = {
                "servers": round(100 * (cpu_seconds(self.pids) - servers) / spent, 1) if self.pids else None,
                "load_generator": round(100 * (time.process_time() - mine) / spent, 1),
            }
            sent = {k: len(v) for k, v in self.report.sends.items()}
            deadline = time.perf_counter() + 30
            while any(self.report.count(k) < n for k, n in sent.items()) and time.perf_counter() < deadline:
                await asyncio.sleep(0.2)
            await self.poll()
            await self.idle(15.0)
            await self.database()
        except Lost as err:
            self.report.lost += 1
            self.report.errors.append(f"lost a session: {err}")
        except Exception as err:  # noqa: BLE001 - a load test reports every failure
            self.report.errors.append(f"{type(err).__name__}: {err}")
        finally:
            await asyncio.gather(self.instructor.close(), *(p.close() for p in self.people))
        return self.report
