package file

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
)

var _ connectors.Transformer = (*Source)(nil)

// Transform implements connectors.Transformer: a source of a query that
// runs on more than one core applies t to every batch. Decoded in
// parallel (see parallel), the reading goroutine still cuts the rows into
// the batches it would return without t, in file order, but hands each to
// a transform worker, and returns the outputs in order, each with the
// position after its rows and after reporting the bad records before
// them; otherwise it applies t itself.
func (s *Source) Transform(t connectors.Transform) bool {
	if s.spec.Parallelism <= 1 || s.started || t.NewWorker == nil {
		return false
	}
	if t.Read == nil {
		t.Read = func(int64, int64) {}
	}
	s.transform = &t
	return true
}

// Transforms tells, from a table's options, whether its source takes a
// connectors.Transform at a parallelism above 1: always.
func Transforms(map[string]string) bool { return true }

// nextSerialTransformed is Next on the reading goroutine with a
// transform: the transform of the next batch that leaves rows.
func (s *Source) nextSerialTransformed(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	if s.apply == nil {
		s.apply, s.release = s.transform.NewWorker()
	}
	read := int64(0)
	for {
		b, err := s.nextSerial(ctx, maxRows)
		if err == connectors.ErrEndOfInput {
			s.transform.Read(read, 0)
		}
		if err != nil {
			return nil, err
		}
		read += b.NumRows()
		out, err := apply(s.apply, b)
		if err != nil {
			return nil, s.fail(fmt.Errorf("table %s: %w", s.table, err))
		}
		if out != nil {
			s.transform.Read(read, out.NumRows())
			return out, nil
		}
	}
}

// apply applies a transform to b, and returns nil when it leaves no row.
func apply(f func(arrow.RecordBatch) (arrow.RecordBatch, error), b arrow.RecordBatch) (arrow.RecordBatch, error) {
	out, err := f(b)
	if err != nil || out == nil {
		return nil, err
	}
	if out.NumRows() == 0 {
		out.Release()
		return nil, nil
	}
	return out, nil
}

// pipe is the transform of a file decoded in parallel: the batches cut
// by the reading goroutine and not yet returned, oldest first, and the
// workers that transform them. The reader transforms too, with a
// transform of its own, while the batch it must return next is not done.
type pipe struct {
	jobs  chan *job
	queue []*job
	end   bool // the end of the file, or an error, is queued
	// cut is the source's offset, posLine and posRows where cutting
	// stopped (the position of the last batch queued).
	cut [3]int64
	wg  sync.WaitGroup
}

// job is a batch of the file's rows (in parts, as nextParts cut it) on
// its way through a transform, with what Next does when it returns it.
type job struct {
	parts []arrow.RecordBatch
	rows  int64     // the rows of parts
	bads  []heldBad // reported before the batch is returned
	// The position after its rows.
	off, line, posRows int64
	err                error // cutting it failed: Next fails with err
	eof                bool  // the end of the file
	done               chan struct{}
	out                arrow.RecordBatch // once done: nil if no row is left
	terr               error             // once done: the transform failed
}

// run transforms j with f, and marks it done.
func (p *parallel) run(f func(arrow.RecordBatch) (arrow.RecordBatch, error), j *job) {
	defer close(j.done)
	s := p.s
	b := j.parts[0]
	if len(j.parts) > 1 {
		var err error
		b, err = concatBatches(s.schema, j.parts, s.spec.Alloc)
		for _, part := range j.parts {
			part.Release()
		}
		if err != nil {
			j.parts, j.terr = nil, fmt.Errorf("table %s: %w", s.table, err)
			return
		}
	}
	j.parts = nil
	out, err := apply(f, b)
	if err != nil {
		j.terr = fmt.Errorf("table %s: %w", s.table, err)
		return
	}
	j.out = out
}

