package format

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchLines makes about size bytes of lines from line(i).
func benchLines(size int, line func(r *rand.Rand, i int) string) []byte {
	r := rand.New(rand.NewPCG(7, 8))
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		b.WriteString(line(r, i))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

var words = []string{"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "stream", "window"}

func textLine(r *rand.Rand, _ int) string {
	var b bytes.Buffer
	for n := 1 + r.IntN(8); n > 0; n-- {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

const benchTS = 1704067200000

func csvLine(r *rand.Rand, i int) string {
	return fmt.Sprintf("%s,%d,/page/%d,%.3f,%v", FormatTimestamp(benchTS + int64(i)*37)[:23], r.IntN(100000), r.IntN(1000), r.Float64()*100, r.IntN(2) == 1)
}

func jsonLine(r *rand.Rand, i int) string {
	return fmt.Sprintf(`{"ts":"%s","user_id":%d,"url":"/page/%d","score":%.3f,"ok":%v}`, FormatTimestamp(benchTS+int64(i)*37), r.IntN(100000), r.IntN(1000), r.Float64()*100, r.IntN(2) == 1)
}

var clickCols = []string{"ts TIMESTAMP", "user_id BIGINT", "url VARCHAR", "score DOUBLE", "ok BOOLEAN"}

// benchDecode decodes data in 4 MiB chunks into batches of 64Ki rows.
func benchDecode(b *testing.B, format string, schema *arrow.Schema, opts map[string]string, data []byte) {
	mem := memory.NewGoAllocator()
	dec, err := NewDecoder(format, schema, opts, mem)
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Release()
	rows := 0
	b.SetBytes(int64(len(data)))
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		rest := data
		for len(rest) > 0 {
			chunk := rest[:min(len(rest), 4<<20)]
			n, full, err := dec.Decode(chunk, 64<<10, len(chunk) == len(rest), nil)
			if err != nil {
				b.Fatal(err)
			}
			rest = rest[n:]
			if full || len(rest) == 0 {
				batch := dec.Flush()
				rows += int(batch.NumRows())
				batch.Release()
			}
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds()/1e6, "Mrows/s")
	// MB per second of the process's CPU time: the figure that holds on
	// a shared machine.
	b.ReportMetric(float64(len(data))*float64(b.N)/(cpuTime()-cpu0).Seconds()/1e6, "MB/cpu-s")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkTextDecode(b *testing.B) {
	benchDecode(b, "text", schemaOf("line VARCHAR"), nil, benchLines(16<<20, textLine))
}

func BenchmarkCSVDecode(b *testing.B) {
	benchDecode(b, "csv", schemaOf(clickCols...), map[string]string{"header": "false"}, benchLines(16<<20, csvLine))
}

func BenchmarkJSONDecode(b *testing.B) {
	benchDecode(b, "json", schemaOf(clickCols...), nil, benchLines(16<<20, jsonLine))
}

func BenchmarkJSONEncode(b *testing.B) {
	benchEncode(b, "json")
}

func BenchmarkCSVEncode(b *testing.B) {
	benchEncode(b, "csv")
}

func benchEncode(b *testing.B, format string) {
	dec, _ := NewDecoder("json", schemaOf(clickCols...), nil, nil)
	dec.Decode(benchLines(8<<20, jsonLine), 0, true, nil)
	batch := dec.Flush()
	defer batch.Release()
	dec.Release()
	var n countWriter
	enc, err := NewEncoder(format, batch.Schema(), &n, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		enc.Encode(batch)
		enc.Flush()
	}
	b.SetBytes(n.n / int64(b.N))
	b.ReportMetric(float64(batch.NumRows())*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
