package exec

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// aheadStage runs the first part of a back stage that is cut in two: the
// graph's nodes [cut, lo) on a goroutine of their own, between the front
// and the backStage that runs [lo, len). It is joined to both as the front
// is to the back: one bounded, ordered channel of stageMsg in, the
// backStage's channel out. Every message goes through in order: a batch
// runs through its nodes and what reaches a later node goes on (before the
// batch itself when the batch is also read further on, as on one
// goroutine), an advance advances its nodes and then goes on, a commit
// carries the state of its operators measured here, and a checkpoint
// barrier carries their snapshots, taken here, on the goroutine that owns
// them, when the barrier reaches it. The backStage writes the checkpoint
// with every snapshot, so it stays one consistent cut.
type aheadStage struct {
	q     *Query
	plan  *graphPlan
	stage *graphStage
	ops   Pipeline
	next  *backStage
	// procMs is the time of the message being handled, stamped on the
	// batches sent on.
	procMs int64
	ch     chan stageMsg
	stop   chan struct{} // closed when the goroutine hit an error
	done   chan struct{} // closed when the goroutine has ended
	err    error
	closed bool
	limits stateCheck
}

// aheadState is the state of an aheadStage's operators at a commit,
// measured on its goroutine for the backStage's report.
type aheadState struct {
	per []OperatorState
	st  WindowStats
}

// backSplit returns where to cut the back stage in two pipelined stages
// (the first node of the second), or 0 to keep one. It cuts when the back
// stage holds at least two stateful operators, before the second one:
// each stage then owns at least one. Queries with PROCTIME() operators on
// the back stage keep one (their cell may be shared), and so do queries
// whose keyed state is partitioned (those already run their operators on
// several goroutines).
func (p *graphPlan) backSplit() int {
	if graphPartitions(p.g) > 0 {
		return 0
	}
	second := 0
	seen := 0
	for k := p.cut; k < len(p.g.Nodes); k++ {
		op := p.g.Nodes[k].Op
		if _, ok := op.(ProcTimeSetter); ok {
			return 0
		}
		if stateful(op) {
			seen++
			if seen == 2 && second == 0 {
				second = k
			}
		}
	}
	return second
}

func newAheadStage(q *Query, plan *graphPlan, lo int, next *backStage) *aheadStage {
	a := &aheadStage{q: q, plan: plan, next: next, procMs: MinWatermark}
	a.stage = newGraphStage(plan, plan.cut, lo, func(from Port, b arrow.RecordBatch) error {
		return next.put(stageMsg{port: from, batch: b, procMs: a.procMs})
	})
	a.ops = a.stage.ops()
	a.ch = make(chan stageMsg, stageQueue)
	a.stop = make(chan struct{})
	a.done = make(chan struct{})
	go a.loop()
	return a
}

// send hands m to the stage; it takes ownership of m.batch. After the
// stage failed it returns the stage's error.
func (a *aheadStage) send(m stageMsg) error { return stageSend(a.ch, a.stop, &a.err, m) }

func (a *aheadStage) loop() {
	defer close(a.done)
	stageLoop(a.ch, a.stop, &a.err, "the query's operator stage", a.handle)
}

// close waits for the stage to finish what it was sent and returns its
// error. Later calls return nil. It does not close the next stage.
func (a *aheadStage) close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	close(a.ch)
	<-a.done
	return a.err
}

func (a *aheadStage) handle(m stageMsg) error {
	a.procMs = m.procMs
	switch {
	case m.batch != nil:
		a.stage.setProcTime(m.procMs)
		if err := a.stage.deliver(m.port, m.batch); err != nil {
			return err
		}
		if err := a.limits.check(a.q, a.ops); err != nil {
			return err
		}
		return nil
	case m.advance:
		a.stage.setProcTime(m.procMs)
		if err := a.stage.advance(m.wms); err != nil {
			return err
		}
	case m.commit:
		per, st := measure(a.ops)
		m.ahead = &aheadState{per: per, st: st}
	case m.checkpoint != nil:
		if err := a.snapshot(m.checkpoint); err != nil {
			return err
		}
	}
	return a.next.put(m)
}

// snapshot takes the snapshots of the stage's operators into m, for the
// backStage to write with its own.
func (a *aheadStage) snapshot(m *checkpointMeta) error {
	for i := a.plan.cut; i < a.stage.hi; i++ {
		sn, ok := a.plan.g.Nodes[i].Op.(Snapshotter)
		if !ok {
			continue
		}
		var buf bytes.Buffer
		if err := sn.Snapshot(&buf); err != nil {
			return fmt.Errorf("checkpoint: operator %d: %w", i, err)
		}
		if m.snaps == nil {
			m.snaps = map[int][]byte{}
		}
		m.snaps[i] = buf.Bytes()
	}
	return nil
}

// addStats returns the sum of two WindowStats.
func addStats(a, b WindowStats) WindowStats {
	a.LateRows += b.LateRows
	a.ExpiredKeys += b.ExpiredKeys
	a.Keys += b.Keys
	a.Panes += b.Panes
	a.StateBytes += b.StateBytes
	return a
}
