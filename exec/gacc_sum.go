package exec

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// gaccSumInt is SUM or AVG of BIGINT: a 128-bit sum (hi, lo) and a count
// of non-NULL values per group. SUM is the sum's low 64 bits (wrapping,
// as the windowed SUM); AVG divides the exact sum.
type gaccSumInt struct {
	avg bool
	hi  []int64
	lo  []uint64
	n   []int64
}

func (a *gaccSumInt) grow(groups []uint32) {
	m := gaccMaxGroup(groups)
	a.hi, a.lo, a.n = accumGrow(a.hi, m), accumGrow(a.lo, m), accumGrow(a.n, m)
}

// addTo adds the 128-bit value (h, l) and count n to group g.
func (a *gaccSumInt) addTo(g uint32, h int64, l uint64, n int64) {
	lo, c := bits.Add64(a.lo[g], l, 0)
	a.lo[g] = lo
	a.hi[g] += h + int64(c)
	a.n[g] += n
}

func (a *gaccSumInt) fold(groups []uint32, values arrow.Array, sign int64) error {
	v, ok := values.(*array.Int64)
	if !ok {
		return fmt.Errorf("SUM: argument is %s, not BIGINT", values.DataType())
	}
	a.grow(groups)
	for i, g := range groups {
		if g == NoGroup || v.IsNull(i) {
			continue
		}
		x := v.Value(i)
		if sign < 0 {
			// -x as 128 bits: two's complement of the sign-extended x.
			h, l := ^(x >> 63), ^uint64(x)
			l, c := bits.Add64(l, 1, 0)
			a.addTo(g, h+int64(c), l, -1)
			continue
		}
		a.addTo(g, x>>63, uint64(x), 1)
	}
	return nil
}

// Update implements GroupsAccumulator.
func (a *gaccSumInt) Update(groups []uint32, values arrow.Array) error {
	return a.fold(groups, values, 1)
}

// Retract implements GroupsAccumulator.
func (a *gaccSumInt) Retract(groups []uint32, values arrow.Array) error {
	return a.fold(groups, values, -1)
}

