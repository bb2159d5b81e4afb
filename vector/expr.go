package vector

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Expr is a scalar expression compiled for one input schema, evaluated over
// whole columns.
//
// Contract:
//   - Type is the result type, always one of Weir's types (Int64, Float64,
//     String, Boolean, Timestamp, or Null for an expression that is always
//     NULL and has no type yet).
//   - Eval returns an array of length batch.NumRows() allocated from mem
//     (or a Retained input column). The caller owns the result and must
//     Release it. The batch is borrowed: Eval neither retains nor releases
//     it. Batches may be slices (columns with a non-zero offset).
//   - Eval never panics on data: division by zero, unparsable text in a
//     CAST and the like produce NULL. It returns an error only when the
//     batch does not match the schema the expression was compiled for.
//   - An Expr is immutable once built; Eval may be called concurrently from
//     several goroutines.
//   - String renders the expression for EXPLAIN, in SQL-ish syntax.
//
// Constructors type-check their operands and return an error (never panic)
// when the types do not fit. Subtrees whose inputs are all literals are
// folded into a literal at construction.
type Expr interface {
	// Type is the type of the result.
	Type() arrow.DataType
	// Eval evaluates the expression over every row of batch.
	Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error)
	// String renders the expression for EXPLAIN.
	String() string
}

// operand is an evaluated argument of a kernel: either a whole column
// (arr != nil) or a constant val (arr == nil; val nil means NULL), so that
// kernels can special-case literal operands without materialising them.
type operand struct {
	arr arrow.Array
	val any
}

// isConst reports whether the operand is a constant.
func (o operand) isConst() bool { return o.arr == nil }

// isNull reports whether the operand is the constant NULL.
func (o operand) isNull() bool { return o.arr == nil && o.val == nil }

// release releases the operand's array, if any.
func (o operand) release() {
	if o.arr != nil {
		o.arr.Release()
	}
}

// evalOperand evaluates e, returning literals as constants.
func evalOperand(mem memory.Allocator, e Expr, batch arrow.RecordBatch) (operand, error) {
	if v, ok := IsLiteral(e); ok {
		return operand{val: v}, nil
	}
	arr, err := e.Eval(mem, batch)
	if err != nil {
		return operand{}, err
	}
	if arr.Len() != int(batch.NumRows()) {
		arr.Release()
		return operand{}, fmt.Errorf("vector: %s returned %d rows for a batch of %d", e, arr.Len(), batch.NumRows())
	}
	return operand{arr: arr}, nil
}

// evalOperands evaluates every expression; on error it releases what it
// already evaluated.
func evalOperands(mem memory.Allocator, es []Expr, batch arrow.RecordBatch) ([]operand, error) {
	ops := make([]operand, len(es))
	for i, e := range es {
		op, err := evalOperand(mem, e, batch)
		if err != nil {
			releaseOperands(ops[:i])
			return nil, err
		}
		ops[i] = op
	}
	return ops, nil
}

// releaseOperands releases every operand.
func releaseOperands(ops []operand) {
	for _, o := range ops {
		o.release()
	}
}

// allLiterals reports whether every expression is a literal.
func allLiterals(es ...Expr) bool {
	for _, e := range es {
		if e == nil {
			continue
		}
		if _, ok := IsLiteral(e); !ok {
			return false
		}
	}
	return true
}

// oneRow is an empty schema used to evaluate constant expressions.
var oneRowSchema = arrow.NewSchema(nil, nil)

// fold evaluates e once when all its inputs are literals and returns the
// result as a literal; otherwise it returns e unchanged.
func fold(e Expr, inputs ...Expr) Expr {
	if !allLiterals(inputs...) {
		return e
	}
	batch := array.NewRecordBatch(oneRowSchema, nil, 1)
	defer batch.Release()
	arr, err := e.Eval(memory.DefaultAllocator, batch)
	if err != nil {
		return e
	}
	defer arr.Release()
	return &literal{v: scalarAt(arr, 0), typ: e.Type()}
}

// scalarAt returns row i of arr as a Go value in the form Literal takes.
func scalarAt(arr arrow.Array, i int) any {
	if arr.IsNull(i) || arr.DataType().ID() == arrow.NULL {
		return nil
	}
	switch a := arr.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return string([]byte(a.Value(i)))
	case *array.Boolean:
		return a.Value(i)
	case *array.Timestamp:
		return int64(a.Value(i))
	}
	return nil
}

// isNumeric reports whether t is Int64 or Float64.
func isNumeric(t arrow.DataType) bool {
	return t.ID() == arrow.INT64 || t.ID() == arrow.FLOAT64
}

// isNullType reports whether t is the type of an untyped NULL.
func isNullType(t arrow.DataType) bool { return t.ID() == arrow.NULL }
