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
type Filter struct {
	input *arrow.Schema
	pred  vector.Expr
	mem   memory.Allocator
	idx   []int32
}

var _ Operator = (*Filter)(nil)

// NewFilter returns a filter on pred, which must be Boolean.
func NewFilter(mem memory.Allocator, input *arrow.Schema, pred vector.Expr) (*Filter, error) {
	if pred.Type().ID() != arrow.BOOL && pred.Type().ID() != arrow.NULL {
		return nil, fmt.Errorf("filter condition %s is %s, not BOOLEAN", pred, vector.TypeName(pred.Type()))
	}
	return &Filter{input: input, pred: pred, mem: mem}, nil
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
