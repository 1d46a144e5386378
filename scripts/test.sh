#!/usr/bin/env bash
# Install the test dependencies (Debian's chromium for the browser tests, nginx
# for the cluster test, and dlviz with its test extra in .venv), then run the
# whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

if [ ! -x /usr/bin/chromium ]; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q chromium
fi
# tests/test_cluster.py runs deploy/run-cluster.sh, with its own nginx on a free
# loopback port. Debian may also start the system nginx on port 80 (not in a
# container without systemd, nor when port 80 is taken); no test uses it.
if [ ! -x /usr/sbin/nginx ]; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q nginx
fi
# The class store's tests run against a real PostgreSQL too (tests/conftest.py starts a throwaway one).
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q postgresql
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q python3-venv
    rm -rf .venv && "$PYTHON" -m venv .venv
  fi
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
# The code is formatted and linted as ruff writes it (pyproject.toml's [tool.ruff]).
.venv/bin/ruff format --check --quiet . || { echo "ruff format --check: run '.venv/bin/ruff format .'" >&2; exit 1; }
.venv/bin/ruff check --quiet .
# Playwright drives Debian's chromium; it never downloads a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
exec .venv/bin/python -m pytest "$@"
