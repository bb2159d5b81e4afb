// Package vector holds Weir's column kernels over Apache Arrow arrays:
// scalar expressions evaluated over whole columns (arithmetic, comparison,
// logic, LIKE, CASE, CAST, string functions), casts between Weir's types,
// and hashing of key columns into group ids.
//
// It depends on Arrow alone.
//
// # Expressions
//
// The planner builds an [Expr] tree once per query with [ColumnRef],
// [Literal], [Binary], [Not], [Negate], [IsNull], [In], [Like], [Case],
// [Cast] and [Func]; the engine calls Eval once per batch. The
// constructors type-check and return errors (never panic); constant
// subtrees are folded into literals, and kernels take constant operands
// as scalars instead of materialising them ([IsLiteral]).
//
// Semantics follow MySQL and Spark: NULL in, NULL out, except AND/OR
// (three-valued), IS [NOT] NULL, COALESCE/IFNULL, CONCAT_WS and IN with a
// NULL in its list. Division or remainder by zero is NULL; BIGINT overflow
// wraps around (two's complement); / is always DOUBLE; DIV is BIGINT;
// TIMESTAMP ± BIGINT adds milliseconds. Text that does not parse in a CAST
// is NULL. String positions and lengths count characters, not bytes.
//
// Ownership: Eval's result belongs to the caller, who releases it; the
// batch is borrowed. Results are allocated from the allocator passed to
// Eval, carry an exact null count, and have no validity bitmap when they
// have no NULLs.
package vector
