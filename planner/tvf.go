package planner

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// windowTVF returns the window function call of a window table-valued
// function as the bridge rewrites it (see sql.WindowTVFPrefix), or nil if
// sel is not one.
func windowTVF(sel *ast.SelectStmt) *ast.FuncCallExpr {
	call, ok := sel.Where.(*ast.FuncCallExpr)
	if !ok || !strings.HasPrefix(call.FnName.L, sql.WindowTVFPrefix) {
		return nil
	}
	return call
}

// windowAssign plans TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size)),
// TABLE(HOP(TABLE t, DESCRIPTOR(ts), slide, size)) or
// TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), step, max size)): t's columns
// and window_start, window_end and window_time (window_end - 1 ms).
// SESSION is planned by sessionAssign.
func (p *selectPlanner) windowAssign(sel *ast.SelectStmt, call *ast.FuncCallExpr) (Node, error) {
	fn := strings.ToUpper(strings.TrimPrefix(call.FnName.L, sql.WindowTVFPrefix))
	if fn == "SESSION" {
		return p.sessionAssign(sel, call)
	}
	want, usage := 2, "TABLE(TUMBLE(TABLE t, DESCRIPTOR(time column), size))"
	switch fn {
	case "HOP":
		want, usage = 3, "TABLE(HOP(TABLE t, DESCRIPTOR(time column), slide, size))"
	case "CUMULATE":
		want, usage = 3, "TABLE(CUMULATE(TABLE t, DESCRIPTOR(time column), step, max size))"
	}
	if len(call.Args) != want {
		return nil, errAt(p.stmt, fn, "%s takes %d arguments: %s", fn, want+1, usage)
	}
	in, _, b, timeCol, err := p.tvfInput(sel, fn, usage, call.Args[0])
	if err != nil {
		return nil, err
	}
	w := exec.WindowSpec{Kind: exec.Tumble, TimeCol: timeCol}
	d1, err := b.intervalArg(fn, call.Args[1])
	if err != nil {
		return nil, err
	}
	w.Size, w.Slide = d1.Milliseconds(), d1.Milliseconds()
	if want == 3 {
		d2, err := b.intervalArg(fn, call.Args[2])
		if err != nil {
			return nil, err
		}
		w.Kind, w.Slide, w.Size = exec.Hop, d1.Milliseconds(), d2.Milliseconds()
		if fn == "CUMULATE" {
			w.Kind = exec.Cumulate
			if d2.Milliseconds()%d1.Milliseconds() != 0 {
				return nil, errAt(p.stmt, fn, "CUMULATE's max size (%s) must be a multiple of its step (%s): %s", d2, d1, usage)
			}
		} else if d1 > d2 {
			return nil, errAt(p.stmt, fn, "HOP slide (%s) is larger than its size (%s): rows between windows would be dropped; use a slide <= size (HOP(TABLE t, DESCRIPTOR(ts), slide, size))", d1, d2)
		}
	}
	return &WindowAssign{In: in, Window: w}, nil
}

// tvfInput plans the table of a window table-valued function and reads
// its DESCRIPTOR(time column) argument d: the table's plan and scope, a
// binder over it, and the time column's index.
func (p *selectPlanner) tvfInput(sel *ast.SelectStmt, fn, usage string, d ast.ExprNode) (Node, *scope, *binder, int, error) {
	in, sc, err := p.from(sel)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	dc, ok := d.(*ast.FuncCallExpr)
	var col *ast.ColumnNameExpr
	if ok && dc.FnName.L == "descriptor" && len(dc.Args) == 1 {
		col, _ = dc.Args[0].(*ast.ColumnNameExpr)
	}
	if col == nil {
		return nil, nil, nil, 0, errAt(p.stmt, fn, "%s's time column is given as DESCRIPTOR(column): %s", fn, usage)
	}
	b := p.binder(sc, fn)
	t, err := b.bind(col)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	timeCol, isCol := vector.IsColumnRef(t)
	if !isCol || t.Type().ID() != arrow.TIMESTAMP {
		return nil, nil, nil, 0, errAt(p.stmt, col.Name.Name.O, "%s needs a TIMESTAMP time column, got %s %s", fn, col.Name.Name.O, vector.TypeName(t.Type()))
	}
	for _, name := range exec.WindowAssignColumns {
		if sc.find("", name) != -1 {
			return nil, nil, nil, 0, errAt(p.stmt, fn, "%s: its input already has a column %s; rename it", fn, name)
		}
	}
	return in, sc, b, timeCol, nil
}

// tvfGroup is a GROUP BY window_start, window_end[, window_time] over a
// window table-valued function, planned as the group-window spelling
// GROUP BY TUMBLE(ts, size) / HOP(ts, slide, size): one windowed
// aggregate, emitting each window once when it closes.
type tvfGroup struct {
	window    exec.WindowSpec
	time      vector.Expr           // the time column, over the assignment's input
	keys      map[ast.ExprNode]bool // the GROUP BY items naming window columns
	partition []int                 // SESSION's PARTITION BY columns
}

// tvfGroupWindow recognises GROUP BY window_start, window_end[,
// window_time][, keys] over a window assignment, directly or under
// filters. It returns the aggregate's input without the assignment (the
// filters copied over its input), the scope without the window columns,
// and the grouping; or in, sc and nil when the query is not of that shape
// (window_start then is an ordinary key).
func (p *selectPlanner) tvfGroupWindow(sel *ast.SelectStmt, in Node, sc *scope) (Node, *scope, *tvfGroup) {
	if sel.GroupBy == nil {
		return in, sc, nil
	}
	var filters []*Filter
	n := in
	for {
		f, ok := n.(*Filter)
		if !ok {
			break
		}
		filters = append(filters, f)
		n = f.In
	}
	wa, ok := n.(*WindowAssign)
	if !ok {
		return in, sc, nil
	}
	base := wa.In.Schema().NumFields()
	if len(sc.cols) != base+3 {
		return in, sc, nil
	}
	g := &tvfGroup{window: wa.Window, keys: map[ast.ExprNode]bool{}, partition: wa.Partition}
	seen := map[int]bool{}
	for _, item := range sel.GroupBy.Items {
		c, ok := item.Expr.(*ast.ColumnNameExpr)
		if !ok {
			continue
		}
		if i := sc.find(c.Name.Table.L, c.Name.Name.O); i >= base {
			g.keys[item.Expr] = true
			seen[i-base] = true
		}
	}
	if !seen[0] || !seen[1] {
		return in, sc, nil
	}
	// The filters may not read the window columns, which the aggregate's
	// input no longer has.
	for _, f := range filters {
		if mentionsWindowColumn(f.Pred) {
			return in, sc, nil
		}
	}
	out := wa.In
	for i := len(filters) - 1; i >= 0; i-- {
		out = &Filter{In: out, Pred: filters[i].Pred}
	}
	tc := wa.In.Schema().Field(wa.Window.TimeCol)
	g.time = vector.ColumnRef(wa.Window.TimeCol, tc.Type, tc.Name)
	g.window.TimeCol = 0
	return out, &scope{cols: sc.cols[:base]}, g
}

// mentionsWindowColumn reports whether e may read window_start,
// window_end or window_time: expressions render column references by
// name, so it looks for those names in e's text, erring on the side of
// yes (the query is then planned with the assignment kept).
func mentionsWindowColumn(e vector.Expr) bool {
	s := e.String()
	for _, name := range exec.WindowAssignColumns {
		if strings.Contains(s, name) {
			return true
		}
	}
	return false
}
