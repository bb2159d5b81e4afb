package vector

import (
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStringFuncsTable(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem,
		testCol{"s", String, `["Hello", "ÉCOLE straße", "", null, "  pad  ", "abc€def"]`},
		testCol{"n", Int64, `[1, 2, 3, 4, null, 6]`},
	)
	defer b.Release()
	s, n := col(b, "s"), col(b, "n")
	i64 := func(v int64) Expr { return Literal(v, Int64) }
	str := func(v string) Expr { return Literal(v, String) }
	cases := []struct {
		name string
		args []Expr
		want []any
	}{
		{"LOWER", []Expr{s}, []any{"hello", "école straße", "", nil, "  pad  ", "abc€def"}},
		{"upper", []Expr{s}, []any{"HELLO", "ÉCOLE STRASSE"[:0] + strings.ToUpper("ÉCOLE straße"), "", nil, "  PAD  ", "ABC€DEF"}},
		{"LENGTH", []Expr{s}, []any{int64(5), int64(12), int64(0), nil, int64(7), int64(7)}},
		{"CHAR_LENGTH", []Expr{s}, []any{int64(5), int64(12), int64(0), nil, int64(7), int64(7)}},
		{"OCTET_LENGTH", []Expr{s}, []any{int64(5), int64(14), int64(0), nil, int64(7), int64(9)}},
		{"SUBSTRING", []Expr{s, i64(2)}, []any{"ello", "COLE straße", "", nil, " pad  ", "bc€def"}},
		{"SUBSTR", []Expr{s, i64(2), i64(3)}, []any{"ell", "COL", "", nil, " pa", "bc€"}},
		{"substring", []Expr{s, i64(-3)}, []any{"llo", "aße", "", nil, "d  ", "def"}},
		{"substring", []Expr{s, i64(-3), i64(2)}, []any{"ll", "aß", "", nil, "d ", "de"}},
		{"substring", []Expr{s, i64(0)}, []any{"", "", "", nil, "", ""}},
		{"substring", []Expr{s, i64(-20)}, []any{"", "", "", nil, "", ""}},
		{"substring", []Expr{s, i64(3), i64(-1)}, []any{"", "", "", nil, "", ""}},
		{"substring", []Expr{s, n, i64(2)}, []any{"He", "CO", "", nil, nil, "ef"}},
		{"CONCAT", []Expr{s, str("-"), n}, []any{"Hello-1", "ÉCOLE straße-2", "-3", nil, nil, "abc€def-6"}},
		{"CONCAT_WS", []Expr{str(","), s, n}, []any{"Hello,1", "ÉCOLE straße,2", ",3", "4", "  pad  ", "abc€def,6"}},
		{"INSTR", []Expr{s, str("l")}, []any{int64(3), int64(0), int64(0), nil, int64(0), int64(0)}},
		{"INSTR", []Expr{s, str("d")}, []any{int64(0), int64(0), int64(0), nil, int64(5), int64(5)}},
		{"INSTR", []Expr{s, str("")}, []any{int64(1), int64(1), int64(1), nil, int64(1), int64(1)}},
		{"TRIM", []Expr{s}, []any{"Hello", "ÉCOLE straße", "", nil, "pad", "abc€def"}},
		{"LTRIM", []Expr{s}, []any{"Hello", "ÉCOLE straße", "", nil, "pad  ", "abc€def"}},
		{"RTRIM", []Expr{s}, []any{"Hello", "ÉCOLE straße", "", nil, "  pad", "abc€def"}},
		{"REPLACE", []Expr{s, str("l"), str("LL")}, []any{"HeLLLLo", "ÉCOLE straße", "", nil, "  pad  ", "abc€def"}},
		{"REPLACE", []Expr{s, str(""), str("x")}, []any{"Hello", "ÉCOLE straße", "", nil, "  pad  ", "abc€def"}},
		{"lower", []Expr{Literal(nil, String)}, []any{nil, nil, nil, nil, nil, nil}},
		{"upper", []Expr{Literal(nil, Null)}, []any{nil, nil, nil, nil, nil, nil}},
	}
	for _, c := range cases {
		e := must(t)(Func(c.name, c.args))
		checkValues(t, e.String(), evalValues(t, mem, e, b), c.want)
		sub := b.NewSlice(2, b.NumRows())
		checkValues(t, e.String()+" sliced", evalValues(t, mem, e, sub), c.want[2:])
		sub.Release()
	}
	if got := must(t)(Func("LOWER", []Expr{s})).String(); got != "lower(s)" {
		t.Errorf("String: %s", got)
	}
	if v, _ := IsLiteral(must(t)(Func("upper", []Expr{str("abc")}))); v != "ABC" {
		t.Errorf("UPPER('abc') not folded: %v", v)
	}
}

