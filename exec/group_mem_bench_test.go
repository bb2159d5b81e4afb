package exec

import (
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// memBenchKeys is how many distinct BIGINT keys the state benchmarks hold.
const memBenchKeys = 1_000_000

var memBenchSchema = arrow.NewSchema([]arrow.Field{{Name: "k", Type: vector.Int64, Nullable: true}}, nil)

// memBenchFeed feeds keys 0..memBenchKeys-1 (each once, in scrambled
// order) to op in batches of 8192 rows, building each batch on the fly so
// that the input does not stay in the heap.
func memBenchFeed(b *testing.B, op Operator) {
	for at := 0; at < memBenchKeys; at += 8192 {
		n := min(8192, memBenchKeys-at)
		kb := array.NewInt64Builder(memory.DefaultAllocator)
		kb.Reserve(n)
		for i := at; i < at+n; i++ {
			kb.UnsafeAppend(int64(uint64(i) * 0x9e3779b97f4a7c15 >> 1))
		}
		k := kb.NewArray()
		kb.Release()
		bt := array.NewRecordBatch(memBenchSchema, []arrow.Array{k}, int64(n))
		k.Release()
		if _, err := op.Process(bt); err != nil {
			b.Fatal(err)
		}
	}
}

// memBenchHeap is the heap in use after a full collection.
func memBenchHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkGroupStateBytes reports the heap a GROUP BY over 1,000,000
// distinct BIGINT keys with COUNT(*) holds per key (B/key), for the
// bounded aggregate (WindowAgg without a window, before its result is
// emitted), the same with a tumbling window holding every key, and the
// updating aggregate (after the changes of every batch are emitted).
func BenchmarkGroupStateBytes(b *testing.B) {
	aggs := []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}
	measure := func(b *testing.B, mk func() Operator, advance bool) {
		for b.Loop() {
			before := memBenchHeap()
			op := mk()
			memBenchFeed(b, op)
			if advance {
				out, err := op.Advance(0)
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range out {
					o.Release()
				}
			}
			after := memBenchHeap()
			b.ReportMetric(float64(int64(after)-int64(before))/memBenchKeys, "B/key")
			runtime.KeepAlive(op)
		}
	}
	b.Run("window-agg-no-window", func(b *testing.B) {
		measure(b, func() Operator {
			w, err := NewWindowAgg(WindowAggConfig{Input: memBenchSchema, Keys: []int{0}, KeyNames: []string{"k"}, Aggs: aggs})
			if err != nil {
				b.Fatal(err)
			}
			return w
		}, false)
	})
	b.Run("updating", func(b *testing.B) {
		measure(b, func() Operator {
			u, err := NewUpdatingAgg(UpdatingAggConfig{Input: memBenchSchema, Keys: []int{0}, KeyNames: []string{"k"}, Aggs: aggs})
			if err != nil {
				b.Fatal(err)
			}
			return u
		}, true)
	})
}
