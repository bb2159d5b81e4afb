package exec

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// distinctNaive is COUNT, SUM or AVG over the distinct non-NULL vals.
func distinctNaive(f AggFunc, vals []any) any {
	seen := map[any]bool{}
	var n, sum int64
	for _, v := range vals {
		if v == nil {
			continue
		}
		k := v
		if x, ok := v.(float64); ok {
			k = distinctFloatKey(x)
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		n++
		if x, ok := v.(int64); ok {
			sum += x
		}
	}
	switch {
	case f == Count:
		return n
	case n == 0:
		return nil
	case f == Sum:
		return sum
	}
	return float64(sum) / float64(n)
}

// TestDistinctGroupsAccumulatorsMatchNaive updates and retracts random
// values (NULLs, NaN, -0 among them) and checks every group against a
// recomputation, and a copy made through State and Merge.
func TestDistinctGroupsAccumulatorsMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	gen := map[string]func() any{
		"int":    func() any { return int64(rng.Intn(7) - 3) },
		"float":  func() any { return []float64{0, math.Copysign(0, -1), math.NaN(), 1.5, -2, math.Inf(1)}[rng.Intn(6)] },
		"string": func() any { return string(rune('a' + rng.Intn(5))) },
	}
	types := map[string]arrow.DataType{"int": vector.Int64, "float": vector.Float64, "string": vector.String}
	for _, tc := range []struct {
		f   AggFunc
		typ string
	}{{Count, "int"}, {Count, "float"}, {Count, "string"}, {Sum, "int"}, {Avg, "int"}} {
		spec := AggSpec{Func: tc.f, Arg: 0, Name: "x", Distinct: true}
		acc, err := NewGroupsAccumulator(spec, types[tc.typ])
		if err != nil {
			t.Fatal(err)
		}
		const ngroups = 5
		held := make([][]any, ngroups)
		for round := 0; round < 300; round++ {
			var groups []uint32
			var vals []any
			retract := rng.Intn(3) == 0
			for i := 0; i < 1+rng.Intn(6); i++ {
				g := uint32(rng.Intn(ngroups))
				if retract {
					if len(held[g]) == 0 {
						continue
					}
					k := rng.Intn(len(held[g]))
					vals = append(vals, held[g][k])
					held[g] = slices.Delete(held[g], k, k+1)
				} else {
					var v any
					if rng.Intn(5) > 0 {
						v = gen[tc.typ]()
					}
					vals = append(vals, v)
					held[g] = append(held[g], v)
				}
				groups = append(groups, g)
			}
			arr := gaccBuild(types[tc.typ], vals)
			if retract {
				err = acc.Retract(groups, arr)
			} else {
				err = acc.Update(groups, arr)
			}
			arr.Release()
			if err != nil {
				t.Fatal(err)
			}
			all := []uint32{0, 1, 2, 3, 4}
			got, err := acc.Evaluate(memory.DefaultAllocator, all)
			if err != nil {
				t.Fatal(err)
			}
			st, err := acc.State(memory.DefaultAllocator, all)
			if err != nil {
				t.Fatal(err)
			}
			cp, _ := NewGroupsAccumulator(spec, types[tc.typ])
			if err := cp.Merge(all, st); err != nil {
				t.Fatal(err)
			}
			releaseAll(st)
			got2, _ := cp.Evaluate(memory.DefaultAllocator, all)
			for g := range ngroups {
				want := distinctNaive(tc.f, held[g])
				for _, a := range []arrow.Array{got, got2} {
					if v := gaccGet(a, g); v != want {
						t.Fatalf("%s(DISTINCT %s) round %d group %d: got %v, want %v", tc.f, tc.typ, round, g, v, want)
					}
				}
			}
			got.Release()
			got2.Release()
		}
	}
}

// TestDistinctRejectsTypes: SUM and AVG DISTINCT of anything but BIGINT.
func TestDistinctRejectsTypes(t *testing.T) {
	for _, f := range []AggFunc{Sum, Avg} {
		_, err := NewGroupsAccumulator(AggSpec{Func: f, Arg: 0, Name: "x", Distinct: true}, vector.Float64)
		if err == nil || !strings.Contains(err.Error(), "only of BIGINT") {
			t.Fatalf("%s(DISTINCT DOUBLE): %v", f, err)
		}
		_, err = newAccumulator(AggSpec{Func: f, Arg: 0, Name: "x", Distinct: true}, vector.String)
		if err == nil || !strings.Contains(err.Error(), "only of BIGINT") {
			t.Fatalf("%s(DISTINCT VARCHAR): %v", f, err)
		}
	}
}

// hllOf is a sketch of the values lo..hi-1, as BIGINT or as strings.
func hllOf(t *testing.T, lo, hi int, strs bool) *hll {
	t.Helper()
	typ := vector.Int64
	if strs {
		typ = vector.String
	}
	hash, err := hllHasher(typ)
	if err != nil {
		t.Fatal(err)
	}
	var h hll
	var arr arrow.Array
	if strs {
		b := array.NewStringBuilder(memory.DefaultAllocator)
		for i := lo; i < hi; i++ {
			b.Append(fmt.Sprintf("bidder-%d", i))
		}
		arr = b.NewArray()
		b.Release()
	} else {
		b := array.NewInt64Builder(memory.DefaultAllocator)
		for i := lo; i < hi; i++ {
			b.Append(int64(i))
		}
		arr = b.NewArray()
		b.Release()
	}
	defer arr.Release()
	for i := 0; i < arr.Len(); i++ {
		h.addHash(hash(arr, i))
	}
	return &h
}

