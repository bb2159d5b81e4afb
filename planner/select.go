package planner

import (
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// selectPlanner builds the logical plan of one SELECT.
type selectPlanner struct {
	sess *Session
	stmt *sql.Statement
	// proc is the batch-time cell PROCTIME() reads; procWindows is set
	// when a window is over PROCTIME().
	proc        *atomic.Int64
	procWindows bool
	// shared holds the tables and views planned so far in this query.
	shared *shared
	// ctes are the common table expressions in scope, innermost last.
	ctes []cte
}

func (p *selectPlanner) binder(sc *scope, what string) *binder {
	return &binder{stmt: p.stmt, scope: sc, what: what, proc: p.proc, funcs: p.sess.userFuncs()}
}

func (p *selectPlanner) plan(sel *ast.SelectStmt) (Node, error) {
	if sel.Kind != ast.SelectStmtKindSelect {
		return nil, errAt(p.stmt, "", "only SELECT queries are supported")
	}
	if sel.With != nil {
		pop, err := p.with(sel.With)
		if err != nil {
			return nil, err
		}
		defer pop()
	}
	in, sc, where, err := p.fromTopN(sel)
	if err != nil {
		return nil, err
	}
	if where != nil {
		pred, err := p.binder(sc, "WHERE").bind(where)
		if err != nil {
			return nil, err
		}
		f, err := newFilter(p.stmt, in, pred, where)
		if err != nil {
			return nil, err
		}
		in = f
	}
	var out Node
	if sel.GroupBy != nil || hasAggregate(sel) {
		out, err = p.aggregate(sel, in, sc)
	} else {
		out, err = p.project(sel, in, sc)
	}
	if err != nil {
		return nil, err
	}
	if t, ok, err := p.orderLimitTopN(sel, out); ok || err != nil {
		return t, err
	}
	if sel.OrderBy != nil {
		if err := p.refuseUpdating(out, "ORDER BY"); err != nil {
			return nil, err
		}
	}
	if out, err = p.orderBy(sel, out); err != nil {
		return nil, err
	}
	if sel.Limit != nil {
		if err := p.refuseUpdating(out, "LIMIT"); err != nil {
			return nil, err
		}
		if sel.Limit.Offset != nil {
			return nil, errAt(p.stmt, "OFFSET", "LIMIT with an offset is not supported")
		}
		v, ok := sel.Limit.Count.(*driver.ValueExpr)
		if !ok || (v.Kind() != driver.KindInt64 && v.Kind() != driver.KindUint64) {
			return nil, errAt(p.stmt, "LIMIT", "LIMIT needs a constant row count")
		}
		out = &Limit{In: out, N: v.GetInt64(), PerEmission: windowed(out)}
	}
	return out, nil
}

// windowed reports whether the plan under n groups by a window: its rows
// come out per emission, as windows close.
func windowed(n Node) bool {
	found := false
	walkDAG(n, func(n Node) {
		if a, ok := n.(*Aggregate); ok && (a.Window.Kind != exec.NoWindow || a.WindowEndKey > 0) {
			found = true
		}
	})
	return found
}

func newFilter(stmt *sql.Statement, in Node, pred vector.Expr, at ast.Node) (Node, error) {
	if id := pred.Type().ID(); id != arrow.BOOL && id != arrow.NULL {
		return nil, errAt(stmt, anchor(at), "condition %s is %s, not BOOLEAN", pred, vector.TypeName(pred.Type()))
	}
	return &Filter{In: in, Pred: pred}, nil
}

// from plans the FROM clause: a table, a subquery or a join.
func (p *selectPlanner) from(sel *ast.SelectStmt) (Node, *scope, error) {
	if sel.From == nil {
		return nil, nil, errAt(p.stmt, "SELECT", "SELECT needs FROM: a query reads a stream")
	}
	return p.tableRef(sel.From.TableRefs, sel.Where) // join.go
}

// tableSource plans one table or subquery of FROM.
func (p *selectPlanner) tableSource(ts *ast.TableSource) (Node, *scope, error) {
	switch src := ts.Source.(type) {
	case *ast.TableName:
		n, err := p.relation(src.Name.O)
		if err != nil {
			return nil, nil, err
		}
		qual := src.Name.O
		if ts.AsName.O != "" {
			qual = ts.AsName.O
		}
		return n, scopeOf(n.Schema(), qual), nil
	case *ast.SelectStmt:
		var n Node
		var err error
		if call := windowTVF(src); call != nil {
			n, err = p.windowAssign(src, call)
		} else {
			n, err = p.plan(src)
		}
		if err != nil {
			return nil, nil, err
		}
		return n, scopeOf(n.Schema(), ts.AsName.O), nil
	case *ast.SetOprStmt:
		n, err := p.planQuery(src)
		if err != nil {
			return nil, nil, err
		}
		return n, scopeOf(n.Schema(), ts.AsName.O), nil
	}
	return nil, nil, errAt(p.stmt, "FROM", "FROM must name one table or subquery")
}

// project plans a select list without aggregation.
func (p *selectPlanner) project(sel *ast.SelectStmt, in Node, sc *scope) (Node, error) {
	b := p.binder(sc, "the select list")
	var exprs []vector.Expr
	var names []string
	unnestCol, sep := -1, ""
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil {
			for i, c := range sc.cols {
				if q := f.WildCard.Table.L; q != "" && q != c.qual {
					continue
				}
				exprs = append(exprs, vector.ColumnRef(i, c.typ, c.name))
				names = append(names, c.name)
			}
			continue
		}
		if call, ok := f.Expr.(*ast.FuncCallExpr); ok && call.FnName.L == "unnest" {
			if unnestCol >= 0 {
				return nil, errAt(p.stmt, "UNNEST", "only one UNNEST per select list is supported")
			}
			x, s, err := p.unnestArg(b, call)
			if err != nil {
				return nil, err
			}
			unnestCol, sep = len(exprs), s
			exprs = append(exprs, x)
			names = append(names, p.fieldName(f))
			continue
		}
		x, err := b.bind(f.Expr)
		if err != nil {
			return nil, err
		}
		exprs = append(exprs, x)
		names = append(names, p.fieldName(f))
	}
	var out Node = newProject(in, exprs, names)
	if unnestCol >= 0 {
		out = &Unnest{In: out, Col: unnestCol, Sep: sep}
	}
	if sel.Distinct {
		keys := make([]int, len(names))
		for i := range keys {
			keys[i] = i
		}
		agg := &Aggregate{In: out, Keys: keys, KeyNames: names}
		if err := p.chooseUpdating(agg, out); err != nil {
			return nil, err
		}
		agg.schema = aggSchema(agg)
		return agg, nil
	}
	return out, nil
}

