package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// kcatProduceKeyed writes each "key|value" line as one record with
// `kcat -P -K '|' -Z`: an empty value is a tombstone (null).
func kcatProduceKeyed(t *testing.T, addr, topic string, lines ...string) {
	t.Helper()
	cmd := exec.Command(kcatBin(t), "-P", "-b", addr, "-t", topic, "-K", "|", "-Z")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
}

// TestKafkaDebeziumChangelog: the real kcat writes Debezium change events,
// keyed by the row's id, into a 2-partition topic; `weir run` reads it as
// a changelog table (format 'debezium-json') and counts the orders per
// customer, as they are now, into a changelog file. Stopped and started
// again with its checkpoint, with more changes in between, it ends with
// exactly the counts of the orders left.
func TestKafkaDebeziumChangelog(t *testing.T) {
	kcatBin(t)
	addr := startDevBroker(t, "cdc:2")
	dir := t.TempDir()
	writeFile(t, dir, "q.sql", fmt.Sprintf(`SET checkpoint_interval = '200ms';
CREATE TABLE orders (id BIGINT, customer VARCHAR)
  WITH (connector = 'kafka', brokers = '%s', topic = 'cdc', format = 'debezium-json');
CREATE TABLE counts (word VARCHAR, n BIGINT)
  WITH (connector = 'file', path = 'counts.jsonl', format = 'json', changelog = 'true');
INSERT INTO counts SELECT customer AS word, COUNT(*) AS n FROM orders GROUP BY customer;
`, addr))
	ev := func(before, after, op string) string {
		return fmt.Sprintf(`{"before":%s,"after":%s,"op":"%s","source":{"table":"orders"}}`, before, after, op)
	}
	row := func(id int, c string) string { return fmt.Sprintf(`{"id":%d,"customer":"%s"}`, id, c) }
	kcatProduceKeyed(t, addr, "cdc",
		"1|"+ev("null", row(1, "ann"), "r"),
		"2|"+ev("null", row(2, "bob"), "c"),
		"3|"+ev("null", row(3, "ann"), "c"),
		"1|"+ev(row(1, "ann"), row(1, "bob"), "u"),
		"2|"+ev(row(2, "bob"), "null", "d"),
		"2|", // the tombstone after the delete
	)
	args := []string{"run", "q.sql", "--batch-interval", "100ms", "--checkpoint-dir", "ck"}
	want := map[string]int{"ann": 1, "bob": 1}
	w := startWeir(t, dir, args...)
	w.waitFor(t, 20*time.Second, "the first counts", func([]string, string) bool { return sameCounts(readCounts(t, dir), want) })
	w.stop(t)

	kcatProduceKeyed(t, addr, "cdc",
		"4|"+ev("null", row(4, "cid"), "c"),
		"3|"+`{"schema":{"type":"struct"},"payload":`+ev(row(3, "ann"), row(3, "cid"), "u")+`}`,
		"1|"+ev(row(1, "bob"), "null", "d"),
		"1|",
	)
	want = map[string]int{"cid": 2}
	w = startWeir(t, dir, args...)
	w.waitFor(t, 20*time.Second, "the counts after the restart", func([]string, string) bool { return sameCounts(readCounts(t, dir), want) })
	w.stop(t)
	if got := readCounts(t, dir); !sameCounts(got, want) {
		t.Fatalf("final counts %v, want %v", got, want)
	}
}
