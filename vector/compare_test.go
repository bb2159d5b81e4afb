package vector

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// refCompare is the obvious definition of the comparison operators.
func refCompare(op BinaryOp, a, b any) any {
	if a == nil || b == nil {
		return nil
	}
	var c int
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			c = cmpInt(x, y)
		} else {
			c = cmpF(float64(x), b.(float64))
		}
	case float64:
		if y, ok := b.(int64); ok {
			c = cmpF(x, float64(y))
		} else {
			c = cmpF(x, b.(float64))
		}
	case string:
		c = strings.Compare(x, b.(string))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			c = 0
		case y:
			c = -1
		default:
			c = 1
		}
	}
	switch op {
	case Eq:
		return c == 0
	case NotEq:
		return c != 0
	case Lt:
		return c < 0
	case LtEq:
		return c <= 0
	case Gt:
		return c > 0
	case GtEq:
		return c >= 0
	}
	panic("op")
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func cmpF(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func TestCompareRandom(t *testing.T) {
	mem := newMem(t)
	rng := rand.New(rand.NewSource(2))
	b := randomBatch(mem, rng, 400)
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
	groups := [][]side{
		{colSide("i"), colSide("j"), colSide("f"), colSide("g"), litSide(int64(3), Int64), litSide(0.5, Float64), litSide(math.NaN(), Float64)},
		{colSide("s"), colSide("u"), litSide("ab", String), litSide("", String), litSide("é", String)},
		{colSide("b"), colSide("c"), litSide(true, Boolean), litSide(false, Boolean)},
		{colSide("ts"), litSide(int64(5e11), Timestamp)},
	}
	for op := Eq; op <= GtEq; op++ {
		for _, g := range groups {
			for _, l := range g {
				for _, r := range g {
					if allLiterals(l.e, r.e) {
						continue
					}
					e := must(t)(Binary(op, l.e, r.e))
					checkAgainst(t, mem, e, b, func(row []any) any { return refCompare(op, l.get(row), r.get(row)) })
				}
			}
		}
	}
}

func TestCompareCoercion(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem,
		testCol{"ts", Timestamp, `[0, 1704067200000, 1704067200001, null]`},
		testCol{"n", Int64, `[1, 42, 43, null]`},
	)
	defer b.Release()
	ts, n := col(b, "ts"), col(b, "n")
	e := must(t)(Binary(GtEq, ts, Literal("2024-01-01", String)))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{false, true, true, nil})
	if !strings.Contains(e.String(), "TIMESTAMP '2024-01-01 00:00:00.000'") {
		t.Errorf("string literal not converted at construction: %s", e)
	}
	e = must(t)(Binary(Eq, n, Literal("42", String)))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{false, true, false, nil})
	e = must(t)(Binary(Lt, n, Literal("42.5", String)))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{true, true, false, nil})
	e = must(t)(Binary(Eq, n, Literal(nil, Null)))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{nil, nil, nil, nil})
	if e.String() != "NULL" {
		t.Errorf("n = NULL should fold to NULL, got %s", e)
	}
}

