package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// kcatBin is the real kcat client; the test is skipped without it, except
// in CI (CI=true), where .ci/run installs it.
func kcatBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("kcat is not installed (.ci/run installs Debian's kcat package)")
		}
		t.Skip("kcat is not installed (apt-get install kcat)")
	}
	return p
}

var brokersLine = regexp.MustCompile(`listening: brokers = '([^']+)'`)

// startDevBroker runs `weir kafka dev-broker` on a free port and returns
// its address, read from its output.
func startDevBroker(t *testing.T, topics string) string {
	t.Helper()
	b := startWeir(t, t.TempDir(), "kafka", "dev-broker", "--port", "0", "--topics", topics)
	var addr string
	b.waitFor(t, 10*time.Second, "the broker's address", func(lines []string, _ string) bool {
		for _, l := range lines {
			if m := brokersLine.FindStringSubmatch(l); m != nil {
				addr = m[1]
				return true
			}
		}
		return false
	})
	if !strings.Contains(b.lines[0], "NOT for production") {
		t.Errorf("the dev broker does not say it is not for production: %q", b.lines[0])
	}
	return addr
}

// kcatProduce writes each line as one record with `kcat -P`.
func kcatProduce(t *testing.T, addr, topic string, lines ...string) {
	t.Helper()
	cmd := exec.Command(kcatBin(t), "-P", "-b", addr, "-t", topic)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
}

const kafkaWordCount = `SET checkpoint_interval = '200ms';
CREATE TABLE text_in (line VARCHAR, _partition BIGINT)
  WITH (connector = 'kafka', brokers = '%s', topic = 'words', format = 'text');
CREATE TABLE counts (word VARCHAR, n BIGINT)
  WITH (connector = 'file', path = 'counts.jsonl', format = 'json', changelog = 'true');
INSERT INTO counts
SELECT word, COUNT(*) AS n
FROM (SELECT UNNEST(STRING_TO_ARRAY(line, ' ')) AS word FROM text_in) AS w
WHERE word <> ''
GROUP BY word;
`

// readCounts applies the changelog in dir/counts.jsonl.
func readCounts(t *testing.T, dir string) map[string]int {
	b, err := os.ReadFile(filepath.Join(dir, "counts.jsonl"))
	if err != nil {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	c, _ := applyChangelog(t, lines, 0)
	return c
}

// TestKafkaKcatWordCount: the real kcat writes lines into a 3-partition
// topic of `weir kafka dev-broker`; `weir run` counts the words from the
// topic into a file. Stopped and started again with its checkpoint, and
// more lines written in between, it counts each line exactly once.
func TestKafkaKcatWordCount(t *testing.T) {
	kcatBin(t)
	addr := startDevBroker(t, "words:3")
	dir := t.TempDir()
	writeFile(t, dir, "q.sql", fmt.Sprintf(kafkaWordCount, addr))
	kcatProduce(t, addr, "words", "to be or not to be", "that is the question", "to be")

	args := []string{"run", "q.sql", "--batch-interval", "100ms", "--checkpoint-dir", "ck"}
	want := map[string]int{"to": 3, "be": 3, "or": 1, "not": 1, "that": 1, "is": 1, "the": 1, "question": 1}
	w := startWeir(t, dir, args...)
	w.waitFor(t, 20*time.Second, "the first counts", func([]string, string) bool { return sameCounts(readCounts(t, dir), want) })
	w.stop(t)

	kcatProduce(t, addr, "words", "be quick", "or not")
	want["be"], want["quick"], want["or"], want["not"] = 4, 1, 2, 2
	w = startWeir(t, dir, args...)
	w.waitFor(t, 20*time.Second, "the counts after the restart", func([]string, string) bool { return sameCounts(readCounts(t, dir), want) })
	w.stop(t)
	if got := readCounts(t, dir); !sameCounts(got, want) {
		t.Fatalf("final counts %v, want %v", got, want)
	}
}

// TestKafkaDevBroker: the development broker creates the topics it is
// given, says it is for development only, and stops cleanly on SIGINT;
// a bad --topics is refused with a line naming it.
func TestKafkaDevBroker(t *testing.T) {
	b := startWeir(t, t.TempDir(), "kafka", "dev-broker", "--port", "0", "--topics", "words:6, counts")
	b.waitFor(t, 10*time.Second, "the broker's address", func(lines []string, _ string) bool {
		return len(lines) > 0 && brokersLine.MatchString(lines[len(lines)-1])
	})
	stderr := b.stop(t)
	b.mu.Lock()
	out := strings.Join(b.lines, "\n")
	b.mu.Unlock()
	wantOut := "weir kafka dev-broker: " + devBrokerWarning + ".\ntopic words: 6 partitions\ntopic counts: 1 partition\nlistening: brokers = '"
	if !strings.HasPrefix(out, wantOut) || stderr != "weir kafka dev-broker: stopped; its topics are gone\n" {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, stderr)
	}
	_, errOut, code := runWeir(t, t.TempDir(), "kafka", "dev-broker", "--topics", "words:x")
	if code != 1 || errOut != "weir: --topics: want name:partitions with 1 to 10000 partitions, got \"words:x\"\n" {
		t.Errorf("bad --topics: exit %d, stderr %q", code, errOut)
	}
}

// TestKafkaGroupCommitsAtCheckpoints: a query reading in a consumer group
// (a task per partition) commits its offsets to the group when its
// checkpoints complete, the last one at Ctrl-C; a later run without that
// checkpoint, starting at the group's offsets (start = 'group'), reads
// only what came since.
func TestKafkaGroupCommitsAtCheckpoints(t *testing.T) {
	kcatBin(t)
	addr := startDevBroker(t, "words:3,out:1")
	script := fmt.Sprintf(`SET checkpoint_batches = 1;
CREATE TABLE text_in (line VARCHAR)
  WITH (connector = 'kafka', brokers = '%[1]s', topic = 'words', format = 'text', group = 'wc', start = 'group');
CREATE TABLE copied (line VARCHAR) WITH (connector = 'kafka', brokers = '%[1]s', topic = 'out', format = 'text');
INSERT INTO copied SELECT line FROM text_in;
`, addr)
	kcatProduce(t, addr, "words", "a b", "a")
	dir := t.TempDir()
	writeFile(t, dir, "q.sql", script)
	w := startWeir(t, dir, "run", "q.sql", "--batch-interval", "100ms", "--checkpoint-dir", "ck")
	waitRecords := func(n int) []string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			got := kcatRead(t, addr, "out")
			if len(got) >= n || time.Now().After(deadline) {
				return got
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if got := waitRecords(2); len(got) != 2 {
		t.Fatalf("first run copied %q, want the two lines", got)
	}
	w.stop(t)

	kcatProduce(t, addr, "words", "b c")
	dir2 := t.TempDir()
	writeFile(t, dir2, "q.sql", script)
	w = startWeir(t, dir2, "run", "q.sql", "--batch-interval", "100ms", "--checkpoint-dir", "ck")
	waitRecords(3)
	w.stop(t)
	got := kcatRead(t, addr, "out")
	if len(got) != 3 || !strings.HasSuffix(got[2], "=> b c") {
		t.Errorf("after the second run the topic holds %q, want the first two lines and then only b c", got)
	}
}
