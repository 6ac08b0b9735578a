#!/usr/bin/env bash
# The linters: go vet, gofmt over hand-written code, and golangci-lint
# (.golangci.yml) at a pinned version, built by the go command on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
GOLANGCI_LINT=${GOLANGCI_LINT:-github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0}

echo "== go vet"
go vet ./...
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' | grep -v '^ent/'))
if [ -n "$unformatted" ]; then
  echo "not gofmt'ed:" >&2; echo "$unformatted" >&2; exit 1
fi
echo "== golangci-lint"
go run "$GOLANGCI_LINT" run ./...