func TestLogicThreeValued(t *testing.T) {
	mem := newMem(t)
	// Every combination of TRUE, FALSE, NULL.
	b := makeBatch(t, mem,
		testCol{"a", Boolean, `[true, true, true, false, false, false, null, null, null]`},
		testCol{"b", Boolean, `[true, false, null, true, false, null, true, false, null]`},
	)
	defer b.Release()
	a, bb := col(b, "a"), col(b, "b")
	and := must(t)(Binary(And, a, bb))
	checkValues(t, "AND", evalValues(t, mem, and, b), []any{true, false, nil, false, false, false, nil, false, nil})
	or := must(t)(Binary(Or, a, bb))
	checkValues(t, "OR", evalValues(t, mem, or, b), []any{true, true, true, true, false, nil, true, nil, nil})
	not := must(t)(Not(a))
	checkValues(t, "NOT", evalValues(t, mem, not, b), []any{false, false, false, true, true, true, nil, nil, nil})
	isn := IsNull(a, false)
	checkValues(t, "IS NULL", evalValues(t, mem, isn, b), []any{false, false, false, false, false, false, true, true, true})
	isnn := IsNull(bb, true)
	checkValues(t, "IS NOT NULL", evalValues(t, mem, isnn, b), []any{true, true, false, true, true, false, true, true, false})

	// Constant operands.
	for _, c := range []struct {
		op   BinaryOp
		lit  any
		want []any
		str  string
	}{
		{And, true, []any{true, true, true, false, false, false, nil, nil, nil}, "a"},
		{And, false, []any{false, false, false, false, false, false, false, false, false}, "FALSE"},
		{And, nil, []any{nil, nil, nil, false, false, false, nil, nil, nil}, "(a AND NULL)"},
		{Or, true, []any{true, true, true, true, true, true, true, true, true}, "TRUE"},
		{Or, false, []any{true, true, true, false, false, false, nil, nil, nil}, "a"},
		{Or, nil, []any{true, true, true, nil, nil, nil, nil, nil, nil}, "(a OR NULL)"},
	} {
		e := must(t)(Binary(c.op, a, Literal(c.lit, Boolean)))
		checkValues(t, e.String(), evalValues(t, mem, e, b), c.want)
		if e.String() != c.str {
			t.Errorf("got %s, want %s", e, c.str)
		}
		e = must(t)(Binary(c.op, Literal(c.lit, Boolean), a))
		checkValues(t, e.String(), evalValues(t, mem, e, b), c.want)
	}
	// Untyped NULL operand.
	e := must(t)(Binary(And, a, Literal(nil, Null)))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{nil, nil, nil, false, false, false, nil, nil, nil})
	if _, err := Not(ColumnRef(0, Int64, "n")); err == nil || err.Error() != "NOT needs BOOLEAN operands, got BIGINT" {
		t.Errorf("NOT BIGINT: %v", err)
	}
}

// refAnd and refOr are SQL's three-valued AND and OR.
func refAnd(a, b any) any {
	if a == false || b == false {
		return false
	}
	if a == nil || b == nil {
		return nil
	}
	return true
}

func refOr(a, b any) any {
	if a == true || b == true {
		return true
	}
	if a == nil || b == nil {
		return nil
	}
	return false
}

func TestLogicRandom(t *testing.T) {
	mem := newMem(t)
	rng := rand.New(rand.NewSource(3))
	b := randomBatch(mem, rng, 300)
	defer b.Release()
	cols := randomCols(b)
	// A derived boolean with nulls at other places: i > 0.
	ipos := must(t)(Binary(Gt, cols["i"], Literal(int64(0), Int64)))
	ref := func(row []any) any { return refCompare(Gt, row[0], int64(0)) }
	ops := []struct {
		e   Expr
		get func([]any) any
	}{
		{cols["b"], func(r []any) any { return r[6] }},
		{cols["c"], func(r []any) any { return r[7] }},
		{ipos, ref},
	}
	for _, l := range ops {
		for _, r := range ops {
			e := must(t)(Binary(And, l.e, r.e))
			checkAgainst(t, mem, e, b, func(row []any) any { return refAnd(l.get(row), r.get(row)) })
			e = must(t)(Binary(Or, l.e, r.e))
			checkAgainst(t, mem, e, b, func(row []any) any { return refOr(l.get(row), r.get(row)) })
		}
		e := must(t)(Not(l.e))
		checkAgainst(t, mem, e, b, func(row []any) any {
			v := l.get(row)
			if v == nil {
				return nil
			}
			return !v.(bool)
		})
		for _, neg := range []bool{false, true} {
			e := IsNull(l.e, neg)
			checkAgainst(t, mem, e, b, func(row []any) any { return (l.get(row) == nil) != neg })
		}
	}
	for name, c := range cols {
		e := IsNull(c, false)
		idx := colIndex[name]
		checkAgainst(t, mem, e, b, func(row []any) any { return row[idx] == nil })
	}
}

