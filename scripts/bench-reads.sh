#!/usr/bin/env bash
# The read benchmark, on this machine: the production stack (api, worker,
# MariaDB, Redis, OpenSearch) with one chat of N varied messages, persisted
# and indexed, then each kind of read as fast as the connections go, beside
# the ceiling measured in the same run (a bare Fiber handler answering a
# message-sized JSON document).
#
# Usage: scripts/bench-reads.sh [-n messages] [-c connections] [-d duration] [-protected]
# -protected: the chat in a protected application, every read with a user token.
# BENCH_PROFILE_DIR=dir: a CPU profile of the api during each read (dir/readN.pprof).
set -euo pipefail
cd "$(dirname "$0")/.."

n=20000 conns=64 dur=8s protected=() access="open application"
while [ $# -gt 0 ]; do
  case "$1" in
    -protected) protected=(-protected); access="protected application, reads with a user token"; shift ;;
    -n) n=$2; shift 2 ;;
    -c) conns=$2; shift 2 ;;
    -d) dur=$2; shift 2 ;;
    *) echo "usage: $0 [-n messages] [-c connections] [-d duration] [-protected]" >&2; exit 2 ;;
  esac
done

. scripts/bench-lib.sh reads
production_env
CHAT_WORKER_HTTP_ADDR=127.0.0.1:18191 "$bin/worker" &
CHAT_HTTP_ADDR=127.0.0.1:18190 CHAT_DEBUG_ADDR=127.0.0.1:18192 "$bin/api" &
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18190/readyz >/dev/null 2>&1 && break; sleep 0.2; done

# One application, one chat of n messages (the load generator's bodies).
out=$("$bin/loadgen" -url http://127.0.0.1:18190 -c 32 -d 1h -chats 1 -sample 1000000000 -count "$n" "${protected[@]}")
token=$(echo "$out" | awk -F= '/^token=/{print $2}')
bearer=$(echo "$out" | awk -F= '/^bearer=/{print $2}') # empty for an open application
auth=(); [ -n "$bearer" ] && auth=(-H "Authorization: Bearer $bearer")
base="/api/v1/chat_applications/$token/chats/1"
echo "== one chat of $n messages, $access; waiting until all are persisted and indexed"
for _ in $(seq 1 600); do
  p=$(curl -s http://127.0.0.1:18191/metrics | awk '$1=="chat_events_persisted_total"{print int($2)}')
  i=$(curl -s http://127.0.0.1:18191/metrics | awk '$1=="chat_events_indexed_total"{print int($2)}')
  [ "${p:-0}" -ge $((n + 1)) ] && [ "${i:-0}" -ge $((n + 1)) ] && break
  sleep 0.5
done
sleep 2 # one refresh interval, and a little

"$bin/loadgen" -serve 127.0.0.1:18199 &
for _ in $(seq 1 50); do curl -fs -o /dev/null http://127.0.0.1:18199/x && break; sleep 0.1; done
ceiling=$("$bin/loadgen" -url http://127.0.0.1:18199 -get /messages/17 -c "$conns" -d "$dur" | awk '{print $2}')
echo "ceiling (bare Fiber handler, message-sized JSON): $ceiling requests/s"
kill %+ 2>/dev/null || true

rare=$(curl -s "${auth[@]}" "http://127.0.0.1:18190$base/messages/7" | sed -E 's/.*"body":"([a-z]+) .*/\1/')
rows=0
row() {
  rows=$((rows + 1))
  if [ -n "${BENCH_PROFILE_DIR:-}" ]; then # a CPU profile of the api during each read
    (sleep 1; curl -s -o "$BENCH_PROFILE_DIR/read$rows.pprof" "http://127.0.0.1:18192/debug/pprof/profile?seconds=4") &
  fi
  r=$("$bin/loadgen" -url http://127.0.0.1:18190 -get "$2" -bearer "$bearer" -c "$conns" -d "$dur")
  rps=$(echo "$r" | awk '{print $2}')
  printf '%-36s %8.0f req/s  %5.3f of the ceiling  %s\n' "$1" "$rps" "$(echo "$rps / $ceiling" | bc -l)" "$(echo "$r" | awk '{for (i = 4; i <= NF; i++) printf "%s ", $i}')"
}
row "GET one message" "$base/messages/17"
row "GET a page of 50 messages" "$base/messages?limit=50"
row "GET one chat" "$base"
row "search, a rare word ($rare)" "$base/messages/search?q=$rare"
row "search, an infix (${rare:1:3})" "$base/messages/search?q=${rare:1:3}"
row "search, a common word (hello)" "$base/messages/search?q=hello"
