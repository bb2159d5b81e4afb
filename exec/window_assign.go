package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// Cumulate is the kind of Flink's cumulating windows,
// TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), step, max size)): WindowSpec.Slide
// is the step and Size the max size (a multiple of the step). The windows
// [s, s + step*i), i = 1..size/step, share a start s aligned to the max
// size; a row is in each of them that ends after it.
const Cumulate WindowKind = Session + 1

// WindowAssign is the operator of Flink's window table-valued functions
// (TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size)), HOP and CUMULATE likewise): each input
// row comes out once per window it falls in, with three columns appended:
// window_start, window_end and window_time (window_end minus 1 ms, a valid
// event time for a second level of windows). A row whose time is NULL
// belongs to no window and is dropped. Windows are half-open and aligned
// to the epoch, as WindowAgg's are.
type WindowAssign struct {
	mem    memory.Allocator
	spec   WindowSpec
	schema *arrow.Schema
	idx    []int32
	starts []int64
	ends   []int64
}

var _ Operator = (*WindowAssign)(nil)

// WindowAssignColumns are the names of the columns WindowAssign appends.
var WindowAssignColumns = []string{"window_start", "window_end", "window_time"}

// NewWindowAssign returns the window assignment of spec (Tumble, Hop or
// Cumulate; spec.TimeCol is the Timestamp column of input).
func NewWindowAssign(mem memory.Allocator, input *arrow.Schema, spec WindowSpec) (*WindowAssign, error) {
	if spec.Kind != Tumble && spec.Kind != Hop && spec.Kind != Cumulate {
		return nil, fmt.Errorf("window assignment needs TUMBLE, HOP or CUMULATE")
	}
	if spec.Kind == Cumulate && (spec.Slide <= 0 || spec.Size%spec.Slide != 0) {
		return nil, fmt.Errorf("CUMULATE step %d ms and max size %d ms: the max size must be a positive multiple of the step", spec.Slide, spec.Size)
	}
	if spec.Slide <= 0 {
		spec.Slide = spec.Size
	}
	if spec.Size <= 0 || spec.Slide > spec.Size {
		return nil, fmt.Errorf("window size %d ms and slide %d ms: the size must be positive and the slide at most the size", spec.Size, spec.Slide)
	}
	if spec.TimeCol < 0 || spec.TimeCol >= input.NumFields() || input.Field(spec.TimeCol).Type.ID() != arrow.TIMESTAMP {
		return nil, fmt.Errorf("window assignment: column %d is not a TIMESTAMP", spec.TimeCol)
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	fs := append([]arrow.Field(nil), input.Fields()...)
	for _, n := range WindowAssignColumns {
		fs = append(fs, arrow.Field{Name: n, Type: vector.Timestamp, Nullable: true})
	}
	return &WindowAssign{mem: mem, spec: spec, schema: arrow.NewSchema(fs, nil)}, nil
}

// Schema is the input's columns and window_start, window_end, window_time.
func (w *WindowAssign) Schema() *arrow.Schema { return w.schema }

// Process repeats each row of b once per window it is in.
func (w *WindowAssign) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	ts, ok := b.Column(w.spec.TimeCol).(*array.Timestamp)
	if !ok {
		return nil, fmt.Errorf("window assignment: time column is %s", b.Column(w.spec.TimeCol).DataType())
	}
	w.idx, w.starts, w.ends = w.idx[:0], w.starts[:0], w.ends[:0]
	size, slide := w.spec.Size, w.spec.Slide
	for i := 0; i < ts.Len(); i++ {
		if ts.IsNull(i) {
			continue
		}
		t := int64(ts.Value(i))
		if w.spec.Kind == Cumulate {
			// Every window of t's max-size period that ends after t.
			s := winFloorDiv(t, size) * size
			for e := s + (winFloorDiv(t-s, slide)+1)*slide; e <= s+size; e += slide {
				w.idx = append(w.idx, int32(i))
				w.starts, w.ends = append(w.starts, s), append(w.ends, e)
			}
			continue
		}
		// The last window holding t starts at the slide multiple <= t; the
		// earlier ones go back while they still reach past t.
		last := winFloorDiv(t, slide) * slide
		first := last
		for first-slide > t-size {
			first -= slide
		}
		for s := first; s <= last; s += slide {
			w.idx = append(w.idx, int32(i))
			w.starts, w.ends = append(w.starts, s), append(w.ends, winEnd(s, size))
		}
	}
	if len(w.idx) == 0 {
		return nil, nil
	}
	cols := make([]arrow.Array, 0, w.schema.NumFields())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, c := range b.Columns() {
		t, err := takeArray(w.mem, c, w.idx)
		if err != nil {
			return nil, err
		}
		cols = append(cols, t)
	}
	for k := 0; k < 3; k++ {
		bld := array.NewTimestampBuilder(w.mem, vector.Timestamp.(*arrow.TimestampType))
		bld.Reserve(len(w.starts))
		for j, s := range w.starts {
			switch k {
			case 0:
				bld.UnsafeAppend(arrow.Timestamp(s))
			case 1:
				bld.UnsafeAppend(arrow.Timestamp(w.ends[j]))
			default:
				bld.UnsafeAppend(arrow.Timestamp(w.ends[j] - 1))
			}
		}
		cols = append(cols, bld.NewArray())
		bld.Release()
	}
	return []arrow.RecordBatch{array.NewRecordBatch(w.schema, cols, int64(len(w.idx)))}, nil
}

// Advance emits nothing: windows are assigned row by row.
func (w *WindowAssign) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }

// Close releases nothing.
func (w *WindowAssign) Close() {}

// String names the operator for EXPLAIN and messages.
func (w *WindowAssign) String() string {
	switch w.spec.Kind {
	case Tumble:
		return fmt.Sprintf("WindowAssign TUMBLE(%s)", sqlInterval(w.spec.Size))
	case Cumulate:
		return fmt.Sprintf("WindowAssign CUMULATE(%s, %s)", sqlInterval(w.spec.Slide), sqlInterval(w.spec.Size))
	}
	return fmt.Sprintf("WindowAssign HOP(%s, %s)", sqlInterval(w.spec.Slide), sqlInterval(w.spec.Size))
}
