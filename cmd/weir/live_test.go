package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// liveWeir is a running `weir run` whose stdout lines are collected.
type liveWeir struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []string
	stderr bytes.Buffer
	done   chan struct{}
}

func startWeir(t *testing.T, dir string, args ...string) *liveWeir {
	t.Helper()
	w := &liveWeir{cmd: exec.Command(weirBin(t), args...), done: make(chan struct{})}
	w.cmd.Dir = dir
	w.cmd.Stderr = &syncWriter{w: &w.stderr, mu: &w.mu}
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			w.mu.Unlock()
		}
	}()
	t.Cleanup(func() { w.cmd.Process.Kill(); w.cmd.Wait() })
	return w
}

type syncWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// waitFor polls until ok holds for the output so far, or fails after d.
func (w *liveWeir) waitFor(t *testing.T, d time.Duration, what string, ok func(lines []string, stderr string) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		w.mu.Lock()
		lines := append([]string(nil), w.lines...)
		stderr := w.stderr.String()
		w.mu.Unlock()
		if ok(lines, stderr) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\nstdout:\n%s\nstderr:\n%s", what, strings.Join(lines, "\n"), stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGINT and expects a clean exit.
func (w *liveWeir) stop(t *testing.T) string {
	t.Helper()
	w.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		t.Fatal("weir did not stop on SIGINT")
	}
	err := w.cmd.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		t.Fatalf("exit: %v\nstderr:\n%s", err, w.stderr.String())
	}
	return w.stderr.String()
}

// wordCounts sums the n of every {"word":..., "n":...} line.
func wordCounts(t *testing.T, lines []string) map[string]int {
	counts := map[string]int{}
	for _, l := range lines {
		var row struct {
			Word string `json:"word"`
			N    int    `json:"n"`
		}
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatalf("bad line %q: %v", l, err)
		}
		counts[row.Word] += row.N
	}
	return counts
}

const socketWordCount = `CREATE TABLE text_in (line VARCHAR(1024))
  WITH (connector = 'socket', host = '127.0.0.1', port = '%d', format = 'text');
SELECT window_start, word, COUNT(*) AS n
FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM text_in) AS w
GROUP BY word, TUMBLE(PROCTIME(), INTERVAL '1' SECOND);
`

// TestSocketWordCount is Spark's NetworkWordCount as SQL: the test plays
// `nc -lk`, and counts per one-second batch window come out as lines are
// written.
func TestSocketWordCount(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	w := startWeir(t, t.TempDir(), "run", "--format", "jsonl", "--batch-interval", "200ms", "-e", fmt.Sprintf(socketWordCount, port))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintln(conn, "hello world hello")
	w.waitFor(t, 10*time.Second, "the first window", func(lines []string, _ string) bool {
		c := wordCounts(t, lines)
		return c["hello"] == 2 && c["world"] == 1
	})
	for i := 0; i < 5; i++ {
		fmt.Fprintln(conn, "to be or not to be")
	}
	w.waitFor(t, 10*time.Second, "the second batch of lines", func(lines []string, _ string) bool {
		c := wordCounts(t, lines)
		return c["be"] == 10 && c["to"] == 10 && c["or"] == 5 && c["not"] == 5
	})
	stderr := w.stop(t)
	if !strings.Contains(stderr, "processing p50") {
		t.Errorf("no batch summary on stderr:\n%s", stderr)
	}
}

// TestSocketReconnect: the peer goes away and comes back; the source says
// so on stderr, reconnects, and nothing written after the reconnect is lost.
func TestSocketReconnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	w := startWeir(t, t.TempDir(), "run", "--format", "jsonl", "--batch-interval", "100ms", "-e", fmt.Sprintf(socketWordCount, port))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(conn, "alpha beta")
	w.waitFor(t, 10*time.Second, "the first line", func(lines []string, _ string) bool { return wordCounts(t, lines)["alpha"] == 1 })
	conn.Close()
	conn, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintln(conn, "alpha gamma")
	w.waitFor(t, 15*time.Second, "the line after the reconnect", func(lines []string, _ string) bool {
		c := wordCounts(t, lines)
		return c["alpha"] == 2 && c["gamma"] == 1 && c["beta"] == 1
	})
	stderr := w.stop(t)
	if !strings.Contains(stderr, "reconnect") {
		t.Errorf("stderr does not mention the reconnect:\n%s", stderr)
	}
}

