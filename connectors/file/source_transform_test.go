package file

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

// halve is the test's transform: the first half of each batch (rounded
// down, so a one-row batch leaves nothing). What it returns depends on
// where batches are cut, so equal outputs mean equal batches.
func halve(b arrow.RecordBatch) (arrow.RecordBatch, error) {
	defer b.Release()
	k := b.NumRows() / 2
	if k == 0 {
		return nil, nil
	}
	return b.NewSlice(0, k), nil
}

// step is one batch Next returned: its rows, the bad rows reported so
// far, and the position after it.
type step struct {
	rows string
	bad  int
	pos  string
}

// TestSourceTransform reads each file of TestSourceParallel with a
// transform on 2 and 4 workers and chunks cut every few bytes (and once
// whole, read on one goroutine): every
// batch returned must be the transform of the batch the source returns
// without one (with the same bad rows reported before it and the same
// position after it), batches the transform leaves empty skipped, the
// rows read and returned counted, every worker's transform released, and
// a source that seeks to a position read goes on with the same batches.
func TestSourceTransform(t *testing.T) {
	for _, tc := range seekCases {
		path := writeFile(t, tc.file, tc.content)
		for _, chunk := range []int{1, 13, 40, 1 << 20} {
			for _, n := range []int{2, 4} {
				for _, maxRows := range []int{1, 3, 1024} {
					name := fmt.Sprintf("%s/chunk=%d/n=%d/maxRows=%d", tc.name, chunk, n, maxRows)
					withChunks(t, chunk)
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					spec := connectors.SourceSpec{Table: "t", Schema: tc.schema, Options: map[string]string{"path": path, "max_record_bytes": "64"},
						Contains: tc.contains, Parallelism: n}
					// Without a transform, transformed here.
					var want []step
					var wantBad partial
					var wantRead, outRows int64
					src := openSource(t, spec, mem, &wantBad)
					for {
						b, err := src.Next(context.Background(), maxRows)
						if errors.Is(err, connectors.ErrEndOfInput) {
							break
						}
						if err != nil {
							t.Fatal(err)
						}
						wantRead += b.NumRows()
						out, _ := halve(b)
						if out == nil {
							continue
						}
						outRows += out.NumRows()
						pos, _ := src.Position()
						want = append(want, step{strings.Join(render(out), "|"), len(wantBad.bad), string(pos)})
						out.Release()
					}
					wantEnd, _ := src.Position()
					src.Close()

					var workers, released atomic.Int64
					var read, returned int64
					tr := connectors.Transform{
						NewWorker: func() (func(arrow.RecordBatch) (arrow.RecordBatch, error), func()) {
							workers.Add(1)
							return halve, func() { released.Add(1) }
						},
						Read: func(r, k int64) { read += r; returned += k },
					}
					var gotBad partial
					src = openSource(t, spec, mem, &gotBad)
					if !src.Transform(tr) {
						t.Fatalf("%s: transform refused", name)
					}
					var got []step
					for {
						b, err := src.Next(context.Background(), maxRows)
						if errors.Is(err, connectors.ErrEndOfInput) {
							break
						}
						if err != nil {
							t.Fatal(err)
						}
						pos, _ := src.Position()
						got = append(got, step{strings.Join(render(b), "|"), len(gotBad.bad), string(pos)})
						b.Release()
					}
					end, _ := src.Position()
					if parallel := src.par != nil && src.par.pipe != nil; parallel != (chunk < 1<<20) {
						t.Fatalf("%s: transformed by workers: %v", name, parallel)
					}
					src.Close()
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("%s: batches\n%v\nwant\n%v", name, got, want)
					}
					if fmt.Sprint(gotBad.bad) != fmt.Sprint(wantBad.bad) {
						t.Fatalf("%s: bad rows\n%s\nwant\n%s", name, strings.Join(gotBad.bad, "\n"), strings.Join(wantBad.bad, "\n"))
					}
					if string(end) != string(wantEnd) {
						t.Fatalf("%s: end position %s, want %s", name, end, wantEnd)
					}
					if read != wantRead || returned != outRows {
						t.Fatalf("%s: Read counted %d rows read, %d returned; want %d, %d", name, read, returned, wantRead, outRows)
					}
					// One per goroutine that transforms: the n decoding
					// workers (a whole batch they decoded), and the n-1
					// transform workers and the reader (a batch cut from two
					// pieces).
					if w := workers.Load(); w < 1 || w > int64(2*n) || released.Load() != w {
						t.Fatalf("%s: %d transforms made, %d released, on %d workers", name, w, released.Load(), n)
					}
					// Seek to the position after the middle batch: the same
					// batches follow.
					if k := len(want) / 2; k < len(want) {
						src = openSource(t, spec, mem, &partial{})
						src.Transform(tr)
						if err := src.Seek([]byte(want[k].pos)); err != nil {
							t.Fatal(err)
						}
						var rest []string
						for {
							b, err := src.Next(context.Background(), maxRows)
							if errors.Is(err, connectors.ErrEndOfInput) {
								break
							}
							if err != nil {
								t.Fatal(err)
							}
							rest = append(rest, strings.Join(render(b), "|"))
							b.Release()
						}
						src.Close()
						var wantRest []string
						for _, s := range want[k+1:] {
							wantRest = append(wantRest, s.rows)
						}
						if fmt.Sprint(rest) != fmt.Sprint(wantRest) {
							t.Fatalf("%s: after Seek(%s): batches\n%q\nwant\n%q", name, want[k].pos, rest, wantRest)
						}
					}
					mem.AssertSize(t, 0)
				}
			}
		}
	}
}

// TestSourceTransformClose closes a source in the middle of a parallel
// read with a transform: every batch cut, transformed or not, is freed
// and every worker's transform released.
func TestSourceTransformClose(t *testing.T) {
	withChunks(t, 64)
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	path := writeFile(t, "close.txt", b.String())
	for _, after := range []int{0, 1, 7, 50} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		var made, released atomic.Int64
		src := openSource(t, connectors.SourceSpec{Table: "t", Schema: lines, Options: map[string]string{"path": path}, Parallelism: 3}, mem, &partial{})
		src.Transform(connectors.Transform{NewWorker: func() (func(arrow.RecordBatch) (arrow.RecordBatch, error), func()) {
			made.Add(1)
			return halve, func() { released.Add(1) }
		}})
		readBatches(t, src, 16, after, &partial{})
		src.Close()
		if made.Load() != released.Load() {
			t.Fatalf("after %d batches: %d transforms made, %d released", after, made.Load(), released.Load())
		}
		mem.AssertSize(t, 0)
	}
}
