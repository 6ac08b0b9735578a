#!/usr/bin/env bash
# Installs (Debian packages) and starts MariaDB and Redis on loopback for tests
# and local work. Idempotent: a running server is left alone.
# Usage: scripts/services.sh [start|stop]
set -euo pipefail

STATE_DIR=${CHAT_SERVICES_DIR:-/tmp/chat-services}
MYSQL_PORT=${CHAT_TEST_MYSQL_PORT:-3306}
REDIS_PORT=${CHAT_TEST_REDIS_PORT:-6379}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need_install=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_install+=(mariadb-server)
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)

install() {
  if [ ${#need_install[@]} -gt 0 ]; then
    echo "services: installing ${need_install[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_install[@]}" >/dev/null
  fi
}

start_redis() {
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then return; fi
  mkdir -p "$STATE_DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STATE_DIR/redis" \
    --appendonly yes --appendfsync everysec --save "" --maxmemory-policy noeviction \
    --daemonize yes --logfile "$STATE_DIR/redis.log"
  for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "services: redis did not start" >&2; cat "$STATE_DIR/redis.log" >&2; exit 1
}

start_mariadb() {
  if mysqladmin --protocol=tcp -h127.0.0.1 -P"$MYSQL_PORT" -uchat -pchat ping >/dev/null 2>&1; then return; fi
  local datadir="$STATE_DIR/mysql"
  if [ ! -d "$datadir/mysql" ]; then
    mkdir -p "$datadir"
    mariadb-install-db --user="$(id -un)" --datadir="$datadir" --auth-root-authentication-method=normal >"$STATE_DIR/mysql-install.log" 2>&1
  fi
  local mariadbd=/usr/sbin/mariadbd
  command -v mariadbd >/dev/null 2>&1 && mariadbd=$(command -v mariadbd)
  nohup "$mariadbd" --no-defaults --user="$(id -un)" --datadir="$datadir" \
    --bind-address=127.0.0.1 --port="$MYSQL_PORT" --socket="$STATE_DIR/mysql.sock" \
    --pid-file="$STATE_DIR/mysql.pid" --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci --innodb-buffer-pool-size=512M \
    --innodb-flush-log-at-trx-commit=2 --max-connections=500 \
    >"$STATE_DIR/mysql.log" 2>&1 &
  for _ in $(seq 1 100); do
    mysqladmin --socket="$STATE_DIR/mysql.sock" -uroot ping >/dev/null 2>&1 && break; sleep 0.2
  done
  mysql --socket="$STATE_DIR/mysql.sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS chat CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'chat'@'127.0.0.1' IDENTIFIED BY 'chat';
CREATE USER IF NOT EXISTS 'chat'@'localhost' IDENTIFIED BY 'chat';
GRANT ALL PRIVILEGES ON *.* TO 'chat'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'chat'@'localhost';
FLUSH PRIVILEGES;
SQL
  mysqladmin --protocol=tcp -h127.0.0.1 -P"$MYSQL_PORT" -uchat -pchat ping >/dev/null
}

stop_all() {
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  [ -f "$STATE_DIR/mysql.pid" ] && kill "$(cat "$STATE_DIR/mysql.pid")" 2>/dev/null || true
}

case "${1:-start}" in
  start)
    install; start_redis; start_mariadb
    echo "services: mariadb on 127.0.0.1:$MYSQL_PORT (user chat/chat, db chat), redis on 127.0.0.1:$REDIS_PORT"
    ;;
  stop) stop_all ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
