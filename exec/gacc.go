package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/vector"
)

// NewGroupsAccumulator returns the GroupsAccumulator of spec over an
// argument of type argType (nil for COUNT(*)): COUNT(*), COUNT(x), SUM and
// AVG of BIGINT (exact, 128-bit for AVG) or DOUBLE (compensated sum), MIN
// and MAX of BIGINT, DOUBLE, VARCHAR, TIMESTAMP and BOOLEAN. Every one
// retracts: COUNT, SUM and AVG by subtraction, MIN and MAX by keeping a
// count per distinct value of each group. COUNT, SUM and AVG with
// Distinct keep a count per distinct value per group (gacc_distinct.go).
// APPROX_COUNT_DISTINCT is a HyperLogLog sketch and does not retract.
func NewGroupsAccumulator(spec AggSpec, argType arrow.DataType) (GroupsAccumulator, error) {
	switch {
	case spec.Func == CountStar:
		return &gaccCount{star: true}, nil
	case argType == nil:
		return nil, fmt.Errorf("%s(%s) needs an argument column", spec.Func, spec.Name)
	case spec.Func == avgState && argType.ID() == arrow.INT64:
		return &gaccAvgState{gaccSumInt{avg: true}}, nil
	case spec.Func == avgMerge && arrow.TypeEqual(argType, avgStateType):
		return &gaccAvgMerge{gaccSumInt{avg: true}}, nil
	}
	if spec.Distinct && spec.Func != Min && spec.Func != Max {
		return newGaccDistinct(spec, argType)
	}
	switch id := argType.ID(); spec.Func {
	case Count:
		return &gaccCount{}, nil
	case Sum, Avg:
		switch id {
		case arrow.INT64:
			return &gaccSumInt{avg: spec.Func == Avg}, nil
		case arrow.FLOAT64, arrow.NULL:
			return &gaccSumFloat{avg: spec.Func == Avg}, nil
		}
	case ApproxCountDistinct:
		return newGaccHLL(argType)
	case Min, Max:
		isMax := spec.Func == Max
		switch id {
		case arrow.INT64, arrow.TIMESTAMP, arrow.BOOL:
			return newGaccMinMax[int64](isMax, argType), nil
		case arrow.FLOAT64:
			return newGaccMinMax[float64](isMax, argType), nil
		case arrow.STRING:
			return newGaccMinMax[string](isMax, argType), nil
		case arrow.NULL:
			return newGaccMinMax[int64](isMax, argType), nil
		}
	default:
		return nil, fmt.Errorf("unknown aggregate function %d", spec.Func)
	}
	return nil, fmt.Errorf("%s(%s): argument type %s not supported", spec.Func, spec.Name, vector.TypeName(argType))
}

// GroupsAccumulatorType is the output type of spec over an argument of type
// argType (nil for COUNT(*)).
func GroupsAccumulatorType(spec AggSpec, argType arrow.DataType) arrow.DataType {
	switch {
	case argType == nil:
		return vector.Int64
	case spec.Func == avgState:
		return avgStateType
	case spec.Func == avgMerge:
		return vector.Float64
	}
	if spec.Distinct && spec.Func != Min && spec.Func != Max {
		return distinctOut(spec.Func)
	}
	if argType.ID() == arrow.NULL && (spec.Func == Sum || spec.Func == Avg) {
		return vector.Float64
	}
	return accumOutType(spec.Func, argType)
}

// gaccMaxGroup returns one more than the largest group id in groups.
func gaccMaxGroup(groups []uint32) int {
	// NoGroup+1 wraps to 0; four running maxima, without branches.
	var a, b, c, d uint32
	i := 0
	for ; i+4 <= len(groups); i += 4 {
		g := groups[i : i+4 : i+4]
		a, b, c, d = max(a, g[0]+1), max(b, g[1]+1), max(c, g[2]+1), max(d, g[3]+1)
	}
	for _, g := range groups[i:] {
		a = max(a, g+1)
	}
	return int(max(a, b, c, d))
}

// gaccCheckState checks that state has want columns of len(groups) rows.
func gaccCheckState(kind string, groups []uint32, state []arrow.Array, want int) error {
	if len(state) != want {
		return fmt.Errorf("%s state: %d columns, want %d", kind, len(state), want)
	}
	for _, c := range state {
		if c.Len() != len(groups) {
			return fmt.Errorf("%s state: %d rows for %d groups", kind, c.Len(), len(groups))
		}
	}
	return nil
}
