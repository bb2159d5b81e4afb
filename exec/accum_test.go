package exec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestAccumMinMaxDeque drives one group's MIN/MAX deque with panes merged
// at the back, retracted at the front and improved in the middle
// (out-of-order rows), against a scan of the panes in range.
func TestAccumMinMaxDeque(t *testing.T) {
	mem := winTestMem(t)
	for seed := uint64(0); seed < 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		isMax := seed%2 == 1
		a := &accumMinMax[float64]{isMax: isMax, typ: arrow.PrimitiveTypes.Float64}
		const panes = 400
		a.growCells(panes)
		a.growGroups(1)
		group := []uint32{0}
		lo, hi := 0, 0
		value := func() float64 {
			if r.IntN(40) == 0 {
				return math.NaN()
			}
			return float64(r.IntN(30))
		}
		for hi < panes {
			switch op := r.IntN(10); {
			case op < 4: // a new pane, with or without a value
				c := []uint32{uint32(hi)}
				a.resetCells(c)
				if r.IntN(5) != 0 {
					accumTestUpdate(a, mem, c, value())
				}
				a.merge(int64(hi), group, c)
				hi++
			case op < 6 && lo < hi:
				a.retract(int64(lo), group, []uint32{uint32(lo)})
				lo++
				if lo == hi {
					a.resetGroups(group)
				}
			case lo < hi: // an out-of-order row in a merged pane
				q := lo + r.IntN(hi-lo)
				c := []uint32{uint32(q)}
				accumTestUpdate(a, mem, c, value())
				a.mergeRow(int64(q), 0, uint32(q), nil, 0)
			}
			var want float64
			found := false
			for q := lo; q < hi; q++ {
				if a.has[q] && (!found || a.better(a.val[q], want)) {
					want, found = a.val[q], true
				}
			}
			a.evalGroups(group)
			got, ok := a.out.vals[len(a.out.vals)-1], a.out.valid[len(a.out.valid)-1]
			if ok != found || found && !winTestSameValue(got, want) {
				t.Fatalf("seed %d max %v panes [%d,%d): got %v %v, want %v %v", seed, isMax, lo, hi, got, ok, want, found)
			}
			if d := &a.dq[0]; int64(len(d.e)-d.head) > int64(hi-lo) {
				t.Fatalf("seed %d: deque of %d entries for %d panes", seed, len(d.e)-d.head, hi-lo)
			}
		}
		a.finish(mem).Release()
	}
}

// accumTestUpdate folds value v into cells through update.
func accumTestUpdate(a accumulator, mem memory.Allocator, cells []uint32, v float64) {
	b := array.NewFloat64Builder(mem)
	b.Append(v)
	arr := b.NewArray()
	b.Release()
	a.update(cells, arr)
	arr.Release()
}

func TestAccumFloat128(t *testing.T) {
	for _, c := range []struct {
		h    int64
		l    uint64
		want float64
	}{
		{0, 5, 5},
		{-1, math.MaxUint64, -1},
		{-1, 1 << 63, -(1 << 63)},
		{0, 1 << 63, 1 << 63},
		{1, 0, 0x1p64},
		{-1, 0, -0x1p64},
		{-2, math.MaxUint64, -0x1p64 - 1},
	} {
		if got := accumFloat128(c.h, c.l); got != c.want {
			t.Errorf("accumFloat128(%d, %d) = %g, want %g", c.h, c.l, got, c.want)
		}
	}
	var h int64
	var l uint64
	for _, v := range []int64{math.MaxInt64, math.MaxInt64, 3, math.MinInt64, -7} {
		accumAdd128(&h, &l, v>>63, uint64(v))
	}
	if h != 0 || l != math.MaxInt64-5 {
		t.Errorf("sum (%d, %d)", h, l)
	}
	accumSub128(&h, &l, 0, math.MaxInt64)
	accumSub128(&h, &l, 0, math.MaxInt64)
	if h != -1 || l != 1<<63-4 { // MinInt64 - 4
		t.Errorf("after retraction (%d, %d)", h, l)
	}
}
