package planner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/datagen"
	"github.com/weirdb/weir/connectors/directory"
	"github.com/weirdb/weir/connectors/file"
	"github.com/weirdb/weir/connectors/nexmark"
	"github.com/weirdb/weir/connectors/socket"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql"
	"github.com/weirdb/weir/vector"
)

// The golden files under testdata/ are in a sqllogictest-like format,
// extended for streams:
//
//	# a comment
//	file NAME            the lines up to a line EOF become $DIR/NAME
//	statement ok         the SQL up to a blank line must succeed
//	statement error TEXT it must fail with an error containing TEXT
//	query [rowsort] [batch=N] [late=N] [bad=N]
//	SELECT ...
//	----
//	expected rows, one per line, values joined by " | "
//	query error TEXT     the query must fail to plan or run with TEXT
//
// A query without batch=N runs with batch sizes 1, 3 and 1024, and must
// give the same rows each time. late=N and bad=N check the rows dropped
// as late and the bad input rows skipped.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/*.slt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".slt"), func(t *testing.T) { runGolden(t, f, 1) })
	}
}

// TestGoldenParallel runs every golden file at parallelism 4, with the
// parallel paths taken for batches of any size: keyed operators split
// into four partitions, row-wise ones run over slices of each batch.
// Results must be the rows of parallelism 1; a query without ORDER BY
// may give an emission's rows in another order, so they are compared
// sorted (a changelog's per-key order is kept by the partitioning).
func TestGoldenParallel(t *testing.T) {
	files, err := filepath.Glob("../testdata/*.slt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	old := exec.ParallelRows
	exec.ParallelRows = 1
	defer func() { exec.ParallelRows = old }()
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".slt"), func(t *testing.T) { runGolden(t, f, 4) })
	}
}

type record struct {
	line     int
	kind     string // file, statement, query
	args     []string
	body     string
	expected []string
}

func parseGolden(t *testing.T, path string) []record {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []record
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\r")
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		r := record{line: i + 1, kind: f[0], args: f[1:]}
		var body []string
		i++
		if r.kind == "file" { // a file's lines run to EOF, blank lines included
			for ; i < len(lines) && strings.TrimRight(lines[i], "\r") != "EOF"; i++ {
				body = append(body, strings.TrimRight(lines[i], "\r"))
			}
			if i >= len(lines) {
				t.Fatalf("%s:%d: file %s has no EOF line", path, r.line, r.args[0])
			}
			i++
		}
		for ; r.kind != "file" && i < len(lines) && strings.TrimSpace(lines[i]) != "" && lines[i] != "----"; i++ {
			body = append(body, strings.TrimRight(lines[i], "\r"))
		}
		r.body = strings.Join(body, "\n")
		if i < len(lines) && lines[i] == "----" {
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
				r.expected = append(r.expected, strings.TrimRight(lines[i], " \r"))
			}
		}
		recs = append(recs, r)
	}
	return recs
}

func runGolden(t *testing.T, path string, parallelism int) {
	dir := t.TempDir()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	reg := connectors.NewRegistry()
	reg.RegisterSource("file", file.NewSource, file.SourceConfig())
	reg.RegisterSink("file", file.NewSink, file.SinkConfig())
	reg.RegisterContains("file", file.ContainsPushdown)
	reg.RegisterSource("socket", socket.NewSource, socket.Config())
	reg.RegisterContains("socket", socket.ContainsPushdown)
	reg.RegisterSource("directory", directory.NewSource, directory.Config())
	reg.RegisterContains("directory", directory.ContainsPushdown)
	reg.RegisterSource("datagen", datagen.NewSource, datagen.Config())
	reg.RegisterSource("nexmark", nexmark.NewSource, nexmark.Config())
	reg.RegisterTransform("file", file.Transforms)
	reg.RegisterTransform("nexmark", nexmark.TransformsAhead)
	sess := planner.NewSession(reg)
	sess.Alloc = mem
	sess.Settings["parallelism"] = strconv.Itoa(parallelism)
	var bad int64
	sess.BadRow = func(connectors.BadRow) error { bad++; return nil }
	expand := func(s string) string { return strings.ReplaceAll(s, "$DIR", dir) }
	for _, r := range parseGolden(t, path) {
		where := fmt.Sprintf("%s:%d", filepath.Base(path), r.line)
		switch r.kind {
		case "file":
			if err := os.WriteFile(filepath.Join(dir, r.args[0]), []byte(r.body+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		case "statement":
			err := execAll(sess, expand(r.body))
			checkErr(t, where, strings.Fields(expand(strings.Join(r.args, " "))), err)
		case "query":
			if len(r.args) > 0 && r.args[0] == "error" {
				_, err := runQuery(sess, expand(r.body), 1024, nil)
				checkErr(t, where, strings.Fields(expand(strings.Join(r.args, " "))), err)
				continue
			}
			opts := map[string]string{}
			for _, a := range r.args {
				k, v, _ := strings.Cut(a, "=")
				opts[k] = v
			}
			sizes := []int{1, 3, 1024}
			if n, ok := opts["batch"]; ok {
				b, _ := strconv.Atoi(n)
				sizes = []int{b}
			}
			var want []string
			for _, w := range r.expected {
				want = append(want, expand(w))
			}
			if parallelism > 1 && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(r.body)), "EXPLAIN") {
				continue // the plan says its parallelism; TestGolden checks the rest of it
			}
			_, rowsort := opts["rowsort"]
			rowsort = rowsort || (parallelism > 1 && !ordered(r.body))
			if rowsort {
				sort.Strings(want)
			}
			for _, size := range sizes {
				bad = 0
				var late int64
				got, err := runQuery(sess, expand(r.body), size, &late)
				if err != nil {
					t.Errorf("%s (batch %d): %v", where, size, err)
					break
				}
				if rowsort {
					sort.Strings(got)
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s (batch %d): got\n%s\nwant\n%s", where, size, strings.Join(got, "\n"), strings.Join(want, "\n"))
					break
				}
				if n, ok := opts["late"]; ok && n != strconv.FormatInt(late, 10) {
					t.Errorf("%s (batch %d): %d late rows, want %s", where, size, late, n)
				}
				if n, ok := opts["bad"]; ok && n != strconv.FormatInt(bad, 10) {
					t.Errorf("%s (batch %d): %d bad rows, want %s", where, size, bad, n)
				}
			}
		default:
			t.Fatalf("%s: unknown record %q", where, r.kind)
		}
	}
}

