package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestRunStats: --stats prints, for each query, its rows in and out, its
// micro-batches and the largest state it held.
func TestRunStats(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	out, errOut, code := runWeir(t, dir, "run", "--stats", "--format", "jsonl", "-e", clicksDDL+"SELECT url, COUNT(*) AS n FROM clicks GROUP BY url")
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	re := regexp.MustCompile(`weir: query 1: 5 rows in, 2 rows out, \d+ micro-batches, peak state \d+(\.\d)? (B|KiB) in 2 keys\n`)
	if !re.MatchString(errOut) {
		t.Errorf("stderr lacks the stats line:\n%s", errOut)
	}
}
