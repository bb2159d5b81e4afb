package nexmark

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

// firstThird is the test's transform: the first third of each batch
// (none of a batch of one or two rows).
func firstThird(b arrow.RecordBatch) (arrow.RecordBatch, error) {
	defer b.Release()
	k := b.NumRows() / 3
	if k == 0 {
		return nil, nil
	}
	return b.NewSlice(0, k), nil
}

// TestTransformOnWorkers: with a transform, a source generating ahead on
// 2 or 4 workers returns the transform of each batch it returns without
// one (batches the transform leaves empty skipped), with the same
// position after it; the rows read and returned are counted, each
// worker's transform is released at Close, and after Seek to a position
// read the same batches follow. A paced source refuses a transform.
func TestTransformOnWorkers(t *testing.T) {
	o := map[string]string{"nexmark.events": "30001"}
	for _, k := range []Kind{Person, Bid} {
		for _, maxRows := range []int{1, 4, 1000} {
			for _, n := range []int{2, 4} {
				name := fmt.Sprintf("%s/maxRows=%d/n=%d", k, maxRows, n)
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				// Without a transform, transformed here.
				src := openPar(t, k, o, n, mem)
				var want []step
				var wantRead, wantOut int64
				for _, s := range readBatchesKeep(t, src, maxRows) {
					wantRead += s.b.NumRows()
					out, _ := firstThird(s.b)
					if out == nil {
						continue
					}
					wantOut += out.NumRows()
					want = append(want, step{out.NumRows(), fingerprint(t, []arrow.RecordBatch{out}), s.pos})
					out.Release()
				}
				src.Close()

				var made, released atomic.Int64
				var read, returned int64
				tr := connectors.Transform{
					NewWorker: func() (func(arrow.RecordBatch) (arrow.RecordBatch, error), func()) {
						made.Add(1)
						return firstThird, func() { released.Add(1) }
					},
					Read: func(r, k int64) { read += r; returned += k },
				}
				src = openPar(t, k, o, n, mem)
				if !src.(connectors.Transformer).Transform(tr) {
					t.Fatalf("%s: transform refused", name)
				}
				got := readSteps(t, src, []int{maxRows})
				src.Close()
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("%s: batches\n%v\nwant\n%v", name, got, want)
				}
				if read != wantRead || returned != wantOut {
					t.Fatalf("%s: Read counted %d read, %d returned; want %d, %d", name, read, returned, wantRead, wantOut)
				}
				if made.Load() != int64(n) || released.Load() != made.Load() {
					t.Fatalf("%s: %d transforms made, %d released, want %d", name, made.Load(), released.Load(), n)
				}
				if len(want) == 0 {
					mem.AssertSize(t, 0)
					continue
				}
				mid := len(want) / 2
				src = openPar(t, k, o, n, mem)
				src.(connectors.Transformer).Transform(tr)
				if err := src.(connectors.Seeker).Seek([]byte(want[mid].pos)); err != nil {
					t.Fatal(err)
				}
				rest := readSteps(t, src, []int{maxRows})
				src.Close()
				if fmt.Sprint(rest) != fmt.Sprint(want[mid+1:]) {
					t.Fatalf("%s: after Seek: batches\n%v\nwant\n%v", name, rest, want[mid+1:])
				}
				mem.AssertSize(t, 0)
			}
		}
	}
	paced := openPar(t, Bid, map[string]string{"nexmark.events_per_second": "1000"}, 2, memory.DefaultAllocator)
	if paced.(connectors.Transformer).Transform(connectors.Transform{NewWorker: func() (func(arrow.RecordBatch) (arrow.RecordBatch, error), func()) {
		return firstThird, func() {}
	}}) {
		t.Error("a paced source took a transform")
	}
	if TransformsAhead(map[string]string{"nexmark.events_per_second": "1000"}) || !TransformsAhead(map[string]string{}) {
		t.Error("TransformsAhead: want false when paced, true otherwise")
	}
}

// kept is a batch read with the position after it.
type kept struct {
	b   arrow.RecordBatch
	pos string
}

// readBatchesKeep reads src to its end, maxRows rows at a time, keeping
// the batches.
func readBatchesKeep(t *testing.T, src connectors.Source, maxRows int) []kept {
	t.Helper()
	var out []kept
	for {
		b, err := src.Next(t.Context(), maxRows)
		if err == connectors.ErrEndOfInput {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		pos, err := src.(connectors.Seeker).Position()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, kept{b, string(pos)})
	}
}
