package exec

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// The snapshot tests run a random stream (winPropGen) twice: once
// uninterrupted, and once checkpointed at some points: Snapshot, a new
// operator, Restore, and the rest of the stream through the new one. The
// output of every Advance and the counters after every call must be the
// same, bit for bit; at every checkpoint the restored state must equal the
// original (winSnapDump), and a snapshot of the restored operator must be
// the same bytes.

// winSnapSchema is winPropSchema with a column of type Null, for NULL-typed
// keys and arguments.
var winSnapSchema = arrow.NewSchema(append(winPropSchema.Fields(), arrow.Field{Name: "kn", Type: vector.Null, Nullable: true}), nil)

// winSnapAggsV1 is the aggregates of the version 1 snapshot format: those
// of the property test before DISTINCT and FILTER, and those of a
// NULL-typed argument.
var winSnapAggsV1 = append(slices.Clone(winPropAggs[:winPropBaseAggs]),
	AggSpec{Func: Count, Arg: 8}, AggSpec{Func: Sum, Arg: 8}, AggSpec{Func: Max, Arg: 8}, AggSpec{Func: Avg, Arg: 8})

// winSnapAggs is every aggregate of the property test and those of a
// NULL-typed argument.
var winSnapAggs = append(slices.Clone(winSnapAggsV1), winPropAggs[winPropBaseAggs:]...)

// winSnapKeySets is the key columns a case may group by: Int64, String,
// Boolean, Float64, Timestamp and Null, with NULL values, alone or
// together.
var winSnapKeySets = [][]int{nil, {1}, {2}, {1, 2}, {3, 1}, {5}, {0, 2}, {8, 1}, {8}, {7, 5, 2}}

// winSnapCase is a stream for the snapshot tests.
type winSnapCase struct {
	winPropCase
	tail int // batches processed after Advance(MaxWatermark): all late
}

// winSnapGen is winPropGen with NoWindow, more key types and NULL-typed
// columns, rows after the end of input, and at most maxRows rows.
func winSnapGen(r *rand.Rand, maxRows int) winSnapCase {
	c := winSnapCase{winPropCase: winPropGen(r)}
	if len(c.rows) > maxRows {
		c.rows = c.rows[:r.IntN(maxRows+1)]
		mode := r.IntN(4)
		if mode == 0 && len(c.rows) > 300 || mode == 2 {
			mode = 3 // not too many batches; more than one
		}
		c.splits = winPropSplits(r, len(c.rows), mode)
	}
	for i, row := range c.rows {
		c.rows[i] = append(row[:8:8], nil)
	}
	if r.IntN(6) == 0 {
		c.window = WindowSpec{Kind: NoWindow}
	}
	c.window.TimeCol = 0
	c.keys = winSnapKeySets[r.IntN(len(winSnapKeySets))]
	if len(c.splits) > 0 && r.IntN(3) == 0 {
		c.tail = 1 + r.IntN(2)
	}
	return c
}

func (c *winSnapCase) config(mem memory.Allocator) WindowAggConfig {
	names := make([]string, len(c.keys))
	for i, k := range c.keys {
		names[i] = "key_" + winSnapSchema.Field(k).Name
	}
	aggs := slices.Clone(winSnapAggs)
	for i := range aggs {
		aggs[i].Name = fmt.Sprintf("a%d", i)
	}
	return WindowAggConfig{Input: winSnapSchema, Keys: c.keys, KeyNames: names, Aggs: aggs, Window: c.window, Alloc: mem}
}

// winSnapOp is one call on the operator: Process of rows, or Advance.
type winSnapOp struct {
	rows [][]any
	wm   int64
}

// ops is the calls of a case: Process and Advance for each batch (the
// watermark as in winPropRun), Advance(MaxWatermark), then the tail.
func (c *winSnapCase) ops() []winSnapOp {
	var ops []winSnapOp
	maxTs, seen := int64(math.MinInt64), false
	at := 0
	for _, k := range c.splits {
		rows := c.rows[at : at+k]
		at += k
		ops = append(ops, winSnapOp{rows: rows})
		for _, r := range rows {
			if r[0] != nil {
				maxTs, seen = max(maxTs, r[0].(int64)), true
			}
		}
		wm := MinWatermark
		if seen {
			wm = maxTs - c.delay
		}
		ops = append(ops, winSnapOp{wm: wm})
	}
	ops = append(ops, winSnapOp{wm: MaxWatermark})
	for i := 0; i < c.tail; i++ {
		ops = append(ops, winSnapOp{rows: c.rows[:c.splits[i%len(c.splits)]]}, winSnapOp{wm: MaxWatermark})
	}
	return ops
}

