package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// queryRows splits jsonl output by its "_query" key, each row's other
// keys kept as one JSON object (without "_query").
func queryRows(t *testing.T, lines []string) map[int][]map[string]any {
	t.Helper()
	out := map[int][]map[string]any{}
	for _, l := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatalf("bad line %q: %v", l, err)
		}
		q, ok := row["_query"].(float64)
		if !ok {
			t.Fatalf("line without _query: %q", l)
		}
		delete(row, "_query")
		out[int(q)] = append(out[int(q)], row)
	}
	return out
}

// ncListener plays `nc -lk`: it accepts every connection but, as nc does,
// talks to the first one only. It counts the connections made.
type ncListener struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	first chan net.Conn
}

func listenNC(t *testing.T) *ncListener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &ncListener{ln: ln, first: make(chan net.Conn, 1)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.mu.Lock()
			l.conns = append(l.conns, c)
			if len(l.conns) == 1 {
				l.first <- c
			}
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, c := range l.conns {
			c.Close()
		}
	})
	return l
}

func (l *ncListener) port() int { return l.ln.Addr().(*net.TCPAddr).Port }

func (l *ncListener) connections() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// TestSharedSocketTwoQueries: two queries over one socket table share one
// connection, and both see every line exactly once (before, each opened
// its own connection and the peer's lines went to one of them).
func TestSharedSocketTwoQueries(t *testing.T) {
	nc := listenNC(t)
	w := startWeir(t, t.TempDir(), "run", "--format", "jsonl", "--batch-interval", "100ms", "-e", fmt.Sprintf(`
CREATE TABLE text_in (line VARCHAR(1024))
  WITH (connector = 'socket', host = '127.0.0.1', port = '%d', format = 'text');
SELECT window_start, word, COUNT(*) AS n
FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM text_in) AS w
GROUP BY word, TUMBLE(PROCTIME(), INTERVAL '100' MILLISECOND);
SELECT line FROM text_in;`, nc.port()))
	var conn net.Conn
	select {
	case conn = <-nc.first:
	case <-time.After(10 * time.Second):
		t.Fatal("weir did not connect")
	}
	sent := []string{"hello world hello", "to be or not to be", "hello again"}
	for _, l := range sent[:2] {
		fmt.Fprintln(conn, l)
	}
	counts := func(rows []map[string]any) map[string]int {
		c := map[string]int{}
		for _, r := range rows {
			c[r["word"].(string)] += int(r["n"].(float64))
		}
		return c
	}
	lines := func(rows []map[string]any) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r["line"].(string))
		}
		return out
	}
	w.waitFor(t, 10*time.Second, "both queries to see the first lines", func(ls []string, _ string) bool {
		r := queryRows(t, ls)
		return counts(r[1])["be"] == 2 && len(lines(r[2])) == 2
	})
	fmt.Fprintln(conn, sent[2])
	w.waitFor(t, 10*time.Second, "both queries to see the last line", func(ls []string, _ string) bool {
		r := queryRows(t, ls)
		return counts(r[1])["again"] == 1 && len(lines(r[2])) == 3
	})
	w.stop(t)
	r := queryRows(t, w.lines)
	want := map[string]int{"hello": 3, "world": 1, "to": 2, "be": 2, "or": 1, "not": 1, "again": 1}
	if got := counts(r[1]); !reflect.DeepEqual(got, want) {
		t.Errorf("query 1 counts %v, want %v", got, want)
	}
	if got := lines(r[2]); !reflect.DeepEqual(got, sent) {
		t.Errorf("query 2 lines %q, want %q", got, sent)
	}
	if n := nc.connections(); n != 1 {
		t.Errorf("weir made %d connections to the socket, want 1", n)
	}
}

