package exec

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// twoWindowsUnion is a tumbling SUM(v) per 2 ms over each of two seekable
// inputs, and the union of the two results: three stateful nodes, so a
// parallel run cuts its back stage before the second (node 1). Input a
// fails at row failAt when it is positive.
func twoWindowsUnion(t *testing.T, mem memory.Allocator, dir string, failAt int, serial bool, sink *memSink) *Query {
	t.Helper()
	s := winTestSchema("ts:ts", "v:int")
	var ra, rb [][]any
	for i := int64(1); i <= 9; i++ {
		ra = append(ra, []any{i, i})
		rb = append(rb, []any{i, 10 * i})
	}
	agg := func() *WindowAgg {
		a, err := NewWindowAgg(WindowAggConfig{Input: s, Aggs: []AggSpec{{Func: Sum, Arg: 1, Name: "s"}},
			Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 2, Slide: 2}, Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a0, a1 := agg(), agg()
	q := &Query{Graph: &Graph{
		Inputs: []Input{{Table: "a", Source: &seekSource{mem: mem, schema: s, rows: ra, failAt: failAt}, TimeCol: 0},
			{Table: "b", Source: &seekSource{mem: mem, schema: s, rows: rb}, TimeCol: 0}},
		Nodes: []GraphNode{{Op: a0, From: []Port{FromInput(0)}}, {Op: a1, From: []Port{FromInput(1)}},
			{Op: NewUnion(a0.Schema(), 2), From: []Port{FromNode(0), FromNode(1)}}},
		Output: FromNode(2),
	}, Sink: sink, BatchRows: 1, Serial: serial}
	if dir != "" {
		q.Checkpoint = &Checkpointing{Dir: dir, EveryBatches: 2, Fingerprint: "two"}
	}
	return q
}

// TestBackStageSplit: a back stage with several stateful operators runs
// as two pipelined stages (an aheadStage before the second stateful
// node); its result, row order included, and its checkpoints (the same
// operator snapshots, byte for byte) are those of one goroutine, and it
// resumes from its checkpoint to the same result.
func TestBackStageSplit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	mem := winTestMem(t)
	q := twoWindowsUnion(t, mem, "", 0, false, &memSink{})
	p, err := newGraphPlan(q.Graph)
	if err != nil {
		t.Fatal(err)
	}
	if p.cut != 0 || p.backSplit() != 1 {
		t.Fatalf("cut %d, back split %d; want 0 and 1", p.cut, p.backSplit())
	}
	if one := (&graphPlan{g: &Graph{Nodes: q.Graph.Nodes[:1]}}); one.backSplit() != 0 {
		t.Errorf("one stateful operator: back split %d, want 0", one.backSplit())
	}

	run := func(serial bool, dir string, failAt int) (string, error) {
		sink := &memSink{}
		defer releaseSink(sink)
		q := twoWindowsUnion(t, mem, dir, failAt, serial, sink)
		var state []string
		q.OnBatch = func(info BatchInfo) {
			state = state[:0]
			for _, o := range info.State {
				state = append(state, o.Op)
			}
		}
		err := q.Run(context.Background())
		if len(state) != 2 { // both aggregations, whichever stage runs them
			t.Errorf("serial=%v: state reported for %v, want both aggregations", serial, state)
		}
		return sinkRows(sink), err
	}
	want, err := run(true, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if want == "" {
		t.Fatal("serial run gave no rows")
	}
	for i := range 20 { // the stages' interleaving varies from run to run
		got, err := run(false, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("run %d: split stages gave %s, want %s", i, got, want)
		}
	}

	// Fail at row 6 of input a, after a checkpoint; both checkpoints hold
	// the same positions and snapshots; both resume to the same rows.
	dirs := map[bool]string{true: t.TempDir(), false: t.TempDir()}
	resumed := map[bool]string{}
	snaps := map[bool]map[string][]byte{}
	metas := map[bool]checkpointMeta{}
	for _, serial := range []bool{true, false} {
		if _, err := run(serial, dirs[serial], 6); err == nil || !strings.Contains(err.Error(), "source broke") {
			t.Fatalf("serial=%v: first run: %v", serial, err)
		}
		last, err := latestCheckpoint(dirs[serial])
		if err != nil || last == "" {
			t.Fatalf("serial=%v: no checkpoint (%v)", serial, err)
		}
		raw, err := os.ReadFile(filepath.Join(last, "meta.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m checkpointMeta
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		metas[serial] = m
		snaps[serial] = map[string][]byte{}
		files, _ := filepath.Glob(filepath.Join(last, "op-*.snap"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			snaps[serial][filepath.Base(f)] = b
		}
		if resumed[serial], err = run(serial, dirs[serial], 0); err != nil {
			t.Fatalf("serial=%v: resumed: %v", serial, err)
		}
	}
	ms, mp := metas[true], metas[false]
	if ms.Seq != mp.Seq || ms.Epoch != mp.Epoch || ms.RowsOut != mp.RowsOut || !slices.Equal(ms.Ops, mp.Ops) || !slices.Equal(mp.Ops, []int{0, 1}) {
		t.Errorf("split checkpoint seq %d epoch %d rows out %d ops %v; one goroutine: %d %d %d %v (want ops [0 1])",
			mp.Seq, mp.Epoch, mp.RowsOut, mp.Ops, ms.Seq, ms.Epoch, ms.RowsOut, ms.Ops)
	}
	if len(snaps[false]) != 2 {
		t.Errorf("split checkpoint has %d snapshot files, want 2", len(snaps[false]))
	}
	for name, b := range snaps[true] {
		if !bytes.Equal(b, snaps[false][name]) {
			t.Errorf("snapshot %s differs between one goroutine and the split stages", name)
		}
	}
	if resumed[false] != resumed[true] || resumed[true] == "" {
		t.Errorf("resumed split %q, one goroutine %q", resumed[false], resumed[true])
	}
}

// panicAgg is a WindowAgg that panics on its third batch.
type panicAgg struct {
	*WindowAgg
	n int
}

func (p *panicAgg) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	if p.n++; p.n == 3 {
		b.Release()
		panic("broken aggregate")
	}
	return p.WindowAgg.Process(b)
}

// TestBackStageSplitFails: a panic in an operator of either of the two
// back stages fails the query with an error naming the operator, and the
// query ends (neither stage waits for the other).
func TestBackStageSplitFails(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for node := range 2 {
		mem := memory.NewGoAllocator()
		sink := &memSink{}
		q := twoWindowsUnion(t, mem, "", 0, false, sink)
		q.Graph.Nodes[node].Op = &panicAgg{WindowAgg: q.Graph.Nodes[node].Op.(*WindowAgg)}
		if p, _ := newGraphPlan(q.Graph); p.backSplit() != 1 {
			t.Fatalf("back split %d, want 1", p.backSplit())
		}
		err := q.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "broken aggregate") {
			t.Errorf("panic in node %d: Run = %v, want the panic as an error", node, err)
		}
		releaseSink(sink)
	}
}
