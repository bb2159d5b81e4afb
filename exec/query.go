package exec

import (
	"context"
	"errors"
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
	// Input is where rows come from.
	Input Input
	// Pipeline transforms the source's batches.
	Pipeline Pipeline
	// Graph is the query's dataflow graph, always set by the planner. For
	// a linear query (one source, a chain of operators) Input and
	// Pipeline hold the same source and operators.
	Graph *Graph
	// Sink receives the pipeline's output; Run closes it.
	Sink connectors.Sink
	// BatchRows caps the rows taken from the source per call.
	BatchRows int
	// Interval is the batch interval of a live source (default 1s).
	Interval time.Duration
	// MaxBatchRows caps the rows of one live micro-batch (default 4M); what
	// is left waits in the source's bounded buffer for the next batch.
	MaxBatchRows int64
	// ProcTime, when set, receives each batch's time (ms) before the
	// batch is processed: PROCTIME() reads it.
	ProcTime *atomic.Int64
	// ProcTimeWindows makes the watermark follow processing time: after
	// the batch of time T it is T + Interval.
	ProcTimeWindows bool
	// Clock is the time source (default WallClock).
	Clock Clock
	// OnBatch, if set, is called after every micro-batch, on the goroutine
	// that writes to the sink, after the batch's output was written.
	OnBatch func(BatchInfo)
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
	// Serial keeps the whole query on one goroutine; by default, on a
	// machine with more than one core, decoding and the operators before
	// the first aggregation run on one goroutine and the rest on another.
	Serial bool

	rowsIn, rowsOut, batches atomic.Int64
	checkpoints              atomic.Int64
	watermark, late, bad     atomic.Int64
	state                    atomic.Pointer[WindowStats]
	operators                atomic.Pointer[[]OperatorState]
	status                   atomic.Value // string
	log                      batchLog
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
}

