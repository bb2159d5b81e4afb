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

// A held row is packed into one string, so that it costs one allocation,
// holds no pointer for the garbage collector to trace, and copies its
// strings out of the batch it came in (a view would pin the whole batch):
// 8 bytes per column (the int64 or float64 bits; for a string, its
// offset and length in the string, 4 bytes each), a null bitmap, then the
// strings' bytes. Equal rows pack to equal strings, so the packed row is
// also its identity (a retraction finds the row it undoes by it).

// packCells appends the packing of cs (of column types ts) to b.
func packCells(b []byte, cs []Cell, ts []arrow.Type) []byte {
	n := len(cs)
	head := len(b)
	b = append(b, make([]byte, 8*n+(n+7)/8)...)
	for c, v := range cs {
		slot := b[head+8*c : head+8*c+8]
		switch {
		case v.Null:
			b[head+8*n+c/8] |= 1 << (c % 8)
		case ts[c] == arrow.STRING:
			binary.LittleEndian.PutUint32(slot, uint32(len(b)-head))
			binary.LittleEndian.PutUint32(slot[4:], uint32(len(v.S)))
			b = append(b, v.S...)
		case ts[c] == arrow.FLOAT64:
			binary.LittleEndian.PutUint64(slot, math.Float64bits(v.F))
		default:
			binary.LittleEndian.PutUint64(slot, uint64(v.I))
		}
	}
	return b
}

// packedCell returns column c (of type t) of packed row p, of n columns;
// a string is a view of p.
func packedCell(p string, n, c int, t arrow.Type) Cell {
	if p[8*n+c/8]&(1<<(c%8)) != 0 {
		return Cell{Null: true}
	}
	v := binary.LittleEndian.Uint64([]byte(p[8*c : 8*c+8]))
	switch t {
	case arrow.STRING:
		off, l := uint32(v), uint32(v>>32)
		return Cell{S: p[off : off+l]}
	case arrow.FLOAT64:
		return Cell{F: math.Float64frombits(v)}
	}
	return Cell{I: int64(v)}
}

// unpackCells decodes every column of packed row p.
func unpackCells(p string, ts []arrow.Type) []Cell {
	cs := make([]Cell, len(ts))
	for c, t := range ts {
		cs[c] = packedCell(p, len(ts), c, t)
	}
	return cs
}

// encodeCells appends an unambiguous encoding of cs to b: the identity of
// a partition key for equality.
func encodeCells(b []byte, cs []Cell) []byte {
	for _, c := range cs {
		if c.Null {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint64(b, uint64(c.I)^math.Float64bits(c.F))
		b = binary.AppendUvarint(b, uint64(len(c.S)))
		b = append(b, c.S...)
	}
	return b
}

// buildCells builds an array of type t of n cells, cell(i) the i-th.
func buildCells(mem memory.Allocator, t arrow.DataType, n int, cell func(i int) Cell) (arrow.Array, error) {
	switch t.ID() {
	case arrow.INT64:
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for i := range n {
			if c := cell(i); c.Null {
				b.AppendNull()
			} else {
				b.Append(c.I)
			}
		}
		return b.NewArray(), nil
	case arrow.FLOAT64:
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		for i := range n {
			if c := cell(i); c.Null {
				b.AppendNull()
			} else {
				b.Append(c.F)
			}
		}
		return b.NewArray(), nil
	case arrow.TIMESTAMP:
		b := array.NewTimestampBuilder(mem, t.(*arrow.TimestampType))
		defer b.Release()
		for i := range n {
			if c := cell(i); c.Null {
				b.AppendNull()
			} else {
				b.Append(arrow.Timestamp(c.I))
			}
		}
		return b.NewArray(), nil
	case arrow.STRING:
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for i := range n {
			if c := cell(i); c.Null {
				b.AppendNull()
			} else {
				b.Append(c.S)
			}
		}
		return b.NewArray(), nil
	case arrow.BOOL:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		for i := range n {
			if c := cell(i); c.Null {
				b.AppendNull()
			} else {
				b.Append(c.I != 0)
			}
		}
		return b.NewArray(), nil
	case arrow.NULL:
		return array.NewNull(n), nil
	}
	return nil, fmt.Errorf("top-N: unsupported column type %s", t)
}
