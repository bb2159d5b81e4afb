package main

import (
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"

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
