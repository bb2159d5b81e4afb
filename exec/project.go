package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// Project computes one output column per expression.
type Project struct {
	exprs  []vector.Expr
	schema *arrow.Schema
	mem    memory.Allocator
}

var _ Operator = (*Project)(nil)

// NewProject returns a projection of exprs named names.
//
// Over a changelog the op column is carried through: the planner passes
// it as the last expression, named vector.OpColumn, and it comes out as
// the output's op column (vector.OpField), last.
func NewProject(mem memory.Allocator, exprs []vector.Expr, names []string) *Project {
	fields := make([]arrow.Field, len(exprs))
	for i, e := range exprs {
		fields[i] = arrow.Field{Name: names[i], Type: e.Type(), Nullable: true}
	}
	if n := len(exprs); n > 0 && names[n-1] == vector.OpColumn && exprs[n-1].Type().ID() == arrow.INT8 {
		fields[n-1] = vector.OpField()
	}
	return &Project{exprs: exprs, schema: arrow.NewSchema(fields, nil), mem: mem}
}

// Exprs are the projected expressions.
func (p *Project) Exprs() []vector.Expr { return p.exprs }

// Schema is the projection's output schema.
func (p *Project) Schema() *arrow.Schema { return p.schema }

// Process evaluates every expression over b.
func (p *Project) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	cols := make([]arrow.Array, len(p.exprs))
	for i, e := range p.exprs {
		c, err := e.Eval(p.mem, b)
		if err != nil {
			releaseAll(cols[:i])
			return nil, err
		}
		cols[i] = c
	}
	out := array.NewRecordBatch(p.schema, cols, b.NumRows())
	releaseAll(cols)
	return []arrow.RecordBatch{out}, nil
}

// Advance does nothing: a projection holds no state.
func (p *Project) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }

// Close does nothing.
func (p *Project) Close() {}