func TestMathFuncsTable(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem,
		testCol{"n", Int64, `[-5, 15, 25, null, -9223372036854775808, 149]`},
		testCol{"x", Float64, `[-2.5, 2.5, 1.45, null, 0.5, -0.4]`},
		testCol{"d", Int64, `[0, 1, -1, 2, null, -2]`},
	)
	defer b.Release()
	n, x, d := col(b, "n"), col(b, "x"), col(b, "d")
	i64 := func(v int64) Expr { return Literal(v, Int64) }
	cases := []struct {
		name string
		args []Expr
		want []any
	}{
		{"ABS", []Expr{n}, []any{int64(5), int64(15), int64(25), nil, int64(math.MinInt64), int64(149)}},
		{"abs", []Expr{x}, []any{2.5, 2.5, 1.45, nil, 0.5, 0.4}},
		{"ROUND", []Expr{x}, []any{-3.0, 3.0, 1.0, nil, 1.0, -0.0}},
		{"ROUND", []Expr{x, i64(1)}, []any{-2.5, 2.5, 1.5, nil, 0.5, -0.4}},
		{"ROUND", []Expr{n, i64(-1)}, []any{int64(-10), int64(20), int64(30), nil, int64(9223372036854775806) /* wraps */, int64(150)}},
		{"ROUND", []Expr{n, d}, []any{int64(-5), int64(15), int64(30), nil, nil, int64(100)}},
		{"ROUND", []Expr{n}, []any{int64(-5), int64(15), int64(25), nil, int64(math.MinInt64), int64(149)}},
		{"FLOOR", []Expr{x}, []any{-3.0, 2.0, 1.0, nil, 0.0, -1.0}},
		{"CEIL", []Expr{x}, []any{-2.0, 3.0, 2.0, nil, 1.0, -0.0}},
		{"CEILING", []Expr{n}, []any{int64(-5), int64(15), int64(25), nil, int64(math.MinInt64), int64(149)}},
		{"MOD", []Expr{n, i64(4)}, []any{int64(-1), int64(3), int64(1), nil, int64(0), int64(1)}},
		{"MOD", []Expr{n, d}, []any{nil, int64(0), int64(0), nil, nil, int64(1)}},
		{"SQRT", []Expr{x}, []any{nil, math.Sqrt(2.5), math.Sqrt(1.45), nil, math.Sqrt(0.5), nil}},
		{"LN", []Expr{i64(0)}, []any{nil, nil, nil, nil, nil, nil}},
		{"POWER", []Expr{n, i64(2)}, []any{25.0, 225.0, 625.0, nil, math.Pow(-9223372036854775808, 2), 22201.0}},
		{"POW", []Expr{x, Literal(0.5, Float64)}, []any{nil, math.Sqrt(2.5), math.Sqrt(1.45), nil, math.Sqrt(0.5), nil}},
	}
	for _, c := range cases {
		e := must(t)(Func(c.name, c.args))
		checkValues(t, e.String(), evalValues(t, mem, e, b), c.want)
	}
}

