package format

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// kind is a Weir column type, as decoders and encoders switch on it.
type kind uint8

const (
	kindInt64 kind = iota
	kindFloat64
	kindString
	kindBool
	kindTimestamp
	kindNull // encoders only: a column of bare NULLs
)

// typeName is the SQL name of k, for messages.
func (k kind) typeName() string {
	switch k {
	case kindInt64:
		return "BIGINT"
	case kindFloat64:
		return "DOUBLE"
	case kindString:
		return "VARCHAR"
	case kindBool:
		return "BOOLEAN"
	case kindTimestamp:
		return "TIMESTAMP"
	}
	return "NULL"
}

// kindOf maps an Arrow type to its kind; allowNull admits arrow.NULL.
func kindOf(f arrow.Field, allowNull bool) (kind, error) {
	switch t := f.Type.(type) {
	case *arrow.Int64Type:
		return kindInt64, nil
	case *arrow.Float64Type:
		return kindFloat64, nil
	case *arrow.StringType:
		return kindString, nil
	case *arrow.BooleanType:
		return kindBool, nil
	case *arrow.TimestampType:
		if t.Unit == arrow.Millisecond {
			return kindTimestamp, nil
		}
	case *arrow.NullType:
		if allowNull {
			return kindNull, nil
		}
	}
	return 0, fmt.Errorf("column %s: unsupported type %s", f.Name, f.Type)
}

// value is one decoded field before it is appended: a record's fields are
// all parsed first, so a bad one leaves the batch untouched.
type value struct {
	valid bool    // false: NULL
	i     int64   // BIGINT, BOOLEAN (0/1), TIMESTAMP (ms)
	f     float64 // DOUBLE
	s     []byte  // VARCHAR; aliases input or scratch until appended
}

// column is one output column's builder.
type column struct {
	name string
	kind kind
	i64  *array.Int64Builder
	f64  *array.Float64Builder
	str  *array.StringBuilder
	bln  *array.BooleanBuilder
	ts   *array.TimestampBuilder
}

// rowBuilder accumulates rows of a schema, a whole record at a time.
type rowBuilder struct {
	schema *arrow.Schema
	rb     *array.RecordBuilder
	cols   []column
	vals   []value
	rows   int
	bytes  int // input bytes behind the pending rows
	// eventCol is the event-time column, which every row must have, or -1.
	eventCol int
	// utf8 says what to do with invalid UTF-8 in VARCHAR values.
	utf8 utf8Mode
}

// newRowBuilder returns a builder of rows of schema; opts are the table's
// options (it reads invalid_utf8).
func newRowBuilder(schema *arrow.Schema, opts map[string]string, mem memory.Allocator) (*rowBuilder, error) {
	mode, err := invalidUTF8Option(opts)
	if err != nil {
		return nil, err
	}
	cols := make([]column, schema.NumFields())
	for i, f := range schema.Fields() {
		k, err := kindOf(f, false)
		if err != nil {
			return nil, err
		}
		cols[i] = column{name: f.Name, kind: k}
	}
	rb := array.NewRecordBuilder(mem, schema)
	for i := range cols {
		switch b := rb.Field(i).(type) {
		case *array.Int64Builder:
			cols[i].i64 = b
		case *array.Float64Builder:
			cols[i].f64 = b
		case *array.StringBuilder:
			cols[i].str = b
		case *array.BooleanBuilder:
			cols[i].bln = b
		case *array.TimestampBuilder:
			cols[i].ts = b
		}
	}
	return &rowBuilder{schema: schema, rb: rb, cols: cols, vals: make([]value, len(cols)),
		eventCol: eventTimeColumn(schema), utf8: mode}, nil
}

// reset clears the pending values to NULL.
func (r *rowBuilder) reset() {
	clear(r.vals)
}

// full reports whether a record of n more input bytes must wait for a Flush.
func (r *rowBuilder) full(limit, n int) bool {
	return (limit > 0 && r.rows >= limit) || (r.rows > 0 && r.bytes+n > maxBatchBytes)
}

// commit appends the pending values as one row; n is its size in input bytes.
func (r *rowBuilder) commit(n int) {
	for i := range r.cols {
		c := &r.cols[i]
		v := &r.vals[i]
		if !v.valid {
			switch c.kind {
			case kindInt64:
				c.i64.AppendNull()
			case kindFloat64:
				c.f64.AppendNull()
			case kindString:
				c.str.AppendNull()
			case kindBool:
				c.bln.AppendNull()
			case kindTimestamp:
				c.ts.AppendNull()
			}
			continue
		}
		switch c.kind {
		case kindInt64:
			c.i64.Append(v.i)
		case kindFloat64:
			c.f64.Append(v.f)
		case kindString:
			c.str.BinaryBuilder.Append(v.s)
		case kindBool:
			c.bln.Append(v.i != 0)
		case kindTimestamp:
			c.ts.Append(arrow.Timestamp(v.i))
		}
	}
	r.rows++
	r.bytes += n
}

// flush returns the pending rows as a batch, or nil.
func (r *rowBuilder) flush() arrow.RecordBatch {
	if r.rows == 0 {
		return nil
	}
	r.rows, r.bytes = 0, 0
	return r.rb.NewRecordBatch()
}

func (r *rowBuilder) release() {
	if r.rb != nil {
		r.rb.Release()
		r.rb = nil
	}
}
