package vector

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Regular expressions and splitting, with Flink's semantics:
// REGEXP_EXTRACT(s, pattern[, group]), REGEXP_LIKE(s, pattern) (Flink's
// REGEXP, also accepted under that name) and SPLIT_INDEX(s, sep, i).
// Patterns are Go's RE2 syntax, which agrees with Java's for everything
// but backreferences and lookaround; a constant pattern is compiled once,
// a pattern from a column once per distinct value in a row run.

func init() {
	funcs["regexp_extract"] = buildRegexpExtract
	funcs["regexp_like"] = buildRegexpLike
	funcs["regexp"] = buildRegexpLike
	funcs["split_index"] = buildSplitIndex
}

// compileRegexp compiles a pattern for function name, with an error a
// user can act on.
func compileRegexp(name, p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(p)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "invalid or unsupported Perl syntax") || strings.Contains(msg, "invalid escape sequence") {
			msg += " (patterns use RE2 syntax: no backreferences or lookaround)"
		}
		return nil, fmt.Errorf("%s: bad pattern %q: %s", strings.ToUpper(name), p, msg)
	}
	return re, nil
}

// regexpArg gives the compiled pattern of row i: the constant's, or the
// row's (recompiled only when it changes; nil when it does not compile).
type regexpArg struct {
	c     *regexp.Regexp
	col   strArg
	last  string
	lastR *regexp.Regexp
	have  bool
}

// newRegexpArg prepares the pattern operand; c is the constant's
// compiled pattern, if it is one.
func newRegexpArg(c *regexp.Regexp, o operand) *regexpArg {
	if c != nil {
		return &regexpArg{c: c}
	}
	return &regexpArg{col: newStrArg(o)}
}

// at returns row i's pattern, nil when it is NULL or does not compile.
func (r *regexpArg) at(i int) *regexp.Regexp {
	if r.c != nil {
		return r.c
	}
	p, ok := r.col.at(i)
	if !ok {
		return nil
	}
	if !r.have || p != r.last {
		r.last, r.have = p, true
		r.lastR, _ = regexp.Compile(p)
	}
	return r.lastR
}

// constRegexp compiles args[k] if it is a constant string; it returns nil
// for a column.
func constRegexp(name string, e Expr) (*regexp.Regexp, error) {
	v, ok := IsLiteral(e)
	if !ok || v == nil {
		return nil, nil
	}
	return compileRegexp(name, v.(string))
}

// buildRegexpExtract is REGEXP_EXTRACT(s, pattern[, group]): the text of
// group (0, the default, is the whole match) in the first match of
// pattern in s; NULL when nothing matches, the group does not exist or
// took no part in the match.
func buildRegexpExtract(name string, args []Expr) (Expr, error) {
	if len(args) < 2 || len(args) > 3 || !argIs(args[0], arrow.STRING) || !argIs(args[1], arrow.STRING) ||
		(len(args) == 3 && !argIs(args[2], arrow.INT64)) {
		return nil, sigErr(name, "arguments (VARCHAR, VARCHAR pattern[, BIGINT group])", args)
	}
	re, err := constRegexp(name, args[1])
	if err != nil {
		return nil, err
	}
	var m *regexpMatcher
	if re != nil {
		m = newRegexpMatcher(re, re.String())
	}
	return newFunc(name, args, String, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		sv := stringValues(ops[0].arr)
		pat := newRegexpArg(re, ops[1])
		grp := i64Arg{}
		if len(ops) == 3 {
			grp = newI64Arg(ops[2])
		}
		valid := combineValidity(mem, n, operandArrays(ops)...)
		out := newStrOut(mem, n, 0)
		var idx []int
		for i := 0; i < n; i++ {
			if valid != nil && bitutil.BitIsNotSet(valid.Bytes(), i) {
				out.end(i)
				continue
			}
			g, _ := grp.at(i)
			r := pat.at(i)
			if r == nil || g < 0 || g > int64(r.NumSubexp()) {
				valid = markNull(mem, valid, n, i)
				out.end(i)
				continue
			}
			s := sv.at(i)
			if m != nil {
				idx = m.find(s)
			} else {
				idx = r.FindStringSubmatchIndex(s)
			}
			if idx == nil || idx[2*g] < 0 {
				valid = markNull(mem, valid, n, i)
				out.end(i)
				continue
			}
			out.appendString(s[idx[2*g]:idx[2*g+1]])
			out.end(i)
		}
		return out.finish(valid, n)
	}, 1), nil
}

