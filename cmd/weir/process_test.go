package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runWeirStdin is runWeir with stdin as the process's standard input (a
// pipe, so not a terminal).
func runWeirStdin(t *testing.T, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(weirBin(t), args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
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

// latestCheckpointName is the newest chk-* directory in dir, or "".
func latestCheckpointName(dir string) string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "chk-") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[len(names)-1]
}

// waitForCheckpoint waits until the process has written a checkpoint
// newer than before in dir, which it does only after its signal handler
// is installed, or until it exits (done receives Wait's result; it is
// put back). It fails the test after a minute.
func waitForCheckpoint(t *testing.T, dir, before string, done chan error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for latestCheckpointName(dir) <= before {
		select {
		case err := <-done:
			done <- err
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new checkpoint in %s after a minute", dir)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const selectClicks = "SELECT window_start, window_end, COUNT(*) AS n, SUM(user_id) AS s\nFROM clicks GROUP BY TUMBLE(ts, INTERVAL '10' SECOND);\n"

const selectClicksOut = `{"window_start":"2024-01-01T00:00:00.000Z","window_end":"2024-01-01T00:00:10.000Z","n":3,"s":4}
{"window_start":"2024-01-01T00:00:10.000Z","window_end":"2024-01-01T00:00:20.000Z","n":1,"s":1}
{"window_start":"2024-01-01T00:00:20.000Z","window_end":"2024-01-01T00:00:30.000Z","n":1,"s":3}
`

// TestRunScriptFromStdin: `weir run -` and `weir run` with a script piped
// in read it from standard input; an empty standard input (</dev/null,
// as under CI) still runs the bundled example.
func TestRunScriptFromStdin(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	for _, args := range [][]string{{"run", "-", "--format", "jsonl"}, {"run", "--format", "jsonl"}} {
		out, errOut, code := runWeirStdin(t, dir, clicksDDL+selectClicks, args...)
		if code != 0 || out != selectClicksOut {
			t.Errorf("weir %s: exit %d, stdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	for _, stdin := range []string{"", " \n\t\n"} {
		out, errOut, code := runWeirStdin(t, dir, stdin, "run")
		if code != 0 || !strings.Contains(errOut, "bundled word-count example") || !strings.Contains(out, `"word":"user"`) {
			t.Errorf("weir run <%q: exit %d, stdout:\n%s\nstderr:\n%s", stdin, code, out, errOut)
		}
	}
	if out, errOut, code := runWeir(t, dir, "explain", "-"); code != 0 || out != "" {
		t.Errorf("weir explain - </dev/null: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestRunAtEndOfCheckpoint: re-running a finished script against its
// checkpoint says that there is nothing left to do and how to start over.
func TestRunAtEndOfCheckpoint(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	writeFile(t, dir, "q.sql", clicksDDL+selectClicks)
	if out, errOut, code := runWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck"); code != 0 || out != selectClicksOut {
		t.Fatalf("first run: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out, errOut, code := runWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck")
	want := "weir: query 1: the checkpoint in ck/q1 is at the end of its input: nothing left to do (run with --reset to start over)\n"
	if code != 0 || out != "" || !strings.HasSuffix(errOut, want) {
		t.Errorf("second run: exit %d, stdout %q, stderr:\n%s\nwant it to end with:\n%s", code, out, errOut, want)
	}
	out, errOut, code = runWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck", "--reset")
	if code != 0 || out != selectClicksOut || strings.Contains(errOut, "nothing left to do") {
		t.Errorf("--reset: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestSIGHUPStopsGracefully: SIGHUP (a closed terminal) stops a live run
// like SIGTERM: exit 0, the batch summary, a final checkpoint.
func TestSIGHUPStopsGracefully(t *testing.T) {
	dir := t.TempDir()
	w := startWeir(t, dir, "run", "--format", "jsonl", "--batch-interval", "100ms", "--checkpoint-dir", "ck", "-e", `
SET checkpoint_interval = '1 hour';
CREATE TABLE gen (k BIGINT) WITH (connector = 'datagen', rows_per_second = '1000', 'fields.k.min' = '1', 'fields.k.max' = '1');
SELECT k, COUNT(*) AS n FROM gen GROUP BY k, TUMBLE(PROCTIME(), INTERVAL '100' MILLISECOND);`)
	// Output comes after the signal handler is installed.
	w.waitFor(t, 15*time.Second, "the first window", func(lines []string, _ string) bool { return len(lines) > 0 })
	if name := latestCheckpointName(filepath.Join(dir, "ck", "q1")); name != "" {
		t.Fatalf("checkpoint %s before the stop: want only the final one", name)
	}
	w.cmd.Process.Signal(syscall.SIGHUP)
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		t.Fatal("weir did not stop on SIGHUP")
	}
	err := w.cmd.Wait()
	w.mu.Lock()
	stderr := w.stderr.String()
	w.mu.Unlock()
	if err != nil {
		t.Fatalf("exit after SIGHUP: %v\nstderr:\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "processing p50") {
		t.Errorf("no batch summary on stderr:\n%s", stderr)
	}
	if latestCheckpointName(filepath.Join(dir, "ck", "q1")) == "" {
		t.Errorf("no final checkpoint in ck/q1")
	}
}

// TestVersion: `weir version` and `weir --version` print the same
// description of the build.
func TestVersion(t *testing.T) {
	out, errOut, code := runWeir(t, t.TempDir(), "version")
	if code != 0 || !strings.HasPrefix(out, "weir ") || !strings.Contains(out, "\nrevision ") ||
		!strings.Contains(out, "built with "+runtime.Version()) {
		t.Errorf("weir version: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if out2, _, code := runWeir(t, t.TempDir(), "--version"); code != 0 || out2 != out {
		t.Errorf("weir --version: exit %d, stdout:\n%s\nwant:\n%s", code, out2, out)
	}
}

// TestVersionText: the build settings, and graceful answers without them.
func TestVersionText(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.time", Value: "2026-11-30T12:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	tail := "built with " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	want := "weir v1.4.0\nrevision 0123abc (with uncommitted changes)\nrevision time 2026-11-30T12:00:00Z\n" + tail
	if got := versionText(bi, true); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	want = "weir unknown\nrevision unknown\nrevision time unknown\n" + tail
	if got := versionText(nil, false); got != want {
		t.Errorf("without build info, got:\n%s\nwant:\n%s", got, want)
	}
}
