"""A workshop's worth of participants against a running dashboard, without a browser per participant.

    python -m dlviz.loadtest --url http://127.0.0.1:8501 --sessions 30 --minutes 5
    python -m dlviz.loadtest --url http://127.0.0.1:8501 --sessions 30 --room   # a class session

Each session is a real Streamlit session (``dlviz.tools.wsclient``) following a
workshop script: open the home page, then, page after page, change settings
and train on the Playground for a while, draw digits (canvas values made
from real MNIST digits), and filter photos on the Convolution page, with a
participant's pauses between actions. It prints a table and, as its last
line, one JSON object: latency percentiles per kind of interaction (from
sending the change to the answer's last element), Playground epochs per
second per training session, errors, lost sessions, and the server's peak
resident memory. ``--room`` runs a class session instead (``dlviz.tools.roomload``): one instructor and
the participants in a room, with its own figures (push to banner, send to the instructor's wall, what was
stored, the server's CPU while the room sits idle, the database).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import json
import random
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dlviz.tools.wsclient import Lost, Run, Session

EPOCH = re.compile(r"^\*\*Epoch (\d+)\*\*")
READS = re.compile(r"The network reads a \*\*(\d)\*\*")
PAGES = ("playground", "digits", "convolution")
LONGEST_RUN = 10_000  # dlviz.playground.engine.MAX_EPOCHS (not imported: that loads TensorFlow into the load generator)


@dataclass
class Report:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    epochs_per_s: list[float] = field(default_factory=list)  # one figure per training stretch
    digits_read: int = 0
    digits_right: int = 0
    errors: list[str] = field(default_factory=list)
    lost: int = 0
    sessions_done: int = 0
    no_epoch: int = 0  # Play stretches that never showed a trained epoch
    at_limit: int = 0  # Play stretches on a run that had reached a session's longest run (the page stops it)
    replicas: Counter = field(default_factory=Counter)  # sessions per replica, when a proxy names it (X-Upstream)

    def record(self, kind: str, run: Run, who: int) -> None:
        self.latencies[kind].append(run.latency)
        for problem in run.exceptions:
            self.errors.append(f"session {who}, {kind}: exception {problem}")
        for problem in run.errors:
            self.errors.append(f"session {who}, {kind}: error message {problem[:120]}")

    def summary(self, sessions: int, seconds: float, memory: MemoryWatch | None = None) -> dict:
        kinds = {}
        for kind, values in sorted(self.latencies.items()):
            v = np.asarray(values, np.float64) * 1000
            kinds[kind] = {"count": len(v), **{f"p{q}_ms": round(float(np.percentile(v, q)), 1) for q in (50, 95, 99)},
                           "max_ms": round(float(v.max()), 1)}  # fmt: skip
        rates = np.asarray(self.epochs_per_s, np.float64)
        rate = (lambda f: round(float(f(rates)), 1)) if len(rates) else (lambda f: None)  # noqa: E731
        return {
            "sessions": sessions,
            "seconds": round(seconds, 1),
            "interactions": kinds,
            "training_epochs_per_s": {
                "stretches": len(self.epochs_per_s),
                "min": rate(np.min),
                "median": rate(np.median),
                "stretches_below_10": int(np.sum(rates < 10)),
                "stretches_without_an_epoch": self.no_epoch,
                "stretches_at_the_longest_run": self.at_limit,
            },  # fmt: skip
            "digits": {"read": self.digits_read, "right": self.digits_right},
            "errors": len(self.errors),
            "lost_sessions": self.lost,
            "sessions_completed": self.sessions_done,
            **({"sessions_per_replica": dict(sorted(self.replicas.items()))} if self.replicas else {}),
            **(memory.figures() if memory is not None else {}),
        }


# --- what a participant does ---------------------------------------------------------------


@dataclass
class Script:
    deadline: float
    think: tuple[float, float] = (2.0, 6.0)  # seconds between two actions
    train_seconds: float = 8.0
    drawings: int = 5
    timeout: float = 120.0


class Participant:
    def __init__(self, who: int, url: str, script: Script, report: Report, drawings: list[tuple[str, int]]) -> None:
        self.who, self.script, self.report = who, script, report
        self.session = Session(url)
        self.rng = random.Random(who)
        self.drawings = drawings

    async def pause(self) -> None:
        await asyncio.sleep(self.rng.uniform(*self.script.think))  # a participant reading the page

    def time_left(self) -> bool:
        return time.perf_counter() < self.script.deadline

    async def run(self) -> None:
        s = self.session
        try:
            await s.connect()
            if s.upstream:
                self.report.replicas[s.upstream] += 1
            self.report.record("open the home page", await s.open("", timeout=self.script.timeout), self.who)
            pages = list(PAGES)
            self.rng.shuffle(pages)
            while self.time_left():
                for page in pages:
                    if not self.time_left():
                        break
                    await self.pause()
                    self.report.record("switch page", await s.switch_page(page, self.script.timeout), self.who)
                    await getattr(self, page)()
            self.report.sessions_done += 1
        except Lost as err:
            self.report.lost += 1
            self.report.errors.append(f"session {self.who}: lost ({err})")
        except TimeoutError:
            self.report.errors.append(f"session {self.who}: no answer within {self.script.timeout:.0f} s")
        except Exception as err:  # noqa: BLE001 - a load test reports every failure and carries on
            self.report.errors.append(f"session {self.who}: {type(err).__name__}: {err}")
        finally:
            await s.close()

    async def change(self, kind: str, widget, value) -> Run:
        run = await self.session.set(widget, value, timeout=self.script.timeout)
        self.report.record(kind, run, self.who)
        return run

    async def playground(self) -> None:
        s = self.session
        await self.change("change a setting", s.find("Noise (%)", "slider"), self.rng.choice([0, 10, 20, 30]))
        await self.pause()
        await self.change("change a setting", s.find("Epoch budget", "number_input"), 0)  # train until paused
        await self.pause()
        # The page's default pace is 50 epochs/s; the load test asks for all the server can give.
        await self.change("change a setting", s.find("Speed", "slider"), "As fast as it goes")
        await self.pause()
        self.report.record("step", await s.click("Step", timeout=self.script.timeout), self.who)  # "everyone, Step"
        await self.pause()
        run = await s.set(s.find(key="pg.play"), True, wait=False)  # Play
        await asyncio.sleep(self.script.train_seconds)
        epochs = [(t, int(m.group(1))) for t, body in run.texts if (m := EPOCH.match(body))]
        if epochs and max(n for _, n in epochs) >= LONGEST_RUN:  # the page stopped it: no rate to measure
            self.report.at_limit += 1
            self.report.record("reset", await s.click("Reset", timeout=self.script.timeout), self.who)
            return
        trained = [(t, n) for t, n in epochs if n >= 1]  # after the network compiled
        if len(trained) >= 2 and trained[-1][0] > trained[0][0]:
            self.report.epochs_per_s.append((trained[-1][1] - trained[0][1]) / (trained[-1][0] - trained[0][0]))
        else:
            self.report.epochs_per_s.append(0.0)  # starved: hardly an epoch in the whole stretch
        if trained:
            run.last_delta_at = trained[0][0]  # latency: from Play to the first trained epoch on the page
            self.report.record("Play to first epoch", run, self.who)
        else:
            self.report.no_epoch += 1
        self.report.record("pause", await s.set(s.find(key="pg.play"), True, timeout=self.script.timeout), self.who)

    async def digits(self) -> None:
        for _ in range(self.script.drawings):
            if not self.time_left():
                return
            await self.pause()
            data_url, label = self.rng.choice(self.drawings)
            canvas = self.session.find(type="bidi_component")
            state = {"drawing": {"raw": {"objects": [{"type": "Path"}], "background": "#000000"}, "data": data_url},
                     "backgroundFit": None}  # fmt: skip
            run = await self.change("draw a digit", canvas, state)
            found = READS.search(run.text())
            self.report.digits_read += found is not None
            self.report.digits_right += found is not None and int(found.group(1)) == label
            if found is None:
                self.report.errors.append(f"session {self.who}: a drawing got no reading")

    async def convolution(self) -> None:
        s = self.session
        for _ in range(3):
            if not self.time_left():
                return
            await self.pause()
            box = s.find("Filter", "selectbox")
            await self.change("change the filter", box, self.rng.choice(list(box.proto.options)))
        await self.pause()
        await self.change("change a setting", s.find("ReLU after the filter (detect)", "checkbox"), True)


def digit_drawings(count: int = 40) -> list[tuple[str, int]]:
    """Canvas values (PNG data URLs, white strokes on black, 280 x 280) made from shipped MNIST test digits."""
    from PIL import Image

    from dlviz.digits import engine as digits

    data = digits.load_subset()
    out = []
    for i in range(count):
        image = Image.fromarray(data["x_test"][i]).resize((280, 280), Image.Resampling.BILINEAR)
        rgba = Image.merge("RGBA", (image, image, image, Image.new("L", image.size, 255)))
        buffer = io.BytesIO()
        rgba.save(buffer, format="PNG")
        out.append(("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(), int(data["y_test"][i])))
    return out


# --- the server's memory -------------------------------------------------------------------


def listening_pids(port: int) -> list[int]:
    """Processes with a socket listening on ``port`` (Linux /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(parts[9])
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                link = fd.readlink().as_posix() if fd.is_symlink() else ""
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    pids.append(int(proc.name))
                    break
    return pids


class MemoryWatch:
    """Samples the servers' resident memory twice a second; ``peak`` is the largest total seen."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.peak, self.samples = pids, 0.0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        from dlviz.tools.serve import rss_mb

        started = time.perf_counter()
        while not self._stop.is_set():
            total = 0.0
            for pid in self.pids:
                with contextlib.suppress(OSError):
                    total += rss_mb(pid)
            self.peak = max(self.peak, total)
            self.samples.append((time.perf_counter() - started, total))
            self._stop.wait(0.5)

    def figures(self) -> dict:
        """Peak, and the mean of the first and of the last minute: a soak's memory should not keep growing."""
        if not self.samples:
            return {"peak_rss_mb": None}
        end = self.samples[-1][0]
        first = [mb for t, mb in self.samples if t <= 60]
        last = [mb for t, mb in self.samples if t >= end - 60]
        return {"peak_rss_mb": round(self.peak), "rss_first_minute_mb": round(float(np.mean(first))),
                "rss_last_minute_mb": round(float(np.mean(last)))}  # fmt: skip

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# --- running it ----------------------------------------------------------------------------


async def workshop(url: str, sessions: int, seconds: float, *, ramp: float = 10.0, **script) -> Report:
    """``sessions`` participants arriving over ``ramp`` seconds, each working for about ``seconds``."""
    report = Report()
    drawings = digit_drawings()

    async def arrive(who: int) -> None:
        await asyncio.sleep(ramp * who / max(sessions, 1))
        deadline = time.perf_counter() + seconds
        await Participant(who, url, Script(deadline=deadline, **script), report, drawings).run()

    await asyncio.gather(*(arrive(i) for i in range(sessions)))
    return report


async def warm(url: str, timeout: float = 300) -> dict[str, float]:
    """Open every page once, as the first participant would, so that nobody else pays for a cold server.

    A fresh process imports TensorFlow, loads the digit model and compiles its first networks on the
    first visit to each page: seconds each, and far more when a room arrives at once.
    """
    session, seconds = Session(url), {}
    await session.connect()
    try:
        seconds["home"] = (await session.open("", timeout=timeout)).latency
        for page in [p for p in session.pages if p]:
            seconds[page] = (await session.switch_page(page, timeout)).latency
    finally:
        await session.close()
    return seconds


def table(summary: dict) -> str:
    lines = [f"{summary['sessions']} sessions for {summary['seconds']:.0f} s", "",
             f"{'interaction':<22} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"]  # fmt: skip
    for kind, row in summary["interactions"].items():
        lines.append(f"{kind:<22} {row['count']:>6} {row['p50_ms']:>8.0f} {row['p95_ms']:>8.0f} {row['p99_ms']:>8.0f} "
                     f"{row['max_ms']:>8.0f}")  # fmt: skip
    t, d = summary["training_epochs_per_s"], summary["digits"]
    lines += ["", f"Playground training: {t['stretches']} stretches, epochs/s per session min {t['min']}, "
              f"median {t['median']}, {t['stretches_below_10']} below 10 epochs/s, {t['stretches_without_an_epoch']} without a single epoch, "
              f"{t['stretches_at_the_longest_run']} at a session's longest run (then Reset)", f"digits read {d['read']}, right {d['right']}",
              f"errors {summary['errors']}, lost sessions {summary['lost_sessions']}, "
              f"server memory: peak {summary.get('peak_rss_mb')} MB, first minute {summary.get('rss_first_minute_mb')} MB, "
              f"last minute {summary.get('rss_last_minute_mb')} MB"]  # fmt: skip
    if "sessions_per_replica" in summary:
        lines.append(
            "sessions per replica: " + ", ".join(f"{k} {v}" for k, v in summary["sessions_per_replica"].items())
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlviz.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the sessions arrive")
    parser.add_argument("--train-seconds", type=float, default=8.0, help="how long each Play lasts")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 6.0), metavar=("LOW", "HIGH"),
                        help="a participant's pause between two actions, in seconds (uniform)")  # fmt: skip
    parser.add_argument("--server-pid", type=int, action="append", default=[],
                        help="a server process whose memory to watch (repeatable); "
                        "by default the processes listening on the URL's port")  # fmt: skip
    parser.add_argument("--warm-only", action="store_true",
                        help="open every page once (a server's first visits are slow) and stop")  # fmt: skip
    parser.add_argument("--room", action="store_true",
                        help="a class session instead: one instructor and --sessions participants in a room "
                        "(follow-me pushes, drawings and networks to the wall, a poll; dlviz.tools.roomload)")  # fmt: skip
    parser.add_argument("--pushes", type=int, default=3, help="--room: how many times the instructor pushes a page")
    parser.add_argument("--drawings", type=int, default=3, help="--room: digits each participant sends")
    parser.add_argument("--password", default="", help="--room: the server's DLVIZ_INSTRUCTOR_PASSWORD, if set")
    args = parser.parse_args(argv)
    if args.warm_only:
        seconds = asyncio.run(warm(args.url))
        print("warmed " + ", ".join(f"{page} {s:.1f} s" for page, s in seconds.items()))
        return 0
    port = urllib.parse.urlsplit(args.url).port or 80
    pids = args.server_pid or listening_pids(port)
    if args.room:
        return room(args, pids)
    started = time.perf_counter()
    with MemoryWatch(pids) as memory:
        report = asyncio.run(workshop(args.url, args.sessions, args.minutes * 60, ramp=args.ramp,
                                      train_seconds=args.train_seconds, think=tuple(args.think)))  # fmt: skip
    summary = report.summary(args.sessions, time.perf_counter() - started, memory if pids else None)
    print(table(summary))
    for problem in report.errors[:20]:
        print("  !", problem)
    print(json.dumps(summary))
    return 1 if report.errors or report.lost else 0


def room(args, pids: list[int]) -> int:
    from dlviz.tools import roomload

    asyncio.run(warm(args.url))
    started = time.perf_counter()
    with MemoryWatch(pids) as memory:
        session = roomload.ClassSession(args.url, args.sessions, pushes=args.pushes, drawings=args.drawings,
                                        password=args.password, drawings_data=digit_drawings(), pids=pids)  # fmt: skip
        report = asyncio.run(session.run())
    summary = report.summary(args.sessions, time.perf_counter() - started, memory if pids else None)
    print(roomload.table(summary))
    for problem in report.errors[:20]:
        print("  !", problem)
    print(json.dumps(summary))
    return 1 if report.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
