package planner

import (
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// procTime is PROCTIME(): the time of the micro-batch being processed,
// which the query loop stores in cell before each batch.
type procTime struct{ cell *atomic.Int64 }

var _ vector.Expr = procTime{}

// Type implements vector.Expr.
func (procTime) Type() arrow.DataType { return vector.Timestamp }

// Eval implements vector.Expr: every row gets the batch time.
func (p procTime) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	return vector.Literal(p.cell.Load(), vector.Timestamp).Eval(mem, batch)
}

// String implements vector.Expr.
func (procTime) String() string { return "PROCTIME()" }
