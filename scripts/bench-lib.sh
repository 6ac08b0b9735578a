# Sourced by the benchmarks: the servers started, the binaries built into
# $bin, and everything a run makes (its database, streams and index, all
# named after $1 and this process) removed when it exits.
# Usage: . scripts/bench-lib.sh NAME
# BENCH_REDIS=cluster runs it on the Redis Cluster of scripts/services.sh
# (three masters on this same machine) instead of the single Redis.
scripts/services.sh start >/dev/null
bench_name="$1"
# The Redis Cluster's masters, as scripts/services.sh starts them.
cluster_ports=${CHAT_TEST_REDIS_CLUSTER_PORTS:-"7001 7002 7003"}
bin=$(mktemp -d)
db="chat_${bench_name}_$$"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$bin"
  mysql -h127.0.0.1 -uchat -pchat -e "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
  redis-cli --scan --pattern "$bench_name.$$*" | xargs -r redis-cli del >/dev/null
  for port in $cluster_ports; do
    redis-cli -p $port --scan --pattern "$bench_name.$$*" | xargs -r -n1 redis-cli -c -p $port del >/dev/null 2>&1 || true
  done
  curl -s -XDELETE "http://127.0.0.1:9200/$bench_name-$$*" >/dev/null || true
}
trap cleanup EXIT
go build -o "$bin" ./cmd/api ./cmd/worker ./cmd/migrate ./cmd/loadgen

# production_env makes the run's MySQL database and points the production
# profile at it, and at the run's own streams and search index.
production_env() {
  mysql -h127.0.0.1 -uchat -pchat -e "CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
  export CHAT_PROFILE=production CHAT_LOG_LEVEL=error
  export CHAT_MYSQL_DSN="chat:chat@tcp(127.0.0.1:3306)/$db"
  export CHAT_REDIS_ADDR=127.0.0.1:6379
  if [ "${BENCH_REDIS:-}" = cluster ]; then
    CHAT_REDIS_ADDR=$(for port in $cluster_ports; do printf '127.0.0.1:%s,' "$port"; done)
    CHAT_REDIS_ADDR=${CHAT_REDIS_ADDR%,}
  fi
  export CHAT_OPENSEARCH_URL=http://127.0.0.1:9200 CHAT_OPENSEARCH_INDEX="$bench_name-$$"
  export CHAT_STREAM_PREFIX="$bench_name.$$"
  "$bin/migrate" >/dev/null
}
