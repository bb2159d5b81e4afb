package vector

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestArithmeticTable(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem,
		testCol{"n", Int64, `[5, -7, 7, null, 9223372036854775807, -9223372036854775808, 0]`},
		testCol{"d", Int64, `[2, 2, 0, 1, 1, -1, 3]`},
		testCol{"x", Float64, `[7.5, -1.5, 2, null, 0.5, 1e300, 0]`},
		testCol{"ts", Timestamp, `[1000, 0, -500, null, 86400000, 1, 2]`},
	)
	defer b.Release()
	n, d, x, ts := col(b, "n"), col(b, "d"), col(b, "x"), col(b, "ts")
	lit := func(v any, typ arrow.DataType) Expr { return Literal(v, typ) }
	tests := []struct {
		op   BinaryOp
		l, r Expr
		typ  arrow.DataType
		want []any
	}{
		{Add, n, lit(int64(1), Int64), Int64, []any{int64(6), int64(-6), int64(8), nil, int64(math.MinInt64), int64(math.MinInt64 + 1), int64(1)}},
		{Sub, lit(int64(1), Int64), n, Int64, []any{int64(-4), int64(8), int64(-6), nil, int64(math.MinInt64 + 2), int64(math.MinInt64 + 1), int64(1)}},
		{Mul, n, d, Int64, []any{int64(10), int64(-14), int64(0), nil, int64(math.MaxInt64), int64(math.MinInt64), int64(0)}},
		{Div, n, d, Float64, []any{2.5, -3.5, nil, nil, float64(math.MaxInt64), 9223372036854775808.0, 0.0}},
		{IntDiv, n, d, Int64, []any{int64(2), int64(-3), nil, nil, int64(math.MaxInt64), int64(math.MinInt64), int64(0)}},
		{Mod, n, d, Int64, []any{int64(1), int64(-1), nil, nil, int64(0), int64(0), int64(0)}},
		{Mod, x, lit(int64(2), Int64), Float64, []any{1.5, -1.5, 0.0, nil, 0.5, math.Mod(1e300, 2), 0.0}},
		{Mod, n, lit(int64(0), Int64), Int64, []any{nil, nil, nil, nil, nil, nil, nil}},
		{Div, x, lit(0.0, Float64), Float64, []any{nil, nil, nil, nil, nil, nil, nil}},
		{Add, n, x, Float64, []any{12.5, -8.5, 9.0, nil, 9223372036854775807.5, 1e300, 0.0}},
		{IntDiv, x, lit(int64(2), Int64), Int64, []any{int64(3), int64(0), int64(1), nil, int64(0), nil, int64(0)}},
		{Add, ts, lit(int64(1000), Int64), Timestamp, []any{int64(2000), int64(1000), int64(500), nil, int64(86401000), int64(1001), int64(1002)}},
		{Add, lit(int64(1), Int64), ts, Timestamp, []any{int64(1001), int64(1), int64(-499), nil, int64(86400001), int64(2), int64(3)}},
		{Sub, ts, lit(int64(1000), Int64), Timestamp, []any{int64(0), int64(-1000), int64(-1500), nil, int64(86399000), int64(-999), int64(-998)}},
		{Sub, ts, lit(int64(0), Timestamp), Int64, []any{int64(1000), int64(0), int64(-500), nil, int64(86400000), int64(1), int64(2)}},
		{Add, n, lit(nil, Int64), Int64, []any{nil, nil, nil, nil, nil, nil, nil}},
		{Add, n, lit(nil, Null), Int64, []any{nil, nil, nil, nil, nil, nil, nil}},
	}
	for _, tc := range tests {
		e := must(t)(Binary(tc.op, tc.l, tc.r))
		if e.Type().ID() != tc.typ.ID() {
			t.Errorf("%s: type %s, want %s", e, e.Type(), tc.typ)
		}
		checkValues(t, e.String(), evalValues(t, mem, e, b), tc.want)
	}
}

func TestArithmeticFolding(t *testing.T) {
	mem := newMem(t)
	cases := []struct {
		op   BinaryOp
		l, r any
		want any
		str  string
	}{
		{Div, int64(5), int64(2), 2.5, "2.5"},
		{IntDiv, int64(-7), int64(2), int64(-3), "-3"},
		{Add, int64(1), 1.5, 2.5, "2.5"},
		{Div, int64(1), int64(0), nil, "NULL"},
		{Mod, int64(math.MinInt64), int64(-1), int64(0), "0"},
	}
	typeOf := func(v any) arrow.DataType {
		if _, ok := v.(float64); ok {
			return Float64
		}
		return Int64
	}
	for _, c := range cases {
		e := must(t)(Binary(c.op, Literal(c.l, typeOf(c.l)), Literal(c.r, typeOf(c.r))))
		v, ok := IsLiteral(e)
		if !ok {
			t.Fatalf("%s not folded", e)
		}
		if !sameValue(v, c.want) || e.String() != c.str {
			t.Errorf("%v %s %v = %#v (%s), want %#v (%s)", c.l, c.op, c.r, v, e, c.want, c.str)
		}
		checkValues(t, e.String(), []any{evalConst(t, mem, e)}, []any{c.want})
	}
}

