package kafka

import (
	"testing"
	"time"

	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/connectors/live/livetest"
	"github.com/weirdb/weir/vector"
)

// A topic of Debezium change events read with format 'debezium-json' is a
// changelog: each event's rows with their kinds (the op column last),
// every row with its record's metadata, tombstones no row, a bad envelope
// a bad row.
func TestSourceDebeziumJSON(t *testing.T) {
	addr := cluster(t, 1, "cdc")
	produce(t, addr,
		rec("cdc", 0, []byte("1"), []byte(`{"before":null,"after":{"id":1,"name":"a"},"op":"c"}`)),
		rec("cdc", 0, []byte("1"), []byte(`{"schema":{},"payload":{"before":{"id":1,"name":"a"},"after":{"id":1,"name":"b"},"op":"u"}}`)),
		rec("cdc", 0, []byte("2"), []byte(`{"before":null,"after":{"id":2,"name":"c"},"op":"u"}`)), // no before image
		rec("cdc", 0, []byte("1"), []byte(`{"before":{"id":1,"name":"b"},"after":null,"op":"d"}`)),
		rec("cdc", 0, []byte("1"), nil), // the tombstone after a delete
		rec("cdc", 0, []byte("3"), []byte(`{"before":null,"after":{"id":3},"op":"r"}`)),
	)
	env := livetest.NewEnv(t)
	sc := vector.WithOpColumn(schema("id BIGINT", "_offset BIGINT", "name VARCHAR"))
	s := open(t, env, sc, map[string]string{"brokers": addr, "topic": "cdc", "format": "debezium-json"})
	// Op column: 0 +I, 1 -U, 2 +U, 3 -D.
	check(t, livetest.Poll(t, s, 5, 4, wait), []string{
		"1|0|a|0",
		"1|1|a|1",
		"1|1|b|2",
		"1|3|b|3",
		"3|5|NULL|0",
	})
	if len(env.Bad) != 1 || env.Bad[0].Position != "cdc/0@2" ||
		env.Bad[0].Err.Error() != `Debezium op "u" without a before image: an update needs the old row (in PostgreSQL, ALTER TABLE ... REPLICA IDENTITY FULL)` {
		t.Fatalf("bad rows %+v", env.Bad)
	}
	if pos, _ := s.Position(); string(pos) != `{"topic":"cdc","offsets":{"0":6}}` {
		t.Fatalf("position %s", pos)
	}
}

// The event times of a changelog's rows, an update's two included, count
// for the watermark of their partition.
func TestSourceDebeziumEventTimeFloor(t *testing.T) {
	addr := cluster(t, 2, "cdc")
	produce(t, addr,
		rec("cdc", 0, nil, []byte(`{"after":{"ts":"2024-01-01 00:00:10","id":1},"op":"c"}`)),
		rec("cdc", 1, nil, []byte(`{"after":{"ts":"2024-01-01 00:00:20","id":2},"op":"c"}`)),
		rec("cdc", 0, nil, []byte(`{"before":{"ts":"2024-01-01 00:00:10","id":1},"after":{"ts":"2024-01-01 00:00:30","id":1},"op":"u"}`)),
		rec("cdc", 1, nil, []byte(`{"before":{"ts":"2024-01-01 00:00:20","id":2},"after":{"ts":"2024-01-01 00:00:25","id":2},"op":"u"}`)),
	)
	env := livetest.NewEnv(t)
	sc := format.WithEventTime(vector.WithOpColumn(schema("ts TIMESTAMP", "id BIGINT")), "ts")
	s := open(t, env, sc, map[string]string{"brokers": addr, "topic": "cdc", "format": "debezium-json"})
	check(t, sorted(livetest.Poll(t, s, 6, 2, wait)), []string{
		"2024-01-01T00:00:10.000Z|1|0",
		"2024-01-01T00:00:10.000Z|1|1",
		"2024-01-01T00:00:20.000Z|2|0",
		"2024-01-01T00:00:20.000Z|2|1",
		"2024-01-01T00:00:25.000Z|2|2",
		"2024-01-01T00:00:30.000Z|1|2",
	})
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	if got, want := s.EventTimeFloor(), base+25_000; got != want {
		t.Errorf("floor %d, want %d (partition 1's last event)", got, want)
	}
}
