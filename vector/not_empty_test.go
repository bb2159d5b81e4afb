package vector

import "testing"

func TestNotEmptyString(t *testing.T) {
	word := ColumnRef(1, String, "word")
	empty, x := Literal("", String), Literal("x", String)
	n := ColumnRef(0, Int64, "n")
	for _, c := range []struct {
		op   BinaryOp
		l, r Expr
		ok   bool
	}{
		{NotEq, word, empty, true},
		{NotEq, empty, word, true},
		{Eq, word, empty, false},
		{NotEq, word, x, false},
		{Gt, word, empty, false},
		{NotEq, n, Literal(int64(0), Int64), false},
	} {
		e, err := Binary(c.op, c.l, c.r)
		if err != nil {
			t.Fatal(err)
		}
		col, ok := NotEmptyString(e)
		if ok != c.ok || (ok && col != 1) {
			t.Errorf("%s: got %d, %v; want %v", e, col, ok, c.ok)
		}
	}
}
