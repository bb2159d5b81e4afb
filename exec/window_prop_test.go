package exec

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The property test: random streams through a WindowAgg against a naive
// recomputation that scans, for each window, every row not dropped.

// winPropSchema: the event time, three key candidates, the arguments.
var winPropSchema = winTestSchema("ts:ts", "ki:int", "ks:string", "kb:bool", "vi:int", "vf:float", "vs:string", "vb:bool")

var winPropAggs = []AggSpec{
	{Func: CountStar, Arg: -1}, {Func: Count, Arg: 6},
	{Func: Sum, Arg: 4}, {Func: Sum, Arg: 5}, {Func: Avg, Arg: 4}, {Func: Avg, Arg: 5},
	{Func: Min, Arg: 4}, {Func: Max, Arg: 4}, {Func: Min, Arg: 5}, {Func: Max, Arg: 5},
	{Func: Min, Arg: 6}, {Func: Max, Arg: 6}, {Func: Min, Arg: 7}, {Func: Max, Arg: 7},
	{Func: Min, Arg: 0}, {Func: Max, Arg: 0},
	// winPropBaseAggs: DISTINCT, FILTER (on vb) and APPROX_COUNT_DISTINCT (of at most 150
	// strings: exact while its sketch is sparse).
	{Func: Count, Arg: 4, Distinct: true}, {Func: Count, Arg: 5, Distinct: true}, {Func: Count, Arg: 0, Distinct: true},
	{Func: Count, Arg: 6, Distinct: true, HasFilter: true, Filter: 7},
	{Func: Sum, Arg: 4, Distinct: true}, {Func: Avg, Arg: 4, Distinct: true, HasFilter: true, Filter: 7},
	{Func: CountStar, Arg: -1, HasFilter: true, Filter: 7}, {Func: Sum, Arg: 4, HasFilter: true, Filter: 7},
	{Func: Max, Arg: 6, HasFilter: true, Filter: 7},
	{Func: ApproxCountDistinct, Arg: 6}, {Func: ApproxCountDistinct, Arg: 3, HasFilter: true, Filter: 7},
}

// winPropBaseAggs is the number of aggregates of winPropAggs before
// DISTINCT and FILTER.
const winPropBaseAggs = 16

// winPropCase is one random stream, window and batching.
type winPropCase struct {
	rows   [][]any
	keys   []int
	window WindowSpec
	splits []int // batch sizes
	delay  int64
}

func winPropGen(r *rand.Rand) winPropCase {
	var c winPropCase
	size := 1 + r.Int64N(60)
	switch r.IntN(4) {
	case 0:
		c.window = WindowSpec{Kind: Tumble, Size: size, Slide: size}
	case 1: // slide dividing size
		k := 1 + r.Int64N(8)
		c.window = WindowSpec{Kind: Hop, Size: size * k, Slide: size}
	default: // any slide, usually not dividing, sometimes above the size
		c.window = WindowSpec{Kind: Hop, Size: size, Slide: 1 + r.Int64N(size+size/4)}
	}
	c.keys = [][]int{nil, {1}, {2}, {1, 2}, {3, 1}}[r.IntN(5)]
	nkeys := []int{1, 3, 20, 1000}[r.IntN(4)]
	n := r.IntN(2500)
	disorder := []int64{0, 3, 30, 200}[r.IntN(4)]
	c.delay = []int64{0, disorder / 2, disorder, 2 * disorder}[r.IntN(4)]
	nullP := []float64{0, 0.05, 0.5}[r.IntN(3)]
	nonFinite := r.IntN(4) == 0
	null := func() bool { return r.Float64() < nullP }
	t := -r.Int64N(1000)
	for i := 0; i < n; i++ {
		t += r.Int64N(3)
		row := make([]any, 8)
		if r.IntN(50) != 0 {
			row[0] = t - r.Int64N(disorder+1)
		}
		k := r.IntN(nkeys)
		if !null() {
			row[1] = int64(k % 97)
		}
		if !null() {
			row[2] = fmt.Sprintf("k%d", k)
		}
		if !null() {
			row[3] = k%3 == 0
		}
		if !null() {
			row[4] = r.Int64N(2001) - 1000
		}
		if !null() {
			f := float64(r.Int64N(2_000_001)-1_000_000) / 1000
			if nonFinite && r.IntN(30) == 0 {
				f = []float64{math.Inf(1), math.Inf(-1), math.NaN()}[r.IntN(3)]
			}
			row[5] = f
		}
		if !null() {
			row[6] = strings.Repeat("s", r.IntN(3)) + fmt.Sprint(r.IntN(50))
		}
		if !null() {
			row[7] = r.IntN(2) == 0
		}
		c.rows = append(c.rows, row)
	}
	c.splits = winPropSplits(r, n, r.IntN(4))
	return c
}

