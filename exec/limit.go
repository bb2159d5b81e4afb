package exec

import (
	"encoding/binary"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
)

// Limit passes on the first N rows it is given and drops the rest.
type Limit struct {
	schema *arrow.Schema
	left   int64
}

var _ Operator = (*Limit)(nil)

// NewLimit returns a limit of n rows over batches of schema.
func NewLimit(schema *arrow.Schema, n int64) *Limit { return &Limit{schema: schema, left: n} }

// Schema is the input schema.
func (l *Limit) Schema() *arrow.Schema { return l.schema }

// Done reports whether the limit has been reached.
func (l *Limit) Done() bool { return l.left <= 0 }

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
	return []arrow.RecordBatch{b.NewSlice(0, n)}, nil
}

// Advance does nothing.
func (l *Limit) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }

// Close does nothing.
func (l *Limit) Close() {}

// Snapshot implements Snapshotter: the rows still to pass.
func (l *Limit) Snapshot(w io.Writer) error {
	return binary.Write(w, binary.BigEndian, l.left)
}

// Restore implements Snapshotter.
func (l *Limit) Restore(r io.Reader) error {
	return binary.Read(r, binary.BigEndian, &l.left)
}
