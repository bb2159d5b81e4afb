package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/weirdb/weir/connectors/postgres/pgtest"
)

// pgWordCountScript counts words per 10-second window of a timestamped
// text file into a PostgreSQL table; %s is the DSN.
const pgWordCountScript = `SET batch_size = 100;
SET checkpoint_batches = 2;
CREATE TABLE text_in (ts TIMESTAMP(3), line VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (connector = 'file', path = 'lines.csv', format = 'csv');
CREATE TABLE counts (window_start TIMESTAMP(3), word VARCHAR, n BIGINT)
  WITH (connector = 'postgres', dsn = '%s', table = 'word_counts');
INSERT INTO counts
SELECT window_start, word, COUNT(*) AS n
FROM (SELECT ts, UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM text_in) AS w
WHERE word <> ''
GROUP BY word, TUMBLE(ts, INTERVAL '10' SECOND);
`

// writeWordLines writes lines.csv (rows lines of one to four words, 25 ms
// apart, in order) and q.sql into dir, and returns the counts the script
// must write, as "window start|word|n" lines, sorted.
func writeWordLines(t *testing.T, dir, dsn string, rows int) []string {
	t.Helper()
	words := []string{"apple", "pear", "fig", "kiwi", "lime", "plum", "date", "sloe"}
	r := rand.New(rand.NewPCG(12, 34))
	var b strings.Builder
	b.WriteString("ts,line\n")
	counts := map[string]int{}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		ts := start.Add(time.Duration(i) * 25 * time.Millisecond)
		line := make([]string, 1+r.IntN(4))
		for j := range line {
			line[j] = words[r.IntN(len(words))]
			counts[ts.Truncate(10*time.Second).Format("2006-01-02 15:04:05")+"|"+line[j]]++
		}
		fmt.Fprintf(&b, "%s,%s\n", ts.Format("2006-01-02 15:04:05.000"), strings.Join(line, " "))
	}
	writeFile(t, dir, "lines.csv", b.String())
	writeFile(t, dir, "q.sql", fmt.Sprintf(pgWordCountScript, dsn))
	want := make([]string, 0, len(counts))
	for k, n := range counts {
		want = append(want, fmt.Sprintf("%s|%d", k, n))
	}
	sort.Strings(want)
	return want
}

// pgWordCounts returns the rows of word_counts as writeWordLines does.
func pgWordCounts(t *testing.T, dsn string) []string {
	t.Helper()
	return pgStrings(t, dsn, "SELECT to_char(window_start, 'YYYY-MM-DD HH24:MI:SS') || '|' || word || '|' || n FROM word_counts")
}

// pgStrings runs query, which selects one text column, and returns its
// rows sorted.
func pgStrings(t *testing.T, dsn, query string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return got
}

func compareCounts(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows in the table, want %d", what, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: row %d is %s, want %s", what, i, got[i], want[i])
		}
	}
}

// TestPostgresWordCount: the real binary counts words per window into a
// PostgreSQL table, which it creates; the table holds exactly the counts,
// without checkpoints (a transaction per micro-batch) and with them.
func TestPostgresWordCount(t *testing.T) {
	for _, ck := range []bool{false, true} {
		dsn := pgtest.Start(t)
		dir := t.TempDir()
		want := writeWordLines(t, dir, dsn, 4000)
		args := []string{"run", "q.sql"}
		if ck {
			args = append(args, "--checkpoint-dir", "ck")
		}
		if _, errOut, code := runWeir(t, dir, args...); code != 0 {
			t.Fatalf("weir %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
		}
		compareCounts(t, fmt.Sprintf("checkpoints %v", ck), pgWordCounts(t, dsn), want)
	}
}

// TestPostgresCrashExactlyOnce kills the checkpointed word count with
// SIGKILL at random moments, 10 times, restarting it each time: the table
// ends with exactly the counts, none lost and none doubled (the sink
// inserts without a key, so a doubled row would show).
func TestPostgresCrashExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	dsn := pgtest.Start(t)
	dir := t.TempDir()
	want := writeWordLines(t, dir, dsn, 100000)
	r := rand.New(rand.NewPCG(5, 6))
	const kills = 10
	killRuns(t, dir, kills, "2", func(int) time.Duration { return time.Duration(r.IntN(15)) * time.Millisecond })
	compareCounts(t, fmt.Sprintf("after %d kills", kills), pgWordCounts(t, dsn), want)
	t.Logf("%d kills, %d rows identical to the counts", kills, len(want))
}

// TestPostgresBadDSN: a sink that cannot connect fails the run at start
// with one line naming the table and without the password.
func TestPostgresBadDSN(t *testing.T) {
	dir := t.TempDir()
	writeWordLines(t, dir, "postgres://weir:sekrit@127.0.0.1:1/db?connect_timeout=2", 10)
	_, errOut, code := runWeir(t, dir, "run", "q.sql")
	if code == 0 || !strings.Contains(errOut, "table counts: postgres sink: cannot connect to PostgreSQL (option dsn): ") ||
		strings.Contains(errOut, "sekrit") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
}
