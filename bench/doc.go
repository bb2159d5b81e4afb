// Package bench holds Weir's workloads: deterministic data generators for
// benchmarks and end-to-end tests.
package bench
