package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/vector"
)

// Node is a node of a logical plan. A plan is a DAG: a node has any
// number of children (none for a Scan, several for a Union), and a node
// used twice in one query (a view or table read by two branches) is one
// node with two parents, lowered once.
type Node interface {
	// Schema is the node's output schema.
	Schema() *arrow.Schema
	// Children are the nodes below, in input order; none for a Scan.
	Children() []Node
	// Describe renders the node on one line for EXPLAIN.
	Describe() string
	// Updating reports whether the node's output is a changelog (rows
	// may be retracted or updated) rather than append-only. Most nodes
	// are updating when any child is.
	Updating() bool
}

// statefulNode is implemented by nodes whose operator keeps state across
// batches (and so is checkpointed); EXPLAIN marks them.
type statefulNode interface {
	Node
	Stateful() bool
}

// isStateful reports whether n's operator keeps state.
func isStateful(n Node) bool {
	s, ok := n.(statefulNode)
	return ok && s.Stateful()
}

// input is the only child of a single-input node, nil for a Scan.
func input(n Node) Node {
	if c := n.Children(); len(c) == 1 {
		return c[0]
	}
	return nil
}

// anyUpdating reports whether any of nodes is updating.
func anyUpdating(nodes []Node) bool {
	for _, n := range nodes {
		if n.Updating() {
			return true
		}
	}
	return false
}

// Scan reads a registered stream.
type Scan struct {
	Table *catalog.Table
	// Contains, when set, is handed to the source (SourceSpec.Contains):
	// the filter above keeps only rows whose one column contains it, and
	// ContainsSupport says how the source takes it.
	Contains        string
	ContainsSupport connectors.Pushdown
}

// Filter keeps rows for which Pred is true.
type Filter struct {
	In   Node
	Pred vector.Expr
}

// Project computes Exprs, naming them Names.
type Project struct {
	In     Node
	Exprs  []vector.Expr
	Names  []string
	schema *arrow.Schema
}

// Unnest splits column Col of its input on Sep, one row per piece.
type Unnest struct {
	In  Node
	Col int
	Sep string
}

// Aggregate groups its input (whose columns are, in order: the window's
// time column if windowed, the keys, the aggregate arguments) and
// aggregates per group and window.
type Aggregate struct {
	In       Node
	Keys     []int
	KeyNames []string
	Aggs     []exec.AggSpec
	Window   exec.WindowSpec
	// Changelog makes the aggregate emit its changes every micro-batch as
	// a changelog (exec.UpdatingAgg; its schema ends with the op column)
	// instead of each window once, or its result at end of input.
	Changelog bool
	// Having, for an updating aggregate, is HAVING bound over its output
	// (keys, then aggregates), applied inside it so that a group that
	// stops qualifying is deleted.
	Having vector.Expr
	// WindowEndKey, if positive, makes an unwindowed aggregate emit each
	// group once when the watermark passes its window end: key
	// WindowEndKey-1, the window_end of a window table-valued function
	// (exec.WindowCloseAgg).
	WindowEndKey int
	schema       *arrow.Schema
}

// Sort orders the rows of each emission (each watermark advance).
type Sort struct {
	In   Node
	Keys []exec.SortKey
}

// Limit passes on the first N rows. Over a windowed query it is per
// emission (the rows of the windows closed together), as a Sort is;
// otherwise it ends the query once N rows are out.
type Limit struct {
	In          Node
	N           int64
	PerEmission bool
}

// Schema implements Node.
func (s *Scan) Schema() *arrow.Schema { return scanSchema(s.Table) }

// Children implements Node: a Scan has none.
func (s *Scan) Children() []Node { return nil }

// Updating implements Node: tables are append-only streams, except
// changelog tables (format 'debezium-json'; see changelogTable).
func (s *Scan) Updating() bool { return changelogTable(s.Table) }

// Describe implements Node.
func (s *Scan) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Scan %s [%s]", s.Table.Name, strings.Join(fieldNames(s.Table.Schema), ", "))
	if w := s.Table.Watermark; w != nil {
		fmt.Fprintf(&b, " watermark %s - %s", w.Column, w.Delay)
	}
	if p := s.pushed(); p != "" {
		fmt.Fprintf(&b, " (pushed: %s)", p)
	}
	return b.String()
}

// pushed renders the filter handed to the source, "" if none.
func (s *Scan) pushed() string {
	if s.Contains == "" {
		return ""
	}
	lit := "'%" + strings.ReplaceAll(s.Contains, "'", "''") + "%'"
	return fmt.Sprintf("%s LIKE %s, %s", s.Table.Schema.Field(0).Name, lit, s.ContainsSupport)
}

// Schema implements Node.
func (f *Filter) Schema() *arrow.Schema { return f.In.Schema() }

// Children implements Node.
func (f *Filter) Children() []Node { return []Node{f.In} }

// Updating implements Node.
func (f *Filter) Updating() bool { return f.In.Updating() }

// Describe implements Node.
func (f *Filter) Describe() string {
	return "Filter " + render(f.Pred, f.In.Schema())
}

// Schema implements Node.
func (p *Project) Schema() *arrow.Schema {
	if p.schema == nil {
		fields := make([]arrow.Field, len(p.Exprs))
		for i, e := range p.Exprs {
			fields[i] = arrow.Field{Name: p.Names[i], Type: e.Type(), Nullable: true}
		}
		p.schema = arrow.NewSchema(fields, nil)
	}
	return p.schema
}

// Children implements Node.
func (p *Project) Children() []Node { return []Node{p.In} }

// Updating implements Node.
func (p *Project) Updating() bool { return p.In.Updating() }

