package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirdb/weir/bench"
)

// splitCountCrashScript is the fused word count (planner rule
// fuse_split_count) twice: its changes every micro-batch into a changelog
// file, and its result at the end of the input.
const splitCountCrashScript = `SET batch_size = 200;
SET checkpoint_batches = 2;
CREATE TABLE text_in (line VARCHAR) WITH (connector = 'file', path = 'text.txt', format = 'text');
CREATE TABLE upd_out (word VARCHAR, n BIGINT)
  WITH (connector = 'file', path = 'upd.jsonl', format = 'json', changelog = 'true');
INSERT INTO upd_out
SELECT word, COUNT(*) FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM text_in) AS w
WHERE word <> '' GROUP BY word EMIT ON UPDATE;
CREATE TABLE final_out (word VARCHAR, n BIGINT) WITH (connector = 'file', path = 'out.jsonl', format = 'json');
INSERT INTO final_out
SELECT word, COUNT(*) FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM text_in) AS w GROUP BY word;
`

// TestSplitCountCrashRecovery kills the fused word count with SIGKILL at
// random moments, 12 times, at parallelism 2, and checks that both sinks
// end up with exactly the rows of an uninterrupted run: SplitCount holds
// nothing between batches, and the aggregation after it restores its
// counts.
func TestSplitCountCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	ref, crash := t.TempDir(), t.TempDir()
	for _, dir := range []string{ref, crash} {
		f, err := os.Create(filepath.Join(dir, "text.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bench.GenerateText(f, bench.DefaultText(60000, 3), nil); err != nil {
			t.Fatal(err)
		}
		f.Close()
		writeFile(t, dir, "q.sql", splitCountCrashScript)
	}
	if _, errOut, code := runWeir(t, ref, "run", "--parallelism", "2", "q.sql"); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, errOut)
	}
	plan, errOut, code := runWeir(t, ref, "explain", "q.sql")
	if code != 0 || strings.Count(plan, "SplitCountOp") != 2 {
		t.Fatalf("explain: exit %d, the word counts are not fused:\n%s%s", code, plan, errOut)
	}
	want, wantUpd := sortedLines(t, filepath.Join(ref, "out.jsonl")), fileLines(t, filepath.Join(ref, "upd.jsonl"))
	if len(want) < 1000 || len(wantUpd) < 10000 {
		t.Fatalf("reference run wrote %d rows and %d changelog rows", len(want), len(wantUpd))
	}
	r := rand.New(rand.NewPCG(3, 4))
	const kills = 12
	killRuns(t, crash, kills, "2", func(int) time.Duration { return time.Duration(r.IntN(15)) * time.Millisecond })
	got, gotUpd := sortedLines(t, filepath.Join(crash, "out.jsonl")), fileLines(t, filepath.Join(crash, "upd.jsonl"))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after %d kills: %d rows, want %d (or different rows)", kills, len(got), len(want))
	}
	if len(gotUpd) != len(wantUpd) {
		t.Fatalf("after %d kills: %d changelog rows, want %d", kills, len(gotUpd), len(wantUpd))
	}
	for i := range gotUpd {
		if gotUpd[i] != wantUpd[i] {
			t.Fatalf("changelog row %d after %d kills:\n got %s\nwant %s", i, kills, gotUpd[i], wantUpd[i])
		}
	}
}
