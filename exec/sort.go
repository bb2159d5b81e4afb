package exec

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SortKey is one ORDER BY item.
type SortKey struct {
	// Col is the column index to sort on.
	Col int
	// Desc sorts in descending order.
	Desc bool
}

// Sort orders the rows of each emission: it holds the batches it is given
// until the watermark next rises and then emits them sorted (Advance with
// an unchanged watermark, as every micro-batch ends, emits nothing). On a
// windowed query that is the rows of the windows closed by that advance;
// on a bounded source without a watermark it is the whole result, at the
// end. NULLs sort first in ascending order, as in MySQL.
type Sort struct {
	schema *arrow.Schema
	keys   []SortKey
	mem    memory.Allocator
	buf    []arrow.RecordBatch
	wm     int64
}

var (
	_ Operator    = (*Sort)(nil)
	_ Snapshotter = (*Sort)(nil)
)

// NewSort returns a sort of batches of schema on keys.
func NewSort(mem memory.Allocator, schema *arrow.Schema, keys []SortKey) *Sort {
	return &Sort{schema: schema, keys: keys, mem: mem, wm: MinWatermark}
}

// Schema is the input schema.
func (s *Sort) Schema() *arrow.Schema { return s.schema }

// Process holds b until the next Advance.
func (s *Sort) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	s.buf = append(s.buf, b)
	return nil, nil
}

// Advance emits everything held, sorted, when wm is above the last
// watermark it saw.
func (s *Sort) Advance(wm int64) ([]arrow.RecordBatch, error) {
	if wm <= s.wm {
		return nil, nil
	}
	s.wm = wm
	if len(s.buf) == 0 {
		return nil, nil
	}
	all, err := concatBatches(s.mem, s.schema, s.buf)
	releaseBatches(s.buf)
	s.buf = s.buf[:0]
	if err != nil {
		return nil, err
	}
	defer all.Release()
	idx := make([]int32, all.NumRows())
	for i := range idx {
		idx[i] = int32(i)
	}
	cmps := make([]func(a, b int32) int, len(s.keys))
	for i, k := range s.keys {
		c, err := comparator(all.Column(k.Col))
		if err != nil {
			return nil, err
		}
		if k.Desc {
			cmps[i] = func(a, b int32) int { return -c(a, b) }
		} else {
			cmps[i] = c
		}
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		for _, c := range cmps {
			if r := c(a, b); r != 0 {
				return r
			}
		}
		return 0
	})
	out, err := takeBatch(s.mem, all, idx)
	if err != nil {
		return nil, err
	}
	return []arrow.RecordBatch{out}, nil
}

// Close releases the batches held.
func (s *Sort) Close() {
	releaseBatches(s.buf)
	s.buf = nil
}

func comparator(a arrow.Array) (func(i, j int32) int, error) {
	withNulls := func(c func(i, j int32) int) func(i, j int32) int {
		if a.NullN() == 0 {
			return c
		}
		return func(i, j int32) int {
			ni, nj := a.IsNull(int(i)), a.IsNull(int(j))
			switch {
			case ni && nj:
				return 0
			case ni:
				return -1
			case nj:
				return 1
			}
			return c(i, j)
		}
	}
	switch a := a.(type) {
	case *array.Int64:
		v := a.Int64Values()
		return withNulls(func(i, j int32) int { return cmp.Compare(v[i], v[j]) }), nil
	case *array.Float64:
		v := a.Float64Values()
		return withNulls(func(i, j int32) int { return cmp.Compare(v[i], v[j]) }), nil
	case *array.Timestamp:
		v := a.TimestampValues()
		return withNulls(func(i, j int32) int { return cmp.Compare(v[i], v[j]) }), nil
	case *array.String:
		return withNulls(func(i, j int32) int { return cmp.Compare(a.Value(int(i)), a.Value(int(j))) }), nil
	case *array.Boolean:
		return withNulls(func(i, j int32) int {
			x, y := a.Value(int(i)), a.Value(int(j))
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}), nil
	case *array.Null:
		return func(int32, int32) int { return 0 }, nil
	}
	return nil, fmt.Errorf("cannot sort on %s", a.DataType())
}

// concatBatches joins batches of one schema into one batch.
func concatBatches(mem memory.Allocator, schema *arrow.Schema, bs []arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	var rows int64
	for _, b := range bs {
		rows += b.NumRows()
	}
	for c := range cols {
		parts := make([]arrow.Array, len(bs))
		for i, b := range bs {
			parts[i] = b.Column(c)
		}
		joined, err := array.Concatenate(parts, mem)
		if err != nil {
			releaseAll(cols[:c])
			return nil, err
		}
		cols[c] = joined
	}
	out := array.NewRecordBatch(schema, cols, rows)
	releaseAll(cols)
	return out, nil
}
