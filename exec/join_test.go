package exec

import (
	"bytes"
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

// joinSide schema: (k BIGINT, v BIGINT), with the op column if updating.
func joinSchema(updating bool) *arrow.Schema {
	s := arrow.NewSchema([]arrow.Field{{Name: "k", Type: vector.Int64, Nullable: true}, {Name: "v", Type: vector.Int64, Nullable: true}}, nil)
	if updating {
		s = vector.WithOpColumn(s)
	}
	return s
}

// jrow is an input row: key (-1 is NULL), value and kind.
type jrow struct {
	k, v int64
	op   vector.RowKind
}

func joinBatch(updating bool, rows ...jrow) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, joinSchema(updating))
	defer b.Release()
	for _, r := range rows {
		if r.k < 0 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.Int64Builder).Append(r.k)
		}
		b.Field(1).(*array.Int64Builder).Append(r.v)
		if updating {
			b.Field(2).(*array.Int8Builder).Append(int8(r.op))
		}
	}
	return b.NewRecordBatch()
}

// joinLines renders output rows as "op lk lv rk rv" (op only when the
// output is a changelog; NULL as "-").
func joinLines(t *testing.T, bs []arrow.RecordBatch) []string {
	t.Helper()
	var out []string
	for _, b := range bs {
		rows, err := rowsOf(b, int(b.NumCols()))
		if err != nil {
			t.Fatal(err)
		}
		op := vector.OpIndex(b.Schema())
		for _, r := range rows {
			var parts []string
			if op >= 0 {
				parts = append(parts, vector.RowKind(r[op].(int64)).String())
			}
			for c, v := range r {
				if c == op {
					continue
				}
				if v == nil {
					parts = append(parts, "-")
				} else {
					parts = append(parts, fmt.Sprint(v))
				}
			}
			out = append(out, strings.Join(parts, " "))
		}
		b.Release()
	}
	return out
}

