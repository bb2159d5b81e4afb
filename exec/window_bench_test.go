package exec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

const (
	winBenchEvents = 2_000_000
	winBenchBatch  = 8192
	winBenchKeys   = 100
	winBenchStepMs = 5 // 200 events per second of event time
)

var winBenchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: vector.Timestamp, Nullable: true},
	{Name: "k", Type: vector.Int64, Nullable: true},
	{Name: "v", Type: vector.Float64, Nullable: true},
}, nil)

// winBenchBatches is 2,000,000 in-order events, 200 per second, over 100
// dense keys, in batches of 8192 rows; and each batch's largest time.
func winBenchBatches(mem memory.Allocator) ([]arrow.RecordBatch, []int64) {
	r := rand.New(rand.NewPCG(1, 2))
	var out []arrow.RecordBatch
	var wms []int64
	for at := 0; at < winBenchEvents; at += winBenchBatch {
		n := min(winBenchBatch, winBenchEvents-at)
		tb := array.NewTimestampBuilder(mem, vector.Timestamp.(*arrow.TimestampType))
		kb := array.NewInt64Builder(mem)
		vb := array.NewFloat64Builder(mem)
		for i := at; i < at+n; i++ {
			tb.Append(arrow.Timestamp(int64(i) * winBenchStepMs))
			kb.Append(int64(r.IntN(winBenchKeys)))
			vb.Append(float64(r.IntN(1_000_000)) / 100)
		}
		cols := []arrow.Array{tb.NewArray(), kb.NewArray(), vb.NewArray()}
		out = append(out, array.NewRecordBatch(winBenchSchema, cols, int64(n)))
		wms = append(wms, int64(at+n-1)*winBenchStepMs)
		for _, c := range cols {
			c.Release()
		}
		tb.Release()
		kb.Release()
		vb.Release()
	}
	return out, wms
}

// winBenchRun feeds every batch to a new WindowAgg, advancing the
// watermark to the batch's largest time after each, then to the end.
func winBenchRun(b *testing.B, spec WindowSpec) {
	winBenchRunAggs(b, spec, []AggSpec{
		{Func: CountStar, Arg: -1, Name: "n"}, {Func: Sum, Arg: 2, Name: "s"},
		{Func: Min, Arg: 2, Name: "lo"}, {Func: Max, Arg: 2, Name: "hi"},
	})
}

// winBenchRunAggs is winBenchRun with the aggregates aggs.
func winBenchRunAggs(b *testing.B, spec WindowSpec, aggs []AggSpec) {
	mem := memory.NewGoAllocator()
	batches, wms := winBenchBatches(mem)
	defer func() {
		for _, bt := range batches {
			bt.Release()
		}
	}()
	cfg := WindowAggConfig{
		Input: winBenchSchema, Keys: []int{1}, KeyNames: []string{"k"}, Alloc: mem, Window: spec, Aggs: aggs,
	}
	var outRows int64
	release := func(bs []arrow.RecordBatch) {
		for _, o := range bs {
			outRows += o.NumRows()
			o.Release()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		outRows = 0
		w, err := NewWindowAgg(cfg)
		if err != nil {
			b.Fatal(err)
		}
		for i, bt := range batches {
			bt.Retain()
			if _, err := w.Process(bt); err != nil {
				b.Fatal(err)
			}
			out, err := w.Advance(wms[i])
			if err != nil {
				b.Fatal(err)
			}
			release(out)
		}
		out, err := w.Advance(MaxWatermark)
		if err != nil {
			b.Fatal(err)
		}
		release(out)
		w.Close()
	}
	b.ReportMetric(float64(winBenchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(outRows), "rows_out")
}

// BenchmarkHopRatio is HOP with a 1 s slide and a 10 s or a 600 s window:
// the cost per batch must not grow with size/slide.
func BenchmarkHopRatio(b *testing.B) {
	for _, ratio := range []int64{10, 600} {
		b.Run(fmt.Sprintf("size_over_slide=%d", ratio), func(b *testing.B) {
			winBenchRun(b, WindowSpec{Kind: Hop, TimeCol: 0, Size: ratio * 1000, Slide: 1000})
		})
	}
}

// BenchmarkTumble is TUMBLE with a 10 s window over the same events.
func BenchmarkTumble(b *testing.B) {
	winBenchRun(b, WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10_000, Slide: 10_000})
}

// BenchmarkGroupBy is a plain GROUP BY over the same events.
func BenchmarkGroupBy(b *testing.B) {
	winBenchRun(b, WindowSpec{Kind: NoWindow})
}

// BenchmarkHopRatioDistinct is BenchmarkHopRatio with COUNT(DISTINCT v)
// (the running multiset takes each pane in and out once: the cost per
// batch must not grow with size/slide) and APPROX_COUNT_DISTINCT(v) (its
// sketches are merged when a window fires: that cost grows with the panes
// per window).
func BenchmarkHopRatioDistinct(b *testing.B) {
	for _, agg := range []AggSpec{{Func: Count, Arg: 2, Name: "d", Distinct: true}, {Func: ApproxCountDistinct, Arg: 2, Name: "a"}} {
		for _, ratio := range []int64{10, 600} {
			b.Run(fmt.Sprintf("%s/size_over_slide=%d", agg.Name, ratio), func(b *testing.B) {
				winBenchRunAggs(b, WindowSpec{Kind: Hop, TimeCol: 0, Size: ratio * 1000, Slide: 1000}, []AggSpec{agg})
			})
		}
	}
}
