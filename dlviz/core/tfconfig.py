"""TensorFlow settings for a server whose sessions all build small models; call before TensorFlow is imported."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

CACHE_BYTES = 256 * 2**20  # the oldest compiled programs go beyond this
PRUNE_SECONDS = 60
_pruner: threading.Thread | None = None


def xla_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dlviz" / "xla"


def configure() -> None:
    """One thread per TensorFlow op, and XLA's compiled programs kept on disk.

    The networks here are tiny: an op split over both cores gains little, and
    with a room of sessions every core is busy anyway. One thread per op
    keeps one session's training from crowding out another's click
    (docs/benchmarks.md, "Workshop scale"). Set TF_NUM_INTRAOP_THREADS to
    change it.

    Every Playground network is compiled by XLA when it first trains (about
    1.6-2.2 s of CPU here). Sessions that open the same shared link build the
    same network, and XLA's persistent cache then hands the second and every
    later one the program the first compiled (0.5 s to the first epoch
    instead of 1.6-2.2 s). The cache also survives a server restart, and
    replicas on one machine share it. XLA writes an entry for every traced
    function (~150 MB in an hour of load test), so a background thread
    keeps the directory under ``CACHE_BYTES``, oldest entries out first.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if "tf_xla_persistent_cache_directory" in flags:
        return
    try:
        directory = xla_cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # no writable cache: every network compiles, as before
    os.environ["TF_XLA_FLAGS"] = f"{flags} --tf_xla_persistent_cache_directory={directory}".strip()
    _start_pruning(directory)


def prune(directory: Path, limit: int = CACHE_BYTES) -> int:
    """Delete the oldest files until the directory holds at most ``limit`` bytes; returns how many went."""
    entries = []
    for path in directory.iterdir():
        with contextlib.suppress(OSError):  # another replica may prune at the same moment
            info = path.stat()
            entries.append((info.st_mtime, info.st_size, path))
    total, removed = sum(size for _, size, _ in entries), 0
    for _, size, path in sorted(entries):
        if total <= limit:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
        total -= size
    return removed


def _start_pruning(directory: Path) -> None:
    global _pruner
    if _pruner is not None:
        return

    def loop() -> None:
        while True:
            with contextlib.suppress(OSError):
                prune(directory)
            threading.Event().wait(PRUNE_SECONDS)

    _pruner = threading.Thread(target=loop, name="dlviz-xla-cache-pruner", daemon=True)
    _pruner.start()


_warming: threading.Thread | None = None
TOPICS = ("playground", "overfitting", "descent", "convolution", "digits", "blocks", "datalab")
WARM_MODULES = ("tensorflow", "keras", "dlviz.core.training", "dlviz.core.charts", "dlviz.core.keras_code",
                *(f"dlviz.{topic}.{part}" for topic in TOPICS for part in ("engine", "figures", "code")))  # fmt: skip


def warm_up() -> None:
    """Import TensorFlow and the pages' libraries in the background, once per process, then let each topic
    compile ahead what nearly every participant runs first (a topic engine's ``warm()``).

    Importing TensorFlow takes ~5 s (far longer while a room is busy); the
    first participant on a fresh server reads the home page meanwhile, and
    nobody's first page switch waits for the whole import.
    """
    global _warming
    if _warming is not None:
        return

    def imports() -> None:
        import importlib

        from dlviz.core import pacing

        for name in WARM_MODULES:
            if pacing.closing():
                return
            with contextlib.suppress(Exception):  # a page that fails to import says so itself, when opened
                importlib.import_module(name)
        for topic in TOPICS:  # then what a topic's engine compiles ahead (``warm()``), e.g. the default network
            if pacing.closing():
                return
            with contextlib.suppress(Exception):
                getattr(importlib.import_module(f"dlviz.{topic}.engine"), "warm", lambda: None)()

    _warming = threading.Thread(target=imports, name="dlviz-warm-up", daemon=False)  # pacing.closing
    _warming.start()
