package exec

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// PanicError is a panic recovered inside a query (a bug in an operator,
// not in the input): the query fails with it and the rest of the process
// carries on. Error is one line; Stack holds the panicking goroutine's
// stack for the bug report.
type PanicError struct {
	// Query is the ID of the query that failed (0 until Run sets it).
	Query int
	// Op names where the panic happened: an operator, the sink, the source.
	Op string
	// Value is what was passed to panic.
	Value any
	// Stack is the stack of the goroutine that panicked, from debug.Stack.
	Stack []byte
}

// Error implements error.
func (e *PanicError) Error() string {
	return fmt.Sprintf("query %d: internal error in %s: %v", e.Query, e.Op, e.Value)
}

// newPanicError wraps a recovered value; it must be called from the
// deferred function that recovered it, so that the stack is the panic's.
func newPanicError(op string, v any) *PanicError {
	if pe, ok := v.(*PanicError); ok {
		return pe
	}
	return &PanicError{Op: op, Value: v, Stack: debug.Stack()}
}

// setPanicQuery stamps the query's ID on a PanicError in err.
func setPanicQuery(err error, id int) {
	var pe *PanicError
	if errors.As(err, &pe) && pe.Query == 0 {
		pe.Query = id
	}
}

// OpName names an operator for messages: its String method if it has one
// (WindowAgg says what it groups by), else its type's name.
func OpName(op Operator) string {
	if s, ok := op.(fmt.Stringer); ok {
		return s.String()
	}
	name := fmt.Sprintf("%T", op)
	return name[strings.LastIndexByte(name, '.')+1:]
}

// opProcess is op.Process, with a panic turned into a *PanicError.
func opProcess(op Operator, b arrow.RecordBatch) (out []arrow.RecordBatch, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, newPanicError(OpName(op), v)
		}
	}()
	return op.Process(b)
}

// opAdvance is op.Advance, with a panic turned into a *PanicError.
func opAdvance(op Operator, wm int64) (out []arrow.RecordBatch, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, newPanicError(OpName(op), v)
		}
	}()
	return op.Advance(wm)
}

// opClose is op.Close; a panic there (an operator left broken by an
// earlier one) is dropped: the query is already ending.
func opClose(op Operator) {
	defer func() { _ = recover() }()
	op.Close()
}

// safeClose is c.Close, with a panic turned into a *PanicError naming
// what was closed.
func safeClose(what string, c io.Closer) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError(what, v)
		}
	}()
	return c.Close()
}
