package file

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
)

// withChunks makes every file mapped and parallel chunks about chunk bytes
// for the rest of the test.
func withChunks(t *testing.T, chunk int) {
	t.Helper()
	oldMin, oldChunk := minMapSize, parallelChunk
	minMapSize, parallelChunk = 0, chunk
	t.Cleanup(func() { minMapSize, parallelChunk = oldMin, oldChunk })
}

// TestSourceParallel reads each file with its chunks cut every few bytes
// (so chunk boundaries fall inside records and quoted fields) on 2 and 4
// goroutines: the rows, the batches (maxRows rows each but the last), the
// bad rows with their lines, and the position at the end must be those of
// reading it on one goroutine; and after every batch, a new source (on
// one goroutine or several) that seeks to the position read must return
// exactly the rest, for every format, batch size and max_record_bytes.
func TestSourceParallel(t *testing.T) {
	cases := seekCases
	cases = append(cases, struct {
		name, file, content string
		schema              *arrow.Schema
		contains            string
	}{"csv-quotes", "q.csv", "url,user_id\n" +
		"5\" screen,1\n" +
		"\"a,\"\"b\"\"\nc\",2\n" +
		"x\"y\"z,3\n" +
		"\"closed\"junk,\"4\n" +
		"\"\",5\n" +
		"\"\n\n\",6\n" +
		"\"a\",\"\"\"\n\"\"\"\n" +
		"plain,7\n", clicks, ""})
	for _, tc := range cases {
		path := writeFile(t, tc.file, tc.content)
		for _, maxRec := range []string{"", "64"} {
			opts := map[string]string{"path": path}
			if maxRec != "" {
				opts["max_record_bytes"] = maxRec
			}
			spec := connectors.SourceSpec{Table: "t", Schema: tc.schema, Options: opts, Contains: tc.contains}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			var want partial
			src := openSource(t, spec, mem, &want)
			readBatches(t, src, 1024, -1, &want)
			wantEnd, err := src.Position()
			if err != nil {
				t.Fatal(err)
			}
			src.Close()
			for _, chunk := range []int{1, 5, 13, 40} {
				for _, n := range []int{2, 4} {
					for _, maxRows := range []int{1, 3, 1024} {
						name := fmt.Sprintf("%s/max_record_bytes=%s/chunk=%d/n=%d/maxRows=%d", tc.name, maxRec, chunk, n, maxRows)
						withChunks(t, chunk)
						spec := spec
						spec.Parallelism = n
						var full partial
						src := openSource(t, spec, mem, &full)
						nb := 0
						for {
							before := len(full.rows)
							if readBatches(t, src, maxRows, 1, &full) {
								break
							}
							nb++
							if got := len(full.rows) - before; got != maxRows && len(full.rows) != len(want.rows) {
								t.Fatalf("%s: batch %d has %d rows, want %d as on one goroutine", name, nb, got, maxRows)
							}
						}
						if src.par == nil {
							t.Fatalf("%s: not decoded in parallel", name)
						}
						end, err := src.Position()
						if err != nil {
							t.Fatal(err)
						}
						src.Close()
						if fmt.Sprintf("%q", full.rows) != fmt.Sprintf("%q", want.rows) {
							t.Fatalf("%s: rows\n%q\nwant\n%q", name, full.rows, want.rows)
						}
						if fmt.Sprint(full.bad) != fmt.Sprint(want.bad) {
							t.Fatalf("%s: bad rows\n%s\nwant\n%s", name, strings.Join(full.bad, "\n"), strings.Join(want.bad, "\n"))
						}
						if string(end) != string(wantEnd) {
							t.Fatalf("%s: end position %s, want %s", name, end, wantEnd)
						}
						for k := 0; k <= nb; k++ {
							var got partial
							src := openSource(t, spec, mem, &got)
							readBatches(t, src, maxRows, k, &got)
							pos, err := src.Position()
							if err != nil {
								t.Fatal(err)
							}
							var p position
							if err := json.Unmarshal(pos, &p); err != nil || p.Offset != src.Offset() {
								t.Fatalf("%s: position %s, offset %d", name, pos, src.Offset())
							}
							src.Close()
							// Restore on one goroutine every other time.
							restore := spec
							if k%2 == 1 {
								restore.Parallelism = 1
							}
							src = openSource(t, restore, mem, &got)
							if err := src.Seek(pos); err != nil {
								t.Fatalf("%s: Seek(%s): %v", name, pos, err)
							}
							readBatches(t, src, maxRows, -1, &got)
							src.Close()
							if fmt.Sprintf("%q", got.rows) != fmt.Sprintf("%q", want.rows) {
								t.Fatalf("%s: k=%d pos %s: rows\n%q\nwant\n%q", name, k, pos, got.rows, want.rows)
							}
							if fmt.Sprint(got.bad) != fmt.Sprint(want.bad) {
								t.Fatalf("%s: k=%d pos %s: bad rows\n%s\nwant\n%s", name, k, pos,
									strings.Join(got.bad, "\n"), strings.Join(want.bad, "\n"))
							}
						}
					}
				}
			}
			mem.AssertSize(t, 0)
		}
	}
}

