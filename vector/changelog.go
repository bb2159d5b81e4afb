package vector

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// RowKind says what a row of an updating stream (a changelog) does to the
// result, as Flink's RowKind does: insert a row, retract the old version
// of an updated row, add its new version, or delete a row.
type RowKind int8

// The row kinds, stored as Int8 values in a changelog's op column.
const (
	// Insert (+I) adds a row.
	Insert RowKind = 0
	// UpdateBefore (-U) retracts the previous version of an updated row;
	// the UpdateAfter with its new version follows it at once, in the
	// same batch.
	UpdateBefore RowKind = 1
	// UpdateAfter (+U) adds the new version of an updated row.
	UpdateAfter RowKind = 2
	// Delete (-D) removes a row.
	Delete RowKind = 3
)

// String is the kind's short name: "+I", "-U", "+U" or "-D".
func (k RowKind) String() string {
	switch k {
	case Insert:
		return "+I"
	case UpdateBefore:
		return "-U"
	case UpdateAfter:
		return "+U"
	case Delete:
		return "-D"
	}
	return fmt.Sprintf("RowKind(%d)", int8(k))
}

// Retracts reports whether the kind takes a row away (-U, -D).
func (k RowKind) Retracts() bool { return k == UpdateBefore || k == Delete }

// OpColumn is the name of a changelog's op column: the last column of
// every batch of an updating stream, Int8 holding a RowKind per row. Sinks
// show it as "_op" (jsonl, csv) or "op" (console tables); it is never a
// column a query can name.
const OpColumn = "_op"

// changelogKey marks the op column in its field's metadata, so that a
// user's column that happens to be called _op is never taken for it.
const changelogKey = "weir.changelog"

// OpField is the field of a changelog's op column.
func OpField() arrow.Field {
	return arrow.Field{Name: OpColumn, Type: arrow.PrimitiveTypes.Int8,
		Metadata: arrow.NewMetadata([]string{changelogKey}, []string{"op"})}
}

// IsOpField reports whether f is a changelog's op column.
func IsOpField(f arrow.Field) bool {
	if f.Type.ID() != arrow.INT8 {
		return false
	}
	i := f.Metadata.FindKey(changelogKey)
	return i >= 0 && f.Metadata.Values()[i] == "op"
}

// OpIndex returns the index of s's op column, or -1 when s is the schema
// of an append-only stream. The op column is always the last one.
func OpIndex(s *arrow.Schema) int {
	n := s.NumFields()
	if n > 0 && IsOpField(s.Field(n-1)) {
		return n - 1
	}
	return -1
}

// IsChangelog reports whether batches of schema s carry a row kind per
// row.
func IsChangelog(s *arrow.Schema) bool { return OpIndex(s) >= 0 }

// WithOpColumn returns s with the op column appended (s itself when it
// has one already).
func WithOpColumn(s *arrow.Schema) *arrow.Schema {
	if IsChangelog(s) {
		return s
	}
	fs := append(append([]arrow.Field(nil), s.Fields()...), OpField())
	md := s.Metadata()
	return arrow.NewSchema(fs, &md)
}

// WithoutOpColumn returns s without its op column (s itself when it has
// none).
func WithoutOpColumn(s *arrow.Schema) *arrow.Schema {
	i := OpIndex(s)
	if i < 0 {
		return s
	}
	md := s.Metadata()
	return arrow.NewSchema(s.Fields()[:i], &md)
}
