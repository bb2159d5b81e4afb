package exec

import (
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// gaccNaive computes f over vals (nil entries are NULLs) from scratch.
func gaccNaive(f AggFunc, vals []any) any {
	var nn []any
	for _, v := range vals {
		if v != nil {
			nn = append(nn, v)
		}
	}
	switch f {
	case CountStar:
		return int64(len(vals))
	case Count:
		return int64(len(nn))
	}
	if len(nn) == 0 {
		return nil
	}
	switch f {
	case Sum, Avg:
		if _, ok := nn[0].(int64); ok {
			var s int64
			for _, v := range nn {
				s += v.(int64)
			}
			if f == Avg {
				return float64(s) / float64(len(nn))
			}
			return s
		}
		var s float64
		for _, v := range nn {
			s += v.(float64)
		}
		if f == Avg {
			return s / float64(len(nn))
		}
		return s
	}
	best := nn[0]
	for _, v := range nn[1:] {
		c := gaccCmp(v, best)
		if f == Max && c > 0 || f == Min && c < 0 {
			best = v
		}
	}
	return best
}

// gaccCmp orders two values of one type, NaN above every number.
func gaccCmp(a, b any) int {
	switch a := a.(type) {
	case int64:
		return int(max(-1, min(1, a-b.(int64))))
	case float64:
		bf := b.(float64)
		switch {
		case math.IsNaN(a) && math.IsNaN(bf):
			return 0
		case math.IsNaN(a):
			return 1
		case math.IsNaN(bf):
			return -1
		case a < bf:
			return -1
		case a > bf:
			return 1
		}
		return 0
	case string:
		switch {
		case a < b.(string):
			return -1
		case a > b.(string):
			return 1
		}
	}
	return 0
}

// gaccBuild builds an array of typ from vals.
func gaccBuild(typ arrow.DataType, vals []any) arrow.Array {
	b := array.NewBuilder(memory.DefaultAllocator, typ)
	defer b.Release()
	for _, v := range vals {
		switch v := v.(type) {
		case nil:
			b.AppendNull()
		case int64:
			gaccAppend(b, v)
		case float64:
			gaccAppend(b, v)
		case string:
			gaccAppend(b, v)
		}
	}
	return b.NewArray()
}

// gaccGet reads element i of a as int64, float64, string or nil.
func gaccGet(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	}
	return nil
}

func TestGroupsAccumulatorsMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	gen := map[string]func() any{
		"int":    func() any { return int64(rng.Intn(7) - 3) },
		"float":  func() any { return float64(rng.Intn(9)) / 4 },
		"string": func() any { return string(rune('a' + rng.Intn(5))) },
	}
	types := map[string]arrow.DataType{"int": vector.Int64, "float": vector.Float64, "string": vector.String}
	for _, tc := range []struct {
		f   AggFunc
		typ string
	}{
		{CountStar, "int"}, {Count, "string"}, {Sum, "int"}, {Sum, "float"}, {Avg, "int"}, {Avg, "float"},
		{Min, "int"}, {Max, "int"}, {Min, "float"}, {Max, "float"}, {Min, "string"}, {Max, "string"},
	} {
		acc, err := NewGroupsAccumulator(AggSpec{Func: tc.f, Arg: 0, Name: "x"}, types[tc.typ])
		if err != nil {
			t.Fatal(err)
		}
		const ngroups = 5
		held := make([][]any, ngroups)
		for round := 0; round < 200; round++ {
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
			// A copy through State and Merge evaluates the same.
			st, err := acc.State(memory.DefaultAllocator, all)
			if err != nil {
				t.Fatal(err)
			}
			cp, _ := NewGroupsAccumulator(AggSpec{Func: tc.f, Arg: 0, Name: "x"}, types[tc.typ])
			if err := cp.Merge(all, st); err != nil {
				t.Fatal(err)
			}
			releaseAll(st)
			got2, _ := cp.Evaluate(memory.DefaultAllocator, all)
			for g := range ngroups {
				want := gaccNaive(tc.f, held[g])
				for _, a := range []arrow.Array{got, got2} {
					v := gaccGet(a, g)
					if wf, ok := want.(float64); ok && v != nil {
						if math.Abs(wf-v.(float64)) > 1e-9 {
							t.Fatalf("%s(%s) round %d group %d: got %v, want %v", tc.f, tc.typ, round, g, v, want)
						}
						continue
					}
					if v != want {
						t.Fatalf("%s(%s) round %d group %d: got %v, want %v", tc.f, tc.typ, round, g, v, want)
					}
				}
			}
			got.Release()
			got2.Release()
		}
		if acc.Size() <= 0 {
			t.Fatalf("%s(%s): size %d after 200 rounds", tc.f, tc.typ, acc.Size())
		}
	}
}

func TestGroupsAccumulatorRetractsExtremeAndInfinity(t *testing.T) {
	mx, _ := NewGroupsAccumulator(AggSpec{Func: Max, Arg: 0}, vector.Float64)
	sum, _ := NewGroupsAccumulator(AggSpec{Func: Sum, Arg: 0}, vector.Float64)
	g := []uint32{0, 0, 0}
	in := gaccBuild(vector.Float64, []any{1.5, math.Inf(1), 0.25})
	for _, a := range []GroupsAccumulator{mx, sum} {
		if err := a.Update(g, in); err != nil {
			t.Fatal(err)
		}
	}
	out := gaccBuild(vector.Float64, []any{math.Inf(1)})
	for _, a := range []GroupsAccumulator{mx, sum} {
		if err := a.Retract(g[:1], out); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := mx.Evaluate(memory.DefaultAllocator, []uint32{0})
	s, _ := sum.Evaluate(memory.DefaultAllocator, []uint32{0})
	if gaccGet(m, 0) != 1.5 || gaccGet(s, 0) != 1.75 {
		t.Fatalf("after retracting +Inf: MAX %v SUM %v, want 1.5 and 1.75", gaccGet(m, 0), gaccGet(s, 0))
	}
}
