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

// Node is a node of a logical plan. Every plan is a chain: one input per
// node, a Scan at the bottom.
type Node interface {
	// Schema is the node's output schema.
	Schema() *arrow.Schema
	// Input is the node below, nil for a Scan.
	Input() Node
	// Describe renders the node on one line for EXPLAIN.
	Describe() string
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
	// Updating makes the aggregate emit its changes every micro-batch as
	// a changelog (exec.UpdatingAgg; its schema ends with the op column)
	// instead of each window once, or its result at end of input.
	Updating bool
	// Having, for an updating aggregate, is HAVING bound over its output
	// (keys, then aggregates), applied inside it so that a group that
	// stops qualifying is deleted.
	Having vector.Expr
	schema *arrow.Schema
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
func (s *Scan) Schema() *arrow.Schema { return s.Table.Schema }

// Input implements Node.
func (s *Scan) Input() Node { return nil }

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

// Input implements Node.
func (f *Filter) Input() Node { return f.In }

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

// Input implements Node.
func (p *Project) Input() Node { return p.In }

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

// Input implements Node.
func (u *Unnest) Input() Node { return u.In }

// Describe implements Node.
func (u *Unnest) Describe() string {
	return fmt.Sprintf("Unnest %s split on %q", u.In.Schema().Field(u.Col).Name, u.Sep)
}

// Schema implements Node.
func (a *Aggregate) Schema() *arrow.Schema { return a.schema }

// Input implements Node.
func (a *Aggregate) Input() Node { return a.In }

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

// Input implements Node.
func (s *Sort) Input() Node { return s.In }

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

// Input implements Node.
func (l *Limit) Input() Node { return l.In }

// Describe implements Node.
func (l *Limit) Describe() string {
	if l.PerEmission {
		return fmt.Sprintf("Limit %d per emission", l.N)
	}
	return fmt.Sprintf("Limit %d", l.N)
}

// Tree renders a plan as an indented tree, root first.
func Tree(n Node) string {
	var b strings.Builder
	for depth := 0; n != nil; depth, n = depth+1, n.Input() {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(n.Describe())
		b.WriteByte('\n')
	}
	return b.String()
}

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
