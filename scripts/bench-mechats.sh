#!/usr/bin/env bash
# The chat-list benchmark (issue 21), on this machine: the production stack
# (api, worker, MariaDB, Redis, OpenSearch), one user in -chats chats of a
# protected application, then GET …/me/chats (the first page of 50) as fast
# as -c connections go. Target: p99 < 20 ms for 1,000 chats at 64 connections.
#
# Usage: scripts/bench-mechats.sh [-chats n] [-c connections] [-d duration]
set -euo pipefail
cd "$(dirname "$0")/.."

chats=1000 conns=64 dur=15s
while [ $# -gt 0 ]; do
  case "$1" in
    -chats) chats=$2; shift 2 ;;
    -c) conns=$2; shift 2 ;;
    -d) dur=$2; shift 2 ;;
    *) echo "usage: $0 [-chats n] [-c connections] [-d duration]" >&2; exit 2 ;;
  esac
done

. scripts/bench-lib.sh mechats
go build -o "$bin" ./cmd/mechatsbench
production_env
CHAT_WORKER_HTTP_ADDR=127.0.0.1:18291 "$bin/worker" &
CHAT_HTTP_ADDR=127.0.0.1:18290 "$bin/api" &
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18290/readyz >/dev/null 2>&1 && break; sleep 0.2; done

out=$("$bin/mechatsbench" -url http://127.0.0.1:18290 -chats "$chats" -c "$conns" -d "$dur")
echo "$out"
# The run's tallies (chat:{token}:tally:…), which bench-lib.sh's cleanup does not know.
token=$(echo "$out" | awk -F= '/^token=/{print $2}')
[ -n "$token" ] && redis-cli --scan --pattern "chat:{$token}:tally:*" | xargs -r redis-cli del >/dev/null
