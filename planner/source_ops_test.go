package planner_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/file"
	"github.com/weirdb/weir/connectors/nexmark"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql"
)

// sourceOpsResult is what a run of a query gives: its rows, and its
// counters of rows read and bad rows.
type sourceOpsResult struct {
	rows          []string
	rowsIn, bad   int64
	onSourceLines int
	explain       string
}

// runSourceOps runs query after the statements of tables at parallelism
// par and batch size batch; moved says whether the file and nexmark
// connectors declare that their sources take the leading row-wise
// operators (Registry.RegisterTransform), so that they run on the
// source's workers.
func runSourceOps(t *testing.T, tables, query string, par, batch int, moved bool) sourceOpsResult {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	reg := connectors.NewRegistry()
	reg.RegisterSource("file", file.NewSource, file.SourceConfig())
	reg.RegisterSource("nexmark", nexmark.NewSource, nexmark.Config())
	if moved {
		reg.RegisterTransform("file", file.Transforms)
		reg.RegisterTransform("nexmark", nexmark.TransformsAhead)
	}
	sess := planner.NewSession(reg)
	sess.Alloc = mem
	sess.Settings["parallelism"] = strconv.Itoa(par)
	sess.Settings["batch_size"] = strconv.Itoa(batch)
	if err := execAll(sess, tables); err != nil {
		t.Fatal(err)
	}
	stmts, err := sql.Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sess.Execute(stmts[0])
	if err != nil {
		t.Fatal(err)
	}
	var out sourceOpsResult
	out.explain = res.Query.Explain()
	out.onSourceLines = strings.Count(out.explain, "(on the source's")
	sink := &captureSink{}
	q, err := res.Query.Build(sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := q.Metrics()
	out.rows, out.rowsIn, out.bad = sink.rows, m.RowsIn, m.BadRows
	return out
}

// TestSourceOpsProperty runs queries whose leading row-wise operators
// can run on the source's workers with them moved and not, at
// parallelism 1, 2 and 4 and two batch sizes, over files large enough to
// be decoded in parallel chunks and over the nexmark generator: the word
// count fused (SplitCount) and unfused (UNNEST, a filter), a LIKE filter
// pushed into the text source, a filter and a
// projection over a CSV file with bad rows, Nexmark q0 and q1, and a
// projection under a window over a table with a watermark. Moved or not,
// at the same parallelism the rows are the same in the same order (and
// the same as at parallelism 1, sorted), and so are the rows read and the
// bad rows counted; EXPLAIN marks the operators moved.
func TestSourceOpsProperty(t *testing.T) {
	if testing.Short() {
		t.Skip("reads files of several MB many times")
	}
	dir := t.TempDir()
	r := rand.New(rand.NewSource(11))
	words := []string{"a", "bb", "the", "eight888", "nine99999", "sixteen-16bytes!", "a-rather-long-word-of-forty-bytes-at-all"}
	var text, csv strings.Builder
	csv.WriteString("id,url,n\n")
	for i := 0; text.Len() < 6<<20 || csv.Len() < 5<<20; i++ {
		for k := range r.Intn(9) {
			if k > 0 || r.Intn(5) == 0 {
				text.WriteString(" ")
			}
			text.WriteString(words[r.Intn(len(words))])
		}
		text.WriteString("\n")
		id := strconv.Itoa(i)
		if r.Intn(500) == 0 {
			id = "oops" // a bad row
		}
		fmt.Fprintf(&csv, "%s,/%s/%d,%d\n", id, words[r.Intn(len(words))], r.Intn(100), r.Intn(1000))
	}
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	textPath, csvPath := write("words.txt", text.String()), write("rows.csv", csv.String())
	files := fmt.Sprintf("CREATE TABLE texts (line VARCHAR) WITH (connector = 'file', path = '%s', format = 'text');"+
		"CREATE TABLE csvrows (id BIGINT, url VARCHAR, n BIGINT) WITH (connector = 'file', path = '%s', format = 'csv');", textPath, csvPath)
	bids := "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR, " +
		"WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND) " +
		"WITH (connector = 'nexmark', 'nexmark.table.type' = 'bid', 'nexmark.events' = '60000')"
	const wc = "SELECT word, COUNT(*) AS n FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM texts) AS w WHERE %s GROUP BY word"
	cases := []struct {
		name, tables, query string
		moved               int // operators moved at parallelism 2 and 4
	}{
		{"wc-fused", files, fmt.Sprintf(wc, "word <> ''"), 1},
		{"wc-unfused", files, fmt.Sprintf(wc, "LENGTH(word) > 0"), 2},
		{"wc-fused-updates", files, fmt.Sprintf(wc, "word <> ''") + " EMIT ON UPDATE", 1},
		{"like-pushed", files, "SELECT line FROM texts WHERE line LIKE '%eight888 the%'", 1},
		{"csv-filter-project", files, "SELECT id, UPPER(url) AS u, n * 2 AS m FROM csvrows WHERE n % 3 <> 0", 2},
		{"q0", bids, "SELECT auction, bidder, price, `dateTime`, extra FROM bid", 1},
		{"q1", bids, "SELECT auction, bidder, 0.908 * price AS price, `dateTime`, extra FROM bid", 1},
		{"window-over-project", bids + "; CREATE VIEW pv AS SELECT auction % 7 AS a, price + 1 AS p, `dateTime` FROM bid",
			"SELECT window_end, a, COUNT(*) AS n, MAX(p) AS m FROM TABLE(TUMBLE(TABLE pv, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND)) GROUP BY window_start, window_end, a", 1},
	}
	for _, c := range cases {
		for _, batch := range []int{333, 8192} {
			base := runSourceOps(t, c.tables, c.query, 1, batch, false)
			if len(base.rows) == 0 {
				t.Fatalf("%s: no rows", c.name)
			}
			want := slices.Sorted(slices.Values(base.rows))
			for _, par := range []int{1, 2, 4} {
				name := fmt.Sprintf("%s/batch=%d/parallelism=%d", c.name, batch, par)
				still := runSourceOps(t, c.tables, c.query, par, batch, false)
				moved := runSourceOps(t, c.tables, c.query, par, batch, true)
				if wantMoved := c.moved * min(par-1, 1); moved.onSourceLines != wantMoved || still.onSourceLines != 0 {
					t.Fatalf("%s: EXPLAIN marks %d and %d operators on the source's workers, want %d and 0", name, moved.onSourceLines, still.onSourceLines, wantMoved)
				}
				if !slices.Equal(moved.rows, still.rows) {
					t.Fatalf("%s: %d rows moved, %d not\nmoved %.300q\nnot   %.300q", name, len(moved.rows), len(still.rows), moved.rows, still.rows)
				}
				if got := slices.Sorted(slices.Values(moved.rows)); !slices.Equal(got, want) {
					t.Fatalf("%s: %d rows, %d at parallelism 1", name, len(got), len(want))
				}
				if moved.rowsIn != base.rowsIn || still.rowsIn != base.rowsIn || moved.bad != base.bad || still.bad != base.bad {
					t.Fatalf("%s: rows in %d moved, %d not, %d at parallelism 1; bad rows %d, %d, %d", name,
						moved.rowsIn, still.rowsIn, base.rowsIn, moved.bad, still.bad, base.bad)
				}
			}
		}
	}
}
