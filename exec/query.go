package exec

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/connectors"
)

// Input is a query's source together with its event-time declaration.
type Input struct {
	// Table names the source, for messages.
	Table string
	// Source yields the table's batches.
	Source connectors.Source
	// TimeCol is the index of the watermark column in the source's schema,
	// or -1 when the table declares no watermark: then the watermark stays
	// at MinWatermark until a bounded source ends.
	TimeCol int
	// Delay is subtracted from the largest event time seen (milliseconds).
	Delay int64
	// IdleTimeout, when positive, stops an idle live source from holding
	// back the watermark: once no row has arrived for that long, the
	// watermark moves on with the wall clock.
	IdleTimeout time.Duration
}

// Query is one continuous query: a source, a pipeline and a sink.
type Query struct {
	// ID numbers the query within its session.
	ID int
	// SQL is the query's text.
	SQL string
	// Graph, when set, is the query's dataflow graph: its inputs, its
	// operators and which output goes to the sink. When it is nil, the
	// query is the chain Input, then Pipeline.
	Graph *Graph
	// Input is where rows come from, when Graph is nil.
	Input Input
	// Pipeline transforms the source's batches, when Graph is nil.
	Pipeline Pipeline
	// Sink receives the pipeline's output; Run closes it.
	Sink connectors.Sink
	// BatchRows caps the rows taken from the source per call.
	BatchRows int
	// Interval is the batch interval of a live source (default 1s).
	Interval time.Duration
	// MaxBatchRows caps the rows of one live micro-batch (default 4M); what
	// is left waits in the source's bounded buffer for the next batch.
	MaxBatchRows int64
	// ProcTime, when set, receives each micro-batch's time (ms) before the
	// front stage reads it: PROCTIME() bound to it is right on the front
	// stage. Operators after the first stateful one run on the back stage,
	// possibly while the front reads a later micro-batch; they get their
	// batch's time through ProcTimeSetter instead.
	ProcTime *atomic.Int64
	// ProcTimeWindows makes the watermark follow processing time: after
	// the batch of time T it is T + Interval.
	ProcTimeWindows bool
	// Clock is the time source (default WallClock).
	Clock Clock
	// OnBatch, if set, is called after every micro-batch, on the goroutine
	// that writes to the sink, after the batch's output was written.
	OnBatch func(BatchInfo)
	// Tap, if set, is called with every non-empty batch given to the sink,
	// in order, just before it goes to the sink, on the goroutine that
	// hands it over (before OnBatch of its micro-batch). The batch is valid
	// only for the call: copy what is kept.
	Tap func(arrow.RecordBatch)
	// Checkpoint, if set, makes the query save its state periodically and
	// resume from the newest checkpoint when it starts.
	Checkpoint *Checkpointing
	// Closers are closed when the query ends (a dead-letter file).
	Closers []io.Closer
	// MaxStateBytes, when positive, caps the state of each stateful
	// operator (StateReporter): after a micro-batch that leaves one over
	// it, the query fails with an error naming the operator and its size.
	// See DefaultMaxStateBytes.
	MaxStateBytes int64
	// Log receives the query's warnings (its state nearing
	// MaxStateBytes); nil discards them.
	Log *slog.Logger
	// Parallelism is the number of workers the query was planned for
	// (recorded in checkpoints; 0 or 1: one).
	Parallelism int
	// Serial keeps the whole query on one goroutine; by default, on a
	// machine with more than one core, decoding and the operators before
	// the first aggregation run on one goroutine and the rest on another.
	Serial bool

	rowsIn, rowsOut, batches atomic.Int64
	checkpoints              atomic.Int64
	watermark, late, bad     atomic.Int64
	peakBytes, peakKeys      atomic.Int64
	state                    atomic.Pointer[WindowStats]
	operators                atomic.Pointer[[]OperatorState]
	status                   atomic.Value // string
	abandoned                atomic.Bool
	log                      batchLog
	ckLog                    checkpointLog
}

// Metrics are a query's counters so far.
type Metrics struct {
	RowsIn, RowsOut, Batches int64
	// LateRows counts rows dropped because their windows had all closed.
	LateRows int64
	// BadRows counts input records skipped as malformed.
	BadRows int64
	// Watermark is the query's current watermark.
	Watermark int64
	// State sizes the query's window state.
	State WindowStats
	// Operators sizes each stateful operator's state.
	Operators []OperatorState
	// Status is "running", "finished", "stopped" or "failed: ...".
	Status string
	// PeakStateBytes and PeakStateKeys are the largest state the query's
	// operators held together at the end of a micro-batch so far.
	PeakStateBytes, PeakStateKeys int64
}

