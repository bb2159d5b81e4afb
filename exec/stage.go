package exec

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/connectors"
)

// stageMsg is what the front of a query hands its back stage, in order:
// a batch, a watermark advance, or the end of a micro-batch.
type stageMsg struct {
	batch   arrow.RecordBatch
	advance bool
	wm      int64
	commit  bool
	info    BatchInfo
	start   time.Time
	// checkpoint, when set, is a barrier: save the state reached so far.
	checkpoint *checkpointMeta
}

// backStage runs the operators from the first aggregation on and writes
// to the sink. It runs inline, or on its own goroutine fed through a small
// bounded channel (so a slow back stage slows the source: backpressure).
type backStage struct {
	q     *Query
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
}

const stageQueue = 4

func newBackStage(q *Query, ops Pipeline, async bool) *backStage {
	s := &backStage{q: q, ops: ops}
	if async {
		s.ch = make(chan stageMsg, stageQueue)
		s.stop = make(chan struct{})
		s.done = make(chan struct{})
		go s.loop()
	}
	return s
}

// send hands m to the stage; it takes ownership of m.batch. After the
// stage failed it returns the stage's error.
func (s *backStage) send(m stageMsg) error {
	if s.ch == nil {
		return s.handle(m)
	}
	select {
	case s.ch <- m:
		return nil
	case <-s.stop:
		if m.batch != nil {
			m.batch.Release()
		}
		return s.err
	}
}

func (s *backStage) loop() {
	defer close(s.done)
	for m := range s.ch {
		if s.err != nil { // failed: drain what the front still sends
			if m.batch != nil {
				m.batch.Release()
			}
			continue
		}
		if err := s.safeHandle(m); err != nil {
			s.err = err
			close(s.stop)
		}
	}
}

// safeHandle is handle on the stage's own goroutine: a panic there (in
// the sink, a callback) fails the query instead of the process. Panics in
// operators are already turned into errors naming the operator.
func (s *backStage) safeHandle(m stageMsg) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError("the query's output stage", v)
		}
	}()
	return s.handle(m)
}

// close waits for the stage to finish what it was sent and returns its
// error. Later calls return nil.
func (s *backStage) close() error {
	if s.ch == nil || s.closed {
		return nil
	}
	s.closed = true
	close(s.ch)
	<-s.done
	return s.err
}

func (s *backStage) handle(m stageMsg) error {
	q := s.q
	switch {
	case m.batch != nil:
		out, err := s.ops.Push(m.batch)
		if err != nil {
			return err
		}
		if err := q.write(out); err != nil {
			return err
		}
		// A live micro-batch can hold millions of rows: hold the state to
		// its limit after each batch read, not only at the commit.
		return s.limits.check(q, s.ops)
	case m.advance:
		out, err := s.ops.Advance(m.wm)
		if err != nil {
			return err
		}
		return q.write(out)
	case m.commit:
		return s.commit(m.info, m.start)
	case m.checkpoint != nil:
		return s.writeCheckpoint(m.checkpoint)
	}
	return nil
}

// commit ends a micro-batch: the sink commits an epoch, the state of the
// operators is measured and held to the query's limit, and the batch is
// recorded with the time it took, from its start on the front stage.
func (s *backStage) commit(info BatchInfo, start time.Time) error {
	q := s.q
	s.epoch++
	if bt, ok := q.Sink.(connectors.BatchTimer); ok {
		bt.BatchTime(info.Time)
	}
	if err := q.Sink.Commit(s.epoch); err != nil {
		return err
	}
	per, st := measure(s.ops)
	q.state.Store(&st)
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
	if q.OnBatch != nil {
		q.OnBatch(info)
	}
	return nil
}
