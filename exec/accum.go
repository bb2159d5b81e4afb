package exec

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// accumulator is the state of one aggregate of a WindowAgg, in the shape of
// DataFusion's Accumulator, kept at two levels:
//
//   - cells: the partial aggregate of one key in one pane, indexed by a cell
//     id that the operator allocates per (pane, key) it has seen
//     (update_batch; the partial is the state that panes merge);
//   - groups: the running value of one key over the panes of the window
//     being fired, indexed by group id: merge adds a pane's cells, retract
//     removes them (retract_batch; MIN and MAX instead pop a monotonic deque
//     of pane partials, never rescanning rows);
//
// and evaluated without consuming state (evaluate), since a hopping window
// reads the running values again after the next pane arrives.
//
// The operator owns the id spaces; an accumulator only sizes its arrays.
// Cells passed as winNoCell are rows that were dropped.
//
// How the levels meet the seam every aggregating operator shares,
// GroupsAccumulator (groups_accum.go):
//
//   - the cell level is a GroupsAccumulator whose groups are cells, less
//     Retract (pane partials are append-only): update is Update,
//     evalCells is Evaluate, cellState and mergeCells are State and
//     Merge, resetCells is Reset, size is Size. accumCells
//     (accum_cells.go) is that adapter; window snapshots use the same
//     state methods, so a checkpoint holds exactly what partial
//     aggregation would exchange;
//   - the group level is what a window adds on top: running values that
//     merge and retract whole panes, in order, with MIN and MAX as a deque
//     of pane extremes rather than a multiset of rows. It has no
//     counterpart in GroupsAccumulator, whose Retract takes back rows (the
//     updating aggregates of gacc_*.go implement that). Its state is not
//     exported except where merging the panes again would not rebuild it
//     bit for bit (groupState).
type accumulator interface {
	// growCells makes cell ids below n valid.
	growCells(n int)
	// resetCells empties newly allocated cells.
	resetCells(cells []uint32)
	// update folds row i of arg into cells[i] for every row (arg is nil for
	// COUNT(*)).
	update(cells []uint32, arg arrow.Array)

	// growGroups makes group ids below n valid, their running values empty.
	growGroups(n int)
	// merge adds the partials cells[k] of pane, of groups gids[k], to the
	// running values. Panes are merged in increasing pane order.
	merge(pane int64, gids, cells []uint32)
	// retract removes pane's partials from the running values. Panes are
	// retracted in the order they were merged (oldest first).
	retract(pane int64, gids, cells []uint32)
	// mergeRow adds row of arg, already folded into cell of an already
	// merged pane, to gid's running value (out-of-order input).
	mergeRow(pane int64, gid, cell uint32, arg arrow.Array, row int)
	// resetGroups empties the running values of groups that left the window.
	resetGroups(gids []uint32)

	// evalGroups appends the running values of gids to the output.
	evalGroups(gids []uint32)
	// evalCells appends the partials of cells to the output (a window made
	// of a single pane).
	evalCells(cells []uint32)
	// evalEmpty appends the value over no rows (COUNT 0, others NULL).
	evalEmpty()
	// finish returns the appended values as an array and starts anew.
	finish(mem memory.Allocator) arrow.Array
	// size is the approximate state size in bytes.
	size() int64

	// cellFields names the columns of the cells' exported state, as the
	// accumulator holds it now: a part allocated on first use (the
	// non-finite counters of a Float64 SUM) has columns once it is.
	cellFields() []arrow.Field
	// cellState exports the partials of cells as Arrow arrays, one row per
	// cell, the columns of cellFields (State of GroupsAccumulator).
	cellState(mem memory.Allocator, cells []uint32) []arrow.Array
	// mergeCells folds exported partials into cells: row k of state (as
	// cellState of an accumulator of the same aggregate wrote it) into
	// cells[k], skipping winNoCell (Merge of GroupsAccumulator). Into
	// empty cells it restores the partials exactly. State it cannot have
	// written is an error.
	mergeCells(cells []uint32, state []arrow.Array) error

	// groupFields, groupState and setGroups export and put back the
	// running values that merging the panes of the running window again
	// would not rebuild bit for bit (the compensated sums of Float64 SUM
	// and AVG); the others have none. setGroups overwrites.
	groupFields() []arrow.Field
	groupState(mem memory.Allocator, gids []uint32) []arrow.Array
	setGroups(gids []uint32, state []arrow.Array) error
	// prepareState allocates the parts allocated on first use whose
	// columns (named as in cellFields and groupFields) has reports in
	// state about to be read, so that the fields match.
	prepareState(has func(name string) bool)
}

// newAccumulator returns the accumulator for spec over an argument of type
// argType (nil for COUNT(*)), or an error if the type is not allowed.
func newAccumulator(spec AggSpec, argType arrow.DataType) (accumulator, error) {
	if spec.Func == CountStar {
		return &accumCount{star: true}, nil
	}
	if argType == nil {
		return nil, fmt.Errorf("%s(%s) needs an argument column", spec.Func, spec.Name)
	}
	if spec.Distinct && spec.Func != Min && spec.Func != Max {
		return newAccumDistinct(spec, argType)
	}
	id := argType.ID()
	switch spec.Func {
	case ApproxCountDistinct:
		return newAccumHLL(argType)
	case Count:
		return &accumCount{nullArg: id == arrow.NULL}, nil
	case Sum, Avg:
		switch id {
		case arrow.INT64:
			if spec.Func == Sum {
				return &accumSumInt{}, nil
			}
			return &accumAvgInt{}, nil
		case arrow.FLOAT64:
			return &accumSumFloat{avg: spec.Func == Avg}, nil
		case arrow.NULL:
			return &accumNull{typ: vector.Float64}, nil
		}
	case Min, Max:
		isMax := spec.Func == Max
		switch id {
		case arrow.INT64, arrow.TIMESTAMP, arrow.BOOL:
			return &accumMinMax[int64]{isMax: isMax, typ: argType}, nil
		case arrow.FLOAT64:
			return &accumMinMax[float64]{isMax: isMax, typ: argType}, nil
		case arrow.STRING:
			return &accumMinMax[string]{isMax: isMax, typ: argType}, nil
		case arrow.NULL:
			return &accumNull{typ: argType}, nil
		}
	default:
		return nil, fmt.Errorf("unknown aggregate function %d", spec.Func)
	}
	return nil, fmt.Errorf("%s(%s): argument type %s not supported", spec.Func, spec.Name, vector.TypeName(argType))
}

