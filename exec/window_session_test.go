package exec

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sessTestCfg groups by k with a gap of 10 ms: COUNT(*), SUM(v), MIN(v),
// MAX(v).
func sessTestCfg(mem memory.Allocator) SessionAggConfig {
	return SessionAggConfig{
		Input: winTestSchema("ts:ts", "k:int", "v:int"), TimeCol: 0, Gap: 10,
		Keys: []int{1}, KeyNames: []string{"k"},
		Aggs: []AggSpec{
			{Func: CountStar, Arg: -1, Name: "COUNT(*)"}, {Func: Sum, Arg: 2, Name: "SUM(v)"},
			{Func: Min, Arg: 2, Name: "MIN(v)"}, {Func: Max, Arg: 2, Name: "MAX(v)"},
		},
		Alloc: mem,
	}
}

func mustSession(t *testing.T, cfg SessionAggConfig) *SessionAgg {
	t.Helper()
	s, err := NewSessionAgg(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sessStep processes rows then advances to wm, returning the output rows.
func sessStep(t *testing.T, s *SessionAgg, mem memory.Allocator, rows [][]any, wm int64) []string {
	t.Helper()
	if len(rows) > 0 {
		out, err := s.Process(winTestBatch(mem, s.cfg.Input, rows))
		if err != nil || len(out) != 0 {
			t.Fatalf("Process: %v, %d batches", err, len(out))
		}
	}
	out, err := s.Advance(wm)
	if err != nil {
		t.Fatal(err)
	}
	return winTestFormat(winTestValues(out))
}

func TestSessionAggExtendsMergesAndDropsLate(t *testing.T) {
	mem := winTestMem(t)
	s := mustSession(t, sessTestCfg(mem))
	defer s.Close()
	// Key 1: sessions [0,10) and [30,40); key 2: [5,15).
	if got := sessStep(t, s, mem, [][]any{{0, 1, 1}, {30, 1, 2}, {5, 2, 7}}, 0); len(got) != 0 {
		t.Fatalf("emitted early: %v", got)
	}
	// 25 extends [30,40) backwards to [25,40); 18 extends it to [18,40)
	// (18 >= 10 stays out of [0,10)); 9 then bridges [0,10) and [18,40):
	// one session [0,40).
	got := sessStep(t, s, mem, [][]any{{25, 1, 3}, {18, 1, 4}, {9, 1, 5}}, 14)
	if len(got) != 0 {
		t.Fatalf("emitted before the end: %v", got)
	}
	got = sessStep(t, s, mem, nil, 15)
	if want := []string{"5 15 2 1 7 7 7"}; !slices.Equal(got, want) {
		t.Fatalf("at 15 got %v, want %v", got, want)
	}
	// 4 + 10 <= 15: late; key 3's row at 20 opens [20,30).
	got = sessStep(t, s, mem, [][]any{{4, 2, 100}, {20, 3, 9}}, 40)
	if want := []string{"20 30 3 1 9 9 9", "0 40 1 5 15 1 5"}; !slices.Equal(got, want) {
		t.Fatalf("at 40 got %v, want %v", got, want)
	}
	if st := s.Stats(); st.LateRows != 1 || st.Panes != 0 || st.Keys != 0 {
		t.Fatalf("stats %+v, want 1 late row and no state", st)
	}
}

// sessRow is one generated input row.
type sessRow struct{ t, k, v int64 }

// sessNaive sessionizes rows per key: sorted by time, a session ends where
// the next row is gap or more later.
func sessNaive(rows []sessRow, gap int64) []string {
	byKey := map[int64][]sessRow{}
	for _, r := range rows {
		byKey[r.k] = append(byKey[r.k], r)
	}
	var out []string
	for k, rs := range byKey {
		sort.Slice(rs, func(a, b int) bool { return rs[a].t < rs[b].t })
		for i := 0; i < len(rs); {
			j := i + 1
			for j < len(rs) && rs[j].t-rs[j-1].t < gap {
				j++
			}
			n, sum, lo, hi := int64(0), int64(0), rs[i].v, rs[i].v
			for _, r := range rs[i:j] {
				n, sum, lo, hi = n+1, sum+r.v, min(lo, r.v), max(hi, r.v)
			}
			out = append(out, fmt.Sprintf("%d %d %d %d %d %d %d", rs[i].t, rs[j-1].t+gap, k, n, sum, lo, hi))
			i = j
		}
	}
	sort.Strings(out)
	return out
}

// TestSessionAggProperty checks random out-of-order streams, with
// snapshots restored into fresh operators along the way, against naive
// sessionization of the rows that were not late.
func TestSessionAggProperty(t *testing.T) {
	for seed := int64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewSource(seed))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		cfg := sessTestCfg(mem)
		cfg.Gap = 1 + rng.Int63n(20)
		s := mustSession(t, cfg)
		delay := rng.Int63n(30)
		var kept []sessRow
		var got []string
		var late int64
		maxT, wm := int64(0), MinWatermark
		for b := 0; b < 30; b++ {
			var rows [][]any
			for range rng.Intn(8) {
				tt := max(0, maxT+rng.Int63n(40)-25)
				// Rows between wm - gap and wm could join a session already
				// emitted, which the naive model cannot see: move them to wm.
				if tt+cfg.Gap > wm && tt < wm {
					tt = wm
				}
				r := sessRow{t: tt, k: rng.Int63n(3), v: rng.Int63n(100) - 50}
				maxT = max(maxT, tt)
				rows = append(rows, []any{r.t, r.k, r.v})
				if r.t+cfg.Gap <= wm {
					late++
				} else {
					kept = append(kept, r)
				}
			}
			wm = max(wm, maxT-delay)
			got = append(got, sessStep(t, s, mem, rows, wm)...)
			if rng.Intn(4) == 0 {
				var buf bytes.Buffer
				if err := s.Snapshot(&buf); err != nil {
					t.Fatal(err)
				}
				s.Close()
				s = mustSession(t, cfg)
				if err := s.Restore(&buf); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
			}
		}
		got = append(got, sessStep(t, s, mem, nil, MaxWatermark)...)
		if st := s.Stats(); st.LateRows != late || st.Panes != 0 || st.Keys != 0 {
			t.Fatalf("seed %d: stats %+v, want %d late and no state", seed, st, late)
		}
		s.Close()
		sort.Strings(got)
		if want := sessNaive(kept, cfg.Gap); !slices.Equal(got, want) {
			t.Fatalf("seed %d (gap %d):\n got %v\nwant %v", seed, cfg.Gap, got, want)
		}
		mem.AssertSize(t, 0)
	}
}

