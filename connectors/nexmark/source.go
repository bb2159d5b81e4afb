package nexmark

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

// Source generates one kind of Nexmark event; see the package
// documentation for its options.
type Source struct {
	table  string
	schema *arrow.Schema
	cfg    *config
	ev     events
	fields []int // per column: the field of the kind it holds
	ints   []*array.Int64Builder
	strs   []*array.StringBuilder
	times  []*array.TimestampBuilder
	// perRow is, per VARCHAR column, the bytes a row took in the last
	// batch: the builders reserve that much, so they never grow by copies.
	perRow []int
	pos    int64 // the next event number
	closed bool

	// Pacing (events_per_second > 0): by time t, paceEvents +
	// rate*(t-paceTime) events are due.
	now        func() time.Time
	started    bool
	paceTime   time.Time
	paceEvents float64
	backlog    bool
}

var (
	_ connectors.Source     = (*Source)(nil)
	_ connectors.Bounded    = (*Source)(nil)
	_ connectors.Seeker     = (*Source)(nil)
	_ connectors.Backlogger = (*Source)(nil)
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
	s := &Source{table: spec.Table, schema: spec.Schema, cfg: cfg, fields: fields, now: time.Now,
		ev: events{baseMs: cfg.baseMs, delayNs: cfg.delayNs}}
	n := len(fields)
	s.ints, s.strs, s.times = make([]*array.Int64Builder, n), make([]*array.StringBuilder, n), make([]*array.TimestampBuilder, n)
	s.perRow = make([]int, n)
	for c, f := range spec.Schema.Fields() {
		switch kindFields[cfg.kind][fields[c]].typ {
		case bigint:
			s.ints[c] = array.NewInt64Builder(mem)
		case varchar:
			s.strs[c] = array.NewStringBuilder(mem)
		default:
			s.times[c] = array.NewTimestampBuilder(mem, f.Type.(*arrow.TimestampType))
		}
	}
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
	end := s.due()
	rows := s.generate(end, maxRows)
	s.backlog = s.cfg.rate > 0 && rows == maxRows && s.pos < end
	if rows == 0 {
		if s.pos >= s.cfg.events {
			return nil, connectors.ErrEndOfInput
		}
		return nil, connectors.ErrNoData
	}
	return s.batch(rows), nil
}

// generate appends the rows of the events from s.pos up to end, at most
// maxRows of them, and moves s.pos past the events it went over.
func (s *Source) generate(end int64, maxRows int) int {
	k := s.cfg.kind
	for c := range s.fields {
		switch {
		case s.ints[c] != nil:
			s.ints[c].Reserve(maxRows)
		case s.times[c] != nil:
			s.times[c].Reserve(maxRows)
		default:
			// Bounded by the first batch, then by what rows took.
			s.strs[c].Reserve(min(maxRows, 1<<16))
			s.strs[c].ReserveData(min(maxRows, 1<<16) * max(s.perRow[c]+s.perRow[c]/8, 16))
		}
	}
	rows := 0
	i := s.pos
	for rows < maxRows {
		i = nextOfKind(i, k)
		if i >= end {
			break
		}
		for c, f := range s.fields {
			switch {
			case s.ints[c] != nil:
				s.ints[c].UnsafeAppend(s.ev.intField(k, f, i))
			case s.times[c] != nil:
				s.times[c].UnsafeAppend(arrow.Timestamp(s.ev.intField(k, f, i)))
			default:
				s.ev.appendString(s.strs[c], k, f, i)
			}
		}
		rows++
		i++
	}
	s.pos = min(i, end)
	return rows
}

// batch makes a record batch of the rows in the builders.
func (s *Source) batch(rows int) arrow.RecordBatch {
	cols := make([]arrow.Array, len(s.fields))
	for c := range s.fields {
		switch {
		case s.ints[c] != nil:
			cols[c] = s.ints[c].NewArray()
		case s.times[c] != nil:
			cols[c] = s.times[c].NewArray()
		default:
			s.perRow[c] = s.strs[c].DataLen() / rows
			cols[c] = s.strs[c].NewArray()
		}
	}
	b := array.NewRecordBatch(s.schema, cols, int64(rows))
	for _, c := range cols {
		c.Release()
	}
	return b
}

// Close frees the builders.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	for c := range s.fields {
		switch {
		case s.ints[c] != nil:
			s.ints[c].Release()
		case s.times[c] != nil:
			s.times[c].Release()
		default:
			s.strs[c].Release()
		}
	}
	return nil
}
