package vector

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// CommonType returns the type values of types ts can all be converted to
// without loss of meaning: Null is ignored (NULL fits anything), identical
// types give that type, Int64 mixed with Float64 gives Float64. It returns
// false for any other mix. With no types or only Null it returns Null.
func CommonType(ts ...arrow.DataType) (arrow.DataType, bool) {
	var out arrow.DataType = Null
	for _, t := range ts {
		switch {
		case t == nil || isNullType(t):
		case isNullType(out):
			out = t
		case out.ID() == t.ID():
		case isNumeric(out) && isNumeric(t):
			out = Float64
		default:
			return nil, false
		}
	}
	return weirType(out), true
}

// weirType maps a type to the canonical Weir type value of the same id.
func weirType(t arrow.DataType) arrow.DataType {
	switch t.ID() {
	case arrow.INT64:
		return Int64
	case arrow.FLOAT64:
		return Float64
	case arrow.STRING:
		return String
	case arrow.BOOL:
		return Boolean
	case arrow.TIMESTAMP:
		return Timestamp
	case arrow.NULL:
		return Null
	}
	return t
}

// castExpr converts its input to another type.
type castExpr struct {
	e  Expr
	to arrow.DataType
}

var _ Expr = (*castExpr)(nil)

// canCast reports whether CAST(from AS to) is supported.
func canCast(from, to arrow.DataType) bool {
	f, t := from.ID(), to.ID()
	if f == t || f == arrow.NULL || f == arrow.STRING || t == arrow.STRING {
		return f == t || t != arrow.NULL
	}
	switch f {
	case arrow.INT64:
		return t == arrow.FLOAT64 || t == arrow.BOOL || t == arrow.TIMESTAMP
	case arrow.FLOAT64:
		return t == arrow.INT64 || t == arrow.BOOL
	case arrow.BOOL:
		return t == arrow.INT64 || t == arrow.FLOAT64
	case arrow.TIMESTAMP:
		return t == arrow.INT64
	}
	return false
}

// Cast converts e to type to; it returns e itself when e already has that
// type. Conversions:
//
//   - VARCHAR to BIGINT: surrounding spaces trimmed; an integer, or a
//     decimal number truncated toward zero; anything else is NULL.
//   - VARCHAR to DOUBLE: strconv.ParseFloat syntax; invalid is NULL.
//   - VARCHAR to BOOLEAN: true/false/1/0 (any case); invalid is NULL.
//   - VARCHAR to TIMESTAMP: the formats of ParseTimestamp; invalid is NULL.
//   - DOUBLE to BIGINT truncates toward zero; NaN and out of range are NULL.
//   - BIGINT to DOUBLE rounds to the nearest float.
//   - BIGINT <-> TIMESTAMP: epoch milliseconds (no copy).
//   - BOOLEAN to BIGINT/DOUBLE: 1/0; BIGINT/DOUBLE to BOOLEAN: non-zero.
//   - anything to VARCHAR: decimal integers; floats as appendFloat does;
//     "true"/"false"; timestamps as "YYYY-MM-DD HH:MM:SS.fff".
//   - NULL (type Null) to anything: a NULL of that type.
func Cast(e Expr, to arrow.DataType) (Expr, error) {
	from := e.Type()
	if from.ID() == to.ID() {
		return e, nil
	}
	if !canCast(from, to) {
		return nil, fmt.Errorf("cannot cast %s to %s", TypeName(from), TypeName(to))
	}
	to = weirType(to)
	if isNullType(from) {
		return &literal{typ: to}, nil
	}
	return fold(&castExpr{e: e, to: to}, e), nil
}

// Type implements Expr.
func (c *castExpr) Type() arrow.DataType { return c.to }

// String implements Expr.
func (c *castExpr) String() string {
	return "CAST(" + c.e.String() + " AS " + TypeName(c.to) + ")"
}