func TestInSemantics(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem,
		testCol{"n", Int64, `[1, 2, 3, null]`},
		testCol{"s", String, `["a", "b", "c", null]`},
		testCol{"m", Int64, `[5, 2, null, 1]`},
		testCol{"ts", Timestamp, `[0, 1704067200000, 5, null]`},
	)
	defer b.Release()
	n, s, m, ts := col(b, "n"), col(b, "s"), col(b, "m"), col(b, "ts")
	i64 := func(v any) Expr { return Literal(v, Int64) }
	cases := []struct {
		e    Expr
		list []Expr
		neg  bool
		want []any
	}{
		{n, []Expr{i64(int64(1)), i64(int64(3))}, false, []any{true, false, true, nil}},
		{n, []Expr{i64(int64(1)), i64(int64(3))}, true, []any{false, true, false, nil}},
		{n, []Expr{i64(int64(1)), i64(nil)}, false, []any{true, nil, nil, nil}},
		{n, []Expr{i64(int64(1)), Literal(nil, Null)}, true, []any{false, nil, nil, nil}},
		{n, []Expr{Literal(2.0, Float64), Literal(2.5, Float64)}, false, []any{false, true, false, nil}},
		{s, []Expr{Literal("a", String), Literal("c", String)}, false, []any{true, false, true, nil}},
		{n, []Expr{m, i64(int64(3))}, false, []any{false, true, true, nil}},
		{n, []Expr{m}, true, []any{true, false, nil, nil}},
		{ts, []Expr{Literal("2024-01-01", String), Literal(int64(5), Timestamp)}, false, []any{false, true, true, nil}},
	}
	for _, c := range cases {
		e := must(t)(In(c.e, c.list, c.neg))
		checkValues(t, e.String(), evalValues(t, mem, e, b), c.want)
	}
	// A large list uses a map.
	var list []Expr
	for v := int64(0); v < 100; v += 2 {
		list = append(list, i64(v))
	}
	e := must(t)(In(n, list, false))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{false, true, false, nil})
	if _, err := In(s, []Expr{i64(int64(1))}, false); err == nil {
		t.Error("VARCHAR IN (BIGINT) should fail")
	}
	if got := must(t)(In(n, []Expr{i64(int64(1)), i64(int64(2))}, true)).String(); got != "(n NOT IN (1, 2))" {
		t.Errorf("String: %s", got)
	}
}

func TestInRandom(t *testing.T) {
	mem := newMem(t)
	rng := rand.New(rand.NewSource(4))
	b := randomBatch(mem, rng, 300)
	defer b.Release()
	cols := randomCols(b)
	for _, size := range []int{1, 3, 20} {
		for _, withNull := range []bool{false, true} {
			var list []Expr
			var ints []int64
			var strs []string
			for k := 0; k < size; k++ {
				v := rng.Int63n(21) - 10
				ints = append(ints, v)
				list = append(list, Literal(v, Int64))
			}
			var slist []Expr
			for k := 0; k < size; k++ {
				v := randomString(rng, "abcAB _%é€ß", 2)
				strs = append(strs, v)
				slist = append(slist, Literal(v, String))
			}
			if withNull {
				list = append(list, Literal(nil, Int64))
				slist = append(slist, Literal(nil, String))
			}
			for _, neg := range []bool{false, true} {
				ref := func(v any, found bool) any {
					switch {
					case v == nil:
						return nil
					case found:
						return !neg
					case withNull:
						return nil
					}
					return neg
				}
				e := must(t)(In(cols["i"], list, neg))
				checkAgainst(t, mem, e, b, func(row []any) any {
					found := false
					for _, x := range ints {
						found = found || row[0] == x
					}
					return ref(row[0], found)
				})
				e = must(t)(In(cols["s"], slist, neg))
				checkAgainst(t, mem, e, b, func(row []any) any {
					found := false
					for _, x := range strs {
						found = found || row[4] == x
					}
					return ref(row[4], found)
				})
				// Non-constant list: expanded into ORs, same answers.
				e = must(t)(In(cols["i"], append([]Expr{cols["j"]}, list...), neg))
				checkAgainst(t, mem, e, b, func(row []any) any {
					found := row[0] != nil && row[0] == row[1]
					for _, x := range ints {
						found = found || row[0] == x
					}
					return ref(row[0], found)
				})
			}
		}
	}
}
