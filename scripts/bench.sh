#!/usr/bin/env bash
# The write pipeline's benchmark, on this machine: MariaDB, Redis and
# OpenSearch (scripts/services.sh), one api, one persisting and one indexing
# worker (production profile) and the load generator, all on loopback.
#
# First the ceiling: a bare Fiber handler that parses the same JSON, driven
# the same way. Then, for each offered rate (0: as fast as the connections
# go), creates for the duration, then waits until every acknowledged message
# is persisted and indexed (the drain). For each step it prints creates/s,
# latency, persistence and index lag, the drain, the effective rate
# (persisted and indexed, over load + drain) and CPU per event of each
# process.
#
# Usage: scripts/bench.sh [-c connections] [-d duration] [-rates "2000 4000 0"] [-protected] [other loadgen flags]
# -protected: against protected applications, every request with a user token.
# BENCH_PROFILE=file: a CPU profile of the persisting worker during the first step.
# BENCH_REDIS=cluster: on the 3-master Redis Cluster (scripts/services.sh) instead of one Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

conns=64 dur=15s rates=0 extra=() embedded="" apionly="" access="open application"
while [ $# -gt 0 ]; do
  case "$1" in
    -protected) access="protected application, user token"; extra+=("$1"); shift ;;
    -api-only) apionly=1; shift ;;
    -embedded) embedded=1; shift ;;
    -c) conns=$2; shift 2 ;;
    -d) dur=$2; shift 2 ;;
    -rates) rates=$2; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done

. scripts/bench-lib.sh bench
STATE_DIR=${CHAT_SERVICES_DIR:-/tmp/chat-services}

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F)"
"$bin/loadgen" -serve 127.0.0.1:18099 &
ceiling_pid=$!
for _ in $(seq 1 50); do curl -s -o /dev/null -XPOST http://127.0.0.1:18099/x -d '{}' && break; sleep 0.1; done
"$bin/loadgen" -ceiling -url http://127.0.0.1:18099 -c "$conns" -d 5s
kill $ceiling_pid; wait $ceiling_pid 2>/dev/null || true

