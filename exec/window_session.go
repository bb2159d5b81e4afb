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

// Session is the kind of a session window (SESSION(t, gap)): per key, rows
// less than WindowSpec.Size (the gap) apart share a window, which ends one
// gap after its last row.
const Session WindowKind = Hop + 1

// SessionAggConfig configures a SessionAgg.
type SessionAggConfig struct {
	Input    *arrow.Schema    // schema of the input batches
	TimeCol  int              // input column of the TIMESTAMP event time
	Gap      int64            // the session gap, milliseconds
	Keys     []int            // input column indexes of the GROUP BY keys
	KeyNames []string         // output names of the keys
	Aggs     []AggSpec        // the aggregates
	Alloc    memory.Allocator // for output batches; nil is the Go allocator
}

// SessionAgg is the GROUP BY of a session window, Flink's SESSION(t, gap)
// group window and Spark's session_window: per key, a session is a run of
// rows each less than gap after the previous one; it spans [first row,
// last row + gap). A session is emitted once, append-only, when the
// watermark reaches its end, and then leaves the state. Out-of-order rows
// extend a session at either side, and a row bridging two open sessions
// of its key merges them (their partial aggregates merged by the
// accumulators' Merge). A row whose own session [t, t+gap) would already
// be closed is late: dropped and counted, as Flink drops it.
//
// Output: window_start, window_end, the keys, the aggregates. The
// sessions closed by one Advance come out ordered by end, key and start.
type SessionAgg struct {
	cfg     SessionAggConfig
	schema  *arrow.Schema
	mem     memory.Allocator
	table   *vector.GroupTable
	accs    []GroupsAccumulator
	outType []arrow.DataType

	sessions [][]sessSpan // per key id, its open sessions in start order
	open     int          // open sessions
	ends     sessHeap     // (end, key, group) per session; an entry's end may be behind its session's
	freeG    []uint32     // accumulator groups free for reuse
	nextG    uint32       // the next never-used accumulator group

	wm       int64
	late     int64
	nullTime int64

	ids, rowG []uint32
	parent    map[uint32]uint32 // merged-away group -> the group it went into, within one batch
	merged    []uint32
}

// sessSpan is one open session: [start, end) and its accumulator group.
type sessSpan struct {
	start, end int64
	g          uint32
}

var (
	_ Operator      = (*SessionAgg)(nil)
	_ StateReporter = (*SessionAgg)(nil)
	_ Snapshotter   = (*SessionAgg)(nil)
	_ Windowed      = (*SessionAgg)(nil)
)

// NewSessionAgg returns the session window aggregation of cfg.
func NewSessionAgg(cfg SessionAggConfig) (*SessionAgg, error) {
	if cfg.Gap <= 0 {
		return nil, fmt.Errorf("session gap %d ms: it must be positive", cfg.Gap)
	}
	if cfg.TimeCol < 0 || cfg.TimeCol >= cfg.Input.NumFields() || cfg.Input.Field(cfg.TimeCol).Type.ID() != arrow.TIMESTAMP {
		return nil, fmt.Errorf("session window: column %d is not a TIMESTAMP", cfg.TimeCol)
	}
	keyFields, types, err := groupKeys("session window", cfg.Input, cfg.Keys, cfg.KeyNames, -1)
	if err != nil {
		return nil, err
	}
	s := &SessionAgg{cfg: cfg, mem: cfg.Alloc, wm: MinWatermark, parent: map[uint32]uint32{}}
	if s.mem == nil {
		s.mem = memory.DefaultAllocator
	}
	fields := []arrow.Field{
		{Name: "window_start", Type: vector.Timestamp, Nullable: true},
		{Name: "window_end", Type: vector.Timestamp, Nullable: true},
	}
	fields = append(fields, keyFields...)
	t, err := vector.NewGroupTable(types)
	if err != nil {
		return nil, err
	}
	s.table = t
	accs, aggFields, err := groupAccumulators(cfg.Input, cfg.Aggs, -1)
	if err != nil {
		return nil, err
	}
	s.accs = accs
	for _, f := range aggFields {
		s.outType = append(s.outType, f.Type)
	}
	fields = append(fields, aggFields...)
	s.schema = arrow.NewSchema(fields, nil)
	return s, nil
}

// Schema is window_start, window_end, the keys and the aggregates.
func (s *SessionAgg) Schema() *arrow.Schema { return s.schema }

