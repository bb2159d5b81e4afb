package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileParallelism runs queries over a CSV file of 6 MB (more than one
// 4 MiB chunk), with quoted fields holding newlines and commas and bad
// rows, at --parallelism 1, 2 and 4: the rows, the changes of an updating
// query (which depend on how rows are cut into batches), and the bad rows
// reported with their lines (path:line) are the same every time.
func TestFileParallelism(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("ts,user_id,url\n")
	for i := 0; b.Len() < 6<<20; i++ {
		url := fmt.Sprintf("/p%d", i%37)
		switch {
		case i%1000 == 7:
			url = fmt.Sprintf("\"/q?a=1,\nb=\"\"%d\"\"\"", i) // a quoted newline, comma and quotes
		case i%25013 == 11:
			fmt.Fprintf(&b, "2024-01-01 00:00:00.000,oops%d,/bad\n", i)
			continue
		}
		fmt.Fprintf(&b, "2024-01-01 %02d:%02d:%02d.%03d,%d,%s\n", i/3600000%24, i/60000%60, i/1000%60, i%1000, i%101, url)
	}
	writeFile(t, dir, "c.csv", b.String())
	writeFile(t, dir, "q.sql", `SET batch_size = 1000;
CREATE TABLE c (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR) WITH (connector = 'file', path = 'c.csv', format = 'csv',
  on_error = 'dead_letter', dead_letter_path = 'bad.jsonl');
CREATE TABLE c2 (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR) WITH (connector = 'file', path = 'c.csv', format = 'csv', on_error = 'skip');
CREATE TABLE u (user_id BIGINT, n BIGINT, last VARCHAR) WITH (connector = 'file', path = 'u.jsonl', format = 'json', changelog = 'true');
INSERT INTO u SELECT user_id, COUNT(*), MAX(url) FROM c WHERE user_id < 3 GROUP BY user_id EMIT ON UPDATE;
SELECT user_id, url FROM c2 WHERE url LIKE '%q?a%';
`)
	var want, wantUpd, wantBad string
	for _, n := range []string{"1", "2", "4"} {
		_ = os.Remove(filepath.Join(dir, "bad.jsonl"))
		out, errOut, code := runWeir(t, dir, "run", "--format", "jsonl", "--parallelism", n, "q.sql")
		if code != 0 {
			t.Fatalf("parallelism %s: exit %d: %s", n, code, errOut)
		}
		upd := strings.Join(fileLines(t, filepath.Join(dir, "u.jsonl")), "\n")
		bad := strings.Join(fileLines(t, filepath.Join(dir, "bad.jsonl")), "\n")
		if n == "1" {
			want, wantUpd, wantBad = out, upd, bad
			if strings.Count(want, "\n") < 100 || strings.Count(wantUpd, "\n") < 100 || !strings.Contains(bad, "c.csv:25052") {
				t.Fatalf("too little output: %d rows, %d changes, bad rows %s", strings.Count(want, "\n"), strings.Count(wantUpd, "\n"), bad)
			}
			continue
		}
		if out != want {
			t.Errorf("parallelism %s: rows differ from parallelism 1", n)
		}
		if upd != wantUpd {
			t.Errorf("parallelism %s: changes differ from parallelism 1", n)
		}
		if bad != wantBad {
			t.Errorf("parallelism %s: bad rows\n%s\nwant\n%s", n, bad, wantBad)
		}
	}
}
