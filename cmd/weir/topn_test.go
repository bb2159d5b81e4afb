package main

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

const topnCrashScript = `SET batch_size = 100;
SET checkpoint_batches = 2;
CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR(32), amount DOUBLE,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (connector = 'file', path = 'clicks.csv', format = 'csv');
CREATE TABLE top_out (user_id BIGINT, url VARCHAR, amount DOUBLE, rn BIGINT)
  WITH (connector = 'file', path = 'top.jsonl', format = 'json', changelog = 'true');
INSERT INTO top_out
SELECT * FROM (SELECT user_id, url, amount, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM clicks)
WHERE rn <= 3;
CREATE TABLE last_out (user_id BIGINT, url VARCHAR, amount DOUBLE)
  WITH (connector = 'file', path = 'last.jsonl', format = 'json', changelog = 'true');
INSERT INTO last_out
SELECT user_id, url, amount FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id, url ORDER BY ts DESC) AS rn FROM clicks)
WHERE rn = 1;
CREATE TABLE win_out (window_end TIMESTAMP(3), url VARCHAR, n BIGINT, rn BIGINT)
  WITH (connector = 'file', path = 'win.jsonl', format = 'json');
INSERT INTO win_out
SELECT * FROM (
  SELECT window_end, url, n, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY n DESC) AS rn
  FROM (SELECT window_start, window_end, url, COUNT(*) AS n
        FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND))
        GROUP BY window_start, window_end, url))
WHERE rn <= 2;
`

// TestTopNCrashRecovery kills `weir run --checkpoint-dir` running three
// Top-N queries (per-key top 3 with ranks, keep-last deduplication, window
// Top-N) with SIGKILL at random moments, restarting it each time, and
// checks that each sink ends with exactly the output of an uninterrupted
// run: the changelogs in order, the window rows as a set.
func TestTopNCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	ref, crash := t.TempDir(), t.TempDir()
	for _, d := range []string{ref, crash} {
		writeCrashInput(t, d)
		writeFile(t, d, "q.sql", topnCrashScript)
	}
	if _, errOut, code := runWeir(t, ref, "run", "--parallelism", "4", "q.sql"); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, errOut)
	}
	outs := []string{"top.jsonl", "last.jsonl", "win.jsonl"}
	want := map[string][]string{}
	for _, o := range outs {
		if o == "win.jsonl" {
			want[o] = sortedLines(t, filepath.Join(ref, o))
		} else {
			want[o] = fileLines(t, filepath.Join(ref, o))
		}
		if len(want[o]) < 100 {
			t.Fatalf("reference run wrote only %d rows to %s", len(want[o]), o)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	const kills = 8
	killRuns(t, crash, kills, "4", func(int) time.Duration { return time.Duration(r.IntN(15)) * time.Millisecond })
	for _, o := range outs {
		var got []string
		if o == "win.jsonl" {
			got = sortedLines(t, filepath.Join(crash, o))
		} else {
			got = fileLines(t, filepath.Join(crash, o))
		}
		if len(got) != len(want[o]) {
			t.Errorf("%s: %d rows after %d kills, want %d", o, len(got), kills, len(want[o]))
		}
		for i := range min(len(got), len(want[o])) {
			if got[i] != want[o][i] {
				t.Fatalf("%s row %d after %d kills:\n got %s\nwant %s", o, i, kills, got[i], want[o][i])
			}
		}
	}
}