func TestSessionAggSnapshotRefusesOtherConfig(t *testing.T) {
	mem := winTestMem(t)
	s := mustSession(t, sessTestCfg(mem))
	defer s.Close()
	sessStep(t, s, mem, [][]any{{1, 1, 1}}, 0)
	var buf bytes.Buffer
	if err := s.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	cfg := sessTestCfg(mem)
	cfg.Gap = 11
	o := mustSession(t, cfg)
	defer o.Close()
	if err := o.Restore(&buf); err == nil {
		t.Fatal("restored a snapshot of another gap")
	}
}

// TestSessionAggLongSessionKeepsOneEntry: a session that keeps growing in
// order holds one heap entry, not one per row.
func TestSessionAggLongSessionKeepsOneEntry(t *testing.T) {
	mem := winTestMem(t)
	s := mustSession(t, sessTestCfg(mem))
	defer s.Close()
	for i := int64(0); i < 1000; i++ {
		if got := sessStep(t, s, mem, [][]any{{i * 5, 1, 1}}, i*5-6); len(got) != 0 {
			t.Fatalf("row %d: emitted %v", i, got)
		}
	}
	if len(s.ends) > 2 {
		t.Fatalf("%d heap entries for one open session", len(s.ends))
	}
	got := sessStep(t, s, mem, nil, MaxWatermark)
	if want := []string{"0 5005 1 1000 1000 1 1"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
