package exec

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// updRow is one input row: key, value and kind.
type updRow struct {
	k, v int64
	op   vector.RowKind
}

// updInput is the schema (k BIGINT, v BIGINT[, _op]).
func updInput(changelog bool) *arrow.Schema {
	s := arrow.NewSchema([]arrow.Field{{Name: "k", Type: vector.Int64, Nullable: true}, {Name: "v", Type: vector.Int64, Nullable: true}}, nil)
	if changelog {
		s = vector.WithOpColumn(s)
	}
	return s
}

// updBatch builds a batch of rows over updInput(changelog).
func updBatch(changelog bool, rows []updRow) arrow.RecordBatch {
	s := updInput(changelog)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.k)
		b.Field(1).(*array.Int64Builder).Append(r.v)
		if changelog {
			b.Field(2).(*array.Int8Builder).Append(int8(r.op))
		}
	}
	return b.NewRecordBatch()
}

// updLines renders changelog batches as "op col col ..." lines.
func updLines(t *testing.T, bs []arrow.RecordBatch) []string {
	t.Helper()
	var out []string
	for _, b := range bs {
		op := vector.OpIndex(b.Schema())
		if op < 0 {
			t.Fatalf("output without an op column: %s", b.Schema())
		}
		for i := 0; i < int(b.NumRows()); i++ {
			var f []string
			for c := 0; c < op; c++ {
				f = append(f, updCell(b.Column(c), i))
			}
			k := vector.RowKind(b.Column(op).(*array.Int8).Value(i))
			out = append(out, k.String()+" "+strings.Join(f, " "))
		}
		b.Release()
	}
	return out
}

// updCell renders one value; floats with 9 significant digits.
func updCell(a arrow.Array, i int) string {
	v := updValue(a, i)
	switch v := v.(type) {
	case nil:
		return "NULL"
	case float64:
		return fmt.Sprintf("%.9g", v)
	}
	return fmt.Sprint(v)
}

// updApply applies changelog lines to a multiset of rows; a retraction
// of a row not in it is an error.
func updApply(t *testing.T, table map[string]int, lines []string) {
	t.Helper()
	for _, l := range lines {
		op, row, _ := strings.Cut(l, " ")
		switch op {
		case "+I", "+U":
			table[row]++
		case "-U", "-D":
			if table[row] == 0 {
				t.Fatalf("%s retracts a row not in the result: %q", op, row)
			}
			if table[row]--; table[row] == 0 {
				delete(table, row)
			}
		}
	}
}

func mustUpd(t *testing.T, cfg UpdatingAggConfig) *UpdatingAgg {
	t.Helper()
	u, err := NewUpdatingAgg(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// updStep runs one micro-batch through ops in a chain and returns the
// last one's output lines.
func updStep(t *testing.T, ops []Operator, in arrow.RecordBatch, wm int64) []string {
	t.Helper()
	bs := []arrow.RecordBatch{in}
	for _, op := range ops {
		var next []arrow.RecordBatch
		for _, b := range bs {
			out, err := op.Process(b)
			if err != nil {
				t.Fatal(err)
			}
			next = append(next, out...)
		}
		out, err := op.Advance(wm)
		if err != nil {
			t.Fatal(err)
		}
		bs = append(next, out...)
	}
	return updLines(t, bs)
}

func TestUpdatingAggEmitsChanges(t *testing.T) {
	u := mustUpd(t, UpdatingAggConfig{Input: updInput(false), Keys: []int{0}, KeyNames: []string{"k"},
		Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}, {Func: Sum, Arg: 1, Name: "s"}}})
	steps := []struct {
		in   []updRow
		want []string
	}{
		{[]updRow{{1, 10, 0}, {2, 5, 0}, {1, 1, 0}}, []string{"+I 1 2 11", "+I 2 1 5"}},
		{[]updRow{{2, 0, 0}, {3, 7, 0}}, []string{"-U 2 1 5", "+U 2 2 5", "+I 3 1 7"}},
		{nil, nil},
	}
	for i, s := range steps {
		got := updStep(t, []Operator{u}, updBatch(false, s.in), int64(i))
		if !slices.Equal(got, s.want) {
			t.Fatalf("step %d: got %q, want %q", i, got, s.want)
		}
	}
}

