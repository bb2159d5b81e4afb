package exec

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// runSplit pushes rows through ops split into batches of size n, then
// advances to MaxWatermark, and renders what comes out.
func runSplit(t *testing.T, mem memory.Allocator, s *arrow.Schema, rows [][]any, n int, ops Pipeline) []string {
	t.Helper()
	var out []arrow.RecordBatch
	for i := 0; i < len(rows); i += n {
		j := min(i+n, len(rows))
		got, err := ops.Push(winTestBatch(mem, s, rows[i:j]))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got...)
	}
	got, err := ops.Advance(MaxWatermark)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, got...)
	return winTestFormat(winTestValues(out))
}

// forEachSplit runs build's pipeline with batch sizes 1, 3 and 1024 and
// checks each gives want.
func forEachSplit(t *testing.T, s *arrow.Schema, rows [][]any, want []string, build func(mem memory.Allocator) Pipeline) {
	t.Helper()
	for _, n := range []int{1, 3, 1024} {
		mem := winTestMem(t)
		ops := build(mem)
		got := runSplit(t, mem, s, rows, n, ops)
		ops.Close()
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("batch size %d: got\n%s\nwant\n%s", n, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

var opRows = [][]any{
	{int64(1), "a b", 1.5},
	{int64(2), nil, 2.5},
	{int64(3), "", nil},
	{int64(4), "c", 4.0},
	{nil, "d  e", 5.0},
}

func TestFilterProjectUnnest(t *testing.T) {
	s := winTestSchema("id:int", "text:string", "x:float")
	forEachSplit(t, s, opRows, []string{
		`1 "a"`, `1 "b"`, `4 "c"`,
	}, func(mem memory.Allocator) Pipeline {
		pred, err := vector.Binary(vector.Lt, vector.ColumnRef(2, vector.Float64, "x"), vector.Literal(int64(5), vector.Int64))
		if err != nil {
			t.Fatal(err)
		}
		f, err := NewFilter(mem, s, pred)
		if err != nil {
			t.Fatal(err)
		}
		p := NewProject(mem, []vector.Expr{vector.ColumnRef(0, vector.Int64, "id"), vector.ColumnRef(1, vector.String, "text")}, []string{"id", "word"})
		u, err := NewUnnest(mem, p.Schema(), 1, " ")
		if err != nil {
			t.Fatal(err)
		}
		return Pipeline{f, p, u}
	})
	// Unnest keeps empty pieces between separators, drops NULL and '' values.
	forEachSplit(t, s, opRows, []string{`"a"`, `"b"`, `"c"`, `"d"`, `""`, `"e"`}, func(mem memory.Allocator) Pipeline {
		p := NewProject(mem, []vector.Expr{vector.ColumnRef(1, vector.String, "text")}, []string{"w"})
		u, _ := NewUnnest(mem, p.Schema(), 0, " ")
		return Pipeline{p, u}
	})
}

func TestSortAndLimit(t *testing.T) {
	s := winTestSchema("id:int", "text:string", "x:float")
	// Without a watermark the sort holds everything to the end of input.
	forEachSplit(t, s, opRows, []string{
		`2 null 2.5`, `3 "" null`, `1 "a b" 1.5`, `4 "c" 4`,
	}, func(mem memory.Allocator) Pipeline {
		return Pipeline{NewSort(mem, s, []SortKey{{Col: 1}, {Col: 0, Desc: true}}), NewLimit(s, 4)}
	})
	forEachSplit(t, s, opRows, []string{`null "d  e" 5`, `4 "c" 4`}, func(mem memory.Allocator) Pipeline {
		return Pipeline{NewSort(mem, s, []SortKey{{Col: 2, Desc: true}}), NewLimit(s, 2)}
	})
}

// TestPipelineAdvanceOrder checks that what a window emits on a watermark
// passes through the operators after it before they see the watermark.
func TestPipelineAdvanceOrder(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "k:string")
	agg, err := NewWindowAgg(WindowAggConfig{Input: s, Keys: []int{1}, KeyNames: []string{"k"},
		Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}, Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10, Slide: 10}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	sorted := NewSort(mem, agg.Schema(), []SortKey{{Col: 3, Desc: true}, {Col: 2}})
	ops := Pipeline{agg, sorted}
	defer ops.Close()
	out, err := ops.Push(winTestBatch(mem, s, [][]any{{int64(1), "a"}, {int64(2), "b"}, {int64(3), "b"}, {int64(12), "a"}}))
	if err != nil || len(out) != 0 {
		t.Fatalf("push emitted %d batches, err %v", len(out), err)
	}
	out, err = ops.Advance(10)
	if err != nil {
		t.Fatal(err)
	}
	got := winTestFormat(winTestValues(out))
	if want := []string{`0 10 "b" 2`, `0 10 "a" 1`}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("advance(10) = %v, want %v", got, want)
	}
}

type sliceSource struct {
	mem    memory.Allocator
	schema *arrow.Schema
	rows   [][]any
}

func (s *sliceSource) Schema() *arrow.Schema { return s.schema }
func (s *sliceSource) Next(_ context.Context, max int) (arrow.RecordBatch, error) {
	if len(s.rows) == 0 {
		return nil, connectors.ErrEndOfInput
	}
	n := min(max, len(s.rows))
	b := winTestBatch(s.mem, s.schema, s.rows[:n])
	s.rows = s.rows[n:]
	return b, nil
}
func (s *sliceSource) Close() error { return nil }

type memSink struct {
	batches []arrow.RecordBatch
	commits int
	closed  bool
	fail    error
}

func (m *memSink) Write(b arrow.RecordBatch) error {
	if m.fail != nil {
		b.Release()
		return m.fail
	}
	m.batches = append(m.batches, b)
	return nil
}
func (m *memSink) Commit(int64) error { m.commits++; return nil }
func (m *memSink) Close() error       { m.closed = true; return nil }

// TestQueryWatermarks runs a query loop: the watermark is the largest
// event time minus the delay, advanced after each batch, and the end of
// input closes every window.
func TestQueryWatermarks(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	agg, err := NewWindowAgg(WindowAggConfig{Input: s, Aggs: []AggSpec{{Func: Sum, Arg: 1, Name: "s"}},
		Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10, Slide: 10}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	src := &sliceSource{mem: mem, schema: s, rows: [][]any{
		{int64(1), int64(1)}, {int64(12), int64(2)}, {int64(4), int64(4)}, // 4 arrives when wm = 12-5 = 7: on time
		{int64(25), int64(8)}, {int64(9), int64(16)}, // 9 arrives when wm = 20: late
	}}
	sink := &memSink{}
	q := &Query{Input: Input{Table: "t", Source: src, TimeCol: 0, Delay: 5}, Pipeline: Pipeline{agg}, Sink: sink, BatchRows: 1}
	if err := q.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := winTestFormat(winTestValues(sink.batches))
	if want := []string{"0 10 5", "10 20 2", "20 30 8"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %v, want %v", got, want)
	}
	m := q.Metrics()
	if m.RowsIn != 5 || m.RowsOut != 3 || m.LateRows != 1 || m.Batches != 6 || m.Watermark != MaxWatermark || m.Status != "finished" {
		t.Errorf("metrics %+v", m)
	}
	if sink.commits != 6 || !sink.closed { // one epoch per batch, one for the end
		t.Errorf("sink commits %d closed %v", sink.commits, sink.closed)
	}
}

func TestQuerySinkError(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	boom := errors.New("disk full")
	src := &sliceSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(1)}}}
	q := &Query{Input: Input{Table: "t", Source: src, TimeCol: -1}, Pipeline: Pipeline{NewLimit(s, 10)}, Sink: &memSink{fail: boom}}
	if err := q.Run(context.Background()); !errors.Is(err, boom) {
		t.Errorf("Run = %v, want %v", err, boom)
	}
}
