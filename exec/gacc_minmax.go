package exec

import (
	"cmp"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// gaccMinMax is MIN or MAX with retraction: per group a count per distinct
// value and the cached extreme, recomputed from the counts only when the
// extreme's count drops to 0. BIGINT, TIMESTAMP and BOOLEAN (0/1) use
// T = int64. NaN orders above every other DOUBLE, as in windows.
type gaccMinMax[T accumValue] struct {
	isMax bool
	// appendOnly: values are never retracted (the input is not a
	// changelog), so a group keeps only its extreme, not a count per
	// value.
	appendOnly bool
	typ        arrow.DataType
	groups     []gaccMinMaxGroup[T]
	distinct   int64 // distinct values held, over all groups
	bytes      int64 // string bytes held, over all groups
}

// gaccMinMaxGroup is one group's multiset of values.
type gaccMinMaxGroup[T accumValue] struct {
	counts map[T]int64
	nan    int64 // NaNs, kept apart: NaN is no map key
	best   T     // the cached extreme of counts (not NaN)
	ok     bool  // best is valid
}

func newGaccMinMax[T accumValue](isMax bool, typ arrow.DataType) *gaccMinMax[T] {
	return &gaccMinMax[T]{isMax: isMax, typ: typ}
}

// better reports whether x beats y as the extreme.
func (a *gaccMinMax[T]) better(x, y T) bool {
	if a.isMax {
		return cmp.Compare(x, y) > 0
	}
	return cmp.Compare(x, y) < 0
}

// gaccGetter returns a reader of values' element i as T, and whether T is
// float64 (whose NaNs are counted apart).
func gaccGetter[T accumValue](values arrow.Array) (func(int) T, error) {
	var get any
	switch v := values.(type) {
	case *array.Int64:
		get = func(i int) int64 { return v.Value(i) }
	case *array.Timestamp:
		get = func(i int) int64 { return int64(v.Value(i)) }
	case *array.Boolean:
		get = func(i int) int64 {
			if v.Value(i) {
				return 1
			}
			return 0
		}
	case *array.Float64:
		get = func(i int) float64 { return v.Value(i) }
	case *array.String:
		get = func(i int) string { return v.Value(i) }
	}
	f, ok := get.(func(int) T)
	if !ok {
		return nil, fmt.Errorf("MIN/MAX: argument of type %s does not match the accumulator", values.DataType())
	}
	return f, nil
}

func (a *gaccMinMax[T]) fold(groups []uint32, values arrow.Array, d int64) error {
	if values.DataType().ID() == arrow.NULL {
		return nil
	}
	get, err := gaccGetter[T](values)
	if err != nil {
		return err
	}
	a.groups = accumGrow(a.groups, gaccMaxGroup(groups))
	for i, g := range groups {
		if g == NoGroup || values.IsNull(i) {
			continue
		}
		a.groups[g].add(a, get(i), d)
	}
	return nil
}

// add adds d copies of v (d < 0: takes them away).
func (s *gaccMinMaxGroup[T]) add(a *gaccMinMax[T], v T, d int64) {
	if f, isF := any(v).(float64); isF && math.IsNaN(f) {
		s.nan += d
		return
	}
	if a.appendOnly {
		if !s.ok || a.better(v, s.best) {
			if str, isS := any(v).(string); isS {
				if s.ok {
					a.bytes -= int64(len(any(s.best).(string)))
				} else {
					a.distinct++
				}
				a.bytes += int64(len(str))
			} else if !s.ok {
				a.distinct++
			}
			s.best, s.ok = v, true
		}
		return
	}
	if s.counts == nil {
		s.counts = make(map[T]int64)
	}
	prev := s.counts[v]
	n := prev + d
	if (prev > 0) != (n > 0) {
		sign := int64(1)
		if n <= 0 {
			sign = -1
		}
		a.distinct += sign
		if str, isS := any(v).(string); isS {
			a.bytes += sign * int64(len(str))
		}
	}
	if n <= 0 {
		delete(s.counts, v)
		if s.ok && v == s.best {
			s.ok = false
			for x := range s.counts {
				if !s.ok || a.better(x, s.best) {
					s.best, s.ok = x, true
				}
			}
		}
		return
	}
	s.counts[v] = n
	if !s.ok || a.better(v, s.best) {
		s.best, s.ok = v, true
	}
}

// Update implements GroupsAccumulator.
func (a *gaccMinMax[T]) Update(groups []uint32, values arrow.Array) error {
	if ai, ok := any(a).(*gaccMinMax[int64]); ok && a.appendOnly {
		if vals, ok := int64Values(values); ok {
			foldExtremeInt64(ai, groups, vals, values)
			return nil
		}
	}
	return a.fold(groups, values, 1)
}

// int64Values is the values of a BIGINT or TIMESTAMP array.
func int64Values(a arrow.Array) ([]int64, bool) {
	switch v := a.(type) {
	case *array.Int64:
		return v.Int64Values(), true
	case *array.Timestamp:
		return arrow.Int64Traits.CastFromBytes(arrow.TimestampTraits.CastToBytes(v.TimestampValues())), true
	}
	return nil, false
}

// foldExtremeInt64 is Update of an append-only MIN or MAX of BIGINT or
// TIMESTAMP values (arr, whose nulls are skipped): per group only the
// extreme, in a loop of its own for each.
func foldExtremeInt64(a *gaccMinMax[int64], groups []uint32, vals []int64, arr arrow.Array) {
	a.groups = accumGrow(a.groups, gaccMaxGroup(groups))
	gs := a.groups
	nulls := arr.NullN() > 0
	vals = vals[:len(groups)]
	for i, g := range groups {
		if g == NoGroup || (nulls && arr.IsNull(i)) {
			continue
		}
		s, v := &gs[g], vals[i]
		switch {
		case !s.ok:
			s.best, s.ok = v, true
			a.distinct++
		case a.isMax && v > s.best, !a.isMax && v < s.best:
			s.best = v
		}
	}
}

// Retract implements GroupsAccumulator.
func (a *gaccMinMax[T]) Retract(groups []uint32, values arrow.Array) error {
	if a.appendOnly {
		return fmt.Errorf("MIN/MAX over an append-only input cannot retract a value")
	}
	return a.fold(groups, values, -1)
}

// setAppendOnly implements appendOnlyAccumulator.
func (a *gaccMinMax[T]) setAppendOnly() { a.appendOnly = true }

// value is group g's extreme; nan reports that it is NaN, ok that it
// exists.
func (a *gaccMinMax[T]) value(g uint32) (v T, nan, ok bool) {
	if int(g) >= len(a.groups) {
		return v, false, false
	}
	s := &a.groups[g]
	if s.nan > 0 && (a.isMax || !s.ok) {
		return v, true, true
	}
	return s.best, false, s.ok
}

// Evaluate implements GroupsAccumulator: NULL for a group without values.
func (a *gaccMinMax[T]) Evaluate(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	b := array.NewBuilder(mem, a.typ)
	defer b.Release()
	for _, g := range groups {
		v, nan, ok := a.value(g)
		switch {
		case !ok:
			b.AppendNull()
		case nan:
			b.(*array.Float64Builder).Append(math.NaN())
		default:
			gaccAppend(b, v)
		}
	}
	return b.NewArray(), nil
}

// gaccAppend appends v to b, a builder of the accumulator's type.
func gaccAppend[T accumValue](b array.Builder, v T) {
	switch b := b.(type) {
	case *array.Int64Builder:
		b.Append(any(v).(int64))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(any(v).(int64)))
	case *array.BooleanBuilder:
		b.Append(any(v).(int64) != 0)
	case *array.Float64Builder:
		b.Append(any(v).(float64))
	case *array.StringBuilder:
		b.Append(any(v).(string))
	default:
		b.AppendNull()
	}
}