// Describe implements Node.
func (p *Project) Describe() string {
	items := make([]string, len(p.Exprs))
	for i, e := range p.Exprs {
		r := render(e, p.In.Schema())
		if r == p.Names[i] {
			items[i] = r
		} else {
			items[i] = fmt.Sprintf("%s := %s", p.Names[i], r)
		}
	}
	return "Project [" + strings.Join(items, ", ") + "]"
}

// Schema implements Node.
func (u *Unnest) Schema() *arrow.Schema { return u.In.Schema() }

// Children implements Node.
func (u *Unnest) Children() []Node { return []Node{u.In} }

// Updating implements Node.
func (u *Unnest) Updating() bool { return u.In.Updating() }

// Describe implements Node.
func (u *Unnest) Describe() string {
	return fmt.Sprintf("Unnest %s split on %q", u.In.Schema().Field(u.Col).Name, u.Sep)
}

// Schema implements Node.
func (a *Aggregate) Schema() *arrow.Schema { return a.schema }

// Children implements Node.
func (a *Aggregate) Children() []Node { return []Node{a.In} }

// Updating implements Node.
func (a *Aggregate) Updating() bool { return a.Changelog }

// Describe implements Node.
func (a *Aggregate) Describe() string {
	in := a.In.Schema()
	keys := a.KeyNames
	var b strings.Builder
	switch a.Window.Kind {
	case exec.Tumble:
		fmt.Fprintf(&b, "WindowAggregate TUMBLE(%s, %s) ", in.Field(a.Window.TimeCol).Name, ms(a.Window.Size))
	case exec.Hop:
		fmt.Fprintf(&b, "WindowAggregate HOP(%s, %s, %s) ", in.Field(a.Window.TimeCol).Name, ms(a.Window.Slide), ms(a.Window.Size))
	case exec.Session:
		fmt.Fprintf(&b, "WindowAggregate SESSION(%s, %s) ", in.Field(a.Window.TimeCol).Name, ms(a.Window.Size))
	case exec.Cumulate:
		fmt.Fprintf(&b, "WindowAggregate CUMULATE(%s, %s, %s) ", in.Field(a.Window.TimeCol).Name, ms(a.Window.Slide), ms(a.Window.Size))
	default:
		b.WriteString("Aggregate ")
	}
	aggs := make([]string, len(a.Aggs))
	for i, s := range a.Aggs {
		aggs[i] = s.Name
	}
	fmt.Fprintf(&b, "keys=[%s] aggs=[%s]", strings.Join(keys, ", "), strings.Join(aggs, ", "))
	return b.String()
}

// Schema implements Node.
func (s *Sort) Schema() *arrow.Schema { return s.In.Schema() }

// Children implements Node.
func (s *Sort) Children() []Node { return []Node{s.In} }

// Updating implements Node.
func (s *Sort) Updating() bool { return s.In.Updating() }

// Describe implements Node.
func (s *Sort) Describe() string {
	in := s.In.Schema()
	items := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		items[i] = in.Field(k.Col).Name
		if k.Desc {
			items[i] += " DESC"
		}
	}
	return "Sort per emission [" + strings.Join(items, ", ") + "]"
}

// Schema implements Node.
func (l *Limit) Schema() *arrow.Schema { return l.In.Schema() }

// Children implements Node.
func (l *Limit) Children() []Node { return []Node{l.In} }

// Updating implements Node.
func (l *Limit) Updating() bool { return l.In.Updating() }

// Describe implements Node.
func (l *Limit) Describe() string {
	if l.PerEmission {
		return fmt.Sprintf("Limit %d per emission", l.N)
	}
	return fmt.Sprintf("Limit %d", l.N)
}

// Tree renders a plan as an indented tree, root first. A node with
// several parents is drawn once, numbered ("#2 Scan ..."), and referenced
// by its later parents ("(see #2)").
func Tree(n Node) string { return drawTree(n, nil) }

// drawTree renders the plan under root as Tree does, appending mark(n)
// (when mark is set) to each node's line.
func drawTree(root Node, mark func(Node) string) string {
	parents := map[Node]int{}
	countParents(root, parents, map[Node]bool{})
	ids := map[Node]int{}
	var b strings.Builder
	var walk func(n Node, depth int)
	walk = func(n Node, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		if parents[n] > 1 {
			if id, ok := ids[n]; ok {
				fmt.Fprintf(&b, "(see #%d)\n", id)
				return
			}
			ids[n] = len(ids) + 1
			fmt.Fprintf(&b, "#%d ", ids[n])
		}
		b.WriteString(n.Describe())
		if mark != nil {
			b.WriteString(mark(n))
		}
		b.WriteByte('\n')
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	return b.String()
}

// countParents counts, for every node under n, the edges into it.
func countParents(n Node, parents map[Node]int, seen map[Node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	for _, c := range n.Children() {
		parents[c]++
		countParents(c, parents, seen)
	}
}

// walkDAG calls f once for every node under root (root included),
// children before parents.
func walkDAG(root Node, f func(Node)) {
	seen := map[Node]bool{}
	var walk func(n Node)
	walk = func(n Node) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, c := range n.Children() {
			walk(c)
		}
		f(n)
	}
	walk(root)
}

// Stateful implements statefulNode: an aggregate keeps its groups.
func (a *Aggregate) Stateful() bool { return true }

// Stateful implements statefulNode: a sort keeps the rows of an emission.
func (s *Sort) Stateful() bool { return true }

// Stateful implements statefulNode: a limit counts the rows it passed.
func (l *Limit) Stateful() bool { return true }

// render shows e with column references by name rather than position.
func render(e vector.Expr, _ *arrow.Schema) string { return e.String() }

func fieldNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

func ms(v int64) string { return (time.Duration(v) * time.Millisecond).String() }
