package kafka

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// sinkTestCluster starts a kfake cluster on 127.0.0.1 with the topics
// given, each of partitions partitions, and returns its brokers option.
func sinkTestCluster(t testing.TB, partitions int32, topics ...string) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return strings.Join(c.ListenAddrs(), ",")
}

// sinkTestRecord is a record as a read_committed consumer sees it.
type sinkTestRecord struct {
	key, value string // "<nil>" for null
}

func (r sinkTestRecord) String() string { return r.key + " => " + r.value }

func sinkNullable(b []byte) string {
	if b == nil {
		return "<nil>"
	}
	return string(b)
}

// sinkTestRead returns every committed record of topic, as a
// read_committed consumer sees it, in offset order per partition,
// partitions in order.
func sinkTestRead(t *testing.T, brokers, topic string) []sinkTestRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := kgo.NewClient(kgo.SeedBrokers(splitBrokers(brokers)...))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	parts, err := sinkPartitions(ctx, admin, splitBrokers(brokers), topic)
	if err != nil {
		t.Fatal(err)
	}
	end, err := sinkEndOffsets(ctx, admin, topic, parts, true)
	if err != nil {
		t.Fatal(err)
	}
	offs := map[int32]kgo.Offset{}
	left := map[int32]int64{}
	for p, e := range end {
		if e > 0 {
			offs[p] = kgo.NewOffset().AtStart()
			left[p] = e - 1
		}
	}
	byPart := map[int32][]sinkTestRecord{}
	if len(left) > 0 {
		cl, err := kgo.NewClient(kgo.SeedBrokers(splitBrokers(brokers)...),
			kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offs}),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords())
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		for len(left) > 0 {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("reading %s: %v (left %v)", topic, ctx.Err(), left)
			}
			fs.EachError(func(_ string, p int32, err error) { t.Fatalf("partition %d: %v", p, err) })
			fs.EachRecord(func(r *kgo.Record) {
				if r.Offset >= end[r.Partition] {
					return
				}
				if !r.Attrs.IsControl() {
					byPart[r.Partition] = append(byPart[r.Partition], sinkTestRecord{sinkNullable(r.Key), sinkNullable(r.Value)})
				}
				if l, ok := left[r.Partition]; ok && r.Offset >= l {
					delete(left, r.Partition)
				}
			})
		}
	}
	var out []sinkTestRecord
	for _, p := range parts {
		out = append(out, byPart[p]...)
	}
	return out
}

// sinkSortedRecords returns rs as sorted lines, for comparing multisets.
func sinkSortedRecords(rs []sinkTestRecord) string {
	lines := make([]string, len(rs))
	for i, r := range rs {
		lines[i] = r.String()
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// wordCounts is the schema of an append-only word count.
var wordCounts = arrow.NewSchema([]arrow.Field{
	{Name: "word", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// updatingCounts is the schema of an updating word count.
var updatingCounts = vector.WithOpColumn(wordCounts)

// countsBatch builds a batch of word counts; with kinds, of updatingCounts.
func countsBatch(words []string, ns []int64, kinds ...vector.RowKind) arrow.RecordBatch {
	schema := wordCounts
	if kinds != nil {
		schema = updatingCounts
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(words, nil)
	b.Field(1).(*array.Int64Builder).AppendValues(ns, nil)
	for _, k := range kinds {
		b.Field(2).(*array.Int8Builder).Append(int8(k))
	}
	return b.NewRecordBatch()
}

// lines builds a batch of one VARCHAR column.
func sinkLines(vals ...string) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{{Name: "line", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(vals, nil)
	return b.NewRecordBatch()
}

// openTestSink opens a Kafka sink of table "out" for query "q1".
func openTestSink(t testing.TB, schema *arrow.Schema, opts map[string]string, key []string, stateDir string) *Sink {
	t.Helper()
	o := map[string]string{"connector": "kafka"}
	for k, v := range opts {
		o[k] = v
	}
	s, err := NewSink(connectors.SinkSpec{Table: "out", Query: "q1", Schema: schema, Options: o, Key: key,
		Checkpointed: stateDir != "", StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Sink)
}

// crash drops the sink as a killed process would: nothing more is sent,
// no transaction is ended.
func (s *Sink) crash() {
	s.closed = true
	if s.spill != nil {
		s.spill.close()
	}
	s.cancel()
	s.cl.Close()
}

func sinkMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
