package vector

import (
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestCastTable(t *testing.T) {
	mem := newMem(t)
	cases := []struct {
		from arrow.DataType
		js   string
		to   arrow.DataType
		want []any
	}{
		{String, `[" 42 ", "-7", "abc", "", "1.9", "-1.9", "9223372036854775807", "9223372036854775808", "1e3", null, "+5", "0x10"]`, Int64,
			[]any{int64(42), int64(-7), nil, nil, int64(1), int64(-1), int64(math.MaxInt64), nil, int64(1000), nil, int64(5), nil}},
		{String, `["1.5", " -2 ", "x", "1e-3", "inf", "NaN", null, ""]`, Float64,
			[]any{1.5, -2.0, nil, 0.001, math.Inf(1), math.NaN(), nil, nil}},
		{String, `["true", "FALSE", "1", "0", " True ", "yes", null, ""]`, Boolean,
			[]any{true, false, true, false, true, nil, nil, nil}},
		{String, `["2024-01-02 03:04:05.678", "2024-01-02T03:04:05Z", "2024-01-02", "1704067200000", "2024-01-02T03:04:05.1+01:00", "2024-02-30", "nope", null, "2024-01-02 03:04:05.123456"]`, Timestamp,
			[]any{int64(1704164645678), int64(1704164645000), int64(1704153600000), int64(1704067200000), int64(1704164645100 - 3600000), nil, nil, nil, int64(1704164645123)}},
		{Float64, `[1.9, -1.9, 0, null, 1e300, -1e300]`, Int64,
			[]any{int64(1), int64(-1), int64(0), nil, nil, nil}},
		{Int64, `[1, -2, null, 9007199254740993]`, Float64,
			[]any{1.0, -2.0, nil, 9007199254740992.0}},
		{Int64, `[0, 1, -5, null]`, Boolean, []any{false, true, true, nil}},
		{Float64, `[0, 0.5, null]`, Boolean, []any{false, true, nil}},
		{Boolean, `[true, false, null]`, Int64, []any{int64(1), int64(0), nil}},
		{Boolean, `[true, false, null]`, Float64, []any{1.0, 0.0, nil}},
		{Int64, `[0, 1704067200000, null]`, Timestamp, []any{int64(0), int64(1704067200000), nil}},
		{Timestamp, `[0, 1704067200000, null]`, Int64, []any{int64(0), int64(1704067200000), nil}},
		{Int64, `[42, -7, null, -9223372036854775808]`, String, []any{"42", "-7", nil, "-9223372036854775808"}},
		{Float64, `[2.5, 2, 0.1, 1e21, 1e-7, -0.000001, 123456789.125, null]`, String,
			[]any{"2.5", "2", "0.1", "1e+21", "1e-07", "-0.000001", "123456789.125", nil}},
		{Boolean, `[true, false, null]`, String, []any{"true", "false", nil}},
		{Timestamp, `[0, 1704164645678, -1, null]`, String,
			[]any{"1970-01-01 00:00:00.000", "2024-01-02 03:04:05.678", "1969-12-31 23:59:59.999", nil}},
	}
	for _, c := range cases {
		b := makeBatch(t, mem, testCol{"x", c.from, c.js})
		e := must(t)(Cast(col(b, "x"), c.to))
		checkValues(t, e.String(), evalValues(t, mem, e, b), c.want)
		// Sliced: drop the first row.
		sub := b.NewSlice(1, b.NumRows())
		checkValues(t, e.String()+" sliced", evalValues(t, mem, e, sub), c.want[1:])
		sub.Release()
		b.Release()
	}
}

func TestCastSpecial(t *testing.T) {
	mem := newMem(t)
	n := ColumnRef(0, Int64, "n")
	if e := must(t)(Cast(n, Int64)); e != n {
		t.Error("Cast to the same type is not a no-op")
	}
	for _, c := range []struct {
		from, to arrow.DataType
	}{{Timestamp, Float64}, {Boolean, Timestamp}, {Float64, Timestamp}, {Int64, Null}} {
		_, err := Cast(ColumnRef(0, c.from, "x"), c.to)
		want := "cannot cast " + TypeName(c.from) + " to " + TypeName(c.to)
		if err == nil || err.Error() != want {
			t.Errorf("Cast %s to %s: %v", TypeName(c.from), TypeName(c.to), err)
		}
	}
	e := must(t)(Cast(Literal(nil, Null), String))
	if v, ok := IsLiteral(e); !ok || v != nil || e.Type().ID() != arrow.STRING {
		t.Errorf("CAST(NULL AS VARCHAR) = %s", e)
	}
	e = must(t)(Cast(Literal("12", String), Int64))
	if v, _ := IsLiteral(e); v != int64(12) {
		t.Errorf("CAST('12' AS BIGINT) not folded: %s", e)
	}
	if got := must(t)(Cast(n, String)).String(); got != "CAST(n AS VARCHAR)" {
		t.Errorf("String: %s", got)
	}
	// A Null-typed column.
	b := makeBatch(t, mem, testCol{"z", Null, `[null, null]`})
	defer b.Release()
	e = must(t)(Cast(col(b, "z"), Int64))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{nil, nil})
}

