package exec

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// UpdatingAggConfig configures an UpdatingAgg.
type UpdatingAggConfig struct {
	// Input is the schema of the input batches: append-only, or a
	// changelog (vector.OpIndex) whose -U and -D rows are retracted.
	Input *arrow.Schema
	// Keys are the input column indexes of the GROUP BY keys, and
	// KeyNames their output names.
	Keys     []int
	KeyNames []string
	// Aggs are the aggregates (AggSpec.Arg indexes Input).
	Aggs []AggSpec
	// Having, if not nil, is a Boolean predicate over the output columns
	// (keys, then aggregates, without the op column): a group is in the
	// result only while it holds.
	Having vector.Expr
	// TTL, if positive, drops the state of a key not updated for that
	// long (processing time, by Clock), silently, as Flink's state TTL
	// does; Stats().ExpiredKeys counts them.
	TTL time.Duration
	// Clock tells processing time for TTL; nil is the wall clock.
	Clock Clock
	// WindowEndKey, if positive, makes the aggregation windowed: key
	// WindowEndKey-1 (an index into Keys) is a TIMESTAMP window end; a
	// window whose end is <= the watermark is closed: its keys leave the
	// state after their last changes are emitted, and later rows for it
	// are late (dropped and counted in Stats().LateRows).
	WindowEndKey int
	// Alloc allocates output batches; nil is the Go allocator.
	Alloc memory.Allocator
}

// UpdatingAgg is a GROUP BY whose result is a changelog: after every
// micro-batch (in Advance) it emits the changes to its result since the
// last one, as Flink's group aggregation and Spark's update mode do.
//
// Output: the keys, the aggregates and the op column (vector.OpField).
// For each key touched since the last Advance, in ascending key order: a
// new key gives +I; a key whose values changed gives -U (old row) then +U
// (new row), adjacent; a key whose values did not change gives nothing; a
// key whose row count fell to 0 gives -D (old row) and leaves the state.
// With Having, a group that stops qualifying gives -D and one that starts
// gives +I. A global aggregate (no keys) always has its one row: the
// first Advance emits it as +I (COUNT 0, other aggregates NULL over no
// rows) and it is never deleted. A retraction of a key not in the state
// (expired by TTL, or never seen) is ignored.
type UpdatingAgg struct {
	cfg     UpdatingAggConfig
	schema  *arrow.Schema // output, with the op column
	result  *arrow.Schema // output without the op column, Having's input
	mem     memory.Allocator
	clock   Clock
	opCol   int // input op column, -1 for an append-only input
	table   *vector.GroupTable
	accs    []GroupsAccumulator
	outType []arrow.DataType
	prev    []*updCol // per aggregate, its value at the group's last emission

	// By group id.
	flags   []updFlags
	rows    []int64 // input rows held
	touched []int64 // processing time of the last update, Unix ns (only with a TTL)
	endOf   []int64 // window end (only when windowed)

	dirtyIDs []uint32
	ttlQueue []updTouch         // (id, time) in time order, for TTL
	byEnd    map[int64][]uint32 // window end -> groups, when windowed

	wm      int64
	started bool // Advance has run once
	late    int64
	expired int64

	ids, addG, retG  []uint32
	maskAdd, maskRet []uint32 // addG and retG of a FILTER'ed aggregate
}

// updTouch records that group id was updated at time t.
type updTouch struct {
	id uint32
	t  int64
}

var (
	_ Operator      = (*UpdatingAgg)(nil)
	_ StateReporter = (*UpdatingAgg)(nil)
	_ Snapshotter   = (*UpdatingAgg)(nil)
)

