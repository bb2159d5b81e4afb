package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// Filter keeps the rows for which a Boolean predicate is true (not false,
// not NULL).
//
// Over a changelog (an input with an op column) it keeps each update's
// -U/+U pair consistent: both rows pass -> both are kept; only the old
// row passes -> it is kept as -D; only the new row passes -> it is kept
// as +I; neither -> both are dropped. Other rows are filtered one by one.
type Filter struct {
	input *arrow.Schema
	pred  vector.Expr
	mem   memory.Allocator
	idx   []int32
	opCol int    // the input's op column, -1 if append-only
	ops   []int8 // the op of each kept row, over a changelog
}

var _ Operator = (*Filter)(nil)

// NewFilter returns a filter on pred, which must be Boolean.
func NewFilter(mem memory.Allocator, input *arrow.Schema, pred vector.Expr) (*Filter, error) {
	if pred.Type().ID() != arrow.BOOL && pred.Type().ID() != arrow.NULL {
		return nil, fmt.Errorf("filter condition %s is %s, not BOOLEAN", pred, vector.TypeName(pred.Type()))
	}
	return &Filter{input: input, pred: pred, mem: mem, opCol: vector.OpIndex(input)}, nil
}

// Predicate is the filter's condition.
func (f *Filter) Predicate() vector.Expr { return f.pred }

// Schema is the input schema: a filter keeps every column.
func (f *Filter) Schema() *arrow.Schema { return f.input }

// Process returns the rows of b that satisfy the predicate.
func (f *Filter) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	m, err := f.pred.Eval(f.mem, b)
	if err != nil {
		return nil, err
	}
	defer m.Release()
	mask, ok := m.(*array.Boolean)
	if !ok { // an all-NULL predicate keeps nothing
		return nil, nil
	}
	f.idx = f.idx[:0]
	n := mask.Len()
	if f.opCol >= 0 {
		return f.changelog(b, mask)
	}
	if mask.NullN() == 0 {
		for i := 0; i < n; i++ {
			if mask.Value(i) {
				f.idx = append(f.idx, int32(i))
			}
		}
	} else {
		for i := 0; i < n; i++ {
			if mask.IsValid(i) && mask.Value(i) {
				f.idx = append(f.idx, int32(i))
			}
		}
	}
	switch len(f.idx) {
	case 0:
		return nil, nil
	case n:
		b.Retain()
		return []arrow.RecordBatch{b}, nil
	}
	out, err := takeBatch(f.mem, b, f.idx)
	if err != nil {
		return nil, err
	}
	return []arrow.RecordBatch{out}, nil
}

// Advance does nothing: a filter holds no state.
func (f *Filter) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }

// Close does nothing.
func (f *Filter) Close() {}

// changelog filters a batch of a changelog, keeping -U/+U pairs
// consistent (see Filter).
func (f *Filter) changelog(b arrow.RecordBatch, mask *array.Boolean) ([]arrow.RecordBatch, error) {
	ops, ok := b.Column(f.opCol).(*array.Int8)
	if !ok {
		return nil, fmt.Errorf("filter: the op column is %s, not TINYINT", b.Column(f.opCol).DataType())
	}
	pass := func(i int) bool { return mask.IsValid(i) && mask.Value(i) }
	f.ops = f.ops[:0]
	changed := false
	n := mask.Len()
	for i := 0; i < n; i++ {
		k := vector.RowKind(ops.Value(i))
		if k == vector.UpdateBefore && i+1 < n && vector.RowKind(ops.Value(i+1)) == vector.UpdateAfter {
			oldIn, newIn := pass(i), pass(i+1)
			switch {
			case oldIn && newIn:
				f.idx = append(f.idx, int32(i), int32(i+1))
				f.ops = append(f.ops, int8(vector.UpdateBefore), int8(vector.UpdateAfter))
			case oldIn:
				f.idx = append(f.idx, int32(i))
				f.ops = append(f.ops, int8(vector.Delete))
				changed = true
			case newIn:
				f.idx = append(f.idx, int32(i+1))
				f.ops = append(f.ops, int8(vector.Insert))
				changed = true
			}
			i++
			continue
		}
		if pass(i) {
			f.idx = append(f.idx, int32(i))
			f.ops = append(f.ops, int8(k))
		}
	}
	switch {
	case len(f.idx) == 0:
		return nil, nil
	case len(f.idx) == n && !changed:
		b.Retain()
		return []arrow.RecordBatch{b}, nil
	}
	out, err := takeBatch(f.mem, b, f.idx)
	if err != nil {
		return nil, err
	}
	if !changed {
		return []arrow.RecordBatch{out}, nil
	}
	defer out.Release()
	ob := array.NewInt8Builder(f.mem)
	ob.AppendValues(f.ops, nil)
	opArr := ob.NewArray()
	ob.Release()
	cols := append([]arrow.Array(nil), out.Columns()...)
	cols[f.opCol] = opArr
	res := array.NewRecordBatch(out.Schema(), cols, out.NumRows())
	opArr.Release()
	return []arrow.RecordBatch{res}, nil
}
