package vector

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// literal is a constant. v is nil (NULL), int64 (Int64, Timestamp ms),
// float64, string or bool.
type literal struct {
	v   any
	typ arrow.DataType
}

var _ Expr = (*literal)(nil)

// Literal returns a constant of type typ. v is nil (NULL of that type),
// int64, float64, string or bool; for Timestamp an int64 of milliseconds
// since the epoch. Literal also converts the obvious neighbours (int and
// int32 to int64, integers to float64 for Float64, time.Time and
// timestamp text for Timestamp). A value that does not fit typ is a bug in
// the caller: Literal does not panic, but returns an expression of type
// typ whose every Eval fails with the reason; use NewLiteral to get the
// error at once.
func Literal(v any, typ arrow.DataType) Expr {
	e, err := NewLiteral(v, typ)
	if err != nil {
		return &badLiteral{typ: typ, err: err}
	}
	return e
}

// badLiteral is what Literal returns for a value that does not fit its
// type: evaluating it fails.
type badLiteral struct {
	typ arrow.DataType
	err error
}

// Type implements Expr.
func (b *badLiteral) Type() arrow.DataType { return b.typ }

// Eval implements Expr: it always fails.
func (b *badLiteral) Eval(memory.Allocator, arrow.RecordBatch) (arrow.Array, error) {
	return nil, fmt.Errorf("internal error: bad literal: %w", b.err)
}

// String implements Expr.
func (b *badLiteral) String() string { return "<bad literal: " + b.err.Error() + ">" }

// NewLiteral is Literal returning an error, instead of panicking, when v
// does not fit typ.
func NewLiteral(v any, typ arrow.DataType) (Expr, error) {
	nv, err := normalizeLiteral(v, typ)
	if err != nil {
		return nil, err
	}
	return &literal{v: nv, typ: typ}, nil
}

// IsLiteral reports whether e is a constant and returns its value (nil
// for NULL) in the form Literal takes. Kernels use it to special-case
// constant operands without materialising them.
func IsLiteral(e Expr) (any, bool) {
	if l, ok := e.(*literal); ok {
		return l.v, true
	}
	return nil, false
}

// normalizeLiteral converts v to the canonical Go type for typ.
func normalizeLiteral(v any, typ arrow.DataType) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := fmt.Errorf("vector: literal %v (%T) does not fit %s", v, v, TypeName(typ))
	switch typ.ID() {
	case arrow.INT64:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case int32:
			return int64(x), nil
		}
	case arrow.FLOAT64:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case int:
			return float64(x), nil
		}
	case arrow.STRING:
		if x, ok := v.(string); ok {
			return x, nil
		}
	case arrow.BOOL:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case arrow.TIMESTAMP:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int:
			return int64(x), nil
		case arrow.Timestamp:
			return int64(x), nil
		case time.Time:
			return x.UnixMilli(), nil
		case string:
			if ms, err := ParseTimestamp(x); err == nil {
				return ms, nil
			}
		}
	}
	return nil, bad
}

// Type implements Expr.
func (l *literal) Type() arrow.DataType { return l.typ }

// String implements Expr.
func (l *literal) String() string { return formatLiteral(l.v, l.typ) }

// formatLiteral renders a constant in SQL syntax.
func formatLiteral(v any, typ arrow.DataType) string {
	if v == nil {
		return "NULL"
	}
	switch x := v.(type) {
	case bool:
		if x {
			return "TRUE"
		}
		return "FALSE"
	case string:
		return quoteString(x)
	case float64:
		s := string(appendFloat(nil, x))
		if !strings.ContainsAny(s, ".eEIN") {
			s += ".0"
		}
		return s
	case int64:
		if typ.ID() == arrow.TIMESTAMP {
			return "TIMESTAMP '" + string(AppendTimestamp(nil, x, ' ', false)) + "'"
		}
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

// quoteString quotes s as an SQL string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Eval implements Expr: the constant repeated batch.NumRows() times.
func (l *literal) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	return broadcast(mem, l.v, l.typ, int(batch.NumRows())), nil
}

// broadcast materialises a constant as an array of n rows.
func broadcast(mem memory.Allocator, v any, typ arrow.DataType, n int) arrow.Array {
	if typ.ID() == arrow.NULL {
		return array.NewNull(n)
	}
	if v == nil {
		return array.MakeArrayOfNull(mem, typ, n)
	}
	switch x := v.(type) {
	case int64:
		buf := newBuffer(mem, 8*n)
		vals := int64Slice(buf)
		for i := range vals {
			vals[i] = x
		}
		return finish(typ, n, nil, buf)
	case float64:
		buf := newBuffer(mem, 8*n)
		vals := float64Slice(buf)
		for i := range vals {
			vals[i] = x
		}
		return finish(typ, n, nil, buf)
	case bool:
		if x {
			return finish(typ, n, nil, newOnesBitmap(mem, n))
		}
		return finish(typ, n, nil, newBitmap(mem, n))
	case string:
		out := newStrOut(mem, n, n*len(x))
		for i := 0; i < n; i++ {
			out.appendString(x)
			out.end(i)
		}
		return out.finish(nil, n)
	}
	return array.MakeArrayOfNull(mem, typ, n)
}

// appendFloat formats f the way CAST(f AS VARCHAR) does: plain decimal
// notation with the fewest digits that round-trip, switching to exponent
// notation outside [1e-6, 1e21); NaN, Infinity, -Infinity.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	a := math.Abs(f)
	if a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
