package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaWatermarkPerPartition: a topic whose partition 1 is a minute
// behind partition 0 in event time: the watermark is the least of the
// partitions' (connectors.EventTimeFloor; TestEventTimeFloorFollowsThe-
// SlowestPartition in connectors/kafka checks it holds while a partition
// with records waiting has delivered none), so no row is late, every
// 10-second window of either partition is counted exactly, and
// idle_timeout closes the last windows once both are read.
func TestKafkaWatermarkPerPartition(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "ev"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for p, minute := range []int{1, 0} {
		for i := range 60 {
			recs = append(recs, &kgo.Record{Topic: "ev", Partition: int32(p),
				Value: fmt.Appendf(nil, `{"ts":"2024-01-01 00:%02d:%02d","v":1}`, minute, i)})
		}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "q.sql", fmt.Sprintf(`SET batch_size = 10;
CREATE TABLE ev (ts TIMESTAMP(3), v BIGINT, WATERMARK FOR ts AS ts)
  WITH (connector = 'kafka', brokers = '%s', topic = 'ev', idle_timeout = '1s');
SELECT window_start, COUNT(*) AS n FROM ev GROUP BY TUMBLE(ts, INTERVAL '10' SECOND);
`, strings.Join(c.ListenAddrs(), ",")))
	w := startWeir(t, dir, "run", "q.sql", "--format", "jsonl", "--batch-interval", "50ms")
	w.waitFor(t, 30*time.Second, "the twelve windows", func(lines []string, _ string) bool { return len(lines) >= 12 })
	errOut := w.stop(t)
	w.mu.Lock()
	lines := append([]string(nil), w.lines...)
	w.mu.Unlock()
	for _, l := range lines {
		var row struct {
			Start string `json:"window_start"`
			N     int    `json:"n"`
		}
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatal(err)
		}
		if row.N != 10 {
			t.Errorf("window %s counts %d rows, want 10", row.Start, row.N)
		}
	}
	if len(lines) != 12 || strings.Contains(errOut, "late") {
		t.Errorf("%d windows, want 12\n%s\nstderr:\n%s", len(lines), strings.Join(lines, "\n"), errOut)
	}
}