// accumOutType is the output type of spec over an argument of type argType.
func accumOutType(f AggFunc, argType arrow.DataType) arrow.DataType {
	switch f {
	case CountStar, Count, ApproxCountDistinct:
		return vector.Int64
	case Avg:
		return vector.Float64
	case Sum:
		if argType.ID() == arrow.INT64 {
			return vector.Int64
		}
		return vector.Float64
	}
	return argType
}

// accumGrow returns s extended with zero values to length n. A small
// slice doubles its capacity; a large one (per-key state of many keys)
// grows by a quarter, as append does, so that it holds little unused
// room.
func accumGrow[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		old := len(s)
		s = s[:n]
		clear(s[old:])
		return s
	}
	c := 2 * cap(s)
	if cap(s) >= accumGrowSlow {
		c = cap(s) + cap(s)/4
	}
	t := make([]T, n, max(n, c))
	copy(t, s)
	return t
}

// accumGrowSlow is the capacity from which accumGrow grows by a quarter.
const accumGrowSlow = 1 << 16

// accumValue is the Go type of an aggregate's values: BIGINT, TIMESTAMP
// and BOOLEAN as int64, DOUBLE as float64, VARCHAR as string.
type accumValue interface{ int64 | float64 | string }

// accumOut collects output values until finish turns them into an array.
type accumOut[T accumValue] struct {
	vals  []T
	valid []bool
}

func (o *accumOut[T]) add(v T, ok bool) {
	o.vals = append(o.vals, v)
	o.valid = append(o.valid, ok)
}

func (o *accumOut[T]) addNull() {
	var zero T
	o.add(zero, false)
}

// build returns the collected values as an array of type typ and resets.
func (o *accumOut[T]) build(mem memory.Allocator, typ arrow.DataType) arrow.Array {
	defer func() { o.vals, o.valid = o.vals[:0], o.valid[:0] }()
	switch vals := any(o.vals).(type) {
	case []int64:
		switch typ.ID() {
		case arrow.TIMESTAMP:
			b := array.NewTimestampBuilder(mem, typ.(*arrow.TimestampType))
			defer b.Release()
			b.AppendValues(unsafe.Slice((*arrow.Timestamp)(unsafe.SliceData(vals)), len(vals)), o.valid)
			return b.NewArray()
		case arrow.BOOL:
			b := array.NewBooleanBuilder(mem)
			defer b.Release()
			b.Reserve(len(vals))
			for i, v := range vals {
				if o.valid[i] {
					b.UnsafeAppend(v != 0)
				} else {
					b.UnsafeAppendBoolToBitmap(false)
				}
			}
			return b.NewArray()
		}
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.AppendValues(vals, o.valid)
		return b.NewArray()
	case []float64:
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		b.AppendValues(vals, o.valid)
		return b.NewArray()
	}
	// T is string: accumValue allows nothing else.
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues(any(o.vals).([]string), o.valid)
	return b.NewArray()
}

func (o *accumOut[T]) bytes() int64 {
	var zero T
	return int64(cap(o.vals))*int64(unsafe.Sizeof(zero)) + int64(cap(o.valid))
}

// accumNull is SUM, AVG, MIN or MAX of a NULL-typed argument: always NULL.
type accumNull struct {
	accumNoGroupState
	typ arrow.DataType
	n   int
}

func (a *accumNull) growCells(int)                                    {}
func (a *accumNull) resetCells([]uint32)                              {}
func (a *accumNull) update([]uint32, arrow.Array)                     {}
func (a *accumNull) growGroups(int)                                   {}
func (a *accumNull) merge(int64, []uint32, []uint32)                  {}
func (a *accumNull) retract(int64, []uint32, []uint32)                {}
func (a *accumNull) mergeRow(int64, uint32, uint32, arrow.Array, int) {}
func (a *accumNull) resetGroups([]uint32)                             {}
func (a *accumNull) evalGroups(gids []uint32)                         { a.n += len(gids) }
func (a *accumNull) evalCells(cells []uint32)                         { a.n += len(cells) }
func (a *accumNull) evalEmpty()                                       { a.n++ }
func (a *accumNull) size() int64                                      { return 0 }

func (a *accumNull) finish(mem memory.Allocator) arrow.Array {
	n := a.n
	a.n = 0
	b := array.NewBuilder(mem, a.typ)
	defer b.Release()
	b.AppendNulls(n)
	return b.NewArray()
}

func (a *accumNull) cellFields() []arrow.Field                          { return nil }
func (a *accumNull) cellState(memory.Allocator, []uint32) []arrow.Array { return nil }

func (a *accumNull) mergeCells(cells []uint32, state []arrow.Array) error {
	return accumStateCheck(state, len(cells), 0)
}