// winSnapResult is what a run emitted, per call.
type winSnapResult struct {
	out   [][]string    // by call: the rows Advance emitted (nil for Process)
	stats []WindowStats // by call: Stats after it, StateBytes zeroed
}

// winSnapBatches builds the batches of a case's Process calls, by call,
// from a checked allocator; they are released when the test ends.
func winSnapBatches(t *testing.T, c *winSnapCase) (memory.Allocator, []arrow.RecordBatch) {
	mem := winTestMem(t)
	var bs []arrow.RecordBatch
	for _, op := range c.ops() {
		var b arrow.RecordBatch
		if op.rows != nil {
			b = winTestBatch(mem, winSnapSchema, op.rows)
		}
		bs = append(bs, b)
	}
	t.Cleanup(func() {
		for _, b := range bs {
			if b != nil {
				b.Release()
			}
		}
	})
	return mem, bs
}

// winSnapRun runs a case on batches from winSnapBatches, checkpointing
// before the calls at the positions of points (len(ops) is after the
// last); at a checkpoint, with keep the original operator goes on
// (checking that Snapshot does not disturb it), else the restored one.
func winSnapRun(t *testing.T, c *winSnapCase, mem memory.Allocator, batches []arrow.RecordBatch, points map[int]bool, keep bool) winSnapResult {
	t.Helper()
	cfg := c.config(mem)
	w, err := NewWindowAgg(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { w.Close() }()
	var res winSnapResult
	ops := c.ops()
	for i := 0; i <= len(ops); i++ {
		if points[i] {
			w2 := winSnapCheckpoint(t, w, cfg)
			if keep {
				w2.Close()
			} else {
				w.Close()
				w = w2
			}
		}
		if i == len(ops) {
			break
		}
		op := ops[i]
		var rows []string
		if b := batches[i]; b != nil {
			b.Retain()
			got, err := w.Process(b)
			if err != nil || got != nil {
				t.Fatalf("op %d: Process = %v, %v", i, got, err)
			}
		} else {
			bs, err := w.Advance(op.wm)
			if err != nil {
				t.Fatalf("op %d: %v", i, err)
			}
			rows = winTestFormat(winTestValues(bs))
		}
		st := w.Stats()
		st.StateBytes = 0
		res.out = append(res.out, rows)
		res.stats = append(res.stats, st)
	}
	return res
}

// winSnapCheckpoint snapshots w into a new operator and checks that the
// states are equal and that a snapshot of the new one is the same bytes.
func winSnapCheckpoint(t *testing.T, w *WindowAgg, cfg WindowAggConfig) *WindowAgg {
	t.Helper()
	before := winSnapDump(w)
	var buf bytes.Buffer
	if err := w.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if after := winSnapDump(w); after != before {
		t.Fatalf("Snapshot changed the state:\n%s\nwas\n%s", after, before)
	}
	snap := slices.Clone(buf.Bytes())
	buf.WriteString("trailer")
	w2, err := NewWindowAgg(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Restore(&buf); err != nil {
		w2.Close()
		t.Fatal(err)
	}
	if buf.String() != "trailer" {
		t.Fatalf("Restore left %q unread, want the trailer", buf.String())
	}
	if got := winSnapDump(w2); got != before {
		w2.Close()
		t.Fatalf("restored state:\n%s\nwant\n%s", got, before)
	}
	buf.Reset()
	if err := w2.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), snap) {
		w2.Close()
		t.Fatalf("snapshot of the restored operator differs (%d bytes, want %d)", buf.Len(), len(snap))
	}
	return w2
}

