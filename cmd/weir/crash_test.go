package main

import (
	"bufio"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirdb/weir/bench"
)

const crashScript = `SET batch_size = 100;
SET checkpoint_batches = 2;
CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR(32), amount DOUBLE,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (connector = 'file', path = 'clicks.csv', format = 'csv');
CREATE TABLE sink_out (window_start TIMESTAMP(3), user_id BIGINT, n BIGINT, total DOUBLE, top DOUBLE)
  WITH (connector = 'file', path = 'out.jsonl', format = 'json');
INSERT INTO sink_out
SELECT window_start, user_id, COUNT(*), SUM(amount), MAX(amount)
FROM clicks GROUP BY user_id, TUMBLE(ts, INTERVAL '10' SECOND);
CREATE TABLE upd_out (user_id BIGINT, n BIGINT, top DOUBLE)
  WITH (connector = 'file', path = 'upd.jsonl', format = 'json', changelog = 'true');
INSERT INTO upd_out
SELECT user_id, COUNT(*), MAX(amount) FROM (
  SELECT user_id, amount FROM clicks WHERE url <> '/p1'
  UNION ALL SELECT user_id, amount FROM clicks WHERE amount > 50
) AS u GROUP BY user_id EMIT ON UPDATE;
`

func writeCrashInput(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "clicks.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = bench.WriteClicksCSV(f, bench.Clicks(bench.ClicksConfig{Rows: 150000, Seed: 9, Start: 1704067200000,
		StepMs: 20, DisorderMs: 3000, Users: 30, URLs: 10, NullEvery: 40}))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "q.sql", crashScript)
}

func sortedLines(t *testing.T, path string) []string {
	t.Helper()
	lines := fileLines(t, path)
	sort.Strings(lines)
	return lines
}

// fileLines returns the lines of the file at path, in order.
func fileLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// TestCrashRecoveryExactlyOnce kills `weir run --checkpoint-dir` with
// SIGKILL at random moments, 20 times, restarting it each time, and checks
// that the file sink ends up with exactly the rows of one uninterrupted
// run (none lost, none duplicated) and that no unfinished checkpoint is
// left behind.
func TestCrashRecoveryExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	ref, crash := t.TempDir(), t.TempDir()
	writeCrashInput(t, ref)
	writeCrashInput(t, crash)
	if _, errOut, code := runWeir(t, ref, "run", "--parallelism", "2", "q.sql"); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, errOut)
	}
	want := sortedLines(t, filepath.Join(ref, "out.jsonl"))
	wantUpd := fileLines(t, filepath.Join(ref, "upd.jsonl"))
	if len(wantUpd) < 1000 {
		t.Fatalf("reference run wrote only %d changelog rows", len(wantUpd))
	}
	if len(want) < 1000 {
		t.Fatalf("reference run wrote only %d rows", len(want))
	}

	r := rand.New(rand.NewPCG(1, 2))
	const kills = 20
	killRuns(t, crash, kills, "2", func(int) time.Duration { return time.Duration(r.IntN(15)) * time.Millisecond })
	ck := filepath.Join(crash, "ck", "q1")
	if left, _ := filepath.Glob(filepath.Join(ck, ".tmp-chk-*")); len(left) != 0 {
		t.Errorf("unfinished checkpoints left behind: %v", left)
	}
	got := sortedLines(t, filepath.Join(crash, "out.jsonl"))
	if len(got) != len(want) {
		t.Errorf("%d rows after %d kills, want %d", len(got), kills, len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("row %d after %d kills:\n got %s\nwant %s", i, kills, got[i], want[i])
		}
	}
	// The updating query (a union of two branches of one table into an
	// aggregate that emits its changes every micro-batch) writes exactly
	// the changelog of the uninterrupted run, in order.
	gotUpd := fileLines(t, filepath.Join(crash, "upd.jsonl"))
	if len(gotUpd) != len(wantUpd) {
		t.Errorf("%d changelog rows after %d kills, want %d", len(gotUpd), kills, len(wantUpd))
	}
	for i := range min(len(gotUpd), len(wantUpd)) {
		if gotUpd[i] != wantUpd[i] {
			t.Fatalf("changelog row %d after %d kills:\n got %s\nwant %s", i, kills, gotUpd[i], wantUpd[i])
		}
	}
	t.Logf("%d kills, %d rows and %d changelog rows, identical to the uninterrupted run", kills, len(got), len(gotUpd))
}

// killRuns runs `weir run q.sql --checkpoint-dir ck --parallelism par` in
// dir kills times (each test's reference run has the same parallelism),
// SIGKILLing each run delay(i) after it has written a checkpoint of its
// own (so every run is cut short however fast the machine, often in the
// middle of its next checkpoint), then lets a last run finish. At
// parallelism 2 a run has two pipelined stages; from 3 on its keyed state
// is split into partitions too.
func killRuns(t *testing.T, dir string, kills int, par string, delay func(i int) time.Duration) {
	t.Helper()
	killLoop(t, dir, []string{"run", "q.sql", "--checkpoint-dir", "ck", "--parallelism", par},
		[]string{filepath.Join(dir, "ck", "q1")}, kills, nil, delay)
	if _, errOut, code := runWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck", "--parallelism", par); code != 0 {
		t.Fatalf("final run: exit %d\n%s", code, errOut)
	}
}