func TestUpdatingAggRetractsToDelete(t *testing.T) {
	u := mustUpd(t, UpdatingAggConfig{Input: updInput(true), Keys: []int{0}, KeyNames: []string{"k"},
		Aggs: []AggSpec{{Func: Max, Arg: 1, Name: "m"}}})
	got := updStep(t, []Operator{u}, updBatch(true, []updRow{{1, 3, vector.Insert}, {1, 9, vector.Insert}}), 0)
	got = append(got, updStep(t, []Operator{u}, updBatch(true, []updRow{{1, 9, vector.Delete}, {7, 1, vector.Delete}}), 1)...)
	got = append(got, updStep(t, []Operator{u}, updBatch(true, []updRow{{1, 3, vector.UpdateBefore}}), 2)...)
	want := []string{"+I 1 9", "-U 1 9", "+U 1 3", "-D 1 3"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if st := u.Stats(); st.Keys != 0 {
		t.Fatalf("keys alive after every row was retracted: %d", st.Keys)
	}
}

func TestUpdatingAggHavingBothWays(t *testing.T) {
	having, err := vector.Binary(vector.Gt, vector.ColumnRef(1, vector.Int64, "n"), vector.Literal(int64(1), vector.Int64))
	if err != nil {
		t.Fatal(err)
	}
	u := mustUpd(t, UpdatingAggConfig{Input: updInput(true), Keys: []int{0}, KeyNames: []string{"k"},
		Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}, Having: having})
	var got []string
	for i, rows := range [][]updRow{
		{{1, 0, vector.Insert}},
		{{1, 0, vector.Insert}},
		{{1, 0, vector.Insert}},
		{{1, 0, vector.Delete}, {1, 0, vector.Delete}},
		{{1, 0, vector.Insert}},
	} {
		got = append(got, updStep(t, []Operator{u}, updBatch(true, rows), int64(i))...)
	}
	want := []string{"+I 1 2", "-U 1 2", "+U 1 3", "-D 1 3", "+I 1 2"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestUpdatingAggGlobalFirstRow(t *testing.T) {
	u := mustUpd(t, UpdatingAggConfig{Input: updInput(false), Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}, {Func: Max, Arg: 1, Name: "m"}}})
	got := updStep(t, []Operator{u}, updBatch(false, nil), 0)
	got = append(got, updStep(t, []Operator{u}, updBatch(false, []updRow{{0, 4, 0}}), 1)...)
	want := []string{"+I 0 NULL", "-U 0 NULL", "+U 1 4"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// updClock is a settable Clock.
type updClock struct{ now time.Time }

func (c *updClock) Now() time.Time                                    { return c.now }
func (c *updClock) SleepUntil(ctx context.Context, _ time.Time) error { return ctx.Err() }

func TestUpdatingAggTTLExpiresIdleKeys(t *testing.T) {
	clk := &updClock{now: time.Unix(1000, 0)}
	u := mustUpd(t, UpdatingAggConfig{Input: updInput(false), Keys: []int{0}, KeyNames: []string{"k"},
		Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}, TTL: time.Minute, Clock: clk})
	got := updStep(t, []Operator{u}, updBatch(false, []updRow{{1, 0, 0}, {2, 0, 0}}), 0)
	clk.now = clk.now.Add(40 * time.Second)
	got = append(got, updStep(t, []Operator{u}, updBatch(false, []updRow{{2, 0, 0}}), 1)...)
	clk.now = clk.now.Add(30 * time.Second) // key 1 idle for 70 s, key 2 for 30 s
	got = append(got, updStep(t, []Operator{u}, updBatch(false, nil), 2)...)
	if st := u.Stats(); st.ExpiredKeys != 1 || st.Keys != 1 {
		t.Fatalf("expired %d, alive %d; want 1 and 1", st.ExpiredKeys, st.Keys)
	}
	// Key 1 starts again from nothing (as Flink's expired state does).
	got = append(got, updStep(t, []Operator{u}, updBatch(false, []updRow{{1, 0, 0}}), 3)...)
	want := []string{"+I 1 1", "+I 2 1", "-U 2 1", "+U 2 2", "+I 1 1"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestUpdatingAggWindowEviction(t *testing.T) {
	// (window_end, k) keys: window_end is key 1 of the first key column.
	s := arrow.NewSchema([]arrow.Field{{Name: "window_end", Type: vector.Timestamp}, {Name: "k", Type: vector.Int64}}, nil)
	u := mustUpd(t, UpdatingAggConfig{Input: s, Keys: []int{0, 1}, KeyNames: []string{"window_end", "k"},
		Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}, WindowEndKey: 1})
	batch := func(rows ...[2]int64) arrow.RecordBatch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, s)
		defer b.Release()
		for _, r := range rows {
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(r[0]))
			b.Field(1).(*array.Int64Builder).Append(r[1])
		}
		return b.NewRecordBatch()
	}
	got := updStep(t, []Operator{u}, batch([2]int64{10, 1}, [2]int64{20, 1}), 5)
	got = append(got, updStep(t, []Operator{u}, batch([2]int64{10, 1}), 10)...)
	got = append(got, updStep(t, []Operator{u}, batch([2]int64{10, 1}, [2]int64{20, 1}), 10)...)
	want := []string{"+I 10 1 1", "+I 20 1 1", "-U 10 1 1", "+U 10 1 2", "-U 20 1 1", "+U 20 1 2"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if st := u.Stats(); st.LateRows != 1 || st.Keys != 1 {
		t.Fatalf("late %d, keys %d; want 1 and 1", st.LateRows, st.Keys)
	}
}

