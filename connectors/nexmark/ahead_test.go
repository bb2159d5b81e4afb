package nexmark

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

func openPar(t testing.TB, k Kind, opts map[string]string, n int, mem memory.Allocator) connectors.Source {
	t.Helper()
	all := map[string]string{"connector": "nexmark", "nexmark.table.type": k.String()}
	for key, v := range opts {
		all[key] = v
	}
	src, err := NewSource(connectors.SourceSpec{Table: "t", Schema: fullSchema(k), Options: all, Alloc: mem, Parallelism: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// step is one Next: its rows' fingerprint and the position after it.
type step struct {
	rows int64
	hash uint64
	pos  string
}

// readSteps reads src to its end, asking for sizes[i % len(sizes)] rows
// on the i-th call.
func readSteps(t *testing.T, src connectors.Source, sizes []int) []step {
	return readN(t, src, sizes, -1)
}

// readN is readSteps that stops after n batches (n < 0: at the end).
func readN(t *testing.T, src connectors.Source, sizes []int, n int) []step {
	t.Helper()
	var out []step
	for i := 0; i != n; i++ {
		b, err := src.Next(context.Background(), sizes[i%len(sizes)])
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
		out = append(out, step{b.NumRows(), fingerprint(t, []arrow.RecordBatch{b}), string(pos)})
		b.Release()
	}
	return out
}

// With a parallelism of 2 or 4 the workers make the same rows, with the
// same positions, as one goroutine does: also when a call asks for fewer
// rows than the first did (a chunk is handed out in slices) or more (it
// gets at most a chunk). The one goroutine is asked for the rows each
// batch at parallelism N held, and must give the same batches.
func TestAheadSameAsOne(t *testing.T) {
	o := map[string]string{"nexmark.events": "60001"}
	for _, k := range []Kind{Person, Auction, Bid} {
		for _, sizes := range [][]int{{100}, {100, 30, 1, 400}} {
			for _, n := range []int{2, 4} {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				src := openPar(t, k, o, n, mem)
				got := readSteps(t, src, sizes)
				var rows []int
				for _, s := range got {
					rows = append(rows, int(s.rows))
				}
				want := readSteps(t, openPar(t, k, o, 1, memory.DefaultAllocator), rows)
				if len(got) != len(want) || len(got) < 4 {
					t.Fatalf("%s, sizes %v, parallelism %d: %d batches, want %d", k, sizes, n, len(got), len(want))
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s, sizes %v, parallelism %d: batch %d is %+v, want %+v", k, sizes, n, i, got[i], want[i])
					}
				}
				src.Close()
				mem.AssertSize(t, 0)
			}
		}
	}
}

// A position taken at parallelism 4 resumes there, at 1 or at 4, and a
// Seek on a source whose workers are running starts them again there.
func TestAheadSeek(t *testing.T) {
	o := map[string]string{"nexmark.events": "40000"}
	full := readSteps(t, openPar(t, Bid, o, 1, memory.DefaultAllocator), []int{500})
	src := openPar(t, Bid, o, 4, memory.DefaultAllocator)
	head := readN(t, src, []int{500}, 7)
	pos, _ := src.(connectors.Seeker).Position()
	for _, n := range []int{1, 4} {
		again := openPar(t, Bid, o, n, memory.DefaultAllocator)
		if err := again.(connectors.Seeker).Seek(pos); err != nil {
			t.Fatal(err)
		}
		if got := append(append([]step(nil), head...), readSteps(t, again, []int{500})...); !sameSteps(got, full) {
			t.Errorf("parallelism %d after a seek: %d batches differ from the %d read in one go", n, len(got), len(full))
		}
	}
	// Back to the start, with chunks in flight.
	if err := src.(connectors.Seeker).Seek(make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	if got := readSteps(t, src, []int{500}); !sameSteps(got, full) {
		t.Error("a seek back to event 0 with workers running reads other rows")
	}
}

func sameSteps(a, b []step) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Close ends every worker and frees the chunks made ahead; the workers
// keep at most N+1 chunks in flight however long the reader waits.
func TestAheadClose(t *testing.T) {
	before := runtime.NumGoroutine()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	src := openPar(t, Bid, nil, 4, mem) // no end
	b, err := src.Next(context.Background(), 8192)
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
	a := src.(*Source).ahead
	if a == nil || len(a.queue) != 5 {
		t.Fatalf("chunks in flight: want 5 (parallelism 4 + 1)")
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	mem.AssertSize(t, 0)
	// A goroutine that has returned may still be counted for a moment.
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before", runtime.NumGoroutine(), before)
		}
	}
	if _, err := src.Next(context.Background(), 10); err == nil {
		t.Error("Next after Close succeeded")
	}
}

// A paced source generates on the reading goroutine, whatever the
// parallelism: its rows come as the clock makes them due.
func TestAheadNotPaced(t *testing.T) {
	src := openPar(t, Bid, map[string]string{"nexmark.events_per_second": "100"}, 4, memory.DefaultAllocator)
	if p, ok := src.(pacedSource); !ok || p.workers != 0 {
		t.Fatalf("a paced source at parallelism 4: %T with workers", src)
	}
}