// TestDirectoryWordCount: files already there are read first, files moved
// in later are read once, whole; temporary names are not read.
func TestDirectoryWordCount(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o755)
	writeFile(t, in, "a.txt", "one two\ntwo\n")
	w := startWeir(t, dir, "run", "--format", "jsonl", "--batch-interval", "100ms", "-e", `
CREATE TABLE docs (line VARCHAR) WITH (connector = 'directory', path = 'in', format = 'text');
SELECT window_start, word, COUNT(*) AS n
FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM docs) AS w
GROUP BY word, TUMBLE(PROCTIME(), INTERVAL '100' MILLISECOND);`)
	w.waitFor(t, 10*time.Second, "the file present at start", func(lines []string, _ string) bool {
		return wordCounts(t, lines)["two"] == 2
	})
	writeFile(t, dir, "b.tmp", "three two\n")
	writeFile(t, in, "c.txt.tmp", "never read\n") // half-written: ignored
	if err := os.Rename(filepath.Join(dir, "b.tmp"), filepath.Join(in, "b.txt")); err != nil {
		t.Fatal(err)
	}
	w.waitFor(t, 10*time.Second, "the file moved in", func(lines []string, _ string) bool {
		c := wordCounts(t, lines)
		return c["two"] == 3 && c["three"] == 1
	})
	time.Sleep(300 * time.Millisecond) // a few more batches: nothing is read twice
	w.stop(t)
	c := wordCounts(t, w.lines)
	if c["two"] != 3 || c["one"] != 1 || c["never"] != 0 {
		t.Errorf("counts %v", c)
	}
}

// TestDatagenEventTime: generated rows with event time and a watermark;
// windows close as the watermark passes, and their counts add up to
// what the generator made in them.
func TestDatagenEventTime(t *testing.T) {
	w := startWeir(t, t.TempDir(), "run", "--format", "jsonl", "--batch-interval", "100ms", "-e", `
CREATE TABLE gen (ts TIMESTAMP(3), k BIGINT, WATERMARK FOR ts AS ts - INTERVAL '200' MILLISECOND)
  WITH (connector = 'datagen', rows_per_second = '5000', 'fields.k.min' = '1', 'fields.k.max' = '4');
SELECT window_start, COUNT(*) AS n, MIN(k) AS lo, MAX(k) AS hi FROM gen GROUP BY TUMBLE(ts, INTERVAL '500' MILLISECOND);`)
	w.waitFor(t, 15*time.Second, "three windows", func(lines []string, _ string) bool { return len(lines) >= 3 })
	w.stop(t)
	prev := ""
	for i, l := range w.lines[:3] {
		var row struct {
			Start  string `json:"window_start"`
			N      int    `json:"n"`
			Lo, Hi int
		}
		json.Unmarshal([]byte(l), &row)
		if row.Start <= prev {
			t.Errorf("windows out of order: %s after %s", row.Start, prev)
		}
		prev = row.Start
		// A whole window at 5000 rows/s holds about 2500 rows; the first
		// may be partial.
		if row.Lo < 1 || row.Hi > 4 || row.N <= 0 || row.N > 3500 || (i > 0 && row.N < 1500) {
			t.Errorf("window %d: %s", i, l)
		}
	}
}

// TestFastProducerMemoryFlat: a producer far faster than the query; the
// source's bounded buffer pushes back over TCP, so memory stays flat and
// every line written is counted exactly once.
func TestFastProducerMemoryFlat(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	w := startWeir(t, t.TempDir(), "run", "--format", "jsonl", "--batch-interval", "100ms", "-e", fmt.Sprintf(`
CREATE TABLE text_in (line VARCHAR) WITH (connector = 'socket', host = '127.0.0.1', port = '%d', format = 'text');
SELECT word, COUNT(*) AS n
FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM text_in) AS w
GROUP BY word, TUMBLE(PROCTIME(), INTERVAL '1' SECOND);`, port))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("lorem ipsum dolor sit amet consectetur ", 25) + "end\n")
	var written int64
	stopWriting := time.Now().Add(3 * time.Second)
	var peak atomic.Int64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for time.Now().Before(stopWriting) {
			if rss := rssKB(w.cmd.Process.Pid); rss > peak.Load() {
				peak.Store(rss)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	bw := bufio.NewWriterSize(conn, 1<<16)
	for time.Now().Before(stopWriting) {
		for i := 0; i < 64; i++ {
			bw.Write(line)
		}
		written += 64
	}
	bw.Flush()
	conn.Close()
	w.waitFor(t, 60*time.Second, "every line counted", func(lines []string, _ string) bool {
		return int64(wordCounts(t, lines)["end"]) == written
	})
	w.stop(t)
	<-sampled
	t.Logf("%d lines (%d MB) in 3 s; peak RSS %d MB", written, written*int64(len(line))>>20, peak.Load()>>10)
	if peak.Load() > 512<<10 {
		t.Errorf("peak RSS %d MB: memory grew with the backlog", peak.Load()>>10)
	}
}

// rssKB reads a process's resident set size in KiB from /proc.
func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}
