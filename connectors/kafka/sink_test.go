package kafka

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// TestSinkAppendFormats writes an append-only result without checkpoints
// in each format, with and without a key, and reads the records back.
func TestSinkAppendFormats(t *testing.T) {
	brokers := sinkTestCluster(t, 1, "out")
	for _, tc := range []struct {
		name   string
		schema *arrow.Schema
		batch  func() arrow.RecordBatch
		opts   map[string]string
		key    []string
		want   string
	}{
		{"json", wordCounts, func() arrow.RecordBatch { return countsBatch([]string{"a", "b,c"}, []int64{1, 2}) }, nil, nil,
			"<nil> => {\"word\":\"a\",\"n\":1}\n<nil> => {\"word\":\"b,c\",\"n\":2}"},
		{"csv", wordCounts, func() arrow.RecordBatch { return countsBatch([]string{"a", "b,c\nd"}, []int64{1, 2}) }, map[string]string{"format": "csv"}, nil,
			"<nil> => a,1\n<nil> => \"b,c\nd\",2"},
		{"csv delimiter", wordCounts, func() arrow.RecordBatch { return countsBatch([]string{"a"}, []int64{1}) }, map[string]string{"format": "csv", "delimiter": ";"}, nil,
			"<nil> => a;1"},
		{"text", nil, func() arrow.RecordBatch { return sinkLines("one line", "two\nlines") }, map[string]string{"format": "text"}, nil,
			"<nil> => one line\n<nil> => two\nlines"},
		{"key option text", wordCounts, func() arrow.RecordBatch { return countsBatch([]string{"a", "b"}, []int64{1, 2}) }, map[string]string{"key": "word"}, nil,
			"a => {\"word\":\"a\",\"n\":1}\nb => {\"word\":\"b\",\"n\":2}"},
		{"key option json", wordCounts, func() arrow.RecordBatch { return countsBatch([]string{"a"}, []int64{1}) }, map[string]string{"key": "n, word", "format": "csv"}, nil,
			"{\"n\":1,\"word\":\"a\"} => a,1"},
		{"primary key", wordCounts, func() arrow.RecordBatch { return countsBatch([]string{"a"}, []int64{1}) }, nil, []string{"n"},
			"{\"n\":1} => {\"word\":\"a\",\"n\":1}"},
		{"debezium", wordCounts, func() arrow.RecordBatch { return countsBatch([]string{"a"}, []int64{1}) }, map[string]string{"format": "debezium-json"}, nil,
			"<nil> => {\"before\":null,\"after\":{\"word\":\"a\",\"n\":1},\"op\":\"c\"}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := "out"
			b := tc.batch()
			schema := b.Schema()
			opts := map[string]string{"brokers": brokers, "topic": topic}
			for k, v := range tc.opts {
				opts[k] = v
			}
			before := len(sinkTestRead(t, brokers, topic))
			s := openTestSink(t, schema, opts, tc.key, "")
			if g := s.Guarantee(); g != "at least once" {
				t.Errorf("Guarantee() = %q", g)
			}
			sinkMust(t, s.Write(b))
			sinkMust(t, s.Commit(1))
			got := sinkTestRead(t, brokers, topic)[before:]
			if s := sinkRecordLines(got); s != tc.want {
				t.Errorf("got\n%s\nwant\n%s", s, tc.want)
			}
			sinkMust(t, s.Close())
		})
	}
}

// sinkRecordLines returns rs one per line, in order.
func sinkRecordLines(rs []sinkTestRecord) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return strings.Join(out, "\n")
}

