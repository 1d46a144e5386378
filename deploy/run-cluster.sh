#!/usr/bin/env bash
# Run several replicas of the dashboard behind nginx, for a class too large for
# one Streamlit process (README.md, "Scaling").
#
#   deploy/run-cluster.sh [--replicas N] [--port P] [--bind ADDR] [--run-dir DIR]
#                         [--database-url URL | --postgres DIR]
#
# Starts N `streamlit run app.py` processes on 127.0.0.1 ports P+1..P+N and
# nginx on ADDR:P (default 0.0.0.0:8501, so the room can reach it), with
# WebSocket upgrade and cookie-based session affinity (deploy/nginx.conf.template).
# Logs, the generated nginx.conf and replicas.pids go to DIR (default deploy/run/).
# Ctrl-C (or SIGTERM) stops everything; so does any replica or nginx exiting.
#
# Class mode's rooms live in one database that every replica shares:
#   --database-url URL  a PostgreSQL you run (postgresql+psycopg://user:password@host:5432/dbname)
#   --postgres DIR      start one here from Debian's postgresql package, on loopback, its data kept in DIR
#                       (stopped with the cluster, started again with the rooms on the next run)
#   neither             the SQLite file in DLVIZ_DATA_DIR, shared by the replicas of this one machine
set -euo pipefail

replicas=4
port=8501
bind=0.0.0.0
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
run_dir=$here/run
database_url=${DLVIZ_DATABASE_URL:-}
postgres_dir=