// Eval implements Expr.
func (c *castExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	in, err := c.e.Eval(mem, batch)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	return castArray(mem, in, c.to)
}

// castArray converts a whole array; the result is a new reference.
func castArray(mem memory.Allocator, in arrow.Array, to arrow.DataType) (arrow.Array, error) {
	from := in.DataType()
	n := in.Len()
	if from.ID() == to.ID() {
		in.Retain()
		return in, nil
	}
	if from.ID() == arrow.NULL {
		return array.MakeArrayOfNull(mem, to, n), nil
	}
	switch to.ID() {
	case arrow.STRING:
		return castToString(mem, in), nil
	case arrow.INT64:
		switch from.ID() {
		case arrow.TIMESTAMP:
			return retype(in, Int64), nil
		case arrow.FLOAT64:
			return floatToInt(mem, in), nil
		case arrow.BOOL:
			return boolToNum(mem, in, Int64), nil
		case arrow.STRING:
			return parseStrings(mem, in, Int64), nil
		}
	case arrow.FLOAT64:
		switch from.ID() {
		case arrow.INT64:
			vals := int64Values(in)
			buf := newBuffer(mem, 8*n)
			out := float64Slice(buf)
			for i, v := range vals {
				out[i] = float64(v)
			}
			return finish(Float64, n, combineValidity(mem, n, in), buf), nil
		case arrow.BOOL:
			return boolToNum(mem, in, Float64), nil
		case arrow.STRING:
			return parseStrings(mem, in, Float64), nil
		}
	case arrow.TIMESTAMP:
		switch from.ID() {
		case arrow.INT64:
			return retype(in, Timestamp), nil
		case arrow.STRING:
			return parseStrings(mem, in, Timestamp), nil
		}
	case arrow.BOOL:
		switch from.ID() {
		case arrow.INT64:
			vals := int64Values(in)
			buf := newBitmap(mem, n)
			bits := buf.Bytes()
			for i, v := range vals {
				if v != 0 {
					bitutil.SetBit(bits, i)
				}
			}
			return finish(Boolean, n, combineValidity(mem, n, in), buf), nil
		case arrow.FLOAT64:
			vals := float64Values(in)
			buf := newBitmap(mem, n)
			bits := buf.Bytes()
			for i, v := range vals {
				if v != 0 {
					bitutil.SetBit(bits, i)
				}
			}
			return finish(Boolean, n, combineValidity(mem, n, in), buf), nil
		case arrow.STRING:
			return parseStrings(mem, in, Boolean), nil
		}
	}
	return nil, fmt.Errorf("cannot cast %s to %s", TypeName(from), TypeName(to))
}

// floatToInt truncates toward zero; NaN and out-of-range values are NULL.
func floatToInt(mem memory.Allocator, in arrow.Array) arrow.Array {
	n := in.Len()
	vals := float64Values(in)
	buf := newBuffer(mem, 8*n)
	out := int64Slice(buf)
	valid := combineValidity(mem, n, in)
	for i, v := range vals {
		if v >= -9223372036854775808.0 && v < 9223372036854775808.0 {
			out[i] = int64(v)
		} else {
			out[i] = 0
			valid = markNull(mem, valid, n, i)
		}
	}
	return finish(Int64, n, valid, buf)
}

// boolToNum converts TRUE/FALSE to 1/0.
func boolToNum(mem memory.Allocator, in arrow.Array, to arrow.DataType) arrow.Array {
	n := in.Len()
	bits, off := boolBits(in)
	buf := newBuffer(mem, 8*n)
	if to.ID() == arrow.INT64 {
		out := int64Slice(buf)
		for i := range out {
			out[i] = int64((bits[(off+i)>>3] >> ((off + i) & 7)) & 1)
		}
	} else {
		out := float64Slice(buf)
		for i := range out {
			out[i] = float64((bits[(off+i)>>3] >> ((off + i) & 7)) & 1)
		}
	}
	return finish(to, n, combineValidity(mem, n, in), buf)
}

