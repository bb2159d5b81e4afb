package exec

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/connectors"
)

// stageMsg is what the front of a query hands its back stage, in order,
// in band: a batch with the port it came out of (an input's, or a front
// node's), the watermark of every input after a micro-batch, the end of a
// micro-batch, or a checkpoint barrier. Each carries the time of the
// micro-batch it belongs to (procMs), which the back stage gives its
// PROCTIME() operators: a slow back stage still stamps rows with their own
// batch's time, not the one the front is reading.
//
// Barriers are aligned by construction, as Flink's aligned checkpoints
// are: the front sends every input's batches of a micro-batch, then its
// advance and commit, then the barrier, all on this one ordered channel.
// When the back stage reaches the barrier it has processed everything of
// every input before it and nothing after, and it owns every stateful
// operator (the cut puts them all on the back stage), so it snapshots
// them on its own goroutine with no input to hold back. When the back
// stage is cut in two (aheadStage), the first part snapshots its own
// operators as the barrier passes it and sends the snapshots on with it.
type stageMsg struct {
	port    Port
	batch   arrow.RecordBatch
	advance bool
	wms     []int64 // each input's watermark
	commit  bool
	info    BatchInfo
	start   time.Time
	procMs  int64
	// checkpoint, when set, is a barrier: save the state reached so far.
	checkpoint *checkpointMeta
	// ahead, on a commit that went through an aheadStage, is the state
	// of its operators.
	ahead *aheadState
}

// backStage runs the graph's nodes from the first stateful one on and
// writes the output to the sink. It runs inline, or on its own goroutine
// fed through a small bounded channel (so a slow back stage slows the
// source: backpressure).
type backStage struct {
	q     *Query
	plan  *graphPlan
	stage *graphStage
	ops   Pipeline
	epoch int64
	ch    chan stageMsg
	stop  chan struct{} // closed when the goroutine hit an error
	done  chan struct{} // closed when the goroutine has ended
	err   error
	// closed is set by close; it is only used by the front's goroutine.
	closed bool
	// limits holds the state of the operators to MaxStateBytes.
	limits stateCheck
	// sink, when not nil, writes the output on a goroutine of its own.
	sink *sinkStage
	// ahead, when not nil, runs the nodes [plan.cut, lo) on a goroutine
	// of its own before this stage (the back stage cut in two, see
	// graphPlan.backSplit); this stage runs [lo, len).
	ahead *aheadStage
	lo    int
}

// stageQueue is how many messages the front may hand a back stage ahead
// of it. A back stage busy only part of the time (an aggregation summing
// partial counts, a window firing) works in bursts; with a short queue the
// front then blocks on it and leaves a core idle (4 measured 5% slower
// than 16 on the word count at parallelism 2).
const stageQueue = 16

func newBackStage(q *Query, plan *graphPlan, async bool) *backStage {
	s := &backStage{q: q, plan: plan, lo: plan.cut}
	if async {
		s.sink = newSinkStage(q.Sink)
		if k := plan.backSplit(); k > 0 {
			s.lo = k
		}
	}
	s.stage = newGraphStage(plan, s.lo, len(plan.g.Nodes), func(_ Port, b arrow.RecordBatch) error {
		if s.sink != nil {
			q.rowsOut.Add(b.NumRows())
			q.tap(b)
			return s.sink.write(b)
		}
		return q.write([]arrow.RecordBatch{b})
	})
	s.ops = s.stage.ops()
	if async {
		s.ch = make(chan stageMsg, stageQueue)
		s.stop = make(chan struct{})
		s.done = make(chan struct{})
		go s.loop()
		if s.lo > plan.cut {
			s.ahead = newAheadStage(q, plan, s.lo, s)
		}
	}
	return s
}

// send hands m to the stage (to its aheadStage first, when it has one);
// it takes ownership of m.batch. After the stage failed it returns the
// stage's error.
func (s *backStage) send(m stageMsg) error {
	if s.ahead != nil {
		return s.ahead.send(m)
	}
	return s.put(m)
}

// put hands m to this stage itself.
func (s *backStage) put(m stageMsg) error {
	if s.ch == nil {
		return s.handle(m)
	}
	return stageSend(s.ch, s.stop, &s.err, m)
}

