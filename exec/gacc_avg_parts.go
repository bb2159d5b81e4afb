package exec

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// AVG of BIGINT in two phases (see combine): the partial aggregation's
// avgState gives, per key, the exact state of the average (the 128-bit
// sum and the count) as one STRUCT column, and the final aggregation's
// avgMerge folds those states in, so that the average is the one a
// single phase computes, bit for bit.
const (
	avgState AggFunc = -1 - iota // partial AVG of BIGINT: STRUCT<hi, lo, n>
	avgMerge                     // final AVG over avgState rows: DOUBLE
)

// avgStateType is the type of avgState's column.
var avgStateType = arrow.StructOf(
	arrow.Field{Name: "hi", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "lo", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int64},
)

// gaccAvgState is avgState: AVG's running state, evaluated as the state.
type gaccAvgState struct{ gaccSumInt }

// Evaluate implements GroupsAccumulator: the state of each group.
func (a *gaccAvgState) Evaluate(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	st, err := a.State(mem, groups)
	if err != nil {
		return nil, err
	}
	defer releaseAll(st)
	return array.NewStructArrayWithFields(st, avgStateType.Fields())
}

// Retract implements GroupsAccumulator: a partial aggregation's input is
// never retracted.
func (a *gaccAvgState) Retract([]uint32, arrow.Array) error {
	return errors.New("AVG: a partial aggregation cannot retract")
}

// gaccAvgMerge is avgMerge: AVG whose input rows are avgState's states.
type gaccAvgMerge struct{ gaccSumInt }

// Update implements GroupsAccumulator: it merges the states of values,
// avgState's STRUCT column.
func (a *gaccAvgMerge) Update(groups []uint32, values arrow.Array) error {
	s, ok := values.(*array.Struct)
	if !ok || s.NumField() != 3 {
		return fmt.Errorf("AVG: the partial states are %s, not %s", values.DataType(), avgStateType)
	}
	// The fields are sliced as s is.
	return a.Merge(groups, []arrow.Array{s.Field(0), s.Field(1), s.Field(2)})
}

// Retract implements GroupsAccumulator: partial states are never
// retracted.
func (a *gaccAvgMerge) Retract([]uint32, arrow.Array) error {
	return errors.New("AVG: partial states cannot be retracted")
}