usage() {
  echo "usage: deploy/run-cluster.sh [--replicas N] [--port P] [--bind ADDR] [--run-dir DIR]" \
    "[--database-url URL | --postgres DIR]"
}
alive() {  # whether any of the given processes still runs
  local pid
  for pid; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

while (($#)); do
  case $1 in
    --replicas) replicas=${2:?--replicas needs a number}; shift 2 ;;
    --port) port=${2:?--port needs a number}; shift 2 ;;
    --bind) bind=${2:?--bind needs an address}; shift 2 ;;
    --run-dir) run_dir=${2:?--run-dir needs a directory}; shift 2 ;;
    --database-url) database_url=${2:?--database-url needs a URL}; shift 2 ;;
    --postgres) postgres_dir=${2:?--postgres needs a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if ! [[ $replicas =~ ^[1-9][0-9]*$ && $port =~ ^[1-9][0-9]*$ ]] || ((port + replicas > 65535)); then
  echo "--replicas and --port need positive numbers, with P+N at most 65535" >&2
  exit 2
fi

nginx=$(command -v nginx || true)
if [[ -z $nginx && -x /usr/sbin/nginx ]]; then
  nginx=/usr/sbin/nginx  # /usr/sbin is not on an ordinary user's PATH
fi
if [[ -z $nginx ]]; then
  echo "nginx is not installed. On Debian or Ubuntu: sudo apt-get install nginx" >&2
  exit 1
fi
python=$root/.venv/bin/python
if [[ ! -x $python ]]; then
  echo "no $python: install the dashboard first (README.md)" >&2
  exit 1
fi

for ((p = port; p <= port + replicas; p++)); do
  # Something already answering there (e.g. a `streamlit run` on its default 8501) would pass
  # the health checks below in place of ours.
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is in use: choose another --port (ports P..P+N must be free)" >&2
    exit 1
  fi
done

mkdir -p "$run_dir"
run_dir=$(cd "$run_dir" && pwd)
cd "$root"  # Streamlit reads .streamlit/config.toml from its working directory

pids=()
nginx_pid=
stop() {
  trap - EXIT INT TERM
  local all=("${pids[@]}" ${nginx_pid:+"$nginx_pid"})
  if ((${#all[@]})); then
    kill -TERM "${all[@]}" 2>/dev/null || true
    for _ in {1..50}; do  # up to 10 s for a clean shutdown
      alive "${all[@]}" || break
      sleep 0.2
    done
    kill -KILL "${all[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
  fi
  rm -f "$run_dir/replicas.pids"
  if [[ -n $postgres_dir ]]; then
    "$python" -m dlviz.tools.postgres stop "$postgres_dir" || true
  fi
  echo "stopped" >&2
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

healthy() {  # an HTTP 200 from $1
  "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()' "$1" 2>/dev/null
}

# wait_healthy URL PID LOG: poll URL until it answers, while PID lives (at most 120 s).
wait_healthy() {
  local deadline=$((SECONDS + 120))
  until healthy "$1"; do
    if ! alive "$2"; then
      echo "$1 did not start; the end of $3:" >&2
      tail -n 20 "$3" >&2 || true
      exit 1
    fi
    if ((SECONDS > deadline)); then
      echo "$1 did not answer in 120 s; see $3" >&2
      exit 1
    fi
    sleep 0.3
  done
}

if [[ -n $postgres_dir ]]; then
  [[ -n $database_url && $database_url != "${DLVIZ_DATABASE_URL:-}" ]] && {
    echo "--database-url and --postgres: choose one" >&2
    exit 2
  }
  mkdir -p "$postgres_dir"
  postgres_dir=$(cd "$postgres_dir" && pwd)
  if ! database_url=$("$python" -m dlviz.tools.postgres start "$postgres_dir"); then
    echo "PostgreSQL did not start in $postgres_dir (its log: $postgres_dir/log)" >&2
    postgres_dir=  # nothing to stop
    exit 1
  fi
  echo "PostgreSQL for the rooms on ${database_url#*@} (data in $postgres_dir/data)" >&2
fi
if [[ -n $database_url ]]; then
  export DLVIZ_DATABASE_URL=$database_url
else
  echo "rooms in SQLite, ${DLVIZ_DATA_DIR:-~/.local/share/dlviz}/class.sqlite, shared by the replicas" \
    "(for several machines: --database-url or --postgres)" >&2
fi

upstreams=""
for ((i = 1; i <= replicas; i++)); do
  p=$((port + i))
  TF_CPP_MIN_LOG_LEVEL=2 "$python" -m streamlit run app.py --server.port "$p" --server.address 127.0.0.1 \
    --server.headless true --server.fileWatcherType none >"$run_dir/replica-$p.log" 2>&1 &
  pids+=("$!")
  upstreams+="        server 127.0.0.1:$p;"$'\n'
done
printf '%s\n' "${pids[@]}" >"$run_dir/replicas.pids"
for ((i = 1; i <= replicas; i++)); do
  p=$((port + i))
  wait_healthy "http://127.0.0.1:$p/_stcore/health" "${pids[i - 1]}" "$run_dir/replica-$p.log"
done
echo "$replicas replicas up on 127.0.0.1:$((port + 1))-$((port + replicas)) (logs: $run_dir/replica-*.log)" >&2
# Each replica's first visit to a page imports TensorFlow and loads models: pay for it before the room arrives.
warmers=()
for ((i = 1; i <= replicas; i++)); do
  "$python" -m dlviz.loadtest --warm-only --url "http://127.0.0.1:$((port + i))" >>"$run_dir/replica-$((port + i)).log" 2>&1 &
  warmers+=("$!")
done
wait "${warmers[@]}" || echo "warning: a replica could not be warmed up (see its log)" >&2

shopt -u patsub_replacement 2>/dev/null || true  # bash 5.2: keep "&" literal in the replacements below
conf=$(<"$here/nginx.conf.template")
conf=${conf//@LISTEN@/$bind:$port}
conf=${conf//@UPSTREAMS@/${upstreams%$'\n'}}
printf '%s\n' "$conf" >"$run_dir/nginx.conf"
mkdir -p "$run_dir/temp"

nginx_args=(-p "$run_dir/" -c "$run_dir/nginx.conf")
if "$nginx" -h 2>&1 | grep -q -- '-e filename'; then  # nginx >= 1.19.5: no attempt at /var/log/nginx
  nginx_args+=(-e "$run_dir/error.log")
fi
"$nginx" "${nginx_args[@]}" -t -q
"$nginx" "${nginx_args[@]}" -g 'daemon off;' &
nginx_pid=$!
probe=$bind
[[ $probe == 0.0.0.0 ]] && probe=127.0.0.1
[[ $probe == *:* ]] && probe="[$probe]"  # an IPv6 address
wait_healthy "http://$probe:$port/_stcore/health" "$nginx_pid" "$run_dir/error.log"

host=$bind
[[ $host == 0.0.0.0 ]] && host=$(hostname -f 2>/dev/null || hostname)
echo "dlviz: http://$host:$port/ ($replicas replicas behind nginx; Ctrl-C stops everything)"

# Until Ctrl-C/TERM (the traps exit) or until any replica or nginx exits.
wait -n || true
echo "a replica or nginx exited (logs in $run_dir); stopping the others" >&2
exit 1