// TestHLLAccuracy: exact while sparse, within 2% at 100k distinct values
// (and at sizes across the range), and a merged sketch is the sketch of
// the union.
func TestHLLAccuracy(t *testing.T) {
	for _, strs := range []bool{false, true} {
		for _, n := range []int{0, 1, 7, 100, hllSparseMax} {
			if got := hllOf(t, 0, n, strs).estimate(); got != int64(n) {
				t.Fatalf("%d values (strings %v): estimate %d, want exact", n, strs, got)
			}
		}
		for _, n := range []int{1000, 5000, 20000, 60000, 100000, 300000} {
			got := hllOf(t, 0, n, strs).estimate()
			if e := math.Abs(float64(got)-float64(n)) / float64(n); e > 0.02 {
				t.Fatalf("%d values (strings %v): estimate %d, error %.2f%%", n, strs, got, 100*e)
			}
		}
		// Duplicates do not count.
		a, b := hllOf(t, 0, 60000, strs), hllOf(t, 40000, 100000, strs)
		a.merge(b)
		if all := hllOf(t, 0, 100000, strs); a.estimate() != all.estimate() || !slices.Equal(a.regs, all.regs) {
			t.Fatalf("merged estimate %d, the union's %d", a.estimate(), all.estimate())
		}
		// Sparse into dense and dense into sparse.
		s, d := hllOf(t, 0, 10, strs), hllOf(t, 5, 5000, strs)
		s.merge(d)
		if want := hllOf(t, 0, 5000, strs); !slices.Equal(s.regs, want.regs) {
			t.Fatal("sparse merged with dense differs from the union")
		}
	}
}

// TestHLLStateRoundTrip exports sparse, dense and empty sketches and merges
// them back.
func TestHLLStateRoundTrip(t *testing.T) {
	sk := []*hll{hllOf(t, 0, 3, false), nil, hllOf(t, 0, 50000, true), {}}
	st := hllState(memory.DefaultAllocator, sk, []uint32{0, 1, 2, 3})
	defer releaseAll(st)
	got := make([]*hll, 4)
	if err := hllMerge(st, []uint32{0, 1, 2, 3}, func(i uint32) *hll {
		if got[i] == nil {
			got[i] = &hll{}
		}
		return got[i]
	}); err != nil {
		t.Fatal(err)
	}
	for i := range sk {
		if got[i].estimate() != sk[i].estimate() {
			t.Fatalf("sketch %d: %d after the round trip, want %d", i, got[i].estimate(), sk[i].estimate())
		}
	}
	if got[1] != nil || got[3] != nil || !slices.Equal(got[0].sparse, sk[0].sparse) || !slices.Equal(got[2].regs, sk[2].regs) {
		t.Fatal("round trip changed a sketch")
	}
	bad := []arrow.Array{gaccBuild(arrow.BinaryTypes.String, []any{"x"})}
	defer releaseAll(bad)
	if err := hllMerge(bad, []uint32{0}, nil); err == nil {
		t.Fatal("merged a string column as sketches")
	}
}

// TestHLLRetractIsAnError: APPROX_COUNT_DISTINCT of an UpdatingAgg takes
// rows in but not back.
func TestHLLRetractIsAnError(t *testing.T) {
	acc, err := NewGroupsAccumulator(AggSpec{Func: ApproxCountDistinct, Arg: 0, Name: "a"}, vector.Int64)
	if err != nil {
		t.Fatal(err)
	}
	arr := gaccBuild(vector.Int64, []any{int64(1), int64(2), int64(1), nil})
	defer arr.Release()
	if err := acc.Update([]uint32{0, 0, 1, 1}, arr); err != nil {
		t.Fatal(err)
	}
	got, _ := acc.Evaluate(memory.DefaultAllocator, []uint32{0, 1, 2})
	defer got.Release()
	if gaccGet(got, 0) != int64(2) || gaccGet(got, 1) != int64(1) || gaccGet(got, 2) != int64(0) {
		t.Fatalf("estimates %v", got)
	}
	if err := acc.Retract([]uint32{0, NoGroup, NoGroup, NoGroup}, arr); err == nil || !strings.Contains(err.Error(), "COUNT(DISTINCT") {
		t.Fatalf("Retract: %v", err)
	}
	if err := acc.Retract([]uint32{NoGroup, NoGroup, NoGroup, NoGroup}, arr); err != nil {
		t.Fatalf("Retract of no row: %v", err)
	}
}

// TestDistinctSum128 keeps the sum of distinct values exact past int64,
// and takes MinInt64 back.
func TestDistinctSum128(t *testing.T) {
	var s dset[int64]
	s.add(math.MaxInt64, 1, true)
	s.add(math.MaxInt64-1, 1, true)
	if got, fits := s.sum128(); fits || got != 0x1p64 {
		t.Fatalf("sum %v (fits %v), want 2^64 - 3 as float", got, fits)
	}
	s.add(math.MinInt64, 1, true)
	if _, fits := s.sum128(); !fits || int64(s.lo) != math.MaxInt64-2 {
		t.Fatalf("with MinInt64: lo %d (fits %v)", int64(s.lo), fits)
	}
	s.add(math.MinInt64, -1, true)
	s.add(math.MaxInt64, -1, true)
	if got, fits := s.sum128(); !fits || int64(s.lo) != math.MaxInt64-1 || got != float64(math.MaxInt64-1) {
		t.Fatalf("after retracting: sum %v (fits %v, lo %d)", got, fits, int64(s.lo))
	}
}
