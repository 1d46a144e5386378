#!/usr/bin/env bash
# Install dlviz into .venv (once) and start the dashboard on http://localhost:8501.
# Works offline after the first install: the digit model ships in assets/.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
PORT=${PORT:-8501}

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    echo "Installing python3-venv (Debian/Ubuntu needs it to create virtual environments)..."
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -q
    $SUDO apt-get install -y python3-venv
    rm -rf .venv && "$PYTHON" -m venv .venv
  fi
fi
# (Re)install when pyproject.toml changed since the last install.
stamp=.venv/.dlviz-installed
if ! cmp -s pyproject.toml "$stamp"; then
  .venv/bin/python -m pip install --upgrade pip
  .venv/bin/python -m pip install -e .
  cp pyproject.toml "$stamp"
fi
# Once the server answers, open every page once in the background: the first visit to a page imports
# TensorFlow and loads models, which is better done before participants arrive.
(
  for _ in $(seq 120); do
    if .venv/bin/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/_stcore/health', timeout=2)" 2>/dev/null; then
      .venv/bin/python -m dlviz.loadtest --warm-only --url "http://127.0.0.1:$PORT" >/dev/null 2>&1
      break
    fi
    sleep 1
  done
) &
exec .venv/bin/streamlit run app.py --server.port "$PORT" "$@"
