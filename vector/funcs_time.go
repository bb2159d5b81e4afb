package vector

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Date and time functions, with Flink's semantics over Weir's TIMESTAMP(3)
// (UTC): DATE_FORMAT(ts, pattern) and the field extractors YEAR, MONTH,
// DAYOFMONTH, DAYOFWEEK (1 = Sunday), DAYOFYEAR, HOUR, MINUTE, SECOND.
// A VARCHAR argument is read as a TIMESTAMP (NULL when it is not one).

func init() {
	funcs["date_format"] = buildDateFormat
	for name := range timeFields {
		funcs[name] = buildTimeField
	}
}

// timeArg casts a VARCHAR argument to TIMESTAMP; ok is false for other
// types.
func timeArg(e Expr) (Expr, bool) {
	switch e.Type().ID() {
	case arrow.TIMESTAMP, arrow.NULL:
		return e, true
	case arrow.STRING:
		c, err := Cast(e, Timestamp)
		return c, err == nil
	}
	return nil, false
}

// buildDateFormat is DATE_FORMAT(ts, pattern): ts as text in a Java-style
// pattern (see DateFormat). A constant pattern is compiled once, and its
// errors are the call's; a pattern from a column gives NULL where it is
// not valid.
func buildDateFormat(name string, args []Expr) (Expr, error) {
	if len(args) != 2 || !argIs(args[1], arrow.STRING) {
		return nil, sigErr(name, "arguments (TIMESTAMP, VARCHAR pattern)", args)
	}
	ts, ok := timeArg(args[0])
	if !ok {
		return nil, sigErr(name, "arguments (TIMESTAMP, VARCHAR pattern)", args)
	}
	pv, isLit := IsLiteral(args[1])
	if !isLit {
		return newFunc(name, []Expr{ts, args[1]}, String, dateFormatRows, 1), nil
	}
	if pv == nil {
		return &literal{typ: String}, nil
	}
	f, err := ParseDateFormat(pv.(string))
	if err != nil {
		return nil, fmt.Errorf("DATE_FORMAT: %w", err)
	}
	return newFunc(name, []Expr{ts, args[1]}, String, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		in := ops[0].arr
		vals := int64Values(in)
		valid := combineValidity(mem, n, in)
		out := newStrOut(mem, n, n*f.size)
		for i := 0; i < n; i++ {
			if valid == nil || bitutil.BitIsSet(valid.Bytes(), i) {
				out.reserve(f.max)
				out.data = f.Append(out.data, vals[i])
			}
			out.end(i)
		}
		return out.finish(valid, n)
	}, 1), nil
}

// dateFormatRows is DATE_FORMAT with the pattern in a column: each
// pattern is compiled when it differs from the row before's; a row whose
// pattern is not valid gives NULL.
func dateFormatRows(mem memory.Allocator, n int, ops []operand) arrow.Array {
	vals := int64Values(ops[0].arr)
	pat := newStrArg(ops[1])
	valid := combineValidity(mem, n, operandArrays(ops)...)
	out := newStrOut(mem, n, 0)
	var f *DateFormat
	last, have := "", false
	for i := 0; i < n; i++ {
		if valid != nil && bitutil.BitIsNotSet(valid.Bytes(), i) {
			out.end(i)
			continue
		}
		if p, _ := pat.at(i); !have || p != last {
			f, _ = ParseDateFormat(p)
			last, have = p, true
		}
		if f == nil {
			valid = markNull(mem, valid, n, i)
		} else {
			out.reserve(f.max)
			out.data = f.Append(out.data, vals[i])
		}
		out.end(i)
	}
	return out.finish(valid, n)
}

// timeFields maps each extractor to the field it reads from a timestamp.
var timeFields = map[string]func(ms int64) int64{
	"year":       func(ms int64) int64 { y, _, _ := civilFromDays(floorDiv(ms, msPerDay)); return y },
	"month":      func(ms int64) int64 { _, m, _ := civilFromDays(floorDiv(ms, msPerDay)); return m },
	"dayofmonth": func(ms int64) int64 { _, _, d := civilFromDays(floorDiv(ms, msPerDay)); return d },
	"dayofyear": func(ms int64) int64 {
		days := floorDiv(ms, msPerDay)
		y, _, _ := civilFromDays(days)
		return days - daysFromCivil(y, 1, 1) + 1
	},
	// 1970-01-01 was a Thursday, day 5 counting Sunday as 1.
	"dayofweek": func(ms int64) int64 { return (floorDiv(ms, msPerDay)%7+7+4)%7 + 1 },
	"hour":      func(ms int64) int64 { return floorMod(ms, msPerDay) / msPerHour },
	"minute":    func(ms int64) int64 { return floorMod(ms, msPerHour) / msPerMinute },
	"second":    func(ms int64) int64 { return floorMod(ms, msPerMinute) / msPerSecond },
}

// floorDiv is a / b rounded toward minus infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// floorMod is a mod b in [0, b) (b > 0).
func floorMod(a, b int64) int64 {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}

// buildTimeField is YEAR, MONTH, DAYOFMONTH, DAYOFWEEK, DAYOFYEAR, HOUR,
// MINUTE and SECOND of a TIMESTAMP, as BIGINT.
func buildTimeField(name string, args []Expr) (Expr, error) {
	if len(args) != 1 {
		return nil, sigErr(name, "1 argument of type TIMESTAMP", args)
	}
	ts, ok := timeArg(args[0])
	if !ok {
		return nil, sigErr(name, "1 argument of type TIMESTAMP", args)
	}
	field := timeFields[name]
	return newFunc(name, []Expr{ts}, Int64, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		in := ops[0].arr
		vals := int64Values(in)
		buf := newBuffer(mem, 8*n)
		out := int64Slice(buf)
		for i := range out {
			out[i] = field(vals[i])
		}
		return finish(Int64, n, combineValidity(mem, n, in), buf)
	}, 1), nil
}
