package exec

import (
	"cmp"
	"container/heap"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// mergeRows is the number of rows per batch of a merged emission.
const mergeRows = 8192

// gatherable reports whether every column of s can be gathered row by
// row from several batches (the types takeArray knows).
func gatherable(s *arrow.Schema) bool {
	for _, f := range s.Fields() {
		switch f.Type.ID() {
		case arrow.INT64, arrow.FLOAT64, arrow.INT8, arrow.TIMESTAMP, arrow.BOOL, arrow.STRING, arrow.NULL:
		default:
			return false
		}
	}
	return true
}

// mergeEmissions merges the partitions' emissions, each sorted by the
// order columns, into one sorted sequence of batches; it takes ownership
// of every batch in outs. When at most one partition emitted, its
// batches are returned as they are.
func mergeEmissions(mem memory.Allocator, schema *arrow.Schema, order []int, outs [][]arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	var runs []*mergeRun
	for _, o := range outs {
		var bs []arrow.RecordBatch
		for _, b := range o {
			if b.NumRows() > 0 {
				bs = append(bs, b)
			} else {
				b.Release()
			}
		}
		if len(bs) > 0 {
			runs = append(runs, &mergeRun{batches: bs})
		}
	}
	switch len(runs) {
	case 0:
		return nil, nil
	case 1:
		return runs[0].batches, nil
	}
	h := &mergeHeap{order: order}
	for _, r := range runs {
		h.runs = append(h.runs, r)
	}
	heap.Init(h)
	var out []arrow.RecordBatch
	var refs []mergeRef
	var pending []arrow.RecordBatch // batches refs point into, released after each flush
	flush := func() error {
		if len(refs) == 0 {
			return nil
		}
		b, err := gatherBatch(mem, schema, refs)
		if err != nil {
			return err
		}
		out = append(out, b)
		refs = refs[:0]
		releaseBatches(pending)
		pending = pending[:0]
		return nil
	}
	fail := func(err error) ([]arrow.RecordBatch, error) {
		releaseBatches(out)
		releaseBatches(pending)
		for _, r := range h.runs {
			releaseBatches(r.batches[r.b:])
		}
		return nil, err
	}
	for h.Len() > 0 {
		r := h.runs[0]
		refs = append(refs, mergeRef{r.batches[r.b], r.row})
		r.row++
		if r.row == int(r.batches[r.b].NumRows()) {
			// Keep the batch until the rows taken from it are copied.
			pending = append(pending, r.batches[r.b])
			r.b, r.row = r.b+1, 0
		}
		if r.b == len(r.batches) {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
		if len(refs) == mergeRows {
			if err := flush(); err != nil {
				return fail(err)
			}
		}
	}
	if err := flush(); err != nil {
		return fail(err)
	}
	return out, nil
}

// mergeRun is one partition's emission and the merge's place in it.
type mergeRun struct {
	batches []arrow.RecordBatch
	b, row  int
}

// mergeRef names one row of a batch.
type mergeRef struct {
	batch arrow.RecordBatch
	row   int
}

// mergeHeap orders runs by their current row.
type mergeHeap struct {
	runs  []*mergeRun
	order []int
}

func (h *mergeHeap) Len() int { return len(h.runs) }
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.runs[i], h.runs[j]
	return compareRows(a.batches[a.b], a.row, b.batches[b.b], b.row, h.order) < 0
}
func (h *mergeHeap) Swap(i, j int) { h.runs[i], h.runs[j] = h.runs[j], h.runs[i] }
func (h *mergeHeap) Push(x any)    { h.runs = append(h.runs, x.(*mergeRun)) }
func (h *mergeHeap) Pop() any {
	r := h.runs[len(h.runs)-1]
	h.runs = h.runs[:len(h.runs)-1]
	return r
}

// compareRows orders row i of a and row j of b by the columns cols:
// NULL first, false before true, NaN last, strings bytewise.
func compareRows(a arrow.RecordBatch, i int, b arrow.RecordBatch, j int, cols []int) int {
	for _, c := range cols {
		x, y := a.Column(c), b.Column(c)
		xn, yn := x.IsNull(i), y.IsNull(j)
		switch {
		case xn && yn:
			continue
		case xn:
			return -1
		case yn:
			return 1
		}
		var r int
		switch x := x.(type) {
		case *array.Int64:
			r = cmp.Compare(x.Value(i), y.(*array.Int64).Value(j))
		case *array.Timestamp:
			r = cmp.Compare(x.Value(i), y.(*array.Timestamp).Value(j))
		case *array.Int8:
			r = cmp.Compare(x.Value(i), y.(*array.Int8).Value(j))
		case *array.Float64:
			r = compareFloat(x.Value(i), y.(*array.Float64).Value(j))
		case *array.Boolean:
			r = compareBool(x.Value(i), y.(*array.Boolean).Value(j))
		case *array.String:
			r = cmp.Compare(x.Value(i), y.(*array.String).Value(j))
		}
		if r != 0 {
			return r
		}
	}
	return 0
}

func compareFloat(x, y float64) int {
	switch xn, yn := math.IsNaN(x), math.IsNaN(y); {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return cmp.Compare(x, y)
}

func compareBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}

// gatherBatch builds a batch of the rows refs names, in order.
func gatherBatch(mem memory.Allocator, schema *arrow.Schema, refs []mergeRef) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	for c := range cols {
		b := array.NewBuilder(mem, schema.Field(c).Type)
		b.Reserve(len(refs))
		for _, r := range refs {
			appendValue(b, r.batch.Column(c), r.row)
		}
		cols[c] = b.NewArray()
		b.Release()
	}
	out := array.NewRecordBatch(schema, cols, int64(len(refs)))
	releaseAll(cols)
	return out, nil
}

// appendValue appends row i of a to b, of the same type.
func appendValue(b array.Builder, a arrow.Array, i int) {
	if a.IsNull(i) {
		b.AppendNull()
		return
	}
	switch a := a.(type) {
	case *array.Int64:
		b.(*array.Int64Builder).Append(a.Value(i))
	case *array.Timestamp:
		b.(*array.TimestampBuilder).Append(a.Value(i))
	case *array.Int8:
		b.(*array.Int8Builder).Append(a.Value(i))
	case *array.Float64:
		b.(*array.Float64Builder).Append(a.Value(i))
	case *array.Boolean:
		b.(*array.BooleanBuilder).Append(a.Value(i))
	case *array.String:
		b.(*array.StringBuilder).Append(a.Value(i))
	default:
		b.AppendNull()
	}
}
