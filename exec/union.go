package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Union is UNION ALL: every batch of every input port comes out
// unchanged, in arrival order. The planner gives every input the
// union's schema. Its watermark is the minimum of its inputs', as for
// every MultiInput.
type Union struct {
	schema *arrow.Schema
	ports  int
}

var _ MultiInput = (*Union)(nil)

// NewUnion returns the union of ports inputs of schema.
func NewUnion(schema *arrow.Schema, ports int) *Union {
	return &Union{schema: schema, ports: ports}
}

// Schema is the schema of every input and of the output.
func (u *Union) Schema() *arrow.Schema { return u.schema }

// Ports is the number of inputs.
func (u *Union) Ports() int { return u.ports }

// ProcessFrom passes b on.
func (u *Union) ProcessFrom(_ int, b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	return []arrow.RecordBatch{b}, nil
}

// Process passes b on, as from port 0.
func (u *Union) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	return u.ProcessFrom(0, b)
}

// Advance emits nothing: a union holds no rows.
func (u *Union) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }

// Close releases nothing.
func (u *Union) Close() {}

// String names the operator for EXPLAIN and messages.
func (u *Union) String() string { return fmt.Sprintf("Union ALL of %d inputs", u.ports) }
