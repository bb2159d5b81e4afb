package fanout

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live"
)

// Subscriber is one reader of a Hub: a live connectors.Source (and a
// Starter, Bounded and Backlogger) that yields every batch the shared
// source yields after it subscribed.
type Subscriber struct {
	h      *Hub
	badRow connectors.BadRowHandler

	// Guarded by h.mu.
	queue  []queued // batches not yet returned, oldest first
	off    int64    // rows of queue[0] already returned
	bytes  int64    // what the queue holds, for the lag bound
	closed bool
}

// queued is a batch in a Subscriber's queue, with its size.
type queued struct {
	b     arrow.RecordBatch
	bytes int64
}

var (
	_ connectors.Source     = (*Subscriber)(nil)
	_ connectors.Starter    = (*Subscriber)(nil)
	_ connectors.Bounded    = (*Subscriber)(nil)
	_ connectors.Backlogger = (*Subscriber)(nil)
)

// Schema is the shared source's schema.
func (s *Subscriber) Schema() *arrow.Schema { return s.h.real.Schema() }

// Start starts the shared source if no Subscriber has yet. It keeps
// running when ctx ends: it stops when the last Subscriber closes.
func (s *Subscriber) Start(ctx context.Context) error { return s.h.start(ctx) }

// Bounded reports false: only live sources are shared.
func (s *Subscriber) Bounded() bool { return false }

// Backlogged reports whether rows wait for this reader: in its queue, or
// in the shared source when no slow reader holds it back.
func (s *Subscriber) Backlogged() bool {
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.closed {
		return false
	}
	if len(s.queue) > 0 {
		return true
	}
	bl, ok := h.real.(connectors.Backlogger)
	return ok && !h.closed && !h.blocked(s) && bl.Backlogged()
}

// Next returns up to maxRows rows of the oldest batch this reader has not
// read, pulling from the shared source when it has none; it never waits.
// After the shared source's last row (or its failure) it returns
// connectors.ErrEndOfInput (or the failure) once this reader's queue is
// drained.
func (s *Subscriber) Next(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := live.CheckNext(ctx, h.table, s.closed, maxRows); err != nil {
		return nil, err
	}
	for len(s.queue) == 0 {
		switch {
		case h.err != nil:
			return nil, h.err
		case h.ended:
			return nil, connectors.ErrEndOfInput
		case !h.started:
			return nil, fmt.Errorf("table %s: Next before Start", h.table)
		}
		if err := h.pull(ctx, s, maxRows); err != nil {
			return nil, err
		}
	}
	b := s.queue[0].b
	rows := b.NumRows()
	n := min(rows-s.off, int64(maxRows))
	var out arrow.RecordBatch
	if s.off == 0 && n == rows {
		out = b // the queue's reference passes to the caller
	} else {
		out = b.NewSlice(s.off, s.off+n)
	}
	s.off += n
	if s.off == rows {
		if out != b {
			b.Release()
		}
		s.pop()
	}
	return out, nil
}

// pop drops the queue's oldest batch (already released or handed on).
// Called with h.mu held.
func (s *Subscriber) pop() {
	s.bytes -= s.queue[0].bytes
	s.queue[0] = queued{}
	s.queue = s.queue[1:]
	s.off = 0
}

// Close releases this reader's queue and leaves the hub; the last reader
// to leave closes the shared source. It may be called once, at any time.
func (s *Subscriber) Close() error {
	h := s.h
	h.mu.Lock()
	if s.closed {
		h.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, q := range s.queue {
		q.b.Release()
	}
	s.queue, s.bytes, s.off = nil, 0, 0
	h.mu.Unlock()
	return h.leave(s)
}
