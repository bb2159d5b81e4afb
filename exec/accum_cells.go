package exec

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// accumCells is the cell level of a pane accumulator seen through the
// GroupsAccumulator seam: its cells are the groups. It serves what panes
// share with every aggregating operator (update by id, evaluate without
// consuming, export and merge state, size), e.g. to merge the partials of
// panes aggregated elsewhere. Pane partials are append-only, so Retract is
// an error: a window takes back whole panes at its group level (merge and
// retract of accumulator), never rows from a cell.
type accumCells struct {
	a       accumulator
	argType arrow.DataType // nil for COUNT(*)
	n       int            // cell ids below n are valid
}

var _ GroupsAccumulator = (*accumCells)(nil)

// newAccumCells returns the cell level of the pane accumulator of spec
// over an argument of type argType (nil for COUNT(*)).
func newAccumCells(spec AggSpec, argType arrow.DataType) (*accumCells, error) {
	a, err := newAccumulator(spec, argType)
	if err != nil {
		return nil, err
	}
	if spec.Func == CountStar {
		argType = nil
	}
	return &accumCells{a: a, argType: argType}, nil
}

// grow makes the ids of groups valid; NoGroup is allowed only if skip.
func (c *accumCells) grow(groups []uint32, skip bool) error {
	top := -1
	for _, g := range groups {
		if g == NoGroup {
			if !skip {
				return errors.New("pane cells: NoGroup where a group is needed")
			}
			continue
		}
		top = max(top, int(g))
	}
	if top >= c.n {
		c.n = max(top+1, 2*c.n)
		c.a.growCells(c.n)
	}
	return nil
}

// check checks values against the argument type and the groups.
func (c *accumCells) check(groups []uint32, values arrow.Array) error {
	if c.argType == nil {
		return nil
	}
	switch {
	case values == nil:
		return errors.New("pane cells: no values")
	case !arrow.TypeEqual(values.DataType(), c.argType):
		return fmt.Errorf("pane cells: values of type %s, want %s", vector.TypeName(values.DataType()), vector.TypeName(c.argType))
	case values.Len() != len(groups):
		return fmt.Errorf("pane cells: %d values for %d groups", values.Len(), len(groups))
	}
	return nil
}

// Update folds values[i] into cell groups[i].
func (c *accumCells) Update(groups []uint32, values arrow.Array) error {
	if err := c.check(groups, values); err != nil {
		return err
	}
	if err := c.grow(groups, true); err != nil {
		return err
	}
	c.a.update(groups, values)
	return nil
}

// Retract is an error: pane partials are append-only.
func (c *accumCells) Retract([]uint32, arrow.Array) error {
	return errors.New("pane cells cannot retract rows: a window retracts whole panes from its running values")
}

// Evaluate returns the partial aggregate of each of groups.
func (c *accumCells) Evaluate(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	if err := c.grow(groups, false); err != nil {
		return nil, err
	}
	c.a.evalCells(groups)
	return c.a.finish(mem), nil
}

// State exports the partials of groups, the columns of cellFields.
func (c *accumCells) State(mem memory.Allocator, groups []uint32) ([]arrow.Array, error) {
	if err := c.grow(groups, false); err != nil {
		return nil, err
	}
	return c.a.cellState(mem, groups), nil
}

// Merge folds partials exported by State into groups.
func (c *accumCells) Merge(groups []uint32, state []arrow.Array) error {
	if err := c.grow(groups, true); err != nil {
		return err
	}
	return c.a.mergeCells(groups, state)
}

// Reset empties groups.
func (c *accumCells) Reset(groups []uint32) {
	var live []uint32
	for _, g := range groups {
		if g != NoGroup && int(g) < c.n {
			live = append(live, g)
		}
	}
	c.a.resetCells(live)
}

// Size is the accumulator's approximate size in bytes.
func (c *accumCells) Size() int64 { return c.a.size() }
