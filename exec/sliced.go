package exec

import (
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/vector"
)

// Sliced runs N instances of a row-wise operator (a filter, projection or
// unnest: what it does to a row depends on that row alone) over
// contiguous slices of each batch at once, one goroutine each, and
// returns their output in slice order: the same rows in the same order
// as one instance would give. A small batch goes to the first instance
// whole.
type Sliced struct {
	parts   []Operator
	workers workers
}

// NewSliced returns the parallel form of parts, N fresh instances of the
// same row-wise operator. When they evaluate PROCTIME() (ProcTimeSetters)
// so does the result, and it sets the time of every instance.
func NewSliced(parts []Operator) (Operator, error) {
	if len(parts) < 2 {
		return nil, errors.New("sliced: need at least two instances")
	}
	s := &Sliced{parts: parts}
	if _, ok := parts[0].(ProcTimeSetter); ok {
		return slicedProcTime{s}, nil
	}
	return s, nil
}

// slicedProcTime is a Sliced operator whose instances evaluate
// PROCTIME().
type slicedProcTime struct{ *Sliced }

// String names the operator.
func (s *Sliced) String() string { return OpName(s.parts[0]) }

// Schema implements Operator.
func (s *Sliced) Schema() *arrow.Schema { return s.parts[0].Schema() }

// Process implements Operator.
func (s *Sliced) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	n := int(b.NumRows())
	k := min(len(s.parts), n/ParallelRows)
	if k < 2 {
		return opProcess(s.parts[0], b)
	}
	cuts := sliceCuts(b, n, k)
	k = len(cuts) - 1
	outs := make([][]arrow.RecordBatch, k)
	errs := make([]error, k)
	s.workers.do(k, func(i int) {
		outs[i], errs[i] = opProcess(s.parts[i], b.NewSlice(int64(cuts[i]), int64(cuts[i+1])))
	})
	b.Release()
	var out []arrow.RecordBatch
	for _, o := range outs {
		out = append(out, o...)
	}
	for _, err := range errs {
		if err != nil {
			releaseBatches(out)
			return nil, err
		}
	}
	return out, nil
}

// sliceCuts returns the bounds of k contiguous slices of b's n rows. In
// a changelog a slice never starts with +U: an update's -U and +U rows
// stay together, as row-wise operators over a changelog need them.
func sliceCuts(b arrow.RecordBatch, n, k int) []int {
	cuts := []int{0}
	var ops []int8
	if i := vector.OpIndex(b.Schema()); i >= 0 {
		ops = b.Column(i).(*array.Int8).Int8Values()
	}
	for i := 1; i < k; i++ {
		c := max(n*i/k, cuts[len(cuts)-1]+1)
		for c < n && ops != nil && vector.RowKind(ops[c]) == vector.UpdateAfter {
			c++
		}
		if c < n {
			cuts = append(cuts, c)
		}
	}
	return append(cuts, n)
}

// Advance implements Operator: every instance is told, in order.
func (s *Sliced) Advance(wm int64) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	for _, op := range s.parts {
		o, err := opAdvance(op, wm)
		out = append(out, o...)
		if err != nil {
			releaseBatches(out)
			return nil, err
		}
	}
	return out, nil
}

// SetProcTime implements ProcTimeSetter.
func (s slicedProcTime) SetProcTime(ms int64) {
	for _, op := range s.parts {
		if ps, ok := op.(ProcTimeSetter); ok {
			ps.SetProcTime(ms)
		}
	}
}

// Close implements Operator.
func (s *Sliced) Close() {
	s.workers.close()
	for _, op := range s.parts {
		op.Close()
	}
}