// winPropSplits cuts n rows into batches of 1, 3, 1024 or random sizes.
func winPropSplits(r *rand.Rand, n, mode int) []int {
	var s []int
	for n > 0 {
		k := []int{1, 3, 1024, 1 + r.IntN(200)}[mode]
		k = min(k, n)
		s = append(s, k)
		n -= k
	}
	return s
}

func (c *winPropCase) config() WindowAggConfig {
	names := make([]string, len(c.keys))
	for i, k := range c.keys {
		names[i] = winPropSchema.Field(k).Name
	}
	aggs := slices.Clone(winPropAggs)
	for i := range aggs {
		aggs[i].Name = fmt.Sprintf("a%d", i)
	}
	return WindowAggConfig{Input: winPropSchema, Keys: c.keys, KeyNames: names, Aggs: aggs, Window: c.window}
}

// winPropRun drives the operator and returns the rows of each Advance.
// winPropParts, when above 1, makes winPropRun run the aggregate in that
// many partitions (a Partitioned operator) whenever it has keys.
var winPropParts = 1

// winPropOperator builds the aggregate of cfg, partitioned when
// winPropParts asks for it.
func winPropOperator(cfg WindowAggConfig) (interface {
	Operator
	StateReporter
}, error) {
	if winPropParts < 2 || len(cfg.Keys) == 0 {
		return NewWindowAgg(cfg)
	}
	parts := make([]Operator, winPropParts)
	for i := range parts {
		w, err := NewWindowAgg(cfg)
		if err != nil {
			return nil, err
		}
		parts[i] = w
	}
	op, err := NewPartitioned(cfg.Alloc, parts)
	if err != nil {
		return nil, err
	}
	return op.(*Partitioned), nil
}

func winPropRun(t *testing.T, c *winPropCase) ([][][]any, WindowStats) {
	mem := winTestMem(t)
	cfg := c.config()
	cfg.Alloc = mem
	w, err := winPropOperator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var out [][][]any
	maxTs, seen := int64(math.MinInt64), false
	advance := func(wm int64) {
		bs, err := w.Advance(wm)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, winTestValues(bs))
	}
	at := 0
	for _, k := range c.splits {
		rows := c.rows[at : at+k]
		at += k
		if _, err := w.Process(winTestBatch(mem, winPropSchema, rows)); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r[0] != nil {
				maxTs, seen = max(maxTs, r[0].(int64)), true
			}
		}
		if seen {
			advance(maxTs - c.delay)
		} else {
			advance(MinWatermark)
		}
	}
	advance(MaxWatermark)
	st := w.Stats()
	if st.Keys != 0 || st.Panes != 0 {
		t.Fatalf("after the end: %+v", st)
	}
	return out, st
}

// winPropWindow is the reference state of one window.
type winPropWindow struct {
	start int64
	keys  map[string]*winPropGroup
}

type winPropGroup struct {
	key  []any
	rows [][]any
}

