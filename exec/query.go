package exec

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/connectors"
)

// Input is a query's source together with its event-time declaration.
type Input struct {
	// Table names the source, for messages.
	Table string
	// Source yields the table's batches.
	Source connectors.Source
	// TimeCol is the index of the watermark column in the source's schema,
	// or -1 when the table declares no watermark: then the watermark stays
	// at MinWatermark until a bounded source ends.
	TimeCol int
	// Delay is subtracted from the largest event time seen (milliseconds).
	Delay int64
}

// Query is one continuous query: a source, a pipeline and a sink.
type Query struct {
	// ID numbers the query within its session.
	ID int
	// SQL is the query's text.
	SQL string
	// Input is where rows come from.
	Input Input
	// Pipeline transforms the source's batches.
	Pipeline Pipeline
	// Sink receives the pipeline's output; Run closes it.
	Sink connectors.Sink
	// BatchRows caps the rows read from the source per micro-batch.
	BatchRows int

	rowsIn, rowsOut, batches atomic.Int64
	watermark                atomic.Int64
}

// Metrics are a query's counters so far.
type Metrics struct {
	RowsIn, RowsOut, Batches int64
	// LateRows counts rows dropped because their windows had all closed.
	LateRows int64
	// Watermark is the query's current watermark.
	Watermark int64
}

// Metrics returns the query's counters; it is safe to call while the
// query runs, except LateRows, which is read from the operators and is
// exact once Run has returned.
func (q *Query) Metrics() Metrics {
	m := Metrics{RowsIn: q.rowsIn.Load(), RowsOut: q.rowsOut.Load(), Batches: q.batches.Load(), Watermark: q.watermark.Load()}
	for _, op := range q.Pipeline {
		if w, ok := op.(*WindowAgg); ok {
			m.LateRows += w.Stats().LateRows
		}
	}
	return m
}

// Run reads the source batch by batch until it ends or ctx is done,
// advancing the watermark once per batch, and writes what the pipeline
// emits to the sink. At the end of a bounded source the watermark becomes
// MaxWatermark, every open window is emitted, and the sink is committed.
// Run closes the source, the pipeline and the sink.
func (q *Query) Run(ctx context.Context) (err error) {
	defer func() {
		q.Pipeline.Close()
		if cerr := q.Input.Source.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if cerr := q.Sink.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	rows := q.BatchRows
	if rows <= 0 {
		rows = 8192
	}
	wm := MinWatermark
	maxTs := MinWatermark
	q.watermark.Store(wm)
	var epoch int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := q.Input.Source.Next(ctx, rows)
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			return err // sources name their table in their errors
		}
		q.batches.Add(1)
		q.rowsIn.Add(b.NumRows())
		if q.Input.TimeCol >= 0 {
			if t := maxTimestamp(b.Column(q.Input.TimeCol)); t > maxTs {
				maxTs = t
			}
		}
		out, err := q.Pipeline.Push(b)
		if err != nil {
			return err
		}
		if err := q.write(out); err != nil {
			return err
		}
		if q.Input.TimeCol >= 0 && maxTs != MinWatermark && maxTs-q.Input.Delay > wm {
			wm = maxTs - q.Input.Delay
			q.watermark.Store(wm)
			out, err := q.Pipeline.Advance(wm)
			if err != nil {
				return err
			}
			if err := q.write(out); err != nil {
				return err
			}
		}
	}
	q.watermark.Store(MaxWatermark)
	out, err := q.Pipeline.Advance(MaxWatermark)
	if err != nil {
		return err
	}
	if err := q.write(out); err != nil {
		return err
	}
	epoch++
	return q.Sink.Commit(epoch)
}

func (q *Query) write(bs []arrow.RecordBatch) error {
	for i, b := range bs {
		q.rowsOut.Add(b.NumRows())
		if err := q.Sink.Write(b); err != nil {
			releaseBatches(bs[i+1:])
			return err
		}
	}
	return nil
}

// maxTimestamp is the largest non-null value of a Timestamp column, or
// MinWatermark.
func maxTimestamp(a arrow.Array) int64 {
	ts, ok := a.(*array.Timestamp)
	if !ok {
		return MinWatermark
	}
	m := MinWatermark
	vals := ts.TimestampValues()
	if ts.NullN() == 0 {
		for _, v := range vals {
			if int64(v) > m {
				m = int64(v)
			}
		}
		return m
	}
	for i, v := range vals {
		if ts.IsValid(i) && int64(v) > m {
			m = int64(v)
		}
	}
	return m
}
