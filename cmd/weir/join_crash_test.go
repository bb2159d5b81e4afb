package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// joinCrashScript is a left interval self-join: each click with the
// same user's clicks in the second after it, padded with NULLs until the
// first arrives; its state is freed by the watermark.
const joinCrashScript = `SET batch_size = 100;
SET checkpoint_batches = 2;
CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR(32), amount DOUBLE,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (connector = 'file', path = 'clicks.csv', format = 'csv');
CREATE TABLE join_out (ts TIMESTAMP(3), user_id BIGINT, next_url VARCHAR)
  WITH (connector = 'file', path = 'join.jsonl', format = 'json', changelog = 'true');
INSERT INTO join_out
SELECT a.ts, a.user_id, b.url FROM clicks a LEFT JOIN clicks b
  ON a.user_id = b.user_id AND b.ts > a.ts AND b.ts <= a.ts + INTERVAL '1' SECOND;
`

// TestJoinCrashRecovery kills a run of an outer interval join with
// SIGKILL several times and checks that its changelog equals the
// uninterrupted run's, row for row: the join's state (both sides' rows
// and their match counts) is restored from each checkpoint.
func TestJoinCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	ref, crash := t.TempDir(), t.TempDir()
	for _, d := range []string{ref, crash} {
		writeCrashInput(t, d)
		writeFile(t, d, "q.sql", joinCrashScript)
	}
	if _, errOut, code := runWeir(t, ref, "run", "--parallelism", "4", "q.sql"); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, errOut)
	}
	want := fileLines(t, filepath.Join(ref, "join.jsonl"))
	retractions := 0
	for _, l := range want {
		if strings.Contains(l, `"_op":"-D"`) {
			retractions++
		}
	}
	if len(want) < 1000 || retractions < 100 {
		t.Fatalf("reference run wrote %d changelog rows, %d retractions: too few to test", len(want), retractions)
	}
	const kills = 6
	killRuns(t, crash, kills, "4", func(i int) time.Duration { return time.Duration(i*2) * time.Millisecond })
	got := fileLines(t, filepath.Join(crash, "join.jsonl"))
	if len(got) != len(want) {
		t.Errorf("%d changelog rows after %d kills, want %d", len(got), kills, len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("changelog row %d after %d kills:\n got %s\nwant %s", i, kills, got[i], want[i])
		}
	}
	t.Logf("%d kills, %d changelog rows (%d retractions), identical to the uninterrupted run", kills, len(got), retractions)
}
