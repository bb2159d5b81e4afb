package exec

import (
	"fmt"
	"maps"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// splitCountWant counts the pieces of lines as Unnest then COUNT(*) GROUP
// BY piece would: nil (NULL) and empty lines have none.
func splitCountWant(lines []*string, sep string, skipEmpty bool) map[string]int64 {
	want := map[string]int64{}
	for _, l := range lines {
		if l == nil || *l == "" {
			continue
		}
		for _, p := range strings.Split(*l, sep) {
			if p != "" || !skipEmpty {
				want[p]++
			}
		}
	}
	return want
}

func splitCountBatch(mem memory.Allocator, lines []*string) arrow.RecordBatch {
	bld := array.NewStringBuilder(mem)
	defer bld.Release()
	for _, l := range lines {
		if l == nil {
			bld.AppendNull()
		} else {
			bld.Append(*l)
		}
	}
	arr := bld.NewArray()
	defer arr.Release()
	return array.NewRecordBatch(kernelLineSchema, []arrow.Array{arr}, int64(arr.Len()))
}

// runSplitCount returns the operator's output for each batch, as maps,
// and the pieces' order within each batch.
func runSplitCount(t *testing.T, s *SplitCount, b arrow.RecordBatch) (map[string]int64, []string) {
	t.Helper()
	out, err := s.Process(b)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	var order []string
	for _, o := range out {
		w, n := o.Column(0).(*array.String), o.Column(1).(*array.Int64)
		for i := 0; i < int(o.NumRows()); i++ {
			if _, dup := got[w.Value(i)]; dup {
				t.Fatalf("piece %q emitted twice in one batch", w.Value(i))
			}
			got[w.Value(i)] = n.Value(i)
			order = append(order, w.Value(i))
		}
		o.Release()
	}
	return got, order
}

func strp(s string) *string { return &s }

func TestSplitCountEdges(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lines := []*string{
		strp("the quick  brown fox"), nil, strp(""), strp(" lead"), strp("trail "),
		strp(" "), strp("  "), strp("the"), strp("averyveryverylongwordindeed the"),
		strp("exactly8 exactly8"), strp("seven77 four 4444"), strp("ünïcödé ü"),
	}
	for _, skip := range []bool{false, true} {
		s, err := NewSplitCount(mem, kernelLineSchema, 0, " ", skip, "word", "n")
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the table is reused from batch to batch
			got, order := runSplitCount(t, s, splitCountBatch(mem, lines))
			if want := splitCountWant(lines, " ", skip); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("skipEmpty=%v:\n got %v\nwant %v", skip, got, want)
			}
			if order[0] != "the" || order[1] != "quick" {
				t.Fatalf("pieces not in order of first appearance: %q", order)
			}
		}
		s.Close()
	}
}

func TestSplitCountNoPieces(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, err := NewSplitCount(mem, kernelLineSchema, 0, ",", true, "word", "n")
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Process(splitCountBatch(mem, []*string{nil, strp(""), strp(",,")}))
	if err != nil || out != nil {
		t.Fatalf("got %v, %v; want no batch", out, err)
	}
}

func TestSplitCountRefusesSeparator(t *testing.T) {
	for _, sep := range []string{"", "ab", "é"} {
		if _, err := NewSplitCount(nil, kernelLineSchema, 0, sep, false, "w", "n"); err == nil {
			t.Errorf("separator %q accepted", sep)
		}
	}
}

// TestSplitCountRandom compares the operator with a plain split over
// random lines of few letters and separators (many empty and repeated
// pieces) and over many distinct pieces (the table grows).
func TestSplitCountRandom(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewSource(11))
	for round := range 40 {
		sep := string(",; x"[round%4])
		alphabet := "ab;, x"
		if round%5 == 4 {
			alphabet = "abcdefghijklmnopqrstuvwxyz0123456789;, x"
		}
		var lines []*string
		for range 1 + r.Intn(3000) {
			if r.Intn(20) == 0 {
				lines = append(lines, nil)
				continue
			}
			b := make([]byte, r.Intn(60))
			for i := range b {
				b[i] = alphabet[r.Intn(len(alphabet))]
			}
			lines = append(lines, strp(string(b)))
		}
		skip := round%2 == 0
		s, err := NewSplitCount(mem, kernelLineSchema, 0, sep, skip, "w", "n")
		if err != nil {
			t.Fatal(err)
		}
		b := splitCountBatch(mem, lines)
		// A slice of the batch (as exec.Sliced hands it) starts at a
		// non-zero offset.
		cut := len(lines) / 3
		part := b.NewSlice(int64(cut), int64(len(lines)))
		b.Release()
		got, _ := runSplitCount(t, s, part)
		want := splitCountWant(lines[cut:], sep, skip)
		if len(want) == 0 {
			want = map[string]int64{}
		}
		if !maps.Equal(got, want) {
			t.Fatalf("round %d sep %q skip %v: got %d pieces, want %d", round, sep, skip, len(got), len(want))
		}
		s.Close()
	}
}

// BenchmarkSplitCountLines is the fused split and per-batch count of a
// word count over the same lines as BenchmarkUnnestLines.
func BenchmarkSplitCountLines(b *testing.B) {
	mem := memory.NewGoAllocator()
	batches, size, words := kernelLineBatches(b, mem, 64<<10)
	defer releaseKernelBatches(batches)
	s, err := NewSplitCount(mem, kernelLineSchema, 0, " ", true, "word", "n")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		var got int64
		for _, bt := range batches {
			bt.Retain()
			out, err := s.Process(bt)
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range out {
				for _, n := range o.Column(1).(*array.Int64).Int64Values() {
					got += n
				}
				o.Release()
			}
		}
		if got != words {
			b.Fatalf("%d words, want %d", got, words)
		}
	}
	b.ReportMetric(float64(words)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mwords/s")
}

// TestSplitCountDropsLargeTable checks that the table of a batch of very
// many distinct pieces is not kept for the next batch, and that counting
// goes on right after.
func TestSplitCountDropsLargeTable(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s, err := NewSplitCount(mem, kernelLineSchema, 0, " ", true, "w", "n")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var b strings.Builder
	for i := range pieceTableKeep {
		fmt.Fprintf(&b, "w%d ", i)
	}
	big := b.String()
	lines := []*string{&big}
	got, _ := runSplitCount(t, s, splitCountBatch(mem, lines))
	if len(got) != pieceTableKeep || got["w7"] != 1 {
		t.Fatalf("%d pieces, w7 counted %d", len(got), got["w7"])
	}
	if len(s.t.slots) != 0 {
		t.Fatalf("%d slots kept after a batch of %d distinct pieces", len(s.t.slots), pieceTableKeep)
	}
	small := []*string{strp("a b a")}
	got, _ = runSplitCount(t, s, splitCountBatch(mem, small))
	if !maps.Equal(got, map[string]int64{"a": 2, "b": 1}) {
		t.Fatalf("after the large batch: %v", got)
	}
	if n := len(s.t.slots); n != pieceTableMin {
		t.Fatalf("%d slots after a small batch, want %d", n, pieceTableMin)
	}
}