// NewUpdatingAgg returns the updating aggregation of cfg.
func NewUpdatingAgg(cfg UpdatingAggConfig) (*UpdatingAgg, error) {
	u := &UpdatingAgg{cfg: cfg, mem: cfg.Alloc, clock: cfg.Clock, opCol: vector.OpIndex(cfg.Input), wm: MinWatermark}
	if u.mem == nil {
		u.mem = memory.DefaultAllocator
	}
	if u.clock == nil {
		u.clock = WallClock{}
	}
	fields, types, err := groupKeys("updating aggregate", cfg.Input, cfg.Keys, cfg.KeyNames, u.opCol)
	if err != nil {
		return nil, err
	}
	if w := cfg.WindowEndKey; w > 0 && (w > len(types) || types[w-1].ID() != arrow.TIMESTAMP) {
		return nil, fmt.Errorf("updating aggregate: window end key %d is not a TIMESTAMP key", w)
	}
	t, err := vector.NewGroupTable(types)
	if err != nil {
		return nil, err
	}
	u.table = t
	accs, aggFields, err := groupAccumulators(cfg.Input, cfg.Aggs, u.opCol)
	if err != nil {
		return nil, err
	}
	u.accs = accs
	for _, f := range aggFields {
		col, err := newUpdCol(f.Type)
		if err != nil {
			return nil, err
		}
		u.prev = append(u.prev, col)
		u.outType = append(u.outType, f.Type)
	}
	fields = append(fields, aggFields...)
	u.result = arrow.NewSchema(fields, nil)
	u.schema = vector.WithOpColumn(u.result)
	if cfg.Having != nil && cfg.Having.Type().ID() != arrow.BOOL && cfg.Having.Type().ID() != arrow.NULL {
		return nil, fmt.Errorf("HAVING condition %s is %s, not BOOLEAN", cfg.Having, vector.TypeName(cfg.Having.Type()))
	}
	if cfg.WindowEndKey > 0 {
		u.byEnd = make(map[int64][]uint32)
	}
	return u, nil
}

// Schema is the keys, the aggregates and the op column.
func (u *UpdatingAgg) Schema() *arrow.Schema { return u.schema }

// String names the operator in errors and metrics, e.g.
// "UpdatingAgg (GROUP BY w)".
func (u *UpdatingAgg) String() string {
	if len(u.cfg.KeyNames) == 0 {
		return "UpdatingAgg"
	}
	return "UpdatingAgg (GROUP BY " + strings.Join(u.cfg.KeyNames, ", ") + ")"
}

// Config is the operator's configuration.
func (u *UpdatingAgg) Config() UpdatingAggConfig { return u.cfg }

// Stats implements StateReporter.
func (u *UpdatingAgg) Stats() WindowStats {
	n := u.table.Bytes() + int64(cap(u.flags)) +
		int64(cap(u.rows)+cap(u.touched)+cap(u.endOf))*8 + int64(cap(u.dirtyIDs))*4 + int64(cap(u.ttlQueue))*16
	for j, a := range u.accs {
		n += a.Size() + u.prev[j].size()
	}
	return WindowStats{LateRows: u.late, Keys: u.table.Len(), StateBytes: n, ExpiredKeys: u.expired}
}

// Close releases the state.
func (u *UpdatingAgg) Close() {
	u.table, u.accs, u.prev = nil, nil, nil
}

// group makes id a live group, grown into every per-group slice (touched
// only with a TTL, endOf only when windowed).
func (u *UpdatingAgg) group(id uint32, end int64) {
	if n := int(id) + 1; n > len(u.flags) {
		u.flags, u.rows = accumGrow(u.flags, n), accumGrow(u.rows, n)
		if u.cfg.TTL > 0 {
			u.touched = accumGrow(u.touched, n)
		}
		if u.cfg.WindowEndKey > 0 {
			u.endOf = accumGrow(u.endOf, n)
		}
	}
	if u.flags[id]&updLive != 0 {
		return
	}
	u.flags[id] = u.flags[id]&updDirty | updLive
	u.rows[id] = 0
	if u.endOf != nil {
		u.endOf[id] = end
	}
	if u.byEnd != nil {
		u.byEnd[end] = append(u.byEnd[end], id)
	}
}

