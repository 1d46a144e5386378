"""A throwaway PostgreSQL server on loopback, from Debian's ``postgresql`` package, for the cluster and the tests.

    python -m dlviz.tools.postgres start DIR [--port P]   # prints the database URL, leaves it running
    python -m dlviz.tools.postgres stop DIR

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user the package
creates. Its socket and data stay in DIR; nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from dlviz.tools.serve import free_port

USER = "dlviz"


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl`` (Debian keeps them out of PATH), or None when not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def url(folder: Path, port: int) -> str:
    return f"postgresql+psycopg://{USER}@127.0.0.1:{port}/{USER}"


def start(folder: Path, port: int | None = None) -> str:
    """Create (first time) and start a cluster in ``folder``; returns its SQLAlchemy URL."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed. On Debian or Ubuntu: sudo apt-get install postgresql")
    folder = folder.resolve()
    data = folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    if not (data / "PG_VERSION").exists():
        subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", USER, "-E", "UTF8"]),
                       check=True, capture_output=True)  # fmt: skip
    port = port or free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
    subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
                              "start"]), check=True, capture_output=True)  # fmt: skip
    (folder / "port").write_text(str(port))
    with contextlib.suppress(subprocess.CalledProcessError):  # the database exists after the first start
        subprocess.run(_as_owner([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, USER]),
                       check=True, capture_output=True)  # fmt: skip
    return url(folder, port)


def stop(folder: Path) -> None:
    bin_dir = binaries()
    data = folder.resolve() / "data"
    if bin_dir and (data / "postmaster.pid").exists():
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       check=False, capture_output=True)  # fmt: skip


@contextlib.contextmanager
def postgres_server(folder: Path):
    """A running cluster in ``folder`` for the length of the ``with``; yields its URL."""
    address = start(folder)
    try:
        yield address
    finally:
        stop(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlviz.tools.postgres", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            print(start(args.folder, args.port))
        else:
            stop(args.folder)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", b"") or b""
        print(f"postgres: {e} {detail.decode(errors='replace')[-500:]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
