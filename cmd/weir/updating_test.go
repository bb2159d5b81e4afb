package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// changelogRow is one jsonl row of an updating word count.
type changelogRow struct {
	Op    string `json:"_op"`
	Query int    `json:"_query"`
	Word  string `json:"word"`
	N     int    `json:"n"`
}

// applyChangelog applies the jsonl changelog rows of query q (0: rows
// without a _query key) to a word count and returns it with the number of
// rows of each kind. A -U or -D must retract the row the result holds.
func applyChangelog(t *testing.T, lines []string, q int) (map[string]int, map[string]int) {
	t.Helper()
	state, kinds := map[string]int{}, map[string]int{}
	for _, l := range lines {
		var r changelogRow
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("bad line %q: %v", l, err)
		}
		if r.Query != q {
			continue
		}
		kinds[r.Op]++
		switch r.Op {
		case "+I", "+U":
			state[r.Word] = r.N
		case "-U", "-D":
			if got, ok := state[r.Word]; !ok || got != r.N {
				t.Fatalf("%s retracts %s=%d, but the result holds %d (present %v)", r.Op, r.Word, r.N, got, ok)
			}
			delete(state, r.Word)
		default:
			t.Fatalf("line %q has no row kind", l)
		}
	}
	return state, kinds
}

func sameCounts(got map[string]int, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

const socketUpdatingCount = `CREATE TABLE text_in (line VARCHAR(1024))
  WITH (connector = 'socket', host = '127.0.0.1', port = '%d', format = 'text');
SELECT word, COUNT(*) AS n
FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM text_in) AS w
WHERE word <> ''
GROUP BY word;
`

// TestSocketUpdateStateByKey: a word count without a window over a socket
// (DStreams' updateStateByKey) prints the changes of its result after
// each micro-batch: +I for a new word, -U/+U when a count changes.
func TestSocketUpdateStateByKey(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	w := startWeir(t, t.TempDir(), "run", "--format", "jsonl", "--batch-interval", "100ms", "-e", fmt.Sprintf(socketUpdatingCount, port))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintln(conn, "hello world hello")
	w.waitFor(t, 10*time.Second, "the first counts", func(lines []string, _ string) bool {
		s, _ := applyChangelog(t, lines, 0)
		return sameCounts(s, map[string]int{"hello": 2, "world": 1})
	})
	fmt.Fprintln(conn, "hello  again")
	w.waitFor(t, 10*time.Second, "the updated counts", func(lines []string, _ string) bool {
		s, _ := applyChangelog(t, lines, 0)
		return sameCounts(s, map[string]int{"hello": 3, "world": 1, "again": 1})
	})
	w.stop(t)
	_, kinds := applyChangelog(t, w.lines, 0)
	if kinds["+I"] != 3 || kinds["-U"] != 1 || kinds["+U"] != 1 || kinds["-D"] != 0 {
		t.Errorf("row kinds %v, want 3 +I and one -U/+U pair", kinds)
	}
}

// TestUnionSocketAndDirectory: UNION ALL of a socket and a watched
// directory feeds one updating count with the rows of both.
func TestUnionSocketAndDirectory(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.Mkdir(in, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, in, "a.txt", "dir1\ndir2\nboth\n")
	script := fmt.Sprintf(`CREATE TABLE s (word VARCHAR) WITH (connector = 'socket', host = '127.0.0.1', port = '%d', format = 'text');
CREATE TABLE d (word VARCHAR) WITH (connector = 'directory', path = 'in', format = 'text');
SELECT word, COUNT(*) AS n FROM (SELECT word FROM s UNION ALL SELECT word FROM d) AS u GROUP BY word;
`, port)
	w := startWeir(t, dir, "run", "--format", "jsonl", "--batch-interval", "100ms", "-e", script)
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintln(conn, "sock1")
	fmt.Fprintln(conn, "both")
	w.waitFor(t, 10*time.Second, "the rows of both inputs", func(lines []string, _ string) bool {
		s, _ := applyChangelog(t, lines, 0)
		return sameCounts(s, map[string]int{"dir1": 1, "dir2": 1, "both": 2, "sock1": 1})
	})
	// A file moved in later arrives too.
	writeFile(t, dir, "b.tmp", "both\n")
	if err := os.Rename(filepath.Join(dir, "b.tmp"), filepath.Join(in, "b.txt")); err != nil {
		t.Fatal(err)
	}
	w.waitFor(t, 10*time.Second, "the file moved in", func(lines []string, _ string) bool {
		s, _ := applyChangelog(t, lines, 0)
		return s["both"] == 3
	})
	if stderr := w.stop(t); strings.Contains(stderr, "failed") {
		t.Errorf("stderr:\n%s", stderr)
	}
}
