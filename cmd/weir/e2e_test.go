package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// weirBin builds the real binary once per test run.
func weirBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "weir-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "weir")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return binPath
}

// runWeir runs the binary in dir and returns stdout, stderr and the exit code.
func runWeir(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(weirBin(t), args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const clicksCSV = `ts,user_id,url
2024-01-01 00:00:01.000,1,/home
2024-01-01 00:00:02.500,2,/home
2024-01-01 00:00:04.000,1,/cart
2024-01-01 00:00:12.000,1,/home
oops,1,/bad
2024-01-01 00:00:21.000,3,/home
`

const clicksDDL = `CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector = 'file', path = 'clicks.csv', format = 'csv');
`

func TestRunJSONL(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	writeFile(t, dir, "q.sql", clicksDDL+`
SELECT window_start, window_end, COUNT(*) AS n, SUM(user_id) AS s
FROM clicks GROUP BY TUMBLE(ts, INTERVAL '10' SECOND);
`)
	// Flags after the script path work too.
	out, errOut, code := runWeir(t, dir, "run", "q.sql", "--format", "jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `{"window_start":"2024-01-01T00:00:00.000Z","window_end":"2024-01-01T00:00:10.000Z","n":3,"s":4}
{"window_start":"2024-01-01T00:00:10.000Z","window_end":"2024-01-01T00:00:20.000Z","n":1,"s":1}
{"window_start":"2024-01-01T00:00:20.000Z","window_end":"2024-01-01T00:00:30.000Z","n":1,"s":3}
`
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, "clicks.csv:6") || !strings.Contains(errOut, "1 bad rows skipped") {
		t.Errorf("stderr does not report the bad row:\n%s", errOut)
	}
}

func TestRunCSVAndExecute(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	out, errOut, code := runWeir(t, dir, "run", "--format", "csv", "-e", clicksDDL,
		"-e", "SELECT url, COUNT(*) AS n FROM clicks GROUP BY url ORDER BY url")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if want := "url,n\n/cart,1\n/home,4\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
}

func TestRunTable(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	out, errOut, code := runWeir(t, dir, "run", "--format", "table", "-e", clicksDDL,
		"-e", "SELECT url, COUNT(*) AS n FROM clicks GROUP BY url ORDER BY url")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{"url", "/cart", "/home", "│ 4"} {
		if !strings.Contains(out, s) {
			t.Errorf("table output lacks %q:\n%s", s, out)
		}
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	cases := []struct {
		sql, want string
	}{
		{clicksDDL + "SELECT url FROM clicks;\nSELECT nope FROM clicks;", "line 5, column 8: unknown column nope"},
		{"SELECT a FROM missing;", "line 1, column 15: unknown table missing"},
		{clicksDDL + "SELECT COUNT(*) FROM clicks GROUP BY TUMBLE(ts, INTERVAL '5' FORTNIGHT);", "line 4"},
		{"CREATE TABLE x (a BIGINT) WITH (connector = 'file', path = 'nofile.csv', format = 'csv'); SELECT a FROM x;", "nofile.csv"},
	}
	for _, c := range cases {
		out, errOut, code := runWeir(t, dir, "run", "--format", "jsonl", "-e", c.sql)
		if code == 0 {
			t.Errorf("%q: exit 0", c.sql)
		}
		if out != "" {
			t.Errorf("%q: printed %q before failing", c.sql, out)
		}
		if !strings.Contains(errOut, c.want) {
			t.Errorf("%q: stderr %q, want %q", c.sql, errOut, c.want)
		}
	}
}

func TestBundledExample(t *testing.T) {
	out, errOut, code := runWeir(t, t.TempDir(), "run", "--format", "table")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{"window_start", "word", "user", "2024-01-01 00:00:00.000"} {
		if !strings.Contains(out, s) {
			t.Errorf("example output lacks %q:\n%s", s, out)
		}
	}
}

// TestBundledExamplePiped: the example follows the rule of every script,
// a table on a terminal and JSON lines otherwise; its first window's
// counts are exact.
func TestBundledExamplePiped(t *testing.T) {
	out, errOut, code := runWeir(t, t.TempDir(), "run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 34 {
		t.Fatalf("%d lines, want 34:\n%s", len(lines), out)
	}
	want := `{"window_start":"2024-01-01T00:00:00.000Z","window_end":"2024-01-01T00:01:00.000Z","word":"user","n":5}`
	if lines[0] != want {
		t.Errorf("first line %s, want %s", lines[0], want)
	}
	for _, l := range lines {
		if strings.Contains(l, `"word":""`) {
			t.Errorf("empty word counted: %s", l)
		}
	}
}

func TestExplain(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	writeFile(t, dir, "q.sql", clicksDDL+"SELECT url, COUNT(*) AS n FROM clicks WHERE user_id > 1 GROUP BY url, HOP(ts, INTERVAL '1' SECOND, INTERVAL '1' MINUTE);")
	out, errOut, code := runWeir(t, dir, "explain", "q.sql")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{"logical plan:", "physical plan:", "Scan clicks", "HOP(", "PaneWindowAggregateOp"} {
		if !strings.Contains(out, s) {
			t.Errorf("explain lacks %q:\n%s", s, out)
		}
	}
}

// Several queries in one script run together: a bare SELECT to stdout and
// an INSERT INTO a file sink.
func TestRunSeveralQueries(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	writeFile(t, dir, "q.sql", clicksDDL+`
CREATE TABLE per_url (url VARCHAR, n BIGINT) WITH (connector = 'file', path = 'per_url.csv', format = 'csv');
INSERT INTO per_url SELECT url, COUNT(*) FROM clicks GROUP BY url ORDER BY url;
SELECT COUNT(*) AS n FROM clicks;
SELECT MAX(user_id) AS top FROM clicks;
`)
	out, errOut, code := runWeir(t, dir, "run", "--format", "jsonl", "q.sql")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Two bare SELECTs: each row says which query it is from.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !contains(lines, `{"_query":2,"n":5}`) || !contains(lines, `{"_query":3,"top":3}`) {
		t.Errorf("stdout %q", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "per_url.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "url,n\n/cart,1\n/home,4\n"; string(b) != want {
		t.Errorf("sink file %q, want %q", b, want)
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// TestRunFailOnBadRow: with on_error = 'fail' the bad row is reported as
// the reason the query failed, never as skipped.
func TestRunFailOnBadRow(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	_, errOut, code := runWeir(t, dir, "run", "-e", `CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR)
WITH (connector = 'file', path = 'clicks.csv', format = 'csv', on_error = 'fail');`, "-e", "SELECT url FROM clicks")
	if code == 0 {
		t.Fatalf("exit 0, want a failure; stderr:\n%s", errOut)
	}
	if !strings.Contains(errOut, "table clicks: failed on bad row at clicks.csv:6") || strings.Contains(errOut, "skipped") {
		t.Errorf("stderr:\n%s\nwant \"failed on bad row at clicks.csv:6\" and no \"skipped\"", errOut)
	}
}