// refArith is the obvious definition of the arithmetic operators.
func refArith(op BinaryOp, a, b any) any {
	if a == nil || b == nil {
		return nil
	}
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	if aInt && bInt && op != Div {
		switch op {
		case Add:
			return ai + bi
		case Sub:
			return ai - bi
		case Mul:
			return ai * bi
		case IntDiv:
			if bi == 0 {
				return nil
			}
			return ai / bi
		case Mod:
			if bi == 0 {
				return nil
			}
			return ai % bi
		}
	}
	toF := func(v any) float64 {
		if i, ok := v.(int64); ok {
			return float64(i)
		}
		return v.(float64)
	}
	x, y := toF(a), toF(b)
	switch op {
	case Add:
		return x + y
	case Sub:
		return x - y
	case Mul:
		return x * y
	case Div:
		if y == 0 {
			return nil
		}
		return x / y
	case IntDiv:
		if y == 0 {
			return nil
		}
		q := x / y
		if math.IsNaN(q) || q >= 9223372036854775808.0 || q < -9223372036854775808.0 {
			return nil
		}
		return int64(q)
	case Mod:
		if y == 0 {
			return nil
		}
		return math.Mod(x, y)
	}
	panic("op")
}

func TestArithmeticRandom(t *testing.T) {
	mem := newMem(t)
	rng := rand.New(rand.NewSource(1))
	b := randomBatch(mem, rng, 500)
	defer b.Release()
	cols := randomCols(b)
	type side struct {
		e   Expr
		get func(row []any) any
	}
	colSide := func(name string) side {
		idx := colIndex[name]
		return side{cols[name], func(row []any) any { return row[idx] }}
	}
	litSide := func(v any, typ arrow.DataType) side {
		return side{Literal(v, typ), func([]any) any { return v }}
	}
	sides := []side{colSide("i"), colSide("j"), colSide("f"), colSide("g"),
		litSide(int64(3), Int64), litSide(int64(0), Int64), litSide(-2.5, Float64), litSide(int64(-1), Int64)}
	for op := Add; op <= Mod; op++ {
		for _, l := range sides {
			for _, r := range sides {
				if allLiterals(l.e, r.e) {
					continue
				}
				e := must(t)(Binary(op, l.e, r.e))
				checkAgainst(t, mem, e, b, func(row []any) any { return refArith(op, l.get(row), r.get(row)) })
			}
		}
	}
	neg := must(t)(Negate(cols["i"]))
	checkAgainst(t, mem, neg, b, func(row []any) any {
		if row[0] == nil {
			return nil
		}
		return -row[0].(int64)
	})
	negf := must(t)(Negate(cols["f"]))
	checkAgainst(t, mem, negf, b, func(row []any) any {
		if row[2] == nil {
			return nil
		}
		return -row[2].(float64)
	})
}

func TestArithmeticTypeErrors(t *testing.T) {
	s := ColumnRef(0, String, "s")
	n := ColumnRef(1, Int64, "n")
	ts := ColumnRef(2, Timestamp, "ts")
	bo := ColumnRef(3, Boolean, "b")
	f := ColumnRef(4, Float64, "f")
	cases := []struct {
		op   BinaryOp
		l, r Expr
		want string
	}{
		{Add, s, n, "cannot apply + to VARCHAR and BIGINT"},
		{Mul, ts, n, "cannot apply * to TIMESTAMP(3) and BIGINT"},
		{Sub, n, ts, "cannot apply - to BIGINT and TIMESTAMP(3)"},
		{Add, ts, ts, "cannot apply + to TIMESTAMP(3) and TIMESTAMP(3)"},
		{Add, ts, f, "cannot apply + to TIMESTAMP(3) and DOUBLE"},
		{Div, bo, n, "cannot apply / to BOOLEAN and BIGINT"},
		{And, n, bo, "AND needs BOOLEAN operands, got BIGINT"},
		{Or, bo, s, "OR needs BOOLEAN operands, got VARCHAR"},
		{Eq, s, n, "cannot apply = to VARCHAR and BIGINT"},
		{Lt, ts, n, "cannot apply < to TIMESTAMP(3) and BIGINT"},
		{Eq, bo, f, "cannot apply = to BOOLEAN and DOUBLE"},
		{Gt, ts, Literal("not a time", String), "cannot convert 'not a time' to TIMESTAMP(3)"},
		{Eq, n, Literal("abc", String), "cannot convert 'abc' to BIGINT"},
	}
	for _, c := range cases {
		_, err := Binary(c.op, c.l, c.r)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s %s %s: error %v, want %q", c.l, c.op, c.r, err, c.want)
		}
	}
	if _, err := Negate(s); err == nil || !strings.Contains(err.Error(), "cannot apply - to VARCHAR") {
		t.Errorf("Negate(VARCHAR): %v", err)
	}
}

func TestBinaryString(t *testing.T) {
	n := ColumnRef(0, Int64, "n")
	e := must(t)(Binary(Add, n, Literal(int64(1), Int64)))
	if e.String() != "(n + 1)" {
		t.Errorf("got %s", e)
	}
	e = must(t)(Binary(Div, n, Literal(2.0, Float64)))
	if e.String() != "(CAST(n AS DOUBLE) / 2.0)" {
		t.Errorf("got %s", e)
	}
	e = must(t)(Binary(IntDiv, n, Literal(int64(2), Int64)))
	if e.String() != "(n DIV 2)" {
		t.Errorf("got %s", e)
	}
}
