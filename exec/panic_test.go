package exec

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/connectors"
)

// panicOp passes batches through and panics at its n-th Process (or, with
// inAdvance, at its first Advance after a batch): a stand-in for an
// operator's bug.
type panicOp struct {
	schema    *arrow.Schema
	n         int
	inAdvance bool
	seen      int
	closed    bool
}

func (p *panicOp) Schema() *arrow.Schema { return p.schema }
func (p *panicOp) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	p.seen++
	if !p.inAdvance && p.seen == p.n {
		b.Release()
		panic("boom in Process")
	}
	return []arrow.RecordBatch{b}, nil
}
func (p *panicOp) Advance(int64) ([]arrow.RecordBatch, error) {
	if p.inAdvance && p.seen > 0 {
		var m map[string]int
		m["x"]++ // a runtime error, not a string
	}
	return nil, nil
}
func (p *panicOp) Close() { p.closed = true }

// gateSource yields its rows one batch at a time, then waits for gate to
// close before ending: a query still running while another one fails.
type gateSource struct {
	sliceSource
	gate <-chan struct{}
}

func (s *gateSource) Next(ctx context.Context, max int) (arrow.RecordBatch, error) {
	if len(s.rows) == 0 {
		select {
		case <-s.gate:
		case <-ctx.Done():
		}
		return nil, connectors.ErrEndOfInput
	}
	return s.sliceSource.Next(ctx, max)
}

// TestQueryPanicFailsOnlyThatQuery panics in an operator of the front
// stage, of the back stage, and in an Advance: Run returns an error naming
// the operator and carrying the stack, everything is closed, and a query
// running at the same time carries on to its end.
func TestQueryPanicFailsOnlyThatQuery(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 { // two stages on two goroutines
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	s := winTestSchema("ts:ts", "v:int")
	rows := [][]any{{int64(1), int64(1)}, {int64(2), int64(2)}, {int64(3), int64(3)}, {int64(15), int64(4)}}
	sum := func(mem memory.Allocator) *WindowAgg {
		agg, err := NewWindowAgg(WindowAggConfig{Input: s, Aggs: []AggSpec{{Func: Sum, Arg: 1, Name: "s"}},
			Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10, Slide: 10}, Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		return agg
	}
	for _, tc := range []struct {
		name string
		ops  func(mem memory.Allocator, p *panicOp) Pipeline
		p    panicOp
		want string
	}{
		{"front", func(mem memory.Allocator, p *panicOp) Pipeline { return Pipeline{p, sum(mem)} }, panicOp{n: 2},
			"query 7: internal error in panicOp: boom in Process"},
		{"back", func(mem memory.Allocator, p *panicOp) Pipeline { return Pipeline{sum(mem), p} }, panicOp{n: 1},
			"query 7: internal error in panicOp: boom in Process"},
		{"advance", func(mem memory.Allocator, p *panicOp) Pipeline { return Pipeline{p} }, panicOp{inAdvance: true},
			"query 7: internal error in panicOp: assignment to entry in nil map"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := winTestMem(t)
			gate := make(chan struct{})
			other := &Query{ID: 8, Input: Input{Table: "u", Source: &gateSource{sliceSource{mem: mem, schema: s, rows: rows}, gate}, TimeCol: 0},
				Pipeline: Pipeline{sum(mem)}, Sink: &memSink{}, BatchRows: 1}
			otherErr := make(chan error, 1)
			go func() { otherErr <- other.Run(context.Background()) }()

			p := tc.p
			p.schema = s
			sink := &memSink{}
			q := &Query{ID: 7, Input: Input{Table: "t", Source: &sliceSource{mem: mem, schema: s, rows: rows}, TimeCol: 0},
				Pipeline: tc.ops(mem, &p), Sink: sink, BatchRows: 1}
			err := q.Run(context.Background())
			close(gate)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Run = %v, want %s", err, tc.want)
			}
			var pe *PanicError
			if !errors.As(err, &pe) || pe.Query != 7 || !strings.Contains(string(pe.Stack), "panicOp") {
				t.Errorf("error %#v: want a *PanicError of query 7 with the panic's stack", err)
			}
			if !p.closed || !sink.closed {
				t.Errorf("operator closed %v, sink closed %v: want both", p.closed, sink.closed)
			}
			if st := q.Metrics().Status; st != "failed: "+tc.want {
				t.Errorf("status %q", st)
			}
			releaseBatches(sink.batches)

			if err := <-otherErr; err != nil {
				t.Fatalf("the other query: %v", err)
			}
			os := other.Sink.(*memSink)
			got := winTestFormat(winTestValues(os.batches))
			releaseBatches(os.batches)
			if want := "0 10 6|10 20 4"; strings.Join(got, "|") != want {
				t.Errorf("the other query emitted %v, want %s", got, want)
			}
		})
	}
}

// panicSink panics on its first write.
type panicSink struct{ memSink }

func (s *panicSink) Write(b arrow.RecordBatch) error {
	b.Release()
	panic("sink bug")
}

// TestQueryPanicInSink: a panic outside the operators, on the back
// stage's goroutine, fails the query too.
func TestQueryPanicInSink(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	sink := &panicSink{}
	q := &Query{ID: 3, Input: Input{Table: "t", Source: &sliceSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(1)}, {int64(2), int64(2)}}}, TimeCol: -1},
		Pipeline: Pipeline{NewLimit(s, 10)}, Sink: sink, BatchRows: 1}
	err := q.Run(context.Background())
	if want := "query 3: internal error in the query's output stage: sink bug"; err == nil || err.Error() != want {
		t.Fatalf("Run = %v, want %s", err, want)
	}
	if !sink.closed {
		t.Error("sink not closed")
	}
}

// TestSnapshotStateOfWrongShapeIsAnError: state columns an accumulator
// did not write (another type, count or length, or NULLs) are an error
// when merged back, not a panic.
func TestSnapshotStateOfWrongShapeIsAnError(t *testing.T) {
	mem := winTestMem(t)
	floats := winTestBatch(mem, winTestSchema("v:float"), [][]any{{1.5}})
	defer floats.Release()
	nulls := winTestBatch(mem, winTestSchema("v:int"), [][]any{{nil}})
	defer nulls.Release()
	for _, c := range []struct {
		a     accumulator
		state []arrow.Array
		want  string
	}{
		{&accumCount{}, []arrow.Array{floats.Column(0)}, "state column 0 is float64, want int64"},
		{&accumCount{}, nil, "state of 0 columns, want 1"},
		{&accumCount{}, []arrow.Array{nulls.Column(0)}, "state column 0 has NULLs"},
		{&accumSumFloat{}, []arrow.Array{floats.Column(0), floats.Column(0), floats.Column(0)}, "state of 3 columns, want 2 or 5"},
		{&accumMinMax[string]{}, []arrow.Array{floats.Column(0), floats.Column(0)}, "state column 1 is float64, want bool"},
	} {
		c.a.growCells(1)
		if err := c.a.mergeCells([]uint32{0}, c.state); err == nil || err.Error() != c.want {
			t.Errorf("%T: mergeCells = %v, want %s", c.a, err, c.want)
		}
	}
	if err := (&accumCount{}).mergeCells([]uint32{0, 1}, []arrow.Array{nulls.Column(0)}); err == nil || err.Error() != "state column 0 has 1 rows, want 2" {
		t.Errorf("short state: %v", err)
	}
}

// closePanicSink panics when closed.
type closePanicSink struct{ memSink }

func (s *closePanicSink) Close() error { panic("close bug") }

// TestQueryPanicInClose: a panic while the query closes its sink fails
// the query, after the rest was closed.
func TestQueryPanicInClose(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("ts:ts", "v:int")
	sink := &closePanicSink{}
	q := &Query{ID: 4, Input: Input{Table: "t", Source: &sliceSource{mem: mem, schema: s, rows: [][]any{{int64(1), int64(1)}}}, TimeCol: -1},
		Pipeline: Pipeline{NewLimit(s, 10)}, Sink: sink, BatchRows: 1}
	err := q.Run(context.Background())
	if want := "query 4: internal error in the sink: close bug"; err == nil || err.Error() != want {
		t.Fatalf("Run = %v, want %s", err, want)
	}
	releaseBatches(sink.batches)
}
