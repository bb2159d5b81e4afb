package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkUpdatingAgg folds 8192-row batches over 10,000 keys into
// COUNT, SUM and MAX, emitting the changes after each batch, beside the
// same aggregation kept by WindowAgg without a window (emitted once).
func BenchmarkUpdatingAgg(b *testing.B) {
	s := updInput(false)
	bb := array.NewRecordBuilder(memory.DefaultAllocator, s)
	for i := range 8192 {
		bb.Field(0).(*array.Int64Builder).Append(int64(i*7919) % 10000)
		bb.Field(1).(*array.Int64Builder).Append(int64(i % 97))
	}
	in := bb.NewRecordBatch()
	bb.Release()
	defer in.Release()
	aggs := []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}, {Func: Sum, Arg: 1, Name: "s"}, {Func: Max, Arg: 1, Name: "m"}}
	run := func(b *testing.B, op Operator) {
		b.SetBytes(8192 * 16)
		for b.Loop() {
			in.Retain()
			if _, err := op.Process(in); err != nil {
				b.Fatal(err)
			}
			out, err := op.Advance(0)
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range out {
				o.Release()
			}
		}
	}
	b.Run("updating", func(b *testing.B) {
		u, err := NewUpdatingAgg(UpdatingAggConfig{Input: s, Keys: []int{0}, KeyNames: []string{"k"}, Aggs: aggs})
		if err != nil {
			b.Fatal(err)
		}
		run(b, u)
	})
	b.Run("window-agg-no-window", func(b *testing.B) {
		w, err := NewWindowAgg(WindowAggConfig{Input: s, Keys: []int{0}, KeyNames: []string{"k"}, Aggs: aggs})
		if err != nil {
			b.Fatal(err)
		}
		run(b, w)
	})
}