// TestSourceParallelClose closes sources in the middle of a parallel read:
// every goroutine ends and every batch decoded ahead is freed.
func TestSourceParallelClose(t *testing.T) {
	withChunks(t, 64)
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	path := writeFile(t, "close.txt", b.String())
	before := runtime.NumGoroutine()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	for _, reads := range []int{0, 1, 5} {
		var p partial
		src := openSource(t, connectors.SourceSpec{Table: "t", Schema: lines, Options: map[string]string{"path": path}, Parallelism: 4}, mem, &p)
		readBatches(t, src, 10, reads, &p)
		if err := src.Close(); err != nil {
			t.Fatal(err)
		}
	}
	mem.AssertSize(t, 0)
	// Close waited for the goroutines; give them the moment they need to
	// exit after saying so (on a busy machine, a while).
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Close, %d before", n, before)
	}
}

// TestCSVBoundary checks csvBoundary against the CSV decoder's own record
// ends (SkipRecord) on random input made of the bytes that matter.
func TestCSVBoundary(t *testing.T) {
	dec, err := format.NewDecoder("csv", lines, map[string]string{"header": "false"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	res := dec.(format.Resumer)
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "a,\"\n\r"
	for range 20000 {
		data := make([]byte, rng.IntN(40)+1)
		for i := range data {
			data[i] = alphabet[rng.IntN(len(alphabet))]
		}
		// The record ends, by the decoder.
		var ends []int
		for pos := 0; pos < len(data); {
			n, done, _ := res.SkipRecord(data[pos:], 0)
			if !done {
				n = len(data) - pos
			}
			pos += n
			ends = append(ends, pos)
		}
		starts := append([]int{0}, ends[:len(ends)-1]...)
		off := starts[rng.IntN(len(starts))]
		target := off + 1 + rng.IntN(len(data)-off)
		want := len(data)
		for _, e := range ends {
			if e >= target {
				want = e
				break
			}
		}
		if got := csvBoundary(data, off, target, ','); got != want {
			t.Fatalf("csvBoundary(%q, %d, %d) = %d, want %d", data, off, target, got, want)
		}
	}
}

// TestSourceTruncatedWhileMapped cuts a mapped file short in the middle of
// reading it, on one goroutine (searched for a text) and on several: Next
// returns an error that says so instead of the process crashing.
func TestSourceTruncatedWhileMapped(t *testing.T) {
	withChunks(t, 64<<10)
	var b strings.Builder
	for i := 0; b.Len() < 4<<20; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	for _, n := range []int{1, 2} {
		path := writeFile(t, "cut.txt", b.String())
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		var p partial
		// On one goroutine the file is mapped when it is searched.
		src := openSource(t, connectors.SourceSpec{Table: "t", Schema: lines, Options: map[string]string{"path": path}, Parallelism: n, Contains: "line"}, mem, &p)
		readBatches(t, src, 100, 1, &p)
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
		var err error
		for err == nil {
			var batch arrow.RecordBatch
			if batch, err = src.Next(context.Background(), 100); batch != nil {
				batch.Release()
			}
		}
		if !strings.Contains(err.Error(), "got shorter while it was being read") {
			t.Fatalf("parallelism %d: %v", n, err)
		}
		src.Close()
		mem.AssertSize(t, 0)
	}
}

// TestAlignEnd: a chunk's end moves on to where a batch ends (the lines
// before it, less the rows skipped, a multiple of the batch's rows), or
// to the end of the file, and the newlines it returns are those before
// the end.
func TestAlignEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var b bytes.Buffer
		for n := r.IntN(300); n > 0; n-- {
			b.WriteString(strings.Repeat("x", r.IntN(20)))
			b.WriteByte('\n')
		}
		if r.IntN(2) == 0 {
			b.WriteString("last")
		}
		mm := b.Bytes()
		limit := int64(1 + r.IntN(40))
		skip := int64(r.IntN(5))
		rows := -skip
		off := int64(0)
		for off < int64(len(mm)) {
			end := int64(lineBoundary(mm, int(min(int64(len(mm)), off+int64(r.IntN(200))+1))))
			got, lines := alignEnd(mm, off, end, &rows, limit)
			if got < end || (got < int64(len(mm)) && mm[got-1] != '\n') {
				t.Fatalf("round %d: end %d from %d is not a line's end", round, got, end)
			}
			if want := int64(bytes.Count(mm[off:got], []byte{'\n'})); lines != want {
				t.Fatalf("round %d: %d newlines, want %d", round, lines, want)
			}
			if got < int64(len(mm)) && (rows%limit+limit)%limit != 0 {
				t.Fatalf("round %d: chunk ends after %d rows (skip %d), not a multiple of %d", round, rows+skip, skip, limit)
			}
			off = got
		}
	}
}
