package vector

import (
	"math/bits"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// likeKind is the strategy chosen for a pattern at construction.
type likeKind uint8

const (
	likeAll      likeKind = iota // '%': every non-NULL value
	likeExact                    // 'abc'
	likePrefix                   // 'abc%'
	likeSuffix                   // '%abc'
	likeContains                 // '%abc%'
	likeSegments                 // 'a%b%c' (no '_'): prefix, suffix, ordered substrings
	likeGeneral                  // anything with '_'
)

// likeTok is one element of a compiled pattern.
type likeTok struct {
	kind uint8 // tokLit, tokOne or tokAny
	lit  string
}

const (
	tokLit = iota // a literal run of bytes
	tokOne        // '_': exactly one character
	tokAny        // '%': any run of characters
)

// likeExpr is e [NOT] [I]LIKE pattern.
type likeExpr struct {
	e              Expr
	pattern        string
	escape         rune
	negated, ci    bool
	kind           likeKind
	lit            string   // likeExact, likePrefix, likeSuffix, likeContains
	segs           []string // likeSegments
	toks           []likeTok
	explicitEscape bool
}

var _ Expr = (*likeExpr)(nil)

// Like returns e LIKE pattern (NOT LIKE when negated, ILIKE when
// caseInsensitive). In the pattern '%' matches any run of characters and
// '_' exactly one character (a UTF-8 rune); escape makes the next
// character literal. escape 0 means the default '\\'; a negative escape
// means none. A trailing escape character matches itself. A non-VARCHAR e
// is cast to VARCHAR. ILIKE compares lower-cased text (Unicode simple
// case mapping).
//
// Patterns are compiled at construction into the cheapest strategy: exact
// match, prefix, suffix, contains (one search over the column's whole
// value buffer, not one per row), ordered substrings when there is no '_',
// and a small backtracking matcher otherwise.
func Like(e Expr, pattern string, escape rune, negated, caseInsensitive bool) (Expr, error) {
	if isNullType(e.Type()) {
		return &literal{typ: Boolean}, nil
	}
	if e.Type().ID() != arrow.STRING {
		var err error
		if e, err = Cast(e, String); err != nil {
			return nil, err
		}
	}
	explicit := escape != 0
	if escape == 0 {
		escape = '\\'
	}
	x := &likeExpr{e: e, pattern: pattern, escape: escape, negated: negated, ci: caseInsensitive, explicitEscape: explicit && escape != '\\'}
	x.toks = parseLike(pattern, escape)
	if caseInsensitive {
		for i := range x.toks {
			if x.toks[i].kind == tokLit {
				x.toks[i].lit = lowerString(x.toks[i].lit)
			}
		}
	}
	x.kind, x.lit, x.segs = classifyLike(x.toks)
	if x.kind == likeGeneral {
		for _, t := range x.toks {
			if t.kind == tokLit && len(t.lit) > len(x.lit) {
				x.lit = t.lit
			}
		}
	}
	return fold(x, e), nil
}

// parseLike splits a pattern into tokens, merging literal runs and
// collapsing runs of '%'.
func parseLike(pattern string, escape rune) []likeTok {
	var toks []likeTok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, likeTok{kind: tokLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		switch {
		case escape >= 0 && r == escape:
			if i+size < len(pattern) {
				_, s2 := utf8.DecodeRuneInString(pattern[i+size:])
				lit.WriteString(pattern[i+size : i+size+s2])
				size += s2
			} else {
				lit.WriteString(pattern[i : i+size])
			}
		case r == '%':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != tokAny {
				toks = append(toks, likeTok{kind: tokAny})
			}
		case r == '_':
			flush()
			toks = append(toks, likeTok{kind: tokOne})
		default:
			lit.WriteString(pattern[i : i+size])
		}
		i += size
	}
	flush()
	return toks
}

// classifyLike picks the strategy for a token list.
func classifyLike(toks []likeTok) (likeKind, string, []string) {
	var segs []string
	cur := ""
	for _, t := range toks {
		switch t.kind {
		case tokOne:
			return likeGeneral, "", nil
		case tokAny:
			segs = append(segs, cur)
			cur = ""
		case tokLit:
			cur = t.lit
		}
	}
	segs = append(segs, cur)
	switch {
	case len(segs) == 1:
		return likeExact, segs[0], nil
	case len(segs) == 2 && segs[0] == "" && segs[1] == "":
		return likeAll, "", nil
	case len(segs) == 2 && segs[1] == "":
		return likePrefix, segs[0], nil
	case len(segs) == 2 && segs[0] == "":
		return likeSuffix, segs[1], nil
	case len(segs) == 3 && segs[0] == "" && segs[2] == "":
		return likeContains, segs[1], nil
	}
	return likeSegments, "", segs
}

// Type implements Expr.
func (x *likeExpr) Type() arrow.DataType { return Boolean }

// String implements Expr.
func (x *likeExpr) String() string {
	op := " LIKE "
	if x.ci {
		op = " ILIKE "
	}
	if x.negated {
		op = " NOT" + op
	}
	s := "(" + x.e.String() + op + quoteString(x.pattern)
	if x.explicitEscape {
		if x.escape < 0 {
			s += " ESCAPE ''"
		} else {
			s += " ESCAPE " + quoteString(string(x.escape))
		}
	}
	return s + ")"
}

// Eval implements Expr.
func (x *likeExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	in, err := x.e.Eval(mem, batch)
	if err != nil {
		return nil, err
	}
	if x.ci {
		lowered := caseMapArray(mem, in, false)
		in.Release()
		in = lowered
	}
	defer in.Release()
	n := in.Len()
	out := newBitmap(mem, n)
	bits := out.Bytes()
	x.match(stringValues(in), bits)
	if x.negated {
		for i := range bits {
			bits[i] = ^bits[i]
		}
	}
	return finish(Boolean, n, combineValidity(mem, n, in), out), nil
}

// match sets bit i for every value i that matches.
func (x *likeExpr) match(sv strVals, bits []byte) {
	n := sv.len()
	offs, data := sv.offs, sv.data
	lit := x.lit
	k := int32(len(lit))
	switch x.kind {
	case likeAll:
		for i := range bits {
			bits[i] = 0xFF
		}
	case likeExact:
		for i := 0; i < n; i++ {
			if offs[i+1]-offs[i] == k && data[offs[i]:offs[i+1]] == lit {
				bits[i>>3] |= 1 << (i & 7)
			}
		}
	case likePrefix:
		for i := 0; i < n; i++ {
			if offs[i+1]-offs[i] >= k && data[offs[i]:offs[i]+k] == lit {
				bits[i>>3] |= 1 << (i & 7)
			}
		}
	case likeSuffix:
		for i := 0; i < n; i++ {
			if offs[i+1]-offs[i] >= k && data[offs[i+1]-k:offs[i+1]] == lit {
				bits[i>>3] |= 1 << (i & 7)
			}
		}
	case likeContains:
		containsAll(sv, lit, bits)
	case likeSegments:
		for i := 0; i < n; i++ {
			if matchSegments(sv.at(i), x.segs) {
				bits[i>>3] |= 1 << (i & 7)
			}
		}
	default:
		if x.lit != "" {
			// Only rows containing the longest literal can match: find
			// them with one search over the whole buffer, then confirm.
			containsAll(sv, x.lit, bits)
			for bi, by := range bits {
				for by != 0 {
					j := bits8TrailingZeros(by)
					by &= by - 1
					i := bi*8 + j
					if !matchLike(sv.at(i), x.toks) {
						bits[bi] &^= 1 << j
					}
				}
			}
			return
		}
		for i := 0; i < n; i++ {
			if matchLike(sv.at(i), x.toks) {
				bits[i>>3] |= 1 << (i & 7)
			}
		}
	}
}

// bits8TrailingZeros is the index of the lowest set bit of a non-zero byte.
func bits8TrailingZeros(b byte) int { return bits.TrailingZeros8(b) }

// containsAll sets bit i for every value containing lit. It searches the
// column's value bytes once, from the first value to the last, and maps
// each hit back to its row through the offsets: a hit inside a row marks
// it and jumps to the next row; a hit straddling two rows is skipped.
func containsAll(sv strVals, lit string, bits []byte) {
	offs, data := sv.offs, sv.data
	n := sv.len()
	pos, end := int(offs[0]), int(offs[n])
	m := len(lit)
	row := 0
	for pos < end {
		j := strings.Index(data[pos:end], lit)
		if j < 0 {
			return
		}
		hit := pos + j
		for int(offs[row+1]) <= hit {
			row++
		}
		rowEnd := int(offs[row+1])
		if hit+m <= rowEnd {
			bits[row>>3] |= 1 << (row & 7)
			pos = rowEnd
			row++
		} else {
			pos = hit + 1
		}
	}
}

// matchSegments matches a pattern without '_': segs[0] % segs[1] % ...;
// a leading or trailing '%' shows as an empty first or last segment.
func matchSegments(s string, segs []string) bool {
	first, last := segs[0], segs[len(segs)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, m := range segs[1 : len(segs)-1] {
		i := strings.Index(s, m)
		if i < 0 {
			return false
		}
		s = s[i+len(m):]
	}
	return true
}

// matchLike is the general matcher: greedy, backtracking only to the last
// '%' (which is enough for patterns of literals, '_' and '%'). '_' and
// '%' step over whole UTF-8 characters.
func matchLike(s string, toks []likeTok) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokAny:
				starT, starS = ti, si
				ti++
				continue
			case tokOne:
				if si < len(s) {
					si += runeLen(s, si)
					ti++
					continue
				}
			default:
				if strings.HasPrefix(s[si:], t.lit) {
					si += len(t.lit)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starT < 0 || starS >= len(s) {
			return false
		}
		starS += runeLen(s, starS)
		if next := starT + 1; next < len(toks) && toks[next].kind == tokLit {
			// Skip straight to the next place the literal after '%' occurs.
			j := strings.Index(s[starS:], toks[next].lit)
			if j < 0 {
				return false
			}
			starS += j
		}
		ti, si = starT+1, starS
	}
}

// runeLen is the byte length of the character at s[i] (1 for ASCII and
// for invalid bytes).
func runeLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return size
}

// ContainsLiteral reports whether keeping only the rows where e is true
// requires column col (a VARCHAR column reference) to contain lit: e is
// `col LIKE '%lit%'` (case-sensitive, not negated, lit free of wildcards),
// or an AND with such a term. Sources use it to skip rows early.
func ContainsLiteral(e Expr) (col int, lit string, ok bool) {
	switch x := e.(type) {
	case *likeExpr:
		if x.negated || x.ci || x.kind != likeContains || x.lit == "" {
			return 0, "", false
		}
		c, isCol := IsColumnRef(x.e)
		return c, x.lit, isCol
	case *logicExpr:
		if x.op != And {
			return 0, "", false
		}
		if c, l, ok := ContainsLiteral(x.l); ok {
			return c, l, true
		}
		return ContainsLiteral(x.r)
	}
	return 0, "", false
}
