package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// GroupsAccumulator is the state of one aggregate over many groups, the
// seam every aggregating operator shares (windowed panes, unwindowed
// updating aggregates, partial/final aggregation across workers, joins),
// in the shape of DataFusion's GroupsAccumulator.
//
// Groups are dense ids chosen by the operator (vector.GroupTable gives
// them); the accumulator only sizes its arrays to the largest id seen.
// Values arrays have one row per entry of groups; values is nil for
// COUNT(*). Rows whose group is NoGroup are skipped.
type GroupsAccumulator interface {
	// Update folds values[i] into group groups[i].
	Update(groups []uint32, values arrow.Array) error
	// Retract takes values[i] back out of group groups[i]: the value was
	// folded in by an earlier Update (a -U or -D row of an updating input).
	// MIN and MAX keep every value's count per group, so a retracted
	// extreme is replaced by the next one.
	Retract(groups []uint32, values arrow.Array) error
	// Evaluate returns the current value of each of groups, without
	// consuming state: it may be called again after more updates.
	Evaluate(mem memory.Allocator, groups []uint32) (arrow.Array, error)
	// State exports the partial state of each of groups as Arrow arrays
	// (one row per group; the columns are the accumulator's own), for
	// checkpoints and for merging partial aggregates.
	State(mem memory.Allocator, groups []uint32) ([]arrow.Array, error)
	// Merge folds partial states exported by State (of the same kind of
	// accumulator) into groups: row i of state into groups[i].
	Merge(groups []uint32, state []arrow.Array) error
	// Reset empties groups, to be reused for new keys.
	Reset(groups []uint32)
	// Size is the state's approximate size in bytes.
	Size() int64
}

// NoGroup in a groups slice marks a row to skip.
const NoGroup = ^uint32(0)
