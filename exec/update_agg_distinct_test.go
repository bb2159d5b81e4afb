package exec

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// updFRow is an input row of updFSchema: key, value, filter and kind.
type updFRow struct {
	k, v int64
	f    any // bool or nil
	op   vector.RowKind
}

// updFSchema is (k BIGINT, v BIGINT, f BOOLEAN, _op).
var updFSchema = vector.WithOpColumn(arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: vector.Int64, Nullable: true}, {Name: "v", Type: vector.Int64, Nullable: true},
	{Name: "f", Type: vector.Boolean, Nullable: true}}, nil))

func updFBatch(rows []updFRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, updFSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.k)
		b.Field(1).(*array.Int64Builder).Append(r.v)
		if f, ok := r.f.(bool); ok {
			b.Field(2).(*array.BooleanBuilder).Append(f)
		} else {
			b.Field(2).AppendNull()
		}
		b.Field(3).(*array.Int8Builder).Append(int8(r.op))
	}
	return b.NewRecordBatch()
}

// TestUpdatingAggDistinctFilterProperty runs random changelogs through
// SELECT k, COUNT(DISTINCT v), COUNT(DISTINCT v) FILTER (WHERE f),
// SUM(DISTINCT v), AVG(DISTINCT v) FILTER (WHERE f), COUNT(*) FILTER (WHERE
// f), MAX(v) FILTER (WHERE f) GROUP BY k, checkpointing and restoring at
// random, and checks after every micro-batch that the applied changelog
// equals a recomputation over the rows held.
func TestUpdatingAggDistinctFilterProperty(t *testing.T) {
	aggs := []AggSpec{
		{Func: Count, Arg: 1, Name: "d", Distinct: true},
		{Func: Count, Arg: 1, Name: "df", Distinct: true, HasFilter: true, Filter: 2},
		{Func: Sum, Arg: 1, Name: "sd", Distinct: true},
		{Func: Avg, Arg: 1, Name: "ad", Distinct: true, HasFilter: true, Filter: 2},
		{Func: CountStar, Arg: -1, Name: "nf", HasFilter: true, Filter: 2},
		{Func: Max, Arg: 1, Name: "mf", HasFilter: true, Filter: 2},
	}
	mk := func() *UpdatingAgg {
		return mustUpd(t, UpdatingAggConfig{Input: updFSchema, Keys: []int{0}, KeyNames: []string{"k"}, Aggs: aggs})
	}
	for seed := int64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewSource(seed))
		u := mk()
		var held []updFRow
		res := map[string]int{}
		for step := 0; step < 40; step++ {
			var rows []updFRow
			for i := 0; i < rng.Intn(10); i++ {
				if len(held) > 0 && rng.Intn(3) == 0 {
					j := rng.Intn(len(held))
					r := held[j]
					held = slices.Delete(held, j, j+1)
					r.op = vector.Delete
					rows = append(rows, r)
					continue
				}
				r := updFRow{k: int64(rng.Intn(3)), v: int64(rng.Intn(6)), f: []any{true, false, nil}[rng.Intn(3)], op: vector.Insert}
				held = append(held, r)
				rows = append(rows, r)
			}
			out, err := u.Process(updFBatch(rows))
			if err != nil {
				t.Fatal(err)
			}
			adv, err := u.Advance(int64(step))
			if err != nil {
				t.Fatal(err)
			}
			updApply(t, res, updLines(t, append(out, adv...)))
			if got, want := updSorted(res), updFRecompute(held); !slices.Equal(got, want) {
				t.Fatalf("seed %d step %d: got %q, want %q", seed, step, got, want)
			}
			if rng.Intn(5) == 0 {
				u = updSnapRoundTrip(t, u, mk)
			}
		}
	}
}

// updFRecompute is the result of the query over the rows held.
func updFRecompute(rows []updFRow) []string {
	byKey := map[int64][]updFRow{}
	for _, r := range rows {
		byKey[r.k] = append(byKey[r.k], r)
	}
	var out []string
	for k, rs := range byKey {
		var all, kept []any
		var nf int64
		var mf any
		for _, r := range rs {
			all = append(all, r.v)
			if r.f == true {
				kept = append(kept, r.v)
				nf++
				if mf == nil || r.v > mf.(int64) {
					mf = r.v
				}
			}
		}
		cell := func(v any) string {
			switch v := v.(type) {
			case nil:
				return "NULL"
			case float64:
				return fmt.Sprintf("%.9g", v)
			}
			return fmt.Sprint(v)
		}
		out = append(out, fmt.Sprintf("%d %s %s %s %s %d %s", k, cell(distinctNaive(Count, all)), cell(distinctNaive(Count, kept)),
			cell(distinctNaive(Sum, all)), cell(distinctNaive(Avg, kept)), nf, cell(mf)))
	}
	slices.Sort(out)
	return out
}