// winPropReference recomputes the output naively, with the same batching
// and watermarks, and the late and gap rules.
func winPropReference(c *winPropCase) (out [][][]any, late, gaps, nullTimes int64) {
	size, slide := c.window.Size, c.window.Slide
	windows := map[int64]*winPropWindow{}
	wm := MinWatermark
	maxTs, seen := int64(math.MinInt64), false
	advance := func(to int64) {
		if to <= wm {
			out = append(out, nil)
			return
		}
		wm = to
		var ready []*winPropWindow
		for s, win := range windows {
			if winEnd(s, size) <= wm {
				ready = append(ready, win)
				delete(windows, s)
			}
		}
		slices.SortFunc(ready, func(a, b *winPropWindow) int { return cmp.Compare(a.start, b.start) })
		var rows [][]any
		for _, win := range ready {
			groups := make([]*winPropGroup, 0, len(win.keys))
			for _, g := range win.keys {
				groups = append(groups, g)
			}
			slices.SortFunc(groups, func(a, b *winPropGroup) int { return winPropCompareKeys(a.key, b.key) })
			for _, g := range groups {
				row := []any{win.start, win.start + size}
				row = append(row, g.key...)
				for _, a := range winPropAggs {
					row = append(row, winPropAggregate(a, g.rows))
				}
				rows = append(rows, row)
			}
		}
		out = append(out, rows)
	}
	at := 0
	for _, k := range c.splits {
		for _, r := range c.rows[at : at+k] {
			if r[0] == nil {
				nullTimes++
				continue
			}
			ts := r[0].(int64)
			maxTs, seen = max(maxTs, ts), true
			last := winFloorDiv(ts, slide) * slide
			if ts-last >= size {
				gaps++
				continue
			}
			if last+size <= wm {
				late++
				continue
			}
			key := make([]any, len(c.keys))
			for i, kc := range c.keys {
				key[i] = r[kc]
			}
			ks := fmt.Sprintf("%#v", key)
			for s := last; s > ts-size; s -= slide {
				if s+size <= wm {
					break
				}
				win := windows[s]
				if win == nil {
					win = &winPropWindow{start: s, keys: map[string]*winPropGroup{}}
					windows[s] = win
				}
				g := win.keys[ks]
				if g == nil {
					g = &winPropGroup{key: key}
					win.keys[ks] = g
				}
				g.rows = append(g.rows, r)
			}
		}
		at += k
		if seen {
			advance(maxTs - c.delay)
		} else {
			advance(MinWatermark)
		}
	}
	advance(MaxWatermark)
	return out, late, gaps, nullTimes
}

// winPropCompare orders two non-NULL values of one type, floats with NaN
// last.
func winPropCompare(a, b any) int {
	switch a := a.(type) {
	case int64:
		return cmp.Compare(a, b.(int64))
	case string:
		return strings.Compare(a, b.(string))
	case bool:
		x, y := 0, 0
		if a {
			x = 1
		}
		if b.(bool) {
			y = 1
		}
		return cmp.Compare(x, y)
	case float64:
		bf := b.(float64)
		switch {
		case math.IsNaN(a) && math.IsNaN(bf):
			return 0
		case math.IsNaN(a):
			return 1
		case math.IsNaN(bf):
			return -1
		}
		return cmp.Compare(a, bf)
	}
	panic(fmt.Sprintf("winPropCompare %T", a))
}

func winPropCompareKeys(a, b []any) int {
	for i := range a {
		switch {
		case a[i] == nil && b[i] == nil:
			continue
		case a[i] == nil:
			return -1
		case b[i] == nil:
			return 1
		}
		if r := winPropCompare(a[i], b[i]); r != 0 {
			return r
		}
	}
	return 0
}

