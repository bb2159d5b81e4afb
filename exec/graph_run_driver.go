package exec

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/connectors"
)

// runner is the state of one Run.
type runner struct {
	q    *Query
	plan *graphPlan
	// wm is the watermark of the query's output.
	wm int64
	// ins is the state of each input: its watermark, whether it ended.
	ins []inputState
	// procMs is the time of the micro-batch being read (ms): the front
	// stage's PROCTIME(), and the time stamped on every message it sends.
	procMs int64
	// front runs the nodes before the first stateful one on the sources'
	// goroutine; back runs the rest, and the sink, on a second goroutine
	// when the query is parallel, so that decoding and aggregating overlap.
	front *graphStage
	back  *backStage
	// checkpoint bookkeeping
	ckSeq         int64
	sinceCk       int
	lastCk        time.Time
	restoredEpoch int64
	restoredFrom  string
}

// inputState is what the driver knows of one input: its own event-time
// watermark (never decreasing), the largest event time seen, whether it
// ended, and for idle timeouts the wall time its last row arrived and the
// watermark then.
type inputState struct {
	wm, maxTs int64
	ended     bool
	lastRow   time.Time
	idleBase  int64
}

// allEnded reports whether every input has ended.
func (r *runner) allEnded() bool {
	for _, in := range r.ins {
		if !in.ended {
			return false
		}
	}
	return true
}

// startBatch sets the processing time of the micro-batch about to be read.
func (r *runner) startBatch(ms int64) {
	r.procMs = ms
	if r.q.ProcTime != nil {
		r.q.ProcTime.Store(ms)
	}
	r.front.setProcTime(ms)
}

