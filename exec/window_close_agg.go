package exec

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// WindowCloseAggConfig configures a WindowCloseAgg.
type WindowCloseAggConfig struct {
	Input    *arrow.Schema    // schema of the input batches (append-only)
	Keys     []int            // input column indexes of the GROUP BY keys
	KeyNames []string         // output names of the keys
	EndKey   int              // index into Keys of the TIMESTAMP window end
	Aggs     []AggSpec        // the aggregates
	Alloc    memory.Allocator // for output batches; nil is the Go allocator
}

// WindowCloseAgg is a GROUP BY whose keys include a window end (the
// window_end column of a window table-valued function, grouped by as an
// ordinary key: CUMULATE windows, or TUMBLE/HOP under a shape the
// windowed aggregate does not take). Each group is emitted once,
// append-only, when the watermark reaches its window end, and then leaves
// the state; a row whose window end is at or before the watermark is late
// (dropped and counted), as for any window.
//
// Output: the keys and the aggregates. The groups closed by one Advance
// come out in key order.
type WindowCloseAgg struct {
	cfg     WindowCloseAggConfig
	schema  *arrow.Schema
	mem     memory.Allocator
	table   *vector.GroupTable
	accs    []GroupsAccumulator
	live    []bool
	byEnd   map[int64][]uint32
	ends    endHeap
	wm      int64
	late    int64
	ids     []uint32
	created []uint32
}

var (
	_ Operator      = (*WindowCloseAgg)(nil)
	_ StateReporter = (*WindowCloseAgg)(nil)
	_ Snapshotter   = (*WindowCloseAgg)(nil)
	_ Windowed      = (*WindowCloseAgg)(nil)
)

// NewWindowCloseAgg returns the aggregation of cfg.
func NewWindowCloseAgg(cfg WindowCloseAggConfig) (*WindowCloseAgg, error) {
	w := &WindowCloseAgg{cfg: cfg, mem: cfg.Alloc, byEnd: map[int64][]uint32{}, wm: MinWatermark}
	if w.mem == nil {
		w.mem = memory.DefaultAllocator
	}
	fields, types, err := groupKeys("window aggregate", cfg.Input, cfg.Keys, cfg.KeyNames, -1)
	if err != nil {
		return nil, err
	}
	if cfg.EndKey < 0 || cfg.EndKey >= len(types) || types[cfg.EndKey].ID() != arrow.TIMESTAMP {
		return nil, fmt.Errorf("window aggregate: window end key %d is not a TIMESTAMP key", cfg.EndKey)
	}
	t, err := vector.NewGroupTable(types)
	if err != nil {
		return nil, err
	}
	w.table = t
	accs, aggFields, err := groupAccumulators(cfg.Input, cfg.Aggs, -1)
	if err != nil {
		return nil, err
	}
	w.accs = accs
	fields = append(fields, aggFields...)
	w.schema = arrow.NewSchema(fields, nil)
	return w, nil
}

// Schema is the keys and the aggregates.
func (w *WindowCloseAgg) Schema() *arrow.Schema { return w.schema }

// String names the operator in errors and metrics.
func (w *WindowCloseAgg) String() string {
	return "WindowCloseAgg (GROUP BY " + strings.Join(w.cfg.KeyNames, ", ") + ")"
}

// WaitsForWatermark implements Windowed: groups close on the watermark.
func (w *WindowCloseAgg) WaitsForWatermark() bool { return true }

// Stats implements StateReporter: Panes counts the open window ends.
func (w *WindowCloseAgg) Stats() WindowStats {
	n := w.table.Bytes() + int64(cap(w.live)) + int64(len(w.byEnd))*48 + int64(cap(w.ends))*8
	for _, a := range w.accs {
		n += a.Size()
	}
	return WindowStats{LateRows: w.late, Keys: w.table.Len(), Panes: len(w.byEnd), StateBytes: n}
}

// Close releases the state.
func (w *WindowCloseAgg) Close() { w.table, w.accs, w.byEnd = nil, nil, nil }

// add makes id a live group of window end end.
func (w *WindowCloseAgg) add(id uint32, end int64) {
	w.live = accumGrow(w.live, int(id)+1)
	if w.live[id] {
		return
	}
	w.live[id] = true
	if _, ok := w.byEnd[end]; !ok {
		heap.Push(&w.ends, end)
	}
	w.byEnd[end] = append(w.byEnd[end], id)
}

// Process folds the rows of b into their groups; groups come out in
// Advance.
func (w *WindowCloseAgg) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	ends, ok := b.Column(w.cfg.Keys[w.cfg.EndKey]).(*array.Timestamp)
	if !ok {
		return nil, fmt.Errorf("%s: the window end is %s", w, b.Column(w.cfg.Keys[w.cfg.EndKey]).DataType())
	}
	cols := make([]arrow.Array, len(w.cfg.Keys))
	for i, k := range w.cfg.Keys {
		cols[i] = b.Column(k)
	}
	var err error
	if w.ids, err = w.table.Insert(cols, w.ids); err != nil {
		return nil, err
	}
	w.created = w.created[:0]
	for i, id := range w.ids {
		if ends.IsNull(i) || int64(ends.Value(i)) <= w.wm {
			w.late++
			w.ids[i] = NoGroup
			if int(id) >= len(w.live) || !w.live[id] {
				w.created = append(w.created, id)
			}
			continue
		}
		w.add(id, int64(ends.Value(i)))
	}
	for j, a := range w.cfg.Aggs {
		var arg arrow.Array
		if a.Func != CountStar {
			arg = b.Column(a.Arg)
		}
		if err := w.accs[j].Update(w.ids, arg); err != nil {
			return nil, err
		}
	}
	// Keys added only by late rows leave at once.
	for _, id := range w.created {
		if int(id) >= len(w.live) || !w.live[id] {
			w.table.Free(id)
		}
	}
	return nil, nil
}

// Advance emits the groups whose window end is at or before wm, and
// forgets them.
func (w *WindowCloseAgg) Advance(wm int64) ([]arrow.RecordBatch, error) {
	if wm <= w.wm {
		return nil, nil
	}
	w.wm = wm
	var ids []uint32
	for len(w.ends) > 0 && w.ends[0] <= wm {
		e := heap.Pop(&w.ends).(int64)
		ids = append(ids, w.byEnd[e]...)
		delete(w.byEnd, e)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	sort.Slice(ids, func(a, b int) bool { return w.table.Compare(ids[a], ids[b]) < 0 })
	cols := w.table.Keys(ids, w.mem)
	for _, acc := range w.accs {
		v, err := acc.Evaluate(w.mem, ids)
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols = append(cols, v)
		acc.Reset(ids)
	}
	rec := array.NewRecordBatch(w.schema, cols, int64(len(ids)))
	releaseAll(cols)
	for _, id := range ids {
		w.live[id] = false
		w.table.Free(id)
	}
	return []arrow.RecordBatch{rec}, nil
}

// endHeap is a min-heap of window ends.
type endHeap []int64

func (h endHeap) Len() int           { return len(h) }
func (h endHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h endHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *endHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *endHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
