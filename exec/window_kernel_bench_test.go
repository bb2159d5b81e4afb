package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// kernelWordBatches unnests kernelLineBatches into word batches (one per
// 8192 lines, ~128k words each) and adds a processing-time column that
// moves on by 100ms per batch, as PROCTIME() does for a socket word count
// with several batches per window.
func kernelWordBatches(tb testing.TB, mem memory.Allocator, lines int) ([]arrow.RecordBatch, []int64, int64) {
	in, _, words := kernelLineBatches(tb, mem, lines)
	u, err := NewUnnest(mem, kernelLineSchema, 0, " ")
	if err != nil {
		tb.Fatal(err)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "word", Type: vector.String, Nullable: true},
		{Name: "pt", Type: vector.Timestamp, Nullable: true},
	}, nil)
	var out []arrow.RecordBatch
	var times []int64
	for i, bt := range in {
		ws, err := u.Process(bt)
		if err != nil {
			tb.Fatal(err)
		}
		for _, w := range ws {
			t := int64(i) * 100
			tsb := array.NewTimestampBuilder(mem, vector.Timestamp.(*arrow.TimestampType))
			for range w.NumRows() {
				tsb.Append(arrow.Timestamp(t))
			}
			ts := tsb.NewArray()
			tsb.Release()
			out = append(out, array.NewRecordBatch(schema, []arrow.Array{w.Column(0), ts}, w.NumRows()))
			times = append(times, t)
			ts.Release()
			w.Release()
		}
	}
	return out, times, words
}

// BenchmarkWindowAggWords is the aggregation of a word count: COUNT(*)
// GROUP BY word over ~1M Zipf words in batches of ~128k, as a plain GROUP
// BY (emitted at the end) and as TUMBLE windows of 500ms over processing
// time (5 batches each, emitted as the watermark passes, like a socket
// run's).
func BenchmarkWindowAggWords(b *testing.B) {
	mem := memory.NewGoAllocator()
	batches, times, words := kernelWordBatches(b, mem, 64<<10)
	defer releaseKernelBatches(batches)
	for _, c := range []struct {
		name string
		spec WindowSpec
	}{
		{"group_by", WindowSpec{Kind: NoWindow}},
		{"tumble_500ms", WindowSpec{Kind: Tumble, TimeCol: 1, Size: 500, Slide: 500}},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := WindowAggConfig{Input: batches[0].Schema(), Keys: []int{0}, KeyNames: []string{"word"}, Alloc: mem,
				Window: c.spec, Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}}
			b.ReportAllocs()
			for b.Loop() {
				w, err := NewWindowAgg(cfg)
				if err != nil {
					b.Fatal(err)
				}
				var sum int64
				count := func(out []arrow.RecordBatch) {
					for _, o := range out {
						n := o.Schema().FieldIndices("n")[0] // windows add their bounds
						for _, n := range o.Column(n).(*array.Int64).Int64Values() {
							sum += n
						}
						o.Release()
					}
				}
				for i, bt := range batches {
					bt.Retain()
					out, err := w.Process(bt)
					if err != nil {
						b.Fatal(err)
					}
					count(out)
					if c.spec.Kind != NoWindow {
						if out, err = w.Advance(times[i] + 100); err != nil {
							b.Fatal(err)
						}
						count(out)
					}
				}
				out, err := w.Advance(MaxWatermark)
				if err != nil {
					b.Fatal(err)
				}
				count(out)
				w.Close()
				if sum != words {
					b.Fatalf("counts sum to %d, want %d", sum, words)
				}
			}
			b.ReportMetric(float64(words)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mwords/s")
		})
	}
}