// stageSend hands m to a stage's goroutine through ch, or, once the stage
// failed (stop closed), releases m's batch and returns the stage's error
// (*errp, set before stop was closed).
func stageSend(ch chan<- stageMsg, stop <-chan struct{}, errp *error, m stageMsg) error {
	select {
	case ch <- m:
		return nil
	case <-stop:
		if m.batch != nil {
			m.batch.Release()
		}
		return *errp
	}
}

func (s *backStage) loop() {
	defer close(s.done)
	defer func() { // every write reached the sink before the stage ends
		if err := s.sink.close(); err != nil && s.err == nil {
			s.err = err
		}
	}()
	stageLoop(s.ch, s.stop, &s.err, "the query's output stage", s.handle)
}

// stageLoop runs handle on every message of ch, on the stage's own
// goroutine, until ch is closed. A panic there (in the sink, a callback)
// fails the query instead of the process, as an error naming what (panics
// in operators are already errors naming the operator). On the first
// error it sets *errp, then closes stop, and from then on only releases
// the batches still sent to it.
func stageLoop(ch <-chan stageMsg, stop chan struct{}, errp *error, what string, handle func(stageMsg) error) {
	safe := func(m stageMsg) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = newPanicError(what, v)
			}
		}()
		return handle(m)
	}
	for m := range ch {
		if *errp != nil { // failed: drain what the front still sends
			if m.batch != nil {
				m.batch.Release()
			}
			continue
		}
		if err := safe(m); err != nil {
			*errp = err
			close(stop)
		}
	}
}

// close waits for the stage (its aheadStage first) to finish what it was
// sent and returns the first error. Later calls return nil.
func (s *backStage) close() error {
	if s.ch == nil || s.closed {
		return nil
	}
	var err error
	if s.ahead != nil {
		err = s.ahead.close()
	}
	s.closed = true
	close(s.ch)
	<-s.done
	if err == nil {
		err = s.err
	}
	return err
}

func (s *backStage) handle(m stageMsg) error {
	q := s.q
	switch {
	case m.batch != nil:
		s.stage.setProcTime(m.procMs)
		if err := s.stage.deliver(m.port, m.batch); err != nil {
			return err
		}
		// A live micro-batch can hold millions of rows: hold the state to
		// its limit after each batch read, not only at the commit.
		return s.limits.check(q, s.ops)
	case m.advance:
		s.stage.setProcTime(m.procMs)
		return s.stage.advance(m.wms)
	case m.commit:
		return s.commit(m.info, m.start, m.ahead)
	case m.checkpoint != nil:
		return s.writeCheckpoint(m.checkpoint)
	}
	return nil
}

// commit ends a micro-batch: the sink commits an epoch, the state of the
// operators is measured and held to the query's limit, and the batch is
// recorded with the time it took, from its start on the front stage.
func (s *backStage) commit(info BatchInfo, start time.Time, ahead *aheadState) error {
	q := s.q
	s.epoch++
	if s.sink == nil {
		if bt, ok := q.Sink.(connectors.BatchTimer); ok {
			bt.BatchTime(info.Time)
		}
		if err := q.Sink.Commit(s.epoch); err != nil {
			return err
		}
	}
	per, st := measure(s.ops)
	if ahead != nil {
		per, st = append(ahead.per, per...), addStats(ahead.st, st)
	}
	q.state.Store(&st)
	if st.StateBytes > q.peakBytes.Load() {
		q.peakBytes.Store(st.StateBytes)
	}
	if int64(st.Keys) > q.peakKeys.Load() {
		q.peakKeys.Store(int64(st.Keys))
	}
	q.operators.Store(&per)
	q.late.Store(st.LateRows)
	if err := s.limits.checkSizes(q, per); err != nil {
		return err
	}
	info.Processing = q.Clock.Now().Sub(start)
	info.TotalDelay = info.SchedulingDelay + info.Processing
	info.Seq = q.batches.Add(1)
	info.LateRows, info.BadRows = st.LateRows, q.bad.Load()
	info.StateKeys, info.StatePanes, info.StateBytes = st.Keys, st.Panes, st.StateBytes
	info.State = per
	q.log.add(info)
	if s.sink != nil {
		// The sink stage commits after the batch's writes, then reports
		// the batch, so that OnBatch sees the sink as the batch left it.
		return s.sink.commit(s.epoch, info.Time, func() {
			if q.OnBatch != nil {
				q.OnBatch(info)
			}
		})
	}
	if q.OnBatch != nil {
		q.OnBatch(info)
	}
	return nil
}
