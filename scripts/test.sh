#!/usr/bin/env bash
# The whole test suite: unit, golden SQL, property and end-to-end tests,
# the fuzz targets' seed corpora, benchmarks run once for correctness, and
# the concurrent packages again under the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 ./...
go test -count=1 -run '^$' -bench . -benchtime 1x ./... > /dev/null
go test -count=1 -short -race ./exec/... ./connectors/... ./cmd/...