// buildRegexpLike is REGEXP_LIKE(s, pattern): whether pattern matches
// somewhere in s (use ^ and $ to match the whole of it).
func buildRegexpLike(name string, args []Expr) (Expr, error) {
	if len(args) != 2 || !argIs(args[0], arrow.STRING) || !argIs(args[1], arrow.STRING) {
		return nil, sigErr(name, "2 arguments of type VARCHAR", args)
	}
	re, err := constRegexp(name, args[1])
	if err != nil {
		return nil, err
	}
	var m *regexpMatcher
	if re != nil {
		m = newRegexpMatcher(re, re.String())
	}
	return newFunc(name, args, Boolean, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		sv := stringValues(ops[0].arr)
		pat := newRegexpArg(re, ops[1])
		valid := combineValidity(mem, n, operandArrays(ops)...)
		buf := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
		bits := buf.Bytes()
		for i := 0; i < n; i++ {
			if valid != nil && bitutil.BitIsNotSet(valid.Bytes(), i) {
				continue
			}
			r := pat.at(i)
			if r == nil {
				valid = markNull(mem, valid, n, i)
				continue
			}
			if m != nil && m.match(sv.at(i)) || m == nil && r.MatchString(sv.at(i)) {
				bitutil.SetBit(bits, i)
			}
		}
		return finish(Boolean, n, valid, buf)
	}, 1), nil
}

// buildSplitIndex is SPLIT_INDEX(s, sep, i): the i-th (from 0) piece of s
// split at every sep; NULL when i is negative or past the last piece, or
// s is empty. An empty sep splits at each white-space character (as
// Flink, through Apache Commons' splitByWholeSeparatorPreserveAllTokens).
func buildSplitIndex(name string, args []Expr) (Expr, error) {
	if len(args) != 3 || !argIs(args[0], arrow.STRING) || !argIs(args[1], arrow.STRING) || !argIs(args[2], arrow.INT64) {
		return nil, sigErr(name, "arguments (VARCHAR, VARCHAR separator, BIGINT index)", args)
	}
	return newFunc(name, args, String, func(mem memory.Allocator, n int, ops []operand) arrow.Array {
		sv := stringValues(ops[0].arr)
		sep := newStrArg(ops[1])
		idx := newI64Arg(ops[2])
		valid := combineValidity(mem, n, operandArrays(ops)...)
		out := newStrOut(mem, n, 0)
		for i := 0; i < n; i++ {
			if valid != nil && bitutil.BitIsNotSet(valid.Bytes(), i) {
				out.end(i)
				continue
			}
			d, _ := sep.at(i)
			k, _ := idx.at(i)
			piece, ok := splitPiece(sv.at(i), d, k)
			if !ok {
				valid = markNull(mem, valid, n, i)
			} else {
				out.appendString(piece)
			}
			out.end(i)
		}
		return out.finish(valid, n)
	}, 1), nil
}

// splitPiece returns piece k of s split at sep (white space when sep is
// empty), without building the other pieces.
func splitPiece(s, sep string, k int64) (string, bool) {
	if k < 0 || s == "" {
		return "", false
	}
	for {
		var j, w int
		if sep == "" {
			j = strings.IndexFunc(s, unicode.IsSpace)
			if j >= 0 {
				_, w = firstRune(s[j:])
			}
		} else {
			j, w = strings.Index(s, sep), len(sep)
		}
		if j < 0 {
			if k == 0 {
				return s, true
			}
			return "", false
		}
		if k == 0 {
			return s[:j], true
		}
		s = s[j+w:]
		k--
	}
}

// firstRune returns the first rune of s and its length in bytes.
func firstRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }
