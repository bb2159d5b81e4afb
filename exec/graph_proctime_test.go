package exec

import (
	"context"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/vector"
)

// blocker is a stateful pass-through (so it runs on the back stage) whose
// first Process waits until release is closed.
type blocker struct {
	schema  *arrow.Schema
	release chan struct{}
	once    sync.Once
}

func (b *blocker) Schema() *arrow.Schema { return b.schema }
func (b *blocker) Process(r arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	b.once.Do(func() { <-b.release })
	return []arrow.RecordBatch{r}, nil
}
func (b *blocker) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }
func (b *blocker) Close()                                     {}
func (b *blocker) Snapshot(io.Writer) error                   { return nil }
func (b *blocker) Restore(io.Reader) error                    { return nil }

// stamper evaluates PROCTIME(): it records, for every batch, the
// processing time it was given.
type stamper struct {
	schema *arrow.Schema
	now    int64
	stamps []string
}

func (s *stamper) Schema() *arrow.Schema { return s.schema }
func (s *stamper) SetProcTime(ms int64)  { s.now = ms }
func (s *stamper) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	for _, row := range winTestFormat(winTestValues([]arrow.RecordBatch{b})) {
		s.stamps = append(s.stamps, row+" @"+time.UnixMilli(s.now).UTC().Format("05"))
	}
	return []arrow.RecordBatch{b}, nil
}
func (s *stamper) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }
func (s *stamper) Close()                                     {}

// signalSource is a tickSource that closes reached when it hands out the
// rows of batch at.
type signalSource struct {
	*tickSource
	at      int
	reached chan struct{}
	once    sync.Once
}

func (s *signalSource) Next(ctx context.Context, n int) (arrow.RecordBatch, error) {
	k := s.k
	b, err := s.tickSource.Next(ctx, n)
	if err == nil && k == s.at {
		s.once.Do(func() { close(s.reached) })
	}
	return b, err
}

// TestProcTimeSlowBackStage: the back stage is held on the first batch
// while the front reads the next micro-batch (and sets the query's
// PROCTIME cell to its time); PROCTIME() on the back stage still stamps
// each batch's rows with that batch's own time. Run with -race.
func TestProcTimeSlowBackStage(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("w:string")
	clock := &fakeClock{now: time.UnixMilli(10_500).UTC()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &signalSource{tickSource: &tickSource{mem: mem, schema: s, cancel: cancel, clock: clock, script: [][][]any{
		{{"a"}}, // batch time 10s
		{{"b"}}, // 11s
		{{"c"}}, // 12s
	}}, at: 1, reached: make(chan struct{})}
	block := &blocker{schema: s, release: make(chan struct{})}
	go func() {
		if runtime.GOMAXPROCS(0) > 1 { // else the query runs on one goroutine
			<-src.reached
		} // the front is reading the second micro-batch
		close(block.release)
	}()
	stamp := &stamper{schema: s}
	proc := new(atomic.Int64)
	sink := &memSink{}
	defer releaseSink(sink)
	q := &Query{Input: Input{Table: "t", Source: src, TimeCol: -1}, Pipeline: Pipeline{block, stamp}, Sink: sink,
		Interval: time.Second, Clock: clock, ProcTime: proc}
	if err := q.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(stamp.stamps, "|"), `"a" @10|"b" @11|"c" @12`; got != want {
		t.Errorf("stamps %s, want %s", got, want)
	}
	if got := proc.Load(); got != 13_000 {
		t.Errorf("the front's PROCTIME cell holds %d, want the last batch's time 13000", got)
	}
}

// TestProcTimeOpOnBackStage: a projection that evaluates PROCTIME() from
// its own cell, wrapped in ProcTimeOp, runs on a back stage held up while
// the front reads the next micro-batch, and still gives each row its own
// batch's time. Run with -race.
func TestProcTimeOpOnBackStage(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("w:string")
	clock := &fakeClock{now: time.UnixMilli(10_500).UTC()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &signalSource{tickSource: &tickSource{mem: mem, schema: s, cancel: cancel, clock: clock, script: [][][]any{
		{{"a"}}, {{"b"}}, {{"c"}},
	}}, at: 1, reached: make(chan struct{})}
	block := &blocker{schema: s, release: make(chan struct{})}
	go func() {
		if runtime.GOMAXPROCS(0) > 1 { // else the query runs on one goroutine
			<-src.reached
		}
		close(block.release)
	}()
	cell := new(atomic.Int64)
	proj := ProcTimeOp{Operator: NewProject(mem, []vector.Expr{vector.ColumnRef(0, vector.String, "w"), cellExpr{cell}}, []string{"w", "t"}), Cell: cell}
	sink := &memSink{}
	defer releaseSink(sink)
	q := &Query{Input: Input{Table: "t", Source: src, TimeCol: -1}, Pipeline: Pipeline{block, proj}, Sink: sink,
		Interval: time.Second, Clock: clock, ProcTime: new(atomic.Int64)}
	if err := q.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := sinkRows(sink), `"a" 10000|"b" 11000|"c" 12000`; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	if OpName(proj) != "Project" {
		t.Errorf("name %q", OpName(proj))
	}
}

// TestProcTimeOnBothStagesRunsSerially: operators that evaluate
// PROCTIME() before and after the cut may share one cell, so such a graph
// is run on one goroutine.
func TestProcTimeOnBothStagesRunsSerially(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("w:string")
	cell := new(atomic.Int64)
	proj := func() Operator {
		return ProcTimeOp{Operator: NewProject(mem, []vector.Expr{vector.ColumnRef(0, vector.String, "w")}, []string{"w"}), Cell: cell}
	}
	block := &blocker{schema: s, release: make(chan struct{})}
	for _, c := range []struct {
		nodes []GraphNode
		want  bool
	}{
		{[]GraphNode{{Op: proj(), From: []Port{FromInput(0)}}, {Op: block, From: []Port{FromNode(0)}}}, false},
		{[]GraphNode{{Op: block, From: []Port{FromInput(0)}}, {Op: proj(), From: []Port{FromNode(0)}}}, false},
		{[]GraphNode{{Op: proj(), From: []Port{FromInput(0)}}, {Op: block, From: []Port{FromNode(0)}}, {Op: proj(), From: []Port{FromNode(1)}}}, true},
	} {
		p, err := newGraphPlan(&Graph{Inputs: []Input{{Table: "t", TimeCol: -1}}, Nodes: c.nodes, Output: FromNode(len(c.nodes) - 1)})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.procTimeOnBothStages(); got != c.want {
			t.Errorf("cut %d: both stages %v, want %v", p.cut, got, c.want)
		}
	}
}
