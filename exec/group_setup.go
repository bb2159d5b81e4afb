package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// groupKeys checks the GROUP BY key columns of an aggregating operator
// (what names it in errors) over input: one name each, in range, none the
// column skip (the op column; -1 for none). It returns the keys' output
// fields, named names, and their types.
func groupKeys(what string, input *arrow.Schema, keys []int, names []string, skip int) ([]arrow.Field, []arrow.DataType, error) {
	if len(names) != len(keys) {
		return nil, nil, fmt.Errorf("%s: %d keys but %d key names", what, len(keys), len(names))
	}
	fields := make([]arrow.Field, len(keys))
	types := make([]arrow.DataType, len(keys))
	for i, k := range keys {
		if k < 0 || k >= input.NumFields() || k == skip {
			return nil, nil, fmt.Errorf("%s: key column %d out of range", what, k)
		}
		types[i] = input.Field(k).Type
		fields[i] = arrow.Field{Name: names[i], Type: types[i], Nullable: true}
	}
	return fields, types, nil
}

// appendOnlyAccumulator is implemented by accumulators that keep less
// state when nothing is retracted (MIN and MAX: the extreme alone).
type appendOnlyAccumulator interface {
	setAppendOnly()
}

// groupAccumulators builds one GroupsAccumulator per aggregate over input,
// after checking its argument and FILTER columns (neither may be skip,
// the op column; -1 for none), and returns them with their output fields.
func groupAccumulators(input *arrow.Schema, aggs []AggSpec, skip int) ([]GroupsAccumulator, []arrow.Field, error) {
	accs := make([]GroupsAccumulator, 0, len(aggs))
	fields := make([]arrow.Field, 0, len(aggs))
	for _, a := range aggs {
		var argType arrow.DataType
		if a.Func != CountStar {
			if a.Arg < 0 || a.Arg >= input.NumFields() || a.Arg == skip {
				return nil, nil, fmt.Errorf("%s(%s): argument column %d out of range", a.Func, a.Name, a.Arg)
			}
			argType = input.Field(a.Arg).Type
		}
		if err := aggCheckFilter(a, input, skip); err != nil {
			return nil, nil, err
		}
		acc, err := NewGroupsAccumulator(a, argType)
		if err != nil {
			return nil, nil, err
		}
		if ao, ok := acc.(appendOnlyAccumulator); ok && skip < 0 {
			ao.setAppendOnly() // no op column: nothing is ever retracted
		}
		accs = append(accs, acc)
		fields = append(fields, arrow.Field{Name: a.Name, Type: GroupsAccumulatorType(a, argType), Nullable: true})
	}
	return accs, fields, nil
}
