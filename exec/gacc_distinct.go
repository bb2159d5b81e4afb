package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// gaccDistinct is COUNT(DISTINCT x), SUM(DISTINCT x) or AVG(DISTINCT x)
// of an UpdatingAgg: per group, a count per distinct value, so that a
// retracted row decrements its value's count and the value leaves the
// result when no row holds it any more.
type gaccDistinct[T distinctKey] struct {
	f      AggFunc
	key    distinctValueOf[T]
	sum    bool
	sets   []*dset[T]
	ints   accumOut[int64]
	floats accumOut[float64]

	entries int64
	strLen  int64
}

// newGaccDistinct returns the DISTINCT GroupsAccumulator of spec.
func newGaccDistinct(spec AggSpec, argType arrow.DataType) (GroupsAccumulator, error) {
	if err := checkDistinct(spec, argType); err != nil {
		return nil, err
	}
	if argType.ID() == arrow.STRING {
		k, err := newDistinctKeys[string](argType)
		if err != nil {
			return nil, err
		}
		return &gaccDistinct[string]{f: spec.Func, key: k}, nil
	}
	k, err := newDistinctKeys[int64](argType)
	if err != nil {
		return nil, err
	}
	return &gaccDistinct[int64]{f: spec.Func, key: k, sum: spec.Func != Count}, nil
}

func (a *gaccDistinct[T]) addTo(g uint32, v T, n int64) {
	s := a.sets[g]
	if s == nil {
		s = &dset[T]{}
		a.sets[g] = s
	}
	before := s.strLen
	a.entries += int64(s.add(v, n, a.sum))
	a.strLen += s.strLen - before
	if len(s.m) == 0 {
		a.sets[g] = nil // an emptied set is freed
	}
}

func (a *gaccDistinct[T]) add(groups []uint32, values arrow.Array, n int64) {
	a.sets = accumGrow(a.sets, gaccMaxGroup(groups))
	for i, g := range groups {
		if g != NoGroup && values.IsValid(i) {
			a.addTo(g, a.key(values, i), n)
		}
	}
}

// Update implements GroupsAccumulator.
func (a *gaccDistinct[T]) Update(groups []uint32, values arrow.Array) error {
	a.add(groups, values, 1)
	return nil
}

// Retract implements GroupsAccumulator.
func (a *gaccDistinct[T]) Retract(groups []uint32, values arrow.Array) error {
	a.add(groups, values, -1)
	return nil
}

// Evaluate implements GroupsAccumulator.
func (a *gaccDistinct[T]) Evaluate(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	for _, g := range groups {
		var s *dset[T]
		if int(g) < len(a.sets) {
			s = a.sets[g]
		}
		dsetValue(a.f, s, &a.ints, &a.floats)
	}
	if a.f == Avg {
		return a.floats.build(mem, distinctOut(a.f)), nil
	}
	return a.ints.build(mem, distinctOut(a.f)), nil
}

// State implements GroupsAccumulator: the values and their counts, as
// two list columns.
func (a *gaccDistinct[T]) State(mem memory.Allocator, groups []uint32) ([]arrow.Array, error) {
	return dsetState(mem, a.sets, groups), nil
}

// Merge implements GroupsAccumulator.
func (a *gaccDistinct[T]) Merge(groups []uint32, state []arrow.Array) error {
	a.sets = accumGrow(a.sets, gaccMaxGroup(groups))
	return dsetMerge(state, groups, func(g uint32, v T, n int64) { a.addTo(g, v, n) })
}

// Reset implements GroupsAccumulator.
func (a *gaccDistinct[T]) Reset(groups []uint32) {
	for _, g := range groups {
		if int(g) < len(a.sets) && a.sets[g] != nil {
			a.entries -= int64(len(a.sets[g].m))
			a.strLen -= a.sets[g].strLen
			a.sets[g] = nil
		}
	}
}

// Size implements GroupsAccumulator.
func (a *gaccDistinct[T]) Size() int64 {
	return int64(cap(a.sets))*8 + a.entries*dsetEntryBytes + a.strLen
}