func TestCastRandom(t *testing.T) {
	mem := newMem(t)
	rng := rand.New(rand.NewSource(7))
	b := randomBatch(mem, rng, 300)
	defer b.Release()
	cols := randomCols(b)
	// Round trips through VARCHAR.
	for _, name := range []string{"i", "j", "f", "g", "b", "c", "ts"} {
		c := cols[name]
		idx := colIndex[name]
		back := must(t)(Cast(must(t)(Cast(c, String)), c.Type()))
		checkAgainst(t, mem, back, b, func(row []any) any { return row[idx] })
	}
	// Reference formatting with the standard library.
	checkAgainst(t, mem, must(t)(Cast(cols["ts"], String)), b, func(row []any) any {
		if row[8] == nil {
			return nil
		}
		return time.UnixMilli(row[8].(int64)).UTC().Format("2006-01-02 15:04:05.000")
	})
	checkAgainst(t, mem, must(t)(Cast(cols["j"], String)), b, func(row []any) any {
		return strconv.FormatInt(row[1].(int64), 10)
	})
	checkAgainst(t, mem, must(t)(Cast(cols["g"], Int64)), b, func(row []any) any {
		return int64(math.Trunc(row[3].(float64)))
	})
	checkAgainst(t, mem, must(t)(Cast(cols["s"], Int64)), b, func(row []any) any {
		if row[4] == nil {
			return nil
		}
		v, err := strconv.ParseInt(strings.TrimSpace(row[4].(string)), 10, 64)
		if err != nil {
			return nil
		}
		return v
	})
}

func TestCommonType(t *testing.T) {
	cases := []struct {
		in   []arrow.DataType
		want arrow.DataType
		ok   bool
	}{
		{[]arrow.DataType{Int64, Int64}, Int64, true},
		{[]arrow.DataType{Int64, Float64}, Float64, true},
		{[]arrow.DataType{Null, String}, String, true},
		{[]arrow.DataType{Null, Null}, Null, true},
		{nil, Null, true},
		{[]arrow.DataType{String, Timestamp}, nil, false},
		{[]arrow.DataType{Boolean, Int64}, nil, false},
		{[]arrow.DataType{Timestamp, Null, Timestamp}, Timestamp, true},
	}
	for _, c := range cases {
		got, ok := CommonType(c.in...)
		if ok != c.ok || (ok && got.ID() != c.want.ID()) {
			t.Errorf("CommonType(%v) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestLiteral(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem, testCol{"x", Int64, `[1, 2, 3]`})
	defer b.Release()
	cases := []struct {
		e    Expr
		str  string
		want any
	}{
		{Literal(int64(7), Int64), "7", int64(7)},
		{Literal(7, Int64), "7", int64(7)},
		{Literal(2.0, Float64), "2.0", 2.0},
		{Literal(int64(2), Float64), "2.0", 2.0},
		{Literal("it's", String), "'it''s'", "it's"},
		{Literal(true, Boolean), "TRUE", true},
		{Literal(int64(0), Timestamp), "TIMESTAMP '1970-01-01 00:00:00.000'", int64(0)},
		{Literal("2024-01-02", Timestamp), "TIMESTAMP '2024-01-02 00:00:00.000'", int64(1704153600000)},
		{Literal(nil, String), "NULL", nil},
		{Literal(nil, Null), "NULL", nil},
	}
	for _, c := range cases {
		if c.e.String() != c.str {
			t.Errorf("String: %s, want %s", c.e, c.str)
		}
		checkValues(t, c.str, evalValues(t, mem, c.e, b), []any{c.want, c.want, c.want})
	}
	if _, err := NewLiteral("x", Int64); err == nil {
		t.Error("NewLiteral(string, BIGINT) should fail")
	}
}

// TestLiteralMisfitDoesNotPanic: Literal with a value that does not fit
// its type gives an expression whose evaluation fails.
func TestLiteralMisfitDoesNotPanic(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem, testCol{"x", Int64, `[1]`})
	defer b.Release()
	e := Literal("x", Int64)
	if e.Type() != Int64 {
		t.Errorf("type %s", e.Type())
	}
	if _, err := e.Eval(mem, b); err == nil || !strings.HasPrefix(err.Error(), "internal error: bad literal: ") {
		t.Errorf("Eval = %v, want an internal error", err)
	}
	if _, ok := IsLiteral(e); ok {
		t.Error("a bad literal must not be taken for a constant")
	}
}

func TestColumnRef(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem, testCol{"x", Int64, `[1, null, 3]`}, testCol{"s", String, `["a", "b", null]`})
	defer b.Release()
	e := ColumnRef(0, Int64, "x")
	arr, err := e.Eval(mem, b)
	if err != nil {
		t.Fatal(err)
	}
	if arr != b.Column(0) {
		t.Error("ColumnRef copied its column")
	}
	arr.Release()
	if _, err := ColumnRef(0, String, "x").Eval(mem, b); err == nil {
		t.Error("type mismatch not reported")
	}
	if _, err := ColumnRef(5, String, "y").Eval(mem, b); err == nil {
		t.Error("bad index not reported")
	}
	if ColumnRef(1, String, "").String() != "#1" {
		t.Error("unnamed column rendering")
	}
}
