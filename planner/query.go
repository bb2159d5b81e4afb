package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// shared is what the planners of one query (its subqueries, CTEs and the
// views it reads) have in common: every table and view is planned once,
// so a relation used twice is one node with two parents.
type shared struct {
	scans    map[*catalog.Table]*Scan
	views    map[*catalog.Table]Node
	planning map[*catalog.Table]bool // views being planned, to refuse a cycle
}

func newShared() *shared {
	return &shared{scans: map[*catalog.Table]*Scan{}, views: map[*catalog.Table]Node{}, planning: map[*catalog.Table]bool{}}
}

// cte is a common table expression in scope: WITH name AS (query).
type cte struct {
	name string
	node Node
}

// planQuery plans a query: a SELECT, or a UNION ALL of queries.
func (p *selectPlanner) planQuery(n ast.Node) (Node, error) {
	switch q := n.(type) {
	case *ast.SelectStmt:
		return p.plan(q)
	case *ast.SetOprStmt:
		if q.With != nil {
			pop, err := p.with(q.With)
			if err != nil {
				return nil, err
			}
			defer pop()
		}
		if q.OrderBy != nil || q.Limit != nil {
			return nil, errAt(p.stmt, "UNION", "ORDER BY or LIMIT after UNION ALL is not supported; select from the union as a subquery: SELECT * FROM (... UNION ALL ...) AS u ORDER BY ...")
		}
		return p.union(q.SelectList)
	case *ast.SetOprSelectList:
		return p.union(q)
	case *ast.SubqueryExpr:
		return p.planQuery(q.Query)
	}
	return nil, errAt(p.stmt, "", "only SELECT queries are supported")
}

// with brings the common table expressions of w into scope, each planned
// once, in order (a CTE may read the ones before it). pop takes them out
// of scope again.
func (p *selectPlanner) with(w *ast.WithClause) (pop func(), err error) {
	depth := len(p.ctes)
	pop = func() { p.ctes = p.ctes[:depth] }
	if w.IsRecursive {
		return pop, errAt(p.stmt, "RECURSIVE", "WITH RECURSIVE is not supported")
	}
	for _, c := range w.CTEs {
		n, err := p.planQuery(c.Query.Query)
		if err != nil {
			pop()
			return pop, err
		}
		if len(c.ColNameList) > 0 {
			if n, err = renameColumns(p.stmt, c.Name.O, n, c.ColNameList); err != nil {
				pop()
				return pop, err
			}
		}
		p.ctes = append(p.ctes, cte{name: c.Name.O, node: n})
	}
	return pop, nil
}

// renameColumns names the columns of n as names, for WITH name (a, b)
// AS and CREATE VIEW name (a, b) AS.
func renameColumns(stmt *sql.Statement, what string, n Node, names []ast.CIStr) (Node, error) {
	s := n.Schema()
	if len(names) != s.NumFields() {
		return nil, errAt(stmt, what, "%s names %d columns but its query has %d", what, len(names), s.NumFields())
	}
	pr := &Project{In: n}
	for i, f := range s.Fields() {
		pr.Exprs = append(pr.Exprs, vector.ColumnRef(i, f.Type, f.Name))
		pr.Names = append(pr.Names, names[i].O)
	}
	return pr, nil
}

// relation resolves a name in FROM: a CTE in scope (the innermost of that
// name), else a view, else a table.
func (p *selectPlanner) relation(name string) (Node, error) {
	for i := len(p.ctes) - 1; i >= 0; i-- {
		if strings.EqualFold(p.ctes[i].name, name) {
			return p.ctes[i].node, nil
		}
	}
	t := p.sess.Catalog.Lookup(name)
	if t == nil {
		return nil, errAt(p.stmt, name, "unknown table %s", name)
	}
	if t.IsView() {
		return p.view(t)
	}
	if s, ok := p.shared.scans[t]; ok {
		return s, nil
	}
	s := &Scan{Table: t}
	p.shared.scans[t] = s
	return s, nil
}

// view plans the query of view t, once per query: its rows are shared by
// every place the query reads it.
func (p *selectPlanner) view(t *catalog.Table) (Node, error) {
	if n, ok := p.shared.views[t]; ok {
		return n, nil
	}
	if p.shared.planning[t] {
		return nil, errAt(p.stmt, t.Name, "view %s refers to itself", t.Name)
	}
	p.shared.planning[t] = true
	defer delete(p.shared.planning, t)
	stmts, err := sql.Parse(t.View)
	if err != nil || len(stmts) != 1 {
		return nil, errAt(p.stmt, t.Name, "view %s: cannot read its query: %v", t.Name, err)
	}
	sub := &selectPlanner{sess: p.sess, stmt: stmts[0], proc: p.proc, shared: p.shared}
	n, err := sub.planQuery(stmts[0].Node)
	if err != nil {
		return nil, errAt(p.stmt, t.Name, "view %s: %v", t.Name, err)
	}
	if !n.Schema().Equal(t.Schema) {
		return nil, errAt(p.stmt, t.Name, "view %s: its query now gives (%s), not (%s) as when it was created; create the view again", t.Name, schemaColumns(n.Schema()), schemaColumns(t.Schema))
	}
	p.procWindows = p.procWindows || sub.procWindows
	p.shared.views[t] = n
	return n, nil
}

