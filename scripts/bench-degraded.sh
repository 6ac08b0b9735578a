#!/usr/bin/env bash
# The degraded write path's throughput beside the fast path's (issue 22), on
# this machine: one api and one persisting and indexing worker (production
# profile) on a redis-server of the run's own (the shared one is never
# touched), MariaDB and OpenSearch of scripts/services.sh, the load
# generator, all on loopback.
#
# First the ceiling: the bare Fiber handler of cmd/loadgen, driven the same
# way. Then rounds of: an application and its chats made (loadgen -token);
# creates in them for the duration through Redis (fast), the
# backlog drained; Redis SIGKILLed, /readyz waited for to say degraded and
# one write waited for to go through MySQL; creates for the duration through
# MySQL (degraded); Redis started again from its AOF, the api back on Redis
# by itself, and everything relayed, persisted and indexed before the next
# round. Interleaved, because the machine is shared and noisy. For each run
# it prints creates/s, p50/p99, the share of the ceiling, the share of
# creates answered 201, and the 1-minute load average at its end.
#
# Usage: scripts/bench-degraded.sh [-c connections] [-d duration] [-rounds n] [-chats 16]
# BENCH_PROFILE=file: a CPU profile of the api during the first degraded run.
set -euo pipefail
cd "$(dirname "$0")/.."

conns=64 dur=15s rounds=2 chats=16
while [ $# -gt 0 ]; do
  case "$1" in
    -c) conns=$2; shift 2 ;;
    -d) dur=$2; shift 2 ;;
    -rounds) rounds=$2; shift 2 ;;
    -chats) chats=$2; shift 2 ;;
    *) echo "usage: $0 [-c connections] [-d duration] [-rounds n] [-chats 16]" >&2; exit 2 ;;
  esac
done

