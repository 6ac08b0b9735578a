#!/usr/bin/env bash
# The project's test command: every package, with the race detector, against
# the real MariaDB and Redis that scripts/services.sh starts.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh start
go test -race -count=1 -timeout 20m ./... "$@"
# The decoders' fuzz targets, briefly (task fuzz runs them longer). A count
# of runs, not a duration: Go 1.26's fuzzing coordinator can report its own
# -fuzztime deadline as a failure ("context deadline exceeded", no failing
# input) on a loaded machine (go.dev/issue/75804, fixed in Go 1.27).
FUZZTIME=${CHAT_FUZZTIME:-50000x} scripts/fuzz.sh
