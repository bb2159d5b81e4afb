package vector

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/bench"
)

// kernelWordBatches splits the lines of `weir bench wordcount`'s text
// (Zipf words over a 50,000-word vocabulary) into string arrays of about
// perBatch words, and returns them with the total word count.
func kernelWordBatches(tb testing.TB, mem memory.Allocator, lines, perBatch int) ([]arrow.Array, int) {
	var text bytes.Buffer
	if _, err := bench.GenerateText(&text, bench.DefaultText(lines, 1), nil); err != nil {
		tb.Fatal(err)
	}
	var out []arrow.Array
	bld := array.NewStringBuilder(mem)
	defer bld.Release()
	total := 0
	for _, line := range bytes.Split(bytes.TrimSuffix(text.Bytes(), []byte{'\n'}), []byte{'\n'}) {
		for _, w := range bytes.Split(line, []byte{' '}) {
			bld.BinaryBuilder.Append(w)
			total++
		}
		if bld.Len() >= perBatch {
			out = append(out, bld.NewArray())
		}
	}
	if bld.Len() > 0 {
		out = append(out, bld.NewArray())
	}
	return out, total
}

// BenchmarkGroupTableInsertWords is the hashing and probing of a word
// count's GROUP BY word: GroupTable.Insert over batches of ~128k Zipf
// words (8192 lines of ~100 bytes each), 1M words in all. "cold" starts
// from an empty table each time; "warm" inserts into a table that holds
// every word already (hash, probe and compare only).
func BenchmarkGroupTableInsertWords(b *testing.B) {
	mem := memory.NewGoAllocator()
	batches, total := kernelWordBatches(b, mem, 64<<10, 128<<10)
	defer func() {
		for _, a := range batches {
			a.Release()
		}
	}()
	insertAll := func(g *GroupTable, ids []uint32) []uint32 {
		for _, a := range batches {
			ids, _ = g.Insert([]arrow.Array{a}, ids)
		}
		return ids
	}
	b.Run("cold", func(b *testing.B) {
		var ids []uint32
		for b.Loop() {
			g, err := NewGroupTable([]arrow.DataType{String})
			if err != nil {
				b.Fatal(err)
			}
			ids = insertAll(g, ids)
		}
		b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mwords/s")
	})
	b.Run("warm", func(b *testing.B) {
		g, err := NewGroupTable([]arrow.DataType{String})
		if err != nil {
			b.Fatal(err)
		}
		ids := insertAll(g, nil)
		for b.Loop() {
			ids = insertAll(g, ids)
		}
		b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mwords/s")
	})
}
