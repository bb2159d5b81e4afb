package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// gaccCount is COUNT(*) (star) or COUNT(x): a count per group.
type gaccCount struct {
	star bool
	n    []int64
}

func (a *gaccCount) add(groups []uint32, values arrow.Array, d int64) error {
	a.n = accumGrow(a.n, gaccMaxGroup(groups))
	if a.star || (values != nil && values.NullN() == 0) {
		n := a.n
		for _, g := range groups {
			if g != NoGroup {
				n[g] += d
			}
		}
		return nil
	}
	for i, g := range groups {
		if g == NoGroup {
			continue
		}
		if !a.star && (values == nil || values.IsNull(i)) {
			continue
		}
		a.n[g] += d
	}
	return nil
}

// filteredUpdater is implemented by accumulators that fold in only the
// rows a FILTER (WHERE ...) column keeps, without a masked copy of the
// groups (aggFilterMask). UpdateWhere reports false, having done nothing,
// when it cannot read the filter column; the caller then masks.
type filteredUpdater interface {
	UpdateWhere(groups []uint32, values, filter arrow.Array) (bool, error)
}

// UpdateWhere implements filteredUpdater: a row counts when its filter
// is TRUE.
func (a *gaccCount) UpdateWhere(groups []uint32, values, filter arrow.Array) (bool, error) {
	f, ok := readFilter(filter)
	if !ok || filter.Len() < len(groups) {
		return false, nil
	}
	a.n = accumGrow(a.n, gaccMaxGroup(groups))
	vnulls := !a.star && (values == nil || values.NullN() > 0)
	for i, g := range groups {
		if g == NoGroup || !f.keeps(i) {
			continue
		}
		if vnulls && (values == nil || values.IsNull(i)) {
			continue
		}
		a.n[g]++
	}
	return true, nil
}

// Update implements GroupsAccumulator.
func (a *gaccCount) Update(groups []uint32, values arrow.Array) error {
	return a.add(groups, values, 1)
}

// Retract implements GroupsAccumulator.
func (a *gaccCount) Retract(groups []uint32, values arrow.Array) error {
	return a.add(groups, values, -1)
}

// Evaluate implements GroupsAccumulator.
func (a *gaccCount) Evaluate(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for _, g := range groups {
		if int(g) < len(a.n) {
			b.Append(a.n[g])
		} else {
			b.Append(0)
		}
	}
	return b.NewArray(), nil
}

// State implements GroupsAccumulator: one Int64 column, the count.
func (a *gaccCount) State(mem memory.Allocator, groups []uint32) ([]arrow.Array, error) {
	c, err := a.Evaluate(mem, groups)
	if err != nil {
		return nil, err
	}
	return []arrow.Array{c}, nil
}

// Merge implements GroupsAccumulator.
func (a *gaccCount) Merge(groups []uint32, state []arrow.Array) error {
	if err := gaccCheckState("COUNT", groups, state, 1); err != nil {
		return err
	}
	c, ok := state[0].(*array.Int64)
	if !ok {
		return fmt.Errorf("COUNT state: column is %s, not BIGINT", state[0].DataType())
	}
	a.n = accumGrow(a.n, gaccMaxGroup(groups))
	for i, g := range groups {
		if g != NoGroup {
			a.n[g] += c.Value(i)
		}
	}
	return nil
}

// Reset implements GroupsAccumulator.
func (a *gaccCount) Reset(groups []uint32) {
	for _, g := range groups {
		if int(g) < len(a.n) {
			a.n[g] = 0
		}
	}
}

// Size implements GroupsAccumulator.
func (a *gaccCount) Size() int64 { return int64(cap(a.n)) * 8 }
