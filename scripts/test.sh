#!/usr/bin/env bash
# The whole test suite: unit, golden SQL, property and end-to-end tests,
# the fuzz targets' seed corpora, benchmarks run once for correctness, and
# the concurrent packages again under the race detector.
# A package's tests may take long on a loaded machine (the race detector
# slows the property tests several times over): each package gets 30
# minutes, not go test's default 10.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 -timeout 30m ./...
go test -count=1 -timeout 30m -run '^$' -bench . -benchtime 1x ./... > /dev/null
go test -count=1 -timeout 30m -short -race ./exec/... ./connectors/... ./cmd/...
