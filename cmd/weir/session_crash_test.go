package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/weirdb/weir/bench"
)

// sessionCrashScript runs a SESSION window and a CUMULATE window over
// out-of-order clicks, each into its own file sink.
const sessionCrashScript = `SET batch_size = 100;
SET checkpoint_batches = 2;
CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR(32), amount DOUBLE,
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND) WITH (connector = 'file', path = 'clicks.csv', format = 'csv');
CREATE TABLE sessions_out (user_id BIGINT, s TIMESTAMP(3), e TIMESTAMP(3), n BIGINT, total DOUBLE, top DOUBLE)
  WITH (connector = 'file', path = 'sessions.jsonl', format = 'json');
INSERT INTO sessions_out
SELECT user_id, SESSION_START(ts, INTERVAL '500' MILLISECOND), SESSION_END(ts, INTERVAL '500' MILLISECOND),
  COUNT(*), SUM(amount), MAX(amount)
FROM clicks GROUP BY user_id, SESSION(ts, INTERVAL '500' MILLISECOND);
CREATE TABLE cumulate_out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), user_id BIGINT, n BIGINT, top DOUBLE)
  WITH (connector = 'file', path = 'cumulate.jsonl', format = 'json');
INSERT INTO cumulate_out
SELECT window_start, window_end, user_id, COUNT(*), MAX(amount)
FROM TABLE(CUMULATE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
GROUP BY window_start, window_end, user_id;
`

func writeSessionCrashInput(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "clicks.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = bench.WriteClicksCSV(f, bench.Clicks(bench.ClicksConfig{Rows: 100000, Seed: 11, Start: 1704067200000,
		StepMs: 20, DisorderMs: 2000, Users: 30, URLs: 10, NullEvery: 40}))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "q.sql", sessionCrashScript)
}

// TestSessionCumulateCrashRecovery kills a run of a SESSION and a CUMULATE
// query with SIGKILL, 8 times, restarting it from its checkpoints, and
// checks that both sinks end up with exactly the rows of one
// uninterrupted run: open sessions (merged out of order) and cumulating
// windows survive in the checkpoints.
func TestSessionCumulateCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	ref, crash := t.TempDir(), t.TempDir()
	writeSessionCrashInput(t, ref)
	writeSessionCrashInput(t, crash)
	if _, errOut, code := runWeir(t, ref, "run", "--parallelism", "4", "q.sql"); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, errOut)
	}
	outs := []string{"sessions.jsonl", "cumulate.jsonl"}
	want := map[string][]string{}
	for _, o := range outs {
		want[o] = sortedLines(t, filepath.Join(ref, o))
		if len(want[o]) < 1000 {
			t.Fatalf("reference run wrote only %d rows to %s", len(want[o]), o)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	const kills = 8
	killRuns(t, crash, kills, "4", func(int) time.Duration { return time.Duration(r.IntN(15)) * time.Millisecond })
	for _, o := range outs {
		got := sortedLines(t, filepath.Join(crash, o))
		if !slices.Equal(got, want[o]) {
			t.Errorf("%s after %d kills: %d rows, want %d (the uninterrupted run's)", o, kills, len(got), len(want[o]))
			for i := range min(len(got), len(want[o])) {
				if got[i] != want[o][i] {
					t.Fatalf("first difference, row %d:\n got %s\nwant %s", i, got[i], want[o][i])
				}
			}
		}
	}
}