// TestSinkUpsert writes an updating result as upserts keyed by the
// primary key: -U is skipped, -D is a tombstone. With debezium-json every
// change is an envelope.
func TestSinkUpsert(t *testing.T) {
	brokers := sinkTestCluster(t, 1, "up", "dbz", "upcsv")
	batch := func() arrow.RecordBatch {
		return countsBatch([]string{"a", "b", "a", "a", "b"}, []int64{1, 1, 1, 2, 1},
			vector.Insert, vector.Insert, vector.UpdateBefore, vector.UpdateAfter, vector.Delete)
	}
	s := openTestSink(t, updatingCounts, map[string]string{"brokers": brokers, "topic": "up"}, []string{"word"}, "")
	sinkMust(t, s.Write(batch()))
	sinkMust(t, s.Commit(1))
	sinkMust(t, s.Close())
	want := `a => {"word":"a","n":1}
b => {"word":"b","n":1}
a => {"word":"a","n":2}
b => <nil>`
	if got := sinkRecordLines(sinkTestRead(t, brokers, "up")); got != want {
		t.Errorf("upsert: got\n%s\nwant\n%s", got, want)
	}

	s = openTestSink(t, updatingCounts, map[string]string{"brokers": brokers, "topic": "upcsv", "format": "csv"}, []string{"word"}, "")
	sinkMust(t, s.Write(batch()))
	sinkMust(t, s.Commit(1))
	sinkMust(t, s.Close())
	want = "a => a,1\nb => b,1\na => a,2\nb => <nil>"
	if got := sinkRecordLines(sinkTestRead(t, brokers, "upcsv")); got != want {
		t.Errorf("upsert csv: got\n%s\nwant\n%s", got, want)
	}

	s = openTestSink(t, updatingCounts, map[string]string{"brokers": brokers, "topic": "dbz", "format": "debezium-json"}, []string{"word"}, "")
	sinkMust(t, s.Write(batch()))
	sinkMust(t, s.Commit(1))
	sinkMust(t, s.Close())
	want = `a => {"before":null,"after":{"word":"a","n":1},"op":"c"}
b => {"before":null,"after":{"word":"b","n":1},"op":"c"}
a => {"before":{"word":"a","n":1},"after":{"word":"a","n":2},"op":"u"}
b => {"before":{"word":"b","n":1},"after":null,"op":"d"}`
	if got := sinkRecordLines(sinkTestRead(t, brokers, "dbz")); got != want {
		t.Errorf("debezium: got\n%s\nwant\n%s", got, want)
	}
}

// TestSinkRefuses checks the messages of options and results the sink
// cannot write.
func TestSinkRefuses(t *testing.T) {
	brokers := sinkTestCluster(t, 1, "out")
	for _, tc := range []struct {
		schema  *arrow.Schema
		opts    map[string]string
		key     []string
		checkpt bool
		want    string
	}{
		{updatingCounts, map[string]string{"topic": "out"}, nil, false,
			"table out: the query's result is updating, and the Kafka sink writes it as upserts keyed by the result's key (as Flink's upsert-kafka does): " +
				"declare it in the CREATE TABLE of out as PRIMARY KEY (...) NOT ENFORCED, or set option key, or write format = 'debezium-json'"},
		{wordCounts, map[string]string{"topic": "nope"}, nil, false,
			fmt.Sprintf("table out: Kafka topic \"nope\" does not exist on %s: create it first (kafka-topics.sh --create --topic nope)", brokers)},
		{wordCounts, map[string]string{"topic": "out", "key": "w"}, nil, false,
			"table out: key column \"w\" is not a column of the result (word, n)"},
		{wordCounts, map[string]string{"topic": "out", "delivery": "exactly-once"}, nil, false,
			"table out: option delivery = 'exactly-once' needs a checkpointed query: run it with --checkpoint-dir, or set delivery = 'at-least-once'"},
		{wordCounts, map[string]string{"topic": "out", "format": "text"}, nil, false,
			"table out: format 'text' writes exactly one VARCHAR column, but the query outputs (word VARCHAR, n BIGINT)"},
		{wordCounts, map[string]string{"topic": "out"}, nil, true,
			"table out: exactly-once delivery keeps each checkpoint's output in a state directory until the checkpoint is durable, and none was given"},
	} {
		opts := map[string]string{"connector": "kafka", "brokers": brokers}
		for k, v := range tc.opts {
			opts[k] = v
		}
		_, err := NewSink(connectors.SinkSpec{Table: "out", Schema: tc.schema, Options: opts, Key: tc.key, Checkpointed: tc.checkpt})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v\nwant %s", tc.opts, err, tc.want)
		}
	}
	// Unreachable brokers fail at start.
	defer func(d time.Duration) { sinkStartTimeout = d }(sinkStartTimeout)
	sinkStartTimeout = time.Second
	_, err := NewSink(connectors.SinkSpec{Table: "out", Schema: wordCounts,
		Options: map[string]string{"connector": "kafka", "brokers": "127.0.0.1:1", "topic": "out"}})
	if err == nil || !strings.HasPrefix(err.Error(), "table out: cannot reach the Kafka brokers 127.0.0.1:1: ") {
		t.Errorf("unreachable brokers: %v", err)
	}
	// The CREATE TABLE check.
	check := SinkConfig().Check
	if err := check(wordCounts, map[string]string{"key": "word,x"}); err == nil || err.Error() != `option key: "x" is not a column of the table (word, n)` {
		t.Errorf("check key: %v", err)
	}
	if err := check(wordCounts, map[string]string{"format": "text"}); err == nil || err.Error() != `option format: 'text' writes exactly one VARCHAR column, the table has (word, n): use format 'json' or 'csv'` {
		t.Errorf("check text: %v", err)
	}
}