// String names the operator in errors and metrics.
func (s *SessionAgg) String() string {
	k := ""
	if len(s.cfg.KeyNames) > 0 {
		k = ", " + strings.Join(s.cfg.KeyNames, ", ")
	}
	return fmt.Sprintf("SessionAgg (GROUP BY SESSION(%s, %s)%s)", s.cfg.Input.Field(s.cfg.TimeCol).Name, sqlInterval(s.cfg.Gap), k)
}

// WaitsForWatermark implements Windowed: sessions close on the watermark.
func (s *SessionAgg) WaitsForWatermark() bool { return true }

// Stats implements StateReporter: Keys counts the keys with an open
// session, Panes the open sessions.
func (s *SessionAgg) Stats() WindowStats {
	n := s.table.Bytes() + int64(cap(s.sessions))*24 + int64(s.open)*24 + int64(cap(s.ends))*24
	for _, a := range s.accs {
		n += a.Size()
	}
	return WindowStats{LateRows: s.late, NullTimeRows: s.nullTime, Keys: s.table.Len(), Panes: s.open, StateBytes: n}
}

// Close releases the state.
func (s *SessionAgg) Close() { s.table, s.accs, s.sessions = nil, nil, nil }

// newGroup returns an accumulator group for a new session.
func (s *SessionAgg) newGroup() uint32 {
	if n := len(s.freeG); n > 0 {
		g := s.freeG[n-1]
		s.freeG = s.freeG[:n-1]
		return g
	}
	s.nextG++
	return s.nextG - 1
}

// find follows merges made during the current batch.
func (s *SessionAgg) find(g uint32) uint32 {
	for {
		p, ok := s.parent[g]
		if !ok {
			return g
		}
		g = p
	}
}

// Process folds the rows of b into their keys' sessions; sessions come out
// in Advance.
func (s *SessionAgg) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	n := int(b.NumRows())
	ts, ok := b.Column(s.cfg.TimeCol).(*array.Timestamp)
	if !ok {
		return nil, fmt.Errorf("%s: time column is %s", s, b.Column(s.cfg.TimeCol).DataType())
	}
	var err error
	if len(s.cfg.Keys) == 0 {
		id, err := s.table.InsertEmpty()
		if err != nil {
			return nil, err
		}
		s.ids = accumGrow(s.ids[:0], n)
		for i := range s.ids {
			s.ids[i] = id
		}
	} else {
		cols := make([]arrow.Array, len(s.cfg.Keys))
		for i, k := range s.cfg.Keys {
			cols[i] = b.Column(k)
		}
		if s.ids, err = s.table.Insert(cols, s.ids); err != nil {
			return nil, err
		}
	}
	s.rowG = accumGrow(s.rowG[:0], n)
	gap := s.cfg.Gap
	var lateKeys []uint32 // keys Insert may have added for dropped rows only
	for i := 0; i < n; i++ {
		s.rowG[i] = NoGroup
		id := s.ids[i]
		if int(id) >= len(s.sessions) {
			s.sessions = accumGrow(s.sessions, int(id)+1)
		}
		if ts.IsNull(i) || int64(ts.Value(i))+gap <= s.wm {
			if ts.IsNull(i) {
				s.nullTime++
			} else {
				s.late++
			}
			lateKeys = append(lateKeys, id)
			continue
		}
		s.rowG[i] = s.place(id, int64(ts.Value(i)))
	}
	// Sessions merged in this batch: their earlier state goes into the
	// session they joined; their rows of this batch go there directly.
	for _, g := range s.merged {
		root := s.find(g)
		for _, acc := range s.accs {
			st, err := acc.State(s.mem, []uint32{g})
			if err != nil {
				return nil, err
			}
			err = acc.Merge([]uint32{root}, st)
			releaseAll(st)
			if err != nil {
				return nil, err
			}
			acc.Reset([]uint32{g})
		}
	}
	for i, g := range s.rowG {
		if g != NoGroup {
			s.rowG[i] = s.find(g)
		}
	}
	for j, a := range s.cfg.Aggs {
		var arg arrow.Array
		if a.Func != CountStar {
			arg = b.Column(a.Arg)
		}
		if err := s.accs[j].Update(s.rowG, arg); err != nil {
			return nil, err
		}
	}
	s.freeG = append(s.freeG, s.merged...)
	s.merged = s.merged[:0]
	clear(s.parent)
	for _, id := range lateKeys {
		if len(s.sessions[id]) == 0 {
			s.table.Free(id)
		}
	}
	return nil, nil
}

