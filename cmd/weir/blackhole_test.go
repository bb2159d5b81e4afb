package main

import (
	"strings"
	"testing"
)

// TestBlackholeSinkE2E: INSERT INTO a blackhole table takes an append-only
// query's rows and an updating query's changelog; --stats counts what went
// in. A misspelt option is an error at CREATE TABLE, and `weir connectors`
// lists the sink.
func TestBlackholeSinkE2E(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	writeFile(t, dir, "q.sql", `SET batch_size = 2;
CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR) WITH (connector = 'file', path = 'clicks.csv', format = 'csv');
CREATE TABLE hole (user_id BIGINT, url VARCHAR) WITH (connector = 'blackhole');
INSERT INTO hole SELECT user_id, url FROM clicks;
CREATE TABLE counts (user_id BIGINT, n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO counts SELECT user_id, COUNT(*) FROM clicks WHERE url = '/home' GROUP BY user_id EMIT ON UPDATE;
`)
	out, errOut, code := runWeir(t, dir, "run", "--stats", "q.sql")
	if code != 0 || out != "" {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// Query 2's changelog: /home by 1 and 2 (+I +I), by 1 again (-U +U),
	// by 3 (+I).
	for _, want := range []string{
		"weir: query 1: 5 rows in, 5 rows out, 4 micro-batches",
		"weir: query 2: 5 rows in, 5 rows out, 4 micro-batches",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}

	writeFile(t, dir, "bad.sql", "CREATE TABLE hole (n BIGINT) WITH (connector = 'blackhole', path = 'x');\n")
	out, errOut, code = runWeir(t, dir, "run", "bad.sql")
	if code != 1 || out != "" || !strings.Contains(errOut, "table hole: unknown option 'path' for connector 'blackhole' (have connector)") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
