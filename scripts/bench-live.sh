#!/usr/bin/env bash
# The live delivery benchmark: the production stack (api, worker, MariaDB,
# Redis, OpenSearch), 10,000 live streams (ten on each of 1,000 chats) while
# 1,000 messages/s are created across those chats; delivery latency, the
# api's memory per stream, and what the open streams cost the create rate
# (measured as fast as the connections go, without and with the streams),
# beside the bare Fiber ceiling of the same run.
#
# Usage: scripts/bench-live.sh [livebench flags: -chats -per -rate -d -c; -users N
# -user-chats -members -per-app for one …/me/events stream per user]
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
. scripts/bench-lib.sh live
go build -o "$bin" ./cmd/livebench
production_env

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F)"
"$bin/loadgen" -serve 127.0.0.1:18299 &
for _ in $(seq 1 50); do curl -s -o /dev/null -XPOST http://127.0.0.1:18299/x -d '{}' && break; sleep 0.1; done
"$bin/loadgen" -ceiling -url http://127.0.0.1:18299 -c 64 -d 5s
kill %+ 2>/dev/null || true

CHAT_WORKER_HTTP_ADDR=127.0.0.1:18291 "$bin/worker" &
CHAT_HTTP_ADDR=127.0.0.1:18290 CHAT_DEBUG_ADDR=127.0.0.1:18292 "$bin/api" &
api_pid=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18290/readyz >/dev/null 2>&1 && break; sleep 0.2; done
"$bin/livebench" -url http://127.0.0.1:18290 -pid "$api_pid" -worker http://127.0.0.1:18291/metrics "$@"