// Metrics returns the query's counters; it is safe to call at any time,
// from any goroutine.
func (q *Query) Metrics() Metrics {
	m := Metrics{RowsIn: q.rowsIn.Load(), RowsOut: q.rowsOut.Load(), Batches: q.batches.Load(),
		PeakStateBytes: q.peakBytes.Load(), PeakStateKeys: q.peakKeys.Load(),
		Watermark: q.watermark.Load(), LateRows: q.late.Load(), BadRows: q.bad.Load(), Status: "starting"}
	if s := q.state.Load(); s != nil {
		m.State = *s
	}
	if o := q.operators.Load(); o != nil {
		m.Operators = *o
	}
	if s, ok := q.status.Load().(string); ok {
		m.Status = s
	}
	return m
}

// graph is the query's dataflow graph: Graph, or, when it is nil, one
// built from Input and Pipeline (a chain over one source).
func (q *Query) graph() *Graph {
	if q.Graph != nil {
		return q.Graph
	}
	g := &Graph{Inputs: []Input{q.Input}, Output: FromInput(0)}
	for i, op := range q.Pipeline {
		g.Nodes = append(g.Nodes, GraphNode{Op: op, From: []Port{g.Output}})
		g.Output = FromNode(i)
	}
	return g
}

// Inputs are the query's sources, in input order.
func (q *Query) Inputs() []Input { return q.graph().Inputs }

// Abandon makes a query stopped by cancelling its context end without a
// last checkpoint and without publishing what its sink holds: the
// process lost its input to another (a Kafka partition whose group
// session expired), which resumes from the last checkpoint. Call it
// before cancelling.
func (q *Query) Abandon() { q.abandoned.Store(true) }

// Discard releases a query that will not run: its operators, sources,
// sink and closers.
func (q *Query) Discard() {
	g := q.graph()
	for _, n := range g.Nodes {
		opClose(n.Op)
	}
	for _, in := range g.Inputs {
		in.Source.Close()
	}
	q.Sink.Close()
	for _, c := range q.Closers {
		c.Close()
	}
}

// Live reports whether the query reads a live source: one that works in
// the background (a Starter, even if its input ends, like a datagen with a
// row count) or one whose input never ends. A query with several inputs
// is live when any of them is. Live queries are polled once per batch
// interval; others are read back to back.
func (q *Query) Live() bool {
	for _, in := range q.Inputs() {
		if in.live() {
			return true
		}
	}
	return false
}

func (in Input) live() bool {
	if _, ok := in.Source.(connectors.Starter); ok {
		return true
	}
	b, ok := in.Source.(connectors.Bounded)
	return ok && !b.Bounded()
}

// Checkpoints is the number of checkpoints taken so far.
func (q *Query) Checkpoints() int64 { return q.checkpoints.Load() }

// Batches returns the most recent micro-batches (up to 1024), oldest first.
func (q *Query) Batches() []BatchInfo { return q.log.all() }

// CountBadRow adds one to the query's bad-row count; the planner wires it
// into the source's BadRow handler.
func (q *Query) CountBadRow() { q.bad.Add(1) }

// Run reads the sources until they all end, ctx is done or a LIMIT of the
// graph is satisfied (see Finite), and writes what the graph emits to the
// sink, one micro-batch at a time. Bounded sources are read back to back
// as fast as they go, one batch of each per micro-batch; in a live query
// (any input live) every input is polled once per Interval. After each
// micro-batch every node advances once, to the minimum of its inputs'
// watermarks; an input that ended has MaxWatermark, so once all have
// ended every open window is emitted. Run closes the sources, the
// operators and the sink. It returns nil when the input ended, a LIMIT
// was satisfied or ctx was cancelled, or the error that stopped it. A
// panic in the query (an operator's bug) stops only this query: Run
// returns it as a *PanicError, after stopping the back stage and closing
// the sources, the operators and the sink.
func (q *Query) Run(ctx context.Context) (err error) {
	q.status.Store("running")
	g := q.graph()
	var r *runner
	defer func() {
		for _, n := range g.Nodes {
			opClose(n.Op)
		}
		for _, in := range g.Inputs {
			if cerr := safeClose("source "+in.Table, in.Source); err == nil && cerr != nil {
				err = cerr
			}
		}
		if cerr := safeClose("the sink", q.Sink); err == nil && cerr != nil {
			err = cerr
		}
		for _, c := range q.Closers {
			if cerr := safeClose("a closer", c); err == nil && cerr != nil {
				err = cerr
			}
		}
		setPanicQuery(err, q.ID)
		switch {
		case err != nil:
			q.status.Store("failed: " + err.Error())
		case ctx.Err() != nil:
			q.status.Store("stopped")
		default:
			q.status.Store("finished")
		}
	}()
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError("the query's driver", v)
			if r != nil && r.back != nil {
				r.back.close() // its own error, if any, comes second
			}
		}
		setPanicQuery(err, q.ID)
	}()
	if q.Clock == nil {
		q.Clock = WallClock{}
	}
	if q.Interval <= 0 {
		q.Interval = time.Second
	}
	if q.BatchRows <= 0 {
		q.BatchRows = 8192
	}
	if q.MaxBatchRows <= 0 {
		q.MaxBatchRows = 4 << 20
	}
	q.watermark.Store(MinWatermark)
	plan, err := newGraphPlan(g)
	if err != nil {
		return err
	}
	for _, in := range g.Inputs {
		if s, ok := in.Source.(connectors.Starter); ok {
			if err := s.Start(ctx); err != nil {
				return err
			}
		}
	}
	r = &runner{q: q, plan: plan, wm: MinWatermark, ins: make([]inputState, len(g.Inputs))}
	for i := range r.ins {
		r.ins[i] = inputState{wm: MinWatermark, maxTs: MinWatermark}
	}
	r.back = newBackStage(q, plan, !q.Serial && runtime.GOMAXPROCS(0) > 1 && !plan.procTimeOnBothStages())
	r.front = newGraphStage(plan, 0, plan.cut, func(from Port, b arrow.RecordBatch) error {
		return r.back.send(stageMsg{port: from, batch: b, procMs: r.procMs})
	})
	if q.Checkpoint != nil {
		if err = r.restore(); err != nil {
			r.back.close()
			if a, ok := q.Sink.(connectors.Aborter); ok {
				a.Abort() // keep the earlier runs' output
			}
			return err
		}
		if q.Checkpoint.atEnd { // a finished run: nothing left to read
			return r.back.close()
		}
		r.lastCk = q.Clock.Now()
	}
	if q.Live() {
		err = r.runLive(ctx)
	} else {
		err = r.runBounded(ctx)
	}
	if err == nil && ctx.Err() == nil {
		err = r.finish()
		if err == nil && q.Checkpoint != nil {
			err = r.checkpoint(true)
		}
	} else if err == nil && q.Checkpoint != nil && !q.abandoned.Load() {
		// Stopped (SIGINT, SIGTERM): the batch in flight is done; save it.
		err = r.checkpoint(false)
	}
	if q.abandoned.Load() {
		if a, ok := q.Sink.(connectors.Aborter); ok {
			a.Abort() // publish nothing more: another process owns the input now
		}
	}
	if berr := r.back.close(); err == nil {
		err = berr
	}
	return err
}

func (q *Query) write(bs []arrow.RecordBatch) error {
	for i, b := range bs {
		q.rowsOut.Add(b.NumRows())
		q.tap(b)
		if err := q.Sink.Write(b); err != nil {
			releaseBatches(bs[i+1:])
			return err
		}
	}
	return nil
}

// maxTimestamp is the largest non-null value of a Timestamp column, or
// MinWatermark.
func maxTimestamp(a arrow.Array) int64 {
	ts, ok := a.(*array.Timestamp)
	if !ok {
		return MinWatermark
	}
	m := MinWatermark
	vals := ts.TimestampValues()
	if ts.NullN() == 0 {
		for _, v := range vals {
			if int64(v) > m {
				m = int64(v)
			}
		}
		return m
	}
	for i, v := range vals {
		if ts.IsValid(i) && int64(v) > m {
			m = int64(v)
		}
	}
	return m
}

// WaitsForEndOfInput reports whether the query's windows can only close
// when its input ends: a live source with windows over event time but no
// watermark declared. Such a query never emits; the CLI warns about it.
func (q *Query) WaitsForEndOfInput() bool { return len(q.TablesWithoutWatermark()) > 0 }

// TablesWithoutWatermark names the live inputs that hold back a windowed
// operator (Windowed) forever, because they declare no watermark: their
// watermark stays at MinWatermark until they end, which they never do.
// It is empty for queries without such a window, or windowed over
// processing time.
func (q *Query) TablesWithoutWatermark() []string {
	if q.ProcTimeWindows {
		return nil
	}
	g := q.graph()
	windowed := false
	for _, n := range g.Nodes {
		if w, ok := n.Op.(Windowed); ok && w.WaitsForWatermark() {
			windowed = true
		}
	}
	if !windowed {
		return nil
	}
	var names []string
	for _, in := range g.Inputs {
		if in.live() && in.TimeCol < 0 {
			names = append(names, in.Table)
		}
	}
	return names
}