// place puts a row at time t into key id's sessions, extending or merging
// them, and returns the session's accumulator group.
func (s *SessionAgg) place(id uint32, t int64) uint32 {
	ss := s.sessions[id]
	lo, hi := t, t+s.cfg.Gap
	// The sessions overlapping [t, t+gap) are contiguous in start order.
	i := sort.Search(len(ss), func(k int) bool { return ss[k].end > lo })
	j := i
	for j < len(ss) && ss[j].start < hi {
		j++
	}
	if i == j {
		sp := sessSpan{start: lo, end: hi, g: s.newGroup()}
		ss = append(ss, sessSpan{})
		copy(ss[i+1:], ss[i:])
		ss[i] = sp
		s.sessions[id] = ss
		s.open++
		heap.Push(&s.ends, sessEnd{end: hi, key: id, g: sp.g})
		return sp.g
	}
	keep := ss[i]
	keep.start = min(keep.start, lo, ss[i].start)
	end := max(hi, ss[j-1].end)
	for k := i + 1; k < j; k++ {
		s.parent[ss[k].g] = keep.g
		s.merged = append(s.merged, ss[k].g)
		s.open--
	}
	// The session's heap entry stays at its old end; Advance moves it
	// when it comes up (one entry per session, however often it grows).
	keep.end = end
	ss[i] = keep
	s.sessions[id] = append(ss[:i+1], ss[j:]...)
	return keep.g
}

// Advance emits the sessions whose end is at or before wm, and forgets
// them.
func (s *SessionAgg) Advance(wm int64) ([]arrow.RecordBatch, error) {
	if wm <= s.wm {
		return nil, nil
	}
	s.wm = wm
	type closed struct {
		key uint32
		sp  sessSpan
	}
	var out []closed
	for len(s.ends) > 0 && s.ends[0].end <= wm {
		e := heap.Pop(&s.ends).(sessEnd)
		ss := s.sessions[e.key]
		k := -1
		for x := range ss {
			if ss[x].g == e.g {
				k = x
				break
			}
		}
		if k < 0 || ss[k].end < e.end {
			continue // stale: the session was merged away
		}
		if ss[k].end > e.end {
			heap.Push(&s.ends, sessEnd{end: ss[k].end, key: e.key, g: e.g}) // it grew
			continue
		}
		out = append(out, closed{e.key, ss[k]})
		s.sessions[e.key] = append(ss[:k], ss[k+1:]...)
		s.open--
	}
	if len(out) == 0 {
		return nil, nil
	}
	sort.Slice(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.sp.end != y.sp.end {
			return x.sp.end < y.sp.end
		}
		if c := s.table.Compare(x.key, y.key); c != 0 {
			return c < 0
		}
		return x.sp.start < y.sp.start
	})
	keys := make([]uint32, len(out))
	groups := make([]uint32, len(out))
	sb := array.NewTimestampBuilder(s.mem, vector.Timestamp.(*arrow.TimestampType))
	eb := array.NewTimestampBuilder(s.mem, vector.Timestamp.(*arrow.TimestampType))
	defer sb.Release()
	defer eb.Release()
	for i, c := range out {
		keys[i], groups[i] = c.key, c.sp.g
		sb.Append(arrow.Timestamp(c.sp.start))
		eb.Append(arrow.Timestamp(c.sp.end))
	}
	cols := []arrow.Array{sb.NewArray(), eb.NewArray()}
	if len(s.cfg.Keys) > 0 {
		cols = append(cols, s.table.Keys(keys, s.mem)...)
	}
	for _, acc := range s.accs {
		v, err := acc.Evaluate(s.mem, groups)
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols = append(cols, v)
		acc.Reset(groups)
	}
	rec := array.NewRecordBatch(s.schema, cols, int64(len(out)))
	releaseAll(cols)
	s.freeG = append(s.freeG, groups...)
	for _, k := range keys {
		if len(s.sessions[k]) == 0 {
			s.table.Free(k)
		}
	}
	return []arrow.RecordBatch{rec}, nil
}

// sessEnd is a heap entry: the session of key with group g ends at end.
type sessEnd struct {
	end int64
	key uint32
	g   uint32
}

// sessHeap is a min-heap of session ends.
type sessHeap []sessEnd

func (h sessHeap) Len() int           { return len(h) }
func (h sessHeap) Less(i, j int) bool { return h[i].end < h[j].end }
func (h sessHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *sessHeap) Push(x any)        { *h = append(*h, x.(sessEnd)) }
func (h *sessHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