// parseStrings parses text into Int64, Float64, Boolean or Timestamp;
// unparsable values become NULL.
func parseStrings(mem memory.Allocator, in arrow.Array, to arrow.DataType) arrow.Array {
	n := in.Len()
	sv := stringValues(in)
	valid := combineValidity(mem, n, in)
	var vbits []byte
	if valid != nil {
		vbits = valid.Bytes()
	}
	var out *memory.Buffer
	switch to.ID() {
	case arrow.BOOL:
		out = newBitmap(mem, n)
		bits := out.Bytes()
		for i := 0; i < n; i++ {
			if vbits != nil && bitutil.BitIsNotSet(vbits, i) {
				continue
			}
			b, ok := parseBool(sv.at(i))
			if !ok {
				valid = markNull(mem, valid, n, i)
				vbits = valid.Bytes()
			} else if b {
				bitutil.SetBit(bits, i)
			}
		}
	case arrow.FLOAT64:
		out = newBuffer(mem, 8*n)
		vals := float64Slice(out)
		for i := 0; i < n; i++ {
			vals[i] = 0
			if vbits != nil && bitutil.BitIsNotSet(vbits, i) {
				continue
			}
			f, ok := parseFloat(sv.at(i))
			if !ok {
				valid = markNull(mem, valid, n, i)
				vbits = valid.Bytes()
			}
			vals[i] = f
		}
	default: // Int64, Timestamp
		parse := parseIntText
		if to.ID() == arrow.TIMESTAMP {
			parse = func(s string) (int64, bool) {
				v, err := ParseTimestamp(s)
				return v, err == nil
			}
		}
		out = newBuffer(mem, 8*n)
		vals := int64Slice(out)
		for i := 0; i < n; i++ {
			vals[i] = 0
			if vbits != nil && bitutil.BitIsNotSet(vbits, i) {
				continue
			}
			v, ok := parse(sv.at(i))
			if !ok {
				valid = markNull(mem, valid, n, i)
				vbits = valid.Bytes()
			}
			vals[i] = v
		}
	}
	return finish(to, n, valid, out)
}

// parseIntText parses text as BIGINT: an integer, or a decimal number
// truncated toward zero.
func parseIntText(s string) (int64, bool) {
	s = trimSpaces(s)
	if v, ok := parseInt64(s); ok {
		return v, true
	}
	f, ok := parseFloat(s)
	if !ok || !(f >= -9223372036854775808.0 && f < 9223372036854775808.0) {
		return 0, false
	}
	return int64(f), true
}

