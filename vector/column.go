package vector

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// columnRef reads one column of the batch.
type columnRef struct {
	index int
	typ   arrow.DataType
	name  string
}

var _ Expr = (*columnRef)(nil)

// ColumnRef returns the expression reading column index of the batch, of
// type typ, rendered as name. Eval returns the column itself, Retained (no
// copy). A column that arrives as a string view or large string where typ
// is String is converted to String.
func ColumnRef(index int, typ arrow.DataType, name string) Expr {
	return &columnRef{index: index, typ: typ, name: name}
}

// Type implements Expr.
func (c *columnRef) Type() arrow.DataType { return c.typ }

// String implements Expr.
func (c *columnRef) String() string {
	if c.name == "" {
		return "#" + strconv.Itoa(c.index)
	}
	return c.name
}

// Eval implements Expr.
func (c *columnRef) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	if c.index < 0 || c.index >= int(batch.NumCols()) {
		return nil, fmt.Errorf("vector: column %s: index %d out of range for a batch of %d columns", c, c.index, batch.NumCols())
	}
	col := batch.Column(c.index)
	got := col.DataType()
	if got.ID() == c.typ.ID() {
		if ts, ok := got.(*arrow.TimestampType); ok && ts.Unit != arrow.Millisecond {
			return toMillis(mem, col, ts.Unit), nil
		}
		col.Retain()
		return col, nil
	}
	if c.typ.ID() == arrow.STRING {
		switch a := col.(type) {
		case *array.StringView:
			return copyStrings(mem, a, a.Len()), nil
		case *array.LargeString:
			return copyStrings(mem, a, a.Len()), nil
		}
	}
	return nil, fmt.Errorf("vector: column %s has type %s, expected %s", c, got, TypeName(c.typ))
}

// stringsLike is an array of text values.
type stringsLike interface {
	arrow.Array
	Value(i int) string
}

// copyStrings copies any text array into a String array.
func copyStrings(mem memory.Allocator, a stringsLike, n int) arrow.Array {
	out := newStrOut(mem, n, 0)
	for i := 0; i < n; i++ {
		if a.IsValid(i) {
			out.appendString(a.Value(i))
		}
		out.end(i)
	}
	return out.finish(combineValidity(mem, n, a), n)
}

// toMillis converts a timestamp column of another unit to milliseconds
// (rounding toward negative infinity).
func toMillis(mem memory.Allocator, col arrow.Array, unit arrow.TimeUnit) arrow.Array {
	n := col.Len()
	in := int64Values(col)
	buf := newBuffer(mem, 8*n)
	out := int64Slice(buf)
	switch unit {
	case arrow.Second:
		for i, v := range in {
			out[i] = v * 1000
		}
	default:
		div := int64(1000)
		if unit == arrow.Nanosecond {
			div = 1000000
		}
		for i, v := range in {
			q := v / div
			if v%div < 0 {
				q--
			}
			out[i] = q
		}
	}
	return finish(Timestamp, n, combineValidity(mem, n, col), buf)
}

// IsColumnRef reports whether e is a plain reference to a column, and
// which one.
func IsColumnRef(e Expr) (int, bool) {
	c, ok := e.(*columnRef)
	if !ok {
		return 0, false
	}
	return c.index, true
}
