package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// A rule rewrites a logical plan into an equivalent one. Rules run in
// order, once each; after every rule the plan's output schema must be
// unchanged.
type rule struct {
	name  string
	apply func(root Node, env ruleEnv) Node
}

// ruleEnv is what rules may consult besides the plan.
type ruleEnv struct {
	// reg says what the sources of the scanned tables can take.
	reg *connectors.Registry
}

// rules is the rewrite pipeline, in order.
var rules = []rule{
	{"eliminate_identity_projection", eliminateIdentityProjections},
	{"merge_column_projections", mergeColumnProjections},
	{"push_contains_to_source", pushContainsToSource},
	{"fuse_split_count", fuseSplitCount},
	{"share_identical_subplans", shareIdenticalSubplans},
}

// optimize runs every rule over root. A rule that changes the plan's
// schema is a bug in the planner; the query is refused with an error
// saying so.
func optimize(root Node, env ruleEnv) (Node, error) {
	for _, r := range rules {
		before := root.Schema()
		next := r.apply(root, env)
		if after := next.Schema(); !after.Equal(before) {
			return nil, fmt.Errorf("internal error: planner rule %s changed the query's columns from (%s) to (%s)", r.name, schemaColumns(before), schemaColumns(after))
		}
		root = next
	}
	return root, nil
}

// schemaColumns renders a schema as "name TYPE, ...".
func schemaColumns(s *arrow.Schema) string {
	cols := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		cols[i] = f.Name + " " + vector.TypeName(f.Type)
	}
	return strings.Join(cols, ", ")
}

// eliminateIdentityProjections drops projections that pass their input
// through unchanged, such as the one before an aggregation whose keys are
// the input's columns in order. The root keeps its projection when it
// renames columns, since the names are the query's output.
func eliminateIdentityProjections(root Node, _ ruleEnv) Node {
	done := map[Node]Node{} // a node with several parents is rewritten once
	var walk func(n Node, isRoot bool) Node
	walk = func(n Node, isRoot bool) Node {
		if r, ok := done[n]; ok {
			return r
		}
		out := n
		switch n := n.(type) {
		case *Project:
			n.In = walk(n.In, false)
			if isIdentity(n, isRoot) {
				out = n.In
			}
		case *Filter:
			n.In = walk(n.In, false)
		case *Unnest:
			n.In = walk(n.In, isRoot) // an Unnest's names are its input's
		case *Aggregate:
			n.In = walk(n.In, false)
		case *Sort:
			n.In = walk(n.In, isRoot)
		case *Limit:
			n.In = walk(n.In, isRoot)
		case *WindowAssign:
			n.In = walk(n.In, isRoot) // its names are its input's and three more
		case *Union:
			for i, in := range n.Ins {
				n.Ins[i] = walk(in, isRoot) // names come from the first input
			}
		}
		done[n] = out
		return out
	}
	return walk(root, true)
}

// mergeColumnProjections folds a projection that only picks columns (a
// query reading some columns of a view or CTE) into the projection below
// it, when that one has no other parent: one operator instead of two.
func mergeColumnProjections(root Node, _ ruleEnv) Node {
	parents := map[Node]int{}
	countParents(root, parents, map[Node]bool{})
	done := map[Node]Node{}
	var walk func(n Node) Node
	walk = func(n Node) Node {
		if r, ok := done[n]; ok {
			return r
		}
		out := n
		switch n := n.(type) {
		case *Project:
			n.In = walk(n.In)
			if inner, ok := n.In.(*Project); ok && parents[inner] == 1 {
				if exprs, ok := pickColumns(n.Exprs, inner.Exprs); ok {
					// The same columns (an updating query's op column too).
					out = &Project{In: inner.In, Exprs: exprs, Names: n.Names, schema: n.Schema()}
				}
			}
		case *Filter:
			n.In = walk(n.In)
		case *Unnest:
			n.In = walk(n.In)
		case *Aggregate:
			n.In = walk(n.In)
		case *Sort:
			n.In = walk(n.In)
		case *Limit:
			n.In = walk(n.In)
		case *WindowAssign:
			n.In = walk(n.In)
		case *Union:
			for i, in := range n.Ins {
				n.Ins[i] = walk(in)
			}
		}
		done[n] = out
		return out
	}
	return walk(root)
}

// pickColumns returns, when every expression of outer is a reference to
// a column of inner's output, inner's expressions for them.
func pickColumns(outer, inner []vector.Expr) ([]vector.Expr, bool) {
	out := make([]vector.Expr, len(outer))
	for i, e := range outer {
		j, ok := vector.IsColumnRef(e)
		if !ok || j >= len(inner) || !arrow.TypeEqual(e.Type(), inner[j].Type()) {
			return nil, false
		}
		out[i] = inner[j]
	}
	return out, true
}

func isIdentity(p *Project, keepNames bool) bool {
	in := p.In.Schema()
	if len(p.Exprs) != in.NumFields() {
		return false
	}
	for i, e := range p.Exprs {
		j, ok := vector.IsColumnRef(e)
		if !ok || j != i || !arrow.TypeEqual(e.Type(), in.Field(i).Type) {
			return false
		}
		if keepNames && p.Names[i] != in.Field(i).Name {
			return false
		}
	}
	return true
}

// pushContainsToSource offers a LIKE '%text%' filter right above the scan
// of a one-column table to the table's source, which may skip the rows
// without the text before decoding them (a text file's decoder searches
// its input as a whole). The source's connector says whether it can take
// it (connectors.Registry.Contains). The Filter stays in every case: the
// hint may be one term of an AND, and running a filter again over rows
// that pass it is correct.
func pushContainsToSource(root Node, env ruleEnv) Node {
	if env.reg == nil {
		return root
	}
	parents := map[Node]int{}
	countParents(root, parents, map[Node]bool{})
	walkDAG(root, func(n Node) {
		f, ok := n.(*Filter)
		if !ok {
			return
		}
		scan, ok := f.In.(*Scan)
		// A scan read by another branch too must give it every row.
		if !ok || parents[scan] != 1 || scan.Table.Schema.NumFields() != 1 {
			return
		}
		col, lit, ok := vector.ContainsLiteral(f.Pred)
		if !ok || col != 0 {
			return
		}
		support := env.reg.Contains(scan.Table.Options)
		if support == connectors.PushdownUnsupported {
			return
		}
		scan.Contains, scan.ContainsSupport = lit, support
	})
	return root
}
