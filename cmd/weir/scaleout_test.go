package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirdb/weir/connectors/postgres/pgtest"
)

// scaleOutScript counts the words of a topic keyed by word, split across
// the processes of a consumer group, into one PostgreSQL table: %[1]s is
// the brokers, %[2]s the DSN, %[3]s the group, %[4]s the table.
const scaleOutScript = `SET checkpoint_batches = 1;
CREATE TABLE words (_key VARCHAR, word VARCHAR)
  WITH (connector = 'kafka', brokers = '%[1]s', topic = 'words', group = '%[3]s', start = 'group', format = 'json', session_timeout = '2s');
CREATE TABLE counts (word VARCHAR, n BIGINT, PRIMARY KEY (word) NOT ENFORCED)
  WITH (connector = 'postgres', dsn = '%[2]s', table = '%[4]s');
INSERT INTO counts SELECT _key, COUNT(*) FROM words GROUP BY _key;
`

// wordProducer writes records keyed by word to topic words, so that the
// topic is partitioned by word, and keeps the counts it wrote.
type wordProducer struct {
	cl     *kgo.Client
	r      *rand.Rand
	counts map[string]int
	total  int
}

func (p *wordProducer) produce(t *testing.T, n int) {
	t.Helper()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		w := fmt.Sprintf("w%02d", p.r.IntN(60))
		p.counts[w]++
		recs[i] = &kgo.Record{Topic: "words", Key: []byte(w), Value: []byte(`{"word":"` + w + `"}`)}
	}
	if err := p.cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	p.total += n
}

// pgTableCounts returns the counts table as "word n" lines, sorted, and the
// sum of its counts.
func pgTableCounts(t *testing.T, dsn string) ([]string, int) {
	return pgTableRows(t, dsn, "counts")
}

// pgTableRows is pgTableCounts for table.
func pgTableRows(t *testing.T, dsn, table string) ([]string, int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT word, n FROM "+table)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil, 0
		}
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	sum := 0
	for rows.Next() {
		var w string
		var n int
		if err := rows.Scan(&w, &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d", w, n))
		sum += n
	}
	sort.Strings(out)
	return out, sum
}

// owns reports whether a process's log says the group assigned it
// partitions.
func owns(stderr string) bool { return strings.Contains(stderr, "of words assigned") }

