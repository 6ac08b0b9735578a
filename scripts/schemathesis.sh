#!/usr/bin/env bash
# Runs schemathesis (a pinned version, in a venv of its own) against the
# embedded api on a free port with a temporary data directory: a bounded
# number of generated requests on every route of openapi.json, checked
# against the document (status codes, schemas, headers, refusals of invalid
# input, acceptance of valid input). Any failure fails the run.
#
# The production profile serves the same routes through the same HTTP layer
# (adapters/httpapi) and use cases; only the adapters behind them differ, and
# the HTTP suite (bootstrap/api_test.go) checks every exchange of both
# profiles against the same document.
#
#   EXAMPLES=30 scripts/schemathesis.sh     # generated cases per operation and phase
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.32.5
EXAMPLES=${EXAMPLES:-30}
VENV=${SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/chat-schemathesis-$VERSION}

if [ ! -x "$VENV/bin/st" ]; then
  echo "== installing schemathesis $VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==$VERSION"
fi

work=$(mktemp -d)
api_pid=
cleanup() {
  if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/api" ./cmd/api
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=schemathesis-operator
CHAT_DATA_DIR="$work/data" CHAT_HTTP_ADDR="127.0.0.1:$port" CHAT_LOG_LEVEL=error \
  CHAT_ADMIN_TOKEN=$token CHAT_LIVE_HEARTBEAT=1s "$work/api" >"$work/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== schemathesis $VERSION: every route, $EXAMPLES examples per operation and phase"
# Run from the temporary directory: schemathesis keeps a cache of past
# failures in its working directory, which would make runs depend on earlier ones.
here=$(pwd)
cd "$work"
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here/scripts/schemathesis" \
  "$VENV/bin/st" --config-file "$here/scripts/schemathesis/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
  --checks all --max-examples "$EXAMPLES" --seed "${SEED:-1}" \
  --request-timeout 3 --no-color
