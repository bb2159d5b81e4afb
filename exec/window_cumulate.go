package exec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// CumulateAggConfig configures a CumulateAgg.
type CumulateAggConfig struct {
	Input    *arrow.Schema    // schema of the input batches
	TimeCol  int              // input column of the TIMESTAMP event time
	Step     int64            // the step, milliseconds
	Size     int64            // the max size, milliseconds, a multiple of Step
	Keys     []int            // input column indexes of the GROUP BY keys
	KeyNames []string         // output names of the keys
	Aggs     []AggSpec        // the aggregates
	Alloc    memory.Allocator // for output batches; nil is the Go allocator
}

// CumulateAgg is the GROUP BY window_start, window_end[, keys] of Flink's
// CUMULATE window function: the windows [s, s + step*i), i = 1..size/step,
// of each period s (a multiple of size). Rows go into panes of one step;
// when the watermark reaches a window's end, the pane that ends there is
// merged into the period's running value per key, which is emitted
// (append-only) as that window, so each row is folded once and merged
// once however many windows hold it. A row whose pane has ended is late,
// dropped and counted (as Flink's sliced window aggregation drops it).
//
// Output: window_start, window_end, the keys, the aggregates; the windows
// of one Advance in end order, each in key order.
type CumulateAgg struct {
	cfg     CumulateAggConfig
	schema  *arrow.Schema
	mem     memory.Allocator
	table   *vector.GroupTable
	accs    []GroupsAccumulator
	refs    []int32 // per key id, the cells holding it
	periods map[int64]*cumPeriod
	freeG   []uint32
	nextG   uint32
	cells   int

	wm       int64
	late     int64
	nullTime int64
	ids      []uint32
	rowG     []uint32
}

// cumPeriod is the state of one period [start, start + size).
type cumPeriod struct {
	start   int64
	next    int64                       // the end of its next window to emit
	running map[uint32]uint32           // key -> group of the rows of emitted panes
	panes   map[int64]map[uint32]uint32 // pane index -> key -> group
}

var (
	_ Operator      = (*CumulateAgg)(nil)
	_ StateReporter = (*CumulateAgg)(nil)
	_ Snapshotter   = (*CumulateAgg)(nil)
	_ Windowed      = (*CumulateAgg)(nil)
)

