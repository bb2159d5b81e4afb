package planner_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/weirdb/weir/planner"
)

// TestShareIdenticalSubplans: queries computing the same subplan twice
// (Nexmark q5's two hopping counts, a self-join of one aggregation, a
// UNION ALL of one filter) compute it once, EXPLAIN shows it shared, and
// the results equal those of the plan that computes it twice, row for
// row and in order, at parallelism 1, 2 and 4; projections that call
// PROCTIME() stay apart (the filter under them is shared).
func TestShareIdenticalSubplans(t *testing.T) {
	tables := "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, `dateTime` TIMESTAMP(3), " +
		"WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND) WITH (connector = 'nexmark', " +
		"'nexmark.table.type' = 'bid', 'nexmark.events' = '30000', 'nexmark.events_per_second' = '0');"
	hop := "SELECT auction, COUNT(*) AS num, window_start AS starttime, window_end AS endtime " +
		"FROM TABLE(HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND, INTERVAL '10' SECOND)) " +
		"GROUP BY auction, window_start, window_end"
	// As Nexmark's q5: the second count does not select the auction, so
	// the projections over the shared count differ.
	hop2 := strings.Replace(hop, "SELECT auction, ", "SELECT ", 1)
	q5 := "SELECT a.auction, a.num FROM (" + hop + ") AS a JOIN (SELECT MAX(c.num) AS maxn, c.starttime, c.endtime FROM (" +
		hop2 + ") AS c GROUP BY c.starttime, c.endtime) AS m ON a.starttime = m.starttime AND a.endtime = m.endtime AND a.num >= m.maxn"
	agg := "SELECT auction, COUNT(*) AS n, MAX(price) AS hi FROM bid GROUP BY auction"
	for _, c := range []struct {
		name, query string
		// once appears once in the physical plan, twice when twice is set.
		once  string
		twice bool
	}{
		{"q5", q5, "HOP(dateTime, 2s, 10s)", false},
		{"q5 updating", q5 + " EMIT ON UPDATE", "HOP(dateTime, 2s, 10s)", false},
		{"self-join", "SELECT a.auction, a.n, b.hi FROM (" + agg + ") AS a JOIN (" + agg + ") AS b ON a.auction = b.auction EMIT ON UPDATE", "UpdatingAggregateOp", false},
		{"union", "SELECT auction, price FROM bid WHERE price > 1000000 UNION ALL SELECT auction, price FROM bid WHERE price > 1000000", "FilterOp", false},
		{"proctime", "SELECT auction, PROCTIME() AS t FROM bid WHERE price > 1000000 UNION ALL SELECT auction, PROCTIME() AS t FROM bid WHERE price > 1000000", "t := PROCTIME()] <-", true},
	} {
		for _, par := range []int{1, 2, 4} {
			got, explain := runShared(t, tables, c.query, par, true)
			physical := explain[strings.Index(explain, "physical plan:"):]
			if n, want := strings.Count(physical, c.once), map[bool]int{false: 1, true: 2}[c.twice]; n != want || !strings.Contains(explain, "(see #") {
				t.Fatalf("%s at parallelism %d: %q %d times, want %d, and a node shared:\n%s", c.name, par, c.once, n, want, explain)
			}
			if c.twice {
				continue
			}
			want, _ := runShared(t, tables, c.query, par, false)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("%s at parallelism %d: %d rows shared, %d not\n got %.300q\nwant %.300q", c.name, par, len(got), len(want), got, want)
			}
		}
	}
}

// runShared runs query after tables at parallelism par with the rule
// share_identical_subplans on or off, and returns its rows and EXPLAIN.
func runShared(t *testing.T, tables, query string, par int, share bool) ([]string, string) {
	t.Helper()
	planner.SetSharing(share)
	defer planner.SetSharing(true)
	r := runSourceOps(t, tables, query, par, 1000, true)
	return r.rows, r.explain
}
