package exec

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// fakeClock runs on virtual time: SleepUntil jumps there at once, unless
// the context is done.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	return nil
}

// tickSource is a live source that yields, on the k-th poll after start,
// the rows scripted for batch k, then ErrNoData; after the script, it
// cancels the query.
type tickSource struct {
	mem    memory.Allocator
	schema *arrow.Schema
	script [][][]any // rows per batch
	k      int
	polled bool
	cancel context.CancelFunc
	clock  *fakeClock
	// work makes each batch take this long on the fake clock.
	work time.Duration
}

func (s *tickSource) Schema() *arrow.Schema { return s.schema }
func (s *tickSource) Bounded() bool         { return false }
func (s *tickSource) Close() error          { return nil }
func (s *tickSource) Next(context.Context, int) (arrow.RecordBatch, error) {
	if s.polled { // the second poll of a batch: nothing more has arrived
		s.polled = false
		s.k++
		return nil, connectors.ErrNoData
	}
	s.polled = true
	if s.k >= len(s.script) {
		s.cancel()
		return nil, connectors.ErrNoData
	}
	s.clock.add(s.work)
	rows := s.script[s.k]
	if len(rows) == 0 {
		s.polled = false
		s.k++
		return nil, connectors.ErrNoData
	}
	return winTestBatch(s.mem, s.schema, rows), nil
}

