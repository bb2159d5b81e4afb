package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// windowExpiry makes join j free a window's rows when the watermark
// reaches its end: key columns l (left) and r (right) are both window
// ends. It always succeeds.
func (p *selectPlanner) windowExpiry(j *Join, l, r int) bool {
	j.Expire = [2]exec.JoinExpiry{{Set: true, Col: l, Offset: -1}, {Set: true, Col: r, Offset: -1}}
	j.StateNote = "freed as windows close (" + j.KeyNames[len(j.KeyNames)-1] + ")"
	return true
}

// timeBound is a TIMESTAMP column of a join's scope plus a constant.
type timeBound struct {
	col int
	off int64 // milliseconds
}

// intervalExpiry looks in conds (the join's condition, and for an inner
// join its WHERE) for bounds on one side's event time by the other
// side's columns, an interval join's (b.ts BETWEEN a.ts AND a.ts +
// INTERVAL '1' HOUR, or >= / <= pairs, or BETWEEN a.ts AND a.expires),
// and sets the watermark that frees each side's rows:
//
//   - b.ts <= a.hi + c, b.ts b's event time: no b row to come is below
//     the watermark, so an a row leaves once a.hi + c is below it;
//   - b.ts >= a.lo + c, a.lo a's event time: no a row to come has a
//     lower bound below the watermark + c, so a b row leaves once b.ts -
//     c is below the watermark.
func (p *selectPlanner) intervalExpiry(j *Join, sc *scope, nl int, conds []ast.ExprNode) {
	sides := []Node{j.Left, j.Right}
	side := func(col int) (int, int) { // side and column within it
		if col < nl {
			return 0, col
		}
		return 1, col - nl
	}
	var notes []string
	set := func(s, col int, off int64) {
		if j.Expire[s].Set {
			return
		}
		j.Expire[s] = exec.JoinExpiry{Set: true, Col: col, Offset: off}
		c := sc.cols[col]
		if s == 1 {
			c = sc.cols[col+nl]
		}
		notes = append(notes, fmt.Sprintf("%s rows when %s%s < watermark", []string{"left", "right"}[s], qualName(c), offText(off)))
	}
	// bound records x >= b (lower) or x <= b (upper).
	bound := func(x int, b timeBound, upper bool) {
		sx, xc := side(x)
		sb, bc := side(b.col)
		if sx == sb {
			return
		}
		if upper {
			if eventTimeColumn(sides[sx], xc) {
				set(sb, bc, b.off)
			}
		} else if eventTimeColumn(sides[sb], bc) {
			set(sx, xc, -b.off)
		}
	}
	for _, c := range conds {
		switch e := c.(type) {
		case *ast.BetweenExpr:
			x, ok := p.timeBound(sc, e.Expr)
			if e.Not || !ok || x.off != 0 {
				continue
			}
			if lo, ok := p.timeBound(sc, e.Left); ok {
				bound(x.col, lo, false)
			}
			if hi, ok := p.timeBound(sc, e.Right); ok {
				bound(x.col, hi, true)
			}
		case *ast.BinaryOperationExpr:
			var upper bool // L <= R
			switch e.Op {
			case opcode.LE, opcode.LT:
				upper = true
			case opcode.GE, opcode.GT:
			default:
				continue
			}
			l, lok := p.timeBound(sc, e.L)
			r, rok := p.timeBound(sc, e.R)
			if !lok || !rok {
				continue
			}
			if l.off == 0 { // L <= R: R bounds L above
				bound(l.col, r, upper)
			}
			if r.off == 0 { // L <= R: L bounds R below
				bound(r.col, l, !upper)
			}
		}
	}
	if len(notes) > 0 {
		j.StateNote = "freed by the watermark (" + strings.Join(notes, "; ") + ")"
		for s, x := range j.Expire {
			if !x.Set && j.TTL == 0 {
				j.StateNote += fmt.Sprintf("; %s rows unbounded (set state_ttl)", []string{"left", "right"}[s])
			}
		}
	}
}

// offText renders a bound's offset: "", " + 10s", " - 1h0m0s".
func offText(off int64) string {
	switch {
	case off > 0:
		return " + " + ms(off)
	case off < 0:
		return " - " + ms(-off)
	}
	return ""
}

// timeBound recognises a TIMESTAMP column of sc, plus or minus a
// constant INTERVAL.
func (p *selectPlanner) timeBound(sc *scope, e ast.ExprNode) (timeBound, bool) {
	switch e := e.(type) {
	case *ast.ParenthesesExpr:
		return p.timeBound(sc, e.Expr)
	case *ast.ColumnNameExpr:
		i := sc.find(e.Name.Table.O, e.Name.Name.O)
		if i < 0 || sc.cols[i].typ.ID() != arrow.TIMESTAMP {
			return timeBound{}, false
		}
		return timeBound{col: i}, true
	case *ast.FuncCallExpr:
		name := e.FnName.L
		if name != "date_add" && name != "date_sub" && name != "adddate" && name != "subdate" || len(e.Args) != 3 {
			return timeBound{}, false
		}
		b, ok := p.timeBound(sc, e.Args[0])
		unit, uok := e.Args[2].(*ast.TimeUnitExpr)
		amount, aok := constantAmount(e.Args[1])
		if !ok || !uok || !aok {
			return timeBound{}, false
		}
		d, err := sql.IntervalOf(amount, unit.Unit.String())
		if err != nil || d%time.Millisecond != 0 {
			return timeBound{}, false
		}
		if name == "date_sub" || name == "subdate" {
			d = -d
		}
		b.off += d.Milliseconds()
		return b, true
	}
	return timeBound{}, false
}

// eventTimeColumn reports whether column col of n holds an event time no
// row to come is below the watermark of (rows on time): a table's
// WATERMARK column, or a window end emitted at window close, passed on
// by projections, filters and window assignments.
func eventTimeColumn(n Node, col int) bool {
	switch n := n.(type) {
	case *Scan:
		w := n.Table.Watermark
		return w != nil && strings.EqualFold(n.Table.Schema.Field(col).Name, w.Column)
	case *Project:
		if col >= len(n.Exprs) {
			return false
		}
		i, ok := vector.IsColumnRef(n.Exprs[col])
		return ok && eventTimeColumn(n.In, i)
	case *Filter:
		return eventTimeColumn(n.In, col)
	case *WindowAssign:
		return col < n.In.Schema().NumFields() && eventTimeColumn(n.In, col)
	}
	return windowEndColumn(n, col)
}