func TestFuncErrors(t *testing.T) {
	s := ColumnRef(0, String, "s")
	n := ColumnRef(1, Int64, "n")
	cases := []struct {
		name string
		args []Expr
		want string
	}{
		{"LOWER", []Expr{n}, "LOWER expects 1 argument of type VARCHAR, got BIGINT"},
		{"lower", []Expr{s, s}, "LOWER expects 1 argument of type VARCHAR, got VARCHAR, VARCHAR"},
		{"upper", nil, "UPPER expects 1 argument of type VARCHAR, got no arguments"},
		{"substring", []Expr{s, s}, "SUBSTRING expects arguments (VARCHAR, BIGINT[, BIGINT]), got VARCHAR, VARCHAR"},
		{"abs", []Expr{s}, "ABS expects 1 argument of type BIGINT or DOUBLE, got VARCHAR"},
		{"round", []Expr{n, s}, "ROUND expects arguments (BIGINT or DOUBLE[, BIGINT]), got BIGINT, VARCHAR"},
		{"nosuch", []Expr{s}, "unknown function NOSUCH"},
		{"instr", []Expr{s}, "INSTR expects 2 arguments of type VARCHAR, got VARCHAR"},
		{"concat", nil, "CONCAT expects at least 1 argument, got no arguments"},
	}
	for _, c := range cases {
		_, err := Func(c.name, c.args)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if !KnownFunc("Char_Length") || KnownFunc("nosuch") {
		t.Error("KnownFunc")
	}
}

// refSubstring is MySQL's SUBSTRING over runes.
func refSubstring(s string, pos, n int64, hasLen bool) string {
	rs := []rune(s)
	l := int64(len(rs))
	var start int64
	switch {
	case pos > 0:
		start = pos - 1
	case pos < 0:
		start = l + pos
	default:
		return ""
	}
	if start < 0 || start >= l {
		return ""
	}
	end := l
	if hasLen {
		if n < 1 {
			return ""
		}
		if start+n < end {
			end = start + n
		}
	}
	return string(rs[start:end])
}

func TestStringFuncsRandom(t *testing.T) {
	mem := newMem(t)
	rng := rand.New(rand.NewSource(10))
	b := randomBatch(mem, rng, 300)
	defer b.Release()
	cols := randomCols(b)
	strFn := func(name string, f func(string) any) {
		for _, c := range []string{"s", "u"} {
			idx := colIndex[c]
			e := must(t)(Func(name, []Expr{cols[c]}))
			checkAgainst(t, mem, e, b, func(row []any) any {
				if row[idx] == nil {
					return nil
				}
				return f(row[idx].(string))
			})
		}
	}
	strFn("lower", func(s string) any { return strings.ToLower(s) })
	strFn("upper", func(s string) any { return strings.ToUpper(s) })
	strFn("length", func(s string) any { return int64(utf8.RuneCountInString(s)) })
	strFn("octet_length", func(s string) any { return int64(len(s)) })
	strFn("trim", func(s string) any { return strings.Trim(s, " ") })
	strFn("ltrim", func(s string) any { return strings.TrimLeft(s, " ") })
	strFn("rtrim", func(s string) any { return strings.TrimRight(s, " ") })
	for _, c := range []string{"s", "u"} {
		idx := colIndex[c]
		// SUBSTRING with column positions and lengths (i has NULLs).
		e := must(t)(Func("substring", []Expr{cols[c], cols["i"]}))
		checkAgainst(t, mem, e, b, func(row []any) any {
			if row[idx] == nil || row[0] == nil {
				return nil
			}
			return refSubstring(row[idx].(string), row[0].(int64), 0, false)
		})
		for _, pos := range []int64{-4, -1, 0, 1, 3, 9} {
			e := must(t)(Func("substring", []Expr{cols[c], Literal(pos, Int64), cols["i"]}))
			checkAgainst(t, mem, e, b, func(row []any) any {
				if row[idx] == nil || row[0] == nil {
					return nil
				}
				return refSubstring(row[idx].(string), pos, row[0].(int64), true)
			})
		}
		e = must(t)(Func("instr", []Expr{cols[c], Literal("b", String)}))
		checkAgainst(t, mem, e, b, func(row []any) any {
			if row[idx] == nil {
				return nil
			}
			s := row[idx].(string)
			i := strings.Index(s, "b")
			if i < 0 {
				return int64(0)
			}
			return int64(utf8.RuneCountInString(s[:i]) + 1)
		})
		e = must(t)(Func("concat", []Expr{cols[c], cols["i"], cols["u"]}))
		checkAgainst(t, mem, e, b, func(row []any) any {
			if row[idx] == nil || row[0] == nil {
				return nil
			}
			return row[idx].(string) + strconv.FormatInt(row[0].(int64), 10) + row[5].(string)
		})
		e = must(t)(Func("replace", []Expr{cols[c], Literal("a", String), cols["u"]}))
		checkAgainst(t, mem, e, b, func(row []any) any {
			if row[idx] == nil {
				return nil
			}
			return strings.ReplaceAll(row[idx].(string), "a", row[5].(string))
		})
	}
}

func TestMathFuncsRandom(t *testing.T) {
	mem := newMem(t)
	rng := rand.New(rand.NewSource(11))
	b := randomBatch(mem, rng, 300)
	defer b.Release()
	cols := randomCols(b)
	fl := func(name string, f func(float64) any) {
		e := must(t)(Func(name, []Expr{cols["f"]}))
		checkAgainst(t, mem, e, b, func(row []any) any {
			if row[2] == nil {
				return nil
			}
			return f(row[2].(float64))
		})
	}
	fl("abs", func(x float64) any { return math.Abs(x) })
	fl("floor", func(x float64) any { return math.Floor(x) })
	fl("ceil", func(x float64) any { return math.Ceil(x) })
	fl("round", func(x float64) any { return math.Round(x) })
	fl("sqrt", func(x float64) any {
		if x < 0 {
			return nil
		}
		return math.Sqrt(x)
	})
	fl("exp", func(x float64) any { return math.Exp(x) })
	e := must(t)(Func("round", []Expr{cols["f"], Literal(int64(1), Int64)}))
	checkAgainst(t, mem, e, b, func(row []any) any {
		if row[2] == nil {
			return nil
		}
		return math.Round(row[2].(float64)*10) / 10
	})
	e = must(t)(Func("abs", []Expr{cols["j"]}))
	checkAgainst(t, mem, e, b, func(row []any) any {
		v := row[1].(int64)
		if v < 0 {
			return -v
		}
		return v
	})
	e = must(t)(Func("round", []Expr{cols["j"], Literal(int64(-2), Int64)}))
	checkAgainst(t, mem, e, b, func(row []any) any {
		v := row[1].(int64)
		if v > 1e15 || v < -1e15 {
			// Rounding near the extremes wraps; compare with integer math.
			return roundInt(v, -2)
		}
		return int64(math.Round(float64(v)/100)) * 100
	})
}
