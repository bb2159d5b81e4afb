// Package exec runs continuous queries: the operators that transform Arrow
// record batches (filter, project, unnest, windowed aggregation), the
// window state kept in panes with incremental accumulators, watermarks, and
// the loop that pulls batches from sources and pushes results to sinks.
//
// exec never imports the SQL layer: the planner hands it ready operators.
package exec
