package planner_test

import (
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
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql"
)

// TestFuseSplitCountProperty compares the fused word count (rule
// fuse_split_count) with the same count written so that the rule does
// not apply, over random lines (NULL, empty, long and short pieces,
// leading, trailing and repeated separators), at parallelism 1, 2 and 4
// with the parallel paths taken for batches of any size, and several
// batch sizes. The rows must be the same (compared sorted: a GROUP BY
// without ORDER BY, or a micro-batch's changes, come in any order).
func TestFuseSplitCountProperty(t *testing.T) {
	old := exec.ParallelRows
	exec.ParallelRows = 1
	defer func() { exec.ParallelRows = old }()
	dir := t.TempDir()
	r := rand.New(rand.NewSource(2026))
	words := []string{"a", "bb", "the", "eight888", "nine99999", "sixteen-16bytes!", "seventeen-17bytes", "a-rather-long-word-of-forty-bytes-at-all"}
	var csv strings.Builder
	csv.WriteString("id,line\n")
	for i := range 3000 {
		var line string
		switch r.Intn(12) {
		case 0: // NULL
		case 1:
			line = `""` // empty
		default:
			var b strings.Builder
			for range r.Intn(12) {
				if r.Intn(4) == 0 {
					b.WriteByte(" ;"[r.Intn(2)])
				}
				b.WriteString(words[r.Intn(len(words))])
				if r.Intn(3) > 0 {
					b.WriteByte(" ;"[r.Intn(2)])
				}
			}
			line = b.String()
			if line == "" {
				line = `""`
			}
		}
		fmt.Fprintf(&csv, "%d,%s\n", i, line)
	}
	path := filepath.Join(dir, "lines.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	table := fmt.Sprintf("CREATE TABLE texts (id BIGINT, line VARCHAR) WITH (connector = 'file', path = '%s', format = 'csv')", path)
	const split = "SELECT word, COUNT(*) AS n, COUNT(word) AS m FROM (SELECT UNNEST(STRING_TO_ARRAY(line, '%s')) AS word FROM texts) AS w %s GROUP BY word %s"
	cases := []struct{ sep, fused, unfused, emit string }{
		{" ", "WHERE word <> ''", "WHERE LENGTH(word) > 0", ""},
		{" ", "", "WHERE LENGTH(word) >= 0", ""},
		{";", "WHERE '' <> word", "WHERE LENGTH(word) > 0", ""},
		{";", "", "WHERE LENGTH(word) >= 0", "EMIT ON UPDATE"},
		{" ", "WHERE word != ''", "WHERE LENGTH(word) > 0", "EMIT ON UPDATE"},
	}
	for _, c := range cases {
		fused := fmt.Sprintf(split, c.sep, c.fused, c.emit)
		unfused := fmt.Sprintf(split, c.sep, c.unfused, c.emit)
		for _, batch := range []int{1, 7, 1000} {
			want := splitCountRun(t, table, unfused, 1, batch, false)
			for _, par := range []int{1, 2, 4} {
				got := splitCountRun(t, table, fused, par, batch, true)
				if !slices.Equal(got, want) {
					t.Fatalf("%s at parallelism %d, batch %d: %d rows, unfused %d\ngot  %.400q\nwant %.400q", fused, par, batch, len(got), len(want), got, want)
				}
			}
		}
	}
}

// splitCountRun runs query at parallelism par and batch size batch and
// returns its rows sorted, checking first that EXPLAIN shows the fused
// operator when fused, and not otherwise.
func splitCountRun(t *testing.T, table, query string, par, batch int, fused bool) []string {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	reg := connectors.NewRegistry()
	reg.RegisterSource("file", file.NewSource, file.SourceConfig())
	sess := planner.NewSession(reg)
	sess.Alloc = mem
	sess.Settings["parallelism"] = strconv.Itoa(par)
	if err := execAll(sess, table); err != nil {
		t.Fatal(err)
	}
	plan, err := runQuery(sess, "EXPLAIN "+query, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Contains(strings.Join(plan, "\n"), "SplitCountOp"); got != fused {
		t.Fatalf("%s: fused %v, want %v:\n%s", query, got, fused, strings.Join(plan, "\n"))
	}
	rows, err := runQuery(sess, query, batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rows)
	return rows
}

// TestFuseSplitCountNoSecondPartial checks the operators of the fused
// word count on four workers: SplitCount over slices of each batch, then
// the aggregation split by key, with no partial aggregation over the
// counts (which are partial already), as the unfused count has.
func TestFuseSplitCountNoSecondPartial(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "words.txt")
	if err := os.WriteFile(path, []byte("a b\nb c\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	table := fmt.Sprintf("CREATE TABLE words (line VARCHAR) WITH (connector = 'file', path = '%s', format = 'text')", path)
	const q = "SELECT word, COUNT(*) AS n FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM words) AS w WHERE %s GROUP BY word"
	for _, c := range []struct{ where, want string }{
		{"word <> ''", "SplitCount, WindowAgg (GROUP BY word), Project"},
		{"LENGTH(word) > 0", "Unnest, Filter, PartialAgg, WindowAgg (GROUP BY word), Project"},
	} {
		reg := connectors.NewRegistry()
		reg.RegisterSource("file", file.NewSource, file.SourceConfig())
		sess := planner.NewSession(reg)
		sess.Settings["parallelism"] = "4"
		if err := execAll(sess, table); err != nil {
			t.Fatal(err)
		}
		stmts, err := sql.Parse(fmt.Sprintf(q, c.where))
		if err != nil {
			t.Fatal(err)
		}
		res, err := sess.Execute(stmts[0])
		if err != nil {
			t.Fatal(err)
		}
		query, err := res.Query.Build(&captureSink{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, n := range query.Graph.Nodes {
			names = append(names, exec.OpName(n.Op))
		}
		for _, in := range query.Graph.Inputs {
			in.Source.Close()
		}
		query.Pipeline.Close()
		if got := strings.Join(names, ", "); got != c.want {
			t.Errorf("WHERE %s: operators %s, want %s", c.where, got, c.want)
		}
	}
}
