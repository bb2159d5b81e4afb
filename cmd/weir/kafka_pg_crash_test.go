package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirdb/weir/connectors/postgres/pgtest"
)

// kafkaCountsScript counts the words of topic words twice, into the
// upsert topic counts and into a PostgreSQL table: %[1]s is the brokers,
// %[2]s the DSN.
const kafkaCountsScript = `SET batch_size = '40';
SET checkpoint_interval = '100ms';
CREATE TABLE lines_a (line VARCHAR) WITH (connector = 'kafka', brokers = '%[1]s', topic = 'words', format = 'text');
CREATE TABLE lines_b (line VARCHAR) WITH (connector = 'kafka', brokers = '%[1]s', topic = 'words', format = 'text');
CREATE TABLE counts_topic (word VARCHAR, n BIGINT, PRIMARY KEY (word) NOT ENFORCED)
  WITH (connector = 'kafka', brokers = '%[1]s', topic = 'counts');
CREATE TABLE counts_table (word VARCHAR, n BIGINT, PRIMARY KEY (word) NOT ENFORCED)
  WITH (connector = 'postgres', dsn = '%[2]s', table = 'counts');
INSERT INTO counts_topic
SELECT word, COUNT(*) AS n FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM lines_a) AS w WHERE word <> '' GROUP BY word;
INSERT INTO counts_table
SELECT word, COUNT(*) AS n FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM lines_b) AS w WHERE word <> '' GROUP BY word;
`

// topicCounts reads topic counts as kcat does with read_committed
// isolation and returns each word's last count; it fails the test if a
// word's counts ever repeat or go down (a record written twice, or an
// update lost and written again).
func topicCounts(t *testing.T, brokers string) map[string]int {
	t.Helper()
	last := map[string]int{}
	for _, l := range kcatRead(t, brokers, "counts") {
		_, rec, _ := strings.Cut(l, "|")
		_, value, _ := strings.Cut(rec, " => ")
		var row struct {
			Word string `json:"word"`
			N    int    `json:"n"`
		}
		if err := json.Unmarshal([]byte(value), &row); err != nil {
			t.Fatalf("record %q: %v", l, err)
		}
		if prev, ok := last[row.Word]; ok && row.N <= prev {
			t.Fatalf("word %s: count %d after %d: a record was written twice", row.Word, row.N, prev)
		}
		last[row.Word] = row.N
	}
	return last
}

// TestKafkaWordCountCrashExactlyOnce: a word count reads a topic and
// writes its counts to another topic (upserts, in Kafka transactions) and
// to a PostgreSQL table; SIGKILLed at random moments 10 times, each just
// after more lines arrived, and restarted, it ends with the exact counts
// in both: kcat reading with read_committed sees every word's counts rise
// with no record repeated, and the table holds exactly the counts.
func TestKafkaWordCountCrashExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	kcatBin(t)
	addr := startDevBroker(t, "words:3,counts:2")
	dsn := pgtest.Start(t)
	dir := t.TempDir()
	writeFile(t, dir, "q.sql", fmt.Sprintf(kafkaCountsScript, addr, dsn))
	want := map[string]int{}
	n := 0
	write := func(lines int) {
		var out []string
		for range lines {
			out = append(out, fmt.Sprintf("w%d x%d", n%7, n%11))
			want[fmt.Sprintf("w%d", n%7)]++
			want[fmt.Sprintf("x%d", n%11)]++
			n++
		}
		kcatProduce(t, addr, "words", out...)
	}
	write(2000)
	tableCounts := func() map[string]int {
		rows, _ := pgTableCounts(t, dsn)
		got := map[string]int{}
		for _, r := range rows {
			var w string
			var c int
			fmt.Sscanf(r, "%s %d", &w, &c)
			got[w] = c
		}
		return got
	}

	cks := []string{filepath.Join(dir, "ck", "q1"), filepath.Join(dir, "ck", "q2")}
	const kills = 10
	killAfterWrites(t, dir, cks, kills, rand.New(rand.NewPCG(9, 10)), 60, func() { write(100) })
	w := startWeir(t, dir, "run", "q.sql", "--batch-interval", "10ms", "--checkpoint-dir", "ck")
	w.waitFor(t, time.Minute, "the counts of every line in the topic and the table", func([]string, string) bool {
		return sameCounts(topicCounts(t, addr), want) && sameCounts(tableCounts(), want)
	})
	w.stop(t)
	if got := topicCounts(t, addr); !sameCounts(got, want) {
		t.Errorf("after %d kills the topic's counts are %v, want %v", kills, got, want)
	}
	if got := tableCounts(); !sameCounts(got, want) {
		t.Errorf("after %d kills the table's counts are %v, want %v", kills, got, want)
	}
}