// parseFloat parses text as DOUBLE, with surrounding spaces trimmed.
func parseFloat(s string) (float64, bool) {
	s = trimSpaces(s)
	if s == "" {
		return 0, false
	}
	// Reject obviously non-numeric text before strconv, whose errors
	// allocate.
	c := s[0]
	if !(c >= '0' && c <= '9') && c != '-' && c != '+' && c != '.' && c != 'i' && c != 'I' && c != 'n' && c != 'N' {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// parseBool parses true/false/1/0 in any case, spaces trimmed.
func parseBool(s string) (bool, bool) {
	s = trimSpaces(s)
	switch {
	case s == "1" || strings.EqualFold(s, "true"):
		return true, true
	case s == "0" || strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// castToString formats every value as text.
func castToString(mem memory.Allocator, in arrow.Array) arrow.Array {
	n := in.Len()
	valid := combineValidity(mem, n, in)
	var vbits []byte
	if valid != nil {
		vbits = valid.Bytes()
	}
	var out *strOut
	switch in.DataType().ID() {
	case arrow.INT64:
		vals := int64Values(in)
		out = newStrOut(mem, n, 8*n)
		for i := 0; i < n; i++ {
			if vbits == nil || bitutil.BitIsSet(vbits, i) {
				out.reserve(20)
				out.data = strconv.AppendInt(out.data, vals[i], 10)
			}
			out.end(i)
		}
	case arrow.FLOAT64:
		vals := float64Values(in)
		out = newStrOut(mem, n, 12*n)
		for i := 0; i < n; i++ {
			if vbits == nil || bitutil.BitIsSet(vbits, i) {
				out.reserve(32)
				out.data = appendFloat(out.data, vals[i])
			}
			out.end(i)
		}
	case arrow.TIMESTAMP:
		vals := int64Values(in)
		out = newStrOut(mem, n, 23*n)
		for i := 0; i < n; i++ {
			if vbits == nil || bitutil.BitIsSet(vbits, i) {
				out.reserve(32)
				out.data = AppendTimestamp(out.data, vals[i], ' ', false)
			}
			out.end(i)
		}
	case arrow.BOOL:
		bits, off := boolBits(in)
		out = newStrOut(mem, n, 5*n)
		for i := 0; i < n; i++ {
			if vbits == nil || bitutil.BitIsSet(vbits, i) {
				if bitutil.BitIsSet(bits, off+i) {
					out.appendString("true")
				} else {
					out.appendString("false")
				}
			}
			out.end(i)
		}
	default:
		if valid != nil {
			valid.Release()
		}
		return array.MakeArrayOfNull(mem, String, n)
	}
	return out.finish(valid, n)
}

// coerceLiteral converts a constant to type to at construction time,
// failing when the value cannot be represented (for example text that is
// not a timestamp).
func coerceLiteral(e Expr, to arrow.DataType) (Expr, error) {
	v, _ := IsLiteral(e)
	c, err := Cast(e, to)
	if err != nil {
		return nil, err
	}
	cv, ok := IsLiteral(c)
	if ok && cv == nil && v != nil {
		return nil, fmt.Errorf("cannot convert %s to %s", formatLiteral(v, e.Type()), TypeName(to))
	}
	return c, nil
}

// isStringLiteral reports whether e is a non-NULL VARCHAR constant.
func isStringLiteral(e Expr) bool {
	v, ok := IsLiteral(e)
	_, isStr := v.(string)
	return ok && isStr
}

// unify converts exprs to one common type, the way comparisons, IN, CASE
// and COALESCE need: CommonType of their types, except that a VARCHAR
// literal next to expressions of a non-text type is converted to that type
// at construction (so ts > '2024-01-01' and n = '42' work). It returns
// false when no common type exists.
func unify(exprs []Expr) ([]Expr, arrow.DataType, bool, error) {
	var others []arrow.DataType
	hasStrLit := false
	for _, e := range exprs {
		if isStringLiteral(e) {
			hasStrLit = true
			continue
		}
		others = append(others, e.Type())
	}
	target, ok := CommonType(others...)
	if !ok {
		return nil, nil, false, nil
	}
	out := make([]Expr, len(exprs))
	if hasStrLit && !isNullType(target) && target.ID() != arrow.STRING {
		// Numbers: an integral text literal next to BIGINT stays BIGINT,
		// a decimal one promotes to DOUBLE.
		if target.ID() == arrow.INT64 {
			for _, e := range exprs {
				if isStringLiteral(e) {
					v, _ := IsLiteral(e)
					if _, isInt := parseInt64(trimSpaces(v.(string))); !isInt {
						if _, isF := parseFloat(v.(string)); isF {
							target = Float64
						}
					}
				}
			}
		}
		for i, e := range exprs {
			if isStringLiteral(e) {
				c, err := coerceLiteral(e, target)
				if err != nil {
					return nil, nil, false, err
				}
				out[i] = c
				continue
			}
			out[i] = e
		}
	} else {
		copy(out, exprs)
		if hasStrLit {
			target = String
		}
	}
	for i, e := range out {
		c, err := Cast(e, target)
		if err != nil {
			return nil, nil, false, nil
		}
		out[i] = c
	}
	return out, target, true, nil
}
