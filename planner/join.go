package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/vector"
)

// Join is a regular equi-join of two inputs (Flink's regular join): every
// row of both sides is kept, by key, until the state TTL forgets it. Its
// output is the left input's columns, then the right's (without their op
// columns), and the op column when it is updating: over an updating input,
// or for an outer join.
type Join struct {
	Left, Right Node
	Kind        exec.JoinKind
	// LeftKeys[i] of the left equals RightKeys[i] of the right.
	LeftKeys, RightKeys []int
	// KeyNames render the key pairs for EXPLAIN ("a.k = b.k").
	KeyNames []string
	// Residual, if not nil, is the rest of ON, over the joined columns.
	Residual vector.Expr
	// TTL is SET state_ttl when the query was planned; 0 keeps rows
	// forever.
	TTL time.Duration
	// Expire says, per side, when the watermark frees its rows (window
	// and interval joins); StateNote says it for EXPLAIN.
	Expire    [2]exec.JoinExpiry
	StateNote string
	schema    *arrow.Schema
}

// Schema implements Node.
func (j *Join) Schema() *arrow.Schema {
	if j.schema == nil {
		var fs []arrow.Field
		for _, in := range []Node{j.Left, j.Right} {
			for _, f := range vector.WithoutOpColumn(in.Schema()).Fields() {
				f.Nullable = true
				fs = append(fs, f)
			}
		}
		j.schema = arrow.NewSchema(fs, nil)
		if j.Updating() {
			j.schema = vector.WithOpColumn(j.schema)
		}
	}
	return j.schema
}

// Children implements Node: the left input, then the right.
func (j *Join) Children() []Node { return []Node{j.Left, j.Right} }

// Updating implements Node: an outer join retracts its NULL-padded rows;
// an inner join is updating when an input is.
func (j *Join) Updating() bool {
	return j.Kind != exec.InnerJoin || Updating(j.Left) || Updating(j.Right)
}

// Stateful implements statefulNode: a join keeps both sides' rows.
func (j *Join) Stateful() bool { return true }

// Describe implements Node.
func (j *Join) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Join %s ON %s", j.Kind, strings.Join(j.KeyNames, " AND "))
	if j.Residual != nil {
		fmt.Fprintf(&b, " residual=%s", j.Residual)
	}
	if j.StateNote != "" {
		fmt.Fprintf(&b, " state: %s", j.StateNote)
		if j.TTL > 0 {
			fmt.Fprintf(&b, ", state_ttl = %s", j.TTL)
		}
	} else if j.TTL > 0 {
		fmt.Fprintf(&b, " state: rows kept for state_ttl = %s", j.TTL)
	} else {
		b.WriteString(" state: unbounded (set state_ttl)")
	}
	return b.String()
}

// joinPhysName names a join's operator for EXPLAIN.
func joinPhysName(j *Join) string {
	return "HashJoinOp " + strings.TrimPrefix(j.Describe(), "Join ")
}

// lowerJoin builds a join's operator.
func (p *Prepared) lowerJoin(j *Join) (exec.Operator, error) {
	op, err := exec.NewHashJoin(exec.HashJoinConfig{
		Left: j.Left.Schema(), Right: j.Right.Schema(), LeftKeys: j.LeftKeys, RightKeys: j.RightKeys,
		Kind: j.Kind, Residual: j.Residual, TTL: j.TTL, Expire: j.Expire, Alloc: p.sess.Alloc,
	})
	if err != nil {
		return nil, err
	}
	if !op.Schema().Equal(j.Schema()) {
		op.Close()
		return nil, fmt.Errorf("internal error: join schema %s, planned %s", op.Schema(), j.Schema())
	}
	return op, nil
}

// tableRef plans one item of FROM: a table, a subquery, or a join of
// them. where is the query's WHERE, which gives the keys of a join
// written with commas (FROM a, b WHERE a.k = b.k).
func (p *selectPlanner) tableRef(n ast.ResultSetNode, where ast.ExprNode) (Node, *scope, error) {
	switch n := n.(type) {
	case *ast.TableSource:
		if j, ok := n.Source.(*ast.Join); ok {
			return p.tableRef(j, where)
		}
		return p.tableSource(n)
	case *ast.Join:
		if n.Right == nil {
			return p.tableRef(n.Left, where)
		}
		return p.join(n, where)
	}
	return nil, nil, errAt(p.stmt, "FROM", "FROM must name tables, subqueries or joins of them")
}

