package exec

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestTwoPhaseMatchesOnePhase: a GROUP BY run in two phases (a partial
// aggregation over slices of each batch, then the final one split into
// partitions by key) gives exactly the rows, in the same order, of one
// aggregation, over random batches with NULL keys and values, FILTER
// clauses and MIN/MAX of strings; plain and updating (with AVG, whose
// partial rows are its exact states: values near the BIGINT limits).
func TestTwoPhaseMatchesOnePhase(t *testing.T) {
	ParallelRows = 1
	defer func() { ParallelRows = 2048 }()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	aggs := []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}, {Func: Count, Arg: 2, Name: "c"},
		{Func: Sum, Arg: 2, Name: "sum"}, {Func: Min, Arg: 1, Name: "lo"},
		{Func: Max, Arg: 2, Name: "hi", HasFilter: true, Filter: 3}}
	for seed := uint64(1); seed <= 40; seed++ {
		for _, updating := range []bool{false, true} {
			t.Run(fmt.Sprintf("seed%d_updating%v", seed, updating), func(t *testing.T) {
				mem := winTestMem(t)
				r := rand.New(rand.NewPCG(seed, 7))
				keys := []int{0, 1}[:1+r.IntN(2)]
				names := []string{"k", "s"}[:len(keys)]
				var one Operator
				var phases Combinable
				var err error
				if updating {
					aggs := append(slices.Clone(aggs), AggSpec{Func: Avg, Arg: 2, Name: "avg"})
					u, e := NewUpdatingAgg(UpdatingAggConfig{Input: schema, Keys: keys, KeyNames: names, Aggs: aggs, Alloc: mem})
					one, phases, err = u, u, e
				} else {
					w, e := NewWindowAgg(WindowAggConfig{Input: schema, Keys: keys, KeyNames: names, Aggs: aggs, Alloc: mem})
					one, phases, err = w, w, e
				}
				if err != nil {
					t.Fatal(err)
				}
				defer one.Close()
				pc, final, ok := phases.Phases()
				if !ok {
					t.Fatal("does not combine")
				}
				var partials, finals []Operator
				for range 3 {
					p, err := NewPartialAgg(pc)
					if err != nil {
						t.Fatal(err)
					}
					f, err := final()
					if err != nil {
						t.Fatal(err)
					}
					partials, finals = append(partials, p), append(finals, f)
				}
				front, err := NewSliced(partials)
				if err != nil {
					t.Fatal(err)
				}
				defer front.Close()
				back, err := NewPartitioned(mem, finals)
				if err != nil {
					t.Fatal(err)
				}
				defer back.Close()
				if !back.Schema().Equal(one.Schema()) {
					t.Fatalf("schema %s, want %s", back.Schema(), one.Schema())
				}
				var got, want []string
				for step := range 12 {
					var rows [][]any
					for range r.IntN(40) {
						row := []any{int64(r.IntN(6)), fmt.Sprint("s", r.IntN(5)), int64(r.IntN(100) - 50), r.IntN(3) > 0}
						if r.IntN(10) == 0 {
							row[2] = int64(r.Uint64()) // sums past 64 bits
						}
						for j := range row {
							if r.IntN(8) == 0 {
								row[j] = nil
							}
						}
						rows = append(rows, row)
					}
					b := winTestBatch(mem, schema, rows)
					b.Retain()
					o1, err := one.Process(b)
					if err != nil {
						t.Fatal(err)
					}
					parts, err := front.Process(b)
					if err != nil {
						t.Fatal(err)
					}
					var o2 []arrow.RecordBatch
					for _, p := range parts {
						o, err := back.Process(p)
						if err != nil {
							t.Fatal(err)
						}
						o2 = append(o2, o...)
					}
					wm := int64(step)
					if !updating && step == 11 {
						wm = MaxWatermark
					}
					a1, err := one.Advance(wm)
					if err != nil {
						t.Fatal(err)
					}
					a2, err := back.Advance(wm)
					if err != nil {
						t.Fatal(err)
					}
					want = append(want, winTestFormat(winTestValues(append(o1, a1...)))...)
					got = append(got, winTestFormat(winTestValues(append(o2, a2...)))...)
				}
				if len(want) == 0 {
					t.Fatal("no rows to compare")
				}
				if !slices.Equal(got, want) {
					t.Fatalf("two phases:\n%v\none phase:\n%v", got, want)
				}
			})
		}
	}
}
