package blackhole

import (
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/vector"
)

// Config declares the blackhole sink: no options of its own, and it takes
// an updating query's changelog as well as append-only rows. Register it
// with NewSink.
func Config() connectors.ConfigSpec {
	return connectors.ConfigSpec{
		Summary:     "discards every row written to it and counts them, append-only or changelog (for benchmarks)",
		Options:     connectors.Declare(nil),
		Changelog:   func(map[string]string) error { return nil },
		ManyWriters: true,
	}
}

// Counts are the rows a Sink was given: all of them, and for a changelog
// how many of each row kind.
type Counts struct {
	// Rows is every row written.
	Rows int64 `json:"rows"`
	// Changelog is true when the rows carry a row kind (an updating
	// query's result); the four counts below are then theirs and add up
	// to Rows.
	Changelog bool `json:"changelog"`
	// Inserts (+I), UpdatesBefore (-U), UpdatesAfter (+U) and Deletes
	// (-D).
	Inserts       int64 `json:"inserts"`
	UpdatesBefore int64 `json:"updates_before"`
	UpdatesAfter  int64 `json:"updates_after"`
	Deletes       int64 `json:"deletes"`
}

// Sink discards the batches written to it after counting their rows. Its
// counts may be read from any goroutine while a query writes.
type Sink struct {
	table string
	// op is the index of the op column of a changelog, or -1.
	op     int
	rows   atomic.Int64
	kinds  [4]atomic.Int64
	epoch  atomic.Int64
	closed bool
}

var _ connectors.Sink = (*Sink)(nil)

// NewSink returns a Sink for batches of spec.Schema; every schema is
// accepted.
func NewSink(spec connectors.SinkSpec) (connectors.Sink, error) {
	if spec.Schema == nil {
		return nil, fmt.Errorf("table %s: the blackhole sink needs the query's schema", spec.Table)
	}
	return &Sink{table: spec.Table, op: vector.OpIndex(spec.Schema)}, nil
}

// Write counts the batch's rows (by row kind, for a changelog) and
// releases it.
func (s *Sink) Write(batch arrow.RecordBatch) error {
	defer batch.Release()
	if s.closed {
		return fmt.Errorf("table %s: write after close", s.table)
	}
	n := batch.NumRows()
	s.rows.Add(n)
	if s.op < 0 || n == 0 {
		return nil
	}
	ops, ok := batch.Column(s.op).(*array.Int8)
	if !ok {
		return fmt.Errorf("table %s: the op column is %s, want int8", s.table, batch.Column(s.op).DataType())
	}
	var k [4]int64
	for _, v := range ops.Int8Values() {
		if v < 0 || int(v) >= len(k) {
			return fmt.Errorf("table %s: unknown row kind %d", s.table, v)
		}
		k[v]++
	}
	for i, c := range k {
		if c > 0 {
			s.kinds[i].Add(c)
		}
	}
	return nil
}

// Commit records the epoch; there is nothing to make durable.
func (s *Sink) Commit(epoch int64) error {
	s.epoch.Store(epoch)
	return nil
}

// Close ends the sink; its counts stay readable.
func (s *Sink) Close() error {
	s.closed = true
	return nil
}

// Epoch is the last epoch committed (0 before the first).
func (s *Sink) Epoch() int64 { return s.epoch.Load() }

// Counts returns the rows counted so far.
func (s *Sink) Counts() Counts {
	c := Counts{Rows: s.rows.Load(), Changelog: s.op >= 0}
	if c.Changelog {
		c.Inserts = s.kinds[vector.Insert].Load()
		c.UpdatesBefore = s.kinds[vector.UpdateBefore].Load()
		c.UpdatesAfter = s.kinds[vector.UpdateAfter].Load()
		c.Deletes = s.kinds[vector.Delete].Load()
	}
	return c
}
