// Package planner turns parsed statements into action: DDL changes the
// catalog, SHOW/DESCRIBE/EXPLAIN produce rows, and SELECT / INSERT INTO
// become a logical plan (Scan, Filter, Project, Unnest, Aggregate, Sort,
// Limit) that is lowered to a pipeline of exec operators over a source
// and a sink.
//
// Semantic errors (unknown tables, columns or functions, type mismatches,
// columns outside GROUP BY, bad intervals) are *sql.Error values that
// point at the user's own text.
package planner
