package kafka

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live/livetest"
)

// BenchmarkSourceJSON reads b.N small JSON records from a kfake topic of
// 3 partitions, in batches of 8192 rows.
func BenchmarkSourceJSON(b *testing.B) {
	addr := cluster(b, 3, "in")
	var recs []*kgo.Record
	for i := range b.N {
		recs = append(recs, &kgo.Record{Topic: "in", Partition: int32(i % 3), Value: []byte(fmt.Sprintf(`{"word":"w%d","n":%d}`, i%100, i))})
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		b.Fatal(err)
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	cl.Close()
	env := livetest.NewEnv(b)
	src, err := NewSource(env.Spec(schema("word VARCHAR", "n BIGINT", "_offset BIGINT"), map[string]string{"connector": "kafka", "brokers": addr, "topic": "in"}))
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	src.(*Source).Start(context.Background())
	b.ResetTimer()
	got := 0
	for got < b.N {
		bt, err := src.Next(context.Background(), 8192)
		if errors.Is(err, connectors.ErrNoData) {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		got += int(bt.NumRows())
		bt.Release()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
