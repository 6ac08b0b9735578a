#!/usr/bin/env bash
# The project's test command: every package, with the race detector, against
# the real MariaDB and Redis that scripts/services.sh starts.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh start
go test -race -count=1 -timeout 20m ./... "$@"
# The decoders' fuzz targets, briefly (task fuzz runs them longer).
FUZZTIME=${CHAT_FUZZTIME:-5s} scripts/fuzz.sh
