package vector

import "github.com/apache/arrow-go/v18/arrow"

// NotEmptyString reports whether e tests that a VARCHAR column is not
// the empty string (with <> or !=, the column on either side), and
// returns the column: a test a planner may fold into the operator that
// makes the column's values.
func NotEmptyString(e Expr) (col int, ok bool) {
	c, isCmp := e.(*cmpExpr)
	if !isCmp || c.op != NotEq {
		return 0, false
	}
	l, r := c.l, c.r
	if _, isLit := IsLiteral(l); isLit {
		l, r = r, l
	}
	col, isCol := IsColumnRef(l)
	if !isCol || l.Type().ID() != arrow.STRING {
		return 0, false
	}
	if v, isLit := IsLiteral(r); !isLit || v != "" {
		return 0, false
	}
	return col, true
}
