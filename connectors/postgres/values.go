package postgres

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5/pgtype"
)

// pgType is the PostgreSQL type of a column of Arrow type t, for CREATE
// TABLE. TIMESTAMP is without time zone and holds UTC values.
func pgType(t arrow.DataType) (string, error) {
	switch t.ID() {
	case arrow.INT64:
		return "BIGINT", nil
	case arrow.INT32:
		return "INTEGER", nil
	case arrow.INT16, arrow.INT8:
		return "SMALLINT", nil
	case arrow.FLOAT64:
		return "DOUBLE PRECISION", nil
	case arrow.FLOAT32:
		return "REAL", nil
	case arrow.STRING, arrow.LARGE_STRING:
		return "TEXT", nil
	case arrow.BOOL:
		return "BOOLEAN", nil
	case arrow.TIMESTAMP:
		return "TIMESTAMP", nil
	case arrow.DATE32:
		return "DATE", nil
	case arrow.BINARY, arrow.LARGE_BINARY:
		return "BYTEA", nil
	case arrow.DECIMAL128:
		d := t.(*arrow.Decimal128Type)
		return fmt.Sprintf("NUMERIC(%d,%d)", d.Precision, d.Scale), nil
	case arrow.NULL:
		return "TEXT", nil
	}
	return "", fmt.Errorf("a column of type %s has no PostgreSQL type here", t)
}

// getter reads row i of a column as the Go value pgx sends; nil is NULL.
// Strings and bytes are copied: the value may outlive the batch.
type getter func(a arrow.Array, i int) any

// getterFor returns the getter of a column of Arrow type t.
func getterFor(t arrow.DataType) (getter, error) {
	if _, err := pgType(t); err != nil {
		return nil, err
	}
	var g getter
	switch t.ID() {
	case arrow.INT64:
		g = func(a arrow.Array, i int) any { return a.(*array.Int64).Value(i) }
	case arrow.INT32:
		g = func(a arrow.Array, i int) any { return a.(*array.Int32).Value(i) }
	case arrow.INT16:
		g = func(a arrow.Array, i int) any { return a.(*array.Int16).Value(i) }
	case arrow.INT8:
		g = func(a arrow.Array, i int) any { return int16(a.(*array.Int8).Value(i)) }
	case arrow.FLOAT64:
		g = func(a arrow.Array, i int) any { return a.(*array.Float64).Value(i) }
	case arrow.FLOAT32:
		g = func(a arrow.Array, i int) any { return a.(*array.Float32).Value(i) }
	case arrow.STRING:
		g = func(a arrow.Array, i int) any { return strings.Clone(a.(*array.String).Value(i)) }
	case arrow.LARGE_STRING:
		g = func(a arrow.Array, i int) any { return strings.Clone(a.(*array.LargeString).Value(i)) }
	case arrow.BOOL:
		g = func(a arrow.Array, i int) any { return a.(*array.Boolean).Value(i) }
	case arrow.TIMESTAMP:
		unit := t.(*arrow.TimestampType).Unit
		g = func(a arrow.Array, i int) any { return a.(*array.Timestamp).Value(i).ToTime(unit).UTC() }
	case arrow.DATE32:
		g = func(a arrow.Array, i int) any {
			return time.Unix(int64(a.(*array.Date32).Value(i))*86400, 0).UTC()
		}
	case arrow.BINARY:
		g = func(a arrow.Array, i int) any { return bytes.Clone(a.(*array.Binary).Value(i)) }
	case arrow.LARGE_BINARY:
		g = func(a arrow.Array, i int) any { return bytes.Clone(a.(*array.LargeBinary).Value(i)) }
	case arrow.DECIMAL128:
		scale := t.(*arrow.Decimal128Type).Scale
		g = func(a arrow.Array, i int) any {
			v := a.(*array.Decimal128).Value(i)
			return pgtype.Numeric{Int: v.BigInt(), Exp: -scale, Valid: true}
		}
	case arrow.NULL:
		return func(arrow.Array, int) any { return nil }, nil
	}
	return func(a arrow.Array, i int) any {
		if a.IsNull(i) {
			return nil
		}
		return g(a, i)
	}, nil
}

// keyString identifies a row's key values in a map.
func keyString(vals []any) string {
	var b strings.Builder
	for _, v := range vals {
		fmt.Fprintf(&b, "%T:%v\x00", v, v)
	}
	return b.String()
}