// NewCumulateAgg returns the cumulating window aggregation of cfg.
func NewCumulateAgg(cfg CumulateAggConfig) (*CumulateAgg, error) {
	if cfg.Step <= 0 || cfg.Size <= 0 || cfg.Size%cfg.Step != 0 {
		return nil, fmt.Errorf("CUMULATE step %d ms and max size %d ms: the max size must be a positive multiple of the step", cfg.Step, cfg.Size)
	}
	if cfg.TimeCol < 0 || cfg.TimeCol >= cfg.Input.NumFields() || cfg.Input.Field(cfg.TimeCol).Type.ID() != arrow.TIMESTAMP {
		return nil, fmt.Errorf("cumulating window: column %d is not a TIMESTAMP", cfg.TimeCol)
	}
	keyFields, types, err := groupKeys("cumulating window", cfg.Input, cfg.Keys, cfg.KeyNames, -1)
	if err != nil {
		return nil, err
	}
	c := &CumulateAgg{cfg: cfg, mem: cfg.Alloc, periods: map[int64]*cumPeriod{}, wm: MinWatermark}
	if c.mem == nil {
		c.mem = memory.DefaultAllocator
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
	c.table = t
	accs, aggFields, err := groupAccumulators(cfg.Input, cfg.Aggs, -1)
	if err != nil {
		return nil, err
	}
	c.accs = accs
	fields = append(fields, aggFields...)
	c.schema = arrow.NewSchema(fields, nil)
	return c, nil
}

// Schema is window_start, window_end, the keys and the aggregates.
func (c *CumulateAgg) Schema() *arrow.Schema { return c.schema }

// String names the operator in errors and metrics.
func (c *CumulateAgg) String() string {
	k := ""
	if len(c.cfg.KeyNames) > 0 {
		k = ", " + strings.Join(c.cfg.KeyNames, ", ")
	}
	return fmt.Sprintf("CumulateAgg (GROUP BY CUMULATE(%s, %s, %s)%s)", c.cfg.Input.Field(c.cfg.TimeCol).Name,
		sqlInterval(c.cfg.Step), sqlInterval(c.cfg.Size), k)
}

// WaitsForWatermark implements Windowed: windows close on the watermark.
func (c *CumulateAgg) WaitsForWatermark() bool { return true }

// Stats implements StateReporter: Panes counts the cells (a key's pane or
// running value).
func (c *CumulateAgg) Stats() WindowStats {
	n := c.table.Bytes() + int64(cap(c.refs))*4 + int64(c.cells)*48
	for _, a := range c.accs {
		n += a.Size()
	}
	return WindowStats{LateRows: c.late, NullTimeRows: c.nullTime, Keys: c.table.Len(), Panes: c.cells, StateBytes: n}
}

// Close releases the state.
func (c *CumulateAgg) Close() { c.table, c.accs, c.periods = nil, nil, nil }

// newGroup returns an accumulator group for a new cell of key id.
func (c *CumulateAgg) newGroup(id uint32) uint32 {
	c.refs = accumGrow(c.refs, int(id)+1)
	c.refs[id]++
	c.cells++
	if n := len(c.freeG); n > 0 {
		g := c.freeG[n-1]
		c.freeG = c.freeG[:n-1]
		return g
	}
	c.nextG++
	return c.nextG - 1
}

// release frees the groups of cells of keys ids (after Reset).
func (c *CumulateAgg) release(ids, groups []uint32) {
	c.freeG = append(c.freeG, groups...)
	c.cells -= len(groups)
	for _, id := range ids {
		if c.refs[id]--; c.refs[id] == 0 {
			c.table.Free(id)
		}
	}
}

// period returns the period starting at s, made if new: its next window
// is the first that ends after the watermark.
func (c *CumulateAgg) period(s int64) *cumPeriod {
	p := c.periods[s]
	if p == nil {
		next := s + c.cfg.Step
		if c.wm >= s {
			next = s + (winFloorDiv(c.wm-s, c.cfg.Step)+1)*c.cfg.Step
		}
		p = &cumPeriod{start: s, next: next, running: map[uint32]uint32{}, panes: map[int64]map[uint32]uint32{}}
		c.periods[s] = p
	}
	return p
}

// cell returns the group of key id in pane i of p, made if new.
func (c *CumulateAgg) cell(p *cumPeriod, i int64, id uint32) uint32 {
	pane := p.panes[i]
	if pane == nil {
		pane = map[uint32]uint32{}
		p.panes[i] = pane
	}
	g, ok := pane[id]
	if !ok {
		g = c.newGroup(id)
		pane[id] = g
	}
	return g
}

// Process folds the rows of b into their panes; windows come out in
// Advance.
func (c *CumulateAgg) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	n := int(b.NumRows())
	ts, ok := b.Column(c.cfg.TimeCol).(*array.Timestamp)
	if !ok {
		return nil, fmt.Errorf("%s: time column is %s", c, b.Column(c.cfg.TimeCol).DataType())
	}
	var err error
	if len(c.cfg.Keys) == 0 {
		id, err := c.table.InsertEmpty()
		if err != nil {
			return nil, err
		}
		c.ids = accumGrow(c.ids[:0], n)
		for i := range c.ids {
			c.ids[i] = id
		}
	} else {
		cols := make([]arrow.Array, len(c.cfg.Keys))
		for i, k := range c.cfg.Keys {
			cols[i] = b.Column(k)
		}
		if c.ids, err = c.table.Insert(cols, c.ids); err != nil {
			return nil, err
		}
	}
	c.rowG = accumGrow(c.rowG[:0], n)
	var dropped []uint32
	step, size := c.cfg.Step, c.cfg.Size
	for i := 0; i < n; i++ {
		c.rowG[i] = NoGroup
		id := c.ids[i]
		if ts.IsNull(i) {
			c.nullTime++
			dropped = append(dropped, id)
			continue
		}
		t := int64(ts.Value(i))
		s := winFloorDiv(t, size) * size
		pane := winFloorDiv(t-s, step)
		if s+(pane+1)*step <= c.wm {
			c.late++
			dropped = append(dropped, id)
			continue
		}
		c.rowG[i] = c.cell(c.period(s), pane, id)
	}
	for j, a := range c.cfg.Aggs {
		var arg arrow.Array
		if a.Func != CountStar {
			arg = b.Column(a.Arg)
		}
		if err := c.accs[j].Update(c.rowG, arg); err != nil {
			return nil, err
		}
	}
	for _, id := range dropped {
		if int(id) >= len(c.refs) || c.refs[id] == 0 {
			c.table.Free(id)
		}
	}
	return nil, nil
}

