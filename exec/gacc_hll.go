package exec

import (
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// gaccHLL is APPROX_COUNT_DISTINCT(x) of an UpdatingAgg: a HyperLogLog
// sketch per group (hll.go). It takes rows in but not back: over an
// updating input Retract is an error (the planner refuses the query
// before it runs).
type gaccHLL struct {
	hash     func(arrow.Array, int) uint64
	sketches []*hll
	out      accumOut[int64]
	bytes    int64
}

// newGaccHLL returns the APPROX_COUNT_DISTINCT GroupsAccumulator.
func newGaccHLL(argType arrow.DataType) (GroupsAccumulator, error) {
	h, err := hllHasher(argType)
	if err != nil {
		return nil, err
	}
	return &gaccHLL{hash: h}, nil
}

func (a *gaccHLL) at(g uint32) *hll {
	h := a.sketches[g]
	if h == nil {
		h = &hll{}
		a.sketches[g] = h
	}
	return h
}

// Update implements GroupsAccumulator.
func (a *gaccHLL) Update(groups []uint32, values arrow.Array) error {
	a.sketches = accumGrow(a.sketches, gaccMaxGroup(groups))
	for i, g := range groups {
		if g == NoGroup || !values.IsValid(i) {
			continue
		}
		h := a.at(g)
		before := h.bytes()
		h.addHash(a.hash(values, i))
		a.bytes += h.bytes() - before
	}
	return nil
}

// errHLLRetract is the error of taking a row out of a sketch.
var errHLLRetract = errors.New("APPROX_COUNT_DISTINCT cannot take back rows of an updating input; use COUNT(DISTINCT ...)")

// Retract implements GroupsAccumulator: an error if any row is retracted.
func (a *gaccHLL) Retract(groups []uint32, _ arrow.Array) error {
	for _, g := range groups {
		if g != NoGroup {
			return errHLLRetract
		}
	}
	return nil
}

// Evaluate implements GroupsAccumulator.
func (a *gaccHLL) Evaluate(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	for _, g := range groups {
		var h *hll
		if int(g) < len(a.sketches) {
			h = a.sketches[g]
		}
		a.out.add(h.estimate(), true)
	}
	return a.out.build(mem, vector.Int64), nil
}

// State implements GroupsAccumulator: one binary column of sketches.
func (a *gaccHLL) State(mem memory.Allocator, groups []uint32) ([]arrow.Array, error) {
	return hllState(mem, a.sketches, groups), nil
}

// Merge implements GroupsAccumulator.
func (a *gaccHLL) Merge(groups []uint32, state []arrow.Array) error {
	a.sketches = accumGrow(a.sketches, gaccMaxGroup(groups))
	err := hllMerge(state, groups, a.at)
	a.bytes = 0
	for _, h := range a.sketches {
		if h != nil {
			a.bytes += h.bytes()
		}
	}
	return err
}

// Reset implements GroupsAccumulator.
func (a *gaccHLL) Reset(groups []uint32) {
	for _, g := range groups {
		if int(g) < len(a.sketches) && a.sketches[g] != nil {
			a.bytes -= a.sketches[g].bytes()
			a.sketches[g] = nil
		}
	}
}

// Size implements GroupsAccumulator.
func (a *gaccHLL) Size() int64 { return int64(cap(a.sketches))*8 + a.bytes }