// Metrics returns the query's counters; it is safe to call at any time,
// from any goroutine.
func (q *Query) Metrics() Metrics {
	m := Metrics{RowsIn: q.rowsIn.Load(), RowsOut: q.rowsOut.Load(), Batches: q.batches.Load(),
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

// Discard releases a query that will not run: its operators, source,
// sink and closers.
func (q *Query) Discard() {
	q.Pipeline.Close()
	q.Input.Source.Close()
	q.Sink.Close()
	for _, c := range q.Closers {
		c.Close()
	}
}

// Live reports whether the query reads a live source: one that works in
// the background (a Starter, even if its input ends, like a datagen with a
// row count) or one whose input never ends. Live sources are polled once
// per batch interval; others are read back to back.
func (q *Query) Live() bool {
	if _, ok := q.Input.Source.(connectors.Starter); ok {
		return true
	}
	b, ok := q.Input.Source.(connectors.Bounded)
	return ok && !b.Bounded()
}

// Checkpoints is the number of checkpoints taken so far.
func (q *Query) Checkpoints() int64 { return q.checkpoints.Load() }

// Batches returns the most recent micro-batches (up to 1024), oldest first.
func (q *Query) Batches() []BatchInfo { return q.log.all() }

// CountBadRow adds one to the query's bad-row count; the planner wires it
// into the source's BadRow handler.
func (q *Query) CountBadRow() { q.bad.Add(1) }

// Run reads the source until it ends, ctx is done or a LIMIT of the
// pipeline is satisfied (see Finite), and writes what the pipeline emits
// to the sink, one micro-batch at a time. A bounded source
// is read back to back as fast as it goes; a live one is polled once per
// Interval. After each batch the watermark advances once; at the end of a
// bounded source it becomes MaxWatermark and every open window is emitted.
// Run closes the source, the pipeline and the sink. It returns nil when
// the input ended, a LIMIT was satisfied or ctx was cancelled, or the
// error that stopped it. A panic in the query (an operator's bug) stops
// only this query: Run returns it as a *PanicError, after stopping the
// back stage and closing the source, the pipeline and the sink.
func (q *Query) Run(ctx context.Context) (err error) {
	q.status.Store("running")
	var r *runner
	defer func() {
		q.Pipeline.Close()
		if cerr := safeClose("source "+q.Input.Table, q.Input.Source); err == nil && cerr != nil {
			err = cerr
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
	if s, ok := q.Input.Source.(connectors.Starter); ok {
		if err := s.Start(ctx); err != nil {
			return err
		}
	}
	r = &runner{q: q, wm: MinWatermark, maxTs: MinWatermark, everyBatch: emitsEveryBatch(q.Pipeline)}
	split := q.splitPoint()
	r.front = q.Pipeline[:split]
	r.back = newBackStage(q, q.Pipeline[split:], !q.Serial && runtime.GOMAXPROCS(0) > 1)
	if q.Checkpoint != nil {
		if err = q.checkStateful(); err == nil {
			err = r.restore()
		}
		if err != nil {
			r.back.close()
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
	} else if err == nil && q.Checkpoint != nil {
		// Stopped (SIGINT, SIGTERM): the batch in flight is done; save it.
		err = r.checkpoint(false)
	}
	if berr := r.back.close(); err == nil {
		err = berr
	}
	return err
}

// splitPoint is where the pipeline is cut between the two stages: at the
// first aggregation, or before every operator when there is none.
func (q *Query) splitPoint() int {
	for i, op := range q.Pipeline {
		if _, ok := op.(*WindowAgg); ok {
			return i
		}
	}
	return 0
}

// runner is the state of one Run.
type runner struct {
	q         *Query
	wm, maxTs int64
	// front runs on the source's goroutine; back runs the operators from
	// the first aggregation on, and the sink, on a second goroutine when
	// the query is parallel, so that decoding and aggregating overlap.
	front Pipeline
	back  *backStage
	// checkpoint bookkeeping
	ckSeq         int64
	sinceCk       int
	lastCk        time.Time
	restoredEpoch int64
	restoredFrom  string
	// lastRow is the wall time the last row arrived (live sources), and
	// idleBase the watermark then.
	lastRow  time.Time
	idleBase int64
	// everyBatch is set when an operator emits per micro-batch
	// (MicroBatchEmitter): the pipeline is advanced after every
	// micro-batch, even when the watermark did not move.
	everyBatch bool
}

func (r *runner) runBounded(ctx context.Context) error {
	q := r.q
	for ctx.Err() == nil && !q.satisfied() {
		start := q.Clock.Now()
		b, err := r.next(ctx)
		if errors.Is(err, connectors.ErrEndOfInput) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopped while waiting for input
			}
			return err
		}
		if q.ProcTime != nil {
			q.ProcTime.Store(start.UnixMilli())
		}
		n := b.NumRows()
		if err := r.process(b); err != nil {
			return err
		}
		if err := r.advance(r.eventWatermark()); err != nil {
			return err
		}
		if err := r.commit(BatchInfo{Time: start, Rows: n}, start); err != nil {
			return err
		}
		if err := r.maybeCheckpoint(); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) runLive(ctx context.Context) error {
	q := r.q
	iv := q.Interval
	due := q.Clock.Now().Truncate(iv).Add(iv)
	r.lastRow = q.Clock.Now()
	for {
		if q.satisfied() {
			return nil // a LIMIT has all its rows: the query is complete
		}
		if err := q.Clock.SleepUntil(ctx, due); err != nil {
			return nil // cancelled: stop quietly
		}
		start := q.Clock.Now()
		batchTime := due.Add(-iv)
		if q.ProcTime != nil {
			q.ProcTime.Store(batchTime.UnixMilli())
		}
		var rows int64
		ended := false
		for rows < q.MaxBatchRows {
			b, err := r.next(ctx)
			if errors.Is(err, connectors.ErrNoData) {
				break
			}
			if errors.Is(err, connectors.ErrEndOfInput) {
				ended = true
				break
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil // stopped while reading
				}
				return err
			}
			rows += b.NumRows()
			if err := r.process(b); err != nil {
				return err
			}
		}
		now := q.Clock.Now()
		if rows > 0 {
			r.lastRow, r.idleBase = now, r.eventWatermark()
		}
		wm := r.eventWatermark()
		if q.ProcTimeWindows {
			wm = due.UnixMilli()
		} else if q.Input.IdleTimeout > 0 && q.Input.TimeCol >= 0 && r.idleBase != MinWatermark {
			if idle := now.Sub(r.lastRow) - q.Input.IdleTimeout; idle > 0 {
				wm = max(wm, r.idleBase+idle.Milliseconds())
			}
		}
		if err := r.advance(wm); err != nil {
			return err
		}
		if err := r.commit(BatchInfo{Time: batchTime, Rows: rows, SchedulingDelay: start.Sub(due)}, start); err != nil {
			return err
		}
		if err := r.maybeCheckpoint(); err != nil {
			return err
		}
		if ended {
			return nil
		}
		if bl, ok := q.Input.Source.(connectors.Backlogger); ok && bl.Backlogged() {
			// Input waits faster than one batch per tick takes it: go again
			// at once, with the same batch time.
			continue
		}
		// A batch that ran long delays the next one; none is skipped, so a
		// query that falls behind shows a growing scheduling delay.
		due = due.Add(iv)
	}
}

// next is the source's Next; a panic in the source fails the query.
func (r *runner) next(ctx context.Context) (b arrow.RecordBatch, err error) {
	defer func() {
		if v := recover(); v != nil {
			b, err = nil, newPanicError("source "+r.q.Input.Table, v)
		}
	}()
	return r.q.Input.Source.Next(ctx, r.q.BatchRows)
}

// satisfied reports whether an operator of the pipeline will never emit
// again (a LIMIT that has passed all its rows): then the query stops
// reading and ends as if its input had ended.
func (q *Query) satisfied() bool {
	for _, op := range q.Pipeline {
		if f, ok := op.(Finite); ok && f.Satisfied() {
			return true
		}
	}
	return false
}

// eventWatermark is the largest event time seen minus the delay.
func (r *runner) eventWatermark() int64 {
	if r.q.Input.TimeCol < 0 || r.maxTs == MinWatermark {
		return MinWatermark
	}
	return r.maxTs - r.q.Input.Delay
}

// process runs one source batch through the front operators and hands
// what they produce to the back stage.
func (r *runner) process(b arrow.RecordBatch) error {
	q := r.q
	q.rowsIn.Add(b.NumRows())
	if q.Input.TimeCol >= 0 {
		if t := maxTimestamp(b.Column(q.Input.TimeCol)); t > r.maxTs {
			r.maxTs = t
		}
	}
	out, err := r.front.Push(b)
	if err != nil {
		return err
	}
	return r.sendAll(out)
}

func (r *runner) sendAll(bs []arrow.RecordBatch) error {
	for i, b := range bs {
		if err := r.back.send(stageMsg{batch: b}); err != nil {
			releaseBatches(bs[i+1:])
			return err
		}
	}
	return nil
}

// advance moves the watermark forward (never back) through the pipeline.
func (r *runner) advance(wm int64) error {
	if wm <= r.wm {
		if !r.everyBatch {
			return nil
		}
		wm = r.wm
	}
	r.wm = wm
	r.q.watermark.Store(wm)
	out, err := r.front.Advance(wm)
	if err != nil {
		return err
	}
	if err := r.sendAll(out); err != nil {
		return err
	}
	return r.back.send(stageMsg{advance: true, wm: wm})
}

// commit ends a micro-batch begun at start.
func (r *runner) commit(info BatchInfo, start time.Time) error {
	info.Watermark = r.wm
	return r.back.send(stageMsg{commit: true, info: info, start: start})
}

// finish emits every open window at the end of the input.
func (r *runner) finish() error {
	start := r.q.Clock.Now()
	if err := r.advance(MaxWatermark); err != nil {
		return err
	}
	return r.commit(BatchInfo{Time: start}, start)
}

func (q *Query) write(bs []arrow.RecordBatch) error {
	for i, b := range bs {
		q.rowsOut.Add(b.NumRows())
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
func (q *Query) WaitsForEndOfInput() bool {
	if !q.Live() || q.ProcTimeWindows || q.Input.TimeCol >= 0 {
		return false
	}
	for _, op := range q.Pipeline {
		if w, ok := op.(*WindowAgg); ok && w.win {
			return true
		}
	}
	return false
}
