"""TensorFlow settings for a server whose sessions all build small models; call before TensorFlow is imported."""

from __future__ import annotations

import os
from pathlib import Path


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
    instead of 1.6-2.2 s). The cache also survives a server restart.
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
