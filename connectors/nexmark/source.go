package nexmark

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

// Source generates one kind of Nexmark event; see the package
// documentation for its options.
type Source struct {
	table  string
	schema *arrow.Schema
	cfg    *config
	gen    *gen  // makes the batches, on the reading goroutine
	pos    int64 // the next event number
	closed bool

	// With a parallelism above 1 and no pace, workers generate batches
	// ahead (ahead.go): left is the batch being handed out in slices.
	workers int
	ahead   *ahead
	left    *piece
	// transform, when set, runs on the workers (see Transform).
	transform *connectors.Transform

	// Pacing (events_per_second > 0): by time t, paceEvents +
	// rate*(t-paceTime) events are due.
	now        func() time.Time
	started    bool
	paceTime   time.Time
	paceEvents float64
	backlog    bool
}

var (
	_ connectors.Source      = (*Source)(nil)
	_ connectors.Bounded     = (*Source)(nil)
	_ connectors.Seeker      = (*Source)(nil)
	_ connectors.Backlogger  = (*Source)(nil)
	_ connectors.Transformer = (*Source)(nil)
)

var _ connectors.Starter = pacedSource{}

// pacedSource is a Source with a rate: a connectors.Starter, so that the
// query treats it as live.
type pacedSource struct{ *Source }

// Start starts the clock that paces the events.
func (p pacedSource) Start(context.Context) error {
	p.started = true
	p.paceTime, p.paceEvents = p.now(), float64(p.pos)
	return nil
}

// NewSource validates spec's options and returns the source: a *Source,
// or with nexmark.events_per_second a live source wrapping one.
func NewSource(spec connectors.SourceSpec) (connectors.Source, error) {
	s, err := newSource(spec)
	if err != nil {
		return nil, err
	}
	if s.cfg.rate > 0 {
		return pacedSource{s}, nil
	}
	return s, nil
}

func newSource(spec connectors.SourceSpec) (*Source, error) {
	cfg, err := parseOptions(spec.Options)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	fields, err := matchColumns(spec.Schema, cfg.kind)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	mem := spec.Alloc
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	s := &Source{table: spec.Table, schema: spec.Schema, cfg: cfg, now: time.Now,
		gen: newGen(spec.Schema, mem, cfg, fields)}
	if spec.Parallelism > 1 && cfg.rate == 0 {
		s.workers = spec.Parallelism
	}
	// The tables every generator shares are built now, once, rather than
	// by the first batch, while the other workers wait for them.
	channels()
	extraText()
	return s, nil
}

// Schema is the table's schema.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Bounded reports whether nexmark.events sets an end.
func (s *Source) Bounded() bool { return s.cfg.bounded }

// Backlogged implements connectors.Backlogger: an unpaced source always
// has more; a paced one when its last batch left due events behind.
func (s *Source) Backlogged() bool { return s.cfg.rate == 0 || s.backlog }

// Position is the next event number, 8 bytes big-endian.
func (s *Source) Position() ([]byte, error) {
	return binary.BigEndian.AppendUint64(nil, uint64(s.pos)), nil
}

// Seek moves to an event number returned by Position.
func (s *Source) Seek(pos []byte) error {
	if len(pos) != 8 || int64(binary.BigEndian.Uint64(pos)) < 0 {
		return fmt.Errorf("table %s: nexmark: a bad position of %d bytes in the checkpoint", s.table, len(pos))
	}
	s.stopAhead()
	s.pos = int64(binary.BigEndian.Uint64(pos))
	s.paceEvents = float64(s.pos)
	return nil
}

// due is the event number generation may go up to (exclusive).
func (s *Source) due() int64 {
	if s.cfg.rate == 0 {
		return s.cfg.events
	}
	if !s.started {
		return s.pos
	}
	now := s.now()
	due := s.paceEvents + s.cfg.rate*now.Sub(s.paceTime).Seconds()
	// After a stall, catch up by at most one second's worth.
	if burst := max(s.cfg.rate, 1); due-float64(s.pos) > burst {
		s.paceTime, s.paceEvents = now, float64(s.pos)+burst
		due = s.paceEvents
	}
	return min(int64(due), s.cfg.events)
}

// Next returns the rows of up to maxRows events of the table's kind. A
// paced source returns connectors.ErrNoData when no event is due; after
// the last event of a bounded one it returns connectors.ErrEndOfInput.
func (s *Source) Next(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	if s.closed {
		return nil, fmt.Errorf("table %s: nexmark source is closed", s.table)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if maxRows < 1 {
		return nil, fmt.Errorf("table %s: nexmark: Next wants at least one row, got %d", s.table, maxRows)
	}
	if s.pos >= s.cfg.events {
		return nil, connectors.ErrEndOfInput
	}
	if s.transform != nil {
		return s.nextTransformed(ctx, maxRows)
	}
	if s.workers > 1 {
		return s.nextAhead(ctx, maxRows)
	}
	end := s.due()
	b, rows, next := s.gen.batch(s.pos, end, maxRows)
	s.pos = next
	s.backlog = s.cfg.rate > 0 && rows == maxRows && s.pos < end
	if rows == 0 {
		if s.pos >= s.cfg.events {
			return nil, connectors.ErrEndOfInput
		}
		return nil, connectors.ErrNoData
	}
	return b, nil
}

// Transform implements connectors.Transformer: a source that generates
// ahead on several workers (unpaced, with a parallelism above 1) applies
// t on each of them, a worker's own transform to each chunk it makes; a
// chunk is then returned whole. Other sources refuse it.
func (s *Source) Transform(t connectors.Transform) bool {
	if s.workers <= 1 || s.started || s.ahead != nil || t.NewWorker == nil {
		return false
	}
	if t.Read == nil {
		t.Read = func(int64, int64) {}
	}
	s.transform = &t
	return true
}

// TransformsAhead tells, from a table's options, whether its source takes
// a connectors.Transform at a parallelism above 1: when it is not paced
// (nexmark.events_per_second), so that it generates ahead on workers.
func TransformsAhead(options map[string]string) bool {
	f, err := strconv.ParseFloat(strings.TrimSpace(options[optRate]), 64)
	return err != nil || f == 0
}

// Close stops the workers, if any, and frees what they made ahead.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.stopAhead()
	return nil
}