// unnestArg checks UNNEST(STRING_TO_ARRAY(x, 'sep')) and binds x.
func (p *selectPlanner) unnestArg(b *binder, call *ast.FuncCallExpr) (vector.Expr, string, error) {
	if len(call.Args) != 1 {
		return nil, "", errAt(p.stmt, "UNNEST", "UNNEST takes one argument, STRING_TO_ARRAY(text, separator)")
	}
	inner, ok := call.Args[0].(*ast.FuncCallExpr)
	if !ok || inner.FnName.L != "string_to_array" || len(inner.Args) != 2 {
		return nil, "", errAt(p.stmt, "UNNEST", "UNNEST supports only STRING_TO_ARRAY(text, separator) as its argument")
	}
	v, ok := inner.Args[1].(*driver.ValueExpr)
	if !ok || v.Kind() != driver.KindString {
		return nil, "", errAt(p.stmt, "STRING_TO_ARRAY", "STRING_TO_ARRAY needs a constant string separator")
	}
	x, err := b.bind(inner.Args[0])
	if err != nil {
		return nil, "", err
	}
	if x.Type().ID() != arrow.STRING {
		return nil, "", errAt(p.stmt, "STRING_TO_ARRAY", "STRING_TO_ARRAY needs VARCHAR text, got %s", vector.TypeName(x.Type()))
	}
	return x, v.GetString(), nil
}

