package planner

import (
	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/vector"
)

// sinkKey returns the columns, by the names the sink is given (the
// query's output names), that identify a row of the result written into
// the sink table into: the table's PRIMARY KEY, matched to the output by
// position as INSERT matches columns, or else the query's own key
// (resultKey); nil when neither is known.
func sinkKey(into *catalog.Table, plan Node) []string {
	out := vector.WithoutOpColumn(plan.Schema())
	if len(into.PrimaryKey) > 0 {
		key := make([]string, 0, len(into.PrimaryKey))
		for _, k := range into.PrimaryKey {
			i := into.Schema.FieldIndices(k)
			if len(i) == 0 || i[0] >= out.NumFields() {
				return into.PrimaryKey
			}
			key = append(key, out.Field(i[0]).Name)
		}
		return key
	}
	cols := resultKey(plan)
	if len(cols) == 0 {
		return nil
	}
	key := make([]string, len(cols))
	for i, c := range cols {
		key[i] = out.Field(c).Name
	}
	return key
}

// resultKey returns the output columns of n that identify its rows, as
// the planner knows them: an aggregation's window bounds and GROUP BY
// keys, carried through projections that keep them, filters, sorts and
// limits. nil when n's rows have no known key.
func resultKey(n Node) []int {
	switch x := n.(type) {
	case *Aggregate:
		k := len(x.Keys)
		if x.Window.Kind != exec.NoWindow {
			k += 2
		}
		if k == 0 {
			return nil
		}
		cols := make([]int, k)
		for i := range cols {
			cols[i] = i
		}
		return cols
	case *Project:
		in := resultKey(x.In)
		if in == nil {
			return nil
		}
		cols := make([]int, 0, len(in))
		for _, c := range in {
			found := -1
			for j, e := range x.Exprs {
				if r, ok := vector.IsColumnRef(e); ok && r == c {
					found = j
					break
				}
			}
			if found < 0 {
				return nil // a key column is dropped or computed over
			}
			cols = append(cols, found)
		}
		return cols
	case *Filter:
		return resultKey(x.In)
	case *Sort:
		return resultKey(x.In)
	case *Limit:
		return resultKey(x.In)
	}
	return nil
}
