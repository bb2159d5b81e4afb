package postgres

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/connectors/postgres/pgtest"
)

// benchRows is the size of one micro-batch in the benchmarks.
const benchRows = 10000

func wordBatch(t testing.TB, round int) arrow.RecordBatch {
	rows := make([][]any, benchRows)
	for i := range rows {
		rows[i] = []any{fmt.Sprintf("w%d", i), round*benchRows + i}
	}
	return batch(t, wordSchema, rows...)
}

// BenchmarkInsert: rows/s of an append-only result without a key (COPY),
// one transaction per micro-batch of benchRows rows.
func BenchmarkInsert(b *testing.B) { benchSink(b, nil) }

// BenchmarkUpsert: rows/s of a keyed result (INSERT ... ON CONFLICT in
// pipelined batches), every row an update of an existing key after the
// first round.
func BenchmarkUpsert(b *testing.B) { benchSink(b, []string{"word"}) }

func benchSink(b *testing.B, key []string) {
	dsn := pgtest.Start(b)
	s, err := newSink(b, dsn, "bench", wordSchema, key, "")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Write(wordBatch(b, i)); err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(int64(i + 1)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchRows)/b.Elapsed().Seconds(), "rows/s")
}
