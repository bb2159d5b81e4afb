package vector

import (
	"encoding/binary"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// String functions. Positions and lengths count characters (UTF-8 runes),
// not bytes; columns whose bytes are all ASCII take byte-indexed fast
// paths.

// lowerTable and upperTable map ASCII bytes.
var lowerTable, upperTable [256]byte

func init() {
	for i := range lowerTable {
		c := byte(i)
		lowerTable[i], upperTable[i] = c, c
		if c >= 'A' && c <= 'Z' {
			lowerTable[i] = c + 'a' - 'A'
		}
		if c >= 'a' && c <= 'z' {
			upperTable[i] = c - 'a' + 'A'
		}
	}
}

// buildCaseMap is LOWER/LCASE and UPPER/UCASE.
func buildCaseMap(name string, args []Expr) (Expr, error) {
	if len(args) != 1 || !argIs(args[0], arrow.STRING) {
		return nil, sigErr(name, "1 argument of type VARCHAR", args)
	}
	upper := name == "upper" || name == "ucase"
	return newFunc(name, args, String, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		return caseMapArray(mem, ops[0].arr, upper)
	}, 1), nil
}

// lowerString lower-cases s the way LOWER does.
func lowerString(s string) string {
	return string(appendCaseMapped(nil, s, false))
}

// appendCaseMapped appends s mapped to lower or upper case (Unicode
// simple case mapping; invalid bytes are copied as they are).
func appendCaseMapped(b []byte, s string, upper bool) []byte {
	table := &lowerTable
	if upper {
		table = &upperTable
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, table[c])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, c)
			i++
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
		} else {
			r = unicode.ToLower(r)
		}
		b = utf8.AppendRune(b, r)
		i += size
	}
	return b
}

// caseMapASCII maps ASCII text src into dst (same length), eight bytes at
// a time: a byte's high bit is set by adding 0x80-'A' when it is >= 'A',
// and by adding 0x80-'Z'-1 when it is > 'Z'; no byte overflows into the
// next because every byte is below 0x80.
func caseMapASCII(dst []byte, src string, upper bool, table *[256]byte) {
	const ones = 0x0101010101010101
	lo, hi := uint64('A'), uint64('Z')
	if upper {
		lo, hi = 'a', 'z'
	}
	addLo, addHi := (0x80-lo)*ones, (0x80-hi-1)*ones
	s := unsafe.Slice(unsafe.StringData(src), len(src))
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64(s[i:])
		m := ((w + addLo) &^ (w + addHi)) & (0x80 * ones)
		binary.LittleEndian.PutUint64(dst[i:], w^(m>>2))
	}
	for ; i < len(s); i++ {
		dst[i] = table[s[i]]
	}
}

// caseMapArray lower- or upper-cases a String array. When every byte is
// ASCII it maps the whole value buffer in one pass and reuses the offsets
// (rebased); otherwise it maps row by row.
func caseMapArray(mem memory.Allocator, in arrow.Array, upper bool) arrow.Array {
	n := in.Len()
	sv := stringValues(in)
	span := sv.span()
	valid := combineValidity(mem, n, in)
	if isASCII(span) {
		table := &lowerTable
		if upper {
			table = &upperTable
		}
		offBuf := newBuffer(mem, 4*(n+1))
		offs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
		base := sv.offs[0]
		for i, o := range sv.offs {
			offs[i] = o - base
		}
		dataBuf := newBuffer(mem, len(span))
		caseMapASCII(dataBuf.Bytes(), span, upper, table)
		return finish(String, n, valid, offBuf, dataBuf)
	}
	out := newStrOut(mem, n, len(span)+len(span)/2)
	for i := 0; i < n; i++ {
		if valid == nil || bitutil.BitIsSet(valid.Bytes(), i) {
			s := sv.at(i)
			out.reserve(len(s) + len(s)/2 + utf8.UTFMax)
			out.data = appendCaseMapped(out.data, s, upper)
		}
		out.end(i)
	}
	return out.finish(valid, n)
}

// buildLength is LENGTH/CHAR_LENGTH/CHARACTER_LENGTH (characters) and
// OCTET_LENGTH (bytes).
func buildLength(name string, args []Expr) (Expr, error) {
	if len(args) != 1 || !argIs(args[0], arrow.STRING) {
		return nil, sigErr(name, "1 argument of type VARCHAR", args)
	}
	bytesOnly := name == "octet_length"
	return newFunc(name, args, Int64, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		in := ops[0].arr
		sv := stringValues(in)
		buf := newBuffer(mem, 8*n)
		out := int64Slice(buf)
		if bytesOnly || isASCII(sv.span()) {
			for i := range out {
				out[i] = int64(sv.offs[i+1] - sv.offs[i])
			}
		} else {
			for i := range out {
				out[i] = int64(utf8.RuneCountInString(sv.at(i)))
			}
		}
		return finish(Int64, n, combineValidity(mem, n, in), buf)
	}, 1), nil
}