// TestSharedDatagenBounded: two queries over one bounded datagen table
// without a seed see the same rows (the seed is fixed once for the table).
func TestSharedDatagenBounded(t *testing.T) {
	out, errOut, code := runWeir(t, t.TempDir(), "run", "--format", "jsonl", "-e", `
CREATE TABLE gen (k BIGINT, s VARCHAR, x DOUBLE)
  WITH (connector = 'datagen', number_of_rows = '200', rows_per_second = '100000');
SELECT k, s, x FROM gen;
SELECT k, s, x FROM gen;`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	r := queryRows(t, strings.Split(strings.TrimSpace(out), "\n"))
	if len(r[1]) != 200 {
		t.Fatalf("query 1 gave %d rows, want 200", len(r[1]))
	}
	if !reflect.DeepEqual(r[1], r[2]) {
		t.Errorf("the two queries saw different rows:\n%v\n%v", r[1][:3], r[2][:min(3, len(r[2]))])
	}
}

// TestSharedLiveTableCheckpointRefused: with --checkpoint-dir a live table
// read by two queries is refused at planning, with one clear line, rather
// than split between them; a file table may still be read by both.
func TestSharedLiveTableCheckpointRefused(t *testing.T) {
	dir := t.TempDir()
	// Were it not refused, the script would run until stopped: give it
	// long enough to plan, then stop it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, weirBin(t), "run", "--checkpoint-dir", "ck", "-e", `
CREATE TABLE text_in (line VARCHAR) WITH (connector = 'socket', host = '127.0.0.1', port = '1', format = 'text');
SELECT line FROM text_in;
SELECT COUNT(*) FROM text_in GROUP BY TUMBLE(PROCTIME(), INTERVAL '1' SECOND);`)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code, errOut := cmd.ProcessState.ExitCode(), stderr.String()
	if ctx.Err() != nil {
		t.Fatalf("not refused: still running after 30s (%v); stderr:\n%s", err, errOut)
	}
	want := "table text_in is read by queries 1 and 2; with --checkpoint-dir each live table can be read by one query for now"
	if code == 0 || !strings.Contains(errOut, want) {
		t.Fatalf("exit %d, stderr:\n%s\nwant %q", code, errOut, want)
	}
	writeFile(t, dir, "clicks.csv", clicksCSV)
	out, errOut, code := runWeir(t, dir, "run", "--format", "jsonl", "--checkpoint-dir", "ck2", "-e", clicksDDL+`
SELECT COUNT(*) AS n FROM clicks;
SELECT MAX(user_id) AS top FROM clicks;`)
	if code != 0 {
		t.Fatalf("file table read twice: exit %d: %s", code, errOut)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); !contains(lines, `{"_query":1,"n":5}`) || !contains(lines, `{"_query":2,"top":3}`) {
		t.Errorf("stdout %q", out)
	}
}

// TestSharedSocketShell: in the shell, a query that starts later over the
// same socket table joins the shared stream and sees the lines from then
// on; stopping the first query does not stop the second's input.
func TestSharedSocketShell(t *testing.T) {
	nc := listenNC(t)
	inR, inW := io.Pipe()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- shellMain(context.Background(), &shellFlags{format: "jsonl", maxRows: 20}, inR, &out, &errOut)
	}()
	fmt.Fprintf(inW, `SET batch_interval = '50ms';
CREATE TABLE sock (line VARCHAR) WITH (connector = 'socket', host = '127.0.0.1', port = '%d', format = 'text');
SELECT line AS a FROM sock;
`, nc.port())
	var conn net.Conn
	select {
	case conn = <-nc.first:
	case <-time.After(10 * time.Second):
		t.Fatal("the shell did not connect")
	}
	fmt.Fprintln(conn, "one")
	waitFor(t, &out, `{"a":"one"}`)
	fmt.Fprintln(inW, "SELECT line AS b FROM sock;")
	waitFor(t, &errOut, "query 2 started")
	fmt.Fprintln(conn, "two")
	waitFor(t, &out, `{"a":"two"}`)
	waitFor(t, &out, `{"b":"two"}`)
	fmt.Fprintln(inW, "STOP QUERY 1;")
	waitFor(t, &errOut, "query 1 stopped")
	fmt.Fprintln(conn, "three")
	waitFor(t, &out, `{"b":"three"}`)
	fmt.Fprintln(inW, "STOP QUERY 2;")
	waitFor(t, &errOut, "query 2 stopped")
	inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shellMain: %v\n%s", err, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shell did not end")
	}
	got := out.String()
	for _, bad := range []string{`{"b":"one"}`, `{"a":"three"}`} {
		if strings.Contains(got, bad) {
			t.Errorf("stdout has %s:\n%s", bad, got)
		}
	}
	for _, once := range []string{`{"a":"one"}`, `{"a":"two"}`, `{"b":"two"}`, `{"b":"three"}`} {
		if n := strings.Count(got, once); n != 1 {
			t.Errorf("%s printed %d times:\n%s", once, n, got)
		}
	}
	if n := nc.connections(); n != 1 {
		t.Errorf("%d connections to the socket, want 1", n)
	}
}

// TestSharedSocketLimitEndsEarly: a query whose LIMIT is satisfied leaves
// the shared stream; the other query over the table reads on, and the
// connection stays open for it.
func TestSharedSocketLimitEndsEarly(t *testing.T) {
	nc := listenNC(t)
	w := startWeir(t, t.TempDir(), "run", "--format", "jsonl", "--batch-interval", "50ms", "-e", fmt.Sprintf(`
CREATE TABLE sock (line VARCHAR) WITH (connector = 'socket', host = '127.0.0.1', port = '%d', format = 'text');
SELECT line AS a FROM sock LIMIT 1;
SELECT line AS b FROM sock;`, nc.port()))
	var conn net.Conn
	select {
	case conn = <-nc.first:
	case <-time.After(10 * time.Second):
		t.Fatal("weir did not connect")
	}
	has := func(want ...string) func([]string, string) bool {
		return func(lines []string, _ string) bool {
			for _, s := range want {
				if !contains(lines, s) {
					return false
				}
			}
			return true
		}
	}
	fmt.Fprintln(conn, "one")
	w.waitFor(t, 10*time.Second, "both queries' first row", has(`{"_query":1,"a":"one"}`, `{"_query":2,"b":"one"}`))
	for _, l := range []string{"two", "three"} {
		fmt.Fprintln(conn, l)
	}
	w.waitFor(t, 10*time.Second, "the second query's later rows", has(`{"_query":2,"b":"two"}`, `{"_query":2,"b":"three"}`))
	w.stop(t)
	want := []string{`{"_query":1,"a":"one"}`, `{"_query":2,"b":"one"}`, `{"_query":2,"b":"two"}`, `{"_query":2,"b":"three"}`}
	got := append([]string(nil), w.lines...)
	if len(got) != len(want) {
		t.Errorf("stdout %q, want %q in some order", got, want)
	}
	if n := nc.connections(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}