// killLoop runs weir with args in dir kills times: each run, once every
// checkpoint directory of cks has a new checkpoint, gets more input from
// between (if not nil) and is SIGKILLed delay(i) later; a run that ends
// before it is killed fails the test.
func killLoop(t *testing.T, dir string, args, cks []string, kills int, between func(), delay func(i int) time.Duration) {
	t.Helper()
	for i := 0; i < kills; i++ {
		var before []string
		for _, ck := range cks {
			before = append(before, latestCheckpointName(ck))
		}
		cmd := exec.Command(weirBin(t), args...)
		cmd.Dir = dir
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		for j, ck := range cks {
			waitForCheckpoint(t, ck, before[j], done)
		}
		if between != nil {
			between()
		}
		select {
		case err := <-done:
			t.Fatalf("run %d ended before it was killed (%v): make the input longer\n%s", i, err, stderr.String())
		case <-time.After(delay(i)):
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// TestCheckpointFingerprint: a changed script is refused against an old
// checkpoint, unless --reset.
func TestCheckpointFingerprint(t *testing.T) {
	dir := t.TempDir()
	writeCrashInput(t, dir)
	if _, errOut, code := runWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	writeFile(t, dir, "q.sql", strings.Replace(crashScript, "INTERVAL '10' SECOND", "INTERVAL '20' SECOND", 1))
	_, errOut, code := runWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck")
	if code == 0 || !strings.Contains(errOut, "different query") || !strings.Contains(errOut, "--reset") {
		t.Errorf("changed script: exit %d, stderr %s", code, errOut)
	}
	if _, errOut, code := runWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck", "--reset"); code != 0 {
		t.Errorf("--reset: exit %d: %s", code, errOut)
	}
}

// TestCheckpointParallelism: keyed state is split by key hash into as
// many partitions as the run has workers, so a checkpoint restores only at
// the parallelism it was taken at; another one is refused with a line
// that says which.
func TestCheckpointParallelism(t *testing.T) {
	dir := t.TempDir()
	writeCrashInput(t, dir)
	if _, errOut, code := runWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck", "--parallelism", "3"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, other := range []string{"2", "4"} {
		_, errOut, code := runWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck", "--parallelism", other)
		if code == 0 || !strings.Contains(errOut, "was taken at parallelism 3, this run has parallelism "+other) || !strings.Contains(errOut, "run with --parallelism 3, or --reset") {
			t.Errorf("parallelism %s: exit %d, stderr %s", other, code, errOut)
		}
	}
	_, errOut, code := runWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck", "--parallelism", "3")
	if code != 0 || !strings.Contains(errOut, "at the end of its input") {
		t.Errorf("same parallelism: exit %d, stderr %s", code, errOut)
	}
}

// TestGracefulStopResumes: SIGINT finishes the batch in flight, takes a
// final checkpoint, flushes the sink and exits 0; the next run resumes
// from there and the output equals one uninterrupted run.
func TestGracefulStopResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short")
	}
	ref, dir := t.TempDir(), t.TempDir()
	writeCrashInput(t, ref)
	writeCrashInput(t, dir)
	if _, errOut, code := runWeir(t, ref, "run", "q.sql"); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, errOut)
	}
	want := sortedLines(t, filepath.Join(ref, "out.jsonl"))
	wantUpd := fileLines(t, filepath.Join(ref, "upd.jsonl"))
	if len(wantUpd) < 1000 {
		t.Fatalf("reference run wrote only %d changelog rows", len(wantUpd))
	}
	stops := 0
	ck := filepath.Join(dir, "ck", "q1")
	for ; stops < 3; stops++ {
		before := latestCheckpointName(ck)
		cmd := exec.Command(weirBin(t), "run", "q.sql", "--checkpoint-dir", "ck")
		cmd.Dir = dir
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// A checkpoint of its own shows the run under way, and its
		// signal handler installed.
		waitForCheckpoint(t, ck, before, done)
		cmd.Process.Signal(syscall.SIGINT)
		if err := <-done; err != nil {
			t.Fatalf("stop %d: %v\n%s", stops, err, stderr.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "out.jsonl.pending")); err == nil {
			t.Errorf("stop %d left the pending file behind", stops)
		}
	}
	if _, errOut, code := runWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck"); code != 0 {
		t.Fatalf("final run: exit %d: %s", code, errOut)
	}
	got := sortedLines(t, filepath.Join(dir, "out.jsonl"))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after %d graceful stops: %d rows, want %d (or different rows)", stops, len(got), len(want))
	}
}