// join plans a JOIN b ON cond, or a, b with the keys in WHERE.
func (p *selectPlanner) join(j *ast.Join, where ast.ExprNode) (Node, *scope, error) {
	if j.NaturalJoin {
		return nil, nil, errAt(p.stmt, "NATURAL", "NATURAL JOIN is not supported; write JOIN ... ON with the key columns")
	}
	if j.Using != nil {
		return nil, nil, errAt(p.stmt, "USING", "JOIN ... USING is not supported; write JOIN ... ON a.k = b.k")
	}
	kind := exec.InnerJoin
	switch j.Tp {
	case ast.LeftJoin:
		kind = exec.LeftJoin
	case ast.RightJoin:
		kind = exec.RightJoin
	}
	if j.StraightJoin { // FULL [OUTER] JOIN, as the SQL bridge passes it
		kind = exec.FullJoin
	}
	// WHERE reaches into an input only where the join does not pad it
	// with NULLs.
	var whereOf [2]ast.ExprNode
	for side := range whereOf {
		if !kind.Pads(side) {
			whereOf[side] = where
		}
	}
	left, ls, err := p.tableRef(j.Left, whereOf[0])
	if err != nil {
		return nil, nil, err
	}
	left = p.pushWhere(left, ls, whereOf[0])
	if t, _, err := p.lookupTable(j.Right, left); err != nil { // join_lookup.go
		return nil, nil, err
	} else if t != nil {
		if j.On == nil {
			return nil, nil, errAt(p.stmt, t.Name, "a lookup join of %s needs ON with its key", t.Name)
		}
		return p.lookupJoin(left, ls, t, j.Right.(*ast.TableSource).AsName.O, kind, j.On.Expr)
	}
	right, rs, err := p.tableRef(j.Right, whereOf[1])
	if err != nil {
		return nil, nil, err
	}
	right = p.pushWhere(right, rs, whereOf[1])
	var cond ast.ExprNode
	inWhere := false
	if j.On != nil {
		cond = j.On.Expr
	} else if kind == exec.InnerJoin && where != nil {
		// The comma form: the keys are in WHERE, which is applied as a
		// whole above the join too.
		cond, inWhere = where, true
	}
	if j.On != nil {
		// Conditions of ON on one input alone filter it first, unless it
		// is a side the join keeps unmatched (its rows must reach the
		// join to be padded).
		if !kind.Pads(1) {
			left = p.pushWhere(left, ls, j.On.Expr)
		}
		if !kind.Pads(0) {
			right = p.pushWhere(right, rs, j.On.Expr)
		}
	}
	outer := &scope{cols: append(append([]column(nil), ls.cols...), rs.cols...)}
	userL, userR := ls, rs
	left, right, ls, rs, computed, err := p.computedKeys(cond, left, right, ls, rs) // join_keys.go
	if err != nil {
		return nil, nil, err
	}
	sc := &scope{cols: append(append([]column(nil), ls.cols...), rs.cols...)}
	nl := len(ls.cols)
	out := &Join{Left: left, Right: right, Kind: kind, TTL: p.sess.stateTTL()}
	b := p.binder(sc, "ON")
	if inWhere {
		b.what = "WHERE"
	}
	var rest []vector.Expr
	windowKey := false
	for _, c := range conjuncts(cond) {
		l, r, ok := joinKeyPair(sc, nl, c)
		k, isComputed := computed[c]
		if isComputed {
			l, r, ok = k[0], nl+k[1], true
		}
		if ok {
			lt, rt := sc.cols[l].typ, sc.cols[r].typ
			if !arrow.TypeEqual(lt, rt) {
				return nil, nil, errAt(p.stmt, anchor(c), "join key %s is %s but %s is %s; CAST one side in a subquery so both are the same type",
					sc.cols[l].name, vector.TypeName(lt), sc.cols[r].name, vector.TypeName(rt))
			}
			out.LeftKeys = append(out.LeftKeys, l)
			out.RightKeys = append(out.RightKeys, r-nl)
			if isComputed {
				out.KeyNames = append(out.KeyNames, left.(*Project).Exprs[l].String()+" = "+right.(*Project).Exprs[r-nl].String())
			} else {
				out.KeyNames = append(out.KeyNames, qualName(sc.cols[l])+" = "+qualName(sc.cols[r]))
			}
			windowKey = windowKey || (windowEndColumn(left, l) && windowEndColumn(right, r-nl) && p.windowExpiry(out, l, r-nl))
			continue
		}
		if inWhere {
			continue
		}
		x, err := b.bind(c)
		if err != nil {
			return nil, nil, err
		}
		if id := x.Type().ID(); id != arrow.BOOL && id != arrow.NULL {
			return nil, nil, errAt(p.stmt, anchor(c), "join condition %s is %s, not BOOLEAN", x, vector.TypeName(x.Type()))
		}
		rest = append(rest, x)
	}
	if len(out.LeftKeys) == 0 {
		at, where := "JOIN", "in ON"
		if j.On == nil {
			at, where = "FROM", "in WHERE"
		}
		if _, _, ok := p.stmt.Locate("ON"); ok && j.On != nil {
			at = "ON"
		}
		return nil, nil, errAt(p.stmt, at, "a join of two streams needs an equality between a column of each side %s (a.k = b.k); a cross join or a join on other conditions alone is not supported", where)
	}
	if !windowKey {
		conds := conjuncts(cond)
		if kind == exec.InnerJoin && !inWhere {
			conds = append(conds, conjuncts(where)...) // WHERE filters the pairs too
		}
		p.intervalExpiry(out, sc, nl, conds) // join_interval.go
	}
	for _, x := range rest {
		if out.Residual == nil {
			out.Residual = x
			continue
		}
		if out.Residual, err = vector.Binary(vector.And, out.Residual, x); err != nil {
			return nil, nil, errAt(p.stmt, "ON", "join condition: %v", err)
		}
	}
	if len(computed) > 0 {
		return dropKeyColumns(out, userL, userR, nl), outer, nil
	}
	return out, sc, nil
}