// Evaluate implements GroupsAccumulator: NULL for a group without values.
func (a *gaccSumInt) Evaluate(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	if a.avg {
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		for _, g := range groups {
			if int(g) >= len(a.n) || a.n[g] == 0 {
				b.AppendNull()
				continue
			}
			b.Append(accumFloat128(a.hi[g], a.lo[g]) / float64(a.n[g]))
		}
		return b.NewArray(), nil
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for _, g := range groups {
		if int(g) >= len(a.n) || a.n[g] == 0 {
			b.AppendNull()
			continue
		}
		b.Append(int64(a.lo[g]))
	}
	return b.NewArray(), nil
}

// State implements GroupsAccumulator: the sum's high and low 64 bits and
// the count, three BIGINT columns.
func (a *gaccSumInt) State(mem memory.Allocator, groups []uint32) ([]arrow.Array, error) {
	bs := [3]*array.Int64Builder{array.NewInt64Builder(mem), array.NewInt64Builder(mem), array.NewInt64Builder(mem)}
	out := make([]arrow.Array, 3)
	for _, g := range groups {
		if int(g) >= len(a.n) {
			bs[0].Append(0)
			bs[1].Append(0)
			bs[2].Append(0)
			continue
		}
		bs[0].Append(a.hi[g])
		bs[1].Append(int64(a.lo[g]))
		bs[2].Append(a.n[g])
	}
	for i, b := range bs {
		out[i] = b.NewArray()
		b.Release()
	}
	return out, nil
}

// Merge implements GroupsAccumulator.
func (a *gaccSumInt) Merge(groups []uint32, state []arrow.Array) error {
	cols, err := gaccInt64State("SUM", groups, state, 3)
	if err != nil {
		return err
	}
	a.grow(groups)
	for i, g := range groups {
		if g != NoGroup {
			a.addTo(g, cols[0].Value(i), uint64(cols[1].Value(i)), cols[2].Value(i))
		}
	}
	return nil
}

// Reset implements GroupsAccumulator.
func (a *gaccSumInt) Reset(groups []uint32) {
	for _, g := range groups {
		if int(g) < len(a.n) {
			a.hi[g], a.lo[g], a.n[g] = 0, 0, 0
		}
	}
}

// Size implements GroupsAccumulator.
func (a *gaccSumInt) Size() int64 { return int64(cap(a.n)) * 24 }

// gaccInt64State checks an all-BIGINT state of want columns.
func gaccInt64State(kind string, groups []uint32, state []arrow.Array, want int) ([]*array.Int64, error) {
	if err := gaccCheckState(kind, groups, state, want); err != nil {
		return nil, err
	}
	cols := make([]*array.Int64, want)
	for i, c := range state {
		var ok bool
		if cols[i], ok = c.(*array.Int64); !ok {
			return nil, fmt.Errorf("%s state: column %d is %s, not BIGINT", kind, i, c.DataType())
		}
	}
	return cols, nil
}

// gaccSumFloat is SUM or AVG of DOUBLE: a Neumaier-compensated sum of the
// finite values, counts of +Inf, -Inf and NaN (so that retracting them
// restores a finite sum) and a count of non-NULL values per group.
type gaccSumFloat struct {
	avg       bool
	sum, comp []float64
	n         []int64
	inf       [][3]int64 // +Inf, -Inf, NaN
}

func (a *gaccSumFloat) grow(groups []uint32) {
	m := gaccMaxGroup(groups)
	a.sum, a.comp, a.n, a.inf = accumGrow(a.sum, m), accumGrow(a.comp, m), accumGrow(a.n, m), accumGrow(a.inf, m)
}

// addFinite adds x to group g's compensated sum.
func (a *gaccSumFloat) addFinite(g uint32, x float64) {
	s := a.sum[g]
	t := s + x
	if math.Abs(s) >= math.Abs(x) {
		a.comp[g] += (s - t) + x
	} else {
		a.comp[g] += (x - t) + s
	}
	a.sum[g] = t
}

func (a *gaccSumFloat) fold(groups []uint32, values arrow.Array, sign int64) error {
	if values.DataType().ID() == arrow.NULL {
		return nil
	}
	v, ok := values.(*array.Float64)
	if !ok {
		return fmt.Errorf("SUM: argument is %s, not DOUBLE", values.DataType())
	}
	a.grow(groups)
	for i, g := range groups {
		if g == NoGroup || v.IsNull(i) {
			continue
		}
		x := v.Value(i)
		a.n[g] += sign
		switch {
		case math.IsNaN(x):
			a.inf[g][2] += sign
		case math.IsInf(x, 1):
			a.inf[g][0] += sign
		case math.IsInf(x, -1):
			a.inf[g][1] += sign
		default:
			a.addFinite(g, float64(sign)*x)
		}
	}
	return nil
}

// Update implements GroupsAccumulator.
func (a *gaccSumFloat) Update(groups []uint32, values arrow.Array) error {
	return a.fold(groups, values, 1)
}

// Retract implements GroupsAccumulator.
func (a *gaccSumFloat) Retract(groups []uint32, values arrow.Array) error {
	return a.fold(groups, values, -1)
}

// value is group g's sum (or average); ok is false when it has no values.
func (a *gaccSumFloat) value(g uint32) (float64, bool) {
	if int(g) >= len(a.n) || a.n[g] == 0 {
		return 0, false
	}
	var s float64
	switch inf := a.inf[g]; {
	case inf[2] > 0 || inf[0] > 0 && inf[1] > 0:
		s = math.NaN()
	case inf[0] > 0:
		s = math.Inf(1)
	case inf[1] > 0:
		s = math.Inf(-1)
	default:
		s = a.sum[g] + a.comp[g]
	}
	if a.avg {
		s /= float64(a.n[g])
	}
	return s, true
}

// Evaluate implements GroupsAccumulator: NULL for a group without values.
func (a *gaccSumFloat) Evaluate(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	for _, g := range groups {
		if v, ok := a.value(g); ok {
			b.Append(v)
		} else {
			b.AppendNull()
		}
	}
	return b.NewArray(), nil
}

// State implements GroupsAccumulator: sum and compensation (DOUBLE), then
// the count and the counts of +Inf, -Inf and NaN (BIGINT).
func (a *gaccSumFloat) State(mem memory.Allocator, groups []uint32) ([]arrow.Array, error) {
	fb := [2]*array.Float64Builder{array.NewFloat64Builder(mem), array.NewFloat64Builder(mem)}
	ib := [4]*array.Int64Builder{array.NewInt64Builder(mem), array.NewInt64Builder(mem), array.NewInt64Builder(mem), array.NewInt64Builder(mem)}
	for _, g := range groups {
		if int(g) >= len(a.n) {
			fb[0].Append(0)
			fb[1].Append(0)
			for _, b := range ib {
				b.Append(0)
			}
			continue
		}
		fb[0].Append(a.sum[g])
		fb[1].Append(a.comp[g])
		ib[0].Append(a.n[g])
		for k := 0; k < 3; k++ {
			ib[k+1].Append(a.inf[g][k])
		}
	}
	out := make([]arrow.Array, 0, 6)
	for _, b := range fb {
		out = append(out, b.NewArray())
		b.Release()
	}
	for _, b := range ib {
		out = append(out, b.NewArray())
		b.Release()
	}
	return out, nil
}

// Merge implements GroupsAccumulator.
func (a *gaccSumFloat) Merge(groups []uint32, state []arrow.Array) error {
	if err := gaccCheckState("SUM", groups, state, 6); err != nil {
		return err
	}
	s, ok1 := state[0].(*array.Float64)
	c, ok2 := state[1].(*array.Float64)
	ints, err := gaccInt64State("SUM", groups, state[2:], 4)
	if !ok1 || !ok2 || err != nil {
		return fmt.Errorf("SUM state: columns are not DOUBLE, DOUBLE, then BIGINT")
	}
	a.grow(groups)
	for i, g := range groups {
		if g == NoGroup {
			continue
		}
		a.addFinite(g, s.Value(i))
		a.addFinite(g, c.Value(i))
		a.n[g] += ints[0].Value(i)
		for k := 0; k < 3; k++ {
			a.inf[g][k] += ints[k+1].Value(i)
		}
	}
	return nil
}

// Reset implements GroupsAccumulator.
func (a *gaccSumFloat) Reset(groups []uint32) {
	for _, g := range groups {
		if int(g) < len(a.n) {
			a.sum[g], a.comp[g], a.n[g], a.inf[g] = 0, 0, 0, [3]int64{}
		}
	}
}

// Size implements GroupsAccumulator.
func (a *gaccSumFloat) Size() int64 { return int64(cap(a.n)) * 48 }