// Advance emits every window whose end is at or before wm, in end order.
func (c *CumulateAgg) Advance(wm int64) ([]arrow.RecordBatch, error) {
	if wm <= c.wm {
		return nil, nil
	}
	c.wm = wm
	starts := make([]int64, 0, len(c.periods))
	for s, p := range c.periods {
		if p.next <= wm {
			starts = append(starts, s)
		}
	}
	sort.Slice(starts, func(a, b int) bool { return starts[a] < starts[b] })
	var out []arrow.RecordBatch
	for _, s := range starts {
		p := c.periods[s]
		for p.next <= wm {
			rec, err := c.fire(p)
			if err != nil {
				releaseBatches(out)
				return nil, err
			}
			if rec != nil {
				out = append(out, rec)
			}
			if p.next += c.cfg.Step; p.next > s+c.cfg.Size {
				c.endPeriod(p)
				break
			}
		}
	}
	return out, nil
}

// fire merges the pane ending at p.next into p's running values and emits
// them as the window [p.start, p.next).
func (c *CumulateAgg) fire(p *cumPeriod) (arrow.RecordBatch, error) {
	i := (p.next-p.start)/c.cfg.Step - 1
	if pane := p.panes[i]; pane != nil {
		delete(p.panes, i)
		var src, dst, keys []uint32
		for id, g := range pane {
			r, ok := p.running[id]
			if !ok {
				p.running[id] = g // the pane's cell becomes the running one
				continue
			}
			src, dst, keys = append(src, g), append(dst, r), append(keys, id)
		}
		if len(src) > 0 {
			for _, acc := range c.accs {
				st, err := acc.State(c.mem, src)
				if err != nil {
					return nil, err
				}
				err = acc.Merge(dst, st)
				releaseAll(st)
				if err != nil {
					return nil, err
				}
				acc.Reset(src)
			}
			c.release(keys, src)
		}
	}
	if len(p.running) == 0 {
		return nil, nil
	}
	keys := make([]uint32, 0, len(p.running))
	for id := range p.running {
		keys = append(keys, id)
	}
	sort.Slice(keys, func(a, b int) bool { return c.table.Compare(keys[a], keys[b]) < 0 })
	groups := make([]uint32, len(keys))
	for j, id := range keys {
		groups[j] = p.running[id]
	}
	sb := array.NewTimestampBuilder(c.mem, vector.Timestamp.(*arrow.TimestampType))
	eb := array.NewTimestampBuilder(c.mem, vector.Timestamp.(*arrow.TimestampType))
	defer sb.Release()
	defer eb.Release()
	for range keys {
		sb.Append(arrow.Timestamp(p.start))
		eb.Append(arrow.Timestamp(p.next))
	}
	cols := []arrow.Array{sb.NewArray(), eb.NewArray()}
	if len(c.cfg.Keys) > 0 {
		cols = append(cols, c.table.Keys(keys, c.mem)...)
	}
	for _, acc := range c.accs {
		v, err := acc.Evaluate(c.mem, groups)
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols = append(cols, v)
	}
	rec := array.NewRecordBatch(c.schema, cols, int64(len(keys)))
	releaseAll(cols)
	return rec, nil
}

// endPeriod frees a period whose last window was emitted.
func (c *CumulateAgg) endPeriod(p *cumPeriod) {
	var keys, groups []uint32
	for id, g := range p.running {
		keys, groups = append(keys, id), append(groups, g)
	}
	for _, pane := range p.panes { // none: every pane was merged
		for id, g := range pane {
			keys, groups = append(keys, id), append(groups, g)
		}
	}
	for _, acc := range c.accs {
		acc.Reset(groups)
	}
	c.release(keys, groups)
	delete(c.periods, p.start)
}
