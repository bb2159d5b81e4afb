package vector

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// likeRegexp is the reference: the pattern translated to an anchored
// regular expression.
func likeRegexp(pattern string, escape rune, ci bool) *regexp.Regexp {
	var sb strings.Builder
	sb.WriteString("^(?s)")
	if ci {
		sb.WriteString("(?i)")
	}
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case escape >= 0 && r == escape:
			if i+1 < len(rs) {
				i++
				sb.WriteString(regexp.QuoteMeta(string(rs[i])))
			} else {
				sb.WriteString(regexp.QuoteMeta(string(r)))
			}
		case r == '%':
			sb.WriteString(".*")
		case r == '_':
			sb.WriteString(".")
		default:
			sb.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	sb.WriteString("$")
	return regexp.MustCompile(sb.String())
}

func TestLikeTable(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem, testCol{"s", String,
		`["abc", "xabcx", "ab", "", null, "ABC", "a%c", "a_c", "abcabc", "€uro", "ERROR: disk", "x ERROR"]`})
	defer b.Release()
	s := col(b, "s")
	cases := []struct {
		pattern string
		escape  rune
		neg, ci bool
		kind    likeKind
		want    []any
	}{
		{"abc", 0, false, false, likeExact, []any{true, false, false, false, nil, false, false, false, false, false, false, false}},
		{"ab%", 0, false, false, likePrefix, []any{true, false, true, false, nil, false, false, false, true, false, false, false}},
		{"%bc", 0, false, false, likeSuffix, []any{true, false, false, false, nil, false, false, false, true, false, false, false}},
		{"%abc%", 0, false, false, likeContains, []any{true, true, false, false, nil, false, false, false, true, false, false, false}},
		{"%", 0, false, false, likeAll, []any{true, true, true, true, nil, true, true, true, true, true, true, true}},
		{"%%", 0, true, false, likeAll, []any{false, false, false, false, nil, false, false, false, false, false, false, false}},
		{"", 0, false, false, likeExact, []any{false, false, false, true, nil, false, false, false, false, false, false, false}},
		{"a_c", 0, false, false, likeGeneral, []any{true, false, false, false, nil, false, true, true, false, false, false, false}},
		{`a\_c`, 0, false, false, likeExact, []any{false, false, false, false, nil, false, false, true, false, false, false, false}},
		{`a\%c`, 0, false, false, likeExact, []any{false, false, false, false, nil, false, true, false, false, false, false, false}},
		{`a!%c`, '!', false, false, likeExact, []any{false, false, false, false, nil, false, true, false, false, false, false, false}},
		{`a\%c`, -1, false, false, likeSegments, []any{false, false, false, false, nil, false, false, false, false, false, false, false}},
		{"a%c", 0, false, false, likeSegments, []any{true, false, false, false, nil, false, true, true, true, false, false, false}},
		{"a%b%c", 0, false, false, likeSegments, []any{true, false, false, false, nil, false, false, false, true, false, false, false}},
		{"_uro", 0, false, false, likeGeneral, []any{false, false, false, false, nil, false, false, false, false, true, false, false}},
		{"__uro", 0, false, false, likeGeneral, []any{false, false, false, false, nil, false, false, false, false, false, false, false}},
		{"abc", 0, false, true, likeExact, []any{true, false, false, false, nil, true, false, false, false, false, false, false}},
		{"%error%", 0, false, true, likeContains, []any{false, false, false, false, nil, false, false, false, false, false, true, true}},
		{"%ERROR%", 0, true, false, likeContains, []any{true, true, true, true, nil, true, true, true, true, true, false, false}},
		{"%€%", 0, false, false, likeContains, []any{false, false, false, false, nil, false, false, false, false, true, false, false}},
	}
	for _, c := range cases {
		e := must(t)(Like(s, c.pattern, c.escape, c.neg, c.ci))
		if k := e.(*likeExpr).kind; k != c.kind {
			t.Errorf("%s: kind %d, want %d", e, k, c.kind)
		}
		checkValues(t, e.String(), evalValues(t, mem, e, b), c.want)
	}
	got := must(t)(Like(s, "%a'%", '!', true, true)).String()
	if got != "(s NOT ILIKE '%a''%' ESCAPE '!')" {
		t.Errorf("String: %s", got)
	}
}

