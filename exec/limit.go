package exec

import (
	"encoding/binary"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
)

// Limit passes on the first N rows it is given and drops the rest.
//
// A limit over a whole stream (NewLimit) is satisfied once N rows went
// out: it then reports Satisfied, and the query stops reading its source
// and ends, as a LIMIT over a live stream should. A limit per emission
// (NewEmissionLimit) counts again after every watermark advance: on a
// windowed query it keeps the first N rows of the windows closed together.
type Limit struct {
	schema      *arrow.Schema
	n, left     int64
	perEmission bool
	// satisfied is read by the query's driver, possibly on another
	// goroutine than the one that processes batches.
	satisfied atomic.Bool
}

var _ Operator = (*Limit)(nil)

// Finite is implemented by operators that can tell that they will never
// emit again, however much input follows. A query whose pipeline has a
// satisfied Finite operator stops reading its source and ends normally.
type Finite interface {
	// Satisfied reports whether the operator is done for good. It is
	// safe to call from any goroutine.
	Satisfied() bool
}

// NewLimit returns a limit of n rows over the whole stream of batches of
// schema.
func NewLimit(schema *arrow.Schema, n int64) *Limit {
	l := &Limit{schema: schema, n: n, left: n}
	l.satisfied.Store(n <= 0)
	return l
}

// NewEmissionLimit returns a limit of n rows per emission: the count
// starts over at every watermark advance.
func NewEmissionLimit(schema *arrow.Schema, n int64) *Limit {
	return &Limit{schema: schema, n: n, left: n, perEmission: true}
}

// Schema is the input schema.
func (l *Limit) Schema() *arrow.Schema { return l.schema }

// Done reports whether the limit has been reached (for this emission, for
// a limit per emission).
func (l *Limit) Done() bool { return l.left <= 0 }

// Satisfied implements Finite: a limit over the whole stream has passed
// all its rows. A limit per emission never is.
func (l *Limit) Satisfied() bool { return l.satisfied.Load() }

// Process passes on as much of b as the limit allows.
func (l *Limit) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	if l.left <= 0 {
		return nil, nil
	}
	n := b.NumRows()
	if n > l.left {
		n = l.left
	}
	l.left -= n
	if l.left <= 0 && !l.perEmission {
		l.satisfied.Store(true)
	}
	return []arrow.RecordBatch{b.NewSlice(0, n)}, nil
}

// Advance ends an emission: a limit per emission starts counting again.
func (l *Limit) Advance(int64) ([]arrow.RecordBatch, error) {
	if l.perEmission {
		l.left = l.n
	}
	return nil, nil
}

// Close does nothing.
func (l *Limit) Close() {}

// Snapshot implements Snapshotter: the rows still to pass.
func (l *Limit) Snapshot(w io.Writer) error {
	return binary.Write(w, binary.BigEndian, l.left)
}

// Restore implements Snapshotter.
func (l *Limit) Restore(r io.Reader) error {
	if err := binary.Read(r, binary.BigEndian, &l.left); err != nil {
		return err
	}
	l.satisfied.Store(l.left <= 0 && !l.perEmission)
	return nil
}
