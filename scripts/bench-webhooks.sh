#!/usr/bin/env bash
# The webhooks benchmark: the production stack (api, a persisting and
# indexing worker, a worker with the webhooks role, MariaDB, Redis,
# OpenSearch) and a local receiver (cmd/hookbench): -rate creates/s for -d
# without an endpoint, then with one; the create rate and latency of both,
# deliveries/s, and the lag from create to delivery (target: 1,000/s, p99
# under 1 s, creates slowed under 10 %), beside the bare Fiber ceiling of
# the same run, and the CPU per delivery of each process.
#
# Usage: scripts/bench-webhooks.sh [hookbench flags: -rate -d -chats -c]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh hooks
go build -o "$bin" ./cmd/hookbench
production_env
export CHAT_WEBHOOK_ALLOW_PRIVATE=true

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F); load $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin/loadgen" -serve 127.0.0.1:18499 &
for _ in $(seq 1 50); do curl -s -o /dev/null -XPOST http://127.0.0.1:18499/x -d '{}' && break; sleep 0.1; done
"$bin/loadgen" -ceiling -url http://127.0.0.1:18499 -c 64 -d 5s
kill %+ 2>/dev/null || true

CHAT_WORKER_ROLES=persist,index CHAT_WORKER_HTTP_ADDR=127.0.0.1:18491 CHAT_CONSUMER_NAME=store "$bin/worker" &
store_pid=$!
CHAT_WORKER_ROLES=webhooks CHAT_WORKER_HTTP_ADDR=127.0.0.1:18492 CHAT_CONSUMER_NAME=hooks "$bin/worker" &
hooks_pid=$!
CHAT_HTTP_ADDR=127.0.0.1:18490 "$bin/api" &
api_pid=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18490/readyz >/dev/null 2>&1 && curl -fs http://127.0.0.1:18492/readyz >/dev/null 2>&1 && break; sleep 0.2; done

mariadb_pid=$(pgrep -o -x mariadbd || pgrep -o mysqld || echo "")
redis_pid=$(redis-cli info server | tr -d '\r' | awk -F: '/^process_id/{print $2}')
procs="api:$api_pid store-worker:$store_pid webhooks-worker:$hooks_pid mariadb:$mariadb_pid redis:$redis_pid"
ticks() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && awk '{print $14+$15}' "/proc/$1/stat" || echo 0; }
declare -A before=()
for p in $procs; do before[${p%%:*}]=$(ticks "${p#*:}"); done
"$bin/hookbench" -url http://127.0.0.1:18490 "$@" | tee /dev/stderr > "$bin/out"
creates=$(awk '/^creates, /{n += $(NF-6)} END {print n}' "$bin/out")
hz=$(getconf CLK_TCK)
line="cpu per create, over both phases (the second one's delivered):"
for p in $procs; do
  name=${p%%:*}; t=$(( $(ticks "${p#*:}") - ${before[$name]} ))
  line+=$(printf ' %s %.0f µs' "$name" "$(echo "$t * 1000000 / $hz / $creates" | bc -l)")
done
echo "$line"
