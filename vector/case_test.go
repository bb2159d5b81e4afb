package vector

import (
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestCaseTable(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem,
		testCol{"n", Int64, `[1, 2, 3, null, 5]`},
		testCol{"x", Float64, `[0.5, null, 1.5, 2.5, 3.5]`},
		testCol{"s", String, `["a", "b", null, "d", "e"]`},
		testCol{"p", Boolean, `[true, null, false, true, false]`},
	)
	defer b.Release()
	n, x, s, p := col(b, "n"), col(b, "x"), col(b, "s"), col(b, "p")
	i64 := func(v int64) Expr { return Literal(v, Int64) }
	str := func(v string) Expr { return Literal(v, String) }
	gt := func(l Expr, v int64) Expr { return must(t)(Binary(Gt, l, i64(v))) }

	// Searched CASE, first match wins, no ELSE.
	e := must(t)(Case(nil, []Expr{gt(n, 3), gt(n, 1)}, []Expr{str("big"), str("mid")}, nil))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{nil, "mid", "mid", nil, "big"})
	if e.String() != "CASE WHEN (n > 3) THEN 'big' WHEN (n > 1) THEN 'mid' END" {
		t.Errorf("String: %s", e)
	}
	// NULL condition is not a match; ELSE.
	e = must(t)(Case(nil, []Expr{p}, []Expr{s}, str("other")))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{"a", "other", "other", "d", "other"})
	// Mixed BIGINT / DOUBLE branches promote.
	e = must(t)(Case(nil, []Expr{p}, []Expr{n}, x))
	if e.Type().ID() != arrow.FLOAT64 {
		t.Errorf("type %s", e.Type())
	}
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{1.0, nil, 1.5, nil, 3.5})
	// Simple CASE.
	e = must(t)(Case(n, []Expr{i64(1), i64(3)}, []Expr{str("one"), str("three")}, s))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{"one", "b", "three", "d", "e"})
	if e.String() != "CASE n WHEN 1 THEN 'one' WHEN 3 THEN 'three' ELSE s END" {
		t.Errorf("String: %s", e)
	}
	// BOOLEAN result.
	e = must(t)(Case(nil, []Expr{gt(n, 2)}, []Expr{p}, Literal(true, Boolean)))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{true, true, false, true, false})
	// Constant conditions simplify.
	e = must(t)(Case(nil, []Expr{Literal(false, Boolean), Literal(nil, Boolean)}, []Expr{n, n}, x))
	if e != x {
		t.Errorf("CASE with only false conditions: %s", e)
	}
	e = must(t)(Case(nil, []Expr{Literal(true, Boolean)}, []Expr{n}, nil))
	if e != n {
		t.Errorf("CASE WHEN TRUE: %s", e)
	}
	// Errors.
	if _, err := Case(nil, []Expr{n}, []Expr{n}, nil); err == nil || err.Error() != "CASE WHEN needs BOOLEAN operands, got BIGINT" {
		t.Errorf("non-boolean WHEN: %v", err)
	}
	if _, err := Case(nil, []Expr{p}, []Expr{n}, s); err == nil || err.Error() != "CASE branches have incompatible types BIGINT, VARCHAR" {
		t.Errorf("incompatible branches: %v", err)
	}
	if _, err := Case(nil, []Expr{p}, nil, nil); err == nil {
		t.Error("WHEN without THEN accepted")
	}
}

