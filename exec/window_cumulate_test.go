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

// TestCumulateAggProperty: CumulateAgg over random out-of-order streams,
// with snapshots restored along the way, equals a naive recomputation of
// every (window, key) from the rows whose pane had not ended when they
// arrived; it emits each window once, and holds nothing at the end.
func TestCumulateAggProperty(t *testing.T) {
	for seed := int64(1); seed <= 300; seed++ {
		rng := rand.New(rand.NewSource(seed))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		step := 1 + rng.Int63n(5)
		size := step * (1 + rng.Int63n(4))
		cfg := CumulateAggConfig{
			Input: winTestSchema("ts:ts", "k:int", "v:int"), TimeCol: 0, Step: step, Size: size,
			Keys: []int{1}, KeyNames: []string{"k"},
			Aggs: []AggSpec{
				{Func: CountStar, Arg: -1, Name: "COUNT(*)"}, {Func: Sum, Arg: 2, Name: "SUM(v)"},
				{Func: Max, Arg: 2, Name: "MAX(v)"},
			},
			Alloc: mem,
		}
		if rng.Intn(5) == 0 {
			cfg.Keys, cfg.KeyNames = nil, nil
		}
		mk := func() *CumulateAgg {
			c, err := NewCumulateAgg(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		c := mk()
		type acc struct{ n, sum, top int64 }
		want := map[string]*acc{}
		var late int64
		var got []string
		maxT, wm := int64(0), MinWatermark
		delay := rng.Int63n(10)
		run := func(rows [][]any) {
			if len(rows) > 0 {
				if _, err := c.Process(winTestBatch(mem, cfg.Input, rows)); err != nil {
					t.Fatal(err)
				}
			}
			out, err := c.Advance(wm)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, winTestFormat(winTestValues(out))...)
		}
		for range 30 {
			var rows [][]any
			for range rng.Intn(6) {
				tt := max(0, maxT+rng.Int63n(12)-8)
				k, v := rng.Int63n(3), rng.Int63n(100)
				maxT = max(maxT, tt)
				rows = append(rows, []any{tt, k, v})
				s := tt / size * size
				paneEnd := s + (tt-s)/step*step + step
				if paneEnd <= wm {
					late++
					continue
				}
				for e := paneEnd; e <= s+size; e += step {
					key := fmt.Sprintf("%d %d %d", s, e, k)
					if cfg.Keys == nil {
						key = fmt.Sprintf("%d %d", s, e)
					}
					if want[key] == nil {
						want[key] = &acc{top: v}
					}
					want[key].n++
					want[key].sum += v
					want[key].top = max(want[key].top, v)
				}
			}
			wm = max(wm, maxT-delay)
			run(rows)
			if rng.Intn(4) == 0 {
				var buf bytes.Buffer
				if err := c.Snapshot(&buf); err != nil {
					t.Fatal(err)
				}
				c.Close()
				c = mk()
				if err := c.Restore(&buf); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
			}
		}
		wm = MaxWatermark
		run(nil)
		var exp []string
		for k, a := range want {
			exp = append(exp, fmt.Sprintf("%s %d %d %d", k, a.n, a.sum, a.top))
		}
		sort.Strings(exp)
		sort.Strings(got)
		if !slices.Equal(got, exp) {
			t.Fatalf("seed %d (step %d, size %d):\n got %v\nwant %v", seed, step, size, got, exp)
		}
		if st := c.Stats(); st.LateRows != late || st.Keys != 0 || st.Panes != 0 {
			t.Fatalf("seed %d: stats %+v, want %d late rows and no state", seed, st, late)
		}
		c.Close()
		mem.AssertSize(t, 0)
	}
}
