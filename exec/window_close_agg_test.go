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

// TestCumulateProperty: CUMULATE assignment then WindowCloseAgg grouped by
// window_start, window_end and a key, over random out-of-order streams
// with snapshots restored along the way, equals a naive recomputation of
// every (window, key) from the rows that reached it before it closed.
func TestCumulateProperty(t *testing.T) {
	for seed := int64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewSource(seed))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		step := 1 + rng.Int63n(5)
		size := step * (1 + rng.Int63n(4))
		in := winTestSchema("ts:ts", "k:int", "v:int")
		wa, err := NewWindowAssign(mem, in, WindowSpec{Kind: Cumulate, TimeCol: 0, Slide: step, Size: size})
		if err != nil {
			t.Fatal(err)
		}
		cfg := WindowCloseAggConfig{
			Input: wa.Schema(), Keys: []int{3, 4, 1}, KeyNames: []string{"window_start", "window_end", "k"}, EndKey: 1,
			Aggs:  []AggSpec{{Func: CountStar, Arg: -1, Name: "COUNT(*)"}, {Func: Sum, Arg: 2, Name: "SUM(v)"}},
			Alloc: mem,
		}
		mk := func() *WindowCloseAgg {
			w, err := NewWindowCloseAgg(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		w := mk()
		type acc struct{ n, sum int64 }
		want := map[string]*acc{}
		var late int64
		var got []string
		maxT, wm := int64(0), MinWatermark
		delay := rng.Int63n(10)
		run := func(rows [][]any) {
			if len(rows) > 0 {
				outs, err := wa.Process(winTestBatch(mem, in, rows))
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range outs {
					if _, err := w.Process(o); err != nil {
						t.Fatal(err)
					}
				}
			}
			out, err := w.Advance(wm)
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
				for e := s + step; e <= s+size; e += step {
					if e <= tt {
						continue
					}
					if e <= wm {
						late++
						continue
					}
					key := fmt.Sprintf("%d %d %d", s, e, k)
					if want[key] == nil {
						want[key] = &acc{}
					}
					want[key].n++
					want[key].sum += v
				}
			}
			wm = max(wm, maxT-delay)
			run(rows)
			if rng.Intn(4) == 0 {
				var buf bytes.Buffer
				if err := w.Snapshot(&buf); err != nil {
					t.Fatal(err)
				}
				w.Close()
				w = mk()
				if err := w.Restore(&buf); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
			}
		}
		wm = MaxWatermark
		run(nil)
		var exp []string
		for k, a := range want {
			exp = append(exp, fmt.Sprintf("%s %d %d", k, a.n, a.sum))
		}
		sort.Strings(exp)
		sort.Strings(got)
		if !slices.Equal(got, exp) {
			t.Fatalf("seed %d (step %d, size %d):\n got %v\nwant %v", seed, step, size, got, exp)
		}
		if st := w.Stats(); st.LateRows != late || st.Keys != 0 || st.Panes != 0 {
			t.Fatalf("seed %d: stats %+v, want %d late rows and no state", seed, st, late)
		}
		w.Close()
		wa.Close()
		mem.AssertSize(t, 0)
	}
}
