package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/weirdb/weir/exec"
)

// TestRunStateLimit: a query whose state passes max_state_bytes makes
// `weir run` exit 1 with one clear line, and no Go runtime dump.
func TestRunStateLimit(t *testing.T) {
	dir := t.TempDir()
	var words strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&words, "word%d\n", i)
	}
	writeFile(t, dir, "words.txt", words.String())
	writeFile(t, dir, "q.sql", `CREATE TABLE t (w VARCHAR) WITH (connector = 'file', path = 'words.txt', format = 'text');
SET max_state_bytes = '64KiB';
SELECT w, COUNT(*) AS n FROM t GROUP BY w;
`)
	// One partition: the sizes below are those of one instance's state.
	stdout, stderr, code := runWeir(t, dir, "run", "--parallelism", "1", "q.sql")
	want := "weir: query 1 failed: state of WindowAgg (GROUP BY w) holds 5000 keys in 293 KiB, over max_state_bytes = 64 KiB: " +
		"raise it with SET max_state_bytes = '128KiB', or bound the state (a shorter window, fewer distinct keys, or SET state_ttl = '1h' to expire idle keys)\n"
	if code != 1 || stderr != want || stdout != "" {
		t.Errorf("exit %d\nstderr %q\nwant   %q\nstdout %q", code, stderr, want, stdout)
	}
}

func TestStateText(t *testing.T) {
	b := exec.BatchInfo{StateKeys: 12, StatePanes: 3, StateBytes: 1536,
		State: []exec.OperatorState{{Op: "WindowAgg (GROUP BY w)", Keys: 12, Panes: 3, Bytes: 1536}}}
	if got := stateText(b); got != "12 keys/3 panes/1.5 KiB" {
		t.Errorf("one operator: %q", got)
	}
	b.State = append(b.State, exec.OperatorState{Op: "WindowAgg", Keys: 1, Panes: 1, Bytes: 100})
	if got := stateText(b); got != "op1 12 keys/3 panes/1.5 KiB; op2 1 keys/1 panes/100 B" {
		t.Errorf("two operators: %q", got)
	}
}

func TestFailureText(t *testing.T) {
	if got := failureText(2, errors.New("query 2: state of X is too big")); got != "query 2 failed: state of X is too big" {
		t.Errorf("got %q", got)
	}
	if got := failureText(2, errors.New("disk full")); got != "query 2 failed: disk full" {
		t.Errorf("got %q", got)
	}
	pe := &exec.PanicError{Query: 2, Op: "Sort", Value: "boom", Stack: []byte("goroutine 7 [running]:\nmain.f()\n")}
	if got := failureText(2, pe); got != "query 2 failed: internal error in Sort: boom\ngoroutine 7 [running]:\nmain.f()" {
		t.Errorf("got %q", got)
	}
}

// TestShellStateLimit: in the shell, a query over max_state_bytes fails
// with one line and the shell runs the queries after it.
func TestShellStateLimit(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "words.txt", "a\nb\nc\na\n")
	script := `CREATE TABLE t (w VARCHAR) WITH (connector = 'file', path = 'words.txt', format = 'text');
SET parallelism = 1;
SET max_state_bytes = '256';
SELECT w, COUNT(*) AS n FROM t GROUP BY w;
SET max_state_bytes = 0;
SELECT COUNT(*) AS n FROM t;
`
	out, errOut, code := runShell(t, dir, script, "--format", "jsonl")
	if code != 1 {
		t.Errorf("exit %d, want 1 (a query failed)", code)
	}
	if out != "{\"n\":4}\n" {
		t.Errorf("stdout %q", out)
	}
	for _, s := range []string{
		"set max_state_bytes = 256\n",
		"query 1 failed: state of WindowAgg (GROUP BY w) holds 3 keys in 352 B, over max_state_bytes = 256 B: raise it with SET max_state_bytes = '512', or bound the state (a shorter window, fewer distinct keys, or SET state_ttl = '1h' to expire idle keys)\n",
		"query 2 finished (4 rows in, 1 rows out)\n",
	} {
		if !strings.Contains(errOut, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut)
		}
	}
}