// union plans UNION ALL. Every query must have as many columns as the
// first; a column's types must be equal, or BIGINT and DOUBLE (the union
// has DOUBLE, the BIGINT side is cast). Names come from the first query.
func (p *selectPlanner) union(list *ast.SetOprSelectList) (Node, error) {
	if list.With != nil {
		pop, err := p.with(list.With)
		if err != nil {
			return nil, err
		}
		defer pop()
	}
	if list.OrderBy != nil || list.Limit != nil {
		return nil, errAt(p.stmt, "UNION", "ORDER BY or LIMIT after UNION ALL is not supported; select from the union as a subquery: SELECT * FROM (... UNION ALL ...) AS u ORDER BY ...")
	}
	var ins []Node
	var sels []*ast.SelectStmt // each input's SELECT, for positions; nil when parenthesized
	for i, s := range list.Selects {
		var op *ast.SetOprType
		switch s := s.(type) {
		case *ast.SelectStmt:
			op = s.AfterSetOperator
		case *ast.SetOprSelectList:
			op = s.AfterSetOperator
		}
		if i > 0 && op != nil && *op != ast.UnionAll {
			if *op == ast.Union {
				return nil, errAt(p.stmt, "UNION", "UNION (distinct) is not supported; use UNION ALL")
			}
			return nil, errAt(p.stmt, strings.Fields(op.String())[0], "%s is not supported; use UNION ALL", op.String())
		}
		n, err := p.planQuery(s)
		if err != nil {
			return nil, err
		}
		ins = append(ins, n)
		sel, _ := s.(*ast.SelectStmt)
		sels = append(sels, sel)
	}
	if len(ins) == 1 {
		return ins[0], nil
	}
	first := ins[0].Schema()
	types := make([]arrow.DataType, first.NumFields())
	for i, f := range first.Fields() {
		types[i] = f.Type
	}
	for k, n := range ins[1:] {
		s := n.Schema()
		if s.NumFields() != first.NumFields() {
			return nil, p.unionErr(sels[k+1], -1, "UNION ALL: query %d has %d columns, the first query %d", k+2, s.NumFields(), first.NumFields())
		}
		for i, f := range s.Fields() {
			t, ok := unionType(types[i], f.Type)
			if !ok {
				return nil, p.unionErr(sels[k+1], i, "UNION ALL: column %d (%s) is %s in query %d but %s in the first query; CAST it", i+1, first.Field(i).Name, vector.TypeName(f.Type), k+2, vector.TypeName(types[i]))
			}
			types[i] = t
		}
	}
	fields := make([]arrow.Field, len(types))
	for i, t := range types {
		fields[i] = arrow.Field{Name: first.Field(i).Name, Type: t, Nullable: true}
	}
	want := arrow.NewSchema(fields, nil)
	for k, n := range ins {
		if n.Schema().Equal(want) {
			continue
		}
		// Cast over the input's own projection rather than above it.
		var exprs []vector.Expr
		pr := &Project{In: n}
		if inner, ok := n.(*Project); ok {
			pr.In, exprs = inner.In, inner.Exprs
		}
		for i, f := range n.Schema().Fields() {
			var x vector.Expr = vector.ColumnRef(i, f.Type, f.Name)
			if exprs != nil {
				x = exprs[i]
			}
			x, err := vector.Cast(x, types[i])
			if err != nil {
				return nil, p.unionErr(sels[k], i, "UNION ALL: column %d (%s): %v", i+1, first.Field(i).Name, err)
			}
			pr.Exprs = append(pr.Exprs, x)
			pr.Names = append(pr.Names, fields[i].Name)
		}
		ins[k] = pr
	}
	return &Union{Ins: ins}, nil
}

// unionType is the type of a union column of types a and b, if any.
func unionType(a, b arrow.DataType) (arrow.DataType, bool) {
	switch {
	case arrow.TypeEqual(a, b), b.ID() == arrow.NULL:
		return a, true
	case a.ID() == arrow.NULL:
		return b, true
	case a.ID() == arrow.INT64 && b.ID() == arrow.FLOAT64, a.ID() == arrow.FLOAT64 && b.ID() == arrow.INT64:
		return vector.Float64, true
	}
	return nil, false
}

// unionErr positions a union error at item i of sel's select list, or at
// its SELECT (i < 0), or at UNION when sel is unknown.
func (p *selectPlanner) unionErr(sel *ast.SelectStmt, i int, format string, args ...any) error {
	if sel == nil || p.stmt == nil {
		return errAt(p.stmt, "UNION", format, args...)
	}
	if i < 0 {
		if _, _, ok := p.stmt.Locate("UNION"); ok {
			return errAt(p.stmt, "UNION", format, args...)
		}
		return errAt(p.stmt, "SELECT", format, args...)
	}
	return selectItemErr(p.stmt, sel, i, format, args...)
}

// viewQueryText is the text of CREATE VIEW's query: what follows AS.
func viewQueryText(stmt *sql.Statement, name string) (string, error) {
	off, n, ok := stmt.Locate(name)
	if ok {
		if aoff, an, ok := stmt.LocateAfter("AS", off+n); ok {
			return strings.TrimSpace(stmt.Text[aoff+an-stmt.Offset:]), nil
		}
	}
	return "", fmt.Errorf("CREATE VIEW %s: cannot find its query after AS", name)
}
