package datagen

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live/livetest"
)

var fiveTypes = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: tsType}, {Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64}, {Name: "word", Type: arrow.BinaryTypes.String},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean},
}, nil)

func benchSpec(opts map[string]string) connectors.SourceSpec {
	return connectors.SourceSpec{Table: "t", Schema: fiveTypes, Options: opts, Alloc: memory.DefaultAllocator,
		BadRow: func(connectors.BadRow) error { return nil }, Log: livetest.Discard}
}

// BenchmarkGenerate is the generator's speed without rate control: rows
// of five columns (TIMESTAMP, BIGINT, DOUBLE, a VARCHAR word, BOOLEAN) in
// batches of 8192.
func BenchmarkGenerate(b *testing.B) {
	src, err := NewSource(benchSpec(nil))
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	s := src.(*Source)
	rows := 0
	for b.Loop() {
		batch := s.generate(maxBatchRows, 0, 1000)
		rows += maxBatchRows
		batch.Release()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRate runs the source at 200k and 2M rows/s for one second
// while draining it, and reports the rate achieved.
func BenchmarkRate(b *testing.B) {
	for _, rate := range []string{"200000", "2000000"} {
		b.Run(rate, func(b *testing.B) {
			for b.Loop() {
				src, _ := NewSource(benchSpec(map[string]string{"rows_per_second": rate}))
				start := time.Now()
				src.(connectors.Starter).Start(context.Background())
				rows := 0
				for time.Since(start) < time.Second {
					batch, err := src.Next(context.Background(), 1<<20)
					if errors.Is(err, connectors.ErrNoData) {
						time.Sleep(time.Millisecond)
						continue
					}
					rows += int(batch.NumRows())
					batch.Release()
				}
				b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
				src.Close()
			}
		})
	}
}
