package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live/livetest"
	"github.com/weirdb/weir/vector"
)

const wait = 20 * time.Second

// cluster starts a kfake broker on 127.0.0.1 with the topics, each of
// partitions partitions, and returns its address.
func cluster(t testing.TB, partitions int32, topics ...string) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// produce writes the records, each to its Partition, and waits for the
// broker's acknowledgement.
func produce(t *testing.T, addr string, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// rec is a record of topic to partition p with value v (nil: a
// tombstone) and key k (nil: none).
func rec(topic string, p int32, k, v []byte) *kgo.Record {
	return &kgo.Record{Topic: topic, Partition: p, Key: k, Value: v,
		Timestamp: time.UnixMilli(1700000000000 + int64(p)).UTC()}
}

func vals(topic string, p int32, vs ...string) []*kgo.Record {
	var out []*kgo.Record
	for _, v := range vs {
		out = append(out, rec(topic, p, nil, []byte(v)))
	}
	return out
}

func schema(cols ...string) *arrow.Schema {
	var fs []arrow.Field
	for _, c := range cols {
		name, typ, _ := strings.Cut(c, " ")
		t := map[string]arrow.DataType{"BIGINT": vector.Int64, "VARCHAR": vector.String, "TIMESTAMP": vector.Timestamp, "DOUBLE": vector.Float64}[typ]
		fs = append(fs, arrow.Field{Name: name, Type: t, Nullable: true})
	}
	return arrow.NewSchema(fs, nil)
}

// open builds and starts a source, closed at the end of the test.
func open(t *testing.T, env *livetest.Env, sc *arrow.Schema, opts map[string]string) *Source {
	t.Helper()
	if opts["connector"] == "" {
		opts["connector"] = "kafka"
	}
	src, err := NewSource(env.Spec(sc, opts))
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*Source)
	t.Cleanup(func() { s.Close() })
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func sorted(rows []string) []string { slices.Sort(rows); return rows }

func check(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("rows:\n got %q\nwant %q", got, want)
	}
}

func TestSourceJSONWithMetadataColumns(t *testing.T) {
	addr := cluster(t, 1, "in")
	produce(t, addr,
		rec("in", 0, []byte("k1"), []byte(`{"word":"a","n":1}`)),
		rec("in", 0, nil, []byte("{\n  \"word\": \"b\",\n  \"n\": 2\n}\n")), // pretty-printed
		rec("in", 0, []byte("k3"), nil),                                     // a tombstone: no row
		rec("in", 0, []byte("k4"), []byte(`{"n":4}`)),
	)
	env := livetest.NewEnv(t)
	s := open(t, env, schema("_key VARCHAR", "word VARCHAR", "_partition BIGINT", "n BIGINT", "_offset BIGINT", "_timestamp TIMESTAMP"),
		map[string]string{"brokers": addr, "topic": "in"})
	rows := livetest.Poll(t, s, 3, 100, wait)
	check(t, rows, []string{
		"k1|a|0|1|0|2023-11-14T22:13:20.000Z",
		"NULL|b|0|2|1|2023-11-14T22:13:20.000Z",
		"k4|NULL|0|4|3|2023-11-14T22:13:20.000Z",
	})
	pos, err := s.Position()
	if err != nil {
		t.Fatal(err)
	}
	if string(pos) != `{"topic":"in","offsets":{"0":4}}` {
		t.Fatalf("position %s", pos)
	}
}

func TestSourceCSVAndText(t *testing.T) {
	addr := cluster(t, 1, "c", "x")
	produce(t, addr, append(vals("c", 0, "1;one\n", "2;\"t\nwo\""), vals("x", 0, "hello world\r\n", "", "é")...)...)
	env := livetest.NewEnv(t)
	c := open(t, env, schema("id BIGINT", "name VARCHAR"), map[string]string{"brokers": addr, "topic": "c", "format": "csv", "delimiter": ";"})
	check(t, livetest.Poll(t, c, 2, 1, wait), []string{"1|one", "2|t\nwo"})
	x := open(t, env, schema("line VARCHAR", "_offset BIGINT"), map[string]string{"brokers": addr, "topic": "x", "format": "text"})
	check(t, livetest.Poll(t, x, 3, 100, wait), []string{"hello world|0", "|1", "é|2"})
	if len(env.Bad) != 0 {
		t.Fatalf("bad rows %v", env.Bad)
	}
}

