package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// accumDistinct is COUNT(DISTINCT x), SUM(DISTINCT x) or AVG(DISTINCT x)
// of a WindowAgg: each (pane, key) cell holds the multiset of its values
// (a count per distinct value), and each key's running value over the
// window being fired is the multiset sum of its panes' cells: merging a
// pane adds its counts, retracting one subtracts them, so a hopping
// window never rescans rows and the cost of a batch does not depend on
// size/slide (a value leaves the running set when its count reaches 0).
type accumDistinct[T distinctKey] struct {
	accumNoGroupState
	f      AggFunc
	key    distinctValueOf[T]
	sum    bool // keep the sums (SUM, AVG)
	cell   []*dset[T]
	run    []*dset[T]
	ints   accumOut[int64]
	floats accumOut[float64]

	entries int64 // entries of every set, for size
	strLen  int64 // bytes of their string values
}

// newAccumDistinct returns the DISTINCT accumulator of spec over argType.
func newAccumDistinct(spec AggSpec, argType arrow.DataType) (accumulator, error) {
	if err := checkDistinct(spec, argType); err != nil {
		return nil, err
	}
	if argType.ID() == arrow.STRING {
		k, err := newDistinctKeys[string](argType)
		if err != nil {
			return nil, err
		}
		return &accumDistinct[string]{f: spec.Func, key: k}, nil
	}
	k, err := newDistinctKeys[int64](argType)
	if err != nil {
		return nil, err
	}
	return &accumDistinct[int64]{f: spec.Func, key: k, sum: spec.Func != Count}, nil
}

func (a *accumDistinct[T]) growCells(n int) { a.cell = accumGrow(a.cell, n) }

func (a *accumDistinct[T]) drop(s *dset[T]) {
	if s != nil {
		a.entries -= int64(len(s.m))
		a.strLen -= s.strLen
	}
}

func (a *accumDistinct[T]) resetCells(cells []uint32) {
	for _, c := range cells {
		a.drop(a.cell[c])
		a.cell[c] = nil
	}
}

// addTo adds n rows of v to *sp, creating the set.
func (a *accumDistinct[T]) addTo(sp **dset[T], v T, n int64) {
	s := *sp
	if s == nil {
		s = &dset[T]{}
		*sp = s
	}
	before := s.strLen
	a.entries += int64(s.add(v, n, a.sum))
	a.strLen += s.strLen - before
	if len(s.m) == 0 {
		*sp = nil // an emptied set is freed
	}
}

func (a *accumDistinct[T]) update(cells []uint32, arg arrow.Array) {
	for i, c := range cells {
		if c != winNoCell && arg.IsValid(i) {
			a.addTo(&a.cell[c], a.key(arg, i), 1)
		}
	}
}

func (a *accumDistinct[T]) growGroups(n int) { a.run = accumGrow(a.run, n) }

// mergeSet adds (sign 1) or subtracts (-1) the counts of s to gid's set.
func (a *accumDistinct[T]) mergeSet(gid uint32, s *dset[T], sign int64) {
	if s == nil {
		return
	}
	for v, n := range s.m {
		a.addTo(&a.run[gid], v, sign*n)
	}
}

func (a *accumDistinct[T]) merge(_ int64, gids, cells []uint32) {
	for k, g := range gids {
		a.mergeSet(g, a.cell[cells[k]], 1)
	}
}

func (a *accumDistinct[T]) retract(_ int64, gids, cells []uint32) {
	for k, g := range gids {
		a.mergeSet(g, a.cell[cells[k]], -1)
	}
}

func (a *accumDistinct[T]) mergeRow(_ int64, gid, _ uint32, arg arrow.Array, row int) {
	if arg.IsValid(row) {
		a.addTo(&a.run[gid], a.key(arg, row), 1)
	}
}

func (a *accumDistinct[T]) resetGroups(gids []uint32) {
	for _, g := range gids {
		a.drop(a.run[g])
		a.run[g] = nil
	}
}

func (a *accumDistinct[T]) evalGroups(gids []uint32) {
	for _, g := range gids {
		dsetValue(a.f, a.run[g], &a.ints, &a.floats)
	}
}

func (a *accumDistinct[T]) evalCells(cells []uint32) {
	for _, c := range cells {
		dsetValue(a.f, a.cell[c], &a.ints, &a.floats)
	}
}

func (a *accumDistinct[T]) evalEmpty() { dsetValue[T](a.f, nil, &a.ints, &a.floats) }

func (a *accumDistinct[T]) finish(mem memory.Allocator) arrow.Array {
	t := distinctOut(a.f)
	if a.f == Avg {
		return a.floats.build(mem, t)
	}
	return a.ints.build(mem, t)
}

func (a *accumDistinct[T]) size() int64 {
	return int64(cap(a.cell)+cap(a.run))*8 + a.entries*dsetEntryBytes + a.strLen + a.ints.bytes() + a.floats.bytes()
}

func (a *accumDistinct[T]) cellFields() []arrow.Field { return dsetFields(dsetValType[T]()) }

func (a *accumDistinct[T]) cellState(mem memory.Allocator, cells []uint32) []arrow.Array {
	return dsetState(mem, a.cell, cells)
}

func (a *accumDistinct[T]) mergeCells(cells []uint32, state []arrow.Array) error {
	return dsetMerge(state, cells, func(c uint32, v T, n int64) { a.addTo(&a.cell[c], v, n) })
}