// conjuncts splits e on AND.
func conjuncts(e ast.ExprNode) []ast.ExprNode {
	switch x := e.(type) {
	case nil:
		return nil
	case *ast.ParenthesesExpr:
		return conjuncts(x.Expr)
	case *ast.BinaryOperationExpr:
		if x.Op == opcode.LogicAnd {
			return append(conjuncts(x.L), conjuncts(x.R)...)
		}
	}
	return []ast.ExprNode{e}
}

// joinKeyPair recognises col = col between a column of the left (index <
// nl in sc) and one of the right, and returns them left first.
func joinKeyPair(sc *scope, nl int, e ast.ExprNode) (l, r int, ok bool) {
	eq, isEq := e.(*ast.BinaryOperationExpr)
	if !isEq || eq.Op != opcode.EQ {
		return 0, 0, false
	}
	a, aok := eq.L.(*ast.ColumnNameExpr)
	b, bok := eq.R.(*ast.ColumnNameExpr)
	if !aok || !bok {
		return 0, 0, false
	}
	i := sc.find(a.Name.Table.O, a.Name.Name.O)
	k := sc.find(b.Name.Table.O, b.Name.Name.O)
	if i < 0 || k < 0 {
		return 0, 0, false
	}
	if i > k {
		i, k = k, i
	}
	return i, k, i < nl && k >= nl
}

// qualName renders a column as qual.name.
func qualName(c column) string {
	if c.qual == "" {
		return c.name
	}
	return c.qual + "." + c.name
}

// windowEndColumn reports whether column col of n is the window end of a
// windowed aggregate that emits each window once, when the watermark
// passes its end, or of a window table-valued function, passed on by
// projections and filters: no row of a window comes after the watermark
// passed its end (a windowed aggregate drops such late rows; a window
// TVF's late rows find the other side's rows of their window gone, as
// Flink's window join drops them).
func windowEndColumn(n Node, col int) bool {
	switch n := n.(type) {
	case *Project:
		if col >= len(n.Exprs) {
			return false
		}
		i, ok := vector.IsColumnRef(n.Exprs[col])
		return ok && windowEndColumn(n.In, i)
	case *Filter:
		return windowEndColumn(n.In, col)
	case *Aggregate:
		return n.Window.Kind != exec.NoWindow && !n.Changelog && col == 1 // window_start, window_end, keys, ...
	case *WindowAssign:
		// window_end of a window TVF: a row on time (not below the
		// watermark) falls in windows that end after it.
		return col == n.In.Schema().NumFields()+1 && !n.Updating()
	}
	return false
}

// pushWhere filters one input of a join (n, with scope sc) by the
// conjuncts of WHERE that read its columns alone, so that the join keeps
// only the rows that can reach the result (Flink's filter push-down). The
// WHERE still applies, whole, above the join. The caller pushes only
// into an input whose unmatched rows the join does not keep (an outer
// join's preserved side), and never into a join, which pushes into its
// own inputs.
func (p *selectPlanner) pushWhere(n Node, sc *scope, where ast.ExprNode) Node {
	if _, isJoin := n.(*Join); isJoin || where == nil {
		return n
	}
	var pred vector.Expr
	for _, c := range conjuncts(where) {
		x, err := p.binder(sc, "WHERE").bind(c)
		if err != nil || x.Type().ID() != arrow.BOOL {
			continue // it reads the other input's columns too
		}
		if pred == nil {
			pred = x
		} else if pred, err = vector.Binary(vector.And, pred, x); err != nil {
			return n
		}
	}
	if pred == nil {
		return n
	}
	return &Filter{In: n, Pred: pred}
}