func TestSourceBadRecordsAreSkipped(t *testing.T) {
	addr := cluster(t, 1, "in")
	produce(t, addr, append(vals("in", 0, `{"n":1}`, `{"n":`, `{"n":"x"}`, strings.Repeat("x", 40), `{"n":5}`),
		rec("in", 0, []byte{0xff}, []byte(`{"n":6}`)), rec("in", 0, nil, []byte(`{"n":7}`)))...)
	env := livetest.NewEnv(t)
	s := open(t, env, schema("n BIGINT", "_key VARCHAR"), map[string]string{"brokers": addr, "topic": "in", "max_record_bytes": "32"})
	check(t, livetest.Poll(t, s, 3, 100, wait), []string{"1|NULL", "5|NULL", "7|NULL"})
	var got []string
	for _, b := range env.Bad {
		got = append(got, b.Table+" "+b.Position+" "+b.Err.Error())
	}
	check(t, got, []string{
		"t in/0@1 " + env.Bad[0].Err.Error(),
		"t in/0@2 " + env.Bad[1].Err.Error(),
		"t in/0@3 record of 40 bytes is longer than max_record_bytes (32)",
		"t in/0@5 invalid UTF-8 in column _key",
	})
	if env.Bad[0].Record != `{"n":` {
		t.Fatalf("bad record %q", env.Bad[0].Record)
	}
	if pos, _ := s.Position(); string(pos) != `{"topic":"in","offsets":{"0":7}}` {
		t.Fatalf("position %s", pos)
	}
}

func TestSourceBadRowHandlerErrorStopsNext(t *testing.T) {
	addr := cluster(t, 1, "in")
	produce(t, addr, vals("in", 0, `{"n":1}`, `oops`)...)
	env := livetest.NewEnv(t)
	spec := env.Spec(schema("n BIGINT"), map[string]string{"connector": "kafka", "brokers": addr, "topic": "in"})
	stop := errors.New("on_error = fail")
	spec.BadRow = func(connectors.BadRow) error { return stop }
	src, err := NewSource(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.(*Source).Start(context.Background())
	deadline := time.Now().Add(wait)
	for {
		b, err := src.Next(context.Background(), 100)
		if b != nil {
			b.Release()
		}
		if errors.Is(err, stop) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no error; last %v", err)
		}
	}
	if _, err := src.Next(context.Background(), 100); !errors.Is(err, stop) {
		t.Fatalf("second Next: %v", err)
	}
}

func TestSourceSeekResumesEachPartition(t *testing.T) {
	addr := cluster(t, 3, "in")
	var first []*kgo.Record
	for p := int32(0); p < 3; p++ {
		first = append(first, vals("in", p, fmt.Sprintf(`{"v":"p%d-a"}`, p), fmt.Sprintf(`{"v":"p%d-b"}`, p))...)
	}
	produce(t, addr, first...)
	sc := schema("v VARCHAR", "_partition BIGINT", "_offset BIGINT")
	env := livetest.NewEnv(t)
	s := open(t, env, sc, map[string]string{"brokers": addr, "topic": "in"})
	check(t, sorted(livetest.Poll(t, s, 6, 4, wait)), []string{"p0-a|0|0", "p0-b|0|1", "p1-a|1|0", "p1-b|1|1", "p2-a|2|0", "p2-b|2|1"})
	pos, err := s.Position()
	if err != nil {
		t.Fatal(err)
	}
	var p position
	if err := json.Unmarshal(pos, &p); err != nil || len(p.Offsets) != 3 || p.Offsets[0] != 2 || p.Offsets[1] != 2 || p.Offsets[2] != 2 {
		t.Fatalf("position %s (%v)", pos, err)
	}
	s.Close()

	produce(t, addr, vals("in", 1, `{"v":"p1-c"}`)...)
	// A checkpoint taken before p2-b: seeking to it reads p2-b again, and
	// nothing of p0 or p1 that it had read.
	s2 := open(t, env, sc, map[string]string{"brokers": addr, "topic": "in"})
	if err := s2.Seek([]byte(`{"topic":"in","offsets":{"0":2,"1":2,"2":1}}`)); err != nil {
		t.Fatal(err)
	}
	check(t, sorted(livetest.Poll(t, s2, 2, 100, wait)), []string{"p1-c|1|2", "p2-b|2|1"})
	if pos, _ := s2.Position(); string(pos) != `{"topic":"in","offsets":{"0":2,"1":3,"2":2}}` {
		t.Fatalf("position %s", pos)
	}
	if err := s2.Seek([]byte(`{"topic":"other","offsets":{}}`)); err == nil || !strings.Contains(err.Error(), `the checkpoint is of topic "other", the table reads topic "in"`) {
		t.Fatalf("seek to another topic: %v", err)
	}
}