// Process folds the rows of b into their groups; the changes come out in
// Advance.
func (u *UpdatingAgg) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	n := int(b.NumRows())
	var ops *array.Int8
	if u.opCol >= 0 {
		var ok bool
		if ops, ok = b.Column(u.opCol).(*array.Int8); !ok {
			return nil, fmt.Errorf("%s: the op column is %s, not TINYINT", u, b.Column(u.opCol).DataType())
		}
	}
	var ends *array.Timestamp
	if w := u.cfg.WindowEndKey; w > 0 {
		ends, _ = b.Column(u.cfg.Keys[w-1]).(*array.Timestamp)
	}
	var err error
	if len(u.cfg.Keys) == 0 {
		id, err := u.table.InsertEmpty()
		if err != nil {
			return nil, err
		}
		u.ids = accumGrow(u.ids[:0], n)
		for i := range u.ids {
			u.ids[i] = id
		}
	} else {
		cols := make([]arrow.Array, len(u.cfg.Keys))
		for i, k := range u.cfg.Keys {
			cols[i] = b.Column(k)
		}
		if u.ids, err = u.table.Insert(cols, u.ids); err != nil {
			return nil, err
		}
	}
	now := u.clock.Now().UnixNano()
	u.addG, u.retG = accumGrow(u.addG[:0], n), accumGrow(u.retG[:0], n)
	for i := 0; i < n; i++ {
		id := u.ids[i]
		u.addG[i], u.retG[i] = NoGroup, NoGroup
		var end int64
		if ends != nil {
			if ends.IsNull(i) || int64(ends.Value(i)) <= u.wm {
				u.late++
				u.freeIfEmpty(id)
				continue
			}
			end = int64(ends.Value(i))
		}
		u.group(id, end)
		retract := ops != nil && vector.RowKind(ops.Value(i)).Retracts()
		if retract {
			if u.rows[id] <= 0 { // not in the state: ignored
				continue
			}
			u.rows[id]--
			u.retG[i] = id
		} else {
			u.rows[id]++
			u.addG[i] = id
		}
		u.markDirty(id)
		if u.cfg.TTL > 0 {
			if u.touched[id] != now {
				u.ttlQueue = append(u.ttlQueue, updTouch{id, now})
			}
			u.touched[id] = now
		}
	}
	// Adds first: every retracted value was added before it (in an
	// earlier batch or this one), so the multisets never go negative.
	for j, a := range u.cfg.Aggs {
		var arg arrow.Array
		if a.Func != CountStar {
			arg = b.Column(a.Arg)
		}
		addG, retG := u.addG, u.retG
		if fu, ok := u.accs[j].(filteredUpdater); ok && a.HasFilter && ops == nil {
			if done, err := fu.UpdateWhere(addG, arg, b.Column(a.Filter)); done || err != nil {
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		if a.HasFilter {
			u.maskAdd = aggFilterMask(u.maskAdd, addG, b.Column(a.Filter))
			addG = u.maskAdd
			if ops != nil {
				u.maskRet = aggFilterMask(u.maskRet, retG, b.Column(a.Filter))
				retG = u.maskRet
			}
		}
		if err := u.accs[j].Update(addG, arg); err != nil {
			return nil, err
		}
		if ops != nil {
			if err := u.accs[j].Retract(retG, arg); err != nil {
				return nil, err
			}
		}
	}
	// Keys created only by ignored rows leave at once.
	for i := 0; i < n && len(u.cfg.Keys) > 0; i++ {
		id := u.ids[i]
		if int(id) < len(u.flags) && u.flags[id]&(updLive|updDirty|updHasPrev) == updLive && u.rows[id] == 0 {
			u.drop(id)
		}
	}
	return nil, nil
}

// freeIfEmpty frees id if Insert just created it for a late row.
func (u *UpdatingAgg) freeIfEmpty(id uint32) {
	if !u.isLive(id) {
		u.table.Free(id)
	}
}

// drop removes group id from the state.
func (u *UpdatingAgg) drop(id uint32) {
	u.table.Free(id)
	for _, a := range u.accs {
		a.Reset([]uint32{id})
	}
	for _, c := range u.prev {
		c.clear(id)
	}
	u.flags[id] &= updDirty
	u.rows[id] = 0
}

// updFlags are a group's yes/no state, one byte per group.
type updFlags uint8

const (
	updLive    updFlags = 1 << iota // the group is in the state
	updHasPrev                      // the group was emitted: prev holds its values
	updPrevIn                       // the group was in the result (counted and passing Having)
	updDirty                        // the group changed since the last emission (in dirtyIDs)
)

// isLive reports whether group id is in the state.
func (u *UpdatingAgg) isLive(id uint32) bool {
	return int(id) < len(u.flags) && u.flags[id]&updLive != 0
}

// markDirty lists group id for the next emission, once.
func (u *UpdatingAgg) markDirty(id uint32) {
	if u.flags[id]&updDirty == 0 {
		u.flags[id] |= updDirty
		u.dirtyIDs = append(u.dirtyIDs, id)
	}
}

// setFlag sets or clears flag f of group id.
func (u *UpdatingAgg) setFlag(id uint32, f updFlags, on bool) {
	if on {
		u.flags[id] |= f
	} else {
		u.flags[id] &^= f
	}
}