// winPropAggregate computes one aggregate over the rows of a group.
func winPropAggregate(a AggSpec, rows [][]any) any {
	if a.HasFilter {
		var kept [][]any
		for _, r := range rows {
			if r[a.Filter] == true {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	if a.Func == CountStar {
		return int64(len(rows))
	}
	var vals []any
	seen := map[any]bool{}
	for _, r := range rows {
		if v := r[a.Arg]; v != nil {
			if a.Distinct || a.Func == ApproxCountDistinct {
				k := v
				if f, ok := v.(float64); ok {
					k = distinctFloatKey(f)
				}
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			vals = append(vals, v)
		}
	}
	if a.Func == Count || a.Func == ApproxCountDistinct {
		return int64(len(vals))
	}
	if len(vals) == 0 {
		return nil
	}
	switch a.Func {
	case Sum, Avg:
		var si int64
		var sf float64
		for _, v := range vals {
			switch v := v.(type) {
			case int64:
				si += v
			case float64:
				sf += v
			}
		}
		_, isInt := vals[0].(int64)
		switch {
		case a.Func == Sum && isInt:
			return si
		case a.Func == Sum:
			return sf
		case isInt:
			return float64(si) / float64(len(vals))
		}
		return sf / float64(len(vals))
	}
	best := vals[0]
	for _, v := range vals[1:] {
		if r := winPropCompare(v, best); a.Func == Min && r < 0 || a.Func == Max && r > 0 {
			best = v
		}
	}
	return best
}

func winPropDiff(got, want [][][]any) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d advances, want %d", len(got), len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return fmt.Sprintf("advance %d: %d rows, want %d:\n got %q\nwant %q", i, len(got[i]), len(want[i]),
				winTestFormat(got[i]), winTestFormat(want[i]))
		}
		for j := range want[i] {
			g, w := got[i][j], want[i][j]
			same := len(g) == len(w)
			for k := 0; same && k < len(w); k++ {
				same = winTestSameValue(g[k], w[k])
			}
			if !same {
				return fmt.Sprintf("advance %d row %d:\n got %q\nwant %q", i, j, winTestFormat([][]any{g}), winTestFormat([][]any{w}))
			}
		}
	}
	return ""
}

func TestWindowProperty(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 50
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
		c := winPropGen(r)
		c.window.TimeCol = 0
		got, st := winPropRun(t, &c)
		want, late, gaps, nulls := winPropReference(&c)
		if d := winPropDiff(got, want); d != "" {
			t.Fatalf("seed %d (window %+v, keys %v, delay %d, %d rows, splits %v): %s",
				seed, c.window, c.keys, c.delay, len(c.rows), c.splits[:min(len(c.splits), 5)], d)
		}
		if st.LateRows != late || st.GapRows != gaps || st.NullTimeRows != nulls {
			t.Fatalf("seed %d: stats %+v, want late %d gaps %d null times %d", seed, st, late, gaps, nulls)
		}
	}
}

// TestWindowPropertyParallel is TestWindowProperty with the aggregate
// split into four partitions by key: the output must be the same rows in
// the same order (each partition's emission merged back by window end and
// key), and the same late, gap and NULL-time counts.
func TestWindowPropertyParallel(t *testing.T) {
	winPropParts, ParallelRows = 4, 1
	defer func() { winPropParts, ParallelRows = 1, 2048 }()
	TestWindowProperty(t)
}

// TestWindowPropertySplits checks that without late rows the output does
// not depend on how the input is cut into batches.
func TestWindowPropertySplits(t *testing.T) {
	seeds := 100
	if testing.Short() {
		seeds = 20
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 0x5b11))
		c := winPropGen(r)
		c.window.TimeCol = 0
		c.delay = 1000 // above any disorder: no late rows
		var first []string
		for mode := 0; mode < 4; mode++ {
			c.splits = winPropSplits(r, len(c.rows), mode)
			got, st := winPropRun(t, &c)
			if st.LateRows != 0 {
				t.Fatalf("seed %d: late rows %d", seed, st.LateRows)
			}
			var flat [][]any
			for _, g := range got {
				flat = append(flat, g...)
			}
			s := winTestFormat(flat)
			if mode == 0 {
				first = s
				continue
			}
			if !slices.Equal(s, first) {
				t.Fatalf("seed %d: split mode %d gives %d rows, split 1 gives %d; first difference at %d", seed, mode, len(s), len(first), winPropFirstDiff(s, first))
			}
		}
	}
}

func winPropFirstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
