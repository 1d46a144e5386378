"""A real ``streamlit run`` on loopback and Debian's chromium driven by Playwright: for the benchmarks, the
screenshots and the browser tests alike (Playwright never downloads a browser here)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


CHROMIUM = "/usr/bin/chromium"


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(port: int | None = None, extra: list[str] | None = None):
    """A ``streamlit run app.py`` on loopback; yields its base URL and stops it afterwards."""
    with streamlit_process(port, extra) as (url, _):
        yield url


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def streamlit_process(port: int | None = None, extra: list[str] | None = None):
    """Like ``streamlit_server``, yielding ``(url, pid)``."""
    port = port or free_port()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", *(extra or [])]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("streamlit exited: " + (proc.stderr.read() or "")[-2000:]) from None
                if time.monotonic() > deadline:
                    raise TimeoutError("streamlit did not start in 60 s") from None
                time.sleep(0.2)  # polling a health endpoint, not synchronising a test
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def browser(width: int = 1600, height: int = 1000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b.new_page(viewport={"width": width, "height": height})
        finally:
            b.close()


@contextlib.contextmanager
def browser_pages(*sizes: tuple[int, int]):
    """One chromium with a separate context (its own cookies and session) per window size: several people."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield [b.new_context(viewport={"width": w, "height": h}).new_page() for w, h in sizes]
        finally:
            b.close()


def main_area(page):
    return page.locator('[data-testid="stMain"]')


def read_epoch(page) -> int:
    text = main_area(page).inner_text()
    found = re.findall(r"Epoch (\d+)", text)
    return int(found[-1]) if found else 0


def wait_idle(page, timeout: float = 120_000) -> None:
    """Wait until the app's script (or fragment) run has finished."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)


def wait_drawn(page, timeout: float = 60_000) -> None:
    """Wait until the script is idle, lazily loaded widgets have replaced their placeholders and every chart (a Plotly
    chart, or one of the Playground's canvases) has drawn."""
    wait_idle(page, timeout)
    page.wait_for_function(
        """() => ![...document.querySelectorAll('[data-testid]')].some(e => /skeleton/i.test(e.dataset.testid))
                 && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'))
                 && [...document.querySelectorAll('.dlviz-plane, .dlviz-diagram, .dlviz-curves')].every(c => c.dataset.drawn)""",
        polling=100, timeout=timeout,
    )  # fmt: skip


def clear_canvas(page) -> None:
    """Press Clear and wait until the old drawing surface is gone and a fresh one is there."""
    old = page.locator("canvas.upper-canvas").first.element_handle()
    main_area(page).get_by_role("button", name="Clear").click()
    page.wait_for_function("el => !el.isConnected", arg=old, timeout=60_000)
    main_area(page).get_by_text("Draw a digit in the black square.").wait_for(timeout=60_000)
    page.locator("canvas.upper-canvas").first.wait_for(timeout=60_000)
    wait_idle(page)


# --- class mode, as people do it in the browser ------------------------------------------------------------


def start_room(page, url: str, title: str = "Workshop") -> tuple[str, str]:
    """Start a room on the Class page as an instructor; returns its code and the private instructor link."""
    page.goto(url + "/class")
    main = main_area(page)
    main.get_by_text("Start a room (instructors)").click()
    main.get_by_role("textbox", name="Workshop name").fill(title)
    main.get_by_role("button", name="Start a room").click()
    main.get_by_text("Your private instructor link").wait_for(timeout=60_000)
    link = main.locator('[data-testid="stCode"] code').first.inner_text().strip()
    return page.evaluate("new URL(location.href).searchParams.get('room')"), link


def join_room(page, url: str, code: str, nickname: str) -> None:
    """Join the room by its link (the code filled in) and a nickname."""
    page.goto(f"{url}/class?room={code}")
    main = main_area(page)
    main.get_by_role("textbox", name="Your nickname").fill(nickname)
    main.get_by_role("button", name="Join").click()
    main.get_by_text("You are ").wait_for(timeout=60_000)


def draw(page, strokes, side: float = 280) -> None:
    """Draw ``strokes`` (lists of points in a 280 px square) on the page's canvas, scaled to its size."""
    surface = page.locator("canvas.upper-canvas").first
    surface.wait_for(timeout=120_000)
    surface.scroll_into_view_if_needed()
    box = surface.bounding_box()
    scale = box["width"] / side
    for stroke in strokes:
        page.mouse.move(box["x"] + scale * stroke[0][0], box["y"] + scale * stroke[0][1])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + scale * x, box["y"] + scale * y, steps=10)
        page.mouse.up()