// ordered reports whether a query fixes the order of its rows (ORDER BY
// in its outermost SELECT, roughly: the last ORDER BY of its text).
func ordered(query string) bool {
	q := strings.ToUpper(query)
	for { // drop OVER (...) clauses: their ORDER BY ranks rows
		i := strings.Index(q, "OVER (")
		if i < 0 {
			break
		}
		depth, j := 0, i+5
		for ; j < len(q); j++ {
			if q[j] == '(' {
				depth++
			} else if q[j] == ')' {
				if depth--; depth == 0 {
					break
				}
			}
		}
		q = q[:i] + q[min(j+1, len(q)):]
	}
	return strings.Contains(q, "ORDER BY")
}

func checkErr(t *testing.T, where string, args []string, err error) {
	t.Helper()
	if len(args) > 0 && args[0] == "error" {
		want := strings.Join(args[1:], " ")
		if err == nil {
			t.Errorf("%s: no error, want %q", where, want)
		} else if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q, want %q", where, err.Error(), want)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: %v", where, err)
	}
}

func execAll(sess *planner.Session, script string) error {
	stmts, err := sql.Parse(script)
	if err != nil {
		return err
	}
	for _, st := range stmts {
		res, err := sess.Execute(st)
		if err != nil {
			return err
		}
		if res.Kind == planner.ResultQuery {
			q, err := res.Query.Build(&captureSink{})
			if err != nil {
				return err
			}
			if err := q.Run(context.Background()); err != nil {
				return err
			}
		}
	}
	return nil
}

// runQuery runs the one statement of script and renders its rows.
func runQuery(sess *planner.Session, script string, batch int, late *int64) ([]string, error) {
	stmts, err := sql.Parse(script)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, errors.New("a query record holds one statement")
	}
	sess.Settings["batch_size"] = strconv.Itoa(batch)
	res, err := sess.Execute(stmts[0])
	if err != nil {
		return nil, err
	}
	if res.Kind == planner.ResultRows {
		var out []string
		for _, r := range res.Rows {
			out = append(out, strings.TrimRight(strings.Join(r, " | "), " "))
		}
		return out, nil
	}
	if res.Kind != planner.ResultQuery {
		return nil, errors.New("not a query")
	}
	sink := &captureSink{}
	q, err := res.Query.Build(sink)
	if err != nil {
		return nil, err
	}
	if err := q.Run(context.Background()); err != nil {
		return nil, err
	}
	if late != nil {
		*late = q.Metrics().LateRows
	}
	return sink.rows, nil
}

// captureSink renders every row it is given. A changelog's row kind
// comes first (+I, -U, +U, -D), as Flink's SQL client shows it.
type captureSink struct{ rows []string }

func (c *captureSink) Write(b arrow.RecordBatch) error {
	defer b.Release()
	op := vector.OpIndex(b.Schema())
	for r := 0; r < int(b.NumRows()); r++ {
		var vals []string
		if op >= 0 {
			vals = append(vals, vector.RowKind(b.Column(op).(*array.Int8).Value(r)).String())
		}
		for i := 0; i < int(b.NumCols()); i++ {
			if i != op {
				vals = append(vals, render(b.Column(i), r))
			}
		}
		c.rows = append(c.rows, strings.TrimRight(strings.Join(vals, " | "), " "))
	}
	return nil
}

func (c *captureSink) Commit(int64) error { return nil }
func (c *captureSink) Close() error       { return nil }

func render(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', 12, 64)
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i))
	case *array.Timestamp:
		return time.UnixMilli(int64(a.Value(i))).UTC().Format("2006-01-02 15:04:05.000")
	}
	return a.ValueStr(i)
}
