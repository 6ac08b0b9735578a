#!/usr/bin/env bash
# Runs every fuzz target of the decoders (requests, cursors, search queries,
# read-cache entries) for FUZZTIME each (default 60s).
set -euo pipefail
cd "$(dirname "$0")/.."
for spec in adapters/httpapi:FuzzParseAttribute adapters/httpapi:FuzzDecodeCursor adapters/httpapi:FuzzSearchQuery application:FuzzCacheEntry; do
  dir=./${spec%%:*} target=${spec#*:}
  echo "== fuzz $target (${FUZZTIME:-60s})"
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "${FUZZTIME:-60s}" "$dir"
done
