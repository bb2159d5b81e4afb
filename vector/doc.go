// Package vector holds Weir's column kernels over Apache Arrow arrays:
// scalar expressions evaluated over whole columns (arithmetic, comparison,
// logic, LIKE, CASE, CAST, string functions), casts between Weir's types,
// and hashing of key columns into group ids.
//
// It depends on Arrow alone.
package vector