// updSnapRoundTrip snapshots u into a fresh operator from mk.
func updSnapRoundTrip(t *testing.T, u *UpdatingAgg, mk func() *UpdatingAgg) *UpdatingAgg {
	t.Helper()
	var buf bytes.Buffer
	if err := u.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	v := mk()
	if err := v.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestUpdatingAggProperty runs random changelogs through two levels of
// aggregation (SELECT AVG(m), COUNT(*) FROM (SELECT k, MAX(v) m, COUNT(*)
// n FROM t GROUP BY k HAVING COUNT(*) > 1)), and the first level through
// a filter (WHERE m > 9), checkpointing and restoring the aggregates at
// random, and checks after every micro-batch that the applied changelog
// of each equals a recomputation over the input so far.
func TestUpdatingAggProperty(t *testing.T) {
	having, err := vector.Binary(vector.Gt, vector.ColumnRef(2, vector.Int64, "n"), vector.Literal(int64(1), vector.Int64))
	if err != nil {
		t.Fatal(err)
	}
	mk1 := func() *UpdatingAgg {
		return mustUpd(t, UpdatingAggConfig{Input: updInput(true), Keys: []int{0}, KeyNames: []string{"k"},
			Aggs: []AggSpec{{Func: Max, Arg: 1, Name: "m"}, {Func: CountStar, Arg: -1, Name: "n"}}, Having: having})
	}
	l1Schema := mk1().Schema()
	mk2 := func() *UpdatingAgg {
		return mustUpd(t, UpdatingAggConfig{Input: l1Schema,
			Aggs: []AggSpec{{Func: Avg, Arg: 1, Name: "a"}, {Func: CountStar, Arg: -1, Name: "c"}, {Func: Min, Arg: 1, Name: "lo"}}})
	}
	for seed := int64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewSource(seed))
		l1, l2 := mk1(), mk2()
		held := []updRow{}
		res1, res2, res3 := map[string]int{}, map[string]int{}, map[string]int{}
		pred, err := vector.Binary(vector.Gt, vector.ColumnRef(1, vector.Int64, "m"), vector.Literal(int64(9), vector.Int64))
		if err != nil {
			t.Fatal(err)
		}
		filt, err := NewFilter(memory.DefaultAllocator, l1Schema, pred)
		if err != nil {
			t.Fatal(err)
		}
		for step := 0; step < 40; step++ {
			var rows []updRow
			for i := 0; i < rng.Intn(8); i++ {
				if len(held) > 0 && rng.Intn(3) == 0 {
					j := rng.Intn(len(held))
					r := held[j]
					held = slices.Delete(held, j, j+1)
					r.op = vector.Delete
					if rng.Intn(2) == 0 && len(held) > 0 { // an update: -U then +U
						r.op = vector.UpdateBefore
						rows = append(rows, r)
						r = updRow{k: r.k, v: int64(rng.Intn(20)), op: vector.UpdateAfter}
						held = append(held, r)
					}
					rows = append(rows, r)
					continue
				}
				r := updRow{k: int64(rng.Intn(4)), v: int64(rng.Intn(20)), op: vector.Insert}
				held = append(held, r)
				rows = append(rows, r)
			}
			in := updBatch(true, rows)
			o1, err := l1.Process(in)
			if err != nil {
				t.Fatal(err)
			}
			a1, err := l1.Advance(int64(step))
			if err != nil {
				t.Fatal(err)
			}
			o1 = append(o1, a1...)
			var o2 []arrow.RecordBatch
			var lines1, lines3 []string
			for _, b := range o1 {
				b.Retain()
				b.Retain()
				lines1 = append(lines1, updLines(t, []arrow.RecordBatch{b})...)
				out, err := l2.Process(b)
				if err != nil {
					t.Fatal(err)
				}
				o2 = append(o2, out...)
				// WHERE m > 9 over level 1's changelog.
				kept, err := filt.Process(b)
				if err != nil {
					t.Fatal(err)
				}
				lines3 = append(lines3, updLines(t, kept)...)
			}
			a2, err := l2.Advance(int64(step))
			if err != nil {
				t.Fatal(err)
			}
			updApply(t, res1, lines1)
			updApply(t, res2, updLines(t, append(o2, a2...)))
			updApply(t, res3, lines3)
			want1, want2 := updRecompute(held)
			var want3 []string
			for _, r := range want1 {
				var k, m, n int64
				fmt.Sscan(r, &k, &m, &n)
				if m > 9 {
					want3 = append(want3, r)
				}
			}
			if got := updSorted(res3); !slices.Equal(got, want3) {
				t.Fatalf("seed %d step %d: filtered level 1 is %q, want %q", seed, step, got, want3)
			}
			if got := updSorted(res1); !slices.Equal(got, want1) {
				t.Fatalf("seed %d step %d: level 1 is %q, want %q", seed, step, got, want1)
			}
			if got := updSorted(res2); !slices.Equal(got, want2) {
				t.Fatalf("seed %d step %d: level 2 is %q, want %q", seed, step, got, want2)
			}
			if rng.Intn(5) == 0 {
				l1, l2 = updSnapRoundTrip(t, l1, mk1), updSnapRoundTrip(t, l2, mk2)
			}
		}
	}
}

