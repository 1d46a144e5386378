"""deploy/run-cluster.sh: two replicas behind nginx keep every session on one replica, and share one
PostgreSQL (``--postgres``) so that a class room spans both.

Starts the real recipe (``deploy/run-cluster.sh --replicas 2``) on loopback and
drives it with browser-less sessions (``dlviz.wsclient.Session``): each one
fetches the page (where nginx sets the routing cookie), opens the websocket
with that cookie and runs the home page. nginx reports the replica that
answered in ``X-Upstream``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from dlviz.tools.serve import free_port
from dlviz.tools.wsclient import Session

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "run-cluster.sh"
NGINX = Path("/usr/sbin/nginx")
REPLICAS = 2
# Each new session lands on a random replica: with 16, all on one of two has a
# chance of about 2 * 0.5**16 (3e-5), where 8 would have almost 1 in 100.
SESSIONS = 16


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_run(count: int) -> int:
    """A port P with P..P+count-1 all free: nginx listens on P, the replicas on P+1..P+N."""
    for _ in range(100):
        port = free_port()
        if port + count <= 65536 and all(port_free(port + i) for i in range(1, count)):
            return port
    raise RuntimeError(f"no run of {count} free ports")


def require_nginx() -> None:
    if not NGINX.exists():
        pytest.fail(f"{NGINX} is missing: these tests need Debian's nginx (scripts/test.sh installs it; "
                    "by hand: sudo apt-get install nginx)", pytrace=False)  # fmt: skip


def get(url: str, cookie: str = ""):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        return response.status, response.headers


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the script's process group (script, replicas, nginx), then SIGKILL what is left."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:  # the group is gone: the script has exited
        proc.wait(10)
        return
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # also replicas that outlived the script
    except ProcessLookupError:
        pass
    proc.wait(10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Base URL of nginx in front of two replicas, and the replicas' addresses."""
    require_nginx()
    port = free_port_run(REPLICAS + 1)
    run_dir = tmp_path_factory.mktemp("cluster")
    database = Path(tempfile.mkdtemp(prefix="dlviz-cluster-pg-"))  # under /tmp: the postgres user reaches it
    log = (run_dir / "run-cluster.log").open("w")
    proc = subprocess.Popen(
        ["bash", str(SCRIPT), "--replicas", str(REPLICAS), "--port", str(port), "--bind", "127.0.0.1",
         "--run-dir", str(run_dir), "--postgres", str(database)],  # fmt: skip
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if get(url + "/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (run_dir / "run-cluster.log").read_text()[-3000:]
                state = f"exited with {proc.returncode}" if proc.poll() is not None else "not ready in 180 s"
                pytest.fail(f"deploy/run-cluster.sh {state}:\n{output}")
            time.sleep(0.2)  # polling a health endpoint, not synchronising a test
        pids = (run_dir / "replicas.pids").read_text().split()
        assert len(pids) == REPLICAS
        yield url, {f"127.0.0.1:{port + i}" for i in range(1, REPLICAS + 1)}
    finally:
        stop_group(proc)
        log.close()
        assert not (database / "data" / "postmaster.pid").exists(), "the cluster's PostgreSQL outlived it"
        shutil.rmtree(database, ignore_errors=True)


def test_nginx_is_installed():
    """A missing nginx fails the suite (the fixture below fails too), it is never skipped."""
    require_nginx()


def test_cookie_is_set_once(cluster):
    url, replicas = cluster
    _, headers = get(url + "/")
    assert headers["X-Upstream"] in replicas
    cookies = headers.get_all("Set-Cookie")
    assert len(cookies) == 1, cookies
    name_value, *attributes = (part.strip() for part in cookies[0].split(";"))
    name, value = name_value.split("=", 1)
    assert name == "dlviz_replica" and value
    assert set(attributes) == {"Path=/", "HttpOnly", "SameSite=Lax"}
    # With the cookie: the same replica, and no new cookie.
    for _ in range(3):
        _, again = get(url + "/", cookie=name_value)
        assert again["X-Upstream"] == headers["X-Upstream"]
        assert not [c for c in again.get_all("Set-Cookie") or [] if c.startswith("dlviz_replica=")]


class RecordingSession(Session):
    """A Session that also keeps the replica of its page fetch (``upstream`` ends as the websocket's)."""

    page_upstream = ""

    def _fetch_page(self) -> None:
        super()._fetch_page()
        self.page_upstream = self.upstream


def test_sessions_stay_on_their_replica(cluster):
    url, replicas = cluster

    async def one() -> dict:
        s = RecordingSession(url)
        await s.connect()  # HTTP GET / (nginx sets the cookie there), then the websocket with the cookie
        try:
            run = await s.open("")
            # The same browser again: another request, and a reconnecting websocket, with its cookie.
            _, again = await asyncio.to_thread(get, url + "/", s.cookie)
            ws = await connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                               additional_headers={"Cookie": s.cookie}, proxy=None, open_timeout=60)  # fmt: skip
            await ws.close()
            return {"cookie": s.cookie, "page": s.page_upstream, "websocket": s.upstream,
                    "again": again.get("X-Upstream"), "reconnected": ws.response.headers.get("X-Upstream"),
                    "exceptions": run.exceptions}  # fmt: skip
        finally:
            await s.close()

    async def sessions() -> list[dict]:
        return await asyncio.gather(*(one() for _ in range(SESSIONS)))

    results = asyncio.run(sessions())
    for r in results:
        assert r["cookie"].startswith("dlviz_replica="), r
        assert r["page"] in replicas, r
        assert r["websocket"] == r["page"], f"the websocket went to another replica than the page: {r}"
        assert r["again"] == r["page"], f"a second request with the cookie went to another replica: {r}"
        assert r["reconnected"] == r["page"], f"a reconnecting websocket went to another replica: {r}"
        assert r["exceptions"] == [], r
    assert {r["page"] for r in results} == replicas, "all sessions went to one replica"


def test_a_room_spans_both_replicas_through_their_shared_postgresql(cluster):
    """The instructor on one replica; participants on both: pushes, the wall and a poll reach everyone."""
    from dlviz.tools import loadtest, roomload

    url, replicas = cluster

    async def session() -> dict:
        instructor = Session(url)
        await instructor.connect()
        same, other = [], []  # participants on the instructor's replica and on the other one
        for _ in range(40):  # nginx places each new session at random: connect until both are covered
            if len(same) >= 1 and len(other) >= 2:
                break
            s = Session(url)
            await s.connect()
            (same if s.upstream == instructor.upstream else other).append(s)
        for spare in same[1:] + other[2:]:
            await spare.close()
        assert other, "no participant landed on the instructor's other replica"
        connected = [instructor, *same[:1], *other[:2]]
        room = roomload.ClassSession(url, len(connected) - 1, pushes=2, drawings=1, sessions=connected,
                                     drawings_data=loadtest.digit_drawings(4))  # fmt: skip
        report = await room.run()
        return report.summary(len(connected) - 1, 1.0) | {"problems": report.errors, "failed": report.failed()}

    summary = asyncio.run(session())
    assert summary["problems"] == [] and not summary["failed"], summary
    assert set(summary["participants_per_replica"]) == replicas
    assert summary["instructor_replica"] in replicas
    assert summary["broadcasts_seen"] == summary["broadcasts_expected"] == 2 * 3 + 1  # one banner on the follow
    assert summary["follows_opened"] == summary["followers"] == 2  # of three participants, on both replicas
    assert summary["submissions_sent"] == summary["submissions_stored"] == 2 * 3
    assert summary["database"] == "PostgreSQL"