. scripts/bench-lib.sh degraded
redis_dir=$(mktemp -d)
trap 'cleanup; rm -rf "$redis_dir"' EXIT
api=127.0.0.1:18690 worker=127.0.0.1:18691 debug=127.0.0.1:18698

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%F %H:%M UTC')"
"$bin/loadgen" -serve 127.0.0.1:18699 &
ceiling_pid=$!
for _ in $(seq 1 50); do curl -s -o /dev/null -XPOST http://127.0.0.1:18699/x -d '{}' && break; sleep 0.1; done
ceiling=$("$bin/loadgen" -ceiling -url http://127.0.0.1:18699 -c "$conns" -d 5s | awk '{print $2}')
kill $ceiling_pid; wait $ceiling_pid 2>/dev/null || true
echo "ceiling: $ceiling requests/s (bare Fiber handler, same bodies, $conns connections)"

redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# As scripts/services.sh runs Redis: an AOF, fsynced every second.
start_redis() {
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" --save "" --appendonly yes --appendfsync everysec >/dev/null &
  redis_pid=$!
  until redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done # -LOADING until the AOF is in
}
start_redis
production_env
export CHAT_REDIS_ADDR=127.0.0.1:$redis_port
CHAT_WORKER_ROLES=persist,index CHAT_WORKER_HTTP_ADDR=$worker CHAT_CONSUMER_NAME=bench "$bin/worker" 2>"$redis_dir/worker.log" &
CHAT_HTTP_ADDR=$api CHAT_DEBUG_ADDR=$debug "$bin/api" 2>"$redis_dir/api.log" &
api_pid=$!
for _ in $(seq 1 100); do curl -fs "http://$api/readyz" >/dev/null 2>&1 && curl -fs "http://$worker/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

metric() { # the sum of a metric (over its labels) on an ops address
  curl -s "http://$1/metrics" | awk -v m="$2" '$1==m || index($1, m"{")==1 {s+=$2} END {print int(s)}'
}
status() { curl -s "http://$api/readyz" | jq -r .status; }
wait_for() { # wait_for what command...: until the command succeeds, at most 3 minutes
  local what=$1; shift
  for _ in $(seq 1 1800); do "$@" && return 0; sleep 0.1; done
  echo "gave up waiting for $what" >&2; return 1
}
degraded_write() { # one create through MySQL: the first after the kill answers 503
  [ "$(curl -s -o /dev/null -w '%{http_code}' -XPOST "http://$api/api/v1/chat_applications/$token/chats/1/messages" \
    -H 'Content-Type: application/json' -d '{"body":"probe"}')" = 201 ] && [ "$(metric $api chat_writes_degraded)" = 1 ]
}
new_chats() { # an application and its chats, made while Redis is up (an application cannot be made without it)
  token=$(curl -s -XPOST "http://$api/api/v1/chat_applications" -H 'Content-Type: application/json' -d '{"name":"bench"}' | jq -r .token)
  for _ in $(seq 1 "$chats"); do curl -fs -o /dev/null -XPOST "http://$api/api/v1/chat_applications/$token/chats"; done
}
drained() { # every event the api took is persisted and indexed, the outbox empty
  local took; took=$(metric $api chat_events_published_total)
  [ "$(metric $worker chat_events_persisted_total)" -ge "$took" ] && [ "$(metric $worker chat_events_indexed_total)" -ge "$took" ] &&
    [ "$(mysql -h127.0.0.1 -uchat -pchat -N -e "SELECT COUNT(*) FROM event_outbox" "$db")" = 0 ]
}
says_degraded() { [ "$(status)" = degraded ]; }
recovered() { [ "$(status)" = ready ] && [ "$(metric $api chat_writes_degraded)" = 0 ]; }

ticks() { # utime+stime of a pid, in clock ticks
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] && awk '{print $14+$15}' "/proc/$1/stat" || echo 0
}
mariadb_pid=$(pgrep -o -x mariadbd || pgrep -o mysqld || echo "")
rows=()
measure() { # measure NAME: one run of creates, and its row of the table
  echo "== $1: $dur, $conns connections, load average $(cut -d' ' -f1 /proc/loadavg)"
  local api0 db0 out; api0=$(ticks "$api_pid") db0=$(ticks "$mariadb_pid")
  out=$("$bin/loadgen" -url "http://$api" -token "$token" -c "$conns" -d "$dur" -chats "$chats" -sample 1000000000)
  echo "$out" | grep -v '^sent=\|^chats=\|lag:'
  # MariaDB's CPU is the shared server's: other runs' queries count too.
  printf 'cpu per create:   api %.0f µs, mariadb %.0f µs\n' \
    "$(echo "($(ticks "$api_pid") - $api0) * 1000000 / $(getconf CLK_TCK) / $(echo "$out" | awk -F= '/^sent=/{print $2}')" | bc -l)" \
    "$(echo "($(ticks "$mariadb_pid") - $db0) * 1000000 / $(getconf CLK_TCK) / $(echo "$out" | awk -F= '/^sent=/{print $2}')" | bc -l)"
  rows+=("$(echo "$out" | awk -v name="$1" -v ceiling="$ceiling" -v la="$(cut -d' ' -f1 /proc/loadavg)" '
    /^messages created:/ {ok=$3; failed=substr($6, 2)}
    /^created:/ {rate=$2}
    /^latency:/ {p50=$3; p99=$7}
    END {printf "%-10s %9.0f %10s %10s %9.3f %9.2f%% %6s", name, rate, p50, p99, rate/ceiling, 100*ok/(ok+failed), la}')")
}

for round in $(seq 1 "$rounds"); do
  new_chats
  measure "fast $round"
  wait_for "the drain" drained # the chats too: a chat not yet persisted answers 503 without Redis
  kill -9 "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
  wait_for "/readyz to say degraded" says_degraded
  wait_for "a write through MySQL" degraded_write
  if [ -n "${BENCH_PROFILE:-}" ] && [ "$round" = 1 ]; then
    (sleep 3; curl -s -o "$BENCH_PROFILE" "http://$debug/debug/pprof/profile?seconds=10") &
  fi
  measure "degraded $round"
  start_redis
  wait_for "the api back on Redis" recovered
  wait_for "the relay and the drain" drained
done
printf '\n%-10s %9s %10s %10s %9s %10s %6s\n' run creates/s p50 p99 ceiling 2xx load
printf '%s\n' "${rows[@]}"
# While Redis is down the worker logs each failed read; the api should not log an error.
echo "error lines logged: api $(grep -c '"level":"error"' "$redis_dir/api.log" || true), worker $(grep -c . "$redis_dir/worker.log" || true)"