// State implements GroupsAccumulator: two LIST columns per group, its
// distinct values (of the argument's type; NaN among them) and their
// counts (BIGINT).
func (a *gaccMinMax[T]) State(mem memory.Allocator, groups []uint32) ([]arrow.Array, error) {
	vb := array.NewListBuilder(mem, a.typ)
	cb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	defer vb.Release()
	defer cb.Release()
	vals, cnts := vb.ValueBuilder(), cb.ValueBuilder().(*array.Int64Builder)
	for _, g := range groups {
		vb.Append(true)
		cb.Append(true)
		if int(g) >= len(a.groups) {
			continue
		}
		s := &a.groups[g]
		if s.nan != 0 {
			vals.(*array.Float64Builder).Append(math.NaN())
			cnts.Append(s.nan)
		}
		if a.appendOnly && s.ok {
			gaccAppend(vals, s.best)
			cnts.Append(1)
		}
		for v, n := range s.counts {
			gaccAppend(vals, v)
			cnts.Append(n)
		}
	}
	return []arrow.Array{vb.NewArray(), cb.NewArray()}, nil
}

// Merge implements GroupsAccumulator.
func (a *gaccMinMax[T]) Merge(groups []uint32, state []arrow.Array) error {
	if err := gaccCheckState("MIN/MAX", groups, state, 2); err != nil {
		return err
	}
	vl, ok1 := state[0].(*array.List)
	cl, ok2 := state[1].(*array.List)
	if !ok1 || !ok2 {
		return fmt.Errorf("MIN/MAX state: columns are not LISTs")
	}
	cnts, ok := cl.ListValues().(*array.Int64)
	if !ok {
		return fmt.Errorf("MIN/MAX state: counts are not BIGINT")
	}
	if vl.ListValues().DataType().ID() == arrow.NULL {
		return nil
	}
	get, err := gaccGetter[T](vl.ListValues())
	if err != nil {
		return err
	}
	a.groups = accumGrow(a.groups, gaccMaxGroup(groups))
	for i, g := range groups {
		if g == NoGroup {
			continue
		}
		s, e := vl.ValueOffsets(i)
		cs, _ := cl.ValueOffsets(i)
		for j := s; j < e; j++ {
			a.groups[g].add(a, get(int(j)), cnts.Value(int(cs+j-s)))
		}
	}
	return nil
}

// Reset implements GroupsAccumulator.
func (a *gaccMinMax[T]) Reset(groups []uint32) {
	for _, g := range groups {
		if int(g) < len(a.groups) {
			for v := range a.groups[g].counts {
				a.distinct--
				if str, isS := any(v).(string); isS {
					a.bytes -= int64(len(str))
				}
			}
			if s := &a.groups[g]; a.appendOnly && s.ok {
				a.distinct--
				if str, isS := any(s.best).(string); isS {
					a.bytes -= int64(len(str))
				}
			}
			a.groups[g] = gaccMinMaxGroup[T]{}
		}
	}
}

// Size implements GroupsAccumulator: about 48 bytes a group and 32 a
// distinct value, plus the strings' bytes.
func (a *gaccMinMax[T]) Size() int64 {
	return int64(cap(a.groups))*48 + a.distinct*32 + a.bytes
}