// startPipe starts the transform workers: one fewer than the source's
// parallelism, the reader being the last.
func (p *parallel) startPipe() {
	n := max(p.s.spec.Parallelism, 2)
	s := p.s
	pp := &pipe{jobs: make(chan *job, 2*n), cut: [3]int64{s.offset, s.posLine, s.posRows}}
	pp.wg.Add(n - 1)
	for range n - 1 {
		f, release := s.transform.NewWorker()
		go func() {
			defer pp.wg.Done()
			defer release()
			for j := range pp.jobs {
				p.run(f, j)
			}
		}()
	}
	p.pipe = pp
}

// nextTransformed is next with a transform: it cuts batches ahead (at
// most two per worker), as next would return them, and returns the next
// transform that leaves rows, with the source's position after its rows.
func (p *parallel) nextTransformed(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	s := p.s
	if p.pipe == nil {
		p.startPipe()
	}
	pp := p.pipe
	read := int64(0)
	for {
		// Cutting moves the position from where cutting left it; then put
		// back the one of the last batch returned.
		off, line, rows := s.offset, s.posLine, s.posRows
		s.offset, s.posLine, s.posRows = pp.cut[0], pp.cut[1], pp.cut[2]
		for !pp.end && len(pp.queue) < cap(pp.jobs) {
			j := &job{done: make(chan struct{})}
			var pre transformedBatch
			parts, err := p.nextParts(ctx, maxRows, &j.bads, &pre)
			if err != nil && ctx.Err() != nil {
				s.offset, s.posLine, s.posRows = off, line, rows
				return nil, ctx.Err()
			}
			j.off, j.line, j.posRows = s.offset, s.posLine, s.posRows
			switch {
			case err != nil:
				// Failed here: fail when the batches before are returned.
				j.err, s.err = err, nil
				pp.end = true
				close(j.done)
			case len(parts) == 0:
				j.eof, pp.end = true, true
				close(j.done)
			case pre.ok:
				// Transformed where it was decoded.
				for _, b := range parts {
					j.rows += b.NumRows()
					b.Release()
				}
				j.out, j.terr = pre.out, pre.terr
				close(j.done)
			default:
				j.parts = parts
				for _, b := range parts {
					j.rows += b.NumRows()
				}
				pp.jobs <- j // never waits: the queue bounds the jobs
			}
			pp.queue = append(pp.queue, j)
		}
		pp.cut = [3]int64{s.offset, s.posLine, s.posRows}
		s.offset, s.posLine, s.posRows = off, line, rows
		j := pp.queue[0]
		if err := p.await(ctx, j); err != nil {
			return nil, err
		}
		pp.queue[0] = nil
		pp.queue = pp.queue[1:]
		s.offset, s.posLine, s.posRows = j.off, j.line, j.posRows
		for _, r := range j.bads {
			if err := s.report(r.line, r.record, r.err); err != nil {
				if j.out != nil {
					j.out.Release()
				}
				return nil, s.fail(err)
			}
		}
		switch {
		case j.err != nil:
			return nil, s.fail(j.err)
		case j.eof:
			s.done = true
			s.transform.Read(read, 0)
			return nil, connectors.ErrEndOfInput
		case j.terr != nil:
			return nil, s.fail(j.terr)
		}
		read += j.rows
		if j.out != nil {
			s.transform.Read(read, j.out.NumRows())
			return j.out, nil
		}
	}
}

// await waits for j to be done, transforming on the reader the batches
// no worker has taken yet (j, or one after it) meanwhile.
func (p *parallel) await(ctx context.Context, j *job) error {
	pp := p.pipe
	for {
		select {
		case <-j.done:
			return nil
		case k := <-pp.jobs:
			if p.tf.f == nil { // the reader's, as when it decodes
				p.tf.f, p.tf.rel = p.s.transform.NewWorker()
			}
			p.run(p.tf.f, k)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// stop ends the transform workers and frees the batches not returned.
func (pp *pipe) stop() {
	close(pp.jobs)
	pp.wg.Wait()
	for _, j := range pp.queue {
		select {
		case <-j.done:
		default:
			// Taken by no one (the workers have ended): never transformed.
			for _, b := range j.parts {
				b.Release()
			}
			continue
		}
		if j.out != nil {
			j.out.Release()
		}
	}
	pp.queue = nil
}