// fieldName is the output name of a select item: its alias, its column
// name, or the text the user wrote (before the bridge's rewrites).
func (p *selectPlanner) fieldName(f *ast.SelectField) string {
	if f.AsName.O != "" {
		return f.AsName.O
	}
	if c, ok := f.Expr.(*ast.ColumnNameExpr); ok {
		return c.Name.Name.O
	}
	if t := f.Text(); strings.TrimSpace(t) != "" {
		if p.stmt != nil && f.Offset >= 0 && f.Offset+len(t) <= len(p.stmt.Rewritten) && p.stmt.Rewritten[f.Offset:f.Offset+len(t)] == t {
			t = p.stmt.OriginalText(f.Offset, len(t))
		}
		return strings.TrimSpace(t)
	}
	if t := strings.TrimSpace(f.Expr.Text()); t != "" {
		return t
	}
	return canon(f.Expr)
}

// orderBy plans ORDER BY over the select list's output: each item names
// an output column, by name, alias, position or the same expression.
func (p *selectPlanner) orderBy(sel *ast.SelectStmt, in Node) (Node, error) {
	if sel.OrderBy == nil {
		return in, nil
	}
	schema := in.Schema()
	var keys []exec.SortKey
	for _, item := range sel.OrderBy.Items {
		col := -1
		switch e := item.Expr.(type) {
		case *ast.ColumnNameExpr:
			for i, f := range schema.Fields() {
				if strings.EqualFold(f.Name, e.Name.Name.O) {
					col = i
					break
				}
			}
		case *ast.PositionExpr:
			col = e.N - 1
		case *driver.ValueExpr:
			if e.Kind() == driver.KindInt64 {
				col = int(e.GetInt64()) - 1
			}
		}
		if col < 0 {
			want := canon(item.Expr)
			for i, f := range sel.Fields.Fields {
				if f.Expr != nil && canon(f.Expr) == want && i < schema.NumFields() {
					col = i
				}
			}
		}
		if col < 0 || col >= schema.NumFields() {
			return nil, errAt(p.stmt, anchor(item.Expr), "ORDER BY must name a column of the select list")
		}
		keys = append(keys, exec.SortKey{Col: col, Desc: item.Desc})
	}
	return &Sort{In: in, Keys: keys}, nil
}

// hasAggregate reports whether the select list, HAVING or ORDER BY call an
// aggregate function.
func hasAggregate(sel *ast.SelectStmt) bool {
	v := &aggCollector{}
	for _, f := range sel.Fields.Fields {
		if f.Expr != nil {
			f.Expr.Accept(v)
		}
	}
	if sel.Having != nil {
		sel.Having.Expr.Accept(v)
	}
	return len(v.found) > 0
}

// aggCollector collects aggregate calls, not descending into subqueries.
// filters maps an aggregate under FILTER (WHERE ...) to its wrapper call.
type aggCollector struct {
	found   []*ast.AggregateFuncExpr
	filters map[*ast.AggregateFuncExpr]*ast.FuncCallExpr
}

// Enter implements ast.Visitor.
func (v *aggCollector) Enter(n ast.Node) (ast.Node, bool) {
	switch n := n.(type) {
	case *ast.FuncCallExpr:
		if a, ok := filterCall(n); ok {
			v.found = append(v.found, a)
			if v.filters == nil {
				v.filters = map[*ast.AggregateFuncExpr]*ast.FuncCallExpr{}
			}
			v.filters[a] = n
			return n, true
		}
	case *ast.AggregateFuncExpr:
		v.found = append(v.found, n)
		return n, true
	case *ast.SubqueryExpr, *ast.SelectStmt:
		return n, true
	}
	return n, false
}

// Leave implements ast.Visitor.
func (v *aggCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }
