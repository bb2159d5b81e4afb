package nexmark

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

// BenchmarkBid generates the bid table, every column, in batches of 8192
// rows and reports rows per second of wall time and of the process's CPU
// time (rows/cpu-s: the figure that holds on a shared machine).
func BenchmarkBid(b *testing.B) { benchKind(b, Bid) }

// BenchmarkPerson and BenchmarkAuction do the same for the other kinds.
func BenchmarkPerson(b *testing.B)  { benchKind(b, Person) }
func BenchmarkAuction(b *testing.B) { benchKind(b, Auction) }

// BenchmarkBidAhead generates bids on 2 workers (parallelism 2).
func BenchmarkBidAhead(b *testing.B) {
	benchSource(b, openPar(b, Bid, nil, 2, memory.DefaultAllocator))
}

func benchKind(b *testing.B, k Kind) {
	benchSource(b, open(b, fullSchema(k), map[string]string{"nexmark.table.type": k.String()}))
}

func benchSource(b *testing.B, src connectors.Source) {
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := cpuTime()
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
	b.ReportMetric(float64(rows)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
