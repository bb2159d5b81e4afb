package exec

import "github.com/apache/arrow-go/v18/arrow"

// Union is UNION ALL: it passes on every batch of each of its inputs, in
// the order they arrive. Its inputs already have its output schema. As
// for every node of a graph, its watermark is the minimum of its inputs'.
type Union struct {
	schema *arrow.Schema
	ports  int
}

var _ MultiInput = (*Union)(nil)

// NewUnion returns a union of ports inputs of schema.
func NewUnion(schema *arrow.Schema, ports int) *Union {
	return &Union{schema: schema, ports: ports}
}

// Schema is the schema of every input.
func (u *Union) Schema() *arrow.Schema { return u.schema }

// Ports implements MultiInput.
func (u *Union) Ports() int { return u.ports }

// ProcessFrom passes b on, whichever input it came from.
func (u *Union) ProcessFrom(_ int, b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	return u.Process(b)
}

// Process passes b on.
func (u *Union) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	if b.NumRows() == 0 {
		b.Release()
		return nil, nil
	}
	return []arrow.RecordBatch{b}, nil
}

// Advance emits nothing: a union holds no state.
func (u *Union) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }

// Close does nothing.
func (u *Union) Close() {}