// updRecompute is the batch result of both levels over rows.
func updRecompute(rows []updRow) ([]string, []string) {
	mx, n := map[int64]int64{}, map[int64]int64{}
	for _, r := range rows {
		if n[r.k] == 0 || r.v > mx[r.k] {
			mx[r.k] = r.v
		}
		n[r.k]++
	}
	var l1 []string
	var sum, cnt, lo int64
	for k := range n {
		if n[k] > 1 {
			l1 = append(l1, fmt.Sprintf("%d %d %d", k, mx[k], n[k]))
			if cnt == 0 || mx[k] < lo {
				lo = mx[k]
			}
			sum += mx[k]
			cnt++
		}
	}
	slices.Sort(l1)
	if cnt == 0 {
		return l1, []string{"NULL 0 NULL"}
	}
	return l1, []string{fmt.Sprintf("%.9g %d %d", float64(sum)/float64(cnt), cnt, lo)}
}

// updSorted lists a multiset's rows, sorted, repeated by count.
func updSorted(m map[string]int) []string {
	var out []string
	for r, n := range m {
		for range n {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

func TestFilterKeepsChangelogPairs(t *testing.T) {
	// WHERE v > 5 over -U/+U pairs crossing the condition both ways.
	pred, err := vector.Binary(vector.Gt, vector.ColumnRef(1, vector.Int64, "v"), vector.Literal(int64(5), vector.Int64))
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFilter(memory.DefaultAllocator, updInput(true), pred)
	if err != nil {
		t.Fatal(err)
	}
	in := updBatch(true, []updRow{
		{1, 9, vector.UpdateBefore}, {1, 8, vector.UpdateAfter}, // both pass
		{2, 9, vector.UpdateBefore}, {2, 1, vector.UpdateAfter}, // old only
		{3, 1, vector.UpdateBefore}, {3, 9, vector.UpdateAfter}, // new only
		{4, 1, vector.UpdateBefore}, {4, 2, vector.UpdateAfter}, // neither
		{5, 7, vector.Insert}, {6, 1, vector.Delete}, {7, 7, vector.Delete},
	})
	out, err := f.Process(in)
	if err != nil {
		t.Fatal(err)
	}
	got := updLines(t, out)
	want := []string{"-U 1 9", "+U 1 8", "-D 2 9", "+I 3 9", "+I 5 7", "-D 7 7"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestProjectCarriesOpColumn(t *testing.T) {
	s := updInput(true)
	p := NewProject(memory.DefaultAllocator,
		[]vector.Expr{vector.ColumnRef(1, vector.Int64, "v"), vector.ColumnRef(2, arrow.PrimitiveTypes.Int8, vector.OpColumn)},
		[]string{"v", vector.OpColumn})
	if vector.OpIndex(p.Schema()) != 1 {
		t.Fatalf("projection schema %s has no op column last", p.Schema())
	}
	out, err := p.Process(updBatch(true, []updRow{{1, 2, vector.UpdateBefore}, {1, 3, vector.UpdateAfter}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := updLines(t, out); !slices.Equal(got, []string{"-U 2", "+U 3"}) {
		t.Fatalf("got %q over %s", got, s)
	}
}

// TestUpdatingAggTTLProperty checks state TTL over random streams: a key
// idle for the TTL is forgotten without output (as in Flink), so the
// applied changelog keeps its last row, and a later row for it starts a
// new group. The model keeps, per key, the rows since its last expiry.
func TestUpdatingAggTTLProperty(t *testing.T) {
	const ttl = 5 * time.Second
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		clk := &updClock{now: time.Unix(0, 0)}
		mk := func() *UpdatingAgg {
			return mustUpd(t, UpdatingAggConfig{Input: updInput(false), Keys: []int{0}, KeyNames: []string{"k"},
				Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}, {Func: Sum, Arg: 1, Name: "s"}}, TTL: ttl, Clock: clk})
		}
		u := mk()
		type seg struct{ n, s int64 }
		cur := map[int64]*seg{}
		last := map[int64]time.Time{}
		frozen := map[string]int{}
		var expired int64
		res := map[string]int{}
		for step := 0; step < 60; step++ {
			clk.now = clk.now.Add(time.Duration(rng.Intn(3000)) * time.Millisecond)
			var rows []updRow
			touched := map[int64]bool{}
			for i := 0; i < rng.Intn(4); i++ {
				r := updRow{k: int64(rng.Intn(5)), v: int64(rng.Intn(9))}
				rows = append(rows, r)
				if cur[r.k] == nil {
					cur[r.k] = &seg{}
				}
				cur[r.k].n++
				cur[r.k].s += r.v
				last[r.k] = clk.now
				touched[r.k] = true
			}
			updApply(t, res, updStep(t, []Operator{u}, updBatch(false, rows), int64(step)))
			for k, sg := range cur {
				if !touched[k] && !clk.now.Before(last[k].Add(ttl)) {
					frozen[fmt.Sprintf("%d %d %d", k, sg.n, sg.s)]++
					delete(cur, k)
					expired++
				}
			}
			want := map[string]int{}
			for r, n := range frozen {
				want[r] += n
			}
			for k, sg := range cur {
				want[fmt.Sprintf("%d %d %d", k, sg.n, sg.s)]++
			}
			if got, w := updSorted(res), updSorted(want); !slices.Equal(got, w) {
				t.Fatalf("seed %d step %d: applied changelog %q, want %q", seed, step, got, w)
			}
			if st := u.Stats(); st.ExpiredKeys != expired || st.Keys != len(cur) {
				t.Fatalf("seed %d step %d: %d expired, %d alive; want %d and %d", seed, step, st.ExpiredKeys, st.Keys, expired, len(cur))
			}
			if rng.Intn(6) == 0 {
				u = updSnapRoundTrip(t, u, mk)
			}
		}
	}
}

// TestUpdatingAggSnapshotRoundTrip: an aggregate restored from a snapshot
// after every micro-batch emits exactly what an uninterrupted one does,
// and a damaged snapshot is an error.
func TestUpdatingAggSnapshotRoundTrip(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{{Name: "window_end", Type: vector.Timestamp}, {Name: "k", Type: vector.String}, {Name: "v", Type: vector.Float64}}, nil)
	mk := func() *UpdatingAgg {
		return mustUpd(t, UpdatingAggConfig{Input: s, Keys: []int{0, 1}, KeyNames: []string{"window_end", "k"}, WindowEndKey: 1,
			Aggs: []AggSpec{{Func: Min, Arg: 1, Name: "lo"}, {Func: Avg, Arg: 2, Name: "a"}, {Func: Count, Arg: 2, Name: "n"}}})
	}
	rng := rand.New(rand.NewSource(3))
	plain, restored := mk(), mk()
	for step := 0; step < 30; step++ {
		b := array.NewRecordBuilder(memory.DefaultAllocator, s)
		for range rng.Intn(5) {
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(10 * (1 + rng.Intn(4) + step/5)))
			b.Field(1).(*array.StringBuilder).Append(string(rune('a' + rng.Intn(3))))
			if rng.Intn(4) == 0 {
				b.Field(2).AppendNull()
			} else {
				b.Field(2).(*array.Float64Builder).Append(float64(rng.Intn(100)) / 8)
			}
		}
		in := b.NewRecordBatch()
		b.Release()
		in.Retain()
		wm := int64(10 * (step / 5))
		got := updStep(t, []Operator{restored}, in, wm)
		want := updStep(t, []Operator{plain}, in, wm)
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: restored operator emits %q, uninterrupted %q", step, got, want)
		}
		if r, p := restored.Stats(), plain.Stats(); r.Keys != p.Keys || r.LateRows != p.LateRows {
			t.Fatalf("step %d: %d keys and %d late rows, want %d and %d", step, r.Keys, r.LateRows, p.Keys, p.LateRows)
		}
		restored = updSnapRoundTrip(t, restored, mk)
	}
	var buf bytes.Buffer
	if err := plain.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	for _, cut := range []int{0, 10, len(data) / 2, len(data) - 20} {
		if err := mk().Restore(bytes.NewReader(data[:cut])); err == nil {
			t.Errorf("a snapshot cut at %d of %d bytes restored without an error", cut, len(data))
		}
	}
	other := mustUpd(t, UpdatingAggConfig{Input: s, Keys: []int{1}, KeyNames: []string{"k"}, Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}})
	if err := other.Restore(bytes.NewReader(data)); err == nil || !strings.Contains(err.Error(), "differently configured") {
		t.Errorf("a snapshot of another aggregate: %v", err)
	}
}

// updValue reads element i of a as a Go value (nil for NULL): int64 for
// BIGINT and TIMESTAMP, float64, string or bool.
func updValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	}
	return nil
}

