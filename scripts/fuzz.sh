#!/usr/bin/env bash
# Runs every fuzz target of the decoders (requests, cursors, search queries,
# read-cache entries) for FUZZTIME each (default 60s; a count such as 50000x
# runs that many inputs, with no deadline for Go 1.26's fuzzing coordinator
# to trip over: see scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
for spec in adapters/httpapi:FuzzParseAttribute adapters/httpapi:FuzzDecodeCursor adapters/httpapi:FuzzSearchQuery application:FuzzCacheEntry; do
  dir=./${spec%%:*} target=${spec#*:}
  echo "== fuzz $target (${FUZZTIME:-60s})"
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "${FUZZTIME:-60s}" "$dir"
done
