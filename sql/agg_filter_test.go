package sql

import (
	"strings"
	"testing"
)

func TestAggFilterRewrite(t *testing.T) {
	for _, tc := range []struct{ in, rewritten string }{
		{"SELECT count(*) filter (where price < 10000) AS n FROM bid",
			"SELECT weir_agg_filter(count(*) , ( price < 10000)) AS n FROM bid"},
		{"SELECT COUNT(DISTINCT bidder) FILTER (WHERE price >= 10000 AND (price < 1000000)), SUM(x) FROM bid",
			"SELECT weir_agg_filter(COUNT(DISTINCT bidder) , ( price >= 10000 AND (price < 1000000))), SUM(x) FROM bid"},
		{"SELECT k, max(ts) FILTER (WHERE ts > ts - INTERVAL '1' SECOND) FROM t GROUP BY k",
			"SELECT k, weir_agg_filter(max(ts) , ( ts > ts - INTERVAL '1' SECOND)) FROM t GROUP BY k"},
		{"SELECT filter FROM t WHERE filter > 1", "SELECT filter FROM t WHERE filter > 1"},
	} {
		st, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if st[0].Rewritten != tc.rewritten {
			t.Errorf("%s:\n rewritten %q\n      want %q", tc.in, st[0].Rewritten, tc.rewritten)
		}
	}
	// A position in the condition maps back to the user's text.
	script := "SELECT COUNT(*) FILTER (WHERE zz > 1) FROM t"
	st, err := Parse(script)
	if err != nil {
		t.Fatal(err)
	}
	if got := st[0].MapOffset(strings.Index(st[0].Rewritten, "zz")); got != strings.Index(script, "zz") {
		t.Fatalf("MapOffset of zz = %d, want %d", got, strings.Index(script, "zz"))
	}
	for _, tc := range []struct{ in, msg string }{
		{"SELECT (a) FILTER (WHERE b) FROM t", "line 1, column 12: FILTER (WHERE ...) must follow an aggregate function call, e.g. COUNT(*) FILTER (WHERE price > 10)"},
		{"SELECT COUNT(*) FILTER (WHERE ) FROM t", "line 1, column 25: FILTER (WHERE ...) needs a condition"},
		{"SELECT COUNT(*) FILTER (WHERE a > 1 FROM t", "line 1, column 24: FILTER (WHERE ...) is missing its closing parenthesis"},
	} {
		_, err := Parse(tc.in)
		if err == nil || err.Error() != tc.msg {
			t.Errorf("%s: error %v, want %q", tc.in, err, tc.msg)
		}
	}
}
