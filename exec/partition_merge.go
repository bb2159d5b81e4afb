package exec

import (
	"cmp"
	"container/heap"
	"math"
	"unsafe"

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
	h := &mergeHeap{}
	for _, o := range outs {
		r := &mergeRun{order: order}
		for _, b := range o {
			if b.NumRows() > 0 {
				r.batches = append(r.batches, b)
			} else {
				b.Release()
			}
		}
		if len(r.batches) > 0 {
			r.load()
			h.runs = append(h.runs, r)
		}
	}
	switch len(h.runs) {
	case 0:
		return nil, nil
	case 1:
		return h.runs[0].batches, nil
	}
	heap.Init(h)
	var out []arrow.RecordBatch
	var refs []mergeRef
	var srcs []arrow.RecordBatch    // the batches refs point into
	var pending []arrow.RecordBatch // finished ones among them
	for _, r := range h.runs {
		r.src = int32(len(srcs))
		srcs = append(srcs, r.cur)
	}
	flush := func() {
		if len(refs) == 0 {
			return
		}
		out = append(out, gatherBatch(mem, schema, srcs, refs))
		refs = refs[:0]
		releaseBatches(pending)
		pending = pending[:0]
		// Keep only the batches still current.
		srcs = srcs[:0]
		for _, r := range h.runs {
			r.src = int32(len(srcs))
			srcs = append(srcs, r.cur)
		}
	}
	for h.Len() > 0 {
		r := h.runs[0]
		if h.Len() == 1 { // the rest of the last run, as it is
			flush()
			if r.row > 0 {
				out = append(out, r.cur.NewSlice(int64(r.row), int64(r.rows)))
				r.cur.Release()
				r.b++
			}
			return append(out, r.batches[r.b:]...), nil
		}
		refs = append(refs, mergeRef{r.src, int32(r.row)})
		r.row++
		if r.row == r.rows {
			// Keep the batch until the rows taken from it are copied.
			pending = append(pending, r.cur)
			r.b++
			if r.b == len(r.batches) {
				heap.Pop(h)
			} else {
				r.load()
				r.src = int32(len(srcs))
				srcs = append(srcs, r.cur)
				heap.Fix(h, 0)
			}
		} else if len(h.runs) > 1 {
			heap.Fix(h, 0)
		}
		if len(refs) == mergeRows {
			flush()
		}
	}
	flush()
	return out, nil
}

// mergeRun is one partition's emission and the merge's place in it: the
// current batch, its order columns seen through typed views, and the row.
type mergeRun struct {
	batches []arrow.RecordBatch
	order   []int
	b, row  int
	src     int32 // cur's index in the merge's source batches
	cur     arrow.RecordBatch
	rows    int
	views   []colView
}

// load makes batch r.b the current one.
func (r *mergeRun) load() {
	r.cur, r.row, r.rows = r.batches[r.b], 0, int(r.batches[r.b].NumRows())
	r.views = r.views[:0]
	for _, c := range r.order {
		r.views = append(r.views, newColView(r.cur.Column(c)))
	}
}

// colView is a column seen through its values, for comparing rows fast.
type colView struct {
	arr    arrow.Array
	nulls  bool
	ints   []int64
	floats []float64
	str    *array.String
	bools  *array.Boolean
	i8     []int8
}

func newColView(a arrow.Array) colView {
	v := colView{arr: a, nulls: a.NullN() > 0}
	switch a := a.(type) {
	case *array.Int64:
		v.ints = a.Int64Values()
	case *array.Timestamp:
		ts := a.TimestampValues()
		v.ints = unsafe.Slice((*int64)(unsafe.SliceData(ts)), len(ts))
	case *array.Float64:
		v.floats = a.Float64Values()
	case *array.String:
		v.str = a
	case *array.Boolean:
		v.bools = a
	case *array.Int8:
		v.i8 = a.Int8Values()
	}
	return v
}

// compareViews orders row i of a and row j of b: NULL first, false
// before true, NaN last, strings bytewise.
func compareViews(a []colView, i int, b []colView, j int) int {
	for c := range a {
		x, y := &a[c], &b[c]
		if x.nulls || y.nulls {
			xn, yn := x.nulls && x.arr.IsNull(i), y.nulls && y.arr.IsNull(j)
			switch {
			case xn && yn:
				continue
			case xn:
				return -1
			case yn:
				return 1
			}
		}
		var r int
		switch {
		case x.ints != nil:
			r = cmp.Compare(x.ints[i], y.ints[j])
		case x.str != nil:
			r = cmp.Compare(x.str.Value(i), y.str.Value(j))
		case x.floats != nil:
			r = compareFloat(x.floats[i], y.floats[j])
		case x.bools != nil:
			r = compareBool(x.bools.Value(i), y.bools.Value(j))
		case x.i8 != nil:
			r = cmp.Compare(x.i8[i], y.i8[j])
		}
		if r != 0 {
			return r
		}
	}
	return 0
}

