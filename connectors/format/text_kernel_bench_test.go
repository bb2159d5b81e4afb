package format

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/bench"
)

// BenchmarkTextDecodeBenchLines splits `weir bench`'s text (~100-byte
// lines of Zipf words, 1% holding ERROR; 64Ki lines, ~6.5 MB) into rows,
// in 4 MiB chunks and batches of 8192 rows as the file source does:
// "all" keeps every line (wordcount), "contains" only those holding
// ERROR, found by one search over each chunk (grep's LIKE '%ERROR%'
// pushed into the decoder).
func BenchmarkTextDecodeBenchLines(b *testing.B) {
	var text bytes.Buffer
	st, err := bench.GenerateText(&text, bench.DefaultText(64<<10, 1), nil)
	if err != nil {
		b.Fatal(err)
	}
	data := text.Bytes()
	for _, c := range []struct {
		name     string
		contains string
		want     int64
	}{
		{"all", "", st.Lines},
		{"contains", "ERROR", st.Matches},
	} {
		b.Run(c.name, func(b *testing.B) {
			mem := memory.NewGoAllocator()
			dec, err := NewDecoder("text", schemaOf("line VARCHAR"), nil, mem)
			if err != nil {
				b.Fatal(err)
			}
			defer dec.Release()
			if c.contains != "" {
				dec.(ContainsFilter).SetContains(c.contains)
			}
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var rows int64
				rest := data
				for len(rest) > 0 {
					chunk := rest[:min(len(rest), 4<<20)]
					n, full, err := dec.Decode(chunk, 8192, len(chunk) == len(rest), nil)
					if err != nil {
						b.Fatal(err)
					}
					rest = rest[n:]
					if full || len(rest) == 0 || n == 0 {
						batch := dec.Flush()
						rows += batch.NumRows()
						batch.Release()
					}
				}
				if rows != c.want {
					b.Fatalf("%d rows, want %d", rows, c.want)
				}
			}
			b.ReportMetric(float64(st.Lines)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mlines/s")
		})
	}
}
