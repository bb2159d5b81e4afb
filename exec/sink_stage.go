package exec

import (
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/connectors"
)

// sinkStage writes a query's output on a goroutine of its own, so that
// encoding rows (JSON, CSV, a file's bytes) overlaps with the operators
// that make them, as a third stage of the pipeline. It keeps the sink's
// contract: Write, Commit and Checkpoint are called in the order the back
// stage asked for them, from one goroutine. A checkpoint waits for every
// write before it; a failure of the sink fails the next request.
type sinkStage struct {
	sink connectors.Sink
	ch   chan sinkMsg
	done chan struct{}
	mu   sync.Mutex
	err  error // the sink's first error
}

// sinkMsg is a batch to write, a commit, or a checkpoint whose sink state
// is sent back on reply.
type sinkMsg struct {
	batch     arrow.RecordBatch
	commit    bool
	epoch     int64
	batchTime time.Time
	after     func() // called after the commit
	reply     chan sinkState
	// complete, when set, is a durable checkpoint's sink state for
	// connectors.Completer; the result is sent on reply.
	complete []byte
}

// sinkState is the sink's part of a checkpoint.
type sinkState struct {
	state []byte
	err   error
}

const sinkQueue = 4

func newSinkStage(sink connectors.Sink) *sinkStage {
	s := &sinkStage{sink: sink, ch: make(chan sinkMsg, sinkQueue), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *sinkStage) loop() {
	defer close(s.done)
	for m := range s.ch {
		if err := s.failed(); err != nil {
			if m.batch != nil {
				m.batch.Release()
			}
			if m.reply != nil {
				m.reply <- sinkState{err: err}
			}
			continue
		}
		s.handle(m)
	}
}

// handle runs one request on the sink; a panic in the sink fails the
// query, not the process.
func (s *sinkStage) handle(m sinkMsg) {
	defer func() {
		if v := recover(); v != nil {
			err := newPanicError("the query's output stage", v)
			s.fail(err)
			if m.reply != nil {
				m.reply <- sinkState{err: err}
			}
		}
	}()
	switch {
	case m.batch != nil:
		s.fail(s.sink.Write(m.batch))
	case m.commit:
		if bt, ok := s.sink.(connectors.BatchTimer); ok {
			bt.BatchTime(m.batchTime)
		}
		err := s.sink.Commit(m.epoch)
		s.fail(err)
		if err == nil && m.after != nil {
			m.after()
		}
	case m.complete != nil:
		var st sinkState
		if c, ok := s.sink.(connectors.Completer); ok {
			st.err = c.CheckpointComplete(m.complete)
		}
		s.fail(st.err)
		m.reply <- st
	case m.reply != nil:
		var st sinkState
		if ck, ok := s.sink.(connectors.Checkpointer); ok {
			st.state, st.err = ck.Checkpoint()
		}
		s.fail(st.err)
		m.reply <- st
	}
}

func (s *sinkStage) fail(err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

func (s *sinkStage) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// write hands b to the sink; it takes ownership of b.
func (s *sinkStage) write(b arrow.RecordBatch) error {
	if err := s.failed(); err != nil {
		b.Release()
		return err
	}
	s.ch <- sinkMsg{batch: b}
	return nil
}

// commit asks the sink to commit an epoch, then to call after.
func (s *sinkStage) commit(epoch int64, batchTime time.Time, after func()) error {
	if err := s.failed(); err != nil {
		return err
	}
	s.ch <- sinkMsg{commit: true, epoch: epoch, batchTime: batchTime, after: after}
	return nil
}

// checkpoint waits for the writes before it and returns the sink's state.
func (s *sinkStage) checkpoint() ([]byte, error) {
	reply := make(chan sinkState, 1)
	s.ch <- sinkMsg{reply: reply}
	st := <-reply
	return st.state, st.err
}

// checkpointComplete tells the sink that the checkpoint holding state is
// durable, after the writes before it.
func (s *sinkStage) checkpointComplete(state []byte) error {
	reply := make(chan sinkState, 1)
	s.ch <- sinkMsg{complete: state, reply: reply}
	return (<-reply).err
}

// close waits for every request and returns the sink's first error.
func (s *sinkStage) close() error {
	close(s.ch)
	<-s.done
	return s.failed()
}
