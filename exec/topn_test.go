package exec

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

func mustTopN(t *testing.T, cfg TopNConfig) *TopN {
	t.Helper()
	if cfg.RankName == "" {
		cfg.RankName = "rn"
	}
	if cfg.Alloc == nil {
		cfg.Alloc = winTestMem(t)
	}
	op, err := NewTopN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// statefulOp is a stateful operator under test, partitioned or not.
type statefulOp interface {
	Operator
	Snapshotter
	StateReporter
}

func topnSnapRoundTrip(t *testing.T, op statefulOp, mk func() statefulOp) statefulOp {
	t.Helper()
	var buf bytes.Buffer
	if err := op.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	next := mk()
	if err := next.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if a, b := op.Stats(), next.Stats(); a != b {
		t.Fatalf("stats after restore %+v, before %+v", b, a)
	}
	op.Close()
	return next
}

// topnRecompute is the top n of each k by v (descending when desc), as
// "k v [rank]" lines, from the rows held.
func topnRecompute(rows []updRow, n int, desc, rank bool, f RankFunc) map[string]int {
	by := map[int64][]int64{}
	for _, r := range rows {
		by[r.k] = append(by[r.k], r.v)
	}
	out := map[string]int{}
	for k, vs := range by {
		slices.Sort(vs)
		if desc {
			slices.Reverse(vs)
		}
		r := 0
		for i, v := range vs {
			switch {
			case f == RowNumber || i == 0:
				r = i + 1
			case vs[i-1] == v:
			case f == Rank:
				r = i + 1
			default:
				r++
			}
			if r > n {
				break
			}
			if rank {
				out[fmt.Sprintf("%d %d %d", k, v, r)]++
			} else {
				out[fmt.Sprintf("%d %d NULL", k, v)]++
			}
		}
	}
	return out
}

// TestTopNProperty feeds random inputs (append-only, or changelogs that
// retract rows held) to TopNs of random N, ranking function, order and
// rank mode,
// checkpointing and restoring at random, and checks after every
// micro-batch that the applied changelog equals the top N recomputed from
// the input so far.
func TestTopNProperty(t *testing.T) { topnProperty(t, 1) }

// TestTopNPartitionedProperty is TestTopNProperty with the top-N split
// into four partitions by its PARTITION BY key.
func TestTopNPartitionedProperty(t *testing.T) {
	ParallelRows = 1
	defer func() { ParallelRows = 2048 }()
	topnProperty(t, 4)
}

// partitionedOp returns mk's operator, split into parts partitions
// when parts > 1.
func partitionedOp(t *testing.T, parts int, mk func() Operator) statefulOp {
	if parts < 2 {
		return mk().(statefulOp)
	}
	ops := make([]Operator, parts)
	for i := range ops {
		ops[i] = mk()
	}
	op, err := NewPartitioned(nil, ops)
	if err != nil {
		t.Fatal(err)
	}
	return op.(statefulOp)
}

func topnProperty(t *testing.T, parts int) {
	for seed := int64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewSource(seed))
		changelog := seed%2 == 0
		n, desc, rank := 1+rng.Intn(3), rng.Intn(2) == 0, rng.Intn(2) == 0
		f := RankFunc(rng.Intn(3))
		mk := func() statefulOp {
			return partitionedOp(t, parts, func() Operator {
				return mustTopN(t, TopNConfig{Input: updInput(changelog), Partition: []int{0},
					Order: []SortKey{{Col: 1, Desc: desc}}, N: int64(n), Func: f, Rank: rank, WindowEnd: -1})
			})
		}
		op := mk()
		var held []updRow
		res := map[string]int{}
		for step := 0; step < 30; step++ {
			var in []updRow
			for range 1 + rng.Intn(6) {
				if changelog && len(held) > 0 && rng.Intn(3) == 0 {
					i := rng.Intn(len(held))
					old := held[i]
					held = slices.Delete(held, i, i+1)
					if rng.Intn(2) == 0 {
						in = append(in, updRow{old.k, old.v, vector.Delete})
						continue
					}
					nw := updRow{old.k, rng.Int63n(8), vector.UpdateAfter}
					in = append(in, updRow{old.k, old.v, vector.UpdateBefore}, nw)
					held = append(held, nw)
					continue
				}
				r := updRow{rng.Int63n(3), rng.Int63n(8), vector.Insert}
				in = append(in, r)
				held = append(held, r)
			}
			out, err := op.Process(updBatch(changelog, in))
			if err != nil {
				t.Fatal(err)
			}
			adv, err := op.Advance(int64(step))
			if err != nil {
				t.Fatal(err)
			}
			updApply(t, res, updLines(t, append(out, adv...)))
			want := topnRecompute(held, n, desc, rank, f)
			if fmt.Sprint(updSorted(res)) != fmt.Sprint(updSorted(want)) {
				t.Fatalf("seed %d (n=%d func=%d desc=%v rank=%v changelog=%v) step %d: got %v, want %v",
					seed, n, f, desc, rank, changelog, step, updSorted(res), updSorted(want))
			}
			if rng.Intn(4) == 0 {
				op = topnSnapRoundTrip(t, op, mk)
			}
		}
		if st := op.Stats(); !changelog && st.StateBytes > 0 && st.Keys > 3 {
			t.Fatalf("seed %d: %d partitions for 3 keys", seed, st.Keys)
		}
		op.Close()
	}
}