// buildSubstring is SUBSTRING/SUBSTR(s, pos[, len]).
func buildSubstring(name string, args []Expr) (Expr, error) {
	if len(args) < 2 || len(args) > 3 || !argIs(args[0], arrow.STRING) || !argIs(args[1], arrow.INT64) ||
		(len(args) == 3 && !argIs(args[2], arrow.INT64)) {
		return nil, sigErr(name, "arguments (VARCHAR, BIGINT[, BIGINT])", args)
	}
	return newFunc(name, args, String, substringKernel, 1), nil
}

// substringKernel implements MySQL's SUBSTRING: pos is 1-based; a
// negative pos counts from the end; pos 0, a start beyond the end, or a
// length below 1 give ”.
func substringKernel(mem memory.Allocator, n int, ops []operand) arrow.Array {
	in := ops[0].arr
	sv := stringValues(in)
	pos := newI64Arg(ops[1])
	var ln i64Arg
	hasLen := len(ops) == 3
	if hasLen {
		ln = newI64Arg(ops[2])
	}
	valid := combineValidity(mem, n, operandArrays(ops)...)
	ascii := isASCII(sv.span())
	out := newStrOut(mem, n, len(sv.span()))
	for i := 0; i < n; i++ {
		if valid != nil && bitutil.BitIsNotSet(valid.Bytes(), i) {
			out.end(i)
			continue
		}
		s := sv.at(i)
		p, _ := pos.at(i)
		l := int64(-1)
		if hasLen {
			l, _ = ln.at(i)
		}
		out.appendString(substring(s, p, l, hasLen, ascii))
		out.end(i)
	}
	return out.finish(valid, n)
}

// substring returns the characters of s selected by pos and (if hasLen)
// length; ascii reports that s holds only ASCII bytes.
func substring(s string, pos, length int64, hasLen, ascii bool) string {
	if pos == 0 || (hasLen && length < 1) {
		return ""
	}
	var count int64
	if ascii {
		count = int64(len(s))
	} else {
		count = int64(utf8.RuneCountInString(s))
	}
	start := pos - 1
	if pos < 0 {
		start = count + pos
		if start < 0 {
			return ""
		}
	}
	if start >= count {
		return ""
	}
	end := count
	if hasLen && length < count-start {
		end = start + length
	}
	if ascii {
		return s[start:end]
	}
	return s[runeOffset(s, int(start)):runeOffset(s, int(end))]
}

// runeOffset returns the byte offset of the k-th character of s (len(s)
// if s has fewer).
func runeOffset(s string, k int) int {
	i := 0
	for ; k > 0 && i < len(s); k-- {
		i += runeLen(s, i)
	}
	return i
}

// buildConcat is CONCAT(a, ...): NULL if any argument is NULL; non-text
// arguments are cast to VARCHAR.
func buildConcat(name string, args []Expr) (Expr, error) {
	if len(args) == 0 {
		return nil, sigErr(name, "at least 1 argument", args)
	}
	cargs, err := castAll(args, String)
	if err != nil {
		return nil, err
	}
	return newFunc(name, cargs, String, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		sargs := make([]strArg, len(ops))
		for k, o := range ops {
			sargs[k] = newStrArg(o)
		}
		valid := combineValidity(mem, n, operandArrays(ops)...)
		out := newStrOut(mem, n, 0)
		for i := 0; i < n; i++ {
			if valid == nil || bitutil.BitIsSet(valid.Bytes(), i) {
				for k := range sargs {
					s, _ := sargs[k].at(i)
					out.appendString(s)
				}
			}
			out.end(i)
		}
		return out.finish(valid, n)
	}, 0), nil
}

