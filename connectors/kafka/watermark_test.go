package kafka

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/connectors/live/livetest"
)

// TestEventTimeFloorFollowsTheSlowestPartition: while a partition has
// records waiting and has delivered none, the floor holds the watermark;
// then it is the least of the partitions' largest event times, however
// the partitions' rows were interleaved.
func TestEventTimeFloorFollowsTheSlowestPartition(t *testing.T) {
	addr := cluster(t, 2, "ev")
	var recs = vals("ev", 0)
	// Partition 0 is a minute ahead of partition 1.
	for i := range 50 {
		recs = append(recs, vals("ev", 0, fmt.Sprintf(`{"ts":"2024-01-01 00:01:%02d","v":%d}`, i, i))...)
	}
	for i := range 50 {
		recs = append(recs, vals("ev", 1, fmt.Sprintf(`{"ts":"2024-01-01 00:00:%02d","v":%d}`, i, i))...)
	}
	produce(t, addr, recs...)
	env := livetest.NewEnv(t)
	sc := format.WithEventTime(schema("ts TIMESTAMP", "v BIGINT"), "ts")
	s := open(t, env, sc, map[string]string{"brokers": addr, "topic": "ev"})
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	rows := 0
	deadline := time.Now().Add(wait)
	for rows < 100 {
		b, err := s.Next(context.Background(), 7)
		if err == connectors.ErrNoData {
			if time.Now().After(deadline) {
				t.Fatalf("read %d of 100 rows", rows)
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rows += int(b.NumRows())
		b.Release()
		floor := s.EventTimeFloor()
		s.mu.Lock()
		delivered := len(s.lastRow)
		s.mu.Unlock()
		if delivered < 2 && floor != math.MinInt64 {
			t.Fatalf("after %d rows from %d partition(s) the floor is %d, want it held", rows, delivered, floor)
		}
	}
	if got, want := s.EventTimeFloor(), base+49_000; got != want {
		t.Errorf("floor after every row %d, want %d (partition 1's last event)", got, want)
	}
}