// TestLikeContainsBoundaries checks hits that straddle rows, empty rows,
// and repeated hits.
func TestLikeContainsBoundaries(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem, testCol{"s", String,
		`["xxERR", "ORxx", "", "ERROR", "ERRORERROR", null, "RRORE", "E", "RROR", "zERROR"]`})
	defer b.Release()
	e := must(t)(Like(col(b, "s"), "%ERROR%", 0, false, false))
	re := likeRegexp("%ERROR%", '\\', false)
	checkAgainst(t, mem, e, b, func(row []any) any {
		if row[0] == nil {
			return nil
		}
		return re.MatchString(row[0].(string))
	})
}

// TestLikeProperty compares every strategy with the regexp reference on
// random strings and patterns, on whole and sliced batches.
func TestLikeProperty(t *testing.T) {
	mem := newMem(t)
	rng := rand.New(rand.NewSource(5))
	b := randomBatch(mem, rng, 300)
	defer b.Release()
	cols := randomCols(b)
	patternAlphabet := "abAB%_é€\\ "
	for iter := 0; iter < 400; iter++ {
		pattern := randomString(rng, patternAlphabet, 6)
		if !utf8.ValidString(pattern) {
			continue
		}
		escape := rune(0)
		switch rng.Intn(4) {
		case 0:
			escape = -1
		case 1:
			escape = 'a'
		}
		refEsc := escape
		if refEsc == 0 {
			refEsc = '\\'
		}
		neg, ci := rng.Intn(3) == 0, rng.Intn(3) == 0
		re := likeRegexp(pattern, refEsc, ci)
		for _, name := range []string{"s", "u"} {
			idx := colIndex[name]
			e := must(t)(Like(cols[name], pattern, escape, neg, ci))
			checkAgainst(t, mem, e, b, func(row []any) any {
				if row[idx] == nil {
					return nil
				}
				v := row[idx].(string)
				return re.MatchString(v) != neg
			})
		}
	}
}

// TestLikeMatcherQuick checks the general matcher directly against the
// reference on random strings.
func TestLikeMatcherQuick(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	for iter := 0; iter < 20000; iter++ {
		p := randomString(rng, "ab%_€", 7)
		s := randomString(rng, "ab€", 8)
		toks := parseLike(p, -1)
		kind, lit, segs := classifyLike(toks)
		var got bool
		x := &likeExpr{kind: kind, lit: lit, segs: segs, toks: toks}
		sv := strVals{offs: []int32{0, int32(len(s))}, data: s}
		bits := []byte{0}
		x.match(sv, bits)
		got = bits[0]&1 == 1
		want := likeRegexp(p, -1, false).MatchString(s)
		if got != want || matchLike(s, toks) != want {
			t.Fatalf("%q LIKE %q: got %v (kind %d), general %v, want %v", s, p, got, kind, matchLike(s, toks), want)
		}
	}
}

func TestLikeNonString(t *testing.T) {
	mem := newMem(t)
	b := makeBatch(t, mem, testCol{"n", Int64, `[12, 312, null, 1]`})
	defer b.Release()
	e := must(t)(Like(col(b, "n"), "1%", 0, false, false))
	checkValues(t, e.String(), evalValues(t, mem, e, b), []any{true, false, nil, true})
	e = must(t)(Like(Literal(nil, Null), "1%", 0, false, false))
	if e.String() != "NULL" {
		t.Errorf("NULL LIKE: %s", e)
	}
	e = must(t)(Like(Literal("abc", String), "a%", 0, false, false))
	if v, ok := IsLiteral(e); !ok || v != true {
		t.Errorf("'abc' LIKE 'a%%' not folded to TRUE: %s", e)
	}
}