// runBounded reads bounded inputs back to back: each micro-batch takes one
// batch from every input that has not ended, in input order.
func (r *runner) runBounded(ctx context.Context) error {
	q := r.q
	for ctx.Err() == nil && !r.plan.satisfied() {
		start := q.Clock.Now()
		r.startBatch(start.UnixMilli())
		var n int64
		read := false
		for i := range r.ins {
			if r.ins[i].ended {
				continue
			}
			b, err := r.next(ctx, i)
			if errors.Is(err, connectors.ErrEndOfInput) {
				r.ins[i].ended = true
				continue
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil // stopped while waiting for input
				}
				return err
			}
			read = true
			n += b.NumRows()
			if err := r.process(i, b); err != nil {
				return err
			}
		}
		if !read && r.allEnded() {
			return nil
		}
		if err := r.advance(func(i int) int64 { return r.eventWatermark(i) }); err != nil {
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

// runLive polls every input once per interval.
func (r *runner) runLive(ctx context.Context) error {
	q := r.q
	iv := q.Interval
	due := q.Clock.Now().Truncate(iv).Add(iv)
	for i := range r.ins {
		r.ins[i].lastRow = q.Clock.Now()
	}
	for {
		if r.plan.satisfied() {
			return nil // a LIMIT has all its rows: the query is complete
		}
		if err := q.Clock.SleepUntil(ctx, due); err != nil {
			return nil // cancelled: stop quietly
		}
		start := q.Clock.Now()
		batchTime := due.Add(-iv)
		r.startBatch(batchTime.UnixMilli())
		var rows int64
		got := make([]bool, len(r.ins))
		// stopped is set when the query is cancelled while it reads: the
		// rows read so far still make a micro-batch that is advanced and
		// committed (the batch in flight finishes), then the loop ends.
		stopped := false
		for i := range r.ins {
			if r.ins[i].ended || stopped {
				continue
			}
			var inRows int64
			for inRows < q.MaxBatchRows {
				b, err := r.next(ctx, i)
				if errors.Is(err, connectors.ErrNoData) {
					break
				}
				if errors.Is(err, connectors.ErrEndOfInput) {
					r.ins[i].ended = true
					break
				}
				if err != nil {
					if ctx.Err() != nil {
						stopped = true
						break
					}
					return err
				}
				inRows += b.NumRows()
				if err := r.process(i, b); err != nil {
					return err
				}
			}
			rows += inRows
			got[i] = inRows > 0
		}
		now := q.Clock.Now()
		for i := range r.ins {
			if got[i] {
				r.ins[i].lastRow, r.ins[i].idleBase = now, r.eventWatermark(i)
			}
		}
		err := r.advance(func(i int) int64 {
			in, d := &r.ins[i], r.plan.g.Inputs[i]
			wm := r.eventWatermark(i)
			if q.ProcTimeWindows {
				wm = due.UnixMilli()
			} else if d.IdleTimeout > 0 && d.TimeCol >= 0 && in.idleBase != MinWatermark {
				if idle := now.Sub(in.lastRow) - d.IdleTimeout; idle > 0 {
					wm = max(wm, in.idleBase+idle.Milliseconds())
				}
			}
			return wm
		})
		if err != nil {
			return err
		}
		if err := r.commit(BatchInfo{Time: batchTime, Rows: rows, SchedulingDelay: start.Sub(due)}, start); err != nil {
			return err
		}
		if err := r.maybeCheckpoint(); err != nil {
			return err
		}
		if r.allEnded() || stopped {
			return nil
		}
		backlog := false
		for i, in := range r.plan.g.Inputs {
			if bl, ok := in.Source.(connectors.Backlogger); ok && !r.ins[i].ended && bl.Backlogged() {
				backlog = true
			}
		}
		if backlog {
			// Input waits faster than one batch per tick takes it: go again
			// at once, with the same batch time.
			continue
		}
		// A batch that ran long delays the next one; none is skipped, so a
		// query that falls behind shows a growing scheduling delay.
		due = due.Add(iv)
	}
}

// next is input i's Next; a panic in the source fails the query.
func (r *runner) next(ctx context.Context, i int) (b arrow.RecordBatch, err error) {
	in := r.plan.g.Inputs[i]
	defer func() {
		if v := recover(); v != nil {
			b, err = nil, newPanicError("source "+in.Table, v)
		}
	}()
	return in.Source.Next(ctx, r.q.BatchRows)
}

// eventWatermark is input i's largest event time seen minus its delay,
// or MaxWatermark once it ended.
func (r *runner) eventWatermark(i int) int64 {
	in := r.plan.g.Inputs[i]
	switch {
	case r.ins[i].ended:
		return MaxWatermark
	case in.TimeCol < 0 || r.ins[i].maxTs == MinWatermark:
		return MinWatermark
	}
	ts := r.ins[i].maxTs
	if f, ok := in.Source.(connectors.EventTimeFloor); ok {
		// The slowest of the source's streams (a topic's partitions).
		if floor := f.EventTimeFloor(); floor < ts {
			if floor == math.MinInt64 {
				return MinWatermark
			}
			ts = floor
		}
	}
	return ts - in.Delay
}

// process runs one batch of input i through the front stage, which hands
// what reaches the back stage on to it.
func (r *runner) process(i int, b arrow.RecordBatch) error {
	q := r.q
	q.rowsIn.Add(b.NumRows())
	if c := r.plan.g.Inputs[i].TimeCol; c >= 0 {
		if t := maxTimestamp(b.Column(c)); t > r.ins[i].maxTs {
			r.ins[i].maxTs = t
		}
	}
	return r.front.deliver(FromInput(i), b)
}

// advance ends the reading of a micro-batch: each input's watermark moves
// to inputWm(i) (never back), and every node of both stages advances, in
// band after the micro-batch's batches, to the minimum of its ports'.
func (r *runner) advance(inputWm func(i int) int64) error {
	wms := make([]int64, len(r.ins))
	for i := range r.ins {
		r.ins[i].wm = max(r.ins[i].wm, inputWm(i))
		wms[i] = r.ins[i].wm
	}
	return r.advanceTo(wms)
}

func (r *runner) advanceTo(wms []int64) error {
	r.wm = max(r.wm, r.plan.outputWatermark(wms))
	r.q.watermark.Store(r.wm)
	if err := r.front.advance(wms); err != nil {
		return err
	}
	return r.back.send(stageMsg{advance: true, wms: wms, procMs: r.procMs})
}

// commit ends a micro-batch begun at start.
func (r *runner) commit(info BatchInfo, start time.Time) error {
	info.Watermark = r.wm
	return r.back.send(stageMsg{commit: true, info: info, start: start, procMs: r.procMs})
}

// finish emits every open window at the end of the input (or once a
// LIMIT is satisfied): every input's watermark becomes MaxWatermark.
func (r *runner) finish() error {
	start := r.q.Clock.Now()
	wms := make([]int64, len(r.ins))
	for i := range r.ins {
		r.ins[i].wm = MaxWatermark
		wms[i] = MaxWatermark
	}
	if err := r.advanceTo(wms); err != nil {
		return err
	}
	return r.commit(BatchInfo{Time: start}, start)
}
