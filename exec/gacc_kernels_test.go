package exec

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestGaccMaxGroup: one more than the largest group, NoGroup skipped,
// over every length around the unrolled loop's.
func TestGaccMaxGroup(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := range 40 {
		for range 50 {
			gs := make([]uint32, n)
			want := 0
			for i := range gs {
				switch r.IntN(4) {
				case 0:
					gs[i] = NoGroup
				case 1:
					gs[i] = NoGroup - 1
				default:
					gs[i] = uint32(r.IntN(1000))
				}
				if gs[i] != NoGroup {
					want = max(want, int(gs[i])+1)
				}
			}
			if got := gaccMaxGroup(gs); got != want {
				t.Fatalf("gaccMaxGroup(%v) = %d, want %d", gs, got, want)
			}
		}
	}
}

func BenchmarkGaccMaxGroup(b *testing.B) {
	gs := make([]uint32, 8192)
	for i := range gs {
		gs[i] = uint32(i * 7 % 5000)
		if i%5 == 0 {
			gs[i] = NoGroup
		}
	}
	for b.Loop() {
		gaccMaxGroup(gs)
	}
}

// TestAggFilterMask: a row whose filter is false or NULL gets NoGroup,
// the others keep their group, over slices of a BOOLEAN column (an offset
// inside a byte of its bits) with and without NULLs.
func TestAggFilterMask(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	mem := memory.NewGoAllocator()
	for round := range 100 {
		n := 1 + r.IntN(70)
		b := array.NewBooleanBuilder(mem)
		for range n {
			if round%2 == 0 && r.IntN(5) == 0 {
				b.AppendNull()
			} else {
				b.Append(r.IntN(2) == 0)
			}
		}
		full := b.NewBooleanArray()
		b.Release()
		lo := r.IntN(n)
		hi := lo + r.IntN(n-lo+1)
		f := array.NewSlice(full, int64(lo), int64(hi)).(*array.Boolean)
		ids := make([]uint32, hi-lo)
		for i := range ids {
			ids[i] = uint32(r.IntN(9))
		}
		got := aggFilterMask(nil, ids, f)
		for i := range ids {
			want := ids[i]
			if f.IsNull(i) || !f.Value(i) {
				want = NoGroup
			}
			if got[i] != want {
				t.Fatalf("round %d, row %d: %d, want %d", round, i, got[i], want)
			}
		}
		f.Release()
		full.Release()
	}
}

// TestCountUpdateWhere: COUNT(*) and COUNT(x) with a FILTER column count
// what masking the groups and Update count, over sliced filters with
// NULLs, NULL values and rows without a group.
func TestCountUpdateWhere(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	mem := memory.NewGoAllocator()
	for round := range 200 {
		n := 1 + r.IntN(60)
		fb, vb := array.NewBooleanBuilder(mem), array.NewInt64Builder(mem)
		for range n + 3 {
			if r.IntN(6) == 0 {
				fb.AppendNull()
			} else {
				fb.Append(r.IntN(2) == 0)
			}
			if r.IntN(5) == 0 {
				vb.AppendNull()
			} else {
				vb.Append(int64(r.IntN(9)))
			}
		}
		ff, vf := fb.NewArray(), vb.NewArray()
		fb.Release()
		vb.Release()
		lo := r.IntN(4)
		f, v := array.NewSlice(ff, int64(lo), int64(lo+n)), array.NewSlice(vf, int64(lo), int64(lo+n))
		groups := make([]uint32, n)
		for i := range groups {
			groups[i] = uint32(r.IntN(5))
			if r.IntN(7) == 0 {
				groups[i] = NoGroup
			}
		}
		for _, star := range []bool{true, false} {
			fused, masked := &gaccCount{star: star}, &gaccCount{star: star}
			if done, err := fused.UpdateWhere(groups, v, f); !done || err != nil {
				t.Fatalf("round %d: UpdateWhere did not count (%v)", round, err)
			}
			if err := masked.Update(aggFilterMask(nil, groups, f), v); err != nil {
				t.Fatal(err)
			}
			for g := range 5 {
				var a, b int64
				if g < len(fused.n) {
					a = fused.n[g]
				}
				if g < len(masked.n) {
					b = masked.n[g]
				}
				if a != b {
					t.Fatalf("round %d, star %v, group %d: %d, masked %d", round, star, g, a, b)
				}
			}
		}
		for _, a := range []arrow.Array{f, v, ff, vf} {
			a.Release()
		}
	}
}
