package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const walScript = `SET checkpoint_batches = 1;
CREATE TABLE text_in (line VARCHAR(64))
  WITH (connector = 'socket', host = '127.0.0.1', port = '%d', format = 'text', reconnect_max = '200ms');
CREATE TABLE lines_out (line VARCHAR(64)) WITH (connector = 'file', path = 'out.jsonl', format = 'json');
INSERT INTO lines_out SELECT line FROM text_in;
`

// walLogged reports whether the socket source's write-ahead log under
// the checkpoint directory ck holds the line.
func walLogged(t *testing.T, ck, line string) bool {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(ck, "q*", "source", "wal-*.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err == nil && strings.Contains(string(b), line+"\n") {
			return true
		}
	}
	return false
}

// sinkLines returns the lines of the JSON file sink's output.
func sinkLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if l == "" {
			continue
		}
		var row struct {
			Line string `json:"line"`
		}
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatalf("sink line %q: %v", l, err)
		}
		out = append(out, row.Line)
	}
	return out
}

// TestSocketWALSurvivesKills plays `nc -lk` for a checkpointed query that
// copies socket lines to a file sink. Each round sends a burst, waits
// 300ms, sends another and SIGKILLs weir once that is in the write-ahead
// log (at once, or after 300ms more), then restarts it; the lines weir
// had received but not checkpointed come back from the log. After the
// last round weir stops on SIGINT; the sink must hold every line sent
// exactly once.
func TestSocketWALSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("kills weir repeatedly: skipped with -short")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	writeFile(t, dir, "q.sql", fmt.Sprintf(walScript, ln.Addr().(*net.TCPAddr).Port))
	ck := filepath.Join(dir, "ck")
	accept := func() net.Conn {
		t.Helper()
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(20 * time.Second))
		c, err := ln.Accept()
		if err != nil {
			t.Fatalf("weir did not connect: %v", err)
		}
		return c
	}
	next := 0
	burst := func(c net.Conn, n int) string {
		t.Helper()
		var sb strings.Builder
		for i := range n {
			fmt.Fprintf(&sb, "line-%d\n", next)
			next++
			if i%37 == 36 || i == n-1 { // a few writes per burst
				if _, err := c.Write([]byte(sb.String())); err != nil {
					t.Fatal(err)
				}
				sb.Reset()
			}
		}
		return fmt.Sprintf("line-%d", next-1)
	}
	waitLogged := func(w *liveWeir, line string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !walLogged(t, ck, line) {
			if time.Now().After(deadline) {
				w.mu.Lock()
				defer w.mu.Unlock()
				t.Fatalf("%s never reached the write-ahead log\nstderr:\n%s", line, w.stderr.String())
			}
			time.Sleep(time.Millisecond)
		}
	}

	const kills = 6
	replays := 0
	for round := 0; ; round++ {
		w := startWeir(t, dir, "run", "q.sql", "--checkpoint-dir", "ck", "--batch-interval", "100ms")
		c := accept()
		burst(c, 100+round)
		time.Sleep(300 * time.Millisecond)
		last := burst(c, 50)
		waitLogged(w, last)
		if round == kills {
			out := filepath.Join(dir, "out.jsonl")
			w.waitFor(t, 20*time.Second, "every line in the sink", func([]string, string) bool {
				return len(sinkLines(t, out)) >= next
			})
			stderr := w.stop(t)
			c.Close()
			if strings.Contains(stderr, "replaying the write-ahead log") {
				replays++
			}
			break
		}
		if round%2 == 1 {
			time.Sleep(300 * time.Millisecond)
		}
		w.cmd.Process.Signal(syscall.SIGKILL)
		select {
		case <-w.done:
		case <-time.After(10 * time.Second):
			t.Fatal("weir survived SIGKILL")
		}
		w.cmd.Wait()
		c.Close()
		w.mu.Lock()
		if strings.Contains(w.stderr.String(), "replaying the write-ahead log") {
			replays++
		}
		w.mu.Unlock()
	}

	got := sinkLines(t, filepath.Join(dir, "out.jsonl"))
	seen := make(map[string]int, len(got))
	for _, l := range got {
		seen[l]++
	}
	var missing, dup []string
	for i := range next {
		switch l := fmt.Sprintf("line-%d", i); seen[l] {
		case 1:
		case 0:
			missing = append(missing, l)
		default:
			dup = append(dup, l)
		}
	}
	if len(missing) > 0 || len(dup) > 0 || len(got) != next {
		t.Fatalf("%d lines sent, %d in the sink; missing %d %v; duplicated %d %v",
			next, len(got), len(missing), missing[:min(len(missing), 10)], len(dup), dup[:min(len(dup), 10)])
	}
	if replays == 0 {
		t.Errorf("no restart replayed the write-ahead log")
	}
	t.Logf("%d lines through %d kills, each exactly once; %d restarts replayed the log", next, kills, replays)
}