// TestUpdatingAggWindowedProperty: windowed EMIT ON UPDATE over random
// out-of-order rows. The applied changelog equals the count per (window,
// key) of the rows that were not late, a closed window emits nothing more,
// and its state is gone.
func TestUpdatingAggWindowedProperty(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{{Name: "window_end", Type: vector.Timestamp}, {Name: "k", Type: vector.Int64}}, nil)
	for seed := int64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewSource(seed))
		u := mustUpd(t, UpdatingAggConfig{Input: s, Keys: []int{0, 1}, KeyNames: []string{"window_end", "k"}, WindowEndKey: 1,
			Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}})
		want := map[[2]int64]int64{}
		res := map[string]int{}
		wm, late := int64(-10), int64(0)
		for step := 0; step < 40; step++ {
			prevWm := wm
			b := array.NewRecordBuilder(memory.DefaultAllocator, s)
			for range rng.Intn(6) {
				end := 10 * (int64(step/3) + int64(rng.Intn(4)))
				k := int64(rng.Intn(3))
				b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(end))
				b.Field(1).(*array.Int64Builder).Append(k)
				if end <= wm {
					late++
				} else {
					want[[2]int64{end, k}]++
				}
			}
			in := b.NewRecordBatch()
			b.Release()
			if rng.Intn(2) == 0 {
				wm += 10 * int64(rng.Intn(2))
			}
			for _, l := range updStep(t, []Operator{u}, in, wm) {
				var end int64
				fmt.Sscan(strings.Fields(l)[1], &end)
				if end <= prevWm {
					// Only the micro-batch that closes a window may
					// still change it.
					t.Fatalf("seed %d step %d: %q for a window closed before", seed, step, l)
				}
				updApply(t, res, []string{l})
			}
			var w []string
			for key, n := range want {
				w = append(w, fmt.Sprintf("%d %d %d", key[0], key[1], n))
			}
			slices.Sort(w)
			if got := updSorted(res); !slices.Equal(got, w) {
				t.Fatalf("seed %d step %d: %q, want %q", seed, step, got, w)
			}
			open := 0
			for key := range want {
				if key[0] > wm {
					open++
				}
			}
			if st := u.Stats(); st.LateRows != late || st.Keys != open {
				t.Fatalf("seed %d step %d: %d late, %d keys; want %d and %d", seed, step, st.LateRows, st.Keys, late, open)
			}
		}
	}
}
