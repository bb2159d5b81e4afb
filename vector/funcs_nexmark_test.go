package vector

import (
	"testing"
	"time"
)

// The date, regexp and split functions over columns, constant and
// per-row patterns, NULLs and sliced batches.
func TestNexmarkFuncsTable(t *testing.T) {
	mem := newMem(t)
	ts := func(y int, mo time.Month, d, h, mi, s, ms int) int64 {
		return time.Date(y, mo, d, h, mi, s, ms*1e6, time.UTC).UnixMilli()
	}
	b := makeBatch(t, mem,
		testCol{"s", String, `["a/b/c", "x=1&channel_id=42", "", null, "//", "a b\tc"]`},
		testCol{"p", String, `["(b)/(c)", "channel_id=(\\d+)", "(", "x", null, "^$"]`},
		testCol{"g", Int64, `[2, 1, 0, 1, 0, null]`},
		testCol{"ts", Timestamp, "[" +
			itoa64(ts(2024, 3, 3, 8, 5, 9, 7)) + "," + itoa64(ts(2024, 3, 4, 23, 59, 59, 999)) + "," +
			itoa64(ts(1969, 12, 31, 0, 0, 0, 1)) + ", null," + itoa64(ts(2000, 2, 29, 12, 0, 0, 0)) + "," +
			itoa64(ts(2023, 1, 1, 0, 0, 0, 0)) + "]"},
	)
	defer b.Release()
	s, p, g, tcol := col(b, "s"), col(b, "p"), col(b, "g"), col(b, "ts")
	i64 := func(v int64) Expr { return Literal(v, Int64) }
	str := func(v string) Expr { return Literal(v, String) }
	cases := []struct {
		name string
		args []Expr
		want []any
	}{
		{"SPLIT_INDEX", []Expr{s, str("/"), i64(0)}, []any{"a", "x=1&channel_id=42", nil, nil, "", "a b\tc"}},
		{"SPLIT_INDEX", []Expr{s, str("/"), i64(2)}, []any{"c", nil, nil, nil, "", nil}},
		{"SPLIT_INDEX", []Expr{s, str("/"), i64(3)}, []any{nil, nil, nil, nil, nil, nil}},
		{"SPLIT_INDEX", []Expr{s, str("/"), i64(-1)}, []any{nil, nil, nil, nil, nil, nil}},
		{"SPLIT_INDEX", []Expr{s, str(""), i64(1)}, []any{nil, nil, nil, nil, nil, "b"}},
		{"SPLIT_INDEX", []Expr{s, str("&"), g}, []any{nil, "channel_id=42", nil, nil, "//", nil}},
		{"REGEXP_EXTRACT", []Expr{s, p, g}, []any{"c", "42", nil, nil, nil, nil}},
		{"REGEXP_EXTRACT", []Expr{s, p}, []any{"b/c", "channel_id=42", nil, nil, nil, nil}},
		{"REGEXP_EXTRACT", []Expr{s, str("([a-z])(=)?"), i64(2)}, []any{nil, "=", nil, nil, nil, nil}},
		{"REGEXP_EXTRACT", []Expr{s, str("[a-z]+"), i64(1)}, []any{nil, nil, nil, nil, nil, nil}},
		{"REGEXP_LIKE", []Expr{s, p}, []any{true, true, nil, nil, nil, false}},
		{"REGEXP_LIKE", []Expr{s, str("^a")}, []any{true, false, false, nil, false, true}},
		{"DATE_FORMAT", []Expr{tcol, str("yyyy-MM-dd HH:mm:ss.SSS")}, []any{"2024-03-03 08:05:09.007", "2024-03-04 23:59:59.999", "1969-12-31 00:00:00.001", nil, "2000-02-29 12:00:00.000", "2023-01-01 00:00:00.000"}},
		{"DATE_FORMAT", []Expr{str("2024-01-02 03:04:05"), str("EEE h a")}, []any{"Tue 3 AM", "Tue 3 AM", "Tue 3 AM", "Tue 3 AM", "Tue 3 AM", "Tue 3 AM"}},
		{"DATE_FORMAT", []Expr{tcol, s}, []any{nil, nil, "", nil, "//", nil}},
		{"DATE_FORMAT", []Expr{tcol, p}, []any{nil, nil, "(", nil, nil, "^$"}},
		{"DATE_FORMAT", []Expr{Literal("2024-01-02 03:04:05", String), p}, []any{nil, nil, "(", nil, nil, "^$"}},
		{"YEAR", []Expr{tcol}, []any{int64(2024), int64(2024), int64(1969), nil, int64(2000), int64(2023)}},
		{"MONTH", []Expr{tcol}, []any{int64(3), int64(3), int64(12), nil, int64(2), int64(1)}},
		{"DAYOFMONTH", []Expr{tcol}, []any{int64(3), int64(4), int64(31), nil, int64(29), int64(1)}},
		{"DAYOFWEEK", []Expr{tcol}, []any{int64(1), int64(2), int64(4), nil, int64(3), int64(1)}},
		{"DAYOFYEAR", []Expr{tcol}, []any{int64(63), int64(64), int64(365), nil, int64(60), int64(1)}},
		{"HOUR", []Expr{tcol}, []any{int64(8), int64(23), int64(0), nil, int64(12), int64(0)}},
		{"MINUTE", []Expr{tcol}, []any{int64(5), int64(59), int64(0), nil, int64(0), int64(0)}},
		{"SECOND", []Expr{tcol}, []any{int64(9), int64(59), int64(0), nil, int64(0), int64(0)}},
		{"HOUR", []Expr{s}, []any{nil, nil, nil, nil, nil, nil}},
	}
	for _, c := range cases {
		e := must(t)(Func(c.name, c.args))
		checkValues(t, e.String(), evalValues(t, mem, e, b), c.want)
		sub := b.NewSlice(2, b.NumRows())
		checkValues(t, e.String()+" sliced", evalValues(t, mem, e, sub), c.want[2:])
		sub.Release()
	}
}

