package vector

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// A constant pattern is matched through a matcher that avoids running the
// regexp where it cannot match and on text a match cannot start in. Most
// patterns require a literal (REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)')
// requires "channel_id="): a row without it is no match, found by a
// substring search instead of the regexp engine. When the part of the
// pattern before that literal has a bounded width w, no match starts more
// than w bytes before the literal's first occurrence, so the regexp runs
// on the text from there on (a variant of the pattern in which ^ cannot
// match stands in when that is not the start of the text). Results are
// exactly the regexp's.

// regexpMatcher finds the leftmost match of a constant pattern.
type regexpMatcher struct {
	re *regexp.Regexp
	// lit is a literal every match contains ("" if none is known).
	lit string
	// before is the largest byte width of a match's text before lit; -1
	// when unbounded (the regexp then runs on the whole text).
	before int
	// cut is re with ^ (start of text) made unmatchable, for text cut
	// from the middle of a value; nil when re cannot be run on a suffix.
	cut *regexp.Regexp
}

// newRegexpMatcher analyses re (compiled from pattern p) for the
// shortcuts above; a pattern it cannot analyse is matched as it is.
func newRegexpMatcher(re *regexp.Regexp, p string) *regexpMatcher {
	m := &regexpMatcher{re: re, before: -1}
	raw, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return m
	}
	m.lit, m.before = requiredLiteral(raw.Simplify())
	if m.lit == "" || m.before < 0 || !suffixSafe(raw) {
		m.before = -1
		return m
	}
	cut, err := regexp.Compile(noBeginText(raw).String())
	if err != nil || cut.NumSubexp() != re.NumSubexp() {
		m.before = -1
		return m
	}
	m.cut = cut
	return m
}

// find returns the submatch indexes of the leftmost match in s (as
// FindStringSubmatchIndex), nil when there is none.
func (m *regexpMatcher) find(s string) []int {
	if m.lit == "" {
		return m.re.FindStringSubmatchIndex(s)
	}
	p := strings.Index(s, m.lit)
	if p < 0 {
		return nil
	}
	start := p - m.before
	if m.before < 0 || start <= 0 {
		return m.re.FindStringSubmatchIndex(s)
	}
	for start > 0 && !utf8.RuneStart(s[start]) {
		start-- // runes are decoded from their first byte, as in s
	}
	if start == 0 {
		return m.re.FindStringSubmatchIndex(s)
	}
	idx := m.cut.FindStringSubmatchIndex(s[start:])
	for k, v := range idx {
		if v >= 0 {
			idx[k] = v + start
		}
	}
	return idx
}

// match reports whether the pattern matches somewhere in s.
func (m *regexpMatcher) match(s string) bool {
	if m.lit != "" && !strings.Contains(s, m.lit) {
		return false
	}
	return m.re.MatchString(s)
}

// requiredLiteral returns a literal that every match of re contains (the
// longest it finds, "" if none) and the largest byte width of the match's
// text before it (-1 when unbounded or unknown).
func requiredLiteral(re *syntax.Regexp) (string, int) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return "", -1
		}
		return string(re.Rune), 0
	case syntax.OpCapture:
		return requiredLiteral(re.Sub[0])
	case syntax.OpPlus:
		lit, _ := requiredLiteral(re.Sub[0])
		return lit, -1
	case syntax.OpRepeat:
		if re.Min < 1 {
			return "", -1
		}
		lit, w := requiredLiteral(re.Sub[0])
		if re.Min > 1 || re.Max != 1 {
			w = -1
		}
		return lit, w
	case syntax.OpConcat:
		best, bestW := "", -1
		prefix := 0 // width of the children before sub, -1 unbounded
		for _, sub := range re.Sub {
			lit, w := requiredLiteral(sub)
			if len(lit) > len(best) {
				best, bestW = lit, -1
				if prefix >= 0 && w >= 0 {
					bestW = prefix + w
				}
			}
			if sw := maxWidth(sub); sw < 0 || prefix < 0 {
				prefix = -1
			} else {
				prefix += sw
			}
		}
		return best, bestW
	}
	return "", -1
}

// maxWidth is the largest number of bytes re can match, -1 if unbounded.
func maxWidth(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpNoMatch:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n += utf8.RuneLen(r)
			if re.Flags&syntax.FoldCase != 0 {
				n += utf8.UTFMax // a folded rune may be wider
			}
		}
		return n
	case syntax.OpCharClass, syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return utf8.UTFMax
	case syntax.OpCapture:
		return maxWidth(re.Sub[0])
	case syntax.OpQuest:
		return maxWidth(re.Sub[0])
	case syntax.OpRepeat:
		w := maxWidth(re.Sub[0])
		if w < 0 || re.Max < 0 {
			return -1
		}
		return w * re.Max
	case syntax.OpConcat, syntax.OpAlternate:
		n := 0
		for _, sub := range re.Sub {
			w := maxWidth(sub)
			if w < 0 {
				return -1
			}
			if re.Op == syntax.OpConcat {
				n += w
			} else {
				n = max(n, w)
			}
		}
		return n
	}
	return -1
}

// suffixSafe says whether matching re on a suffix of a text gives the
// same matches as on the text once ^ (start of text) is made
// unmatchable: no assertion looks at the character before a position.
func suffixSafe(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return false
	}
	for _, sub := range re.Sub {
		if !suffixSafe(sub) {
			return false
		}
	}
	return true
}

// noBeginText returns a copy of re in which ^ (start of text) never
// matches.
func noBeginText(re *syntax.Regexp) *syntax.Regexp {
	c := *re
	if c.Op == syntax.OpBeginText {
		c.Op = syntax.OpNoMatch
		return &c
	}
	c.Sub = make([]*syntax.Regexp, len(re.Sub))
	for i, sub := range re.Sub {
		c.Sub[i] = noBeginText(sub)
	}
	return &c
}
