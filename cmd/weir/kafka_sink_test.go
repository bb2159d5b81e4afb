package main

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// kcatRead returns the records of topic as the kcat client reads them
// with isolation.level = read_committed: "key => value" lines (NULL for a
// null key or value) after the partition and "|", each partition's in
// offset order.
func kcatRead(t *testing.T, brokers, topic string) []string {
	t.Helper()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed (apt-get install kcat)")
	}
	out, err := exec.Command(kcat, "-C", "-b", brokers, "-t", topic, "-o", "beginning", "-e", "-q", "-Z",
		"-X", "isolation.level=read_committed", "-f", "%p|%k => %s\n").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	return lines
}

// TestKafkaSinkE2E: `weir run` writes an append-only result as CSV
// records and an updating word count as upserts keyed by user_id to a
// Kafka-protocol broker (kfake, on 127.0.0.1), and kcat reads them back.
func TestKafkaSinkE2E(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "clicks_out"), kfake.SeedTopics(3, "counts"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := strings.Join(c.ListenAddrs(), ",")
	dir := t.TempDir()
	writeFile(t, dir, "clicks.csv", clicksCSV)
	writeFile(t, dir, "q.sql", fmt.Sprintf(`SET batch_size = 2;
CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR) WITH (connector = 'file', path = 'clicks.csv', format = 'csv');
CREATE TABLE clicks_out (user_id BIGINT, url VARCHAR)
  WITH (connector = 'kafka', brokers = '%[1]s', topic = 'clicks_out', format = 'csv');
INSERT INTO clicks_out SELECT user_id, url FROM clicks;
CREATE TABLE counts (user_id BIGINT, n BIGINT) WITH (connector = 'kafka', brokers = '%[1]s', topic = 'counts', key = 'user_id');
INSERT INTO counts SELECT user_id, COUNT(*) FROM clicks WHERE url = '/home' GROUP BY user_id EMIT ON UPDATE;
`, brokers))
	out, errOut, code := runWeir(t, dir, "run", "q.sql")
	if code != 0 || out != "" {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	want := []string{"0|NULL => 1,/cart", "0|NULL => 1,/home", "0|NULL => 1,/home", "0|NULL => 2,/home", "0|NULL => 3,/home"}
	got := kcatRead(t, brokers, "clicks_out")
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("clicks_out:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// /home by 1 and 2, by 1 again (its -U is skipped, its +U overwrites),
	// by 3; without the partition, in each key's order.
	got = kcatRead(t, brokers, "counts")
	perKey := map[string][]string{}
	for _, l := range got {
		_, rec, _ := strings.Cut(l, "|")
		k, v, _ := strings.Cut(rec, " => ")
		perKey[k] = append(perKey[k], v)
	}
	wantKeys := map[string][]string{
		`{"user_id":1}`: {`{"user_id":1,"n":1}`, `{"user_id":1,"n":2}`},
		`{"user_id":2}`: {`{"user_id":2,"n":1}`},
		`{"user_id":3}`: {`{"user_id":3,"n":1}`},
	}
	if fmt.Sprint(perKey) != fmt.Sprint(wantKeys) {
		t.Errorf("counts:\n%v\nwant\n%v", perKey, wantKeys)
	}
}

// kafkaCrashScript writes tumbling-window counts (append-only, CSV) and
// an updating count per user (upserts keyed by user_id) to Kafka.
const kafkaCrashScript = `SET batch_size = 100;
SET checkpoint_batches = 2;
CREATE TABLE clicks (ts TIMESTAMP(3), user_id BIGINT, url VARCHAR(32), amount DOUBLE,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (connector = 'file', path = 'clicks.csv', format = 'csv');
CREATE TABLE win_out (window_start TIMESTAMP(3), user_id BIGINT, n BIGINT, total DOUBLE)
  WITH (connector = 'kafka', brokers = '%[1]s', topic = 'win', format = 'csv');
INSERT INTO win_out
SELECT window_start, user_id, COUNT(*), SUM(amount) FROM clicks GROUP BY user_id, TUMBLE(ts, INTERVAL '10' SECOND);
CREATE TABLE upd_out (user_id BIGINT, n BIGINT, top DOUBLE)
  WITH (connector = 'kafka', brokers = '%[1]s', topic = 'upd', key = 'user_id');
INSERT INTO upd_out SELECT user_id, COUNT(*), MAX(amount) FROM clicks GROUP BY user_id EMIT ON UPDATE;
`

// kafkaCrashDir prepares a directory for kafkaCrashScript against a new
// kfake cluster, and returns it with the cluster's brokers.
func kafkaCrashDir(t *testing.T) (string, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "win", "upd"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	brokers := strings.Join(c.ListenAddrs(), ",")
	dir := t.TempDir()
	writeCrashInput(t, dir)
	writeFile(t, dir, "q.sql", fmt.Sprintf(kafkaCrashScript, brokers))
	return dir, brokers
}

// withoutPartition returns kcatRead's lines without their partitions,
// sorted.
func withoutPartition(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		_, out[i], _ = strings.Cut(l, "|")
	}
	sort.Strings(out)
	return out
}

// byPartition groups kcatRead's lines by partition, in order.
func byPartition(lines []string) map[string][]string {
	out := map[string][]string{}
	for _, l := range lines {
		p, rec, _ := strings.Cut(l, "|")
		out[p] = append(out[p], rec)
	}
	return out
}

// TestKafkaSinkCrashExactlyOnce kills `weir run --checkpoint-dir` writing
// to Kafka with SIGKILL at random moments, 10 times, restarting it each
// time: a read_committed consumer (kcat) then sees exactly the records of
// one uninterrupted run, the window counts once each and every
// partition's upserts in the same order.
func TestKafkaSinkCrashExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	ref, refBrokers := kafkaCrashDir(t)
	crash, crashBrokers := kafkaCrashDir(t)
	_, errOut, code := runWeir(t, ref, "run", "--parallelism", "2", "--checkpoint-dir", "ck", "q.sql")
	if code != 0 && strings.Contains(errOut, "state directory until the checkpoint is durable, and none was given") {
		t.Skip("the planner gives sinks no state directory yet")
	}
	if code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, errOut)
	}
	// Records without a key go to any partition.
	wantWin, wantUpd := withoutPartition(kcatRead(t, refBrokers, "win")), byPartition(kcatRead(t, refBrokers, "upd"))
	if len(wantWin) < 1000 || len(wantUpd) != 3 {
		t.Fatalf("reference run wrote only %d window rows, upserts to %d partitions", len(wantWin), len(wantUpd))
	}

	r := rand.New(rand.NewPCG(3, 4))
	const kills = 10
	killRuns(t, crash, kills, "2", func(int) time.Duration { return time.Duration(r.IntN(15)) * time.Millisecond })
	gotWin := withoutPartition(kcatRead(t, crashBrokers, "win"))
	if strings.Join(gotWin, "\n") != strings.Join(wantWin, "\n") {
		t.Errorf("window counts after %d kills: %d records, want %d", kills, len(gotWin), len(wantWin))
		for i := range min(len(gotWin), len(wantWin)) {
			if gotWin[i] != wantWin[i] {
				t.Fatalf("record %d:\n got %s\nwant %s", i, gotWin[i], wantWin[i])
			}
		}
	}
	gotUpd := byPartition(kcatRead(t, crashBrokers, "upd"))
	for p, want := range wantUpd {
		got := gotUpd[p]
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("partition %s's upserts after %d kills: %d records, want %d", p, kills, len(got), len(want))
		}
	}
	t.Logf("%d kills: %d window counts, %d partitions of upserts, identical to the uninterrupted run", kills, len(gotWin), len(gotUpd))
}
