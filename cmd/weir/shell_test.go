package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/weirdb/weir/sql"
)

func TestShellScanSQL(t *testing.T) {
	cases := []struct {
		in            string
		semi          int
		content, open bool
	}{
		{"", -1, false, false},
		{"  -- only a comment\n# another\n/* and */ ", -1, false, false},
		{"SELECT 1;", 8, true, false},
		{"SELECT ';' AS s;", 15, true, false},
		{`SELECT 'it''s; \'x;' ;`, 21, true, false},
		{"SELECT `a;b` FROM t;", 19, true, false},
		{"SELECT 1 -- not the end;\n", -1, true, false},
		{"SELECT 1 --not a comment;", 24, true, false},
		{"SELECT /* ; */ 1;", 16, true, false},
		{"SELECT 'abc;\n", -1, true, true},
		{"SELECT /* open ;", -1, true, true},
		{";", 0, false, false},
	}
	for _, c := range cases {
		semi, content, open := scanSQL(c.in)
		if semi != c.semi || content != c.content || open != c.open {
			t.Errorf("scanSQL(%q) = %d, %v, %v; want %d, %v, %v", c.in, semi, content, open, c.semi, c.content, c.open)
		}
	}
}

func TestShellInput(t *testing.T) {
	in := &shellInput{}
	var got []string
	cut := func() {
		for {
			off, end, ok := in.next()
			if !ok {
				break
			}
			got = append(got, in.text(off, end))
		}
	}
	in.add("SHOW TABLES; SELECT a,")
	cut()
	if !in.pending() {
		t.Fatal("an unfinished statement is not pending")
	}
	in.add("  'x;y' FROM t; -- done")
	cut()
	if in.pending() {
		t.Error("a trailing comment is pending")
	}
	want := []string{"SHOW TABLES;", "SELECT a,\n  'x;y' FROM t;"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("statements %q, want %q", got, want)
	}

	// An error in a later statement points into the whole input.
	in = &shellInput{}
	in.add("SHOW TABLES;")
	in.add("SHOW TABLES; SELEC x;")
	in.next()
	in.next()
	off, end, _ := in.next()
	_, err := sql.Parse(in.text(off, end))
	var se *sql.Error
	if !errors.As(in.relocate(err, off), &se) || se.Line != 2 || se.Column != 14 ||
		!strings.HasSuffix(se.Pretty(), "SHOW TABLES; SELEC x;\n             ^^^^^") {
		t.Errorf("relocated error %v:\n%s", err, se.Pretty())
	}

	in = &shellInput{}
	in.add("SHOW TABLES")
	if off, end, ok := in.rest(); !ok || in.text(off, end) != "SHOW TABLES" {
		t.Errorf("rest = %q, %v", in.text(off, end), ok)
	}
}