// TestProcessingTimeWindows counts words per 2-second tumbling window of
// processing time with a 1-second batch interval: rows take the time of
// the batch they arrive in, and each window is emitted right after the
// batch that completes it.
func TestProcessingTimeWindows(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("w:string")
	clock := &fakeClock{now: time.UnixMilli(10_500).UTC()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The clock starts at 10.5s: the first batch is due at 11s and holds
	// what arrived in [10s, 11s), so its batch time is 10s.
	src := &tickSource{mem: mem, schema: s, cancel: cancel, clock: clock, script: [][][]any{
		{{"a"}, {"b"}}, // batch time 10s: window [10s, 12s)
		{{"a"}},        // 11s: the same window, closed after this batch
		{},             // 12s
		{{"c"}},        // 13s: window [12s, 14s), closed after this batch
	}}
	proc := new(atomic.Int64)
	pre := NewProject(mem, []vector.Expr{cellExpr{proc}, vector.ColumnRef(0, vector.String, "w")}, []string{"t", "w"})
	agg, err := NewWindowAgg(WindowAggConfig{Input: pre.Schema(), Keys: []int{1}, KeyNames: []string{"w"},
		Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}, Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 2000, Slide: 2000}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	var infos []BatchInfo
	q := &Query{Input: Input{Table: "t", Source: src, TimeCol: -1}, Pipeline: Pipeline{pre, agg}, Sink: sink,
		Interval: time.Second, ProcTime: proc, ProcTimeWindows: true, Clock: clock,
		OnBatch: func(b BatchInfo) { infos = append(infos, b) }}
	if err := q.Run(ctx); err != nil {
		t.Fatal(err)
	}
	got := winTestFormat(winTestValues(sink.batches))
	want := []string{`10000 12000 "a" 2`, `10000 12000 "b" 1`, `12000 14000 "c" 1`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %v, want %v", got, want)
	}
	// After the batch of time T the watermark is T + 1s.
	if len(infos) < 4 || infos[0].Time.UnixMilli() != 10000 || infos[1].Rows != 1 || infos[3].Watermark != 14000 {
		t.Errorf("batches %+v", infos)
	}
	if m := q.Metrics(); m.Status != "stopped" {
		t.Errorf("status %q", m.Status)
	}
}

// TestSchedulingDelay: batches that take longer than the interval are not
// skipped; the delay grows visibly.
func TestSchedulingDelay(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("w:string")
	clock := &fakeClock{now: time.UnixMilli(0).UTC()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &tickSource{mem: mem, schema: s, cancel: cancel, clock: clock, work: 1500 * time.Millisecond,
		script: [][][]any{{{"a"}}, {{"b"}}, {{"c"}}, {{"d"}}}}
	var infos []BatchInfo
	sink := &memSink{}
	q := &Query{Input: Input{Table: "t", Source: src, TimeCol: -1}, Pipeline: Pipeline{NewLimit(s, 100)}, Sink: sink,
		Interval: time.Second, Clock: clock, OnBatch: func(b BatchInfo) { infos = append(infos, b) }}
	if err := q.Run(ctx); err != nil {
		t.Fatal(err)
	}
	releaseBatches(sink.batches)
	if len(infos) < 4 {
		t.Fatalf("%d batches", len(infos))
	}
	for i := 1; i < 4; i++ {
		if infos[i].SchedulingDelay <= infos[i-1].SchedulingDelay {
			t.Errorf("scheduling delay did not grow: %v then %v", infos[i-1].SchedulingDelay, infos[i].SchedulingDelay)
		}
		if infos[i].Time.Sub(infos[i-1].Time) != time.Second {
			t.Errorf("batch %d skipped time: %v after %v", i, infos[i].Time, infos[i-1].Time)
		}
	}
	if m := q.Metrics(); m.RowsIn != 4 || m.RowsOut != 4 {
		t.Errorf("metrics %+v", m)
	}
}

// TestIdleSourceAdvancesWatermark: an event-time source that goes quiet
// stops holding windows back once it has been idle for IdleTimeout.
func TestIdleSourceAdvancesWatermark(t *testing.T) {
	for _, idle := range []time.Duration{0, 2 * time.Second} {
		mem := winTestMem(t)
		s := winTestSchema("ts:ts", "v:int")
		clock := &fakeClock{now: time.UnixMilli(100_000).UTC()}
		ctx, cancel := context.WithCancel(context.Background())
		script := [][][]any{{{int64(50_000), int64(1)}}}
		for i := 0; i < 20; i++ {
			script = append(script, nil) // twenty quiet seconds
		}
		src := &tickSource{mem: mem, schema: s, cancel: cancel, clock: clock, script: script}
		agg, err := NewWindowAgg(WindowAggConfig{Input: s, Aggs: []AggSpec{{Func: Sum, Arg: 1, Name: "s"}},
			Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: 10_000, Slide: 10_000}, Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		sink := &memSink{}
		q := &Query{Input: Input{Table: "t", Source: src, TimeCol: 0, Delay: 1000, IdleTimeout: idle},
			Pipeline: Pipeline{agg}, Sink: sink, Interval: time.Second, Clock: clock}
		if err := q.Run(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		got := winTestFormat(winTestValues(sink.batches))
		if idle == 0 && len(got) != 0 {
			t.Errorf("without an idle timeout the window was emitted: %v", got)
		}
		if idle > 0 && strings.Join(got, "|") != "50000 60000 1" {
			t.Errorf("with idle timeout %v: got %v", idle, got)
		}
	}
}

// cellExpr reads a batch-time cell, as the planner's PROCTIME() does.
type cellExpr struct{ cell *atomic.Int64 }

func (cellExpr) Type() arrow.DataType { return vector.Timestamp }
func (c cellExpr) Eval(mem memory.Allocator, b arrow.RecordBatch) (arrow.Array, error) {
	return vector.Literal(c.cell.Load(), vector.Timestamp).Eval(mem, b)
}
func (cellExpr) String() string { return "PROCTIME()" }

// cancelSource hands out one batch, then is stopped while the query is
// still reading: its next Next cancels the query and fails with the
// context's error, as a live source's Next does once it is stopped.
type cancelSource struct {
	tickSource
	calls int
}

func (s *cancelSource) Next(ctx context.Context, n int) (arrow.RecordBatch, error) {
	s.calls++
	if s.calls == 1 {
		return winTestBatch(s.mem, s.schema, [][]any{{"a"}, {"b"}}), nil
	}
	s.cancel()
	return nil, ctx.Err()
}

// TestStopWhileReadingFinishesTheBatch: a query stopped in the middle of
// reading a micro-batch still processes, advances and commits the rows it
// read (the batch in flight finishes), then ends.
func TestStopWhileReadingFinishesTheBatch(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("w:string")
	clock := &fakeClock{now: time.UnixMilli(10_500).UTC()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &cancelSource{tickSource: tickSource{mem: mem, schema: s, cancel: cancel, clock: clock}}
	sink := &memSink{}
	defer releaseSink(sink)
	var infos []BatchInfo
	q := &Query{Input: Input{Table: "t", Source: src, TimeCol: -1}, Sink: sink, Interval: time.Second, Clock: clock,
		OnBatch: func(b BatchInfo) { infos = append(infos, b) }}
	if err := q.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Rows != 2 || sink.commits != 1 {
		t.Errorf("batches %+v, %d commits; want the batch of 2 rows committed", infos, sink.commits)
	}
	if got := sinkRows(sink); got != `"a"|"b"` {
		t.Errorf("rows %s", got)
	}
}
