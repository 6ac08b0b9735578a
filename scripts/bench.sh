#!/usr/bin/env bash
# Message-creation load test on this machine: starts MariaDB, Redis and OpenSearch, one
# api and one worker (production profile) on loopback, drives them with
# cmd/loadgen, and prints throughput, latency percentiles and persistence lag.
# Usage: scripts/bench.sh [-c connections] [-d duration]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh start >/dev/null

bin=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$bin"' EXIT
go build -o "$bin" ./cmd/api ./cmd/worker ./cmd/migrate ./cmd/loadgen

db="chat_bench_$$"
mysql -h127.0.0.1 -uchat -pchat -e "CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$bin"
  mysql -h127.0.0.1 -uchat -pchat -e "DROP DATABASE IF EXISTS $db"
  redis-cli --scan --pattern "bench.$$*" | xargs -r redis-cli del >/dev/null
  curl -s -XDELETE "http://127.0.0.1:9200/bench-$$*" >/dev/null || true
}
trap cleanup EXIT

export CHAT_PROFILE=production CHAT_LOG_LEVEL=warn
export CHAT_MYSQL_DSN="chat:chat@tcp(127.0.0.1:3306)/$db"
export CHAT_REDIS_ADDR=127.0.0.1:6379
export CHAT_OPENSEARCH_URL=http://127.0.0.1:9200 CHAT_OPENSEARCH_INDEX="bench-$$"
export CHAT_STREAM_PREFIX="bench.$$"
export CHAT_HTTP_ADDR=127.0.0.1:18090 CHAT_WORKER_HTTP_ADDR=127.0.0.1:18091
"$bin/migrate"
"$bin/worker" &
"$bin/api" &
for _ in $(seq 1 50); do curl -fs http://127.0.0.1:18090/readyz >/dev/null 2>&1 && break; sleep 0.2; done

"$bin/loadgen" -url http://127.0.0.1:18090 "$@" &
lg=$!
if [ -n "${BENCH_PROFILE:-}" ]; then sleep 3; curl -s -o "$BENCH_PROFILE" "http://127.0.0.1:18091/debug/pprof/profile?seconds=10"; fi
wait $lg
echo "worker metrics:"
curl -s http://127.0.0.1:18091/metrics | grep -E '^chat_(events|stream)' || true

