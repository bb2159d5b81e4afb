package exec

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/bench"
	"github.com/weirdb/weir/vector"
)

// kernelLineSchema is the text table of `weir bench`: one VARCHAR column.
var kernelLineSchema = arrow.NewSchema([]arrow.Field{{Name: "line", Type: vector.String, Nullable: true}}, nil)

// kernelLineBatches is `weir bench`'s text (~100-byte lines of Zipf
// words) as batches of 8192 lines, the file source's batch size; and the
// text's size and word count.
func kernelLineBatches(tb testing.TB, mem memory.Allocator, lines int) ([]arrow.RecordBatch, int64, int64) {
	var text bytes.Buffer
	st, err := bench.GenerateText(&text, bench.DefaultText(lines, 1), nil)
	if err != nil {
		tb.Fatal(err)
	}
	var out []arrow.RecordBatch
	bld := array.NewStringBuilder(mem)
	defer bld.Release()
	flush := func() {
		arr := bld.NewArray()
		out = append(out, array.NewRecordBatch(kernelLineSchema, []arrow.Array{arr}, int64(arr.Len())))
		arr.Release()
	}
	for _, line := range bytes.Split(bytes.TrimSuffix(text.Bytes(), []byte{'\n'}), []byte{'\n'}) {
		bld.BinaryBuilder.Append(line)
		if bld.Len() == 8192 {
			flush()
		}
	}
	if bld.Len() > 0 {
		flush()
	}
	return out, st.Bytes, st.Words
}

func releaseKernelBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// BenchmarkUnnestLines is the split of a word count:
// UNNEST(STRING_TO_ARRAY(line, ' ')) over 64Ki lines of ~100 bytes (about
// 1M words), in batches of 8192 lines.
func BenchmarkUnnestLines(b *testing.B) {
	mem := memory.NewGoAllocator()
	batches, size, words := kernelLineBatches(b, mem, 64<<10)
	defer releaseKernelBatches(batches)
	u, err := NewUnnest(mem, kernelLineSchema, 0, " ")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		var got int64
		for _, bt := range batches {
			bt.Retain()
			out, err := u.Process(bt)
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range out {
				got += o.NumRows()
				o.Release()
			}
		}
		if got != words {
			b.Fatalf("%d words, want %d", got, words)
		}
	}
	b.ReportMetric(float64(words)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mwords/s")
}
