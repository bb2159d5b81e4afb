package planner

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/weirdb/weir/vector"
)

// computedKeys finds the equalities of a join condition that are keys
// but not two columns of one type: an expression over one input alone
// equal to one over the other (ON MOD(a.x, 10) = b.k), or two columns of
// which one is BIGINT and the other DOUBLE (compared as DOUBLE). Each
// side's value becomes a column computed by a projection under the join,
// appended to its input and named so that no query can refer to it.
// keys maps each such conjunct to its two columns (in the new left and
// right inputs); the caller drops the computed columns above the join.
func (p *selectPlanner) computedKeys(cond ast.ExprNode, left, right Node, ls, rs *scope) (nl, nr Node, els, ers *scope, keys map[ast.ExprNode][2]int, err error) {
	keys = map[ast.ExprNode][2]int{}
	var lx, rx []vector.Expr
	for _, c := range conjuncts(cond) {
		eq, ok := c.(*ast.BinaryOperationExpr)
		if !ok || eq.Op != opcode.EQ {
			continue
		}
		for _, o := range [][2]ast.ExprNode{{eq.L, eq.R}, {eq.R, eq.L}} {
			l, errL := p.binder(ls, "ON").bind(o[0])
			r, errR := p.binder(rs, "ON").bind(o[1])
			if errL != nil || errR != nil {
				continue
			}
			if _, lit := vector.IsLiteral(l); lit {
				break
			}
			if _, lit := vector.IsLiteral(r); lit {
				break
			}
			_, lcol := vector.IsColumnRef(l)
			_, rcol := vector.IsColumnRef(r)
			if lcol && rcol && arrow.TypeEqual(l.Type(), r.Type()) {
				break // a plain key
			}
			l0, r0 := l, r
			if l, r, err = unifyKeys(l, r); err != nil {
				return nil, nil, nil, nil, nil, errAt(p.stmt, anchor(c), "join key %s = %s: %v", l0, r0, err)
			}
			keys[c] = [2]int{len(ls.cols) + len(lx), len(rs.cols) + len(rx)}
			lx, rx = append(lx, l), append(rx, r)
			break
		}
	}
	if len(keys) == 0 {
		return left, right, ls, rs, keys, nil
	}
	nl, els = withKeyColumns(left, ls, lx)
	nr, ers = withKeyColumns(right, rs, rx)
	return nl, nr, els, ers, keys, nil
}

// unifyKeys gives two key expressions one type: BIGINT meets DOUBLE as
// DOUBLE.
func unifyKeys(l, r vector.Expr) (vector.Expr, vector.Expr, error) {
	lt, rt := l.Type(), r.Type()
	switch {
	case arrow.TypeEqual(lt, rt):
		return l, r, nil
	case lt.ID() == arrow.INT64 && rt.ID() == arrow.FLOAT64:
		l, err := vector.Cast(l, vector.Float64)
		return l, r, err
	case lt.ID() == arrow.FLOAT64 && rt.ID() == arrow.INT64:
		r, err := vector.Cast(r, vector.Float64)
		return l, r, err
	}
	return nil, nil, fmt.Errorf("%s cannot equal %s; CAST one side", vector.TypeName(lt), vector.TypeName(rt))
}

// withKeyColumns appends the key expressions xs to n's columns.
func withKeyColumns(n Node, sc *scope, xs []vector.Expr) (Node, *scope) {
	var exprs []vector.Expr
	var names []string
	out := &scope{cols: append([]column(nil), sc.cols...)}
	for i, c := range sc.cols {
		exprs = append(exprs, vector.ColumnRef(i, c.typ, c.name))
		names = append(names, c.name)
	}
	for i, x := range xs {
		name := fmt.Sprintf("$join_key%d", i+1)
		exprs = append(exprs, x)
		names = append(names, name)
		out.cols = append(out.cols, column{name: name, qual: "$join", typ: x.Type()})
	}
	return newProject(n, exprs, names), out
}

// dropKeyColumns projects the join's output back to its inputs' own
// columns: the left ls, the right rs, without the computed keys.
func dropKeyColumns(j *Join, ls, rs *scope, nl int) Node {
	var exprs []vector.Expr
	var names []string
	schema := j.Schema()
	pick := func(from, n int) {
		for i := from; i < from+n; i++ {
			f := schema.Field(i)
			exprs = append(exprs, vector.ColumnRef(i, f.Type, f.Name))
			names = append(names, f.Name)
		}
	}
	pick(0, len(ls.cols))
	pick(nl, len(rs.cols))
	return newProject(j, exprs, names)
}