// TestKafkaScaleOut: two and then three `weir run` processes in one
// consumer group share a six-partition topic keyed by word, each running a
// task per partition it owns with the tasks' checkpoints in one shared
// directory; one is killed with SIGKILL mid-run, its partitions move to the
// others with their state, and the PostgreSQL table ends with exactly the
// counts of the whole topic, which is what one process computes.
func TestKafkaScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("scale-out test: skipped with -short")
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(6, "words"), kfake.GroupMinSessionTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := strings.Join(c.ListenAddrs(), ",")
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	prod := &wordProducer{cl: cl, r: rand.New(rand.NewPCG(7, 8)), counts: map[string]int{}}
	dsn := pgtest.Start(t)
	ck := filepath.Join(t.TempDir(), "ck")
	start := func() *liveWeir {
		dir := t.TempDir()
		writeFile(t, dir, "q.sql", fmt.Sprintf(scaleOutScript, brokers, dsn, "wc", "counts"))
		return startWeir(t, dir, "run", "q.sql", "--checkpoint-dir", ck, "--batch-interval", "100ms")
	}
	waitSum := func(what string, procs ...*liveWeir) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			_, sum := pgTableCounts(t, dsn)
			if sum == prod.total {
				return
			}
			if time.Now().After(deadline) {
				var logs []string
				for i, p := range procs {
					p.mu.Lock()
					logs = append(logs, fmt.Sprintf("process %d:\n%s", i, p.stderr.String()))
					p.mu.Unlock()
				}
				t.Fatalf("timed out waiting for %s: the table's counts sum to %d, want %d\n%s", what, sum, prod.total, strings.Join(logs, "\n"))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	a, b := start(), start()
	a.waitFor(t, 30*time.Second, "process a to own partitions", func(_ []string, e string) bool { return owns(e) })
	b.waitFor(t, 30*time.Second, "process b to own partitions", func(_ []string, e string) bool { return owns(e) })
	prod.produce(t, 3000)
	waitSum("two processes to count the first records", a, b)

	d := start()
	d.waitFor(t, 30*time.Second, "the third process to own partitions", func(_ []string, e string) bool { return owns(e) })
	prod.produce(t, 3000)
	waitSum("three processes to count the next records", a, b, d)

	// Mid-run: records arrive before and after process b dies.
	prod.produce(t, 1500)
	b.cmd.Process.Signal(syscall.SIGKILL)
	prod.produce(t, 1500)
	waitSum("the two left to take over the killed one's partitions", a, d)
	a.stop(t)
	d.stop(t)

	got, _ := pgTableCounts(t, dsn)
	var want []string
	for w, n := range prod.counts {
		want = append(want, fmt.Sprintf("%s %d", w, n))
	}
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("the table holds\n%v\nwant\n%v", got, want)
	}
	// One process alone, in a group of its own, over the whole topic.
	solo := t.TempDir()
	writeFile(t, solo, "q.sql", fmt.Sprintf(scaleOutScript, brokers, dsn, "solo", "counts_solo"))
	one := startWeir(t, solo, "run", "q.sql", "--checkpoint-dir", "ck", "--batch-interval", "100ms")
	one.waitFor(t, 60*time.Second, "one process to count every record", func([]string, string) bool {
		_, sum := pgTableRows(t, dsn, "counts_solo")
		return sum == prod.total
	})
	one.stop(t)
	if single, _ := pgTableRows(t, dsn, "counts_solo"); strings.Join(single, ",") != strings.Join(got, ",") {
		t.Errorf("three processes, one killed, wrote\n%v\none process wrote\n%v", got, single)
	}
	t.Logf("%d records over 6 partitions, 2 then 3 processes, one killed: %d words, counts exact and equal to one process's", prod.total, len(want))
}

// TestKafkaScaleOutRefusals: a query over a consumer group's table that
// cannot be split by partition is refused before anything runs, with the
// reason and what to do.
func TestKafkaScaleOutRefusals(t *testing.T) {
	ddl := `CREATE TABLE feed (_key VARCHAR, line VARCHAR)
  WITH (connector = 'kafka', brokers = '127.0.0.1:1', topic = 'lines', group = 'g', format = 'json');
CREATE TABLE counts (word VARCHAR, n BIGINT) WITH (connector = 'kafka', brokers = '127.0.0.1:1', topic = 'counts');
CREATE TABLE copy_file (line VARCHAR) WITH (connector = 'file', path = 'out.jsonl');
`
	what := `query 1 reads table feed of Kafka consumer group "g", whose partitions the processes of the group share`
	for _, tc := range []struct{ query, ck, want string }{
		{"INSERT INTO counts SELECT line, COUNT(*) FROM feed GROUP BY line;", "ck",
			what + ", but GROUP BY line does not include feed._key, the column its input is partitioned by: each process would count only part of a key. Repartition first"},
		{"SELECT line FROM feed;", "ck", what + ": write its rows INSERT INTO a sink table"},
		{"INSERT INTO copy_file SELECT line FROM feed;", "ck", what + ", each running a task per partition, but the file sink of table copy_file takes one writer"},
		{"INSERT INTO counts SELECT _key, COUNT(*) FROM feed GROUP BY _key;", "",
			`query 1 reads table feed of Kafka consumer group "g": its partitions move between the group's processes with their state, which needs --checkpoint-dir`},
	} {
		dir := t.TempDir()
		writeFile(t, dir, "q.sql", ddl+tc.query)
		args := []string{"run", "q.sql"}
		if tc.ck != "" {
			args = append(args, "--checkpoint-dir", tc.ck)
		}
		_, errOut, code := runWeir(t, dir, args...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant it to contain:\n%s", tc.query, code, errOut, tc.want)
		}
	}
}