func TestNexmarkFuncsErrors(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem, testCol{"s", String, `["a"]`}, testCol{"n", Int64, `[1]`})
	defer b.Release()
	s, n := col(b, "s"), col(b, "n")
	cases := []struct {
		name string
		args []Expr
		want string
	}{
		{"DATE_FORMAT", []Expr{n, Literal("yyyy", String)}, "DATE_FORMAT expects arguments (TIMESTAMP, VARCHAR pattern), got BIGINT, VARCHAR"},
		{"REGEXP_EXTRACT", []Expr{s, Literal(`(\1)`, String)}, `REGEXP_EXTRACT: bad pattern "(\\1)": error parsing regexp: invalid escape sequence: ` + "`\\1`" + ` (patterns use RE2 syntax: no backreferences or lookaround)`},
		{"REGEXP_EXTRACT", []Expr{s}, "REGEXP_EXTRACT expects arguments (VARCHAR, VARCHAR pattern[, BIGINT group]), got VARCHAR"},
		{"SPLIT_INDEX", []Expr{s, s, s}, "SPLIT_INDEX expects arguments (VARCHAR, VARCHAR separator, BIGINT index), got VARCHAR, VARCHAR, VARCHAR"},
		{"MINUTE", []Expr{n}, "MINUTE expects 1 argument of type TIMESTAMP, got BIGINT"},
	}
	for _, c := range cases {
		_, err := Func(c.name, c.args)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v\nwant %s", c.name, err, c.want)
		}
	}
}

func itoa64(v int64) string { return string(appendPadded(nil, v, 1)) }

// Long patterns over extreme instants stay inside the reserved space.
func TestDateFormatKernelLongValues(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem, testCol{"ts", Timestamp, `[-9223372036854775807, 9223372036854775807, 0]`})
	defer b.Release()
	pattern := "yyyy-MM-dd yyyy EEEE MMMM yyyy 'and so on' yyyy yyyy yyyy yyyy yyyy yyyy yyyy yyyy yyyy yyyy yyyy yyyy yyyy yyyy yyyy"
	f, err := ParseDateFormat(pattern)
	if err != nil {
		t.Fatal(err)
	}
	e := must(t)(Func("DATE_FORMAT", []Expr{col(b, "ts"), Literal(pattern, String)}))
	got := evalValues(t, mem, e, b)
	for i, ms := range []int64{-9223372036854775807, 9223372036854775807, 0} {
		if got[i] != f.Format(ms) {
			t.Errorf("row %d: got %q, want %q", i, got[i], f.Format(ms))
		}
	}
}