func mustJoin(t *testing.T, cfg HashJoinConfig) *HashJoin {
	t.Helper()
	j, err := NewHashJoin(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(j.Close)
	return j
}

func feed(t *testing.T, j MultiInput, port int, b arrow.RecordBatch) []string {
	t.Helper()
	out, err := j.ProcessFrom(port, b)
	if err != nil {
		t.Fatal(err)
	}
	return joinLines(t, out)
}

func TestHashJoinInnerAppendOnly(t *testing.T) {
	j := mustJoin(t, HashJoinConfig{Left: joinSchema(false), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0}})
	if vector.IsChangelog(j.Schema()) {
		t.Fatal("an inner join of append-only inputs must be append-only")
	}
	got := feed(t, j, 0, joinBatch(false, jrow{1, 10, 0}, jrow{2, 20, 0}, jrow{-1, 30, 0}))
	got = append(got, feed(t, j, 1, joinBatch(false, jrow{1, 100, 0}, jrow{3, 300, 0}, jrow{-1, 400, 0}))...)
	got = append(got, feed(t, j, 0, joinBatch(false, jrow{1, 11, 0}))...)
	want := []string{"1 10 1 100", "1 11 1 100"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if st := j.Stats(); st.Keys != 4 || st.StateBytes <= 0 {
		t.Fatalf("stats %+v: want 4 keys (1, 2 left; 1, 3 right)", st)
	}
}

func TestHashJoinLeftOuterRetractsPadding(t *testing.T) {
	j := mustJoin(t, HashJoinConfig{Left: joinSchema(false), Right: joinSchema(true), LeftKeys: []int{0}, RightKeys: []int{0}, Kind: LeftJoin})
	got := feed(t, j, 0, joinBatch(false, jrow{1, 10, 0}))
	got = append(got, feed(t, j, 1, joinBatch(true, jrow{1, 100, vector.Insert}, jrow{1, 101, vector.Insert}))...)
	got = append(got, feed(t, j, 1, joinBatch(true, jrow{1, 100, vector.Delete}, jrow{1, 101, vector.UpdateBefore}, jrow{2, 5, vector.UpdateAfter}))...)
	want := []string{
		"+I 1 10 - -",
		"-D 1 10 - -", "+I 1 10 1 100", "+I 1 10 1 101",
		"-D 1 10 1 100", "-D 1 10 1 101", "+I 1 10 - -",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestHashJoinResidual(t *testing.T) {
	res, err := vector.Binary(vector.Lt, vector.ColumnRef(1, vector.Int64, "lv"), vector.ColumnRef(3, vector.Int64, "rv"))
	if err != nil {
		t.Fatal(err)
	}
	j := mustJoin(t, HashJoinConfig{Left: joinSchema(false), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0}, Kind: FullJoin, Residual: res})
	got := feed(t, j, 1, joinBatch(false, jrow{1, 5, 0}))
	got = append(got, feed(t, j, 0, joinBatch(false, jrow{1, 7, 0}, jrow{1, 3, 0}))...)
	want := []string{"+I - - 1 5", "+I 1 7 - -", "-D - - 1 5", "+I 1 3 1 5"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestHashJoinTTLForgetsRows(t *testing.T) {
	clk := &updClock{now: time.Unix(1000, 0)}
	j := mustJoin(t, HashJoinConfig{Left: joinSchema(false), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0}, TTL: time.Minute, Clock: clk})
	feed(t, j, 0, joinBatch(false, jrow{1, 10, 0}))
	clk.now = clk.now.Add(40 * time.Second)
	feed(t, j, 0, joinBatch(false, jrow{1, 11, 0}))
	clk.now = clk.now.Add(30 * time.Second)
	if _, err := j.Advance(0); err != nil {
		t.Fatal(err)
	}
	got := feed(t, j, 1, joinBatch(false, jrow{1, 100, 0}))
	if want := []string{"1 11 1 100"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if st := j.Stats(); st.ExpiredKeys != 1 {
		t.Fatalf("expired %d rows, want 1", st.ExpiredKeys)
	}
}

func TestHashJoinSnapshotRoundTrip(t *testing.T) {
	cfg := HashJoinConfig{Left: joinSchema(true), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0}, Kind: FullJoin}
	j := mustJoin(t, cfg)
	feed(t, j, 0, joinBatch(true, jrow{1, 10, 0}, jrow{2, 20, 0}))
	feed(t, j, 1, joinBatch(false, jrow{1, 100, 0}, jrow{3, 300, 0}))
	var buf bytes.Buffer
	if err := j.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	k := mustJoin(t, cfg)
	if err := k.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if j.Stats() != k.Stats() {
		t.Fatalf("stats after restore %+v, before %+v", k.Stats(), j.Stats())
	}
	next := func(j *HashJoin) []string {
		out := feed(t, j, 0, joinBatch(true, jrow{1, 10, vector.Delete}, jrow{3, 30, 0}))
		return append(out, feed(t, j, 1, joinBatch(false, jrow{2, 200, 0}))...)
	}
	a, b := next(j), next(k)
	if !slices.Equal(a, b) {
		t.Fatalf("restored join gives %q, the original %q", b, a)
	}
	want := []string{"-D 1 10 1 100", "+I - - 1 100", "-D - - 3 300", "+I 3 30 3 300", "-D 2 20 - -", "+I 2 20 2 200"}
	if !slices.Equal(a, want) {
		t.Fatalf("got %q\nwant %q", a, want)
	}
	other := mustJoin(t, HashJoinConfig{Left: joinSchema(true), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0}})
	if err := other.Restore(bytes.NewReader(buf.Bytes())); err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Fatalf("restoring into an inner join: %v", err)
	}
}

// TestHashJoinMatchesNestedLoop feeds random inserts and retractions to
// both sides of every kind of join, with and without a residual
// condition, taking a snapshot and continuing from its restored copy
// half-way, and checks that the changelog applied equals a nested-loop
// join of the rows alive at the end.
func TestHashJoinMatchesNestedLoop(t *testing.T) { hashJoinProperty(t, 1) }

// TestHashJoinPartitionedMatchesNestedLoop is the same check with the
// join split into four partitions by key, snapshot and restore included.
func TestHashJoinPartitionedMatchesNestedLoop(t *testing.T) {
	ParallelRows = 1
	defer func() { ParallelRows = 2048 }()
	hashJoinProperty(t, 4)
}

// joinUnderTest is a join, partitioned or not.
type joinUnderTest interface {
	MultiInput
	Snapshotter
}

// mustJoinParts returns the join of cfg, in parts partitions when parts > 1.
func mustJoinParts(t *testing.T, cfg HashJoinConfig, parts int) joinUnderTest {
	if parts < 2 {
		return mustJoin(t, cfg)
	}
	ops := make([]Operator, parts)
	for i := range ops {
		j, err := NewHashJoin(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ops[i] = j
	}
	op, err := NewPartitioned(nil, ops)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Close)
	return op.(*PartitionedMulti)
}

func hashJoinProperty(t *testing.T, parts int) {
	res, err := vector.Binary(vector.LtEq, vector.ColumnRef(1, vector.Int64, "lv"), vector.ColumnRef(3, vector.Int64, "rv"))
	if err != nil {
		t.Fatal(err)
	}
	for seed := int64(1); seed <= 40; seed++ {
		kind := JoinKind(seed % 4)
		var residual vector.Expr
		if seed%3 == 0 {
			residual = res
		}
		t.Run(fmt.Sprintf("seed%d_%s_res%v", seed, kind, residual != nil), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			cfg := HashJoinConfig{Left: joinSchema(true), Right: joinSchema(true), LeftKeys: []int{0}, RightKeys: []int{0}, Kind: kind, Residual: residual}
			j := mustJoinParts(t, cfg, parts)
			var alive [2][]jrow
			result := map[string]int{}
			apply := func(lines []string) {
				for _, l := range lines {
					op, row, _ := strings.Cut(l, " ")
					if op == "+I" || op == "+U" {
						result[row]++
					} else {
						result[row]--
						if result[row] < 0 {
							t.Fatalf("retracted %q, not in the result", row)
						}
					}
				}
			}
			for step := 0; step < 60; step++ {
				if step == 30 {
					var buf bytes.Buffer
					if err := j.Snapshot(&buf); err != nil {
						t.Fatal(err)
					}
					k := mustJoinParts(t, cfg, parts)
					if err := k.Restore(&buf); err != nil {
						t.Fatal(err)
					}
					j = k
				}
				port := rng.Intn(2)
				var rows []jrow
				for n := rng.Intn(4) + 1; n > 0; n-- {
					if len(alive[port]) > 0 && rng.Intn(3) == 0 {
						i := rng.Intn(len(alive[port]))
						r := alive[port][i]
						alive[port] = slices.Delete(alive[port], i, i+1)
						r.op = vector.Delete
						rows = append(rows, r)
						continue
					}
					r := jrow{k: int64(rng.Intn(4)) - 1, v: int64(rng.Intn(5))}
					alive[port] = append(alive[port], r)
					rows = append(rows, r)
				}
				apply(feed(t, j, port, joinBatch(true, rows...)))
			}
			want := nestedLoop(alive, kind, residual != nil)
			got := map[string]int{}
			for r, n := range result {
				if n > 0 {
					got[r] = n
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("join result\n%v\nnested loop\n%v", got, want)
			}
		})
	}
}

// nestedLoop joins the rows of both sides the slow way.
func nestedLoop(sides [2][]jrow, kind JoinKind, leq bool) map[string]int {
	out := map[string]int{}
	str := func(v int64) string {
		if v < 0 {
			return "-"
		}
		return fmt.Sprint(v)
	}
	matched := [2]map[int]bool{{}, {}}
	for i, l := range sides[0] {
		for k, r := range sides[1] {
			if l.k < 0 || l.k != r.k || (leq && l.v > r.v) {
				continue
			}
			matched[0][i], matched[1][k] = true, true
			out[fmt.Sprintf("%s %d %s %d", str(l.k), l.v, str(r.k), r.v)]++
		}
	}
	for i, l := range sides[0] {
		if kind.preserves(0) && !matched[0][i] {
			out[fmt.Sprintf("%s %d - -", str(l.k), l.v)]++
		}
	}
	for k, r := range sides[1] {
		if kind.preserves(1) && !matched[1][k] {
			out[fmt.Sprintf("- - %s %d", str(r.k), r.v)]++
		}
	}
	return out
}

func TestHashJoinFreesClosedWindows(t *testing.T) {
	// Column 0 (k here) is the window end on both sides: a row leaves
	// when the watermark reaches it (k - 1 < wm).
	end := JoinExpiry{Set: true, Col: 0, Offset: -1}
	cfg := HashJoinConfig{Left: joinSchema(false), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0}, Expire: [2]JoinExpiry{end, end}}
	j := mustJoin(t, cfg)
	feed(t, j, 0, joinBatch(false, jrow{10, 1, 0}, jrow{10, 1, 0}, jrow{20, 2, 0}))
	got := feed(t, j, 1, joinBatch(false, jrow{10, 5, 0}))
	if _, err := j.Advance(10); err != nil {
		t.Fatal(err)
	}
	if st := j.Stats(); st.Keys != 1 {
		t.Fatalf("%d keys after the window ending at 10 closed, want 1", st.Keys)
	}
	var buf bytes.Buffer
	if err := j.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	k := mustJoin(t, cfg)
	if err := k.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	got = append(got, feed(t, k, 1, joinBatch(false, jrow{20, 6, 0}))...)
	if _, err := k.Advance(25); err != nil {
		t.Fatal(err)
	}
	if st := k.Stats(); st.Keys != 0 || st.StateBytes != 0 {
		t.Fatalf("state %+v after every window closed, want none", st)
	}
	want := []string{"10 1 10 5", "10 1 10 5", "20 2 20 6"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestHashJoinIntervalExpiry(t *testing.T) {
	// Left rows leave when v < wm (their upper bound); right rows when
	// v + 5 < wm (left rows to come have lower bounds of at least wm - 5).
	cfg := HashJoinConfig{Left: joinSchema(false), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0},
		Expire: [2]JoinExpiry{{Set: true, Col: 1}, {Set: true, Col: 1, Offset: 5}}}
	j := mustJoin(t, cfg)
	feed(t, j, 0, joinBatch(false, jrow{1, 10, 0}, jrow{2, 30, 0}))
	feed(t, j, 1, joinBatch(false, jrow{1, 12, 0}, jrow{3, 40, 0}))
	if _, err := j.Advance(11); err != nil {
		t.Fatal(err)
	}
	// Left (1, 10) left; right (1, 12) stays while 12 + 5 >= wm.
	if st := j.Stats(); st.Keys != 3 {
		t.Fatalf("%d keys, want 3", st.Keys)
	}
	if _, err := j.Advance(18); err != nil {
		t.Fatal(err)
	}
	if st := j.Stats(); st.Keys != 2 {
		t.Fatalf("%d keys, want 2 (left 2, right 3)", st.Keys)
	}
	got := feed(t, j, 1, joinBatch(false, jrow{2, 31, 0}))
	if want := []string{"2 30 2 31"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestHashJoinIntervalMatchesNestedLoop joins two streams in event-time
// order on k and r.v BETWEEN l.v - 2 AND l.v + 5 (v is the event time),
// freeing rows as the watermark (the smaller of the two sides' largest
// times) passes, and checks the result against a nested loop.
func TestHashJoinIntervalMatchesNestedLoop(t *testing.T) {
	lo, _ := vector.Binary(vector.Sub, vector.ColumnRef(1, vector.Int64, "lv"), vector.Literal(int64(2), vector.Int64))
	hi, _ := vector.Binary(vector.Add, vector.ColumnRef(1, vector.Int64, "lv"), vector.Literal(int64(5), vector.Int64))
	ge, _ := vector.Binary(vector.GtEq, vector.ColumnRef(3, vector.Int64, "rv"), lo)
	le, _ := vector.Binary(vector.LtEq, vector.ColumnRef(3, vector.Int64, "rv"), hi)
	res, err := vector.Binary(vector.And, ge, le)
	if err != nil {
		t.Fatal(err)
	}
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		j := mustJoin(t, HashJoinConfig{Left: joinSchema(false), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0},
			Residual: res, Expire: [2]JoinExpiry{{Set: true, Col: 1, Offset: 5}, {Set: true, Col: 1, Offset: 2}}})
		var rows [2][]jrow
		var clock [2]int64
		got := map[string]int{}
		for step := 0; step < 80; step++ {
			port := rng.Intn(2)
			var b []jrow
			for n := rng.Intn(3) + 1; n > 0; n-- {
				clock[port] += int64(rng.Intn(3))
				r := jrow{k: int64(rng.Intn(3)), v: clock[port]}
				rows[port] = append(rows[port], r)
				b = append(b, r)
			}
			for _, l := range feed(t, j, port, joinBatch(false, b...)) {
				got[l]++
			}
			if _, err := j.Advance(min(clock[0], clock[1])); err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]int{}
		for _, l := range rows[0] {
			for _, r := range rows[1] {
				if l.k == r.k && r.v >= l.v-2 && r.v <= l.v+5 {
					want[fmt.Sprintf("%d %d %d %d", l.k, l.v, r.k, r.v)]++
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("seed %d: join\n%v\nnested loop\n%v", seed, got, want)
		}
		wm := min(clock[0], clock[1])
		for s, off := range []int64{5, 2} {
			keep := 0
			for _, r := range rows[s] {
				if r.v+off >= wm {
					keep++
				}
			}
			if j.sides[s].rows != keep {
				t.Fatalf("seed %d: side %d holds %d rows at watermark %d, want %d", seed, s, j.sides[s].rows, wm, keep)
			}
		}
	}
}

func TestPackRowRoundTrip(t *testing.T) {
	rows := []joinRow{
		{int64(-1), 2.5, "a", true, nil, false, "", int64(1 << 40)},
		{nil, nil},
		{strings.Repeat("x", 300), -0.0},
	}
	for _, r := range rows {
		got := unpackRow(packRow(r), len(r))
		if fmt.Sprint(got) != fmt.Sprint(r) {
			t.Fatalf("round trip of %v gave %v", r, got)
		}
	}
	if packRow(joinRow{int64(1), nil}) == packRow(joinRow{nil, int64(1)}) {
		t.Fatal("different rows packed alike")
	}
}

// TestHashJoinDropsLateRows: a row that arrives with its expiry already
// behind the watermark could have matched rows the watermark freed: it is
// dropped and counted as late, whatever the batch boundaries were.
func TestHashJoinDropsLateRows(t *testing.T) {
	cfg := HashJoinConfig{Left: joinSchema(false), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0},
		Expire: [2]JoinExpiry{{Set: true, Col: 1}, {Set: true, Col: 1, Offset: 5}}}
	j := mustJoin(t, cfg)
	feed(t, j, 0, joinBatch(false, jrow{1, 10, 0}))
	if _, err := j.Advance(20); err != nil {
		t.Fatal(err)
	}
	// (1, 12) on the right would have matched (1, 10), which is gone:
	// 12 + 5 < 20, so it is late; (1, 16) is not (16 + 5 >= 20).
	if got := feed(t, j, 1, joinBatch(false, jrow{1, 12, 0}, jrow{1, 16, 0})); len(got) != 0 {
		t.Fatalf("got %q, want no rows", got)
	}
	if st := j.Stats(); st.LateRows != 1 || st.Keys != 1 {
		t.Fatalf("late %d, keys %d; want 1 late row and the right row (1, 16) kept", st.LateRows, st.Keys)
	}
}
