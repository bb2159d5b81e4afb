package nexmark

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
)

// An unpaced source with a parallelism of N > 1 generates ahead: the
// events from the read position on are cut into chunks of the reader's
// batch size (a range of event numbers each, so every chunk is made on its
// own), N workers make them, and Next hands them out in event order. At
// most N+1 chunks are in flight, so memory stays flat however far behind
// the reader is. Positions stay exact: a chunk handed out in slices moves
// the position after each slice's last event.

// piece is a chunk, made or being handed out.
type piece struct {
	batch arrow.RecordBatch // nil when the chunk has no rows
	first int64             // the ordinal (among its kind) of its first row
	rows  int
	taken int   // rows handed out so far
	next  int64 // the position after its last row
	// With a transform (see Source.Transform): batch and rows are the
	// transform's output, read the rows generated, err its error.
	read int
	err  error
}

// transform applies a worker's transform to b, generated rows, and returns
// its output and the output's rows.
func transform(apply func(arrow.RecordBatch) (arrow.RecordBatch, error), b arrow.RecordBatch) (arrow.RecordBatch, int, error) {
	if b == nil {
		return nil, 0, nil
	}
	out, err := apply(b)
	if err != nil || out == nil {
		return nil, 0, err
	}
	if out.NumRows() == 0 {
		out.Release()
		return nil, 0, nil
	}
	return out, int(out.NumRows()), nil
}

// chunkJob asks a worker for the rows of up to rows events from start up
// to end; the worker sends the piece on out (buffered: it never waits).
type chunkJob struct {
	start, end int64
	rows       int
	out        chan *piece
}

// ahead is the workers and the chunks in flight, oldest first.
type ahead struct {
	jobs    chan chunkJob
	queue   []chan *piece
	next    int64 // the first event of the next chunk to hand out
	end     int64
	rows    int
	kind    Kind
	stopped atomic.Bool // set by stop: workers skip what is left
	wg      sync.WaitGroup
}

// startAhead starts s.workers workers making chunks of rows rows from
// s.pos on.
func (s *Source) startAhead(rows int) *ahead {
	n := s.workers
	a := &ahead{jobs: make(chan chunkJob, n+1), next: s.pos, end: s.cfg.events, rows: rows, kind: s.cfg.kind}
	a.wg.Add(n)
	for range n {
		g := newGen(s.gen.schema, s.gen.mem, s.cfg, s.gen.fields)
		var apply func(arrow.RecordBatch) (arrow.RecordBatch, error)
		var release func()
		if s.transform != nil {
			apply, release = s.transform.NewWorker()
		}
		go func() {
			defer a.wg.Done()
			if release != nil {
				defer release()
			}
			for j := range a.jobs {
				p := &piece{first: countOfKind(j.start, a.kind)}
				if !a.stopped.Load() {
					p.batch, p.rows, p.next = g.batch(j.start, j.end, j.rows)
					if apply != nil {
						p.read = p.rows
						p.batch, p.rows, p.err = transform(apply, p.batch)
					}
				}
				j.out <- p
			}
		}()
	}
	return a
}

// fill hands out chunks until N+1 are in flight or the events end.
func (a *ahead) fill() {
	for len(a.queue) < cap(a.jobs) && a.next < a.end {
		_, next := span(a.kind, a.next, a.end, a.rows)
		out := make(chan *piece, 1)
		a.jobs <- chunkJob{start: a.next, end: a.end, rows: a.rows, out: out}
		a.queue = append(a.queue, out)
		a.next = next
	}
}

// take waits for the oldest chunk; nil when no chunk is left.
func (a *ahead) take(ctx context.Context) (*piece, error) {
	a.fill()
	if len(a.queue) == 0 {
		return nil, nil
	}
	select {
	case p := <-a.queue[0]:
		a.queue[0] = nil
		a.queue = a.queue[1:]
		a.fill()
		return p, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// stop ends the workers and frees the chunks in flight.
func (a *ahead) stop() {
	a.stopped.Store(true)
	close(a.jobs)
	a.wg.Wait()
	for _, out := range a.queue {
		if p := <-out; p.batch != nil {
			p.batch.Release()
		}
	}
	a.queue = nil
}

// stopAhead stops the workers, if running, and drops what they made; the
// next Next starts again from s.pos.
func (s *Source) stopAhead() {
	if s.ahead != nil {
		s.ahead.stop()
		s.ahead = nil
	}
	if s.left != nil {
		s.left.batch.Release()
		s.left = nil
	}
}

// nextTransformed is nextAhead with a transform: each chunk is returned
// whole (its rows are the transform's, which cannot be cut by event), and
// chunks the transform left empty are skipped.
func (s *Source) nextTransformed(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	if s.ahead == nil {
		s.ahead = s.startAhead(min(maxRows, maxBatchRows))
	}
	read := int64(0)
	for {
		p, err := s.ahead.take(ctx)
		if err != nil {
			return nil, err
		}
		if p == nil {
			s.transform.Read(read, 0)
			return nil, connectors.ErrEndOfInput
		}
		if p.err != nil {
			return nil, fmt.Errorf("table %s: %w", s.table, p.err)
		}
		s.pos = p.next
		read += int64(p.read)
		if p.rows > 0 {
			s.transform.Read(read, int64(p.rows))
			return p.batch, nil
		}
	}
}

// nextAhead is Next with workers: the next rows in event order, at most
// maxRows of them.
func (s *Source) nextAhead(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	for s.left == nil {
		if s.ahead == nil {
			s.ahead = s.startAhead(min(maxRows, maxBatchRows))
		}
		p, err := s.ahead.take(ctx)
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, connectors.ErrEndOfInput
		}
		if p.rows == 0 {
			s.pos = p.next
			continue
		}
		s.left = p
	}
	p := s.left
	m := min(maxRows, p.rows-p.taken)
	var out arrow.RecordBatch
	if p.taken == 0 && m == p.rows {
		out = p.batch // whole: ownership passes
	} else {
		out = p.batch.NewSlice(int64(p.taken), int64(p.taken+m))
	}
	p.taken += m
	if p.taken < p.rows {
		s.pos = eventOfKind(p.first+int64(p.taken)-1, s.cfg.kind) + 1
		return out, nil
	}
	s.pos = p.next
	if out != p.batch {
		p.batch.Release()
	}
	s.left = nil
	return out, nil
}