// positionOf polls Position until it names every partition of want,
// the sign that the source knows where each starts.
func positionOf(t *testing.T, s *Source, partitions int) []byte {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		pos, err := s.Position()
		if err != nil {
			t.Fatal(err)
		}
		var p position
		if err := json.Unmarshal(pos, &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Offsets) == partitions {
			return pos
		}
		if time.Now().After(deadline) {
			t.Fatalf("position %s", pos)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSourceStartLatest(t *testing.T) {
	for _, group := range []string{"", "g"} {
		t.Run("group="+group, func(t *testing.T) {
			addr := cluster(t, 2, "in")
			produce(t, addr, append(vals("in", 0, `{"v":"old0"}`), vals("in", 1, `{"v":"old1"}`, `{"v":"old1b"}`)...)...)
			env := livetest.NewEnv(t)
			opts := func() map[string]string {
				return map[string]string{"brokers": addr, "topic": "in", "start": "latest", "group": group}
			}
			s := open(t, env, schema("v VARCHAR"), opts())
			if b, err := s.Next(context.Background(), 10); err != connectors.ErrNoData {
				t.Fatalf("Next: %v %v", b, err)
			}
			// The source starts each partition at its end, and its position
			// says so before it reads anything.
			pos := positionOf(t, s, 2)
			if string(pos) != `{"topic":"in","offsets":{"0":1,"1":2}}` {
				t.Fatalf("position %s", pos)
			}
			produce(t, addr, vals("in", 1, `{"v":"new1"}`)...)
			check(t, livetest.Poll(t, s, 1, 10, wait), []string{"new1"})
			s.Close()
			// Restarted from the position taken before new1 and a record
			// written while it was down, it reads both and nothing older.
			produce(t, addr, vals("in", 0, `{"v":"new0"}`)...)
			s2 := open(t, env, schema("v VARCHAR"), opts())
			if err := s2.Seek(pos); err != nil {
				t.Fatal(err)
			}
			check(t, sorted(livetest.Poll(t, s2, 2, 10, wait)), []string{"new0", "new1"})
		})
	}
}

func TestSourcePartitionsOption(t *testing.T) {
	addr := cluster(t, 3, "in")
	var recs []*kgo.Record
	for p := int32(0); p < 3; p++ {
		recs = append(recs, vals("in", p, fmt.Sprintf(`{"v":"p%d"}`, p))...)
	}
	produce(t, addr, recs...)
	env := livetest.NewEnv(t)
	s := open(t, env, schema("v VARCHAR"), map[string]string{"brokers": addr, "topic": "in", "partitions": "2, 0"})
	check(t, sorted(livetest.Poll(t, s, 2, 100, wait)), []string{"p0", "p2"})
	// Partition 1 is never read: a later record of partition 0 comes
	// alone.
	produce(t, addr, vals("in", 0, `{"v":"p0-end"}`)...)
	check(t, livetest.Poll(t, s, 1, 100, wait), []string{"p0-end"})
	if pos, _ := s.Position(); string(pos) != `{"topic":"in","offsets":{"0":2,"2":1}}` {
		t.Fatalf("position %s", pos)
	}
}

// committed returns the group's committed offsets of topic.
func committed(t *testing.T, addr, group, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	topics := resp.Topics
	for _, g := range resp.Groups {
		for _, gt := range g.Topics {
			rt := kmsg.OffsetFetchResponseTopic{Topic: gt.Topic}
			for _, p := range gt.Partitions {
				rt.Partitions = append(rt.Partitions, kmsg.OffsetFetchResponseTopicPartition{Partition: p.Partition, Offset: p.Offset})
			}
			topics = append(topics, rt)
		}
	}
	for _, rt := range topics {
		if rt.Topic != topic {
			continue
		}
		for _, p := range rt.Partitions {
			if p.Offset >= 0 {
				out[p.Partition] = p.Offset
			}
		}
	}
	return out
}

func TestSourceGroupCommitsOnlyAfterCheckpointComplete(t *testing.T) {
	addr := cluster(t, 2, "in")
	produce(t, addr, append(vals("in", 0, `{"v":"a"}`, `{"v":"b"}`), vals("in", 1, `{"v":"c"}`)...)...)
	env := livetest.NewEnv(t)
	opts := func() map[string]string {
		return map[string]string{"brokers": addr, "topic": "in", "group": "g", "start": "group"}
	}
	s := open(t, env, schema("v VARCHAR"), opts())
	check(t, sorted(livetest.Poll(t, s, 3, 100, wait)), []string{"a", "b", "c"})
	if got := committed(t, addr, "g", "in"); len(got) != 0 {
		t.Fatalf("committed before the checkpoint completed: %v", got)
	}
	pos, err := s.Position()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckpointComplete(pos); err != nil {
		t.Fatal(err)
	}
	if got := committed(t, addr, "g", "in"); got[0] != 2 || got[1] != 1 || len(got) != 2 {
		t.Fatalf("committed %v, want 0:2 1:1", got)
	}
	s.Close()

	// A new member of the group, with start = 'group' and no checkpoint,
	// continues from the committed offsets.
	produce(t, addr, vals("in", 1, `{"v":"d"}`)...)
	s2 := open(t, env, schema("v VARCHAR"), opts())
	check(t, livetest.Poll(t, s2, 1, 100, wait), []string{"d"})
}

func TestSourceOptionErrors(t *testing.T) {
	env := livetest.NewEnv(t)
	for _, c := range []struct {
		sc   *arrow.Schema
		opts map[string]string
		want string
	}{
		{schema("v VARCHAR", "_offset VARCHAR"), map[string]string{}, "table t: metadata column _offset must be BIGINT, not VARCHAR"},
		{schema("_timestamp BIGINT"), map[string]string{}, "table t: metadata column _timestamp must be TIMESTAMP(3), not BIGINT"},
		{schema("v VARCHAR"), map[string]string{"start": "group"}, "table t: option start = 'group' needs option group (the consumer group whose offsets to start from)"},
		{schema("v VARCHAR"), map[string]string{"partitions": "0,x"}, "table t: option partitions: want a comma list of partition numbers such as '0,1,2', got '0,x'"},
		{schema("v VARCHAR"), map[string]string{"partitions": "0", "group": "g"}, "table t: option partitions assigns partitions directly, without the consumer group: leave out option group, or option partitions to share the topic in the group"},
		{schema("a VARCHAR", "b VARCHAR"), map[string]string{"format": "text"}, "table t: format 'text' needs exactly one VARCHAR column besides the metadata columns (_key, _partition, _offset, _timestamp)"},
		{schema("v VARCHAR"), map[string]string{"brokers": "localhost"}, `table t: option brokers: want host:port, got "localhost"`},
	} {
		opts := map[string]string{"connector": "kafka", "brokers": "127.0.0.1:9092", "topic": "in"}
		for k, v := range c.opts {
			opts[k] = v
		}
		_, err := NewSource(env.Spec(c.sc, opts))
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: got %v\nwant %s", c.opts, err, c.want)
		}
	}
}

func TestSourceCSVValueWithTwoRecordsIsBad(t *testing.T) {
	addr := cluster(t, 1, "in")
	produce(t, addr, append(vals("in", 0, "1,a", "2,b\n3,c", "4,d\n"), rec("in", 0, []byte{'k', 0xff}, []byte("5,e")))...)
	env := livetest.NewEnv(t)
	s := open(t, env, schema("id BIGINT", "v VARCHAR", "_key VARCHAR"),
		map[string]string{"brokers": addr, "topic": "in", "format": "csv", "invalid_utf8": "replace"})
	check(t, livetest.Poll(t, s, 3, 100, wait), []string{"1|a|NULL", "4|d|NULL", "5|e|k\uFFFD"})
	if len(env.Bad) != 1 || env.Bad[0].Position != "in/0@1" || env.Bad[0].Err.Error() != "the value holds more than one csv record" {
		t.Fatalf("bad rows %+v", env.Bad)
	}
}

func TestSourceBufferIsBounded(t *testing.T) {
	addr := cluster(t, 1, "in")
	var recs []*kgo.Record
	for i := range 2000 {
		recs = append(recs, vals("in", 0, fmt.Sprintf(`{"n":%d}`, i))...)
	}
	produce(t, addr, recs...)
	env := livetest.NewEnv(t)
	s := open(t, env, schema("n BIGINT"), map[string]string{"brokers": addr, "topic": "in", "buffer_bytes": "4KiB"})
	first := 0
	if b, err := s.Next(context.Background(), 1); err == nil {
		first = int(b.NumRows()) // the first Next starts the fetching
		b.Release()
	}
	deadline := time.Now().Add(wait)
	for !s.Backlogged() {
		if time.Now().After(deadline) {
			t.Fatal("the buffer never filled")
		}
		time.Sleep(time.Millisecond)
	}
	s.buf.mu.Lock()
	held := s.buf.bytes
	s.buf.mu.Unlock()
	if held > 4096 {
		t.Fatalf("the buffer holds %d bytes, more than buffer_bytes", held)
	}
	rows := livetest.Poll(t, s, 2000-first, 500, wait)
	if rows[0] != strconv.Itoa(first) || rows[len(rows)-1] != "1999" {
		t.Fatalf("rows %q ... %q", rows[0], rows[len(rows)-1])
	}
}

// TestSourceGroupMembersSharePartitions: two sources in one group split
// a 6-partition topic between them (cooperative-sticky: the first gives
// up half when the second joins) and together read each record once.
func TestSourceGroupMembersSharePartitions(t *testing.T) {
	addr := cluster(t, 6, "in")
	env := livetest.NewEnv(t)
	opts := func() map[string]string {
		return map[string]string{"brokers": addr, "topic": "in", "group": "g", "start": "group"}
	}
	sc := schema("v VARCHAR", "_partition BIGINT")
	a, b := open(t, env, sc, opts()), open(t, env, sc, opts())
	owned := func(s *Source) []int32 {
		s.mu.Lock()
		defer s.mu.Unlock()
		var ps []int32
		for p := range s.assigned {
			ps = append(ps, p)
		}
		slices.Sort(ps)
		return ps
	}
	deadline := time.Now().Add(wait)
	for {
		for _, s := range []*Source{a, b} {
			if bt, err := s.Next(context.Background(), 10); err == nil {
				t.Fatalf("a row before any record: %v", livetest.Render(bt))
			}
		}
		pa, pb := owned(a), owned(b)
		if len(pa) == 3 && len(pb) == 3 && !slices.ContainsFunc(pa, func(p int32) bool { return slices.Contains(pb, p) }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("partitions not shared: %v and %v", pa, pb)
		}
		time.Sleep(time.Millisecond)
	}
	var recs []*kgo.Record
	for i := range 60 {
		recs = append(recs, vals("in", int32(i%6), fmt.Sprintf(`{"v":"r%d"}`, i))...)
	}
	produce(t, addr, recs...)
	var rows []string
	for len(rows) < 60 {
		for _, s := range []*Source{a, b} {
			bt, err := s.Next(context.Background(), 7)
			if errors.Is(err, connectors.ErrNoData) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range livetest.Render(bt) {
				p, _ := strconv.Atoi(r[strings.IndexByte(r, '|')+1:])
				if !slices.Contains(owned(s), int32(p)) {
					t.Fatalf("row %s from a partition the source does not own", r)
				}
				rows = append(rows, r)
			}
			bt.Release()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d rows of 60", len(rows))
		}
		time.Sleep(time.Millisecond)
	}
	slices.Sort(rows)
	if len(rows) != 60 || len(slices.Compact(rows)) != 60 {
		t.Fatalf("rows %v", rows)
	}
	// A member commits only the partitions it owns, though its position
	// names others (read before a rebalance took them away).
	if err := a.CheckpointComplete([]byte(`{"topic":"in","offsets":{"0":10,"1":10,"2":10,"3":10,"4":10,"5":10}}`)); err != nil {
		t.Fatal(err)
	}
	var got []int32
	for p, n := range committed(t, addr, "g", "in") {
		if n != 10 {
			t.Fatalf("partition %d committed at %d", p, n)
		}
		got = append(got, p)
	}
	slices.Sort(got)
	if !slices.Equal(got, owned(a)) {
		t.Fatalf("committed partitions %v, the member owns %v", got, owned(a))
	}
}