// mergeRef names one row of one of the merge's source batches.
type mergeRef struct {
	src, row int32
}

// mergeHeap orders runs by their current row.
type mergeHeap struct {
	runs []*mergeRun
}

func (h *mergeHeap) Len() int { return len(h.runs) }
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.runs[i], h.runs[j]
	return compareViews(a.views, a.row, b.views, b.row) < 0
}
func (h *mergeHeap) Swap(i, j int) { h.runs[i], h.runs[j] = h.runs[j], h.runs[i] }
func (h *mergeHeap) Push(x any)    { h.runs = append(h.runs, x.(*mergeRun)) }
func (h *mergeHeap) Pop() any {
	r := h.runs[len(h.runs)-1]
	h.runs = h.runs[:len(h.runs)-1]
	return r
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

// gatherBatch builds a batch of the rows refs names in srcs, in order,
// column by column.
func gatherBatch(mem memory.Allocator, schema *arrow.Schema, srcs []arrow.RecordBatch, refs []mergeRef) arrow.RecordBatch {
	cols := make([]arrow.Array, schema.NumFields())
	arrs := make([]arrow.Array, len(srcs))
	for c := range cols {
		for i, b := range srcs {
			arrs[i] = b.Column(c)
		}
		cols[c] = gatherColumn(mem, schema.Field(c).Type, arrs, refs)
	}
	out := array.NewRecordBatch(schema, cols, int64(len(refs)))
	releaseAll(cols)
	return out
}

// gatherColumn gathers one column: arrs are its arrays in the source
// batches.
func gatherColumn(mem memory.Allocator, t arrow.DataType, arrs []arrow.Array, refs []mergeRef) arrow.Array {
	switch t.ID() {
	case arrow.INT64:
		return gatherFixed(array.NewInt64Builder(mem), arrs, refs, func(a arrow.Array) []int64 { return a.(*array.Int64).Int64Values() })
	case arrow.TIMESTAMP:
		return gatherFixed(array.NewTimestampBuilder(mem, t.(*arrow.TimestampType)), arrs, refs, func(a arrow.Array) []arrow.Timestamp { return a.(*array.Timestamp).TimestampValues() })
	case arrow.FLOAT64:
		return gatherFixed(array.NewFloat64Builder(mem), arrs, refs, func(a arrow.Array) []float64 { return a.(*array.Float64).Float64Values() })
	case arrow.INT8:
		return gatherFixed(array.NewInt8Builder(mem), arrs, refs, func(a arrow.Array) []int8 { return a.(*array.Int8).Int8Values() })
	case arrow.STRING:
		strs := make([]*array.String, len(arrs))
		total := 0
		for i, a := range arrs {
			strs[i] = a.(*array.String)
		}
		for _, r := range refs {
			total += strs[r.src].ValueLen(int(r.row))
		}
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.Reserve(len(refs))
		b.ReserveData(total)
		for _, r := range refs {
			a := strs[r.src]
			if a.IsNull(int(r.row)) {
				b.AppendNull()
			} else {
				b.Append(a.Value(int(r.row)))
			}
		}
		return b.NewArray()
	case arrow.BOOL:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.Reserve(len(refs))
		for _, r := range refs {
			a := arrs[r.src].(*array.Boolean)
			if a.IsNull(int(r.row)) {
				b.AppendNull()
			} else {
				b.UnsafeAppend(a.Value(int(r.row)))
			}
		}
		return b.NewArray()
	}
	return array.NewNull(len(refs)) // arrow.NULL: gatherable admits no other type
}

// gatherFixed gathers a fixed-width column into one slice, then appends
// it whole.
func gatherFixed[T any](b fixedBuilder[T], arrs []arrow.Array, refs []mergeRef, values func(arrow.Array) []T) arrow.Array {
	defer b.Release()
	vals := make([][]T, len(arrs))
	nulls := false
	for i, a := range arrs {
		vals[i] = values(a)
		nulls = nulls || a.NullN() > 0
	}
	out := make([]T, len(refs))
	for i, r := range refs {
		out[i] = vals[r.src][r.row]
	}
	var valid []bool
	if nulls {
		valid = make([]bool, len(refs))
		for i, r := range refs {
			valid[i] = arrs[r.src].IsValid(int(r.row))
		}
	}
	b.AppendValues(out, valid)
	return b.NewArray()
}
