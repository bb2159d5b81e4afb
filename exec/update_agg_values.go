package exec

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// updCol holds one aggregate's last emitted value per group id, typed,
// so that the old row of a -U or -D can be rebuilt and compared without
// boxing values.
type updCol struct {
	typ    arrow.DataType
	ints   []int64 // BIGINT, TIMESTAMP, BOOLEAN (0/1)
	floats []float64
	strs   []string
	valid  []bool
	bytes  int64 // string bytes held
}

func newUpdCol(typ arrow.DataType) (*updCol, error) {
	switch typ.ID() {
	case arrow.INT64, arrow.TIMESTAMP, arrow.BOOL, arrow.FLOAT64, arrow.STRING, arrow.NULL:
		return &updCol{typ: typ}, nil
	}
	return nil, fmt.Errorf("updating aggregate: cannot keep values of type %s", typ)
}

func (c *updCol) grow(n int) {
	c.valid = accumGrow(c.valid, n)
	switch c.typ.ID() {
	case arrow.FLOAT64:
		c.floats = accumGrow(c.floats, n)
	case arrow.STRING:
		c.strs = accumGrow(c.strs, n)
	case arrow.NULL:
	default:
		c.ints = accumGrow(c.ints, n)
	}
}

// set stores element i of a (of the column's type) for group id.
func (c *updCol) set(id uint32, a arrow.Array, i int) {
	c.grow(int(id) + 1)
	c.clear(id)
	if a.IsNull(i) {
		return
	}
	c.valid[id] = true
	switch a := a.(type) {
	case *array.Int64:
		c.ints[id] = a.Value(i)
	case *array.Timestamp:
		c.ints[id] = int64(a.Value(i))
	case *array.Boolean:
		c.ints[id] = 0
		if a.Value(i) {
			c.ints[id] = 1
		}
	case *array.Float64:
		c.floats[id] = a.Value(i)
	case *array.String:
		c.strs[id] = a.Value(i)
		c.bytes += int64(len(c.strs[id]))
	default:
		c.valid[id] = false
	}
}

// clear forgets group id's value.
func (c *updCol) clear(id uint32) {
	if int(id) >= len(c.valid) {
		return
	}
	c.valid[id] = false
	if c.strs != nil {
		c.bytes -= int64(len(c.strs[id]))
		c.strs[id] = ""
	}
}

// same reports whether group id's value equals element i of a (NULL
// equal to NULL, NaN to NaN).
func (c *updCol) same(id uint32, a arrow.Array, i int) bool {
	if a.IsNull(i) || !c.valid[id] {
		return a.IsNull(i) && !c.valid[id]
	}
	switch a := a.(type) {
	case *array.Int64:
		return c.ints[id] == a.Value(i)
	case *array.Timestamp:
		return c.ints[id] == int64(a.Value(i))
	case *array.Boolean:
		return (c.ints[id] != 0) == a.Value(i)
	case *array.Float64:
		x, y := c.floats[id], a.Value(i)
		return x == y || math.IsNaN(x) && math.IsNaN(y)
	case *array.String:
		return c.strs[id] == a.Value(i)
	}
	return false
}

// appendTo appends group id's value to b, a builder of the column's type.
func (c *updCol) appendTo(b array.Builder, id uint32) {
	if int(id) >= len(c.valid) || !c.valid[id] {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		b.Append(c.ints[id])
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(c.ints[id]))
	case *array.BooleanBuilder:
		b.Append(c.ints[id] != 0)
	case *array.Float64Builder:
		b.Append(c.floats[id])
	case *array.StringBuilder:
		b.Append(c.strs[id])
	default:
		b.AppendNull()
	}
}

// size is the approximate memory held.
func (c *updCol) size() int64 {
	return int64(cap(c.valid)) + int64(cap(c.ints)+cap(c.floats))*8 + int64(cap(c.strs))*16 + c.bytes
}

// updAppendFrom appends element i of a to b, a builder of a's type.
func updAppendFrom(b array.Builder, a arrow.Array, i int) {
	if a.IsNull(i) {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		b.Append(a.(*array.Int64).Value(i))
	case *array.TimestampBuilder:
		b.Append(a.(*array.Timestamp).Value(i))
	case *array.BooleanBuilder:
		b.Append(a.(*array.Boolean).Value(i))
	case *array.Float64Builder:
		b.Append(a.(*array.Float64).Value(i))
	case *array.StringBuilder:
		b.Append(a.(*array.String).Value(i))
	default:
		b.AppendNull()
	}
}