// castAll casts every argument to typ (NULLs stay NULL).
func castAll(args []Expr, typ arrow.DataType) ([]Expr, error) {
	out := make([]Expr, len(args))
	for i, a := range args {
		c, err := Cast(a, typ)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// concatWSExpr is CONCAT_WS(sep, a, ...): NULL only when sep is NULL;
// NULL arguments are skipped.
type concatWSExpr struct {
	name string
	args []Expr
}

var _ Expr = (*concatWSExpr)(nil)

// buildConcatWS is CONCAT_WS.
func buildConcatWS(name string, args []Expr) (Expr, error) {
	if len(args) < 2 {
		return nil, sigErr(name, "at least 2 arguments", args)
	}
	cargs, err := castAll(args, String)
	if err != nil {
		return nil, err
	}
	if v, ok := IsLiteral(cargs[0]); ok && v == nil {
		return &literal{typ: String}, nil
	}
	kept := cargs[:1]
	for _, a := range cargs[1:] {
		if v, ok := IsLiteral(a); ok && v == nil {
			continue
		}
		kept = append(kept, a)
	}
	return fold(&concatWSExpr{name: name, args: kept}, kept...), nil
}

// Type implements Expr.
func (c *concatWSExpr) Type() arrow.DataType { return String }

// String implements Expr.
func (c *concatWSExpr) String() string { return funcString(c.name, c.args) }

// Eval implements Expr.
func (c *concatWSExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	n := int(batch.NumRows())
	ops, err := evalOperands(mem, c.args, batch)
	if err != nil {
		return nil, err
	}
	defer releaseOperands(ops)
	sargs := make([]strArg, len(ops))
	for k, o := range ops {
		sargs[k] = newStrArg(o)
	}
	valid := combineValidity(mem, n, ops[0].arr)
	out := newStrOut(mem, n, 0)
	for i := 0; i < n; i++ {
		if sep, ok := sargs[0].at(i); ok {
			first := true
			for k := 1; k < len(sargs); k++ {
				s, ok := sargs[k].at(i)
				if !ok {
					continue
				}
				if !first {
					out.appendString(sep)
				}
				out.appendString(s)
				first = false
			}
		}
		out.end(i)
	}
	return out.finish(valid, n), nil
}

// buildInstr is INSTR(s, sub): the 1-based character position of the
// first occurrence of sub in s, 0 if none (case-sensitive).
func buildInstr(name string, args []Expr) (Expr, error) {
	if len(args) != 2 || !argIs(args[0], arrow.STRING) || !argIs(args[1], arrow.STRING) {
		return nil, sigErr(name, "2 arguments of type VARCHAR", args)
	}
	return newFunc(name, args, Int64, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		sv := stringValues(ops[0].arr)
		sub := newStrArg(ops[1])
		valid := combineValidity(mem, n, operandArrays(ops)...)
		ascii := isASCII(sv.span())
		buf := newBuffer(mem, 8*n)
		out := int64Slice(buf)
		for i := range out {
			s := sv.at(i)
			t, _ := sub.at(i)
			j := strings.Index(s, t)
			switch {
			case j < 0:
				out[i] = 0
			case ascii:
				out[i] = int64(j) + 1
			default:
				out[i] = int64(utf8.RuneCountInString(s[:j])) + 1
			}
		}
		return finish(Int64, n, valid, buf)
	}, 1), nil
}

// buildTrim is TRIM, LTRIM and RTRIM (spaces only).
func buildTrim(name string, args []Expr) (Expr, error) {
	if len(args) != 1 || !argIs(args[0], arrow.STRING) {
		return nil, sigErr(name, "1 argument of type VARCHAR", args)
	}
	left, right := name != "rtrim", name != "ltrim"
	return newFunc(name, args, String, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		in := ops[0].arr
		sv := stringValues(in)
		valid := combineValidity(mem, n, in)
		out := newStrOut(mem, n, len(sv.span()))
		for i := 0; i < n; i++ {
			s := sv.at(i)
			if left {
				for len(s) > 0 && s[0] == ' ' {
					s = s[1:]
				}
			}
			if right {
				for len(s) > 0 && s[len(s)-1] == ' ' {
					s = s[:len(s)-1]
				}
			}
			out.appendString(s)
			out.end(i)
		}
		return out.finish(valid, n)
	}, 1), nil
}

// buildReplace is REPLACE(s, from, to): every occurrence of from replaced
// by to (s unchanged when from is empty).
func buildReplace(name string, args []Expr) (Expr, error) {
	if len(args) != 3 || !argIs(args[0], arrow.STRING) || !argIs(args[1], arrow.STRING) || !argIs(args[2], arrow.STRING) {
		return nil, sigErr(name, "3 arguments of type VARCHAR", args)
	}
	return newFunc(name, args, String, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		sv := stringValues(ops[0].arr)
		from, to := newStrArg(ops[1]), newStrArg(ops[2])
		valid := combineValidity(mem, n, operandArrays(ops)...)
		out := newStrOut(mem, n, len(sv.span()))
		for i := 0; i < n; i++ {
			if valid != nil && bitutil.BitIsNotSet(valid.Bytes(), i) {
				out.end(i)
				continue
			}
			s := sv.at(i)
			f, _ := from.at(i)
			t, _ := to.at(i)
			if f == "" {
				out.appendString(s)
			} else {
				for {
					j := strings.Index(s, f)
					if j < 0 {
						break
					}
					out.appendString(s[:j])
					out.appendString(t)
					s = s[j+len(f):]
				}
				out.appendString(s)
			}
			out.end(i)
		}
		return out.finish(valid, n)
	}, 1), nil
}
