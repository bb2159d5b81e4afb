package planner

import (
	"testing"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/datagen"
	"github.com/weirdb/weir/sql"
)

// TestAlignedWith: a query's state is aligned with its input's
// partitioning column when every keyed state includes that column as
// read, through renames; stateless queries are aligned with anything.
func TestAlignedWith(t *testing.T) {
	reg := connectors.NewRegistry()
	reg.RegisterSource("datagen", datagen.NewSource, datagen.Config())
	s := NewSession(reg)
	stmts, err := sql.Parse(`
CREATE TABLE t (_key VARCHAR, word VARCHAR, n BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (connector = 'datagen');
CREATE TABLE u (_key VARCHAR, m BIGINT) WITH (connector = 'datagen')`)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stmts {
		if _, err := s.Execute(st); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ query, want string }{
		{"SELECT word, n FROM t WHERE n > 1", ""},
		{"SELECT UPPER(word) FROM t", ""},
		{"SELECT _key, COUNT(*) FROM t GROUP BY _key", ""},
		{"SELECT k, COUNT(*) FROM (SELECT _key AS k FROM t) AS s GROUP BY k", ""},
		{"SELECT word, _key, SUM(n) FROM t GROUP BY word, _key", ""},
		{"SELECT window_start, _key, COUNT(*) FROM t GROUP BY _key, TUMBLE(ts, INTERVAL '1' MINUTE)", ""},
		{"SELECT word, COUNT(*) FROM t GROUP BY word", "GROUP BY word does not include t._key, the column its input is partitioned by"},
		{"SELECT k, COUNT(*) FROM (SELECT UPPER(_key) AS k FROM t) AS s GROUP BY k", "GROUP BY k does not include t._key, the column its input is partitioned by"},
		{"SELECT COUNT(*) FROM t", "an aggregation without GROUP BY keys needs every row of t in one place"},
		{"SELECT t.word FROM t JOIN u ON t._key = u._key", "a join of two streams is not split by input partition yet"},
		{"SELECT word FROM t LIMIT 3", "LIMIT 3 counts rows over the whole input"},
	} {
		stmts, err := sql.Parse(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Execute(stmts[0])
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		got := ""
		if err := res.Query.AlignedWith("t", "_key"); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.query, got, tc.want)
		}
	}
}
