package exec

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Cell is one value of a row held by a TopN: the column's type (from the
// schema) says which field is meaningful. Exported for gob (snapshots).
type Cell struct {
	Null bool
	I    int64 // BIGINT, TIMESTAMP (milliseconds), BOOLEAN (0/1)
	F    float64
	S    string
}

// readCell reads row i of column a.
func readCell(a arrow.Array, i int) (Cell, error) {
	if a.IsNull(i) {
		return Cell{Null: true}, nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return Cell{I: a.Value(i)}, nil
	case *array.Float64:
		return Cell{F: a.Value(i)}, nil
	case *array.Timestamp:
		return Cell{I: int64(a.Value(i))}, nil
	case *array.String:
		return Cell{S: a.Value(i)}, nil
	case *array.Boolean:
		if a.Value(i) {
			return Cell{I: 1}, nil
		}
		return Cell{}, nil
	case *array.Null:
		return Cell{Null: true}, nil
	}
	return Cell{}, fmt.Errorf("top-N: unsupported column type %s", a.DataType())
}

// compareCells orders two cells of one column: NULLs first, as Sort does.
func compareCells(t arrow.Type, x, y Cell) int {
	switch {
	case x.Null && y.Null:
		return 0
	case x.Null:
		return -1
	case y.Null:
		return 1
	}
	switch t {
	case arrow.FLOAT64:
		return cmp.Compare(x.F, y.F)
	case arrow.STRING:
		return strings.Compare(x.S, y.S)
	}
	return cmp.Compare(x.I, y.I)
}

// encodeCells appends an unambiguous encoding of cs to b: the identity of
// a row (or of a partition key) for equality.
func encodeCells(b []byte, cs []Cell) []byte {
	for _, c := range cs {
		if c.Null {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.BigEndian.AppendUint64(b, uint64(c.I))
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(c.F))
		b = binary.BigEndian.AppendUint32(b, uint32(len(c.S)))
		b = append(b, c.S...)
	}
	return b
}

// cellsBytes estimates the memory of a row of cells.
func cellsBytes(cs []Cell) int64 {
	n := int64(len(cs)) * 40
	for _, c := range cs {
		n += int64(len(c.S))
	}
	return n
}

// buildCells builds column col of rows as an array of type t.
func buildCells(mem memory.Allocator, t arrow.DataType, rows [][]Cell, col int) (arrow.Array, error) {
	switch t.ID() {
	case arrow.INT64:
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for _, r := range rows {
			if c := r[col]; c.Null {
				b.AppendNull()
			} else {
				b.Append(c.I)
			}
		}
		return b.NewArray(), nil
	case arrow.FLOAT64:
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		for _, r := range rows {
			if c := r[col]; c.Null {
				b.AppendNull()
			} else {
				b.Append(c.F)
			}
		}
		return b.NewArray(), nil
	case arrow.TIMESTAMP:
		b := array.NewTimestampBuilder(mem, t.(*arrow.TimestampType))
		defer b.Release()
		for _, r := range rows {
			if c := r[col]; c.Null {
				b.AppendNull()
			} else {
				b.Append(arrow.Timestamp(c.I))
			}
		}
		return b.NewArray(), nil
	case arrow.STRING:
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for _, r := range rows {
			if c := r[col]; c.Null {
				b.AppendNull()
			} else {
				b.Append(c.S)
			}
		}
		return b.NewArray(), nil
	case arrow.BOOL:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		for _, r := range rows {
			if c := r[col]; c.Null {
				b.AppendNull()
			} else {
				b.Append(c.I != 0)
			}
		}
		return b.NewArray(), nil
	case arrow.NULL:
		return array.NewNull(len(rows)), nil
	}
	return nil, fmt.Errorf("top-N: unsupported column type %s", t)
}