// winSnapDump renders the state of w independently of group and cell ids:
// the scalars, every pane's cells and every live key's running values, in
// key order.
func winSnapDump(w *WindowAgg) string {
	w.materialize()
	var sb strings.Builder
	fmt.Fprintf(&sb, "wm %d next %d finished %v fired %v hi %d merged %d late %d null %d gap %d keys %d alive %d\n",
		w.wm, w.nextStart, w.finished, w.fired, w.hi, w.nIn, w.stats.LateRows, w.stats.NullTimeRows, w.stats.GapRows,
		w.table.Len(), len(w.alive))
	var ids []uint32
	for id := range uint32(w.table.NumIDs()) {
		if w.table.Alive(id) {
			ids = append(ids, id)
		}
	}
	w.table.SortIDs(ids)
	key := map[uint32]string{}
	cols := w.table.Keys(ids, memory.DefaultAllocator)
	for i, id := range ids {
		parts := make([]any, len(cols))
		for k, c := range cols {
			parts[k] = winTestValue(c, i)
		}
		key[id] = strings.Join(winTestFormat([][]any{parts}), "")
	}
	for _, c := range cols {
		c.Release()
	}
	vecs := make([][]winSnapVec, len(w.accs))
	for i, a := range w.accs {
		vecs[i] = a.(winSnapAccum).snapCells()
	}
	for _, pn := range w.panes {
		fmt.Fprintf(&sb, "pane %d in %v\n", pn.idx, pn.inRun)
		var lines []string
		for k, g := range pn.gids {
			c := pn.cells[k]
			line := fmt.Sprintf("  [%s] rows %d", key[g], w.cellRows[c])
			for i := range w.accs {
				line += fmt.Sprintf(" a%d:", i)
				for _, v := range vecs[i] {
					line += winSnapDumpVec(v, c)
				}
			}
			lines = append(lines, line)
		}
		slices.Sort(lines)
		sb.WriteString(strings.Join(lines, "\n") + "\n")
	}
	for _, g := range ids {
		fmt.Fprintf(&sb, "key [%s] refs %d last %d rows %d", key[g], w.refs[g], w.lastPane[g], w.runRows([]uint32{g})[0])
		for i, a := range w.accs {
			if w.span > 1 { // a single-pane window has no running values
				fmt.Fprintf(&sb, " a%d:%s", i, winSnapDumpRunning(a, g))
			}
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// winSnapDumpVec renders entry i of a state vector, floats as bits.
func winSnapDumpVec(v winSnapVec, i uint32) string {
	switch p := v.ptr.(type) {
	case *[]int64:
		return fmt.Sprintf(" %d", (*p)[i])
	case *[]uint64:
		return fmt.Sprintf(" %d", (*p)[i])
	case *[]float64:
		return fmt.Sprintf(" %x", math.Float64bits((*p)[i]))
	case *[]bool:
		return fmt.Sprintf(" %v", (*p)[i])
	case *[]string:
		return fmt.Sprintf(" %q", (*p)[i])
	case *[]accumNonFinite:
		if *p == nil {
			return " -"
		}
		return fmt.Sprintf(" %v", (*p)[i])
	}
	panic(fmt.Sprintf("winSnapDumpVec %T", v.ptr))
}

// winSnapDumpRunning renders group g's running value in accumulator a.
func winSnapDumpRunning(a accumulator, g uint32) string {
	switch a := a.(type) {
	case *accumCount:
		return fmt.Sprint(a.run[g])
	case *accumSumInt:
		return fmt.Sprint(a.sum[g], a.nn[g])
	case *accumAvgInt:
		return fmt.Sprint(a.hi[g], a.lo[g], a.nn[g])
	case *accumSumFloat:
		s := fmt.Sprintf("%x %x %d", math.Float64bits(a.sum[g]), math.Float64bits(a.comp[g]), a.nn[g])
		if a.nf != nil {
			s += fmt.Sprint(a.nf[g])
		}
		return s
	case *accumMinMax[int64]:
		return fmt.Sprint(a.dq[g].e[a.dq[g].head:])
	case *accumMinMax[float64]:
		var s []string
		for _, e := range a.dq[g].e[a.dq[g].head:] {
			s = append(s, fmt.Sprintf("%d:%x", e.pane, math.Float64bits(e.val)))
		}
		return fmt.Sprint(s)
	case *accumMinMax[string]:
		var s []string
		for _, e := range a.dq[g].e[a.dq[g].head:] {
			s = append(s, fmt.Sprintf("%d:%q", e.pane, e.val))
		}
		return fmt.Sprint(s)
	case *accumNull:
		return "null"
	}
	return winSnapDumpRunningDistinct(a, g)
}

// winSnapCompare fails if a checkpointed run differs from the
// uninterrupted one.
func winSnapCompare(t *testing.T, what string, got, want winSnapResult) {
	t.Helper()
	for i := range want.out {
		if !slices.Equal(got.out[i], want.out[i]) {
			t.Fatalf("%s: call %d emitted\n%s\nwant\n%s", what, i, strings.Join(got.out[i], "\n"), strings.Join(want.out[i], "\n"))
		}
		if got.stats[i] != want.stats[i] {
			t.Fatalf("%s: after call %d: stats %+v, want %+v", what, i, got.stats[i], want.stats[i])
		}
	}
}

// TestWindowSnapshotProperty checkpoints random streams at a random call
// (and, for some, at a second one), going on with the restored operator,
// or with the original one.
func TestWindowSnapshotProperty(t *testing.T) {
	seeds := 150
	if testing.Short() { // the race run: the code under test has no goroutines
		seeds = 30
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 0x5a9))
		c := winSnapGen(r, 2500)
		mem, batches := winSnapBatches(t, &c)
		want := winSnapRun(t, &c, mem, batches, nil, false)
		n := len(c.ops())
		points := map[int]bool{r.IntN(n + 1): true}
		if r.IntN(3) == 0 {
			points[r.IntN(n+1)] = true
		}
		what := fmt.Sprintf("seed %d (window %+v, keys %v, delay %d, %d rows, %d calls, checkpoints %v)",
			seed, c.window, c.keys, c.delay, len(c.rows), n, points)
		winSnapCompare(t, what, winSnapRun(t, &c, mem, batches, points, false), want)
		if seed%5 == 0 {
			winSnapCompare(t, what+" keeping the original", winSnapRun(t, &c, mem, batches, points, true), want)
		}
	}
}

// TestWindowSnapshotEveryPoint checkpoints small streams before every
// call, one at a time, and all at once.
func TestWindowSnapshotEveryPoint(t *testing.T) {
	seeds := 24
	if testing.Short() {
		seeds = 8
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 0xe7e))
		c := winSnapGen(r, 120)
		c.splits = c.splits[:0]
		for n := len(c.rows); n > 0; { // about 20 batches
			k := min(n, 1+r.IntN(10))
			c.splits = append(c.splits, k)
			n -= k
		}
		c.tail = min(c.tail, len(c.splits))
		mem, batches := winSnapBatches(t, &c)
		want := winSnapRun(t, &c, mem, batches, nil, false)
		n := len(c.ops())
		all := map[int]bool{}
		for p := 0; p <= n; p++ {
			all[p] = true
			what := fmt.Sprintf("seed %d (window %+v, keys %v, %d rows), checkpoint before call %d of %d", seed, c.window, c.keys, len(c.rows), p, n)
			winSnapCompare(t, what, winSnapRun(t, &c, mem, batches, map[int]bool{p: true}, false), want)
		}
		winSnapCompare(t, fmt.Sprintf("seed %d, a checkpoint before every call", seed), winSnapRun(t, &c, mem, batches, all, false), want)
	}
}

