package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestRollingTextSink: a file sink with format = 'text' and rolling =
// 'batch' writes one file of lines per micro-batch that produced rows,
// named <path>-<batch time in ms>.txt (saveAsTextFiles), with and without
// checkpoints; a batch without rows makes no file.
func TestRollingTextSink(t *testing.T) {
	for _, ckpt := range []bool{false, true} {
		dir := t.TempDir()
		writeFile(t, dir, "in.txt", "a\nb\nskip\nskip\nc\nd\n")
		if err := os.Mkdir(filepath.Join(dir, "out"), 0o755); err != nil {
			t.Fatal(err)
		}
		args := []string{"run", "-e", `SET batch_size = 2;
CREATE TABLE lines_in (line VARCHAR) WITH (connector = 'file', path = 'in.txt', format = 'text');
CREATE TABLE words_out (word VARCHAR) WITH (connector = 'file', path = 'out/words', format = 'text', rolling = 'batch');
INSERT INTO words_out SELECT UPPER(line) FROM lines_in WHERE line <> 'skip';`}
		if ckpt {
			args = append(args, "--checkpoint-dir", filepath.Join(dir, "ck"))
		}
		_, errOut, code := runWeir(t, dir, args...)
		if code != 0 {
			t.Fatalf("checkpoints %v: exit %d: %s", ckpt, code, errOut)
		}
		entries, err := os.ReadDir(filepath.Join(dir, "out"))
		if err != nil {
			t.Fatal(err)
		}
		name := regexp.MustCompile(`^words-(\d+)\.txt$`)
		type file struct {
			ms   int64
			text string
		}
		var files []file
		for _, e := range entries {
			m := name.FindStringSubmatch(e.Name())
			if m == nil {
				t.Fatalf("checkpoints %v: unexpected file %s in out/", ckpt, e.Name())
			}
			ms, _ := strconv.ParseInt(m[1], 10, 64)
			data, err := os.ReadFile(filepath.Join(dir, "out", e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, file{ms, string(data)})
		}
		sort.Slice(files, func(i, j int) bool { return files[i].ms < files[j].ms })
		var texts []string
		for _, f := range files {
			texts = append(texts, f.text)
		}
		if got, want := strings.Join(texts, "/"), "A\nB\n/C\nD\n"; got != want {
			t.Errorf("checkpoints %v: files in batch order %q, want %q", ckpt, got, want)
		}
	}
}

// TestTextSinkNeedsOneVarchar: format = 'text' refuses, when the query is
// planned, an output that is not one VARCHAR column, naming the columns.
func TestTextSinkNeedsOneVarchar(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "in.txt", "a\n")
	_, errOut, code := runWeir(t, dir, "run", "-e", `CREATE TABLE lines_in (line VARCHAR) WITH (connector = 'file', path = 'in.txt', format = 'text');
CREATE TABLE lens (line VARCHAR, n BIGINT) WITH (connector = 'file', path = 'out.txt', format = 'text');
INSERT INTO lens SELECT line, LENGTH(line) FROM lines_in;`)
	want := "table lens: format 'text' writes exactly one VARCHAR column, but the query outputs (line VARCHAR, n BIGINT)"
	if code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant %q", code, errOut, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.txt")); !os.IsNotExist(err) {
		t.Errorf("out.txt was created: %v", err)
	}
}
