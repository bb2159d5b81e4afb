package nexmark

import (
	"context"
	"testing"
)

// BenchmarkBid generates the bid table, every column, in batches of 8192
// rows and reports rows per second.
func BenchmarkBid(b *testing.B) { benchKind(b, Bid) }

// BenchmarkPerson and BenchmarkAuction do the same for the other kinds.
func BenchmarkPerson(b *testing.B)  { benchKind(b, Person) }
func BenchmarkAuction(b *testing.B) { benchKind(b, Auction) }

func benchKind(b *testing.B, k Kind) {
	src := open(b, fullSchema(k), map[string]string{"nexmark.table.type": k.String()})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for b.Loop() {
		batch, err := src.Next(ctx, 8192)
		if err != nil {
			b.Fatal(err)
		}
		rows += int(batch.NumRows())
		batch.Release()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