// TestWindowSnapshotEmpty restores snapshots of operators that saw nothing
// (or only dropped rows), of every window kind, with and without keys.
func TestWindowSnapshotEmpty(t *testing.T) {
	in := winTestSchema("ts:ts", "k:string", "v:float")
	aggs := winTestAggs(2)
	for _, win := range []WindowSpec{
		{Kind: NoWindow},
		{Kind: Tumble, TimeCol: 0, Size: 10},
		{Kind: Hop, TimeCol: 0, Size: 10, Slide: 4},
	} {
		for _, keys := range [][]int{nil, {1}} {
			names := []string{"k"}[:len(keys)]
			mem := winTestMem(t)
			cfg := WindowAggConfig{Input: in, Keys: keys, KeyNames: names, Aggs: aggs, Window: win, Alloc: mem}
			w, err := NewWindowAgg(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := w.Snapshot(&buf); err != nil {
				t.Fatal(err)
			}
			size := buf.Len()
			w2, err := NewWindowAgg(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := w2.Restore(&buf); err != nil {
				t.Fatal(err)
			}
			if st := w2.Stats(); st.Keys != 0 || st.Panes != 0 || st.LateRows != 0 {
				t.Errorf("%+v keys %v: restored empty operator has %+v", win, keys, st)
			}
			// Both go on alike; a NULL time is counted.
			for _, op := range []*WindowAgg{w, w2} {
				if _, err := op.Process(winTestBatch(mem, in, [][]any{{5, "a", 1.5}, {nil, "b", 2.0}})); err != nil {
					t.Fatal(err)
				}
			}
			o1, _ := w.Advance(MaxWatermark)
			o2, _ := w2.Advance(MaxWatermark)
			g1, g2 := winTestFormat(winTestValues(o1)), winTestFormat(winTestValues(o2))
			if !slices.Equal(g1, g2) || len(g1) == 0 || w2.Stats() != w.Stats() {
				t.Errorf("%+v keys %v: after restore %q, want %q", win, keys, g2, g1)
			}
			t.Logf("%v keys %v: empty snapshot %d bytes", win.Kind, keys, size)
			w.Close()
			w2.Close()
		}
	}
}

// winSnapSmallCfg is a small configuration for the error tests.
func winSnapSmallCfg(mem memory.Allocator) WindowAggConfig {
	return WindowAggConfig{Input: winTestSchema("ts:ts", "k:string", "v:float"), Keys: []int{1}, KeyNames: []string{"k"},
		Aggs: winTestAggs(2), Window: WindowSpec{Kind: Hop, TimeCol: 0, Size: 10, Slide: 5}, Alloc: mem}
}

// winSnapSmall is a snapshot of a small operator in the middle of a hop.
func winSnapSmall(t *testing.T, mem memory.Allocator) []byte {
	cfg := winSnapSmallCfg(mem)
	w, err := NewWindowAgg(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Process(winTestBatch(mem, cfg.Input, [][]any{{1, "a", 1.0}, {6, "b", 2.5}, {7, "a", math.Inf(1)}, {12, nil, 3.0}})); err != nil {
		t.Fatal(err)
	}
	bs, err := w.Advance(10)
	if err != nil || len(bs) == 0 {
		t.Fatal(bs, err)
	}
	winTestValues(bs)
	var buf bytes.Buffer
	if err := w.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWindowSnapshotConfigMismatch restores a snapshot into operators of
// other configurations.
func TestWindowSnapshotConfigMismatch(t *testing.T) {
	mem := winTestMem(t)
	snap := winSnapSmall(t, mem)
	for _, c := range []struct {
		change func(*WindowAggConfig)
		msg    string
	}{
		{func(c *WindowAggConfig) { c.Window = WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10} },
			"window is HOP(time 0, slide 5 ms, size 10 ms) in the snapshot, TUMBLE(time 0, size 10 ms) in the operator"},
		{func(c *WindowAggConfig) { c.Window.Slide = 2 }, "window is HOP(time 0, slide 5 ms, size 10 ms) in the snapshot, HOP(time 0, slide 2 ms, size 10 ms)"},
		{func(c *WindowAggConfig) { c.Window = WindowSpec{Kind: NoWindow} }, "in the snapshot, none in the operator"},
		{func(c *WindowAggConfig) { c.Keys, c.KeyNames = nil, nil }, "the snapshot has key 0 (1 AS k), the operator has 0"},
		{func(c *WindowAggConfig) { c.KeyNames = []string{"kk"} }, "key 0 is 1 AS k in the snapshot, 1 AS kk in the operator"},
		{func(c *WindowAggConfig) { c.Aggs = c.Aggs[:5] }, "the snapshot has aggregate 5 (AVG(2) AS avg), the operator has 5"},
		{func(c *WindowAggConfig) { c.Aggs = append(slices.Clone(c.Aggs), AggSpec{Func: Max, Arg: 0, Name: "t"}) }, "the operator has aggregate 6 (MAX(0) AS t), the snapshot has 6"},
		{func(c *WindowAggConfig) { c.Aggs = slices.Clone(c.Aggs); c.Aggs[3].Func = Max }, "aggregate 3 is MIN(2) AS lo in the snapshot, MAX(2) AS lo in the operator"},
		{func(c *WindowAggConfig) {
			c.Aggs = slices.Clone(c.Aggs)
			c.Aggs[3].Func, c.Aggs[3].Distinct = Count, true
		},
			"aggregate 3 is MIN(2) AS lo in the snapshot, COUNT(DISTINCT 2) AS lo in the operator"},
		{func(c *WindowAggConfig) { c.Input = winTestSchema("ts:ts", "k:string", "v:int") }, "input column 2 is v float64 in the snapshot, v int64 in the operator"},
	} {
		cfg := winSnapSmallCfg(mem)
		c.change(&cfg)
		w, err := NewWindowAgg(cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = w.Restore(bytes.NewReader(snap))
		if !errors.Is(err, ErrSnapshotConfig) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Restore = %v, want ErrSnapshotConfig with %q", err, c.msg)
		}
		if st := w.Stats(); st.Keys != 0 || st.Panes != 0 {
			t.Errorf("a refused snapshot left state: %+v", st)
		}
		w.Close()
	}
}

// TestWindowSnapshotErrors feeds Restore what Snapshot did not write, or
// an operator that is not fresh.
func TestWindowSnapshotErrors(t *testing.T) {
	mem := winTestMem(t)
	snap := winSnapSmall(t, mem)
	cfg := winSnapSmallCfg(mem)
	restore := func(b []byte) error {
		w, err := NewWindowAgg(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		return w.Restore(bytes.NewReader(b))
	}
	if err := restore(snap); err != nil {
		t.Fatal(err)
	}
	if err := restore([]byte("PAR1 is a Parquet file")); err == nil || !strings.Contains(err.Error(), "not a window aggregate snapshot") {
		t.Errorf("garbage: %v", err)
	}
	for n := 0; n < len(snap); n++ {
		if err := restore(snap[:n]); err == nil {
			t.Fatalf("a snapshot cut at %d of %d bytes restored", n, len(snap))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 { // the checksums catch every damaged byte
		b := slices.Clone(snap)
		i := r.IntN(len(b))
		b[i] ^= byte(1 + r.IntN(255))
		if err := restore(b); err == nil {
			t.Fatalf("a snapshot damaged at byte %d of %d restored", i, len(snap))
		}
	}
	// Headers that disagree with the data, under valid checksums.
	for _, c := range []struct {
		edit func(h *winSnapHeader)
		msg  string
	}{
		{func(h *winSnapHeader) { h.Groups++ }, "corrupt header: 4 groups in 3 cells"},
		{func(h *winSnapHeader) { h.Groups-- }, "corrupt groups: more than 2"},
		{func(h *winSnapHeader) { h.Panes[0].Cells++ }, "corrupt cells"},
		{func(h *winSnapHeader) { h.Panes[0].Cells-- }, "corrupt"},
		{func(h *winSnapHeader) { h.Panes = h.Panes[1:] }, "corrupt"},
		{func(h *winSnapHeader) { h.Panes[0].Idx = h.Panes[1].Idx }, "corrupt header: pane 1"},
		{func(h *winSnapHeader) { h.Merged = 99 }, "corrupt header"},
		{func(h *winSnapHeader) { h.Merged = 0 }, "rows of group"},
		{func(h *winSnapHeader) { h.LateRows = -1 }, "corrupt header"},
	} {
		err := restore(winSnapEditHeader(t, snap, c.edit))
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("edited header: %v, want %q", err, c.msg)
		}
	}
	if err := restore(winSnapEditHeader(t, snap, func(*winSnapHeader) {})); err != nil {
		t.Errorf("re-framed unedited snapshot: %v", err)
	}
	w, err := NewWindowAgg(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Process(winTestBatch(mem, cfg.Input, [][]any{{1, "a", 1.0}})); err != nil {
		t.Fatal(err)
	}
	if err := w.Restore(bytes.NewReader(snap)); err == nil || !strings.Contains(err.Error(), "not freshly built") {
		t.Errorf("Restore into a used operator: %v", err)
	}
	w.Close()
	if err := w.Snapshot(&bytes.Buffer{}); err == nil {
		t.Error("Snapshot after Close succeeded")
	}
	if err := w.Restore(bytes.NewReader(snap)); err == nil {
		t.Error("Restore after Close succeeded")
	}
}

// winSnapEditHeader returns snap with its header changed by edit, and
// valid checksums.
func winSnapEditHeader(t *testing.T, snap []byte, edit func(h *winSnapHeader)) []byte {
	t.Helper()
	payload, err := io.ReadAll(&winSnapFrameReader{r: bytes.NewReader(snap[12:])})
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint32(payload)
	var h winSnapHeader
	if err := json.Unmarshal(payload[4:4+n], &h); err != nil {
		t.Fatal(err)
	}
	edit(&h)
	js, err := json.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	out.Write(snap[:12])
	fw := &winSnapFrameWriter{w: &out}
	fw.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(js))))
	fw.Write(js)
	fw.Write(payload[4+n:])
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// BenchmarkWindowSnapshot checkpoints a HOP of 4 panes over 100,000 keys,
// two panes in the running window: 400,000 cells. It reports the snapshot
// size and the time of Snapshot and of Restore.
func BenchmarkWindowSnapshot(b *testing.B) {
	const keys, panes = 100_000, 4
	mem := memory.NewGoAllocator()
	in := winTestSchema("ts:ts", "k:int", "s:string", "v:float", "i:int")
	cfg := WindowAggConfig{Input: in, Keys: []int{1, 2}, KeyNames: []string{"k", "s"}, Alloc: mem,
		Window: WindowSpec{Kind: Hop, TimeCol: 0, Size: panes * 1000, Slide: 1000},
		Aggs: []AggSpec{
			{Func: CountStar, Arg: -1, Name: "n"}, {Func: Sum, Arg: 3, Name: "s"}, {Func: Avg, Arg: 4, Name: "a"},
			{Func: Min, Arg: 3, Name: "lo"}, {Func: Max, Arg: 3, Name: "hi"},
		}}
	w, err := NewWindowAgg(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	r := rand.New(rand.NewPCG(3, 4))
	for p := range panes {
		tb := array.NewTimestampBuilder(mem, vector.Timestamp.(*arrow.TimestampType))
		kb, sb := array.NewInt64Builder(mem), array.NewStringBuilder(mem)
		vb, ib := array.NewFloat64Builder(mem), array.NewInt64Builder(mem)
		for k := range keys {
			tb.Append(arrow.Timestamp(p*1000 + k%1000))
			kb.Append(int64(k))
			sb.Append(fmt.Sprintf("key-%d", k%5000))
			vb.Append(r.Float64() * 1000)
			ib.Append(r.Int64N(1 << 40))
		}
		cols := []arrow.Array{tb.NewArray(), kb.NewArray(), sb.NewArray(), vb.NewArray(), ib.NewArray()}
		for _, bl := range []array.Builder{tb, kb, sb, vb, ib} {
			bl.Release()
		}
		rec := array.NewRecordBatch(in, cols, keys)
		for _, c := range cols {
			c.Release()
		}
		if _, err := w.Process(rec); err != nil {
			b.Fatal(err)
		}
	}
	out, err := w.Advance(2000) // fires the windows of panes ..0 and ..1
	if err != nil {
		b.Fatal(err)
	}
	for _, o := range out {
		o.Release()
	}
	var buf bytes.Buffer
	var snapTime, restoreTime time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buf.Reset()
		t0 := time.Now()
		if err := w.Snapshot(&buf); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		w2, err := NewWindowAgg(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := w2.Restore(&buf); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if st := w2.Stats(); st.Keys != keys || st.Panes != panes {
			b.Fatalf("restored %+v", st)
		}
		w2.Close()
		snapTime += t1.Sub(t0)
		restoreTime += t2.Sub(t1)
	}
	b.StopTimer()
	var probe bytes.Buffer
	if err := w.Snapshot(&probe); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(probe.Len()))
	b.ReportMetric(float64(probe.Len()), "snapshot_bytes")
	b.ReportMetric(snapTime.Seconds()*1000/float64(b.N), "snapshot_ms")
	b.ReportMetric(restoreTime.Seconds()*1000/float64(b.N), "restore_ms")
	b.ReportMetric(float64(w.Stats().StateBytes), "state_bytes")
}
