package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// winSnapCompatFile is a snapshot in format version 1 written by the code
// that saved accumulator state through a type switch over its internal
// slices, before the accumulators exported it themselves: winSnapCompatHead
// processed and advanced, by a HOP of three panes over two keys with every
// aggregate of winSnapAggsV1, Float64 sums holding infinities and NaN.
const winSnapCompatFile = "testdata/window_snapshot_v1.snap"

// winSnapCompatCfg is the configuration of the operator of
// winSnapCompatFile.
func winSnapCompatCfg(mem memory.Allocator) WindowAggConfig {
	c := winSnapCase{winPropCase: winPropCase{keys: []int{1, 2}, window: WindowSpec{Kind: Hop, TimeCol: 0, Size: 30, Slide: 10}}}
	cfg := c.config(mem)
	cfg.Aggs = cfg.Aggs[:len(winSnapAggsV1)]
	return cfg
}

// winSnapCompatRows builds rows of winSnapSchema at times ts, varying
// with seed.
func winSnapCompatRows(seed int, ts ...int64) [][]any {
	var rows [][]any
	for i, t := range ts {
		k := (seed + i) % 3
		var ks any = []string{"a", "b", "é"}[k]
		var vf any = float64(seed*7+i) / 4
		switch (seed + i) % 7 {
		case 2:
			vf = math.Inf(1)
		case 4:
			vf = math.NaN()
		case 5:
			vf, ks = nil, nil
		case 6:
			vf = math.Inf(-1)
		}
		var vs any = fmt.Sprintf("s%d", (seed*5+i)%11)
		if i%5 == 3 {
			vs = nil
		}
		rows = append(rows, []any{t, int64(k % 2), ks, i%2 == 0, int64(seed*100 - i*37), vf, vs, (seed+i)%3 == 0, nil})
	}
	return rows
}

// winSnapCompatHead is what the operator of winSnapCompatFile saw: batches
// of rows, each followed by Advance to the watermark beside it.
var winSnapCompatHead = []struct {
	ts []int64
	wm int64
}{
	{[]int64{1, 3, 12, 5, 14, 19}, 0},
	{[]int64{21, 8, 25, 29, 17, 2}, 10},
	{[]int64{33, 31, 22, 38, 35}, 20},
	{[]int64{41, 26, 44, 39, 47, 30}, 30},
}

// winSnapCompatTail is the input after the snapshot.
var winSnapCompatTail = []struct {
	ts []int64
	wm int64
}{
	{[]int64{52, 45, 49, 58, 36}, 40},
	{[]int64{61, 55, 68, 63}, 50},
	{nil, MaxWatermark},
}

// winSnapCompatRun feeds w the batches of part, numbered from seed, and
// returns what Advance emitted.
func winSnapCompatRun(t *testing.T, w *WindowAgg, mem memory.Allocator, seed int, part []struct {
	ts []int64
	wm int64
}) []string {
	t.Helper()
	var out []string
	for i, p := range part {
		if len(p.ts) > 0 {
			if _, err := w.Process(winTestBatch(mem, winSnapSchema, winSnapCompatRows(seed+i, p.ts...))); err != nil {
				t.Fatal(err)
			}
		}
		bs, err := w.Advance(p.wm)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, winTestFormat(winTestValues(bs))...)
	}
	return out
}

// TestWindowSnapshotReadsVersion1: a checkpoint written before the
// accumulators exported their own state is read, and the operator
// restored from it goes on as the uninterrupted one; the snapshot written
// today is the same bytes.
func TestWindowSnapshotReadsVersion1(t *testing.T) {
	old, err := os.ReadFile(winSnapCompatFile)
	if err != nil {
		t.Fatal(err)
	}
	mem := winTestMem(t)
	cfg := winSnapCompatCfg(mem)
	w, err := NewWindowAgg(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if out := winSnapCompatRun(t, w, mem, 0, winSnapCompatHead); len(out) == 0 {
		t.Fatal("no window fired before the snapshot")
	}
	var buf bytes.Buffer
	if err := w.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), old) {
		t.Errorf("the snapshot (%d bytes) differs from the version 1 one (%d bytes)", buf.Len(), len(old))
	}
	w2, err := NewWindowAgg(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if err := w2.Restore(bytes.NewReader(old)); err != nil {
		t.Fatal(err)
	}
	if got, want := winSnapDump(w2), winSnapDump(w); got != want {
		t.Fatalf("restored state:\n%s\nwant\n%s", got, want)
	}
	// Checked before the rest of the input ends it (and drops the state).
	var nf bool
	for _, a := range w2.accs {
		if s, ok := a.(*accumSumFloat); ok && s.cnf != nil && s.nf != nil {
			nf = true
		}
	}
	if !nf {
		t.Error("the snapshot has no non-finite counters to read")
	}
	want := winSnapCompatRun(t, w, mem, len(winSnapCompatHead), winSnapCompatTail)
	got := winSnapCompatRun(t, w2, mem, len(winSnapCompatHead), winSnapCompatTail)
	if !slices.Equal(got, want) || len(want) == 0 {
		t.Errorf("after restoring version 1:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestWindowSnapshotOtherVersion: a snapshot of a format version this
// build does not read is refused, saying how to go on.
func TestWindowSnapshotOtherVersion(t *testing.T) {
	old, err := os.ReadFile(winSnapCompatFile)
	if err != nil {
		t.Fatal(err)
	}
	b := slices.Clone(old)
	binary.LittleEndian.PutUint32(b[8:], 2)
	mem := winTestMem(t)
	w, err := NewWindowAgg(winSnapCompatCfg(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	want := "window aggregate: restore: snapshot format version 2, this build reads version 1: start the query with --reset to discard its checkpoint"
	if err := w.Restore(bytes.NewReader(b)); err == nil || err.Error() != want {
		t.Errorf("Restore = %v, want %s", err, want)
	}
}
