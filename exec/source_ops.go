package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// AddRowsIn adds n (which may be negative) to the rows the query counts
// as read. A source that runs the query's leading row-wise operators on
// its own workers (connectors.Transformer) returns their output, which
// the query counts; the planner adds the difference from the source rows
// read, so that rows in still counts the source's rows.
func (q *Query) AddRowsIn(n int64) { q.rowsIn.Add(n) }

// ConcatBatches joins batches of one schema into one new batch; the
// caller still owns (and releases) bs.
func ConcatBatches(mem memory.Allocator, schema *arrow.Schema, bs []arrow.RecordBatch) (arrow.RecordBatch, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return concatBatches(mem, schema, bs)
}
