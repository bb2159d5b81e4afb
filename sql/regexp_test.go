package sql

import (
	"regexp"
	"testing"
)

func TestSimilarToRegexp(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"a%", "abcd", true},
		{"a%", "ba", false},
		{"%\n%", "x\ny", true},
		{"_b_", "abc", true},
		{"_b_", "ab", false},
		{"a.c", "abc", false},
		{"a.c", "a.c", true},
		{"(a|b)+", "abba", true},
		{"(a|b)+", "abc", false},
		{"[a-c]{2}", "bc", true},
		{"[a-c]{2}", "bcd", false},
		{`100\%`, "100%", true},
		{`100\%`, "1000", false},
		{"a$^b", "a$^b", true},
		{"é_", "éx", true},
	}
	for _, c := range cases {
		re := regexp.MustCompile(similarToRegexp(c.pattern))
		if got := re.MatchString(c.s); got != c.want {
			t.Errorf("%q SIMILAR TO %q (%s): got %v", c.s, c.pattern, re, got)
		}
	}
}

func TestRegexpCallRewrite(t *testing.T) {
	cases := map[string]string{
		"SELECT REGEXP(s, 'a') FROM t":                   "SELECT REGEXP_LIKE(s, 'a') FROM t",
		"SELECT s FROM t WHERE NOT REGEXP(s, 'a')":       "SELECT s FROM t WHERE NOT REGEXP_LIKE(s, 'a')",
		"SELECT s REGEXP('a'), s NOT REGEXP('b') FROM t": "SELECT s REGEXP('a'), s NOT REGEXP('b') FROM t",
		"SELECT s FROM t WHERE s SIMILAR TO 'a%'":        "SELECT s FROM t WHERE s REGEXP '^(?:a(?s:.*))$'",
		"SELECT s NOT SIMILAR TO 'a.b\\\\%' FROM t":      "SELECT s NOT REGEXP '^(?:a\\\\.b%)$' FROM t",
	}
	for in, want := range cases {
		stmts, err := Parse(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := stmts[0].Rewritten; got != want {
			t.Errorf("%s:\n got %s\nwant %s", in, got, want)
		}
	}
}
