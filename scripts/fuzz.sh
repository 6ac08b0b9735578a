#!/usr/bin/env bash
# Runs every fuzz target of the decoders for FUZZTIME each (default 60s).
set -euo pipefail
cd "$(dirname "$0")/.."
for target in FuzzParseAttribute FuzzDecodeCursor FuzzSearchQuery; do
  echo "== fuzz $target (${FUZZTIME:-60s})"
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "${FUZZTIME:-60s}" ./adapters/httpapi
done