func TestCaseRandom(t *testing.T) {
	mem := newMem(t)
	rng := rand.New(rand.NewSource(9))
	b := randomBatch(mem, rng, 400)
	defer b.Release()
	cols := randomCols(b)
	c1 := must(t)(Binary(Gt, cols["i"], Literal(int64(3), Int64)))
	c2 := cols["b"]
	cond := func(row []any, k int) bool {
		if k == 0 {
			return row[0] != nil && row[0].(int64) > 3
		}
		return row[6] == true
	}
	branches := []struct {
		thens []Expr
		els   Expr
		get   func(row []any, k int) any // k = 2 is ELSE
	}{
		{[]Expr{cols["i"], cols["j"]}, Literal(int64(-1), Int64), func(row []any, k int) any {
			return []any{row[0], row[1], int64(-1)}[k]
		}},
		{[]Expr{cols["s"], Literal("lit", String)}, cols["u"], func(row []any, k int) any {
			return []any{row[4], "lit", row[5]}[k]
		}},
		{[]Expr{cols["b"], cols["c"]}, nil, func(row []any, k int) any {
			return []any{row[6], row[7], nil}[k]
		}},
		{[]Expr{cols["f"], cols["i"]}, cols["g"], func(row []any, k int) any {
			v := []any{row[2], row[0], row[3]}[k]
			if i, ok := v.(int64); ok {
				return float64(i)
			}
			return v
		}},
		{[]Expr{cols["ts"], cols["ts"]}, Literal(int64(0), Timestamp), func(row []any, k int) any {
			return []any{row[8], row[8], int64(0)}[k]
		}},
	}
	for _, br := range branches {
		e := must(t)(Case(nil, []Expr{c1, c2}, br.thens, br.els))
		checkAgainst(t, mem, e, b, func(row []any) any {
			for k := 0; k < 2; k++ {
				if cond(row, k) {
					return br.get(row, k)
				}
			}
			return br.get(row, 2)
		})
	}
	// COALESCE
	e := must(t)(Func("COALESCE", []Expr{cols["i"], cols["f"], Literal(int64(99), Int64)}))
	checkAgainst(t, mem, e, b, func(row []any) any {
		switch {
		case row[0] != nil:
			return float64(row[0].(int64))
		case row[2] != nil:
			return row[2]
		}
		return 99.0
	})
	e = must(t)(Func("coalesce", []Expr{cols["s"], Literal(nil, Null), cols["s"]}))
	checkAgainst(t, mem, e, b, func(row []any) any { return row[4] })
}

func TestCoalesceAndFriends(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem,
		testCol{"a", Int64, `[1, null, null, 4]`},
		testCol{"b", Int64, `[10, 20, null, 4]`},
		testCol{"p", Boolean, `[true, false, null, true]`},
	)
	defer b.Release()
	a, bb, p := col(b, "a"), col(b, "b"), col(b, "p")
	cases := []struct {
		name string
		args []Expr
		str  string
		want []any
	}{
		{"COALESCE", []Expr{a, bb}, "coalesce(a, b)", []any{int64(1), int64(20), nil, int64(4)}},
		{"coalesce", []Expr{a, bb, Literal(int64(0), Int64)}, "coalesce(a, b, 0)", []any{int64(1), int64(20), int64(0), int64(4)}},
		{"IFNULL", []Expr{a, Literal(int64(-1), Int64)}, "ifnull(a, -1)", []any{int64(1), int64(-1), int64(-1), int64(4)}},
		{"IF", []Expr{p, a, bb}, "if(p, a, b)", []any{int64(1), int64(20), nil, int64(4)}},
		{"NULLIF", []Expr{a, bb}, "nullif(a, b)", []any{int64(1), nil, nil, nil}},
		{"coalesce", []Expr{Literal(nil, Null), a}, "a", []any{int64(1), nil, nil, int64(4)}},
	}
	for _, c := range cases {
		e := must(t)(Func(c.name, c.args))
		if e.String() != c.str {
			t.Errorf("String: %s, want %s", e, c.str)
		}
		checkValues(t, e.String(), evalValues(t, mem, e, b), c.want)
	}
	if _, err := Func("coalesce", []Expr{a, Literal("x", String)}); err == nil {
		t.Error("COALESCE(BIGINT, 'x') accepted")
	}
	if _, err := Func("if", []Expr{a, a, a}); err == nil || err.Error() != "IF expects 3 arguments (BOOLEAN, value, value), got BIGINT, BIGINT, BIGINT" {
		t.Errorf("IF(BIGINT, ...): %v", err)
	}
}
