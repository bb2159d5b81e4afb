#!/usr/bin/env bash
# The whole test suite: unit, golden SQL, property and end-to-end tests,
# the fuzz targets' seed corpora, benchmarks run once for correctness, and
# the concurrent packages again under the race detector. The suite runs
# at the default parallelism (the number of cores), and the end-to-end and
# golden tests again at parallelism 1 (GOMAXPROCS=1 makes it the default
# of every weir process they start).
# A package's tests may take long on a loaded machine (the race detector
# slows the property tests several times over): each package gets 30
# minutes, not go test's default 10.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -count=1 -timeout 30m ./...
go test -count=1 -timeout 30m -run '^$' -bench . -benchtime 1x ./... > /dev/null
go test -count=1 -timeout 30m -short -race ./exec/... ./connectors/... ./cmd/...
GOMAXPROCS=1 go test -count=1 -timeout 30m -short ./planner ./cmd/weir