// runShell runs `weir shell args...` in dir with stdin, bounded in time.
func runShell(t *testing.T, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, weirBin(t), append([]string{"shell"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
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
	if ctx.Err() != nil {
		t.Fatalf("weir shell did not end: %s", errb.String())
	}
	return out.String(), errb.String(), code
}

// Piped into the shell, a script runs statement by statement: a bad one
// is reported and the next ones still run.
func TestShellNonInteractive(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	script := clicksDDL + `SHOW TABLES;
SELEC oops;
SELECT window_start, window_end, COUNT(*) AS n, SUM(user_id) AS s
FROM clicks GROUP BY TUMBLE(ts, INTERVAL '10' SECOND);
SET batch_size = 100`
	out, errOut, code := runShell(t, dir, script, "--format", "jsonl")
	if code != 1 {
		t.Errorf("exit %d, want 1 (a statement failed)", code)
	}
	want := `{"table":"clicks","connector":"file","columns":"3"}
{"window_start":"2024-01-01T00:00:00.000Z","window_end":"2024-01-01T00:00:10.000Z","n":3,"s":4}
{"window_start":"2024-01-01T00:00:10.000Z","window_end":"2024-01-01T00:00:20.000Z","n":1,"s":1}
{"window_start":"2024-01-01T00:00:20.000Z","window_end":"2024-01-01T00:00:30.000Z","n":1,"s":3}
`
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	for _, s := range []string{
		"table clicks created\n",
		"error: line 5, column 1: syntax error near \"SELEC oops\"",
		"\nSELEC oops;\n^^^^^\n",
		"query 1 started\n",
		"query 1 finished (5 rows in, 3 rows out, 1 bad row skipped)\n",
		"set batch_size = 100\n", // the last statement needs no ';'
	} {
		if !strings.Contains(errOut, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut)
		}
	}

	// A clean script exits 0; -f runs first; exit ends the input; STOP
	// QUERY of an unknown id is an error line.
	writeFile(t, dir, "setup.sql", clicksDDL)
	out, errOut, code = runShell(t, dir, "DESCRIBE clicks;\nSTOP QUERY 7;\nexit\nSHOW TABLES;\n", "-f", "setup.sql", "--format", "csv")
	if code != 1 || !strings.HasPrefix(out, "column,type,watermark,doc\nts,TIMESTAMP(3),ts - 5s,\n") ||
		!strings.Contains(errOut, "error: no query 7") || strings.Contains(out, "connector,columns") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out, errOut, code = runShell(t, dir, "SHOW QUERIES;\nhelp\n", "-f", "setup.sql")
	if code != 0 || !strings.Contains(errOut, "no queries yet") || !strings.Contains(out, "STOP QUERY n;") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestShellHelp(t *testing.T) {
	out, errOut, code := runWeir(t, t.TempDir(), "shell", "--help")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{"SHOW QUERIES;", "Ctrl-C", "--format", "--batch-interval", "--max-rows", "-f, --file"} {
		if !strings.Contains(out, s) {
			t.Errorf("help lacks %q:\n%s", s, out)
		}
	}
}

// term drives a program through a pseudo-terminal.
type term struct {
	t    *testing.T
	f    *os.File
	mu   sync.Mutex
	raw  []byte
	mark int // offset in the cleaned output already matched
	eof  chan struct{}
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()=>][0-9A-Za-z]?|\r`)

func newTerm(t *testing.T, f *os.File) *term {
	tm := &term{t: t, f: f, eof: make(chan struct{})}
	go func() {
		defer close(tm.eof)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			tm.mu.Lock()
			tm.raw = append(tm.raw, buf[:n]...)
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return tm
}

// text is the output so far without escape sequences and carriage returns.
func (tm *term) text() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return ansi.ReplaceAllString(string(tm.raw), "")
}

// expect waits until re matches the output after what was matched before,
// and returns the match; it fails the test after 10s.
func (tm *term) expect(re string) string {
	tm.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := tm.text()
		if tm.mark > len(s) {
			tm.mark = len(s)
		}
		if loc := rx.FindStringIndex(s[tm.mark:]); loc != nil {
			m := s[tm.mark+loc[0] : tm.mark+loc[1]]
			tm.mark += loc[1]
			return m
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("no %q within 10s; output after the last match:\n%s", re, s[tm.mark:])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (tm *term) send(s string) {
	tm.t.Helper()
	if _, err := tm.f.Write([]byte(s)); err != nil {
		tm.t.Fatal(err)
	}
}

// liveFile makes a FIFO that a file table can read as an endless stream:
// a CSV row every 20ms until the test ends.
func liveFile(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// O_RDWR does not wait for a reader, and keeps the FIFO open.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { close(stop); <-done; f.Close() })
	go func() {
		defer close(done)
		f.SetWriteDeadline(time.Now().Add(time.Second))
		f.WriteString("ts,v\n")
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			f.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			fmt.Fprintf(f, "%s,%d\n", base.Add(time.Duration(i)*time.Millisecond).Format("2006-01-02 15:04:05.000"), i)
		}
	}()
}

// The shell as a person uses it: typing into a terminal.
func TestShellInteractive(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("ts,user_id,url\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&csv, "2024-01-01 00:00:%02d.000,%d,/p%d\n", i, i%3, i%4)
	}
	writeFile(t, dir, "clicks.csv", csv.String())
	liveFile(t, filepath.Join(dir, "live1.csv"))
	liveFile(t, filepath.Join(dir, "live2.csv"))

	cmd := exec.Command(weirBin(t), "shell", "--format", "table")
	cmd.Dir = dir
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "HOME=") && !strings.HasPrefix(e, "WEIR_HISTORY=") && !strings.HasPrefix(e, "TERM=") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, "HOME="+dir, "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer f.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()
	tm := newTerm(t, f)

	tm.expect(`weir> `)
	// A statement over two lines: the second gets the continuation prompt.
	tm.send("CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR,\r")
	tm.expect(`\.\.\.> `)
	tm.send("  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (connector = 'file', path = 'clicks.csv', format = 'csv');\r")
	tm.expect(`table clicks created\n`)
	tm.expect(`weir> `)

	// A bounded query runs to its end and prints its windows as tables.
	tm.send("SELECT window_start, COUNT(*) AS n FROM clicks GROUP BY TUMBLE(ts, INTERVAL '10' SECOND);\r")
	tm.expect(`query 1 started\n`)
	tm.expect(`window_start`)
	tm.expect(`2024-01-01 00:00:00\.000 +│ 10 `)
	tm.expect(`query 1 finished \(20 rows in, 2 rows out\)\n`)

	// A mistake prints a positioned error and the shell goes on.
	tm.send("SELECT nope FROM clicks;\r")
	tm.expect(`error: line 1, column 8: unknown column nope`)

	// Two queries that keep running.
	tm.send("SET batch_size = 10;\r")
	tm.expect(`set batch_size = 10\n`)
	for i := 1; i <= 2; i++ {
		tm.send(fmt.Sprintf("CREATE TABLE live%d (ts TIMESTAMP(3), v BIGINT, WATERMARK FOR ts AS ts) WITH (connector = 'file', path = 'live%d.csv', format = 'csv');\r", i, i))
		tm.expect(fmt.Sprintf(`table live%d created\n`, i))
		tm.send(fmt.Sprintf("SELECT window_start, COUNT(*) AS n FROM live%d GROUP BY TUMBLE(ts, INTERVAL '1' HOUR);\r", i))
		tm.expect(fmt.Sprintf(`query %d started\n`, i+1))
	}

	tm.send("SHOW QUERIES;\r")
	tm.expect(`│ id +│ status +│ rows_in +│ rows_out +│ input_rate +│ late +│ bad +│ sql`)
	tm.expect(`│ 1 +│ finished +│ 20 +│ 2 +│ - +│ 0 +│ 0 +│ SELECT window_start`)
	tm.expect(`│ 2 +│ running +│`)
	tm.expect(`│ 3 +│ running +│`)

	tm.send("STOP QUERY 2;\r")
	tm.expect(`query 2 stopped\n`)

	// Ctrl-C while typing clears the line and stops nothing.
	tm.send("SELEC")
	tm.expect(`SELEC`)
	tm.send("\x03")
	tm.expect(`\^C\n`)
	tm.send("SHOW QUERIES;\r")
	tm.expect(`│ 2 +│ stopped +│`)
	tm.expect(`│ 3 +│ running +│`)

	// Ctrl-C on an empty line stops the query started last.
	tm.expect(`weir> `)
	tm.send("\x03")
	tm.expect(`query 3 stopped: SELECT window_start, COUNT\(\*\) AS n FROM live2`)
	tm.expect(`weir> `)
	tm.send("SHOW QUERIES;\r")
	tm.expect(`│ 3 +│ stopped +│`)

	// Ctrl-D leaves.
	tm.expect(`weir> `)
	tm.send("\x04")
	tm.expect(`bye\n`)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("weir shell: %v\n%s", err, tm.text())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("weir shell did not exit:\n%s", tm.text())
	}

	hist, err := os.ReadFile(filepath.Join(dir, ".weir_history"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH",
		"STOP QUERY 2;",
	} {
		if !strings.Contains(string(hist), s) {
			t.Errorf("history lacks %q:\n%s", s, hist)
		}
	}
	if strings.Contains(string(hist), "SELEC\n") {
		t.Errorf("history keeps a line cleared with Ctrl-C:\n%s", hist)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until buf holds s, failing after 10s.
func waitFor(t *testing.T, buf *syncBuffer, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(buf.String(), s); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within 10s:\n%s", s, buf.String())
		}
	}
}

// The shell in this process, so that the race detector watches its
// queries, SHOW QUERIES and STOP QUERY.
func TestShellInProcess(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "live.csv")
	liveFile(t, live)
	clicks := filepath.Join(dir, "clicks.csv")
	writeFile(t, dir, "clicks.csv", clicksCSV)
	inR, inW := io.Pipe()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- shellMain(context.Background(), &shellFlags{format: "csv", maxRows: 20}, inR, &out, &errOut)
	}()
	fmt.Fprintf(inW, `SET batch_size = 5;
CREATE TABLE live (ts TIMESTAMP(3), v BIGINT, WATERMARK FOR ts AS ts) WITH (connector = 'file', path = '%s');
CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR) WITH (connector = 'file', path = '%s');
SELECT v FROM live WHERE v = 3;
SELECT url FROM clicks WHERE user_id = 3;
`, live, clicks)
	waitFor(t, &out, "v\n3\n")
	waitFor(t, &errOut, "query 2 finished (5 rows in, 1 rows out, 1 bad row skipped)")
	fmt.Fprintln(inW, "SHOW QUERIES;")
	waitFor(t, &out, "id,status,rows_in,rows_out,input_rate,late,bad,sql\n1,running,")
	waitFor(t, &out, "2,finished,5,1,-,0,1,SELECT url FROM clicks WHERE user_id = 3\n")
	fmt.Fprintln(inW, "STOP QUERY 1;")
	waitFor(t, &errOut, "query 1 stopped\n")
	inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shellMain: %v\n%s", err, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shell did not end")
	}
}
