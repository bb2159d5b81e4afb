package vector

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRegexpMatcherProperty compares the matcher's shortcuts with the
// regexp itself on random patterns and texts.
func TestRegexpMatcherProperty(t *testing.T) {
	pieces := []string{"ab", "channel_id=", "(&|^)", "([^&]*)", ".", "x{1,3}", "(?i:ab)", `\b`, "(?m:^)", "$",
		"a+", "é", "(b|é)", "[a-c]?", "(=)", "^", "(a*?)", `\z`, "(x|yy|)", "&"}
	alphabet := []string{"a", "b", "&", "=", "é", "x", "y", "\n", "\xff", "\xc3", "\xa9", "channel_id=", "ab", "AB", " "}
	r := rand.New(rand.NewPCG(1, 2))
	shortcuts := 0
	for range 3000 {
		var p strings.Builder
		for range 1 + r.IntN(4) {
			p.WriteString(pieces[r.IntN(len(pieces))])
		}
		re := regexp.MustCompile(p.String())
		m := newRegexpMatcher(re, p.String())
		if m.cut != nil {
			shortcuts++
		}
		for range 30 {
			var s strings.Builder
			for range r.IntN(12) {
				s.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			text := s.String()
			want, got := re.FindStringSubmatchIndex(text), m.find(text)
			if !slices.Equal(want, got) {
				t.Fatalf("pattern %q on %q: find gives %v, the regexp %v", p.String(), text, got, want)
			}
			if re.MatchString(text) != m.match(text) {
				t.Fatalf("pattern %q on %q: match gives %v", p.String(), text, m.match(text))
			}
		}
	}
	if shortcuts < 300 {
		t.Errorf("only %d of 3000 patterns ran on a suffix", shortcuts)
	}
}

// TestRegexpRequiredLiteral checks what the matcher finds in Nexmark
// q21's pattern and a few others.
func TestRegexpRequiredLiteral(t *testing.T) {
	for _, c := range []struct {
		p      string
		lit    string
		before int
		cut    bool
	}{
		{`(&|^)channel_id=([^&]*)`, "channel_id=", 1, true},
		{`a.*b`, "a", 0, true},
		{`x*abc`, "abc", -1, false},
		{`(?i)abc`, "", -1, false},
		{`\bword`, "word", -1, false},
		{`ab|cd`, "", -1, false},
		{`(?:foo){2}bar`, "foo", 0, true},
		{`(\w+)@example\.com`, "@example.com", -1, false},
	} {
		m := newRegexpMatcher(regexp.MustCompile(c.p), c.p)
		if m.lit != c.lit || m.before != c.before || (m.cut != nil) != c.cut {
			t.Errorf("%s: literal %q, before %d, cut %v; want %q, %d, %v", c.p, m.lit, m.before, m.cut != nil, c.lit, c.before, c.cut)
		}
	}
}
