package exec

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// topnBenchBatches are Nexmark-like bids (auction, bidder, price,
// channel, url, dateTime, extra) in batches of 4096 rows.
func topnBenchBatches(rows int) (*arrow.Schema, []arrow.RecordBatch) {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "auction", Type: vector.Int64, Nullable: true}, {Name: "bidder", Type: vector.Int64, Nullable: true},
		{Name: "price", Type: vector.Int64, Nullable: true}, {Name: "channel", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "url", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "dateTime", Type: vector.Timestamp, Nullable: true},
		{Name: "extra", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	r := rand.New(rand.NewPCG(1, 2))
	var out []arrow.RecordBatch
	for done := 0; done < rows; {
		n := min(4096, rows-done)
		b := array.NewRecordBuilder(memory.DefaultAllocator, s)
		for i := range n {
			b.Field(0).(*array.Int64Builder).Append(int64(r.IntN(10000)))
			b.Field(1).(*array.Int64Builder).Append(int64(r.IntN(100000)))
			b.Field(2).(*array.Int64Builder).Append(int64(r.IntN(1000000)))
			b.Field(3).(*array.StringBuilder).Append("Google")
			b.Field(4).(*array.StringBuilder).Append("https://www.nexmark.com/aaaa/bbbb/item.htm?query=1")
			b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(1704067200000 + int64(done+i)))
			b.Field(6).(*array.StringBuilder).Append("")
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
		done += n
	}
	return s, out
}

// BenchmarkTopNQ19 runs 1M bids through q19's Top-N (top 10 prices per
// auction), one Advance per batch.
func BenchmarkTopNQ19(b *testing.B) {
	s, batches := topnBenchBatches(1 << 20)
	b.ResetTimer()
	for range b.N {
		op, err := NewTopN(TopNConfig{Input: s, Partition: []int{0}, Order: []SortKey{{Col: 2, Desc: true}},
			N: 10, RankName: "rn", Rank: true, WindowEnd: -1})
		if err != nil {
			b.Fatal(err)
		}
		for _, in := range batches {
			in.Retain()
			if _, err := op.Process(in); err != nil {
				b.Fatal(err)
			}
			out, err := op.Advance(0)
			if err != nil {
				b.Fatal(err)
			}
			releaseBatches(out)
		}
		b.ReportMetric(float64(op.Stats().StateBytes), "state-bytes")
		op.Close()
	}
	b.ReportMetric(float64(1<<20)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