// TestTopNAppendOnlyKeepsOnlyN: over an append-only input only the top
// N rows of a partition are held.
func TestTopNAppendOnlyKeepsOnlyN(t *testing.T) {
	op := mustTopN(t, TopNConfig{Input: updInput(false), Partition: []int{0},
		Order: []SortKey{{Col: 1, Desc: true}}, N: 2, Rank: true, WindowEnd: -1})
	defer op.Close()
	var rows []updRow
	for v := range int64(100) {
		rows = append(rows, updRow{k: 1, v: v})
	}
	got := updStep(t, []Operator{op}, updBatch(false, rows), 0)
	if want := []string{"+I 1 99 1", "+I 1 98 2"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if op.rows != 2 {
		t.Fatalf("holds %d rows, want 2", op.rows)
	}
	got = updStep(t, []Operator{op}, updBatch(false, []updRow{{k: 1, v: 98}, {k: 1, v: 200}}), 0)
	want := []string{"-U 1 99 1", "+U 1 200 1", "-U 1 98 2", "+U 1 99 2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// topnWindowInput is (window_end TIMESTAMP, v BIGINT).
func topnWindowBatch(rows [][2]int64) arrow.RecordBatch {
	s := arrow.NewSchema([]arrow.Field{{Name: "window_end", Type: vector.Timestamp, Nullable: true},
		{Name: "v", Type: vector.Int64, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(r[0]))
		b.Field(1).(*array.Int64Builder).Append(r[1])
	}
	return b.NewRecordBatch()
}

// TestTopNWindowEmitsAtClose: a window Top-N emits each window's top N
// once, append-only, when the watermark reaches its end, frees it, and
// drops rows of windows already emitted.
func TestTopNWindowEmitsAtClose(t *testing.T) {
	in := topnWindowBatch(nil)
	schema := in.Schema()
	in.Release()
	mk := func() statefulOp {
		return mustTopN(t, TopNConfig{Input: schema, Partition: []int{0}, Order: []SortKey{{Col: 1, Desc: true}},
			N: 2, Rank: true, WindowEnd: 0})
	}
	op := mk()
	if op.Schema().NumFields() != 3 || vector.IsChangelog(op.Schema()) {
		t.Fatalf("schema %s, want append-only (window_end, v, rn)", op.Schema())
	}
	render := func(bs []arrow.RecordBatch) []string {
		var out []string
		for _, b := range bs {
			for i := range int(b.NumRows()) {
				out = append(out, fmt.Sprintf("%d %d %d", b.Column(0).(*array.Timestamp).Value(i),
					b.Column(1).(*array.Int64).Value(i), b.Column(2).(*array.Int64).Value(i)))
			}
			b.Release()
		}
		return out
	}
	step := func(rows [][2]int64, wm int64) []string {
		out, err := op.Process(topnWindowBatch(rows))
		if err != nil {
			t.Fatal(err)
		}
		adv, err := op.Advance(wm)
		if err != nil {
			t.Fatal(err)
		}
		return render(append(out, adv...))
	}
	if got := step([][2]int64{{10, 1}, {10, 5}, {20, 7}, {10, 3}}, 5); len(got) != 0 {
		t.Fatalf("emitted %v before any window closed", got)
	}
	op = topnSnapRoundTrip(t, op, mk)
	got := step([][2]int64{{10, 4}, {20, 2}}, 10)
	if want := []string{"10 5 1", "10 4 2"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if st := op.Stats(); st.Keys != 1 {
		t.Fatalf("%d windows held after the first closed, want 1", st.Keys)
	}
	got = step([][2]int64{{10, 99}, {20, 9}}, MaxWatermark)
	if want := []string{"20 9 1", "20 7 2"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v (the late row of window 10 dropped)", got, want)
	}
	if st := op.Stats(); st.Keys != 0 || st.StateBytes != 0 || st.LateRows != 1 {
		t.Fatalf("state %+v after every window closed, want none and 1 late row", st)
	}
	op.Close()
}

// TestTopNRefusesBadConfig: N below 1 and an updating input to a window
// Top-N are errors, not panics.
func TestTopNRefusesBadConfig(t *testing.T) {
	if _, err := NewTopN(TopNConfig{Input: updInput(false), N: 0, WindowEnd: -1}); err == nil {
		t.Fatal("N = 0 accepted")
	}
	if _, err := NewTopN(TopNConfig{Input: updInput(true), N: 1, WindowEnd: 0}); err == nil {
		t.Fatal("window Top-N over a changelog accepted")
	}
}

// TestTopNTiesToLatest: keep-last deduplication replaces the kept row by
// a later one with the same time; a Top-N keeps the earlier.
func TestTopNTiesToLatest(t *testing.T) {
	in := topnWindowBatch(nil)
	schema := in.Schema()
	in.Release()
	for _, latest := range []bool{true, false} {
		op := mustTopN(t, TopNConfig{Input: schema, Order: []SortKey{{Col: 0, Desc: true}}, N: 1,
			Columns: []int{1}, TiesToLatest: latest, WindowEnd: -1})
		out, err := op.Process(topnWindowBatch([][2]int64{{5, 1}, {5, 2}, {4, 3}}))
		if err != nil {
			t.Fatal(err)
		}
		adv, err := op.Advance(0)
		if err != nil {
			t.Fatal(err)
		}
		got := updLines(t, append(out, adv...))
		want := []string{"+I 2"}
		if !latest {
			want = []string{"+I 1"}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("TiesToLatest=%v: got %v, want %v", latest, got, want)
		}
		op.Close()
	}
}

// TestTopNTTLExpiresIdlePartitions: with a TTL a partition not updated
// for that long is dropped without output, and starts again from nothing.
func TestTopNTTLExpiresIdlePartitions(t *testing.T) {
	clk := &updClock{now: time.Unix(1000, 0)}
	op := mustTopN(t, TopNConfig{Input: updInput(false), Partition: []int{0}, Order: []SortKey{{Col: 1, Desc: true}},
		N: 1, Rank: true, WindowEnd: -1, TTL: time.Minute, Clock: clk})
	defer op.Close()
	got := updStep(t, []Operator{op}, updBatch(false, []updRow{{k: 1, v: 5}, {k: 2, v: 5}}), 0)
	clk.now = clk.now.Add(40 * time.Second)
	got = append(got, updStep(t, []Operator{op}, updBatch(false, []updRow{{k: 2, v: 6}}), 1)...)
	clk.now = clk.now.Add(30 * time.Second) // partition 1 idle for 70 s, 2 for 30 s
	got = append(got, updStep(t, []Operator{op}, updBatch(false, nil), 2)...)
	if st := op.Stats(); st.ExpiredKeys != 1 || st.Keys != 1 {
		t.Fatalf("expired %d, alive %d; want 1 and 1", st.ExpiredKeys, st.Keys)
	}
	got = append(got, updStep(t, []Operator{op}, updBatch(false, []updRow{{k: 1, v: 1}}), 3)...)
	want := []string{"+I 1 5 1", "+I 2 5 1", "-U 2 5 1", "+U 2 6 1", "+I 1 1 1"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
