package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/weirdb/weir/bench"
)

const twoSelects = `SELECT url, COUNT(*) AS n FROM clicks GROUP BY url ORDER BY url;
SELECT MAX(user_id) AS top FROM clicks;
`

// sortedOut sorts output lines: the queries of a script run together, so
// the order of their lines is not fixed.
func sortedOut(out string) string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// TestRunSeveralSelectsLabelled: with more than one bare SELECT, csv rows
// start with a _query column and table batches name their query.
func TestRunSeveralSelectsLabelled(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	writeFile(t, dir, "q.sql", clicksDDL+twoSelects)
	out, errOut, code := runWeir(t, dir, "run", "q.sql", "--format", "csv")
	want := sortedOut("_query,url,n\n1,/cart,1\n1,/home,4\n_query,top\n2,3\n")
	if code != 0 || sortedOut(out) != want {
		t.Errorf("csv: exit %d, stdout:\n%s\nwant (sorted):\n%s\nstderr:\n%s", code, out, want, errOut)
	}
	out, errOut, code = runWeir(t, dir, "run", "q.sql", "--format", "table")
	if code != 0 || strings.Count(out, " UTC (query 1)\n") != 1 || strings.Count(out, " UTC (query 2)\n") != 1 {
		t.Errorf("table: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// One SELECT: no label, as always.
	out, _, _ = runWeir(t, dir, "run", "--format", "csv", "-e", clicksDDL, "-e", "SELECT MAX(user_id) AS top FROM clicks")
	if out != "top\n3\n" {
		t.Errorf("one SELECT, csv: %q", out)
	}
}

// TestRunOutputDir: --output-dir writes each SELECT's rows to its own
// file, without _query, and nothing to stdout.
func TestRunOutputDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	writeFile(t, dir, "q.sql", clicksDDL+twoSelects)
	for _, c := range []struct {
		args  []string
		files map[string]string
	}{
		{[]string{"--output-dir", "out"}, map[string]string{
			"query-1.jsonl": `{"url":"/cart","n":1}` + "\n" + `{"url":"/home","n":4}` + "\n",
			"query-2.jsonl": `{"top":3}` + "\n"}},
		{[]string{"--output-dir", "out", "--format", "csv"}, map[string]string{
			"query-1.csv": "url,n\n/cart,1\n/home,4\n", "query-2.csv": "top\n3\n"}},
	} {
		os.RemoveAll(filepath.Join(dir, "out"))
		out, errOut, code := runWeir(t, dir, append([]string{"run", "q.sql"}, c.args...)...)
		if code != 0 || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s", c.args, code, out, errOut)
		}
		entries, _ := os.ReadDir(filepath.Join(dir, "out"))
		if len(entries) != len(c.files) {
			t.Errorf("%v: %d files in out, want %d", c.args, len(entries), len(c.files))
		}
		for name, want := range c.files {
			b, err := os.ReadFile(filepath.Join(dir, "out", name))
			if err != nil || string(b) != want {
				t.Errorf("%v: %s = %q (%v), want %q", c.args, name, b, err, want)
			}
		}
	}
	_, _, code := runWeir(t, dir, "run", "q.sql", "--output-dir", "out", "--format", "table")
	b, err := os.ReadFile(filepath.Join(dir, "out", "query-2.txt"))
	if code != 0 || err != nil || !strings.Contains(string(b), "│ top │") || strings.Contains(string(b), "(query") {
		t.Errorf("table: exit %d, query-2.txt = %q (%v)", code, b, err)
	}
}

// TestRunSeveralSelectsDoNotInterleave: two SELECTs writing many rows to
// stdout at once; every line is one whole row of one of them.
func TestRunSeveralSelectsDoNotInterleave(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "clicks.csv"))
	if err != nil {
		t.Fatal(err)
	}
	const rows = 30000
	err = bench.WriteClicksCSV(f, bench.Clicks(bench.ClicksConfig{Rows: rows, Seed: 3, Start: 1704067200000,
		StepMs: 20, Users: 30, URLs: 10}))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runWeir(t, dir, "run", "--format", "jsonl", "-e", `
CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR(32), amount DOUBLE)
  WITH (connector = 'file', path = 'clicks.csv', format = 'csv');
SELECT user_id, url FROM clicks;
SELECT ts, amount, url FROM clicks`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	counts := map[float64]int{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil || !strings.HasPrefix(l, `{"_query":`) {
			t.Fatalf("line %q: not one whole labelled row (%v)", l, err)
		}
		n, _ := row["_query"].(float64)
		_, a := row["user_id"]
		_, b := row["amount"]
		if !(n == 1 && a && len(row) == 3) && !(n == 2 && b && len(row) == 4) {
			t.Fatalf("line %q mixes up the queries", l)
		}
		counts[n]++
	}
	if counts[1] != rows || counts[2] != rows {
		t.Errorf("rows per query %v, want %d each", counts, rows)
	}
}