if [ -n "$embedded" ]; then
  # The embedded profile: one process, SQLite and Bleve. A create is
  # answered once durable, so there is nothing to drain but the index.
  data=$(mktemp -d)
  CHAT_DATA_DIR=$data CHAT_HTTP_ADDR=127.0.0.1:18090 CHAT_LOG_LEVEL=error "$bin/api" &
  api_pid=$!
  for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18090/readyz >/dev/null 2>&1 && break; sleep 0.1; done
  for rate in $rates; do
    before=$(awk '{print $14+$15}' /proc/$api_pid/stat)
    echo "== embedded: rate ${rate/#0/as fast as possible}, $dur, $conns connections, $access"
    out=$("$bin/loadgen" -url http://127.0.0.1:18090 -c "$conns" -d "$dur" -rate "$rate" -chats 16 "${extra[@]}")
    echo "$out" | grep -v '^sent=\|^chats='
    sent=$(echo "$out" | awk -F= '/^sent=/{print $2}')
    printf 'cpu per create:   api %.0f µs\n' "$(echo "($(awk '{print $14+$15}' /proc/$api_pid/stat) - $before) * 1000000 / $(getconf CLK_TCK) / $sent" | bc -l)"
  done
  rm -rf "$data"
  exit 0
fi

production_env
if [ -n "$apionly" ]; then
  # The api alone: creates are numbered and queued in Redis; no worker reads them.
  CHAT_HTTP_ADDR=127.0.0.1:18090 "$bin/api" &
  api_pid=$!
  for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18090/readyz >/dev/null 2>&1 && break; sleep 0.1; done
  for rate in $rates; do
    echo "== api alone: rate ${rate/#0/as fast as possible}, $dur, $conns connections, $access"
    "$bin/loadgen" -url http://127.0.0.1:18090 -c "$conns" -d "$dur" -rate "$rate" -chats 16 -sample 1000000000 "${extra[@]}" | grep -v '^sent=\|^chats=\|lag:'
  done
  exit 0
fi
CHAT_WORKER_ROLES=persist CHAT_WORKER_HTTP_ADDR=127.0.0.1:18091 CHAT_CONSUMER_NAME=persist "$bin/worker" &
persist_pid=$!
CHAT_WORKER_ROLES=index CHAT_WORKER_HTTP_ADDR=127.0.0.1:18092 CHAT_CONSUMER_NAME=index "$bin/worker" &
index_pid=$!
CHAT_HTTP_ADDR=127.0.0.1:18090 "$bin/api" &
api_pid=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18090/readyz >/dev/null 2>&1 && curl -fs http://127.0.0.1:18092/readyz >/dev/null 2>&1 && break; sleep 0.2; done

mariadb_pid=$(pgrep -o -x mariadbd || pgrep -o mysqld || echo "")
redis_pid=$(redis-cli info server | tr -d '\r' | awk -F: '/^process_id/{print $2}')
opensearch_pid=$(cat "$STATE_DIR/opensearch.pid" 2>/dev/null || echo "")
procs="api:$api_pid persist-worker:$persist_pid index-worker:$index_pid mariadb:$mariadb_pid redis:$redis_pid opensearch:$opensearch_pid"
if [ "${BENCH_REDIS:-}" = cluster ]; then # each master of the cluster instead
  procs="${procs/ redis:$redis_pid/}"
  for port in $cluster_ports; do
    procs+=" redis-$port:$(redis-cli -p $port info server | tr -d '\r' | awk -F: '/^process_id/{print $2}')"
  done
fi
ticks() { # utime+stime of a pid, in clock ticks
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] && awk '{print $14+$15}' "/proc/$1/stat" || echo 0
}
counter() { # a counter of a worker's /metrics
  curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1==m{print int($2)}'
}
hz=$(getconf CLK_TCK)
expected=0
step=0
for rate in $rates; do
  step=$((step + 1))
  declare -A before=()
  for p in $procs; do before[${p%%:*}]=$(ticks "${p#*:}"); done
  echo "== step $step: rate ${rate/#0/as fast as possible}, $dur, $conns connections, $access"
  if [ -n "${BENCH_PROFILE:-}" ] && [ $step -eq 1 ]; then
    (sleep 3; curl -s -o "$BENCH_PROFILE" "http://127.0.0.1:18091/debug/pprof/profile?seconds=10") &
  fi
  start=$(date +%s.%N)
  out=$("$bin/loadgen" -url http://127.0.0.1:18090 -c "$conns" -d "$dur" -rate "$rate" -chats 16 "${extra[@]}")
  loaded=$(date +%s.%N)
  echo "$out" | grep -v '^sent=\|^chats='
  sent=$(echo "$out" | awk -F= '/^sent=/{print $2}')
  chats=$(echo "$out" | awk -F= '/^chats=/{print $2}')
  expected=$((expected + sent + chats)) # the chats' creations are events too
  while :; do
    p=$(counter 18091 chat_events_persisted_total); i=$(counter 18092 chat_events_indexed_total)
    [ "${p:-0}" -ge $expected ] && [ "${i:-0}" -ge $expected ] && break
    sleep 0.1
  done
  drained=$(date +%s.%N)
  load_s=$(echo "$loaded - $start" | bc -l); drain_s=$(echo "$drained - $loaded" | bc -l)
  printf 'drain:            %.1f s after the load until everything acknowledged was persisted and indexed\n' "$drain_s"
  printf 'effective:        %.0f messages/s persisted and indexed (acknowledged / (load + drain))\n' "$(echo "$sent / ($load_s + $drain_s)" | bc -l)"
  printf 'failed attempts:  persist %s, index %s (each retried; a failed batch is retried event by event)\n' \
    "$(counter 18091 chat_events_failed_total)" "$(counter 18092 chat_events_failed_total)"
  line="cpu per event:   "
  for p in $procs; do
    name=${p%%:*}; t=$(( $(ticks "${p#*:}") - ${before[$name]} ))
    line+=$(printf ' %s %.0f µs' "$name" "$(echo "$t * 1000000 / $hz / $sent" | bc -l)")
  done
  echo "$line"
done
