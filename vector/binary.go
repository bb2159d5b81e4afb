package vector

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BinaryOp is a binary operator.
type BinaryOp int

// The binary operators.
const (
	// Add is +. Int64 overflow wraps around (two's complement).
	Add BinaryOp = iota
	// Sub is -.
	Sub
	// Mul is *.
	Mul
	// Div is /: always DOUBLE (5 / 2 = 2.5); division by zero is NULL.
	Div
	// IntDiv is DIV: BIGINT division truncating toward zero; by zero is NULL.
	IntDiv
	// Mod is %: BIGINT if both operands are, else DOUBLE (math.Mod); the
	// sign follows the dividend; by zero is NULL.
	Mod
	// Eq is =.
	Eq
	// NotEq is <> (and !=).
	NotEq
	// Lt is <.
	Lt
	// LtEq is <=.
	LtEq
	// Gt is >.
	Gt
	// GtEq is >=.
	GtEq
	// And is AND, with SQL three-valued logic.
	And
	// Or is OR, with SQL three-valued logic.
	Or
)

// String returns the SQL spelling of the operator.
func (op BinaryOp) String() string {
	switch op {
	case Add:
		return "+"
	case Sub:
		return "-"
	case Mul:
		return "*"
	case Div:
		return "/"
	case IntDiv:
		return "DIV"
	case Mod:
		return "%"
	case Eq:
		return "="
	case NotEq:
		return "<>"
	case Lt:
		return "<"
	case LtEq:
		return "<="
	case Gt:
		return ">"
	case GtEq:
		return ">="
	case And:
		return "AND"
	case Or:
		return "OR"
	}
	return fmt.Sprintf("BinaryOp(%d)", int(op))
}

// isComparison reports whether op is one of = <> < <= > >=.
func (op BinaryOp) isComparison() bool { return op >= Eq && op <= GtEq }

// Binary returns l op r. Arithmetic takes BIGINT and DOUBLE (mixed
// operands are promoted to DOUBLE), plus TIMESTAMP ± BIGINT milliseconds
// (TIMESTAMP) and TIMESTAMP - TIMESTAMP (BIGINT milliseconds). Comparisons
// take two numbers, two VARCHARs (byte order), two TIMESTAMPs or two
// BOOLEANs; a VARCHAR literal compared with another type is converted to
// it at construction. AND and OR take BOOLEANs. Any NULL operand makes
// arithmetic and comparisons NULL. Other combinations are an error such as
// "cannot apply + to VARCHAR and BIGINT".
func Binary(op BinaryOp, l, r Expr) (Expr, error) {
	switch {
	case op >= Add && op <= Mod:
		return arith(op, l, r)
	case op.isComparison():
		return compare(op, l, r)
	case op == And || op == Or:
		return logic(op, l, r)
	}
	return nil, fmt.Errorf("vector: unknown binary operator %d", int(op))
}

// renderAs shows an expression that was rewritten into another one as it
// was written.
type renderAs struct {
	Expr
	str string
}

// String implements Expr.
func (r *renderAs) String() string { return r.str }

// binaryString renders "(l op r)".
func binaryString(op BinaryOp, l, r Expr) string {
	return "(" + l.String() + " " + op.String() + " " + r.String() + ")"
}

// arithExpr is an arithmetic operator over BIGINT, DOUBLE or TIMESTAMP
// operands of the same kind (the constructor inserts casts).
type arithExpr struct {
	op   BinaryOp
	l, r Expr
	typ  arrow.DataType
	// float reports whether the kernel works on float64 values; otherwise
	// it works on int64 values (BIGINT or TIMESTAMP).
	float bool
}

var _ Expr = (*arithExpr)(nil)

// arith type-checks and builds an arithmetic expression.
func arith(op BinaryOp, l, r Expr) (Expr, error) {
	lt, rt := l.Type(), r.Type()
	bad := fmt.Errorf("cannot apply %s to %s and %s", op, TypeName(lt), TypeName(rt))
	lid, rid := lt.ID(), rt.ID()
	var typ arrow.DataType
	float := false
	if lid == arrow.NULL || rid == arrow.NULL {
		// A NULL operand: the result is NULL, of the type the other
		// operand implies.
		other := lid
		if other == arrow.NULL {
			other = rid
		}
		switch {
		case other == arrow.TIMESTAMP && (op == Add || op == Sub):
			typ = Timestamp
		case other == arrow.TIMESTAMP:
			return nil, bad
		case op == Div || (other == arrow.FLOAT64 && op != IntDiv):
			typ = Float64
		case other == arrow.NULL || other == arrow.INT64 || other == arrow.FLOAT64:
			typ = Int64
		default:
			return nil, bad
		}
		return &literal{typ: typ}, nil
	}
	switch {
	case lid == arrow.TIMESTAMP || rid == arrow.TIMESTAMP:
		switch {
		case (op == Add || op == Sub) && lid == arrow.TIMESTAMP && rid == arrow.INT64:
			typ = Timestamp
		case op == Add && lid == arrow.INT64 && rid == arrow.TIMESTAMP:
			typ = Timestamp
		case op == Sub && lid == arrow.TIMESTAMP && rid == arrow.TIMESTAMP:
			typ = Int64
		default:
			return nil, bad
		}
	case lid == arrow.INT64 && rid == arrow.INT64 && op != Div:
		typ = Int64
	case (lid == arrow.INT64 || lid == arrow.FLOAT64) && (rid == arrow.INT64 || rid == arrow.FLOAT64):
		if op == IntDiv {
			// DIV on doubles: divide as doubles, truncate to BIGINT.
			fl, err := Cast(l, Float64)
			if err != nil {
				return nil, err
			}
			fr, err := Cast(r, Float64)
			if err != nil {
				return nil, err
			}
			q, err := arith(Div, fl, fr)
			if err != nil {
				return nil, err
			}
			c, err := Cast(q, Int64)
			if err != nil {
				return nil, err
			}
			if _, ok := IsLiteral(c); ok {
				return c, nil
			}
			return &renderAs{Expr: c, str: binaryString(op, l, r)}, nil
		}
		typ, float = Float64, true
	default:
		return nil, bad
	}
	if float {
		var err error
		if l, err = Cast(l, Float64); err != nil {
			return nil, err
		}
		if r, err = Cast(r, Float64); err != nil {
			return nil, err
		}
	}
	// A NULL operand makes the result NULL.
	if v, ok := IsLiteral(l); ok && v == nil {
		return &literal{typ: typ}, nil
	}
	if v, ok := IsLiteral(r); ok && v == nil {
		return &literal{typ: typ}, nil
	}
	return fold(&arithExpr{op: op, l: l, r: r, typ: typ, float: float}, l, r), nil
}

// Type implements Expr.
func (e *arithExpr) Type() arrow.DataType { return e.typ }

// String implements Expr.
func (e *arithExpr) String() string { return binaryString(e.op, e.l, e.r) }

// Eval implements Expr.
func (e *arithExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	n := int(batch.NumRows())
	lo, err := evalOperand(mem, e.l, batch)
	if err != nil {
		return nil, err
	}
	defer lo.release()
	ro, err := evalOperand(mem, e.r, batch)
	if err != nil {
		return nil, err
	}
	defer ro.release()
	if lo.isNull() || ro.isNull() {
		return broadcast(mem, nil, e.typ, n), nil
	}
	valid := combineValidity(mem, n, lo.arr, ro.arr)
	buf := newBuffer(mem, 8*n)
	if e.float {
		out := float64Slice(buf)
		a, as := floatOperand(lo)
		b, bs := floatOperand(ro)
		switch {
		case e.op == Mod:
			modKernel(out, a, as, b, bs, modFloat)
		case a != nil && b != nil:
			arithVV(e.op, out, a, b)
		case a != nil:
			arithVS(e.op, out, a, bs)
		case b != nil:
			arithSV(e.op, out, as, b)
		default:
			arithSS(e.op, out, as, bs)
		}
		if e.op == Div || e.op == Mod {
			valid = nullZeroDivisors(mem, valid, b, bs, n)
		}
	} else {
		out := int64Slice(buf)
		a, as := intOperand(lo)
		b, bs := intOperand(ro)
		switch {
		case e.op == Mod:
			modKernel(out, a, as, b, bs, modInt)
		case a != nil && b != nil:
			arithVV(e.op, out, a, b)
		case a != nil:
			arithVS(e.op, out, a, bs)
		case b != nil:
			arithSV(e.op, out, as, b)
		default:
			arithSS(e.op, out, as, bs)
		}
		if e.op == IntDiv || e.op == Mod {
			valid = nullZeroDivisors(mem, valid, b, bs, n)
		}
	}
	return finish(e.typ, n, valid, buf), nil
}

// intOperand returns the int64 values of a column, or the constant.
func intOperand(o operand) ([]int64, int64) {
	if o.arr != nil {
		v := int64Values(o.arr)
		if v == nil {
			v = []int64{}
		}
		return v, 0
	}
	return nil, o.val.(int64)
}

// floatOperand returns the float64 values of a column, or the constant.
func floatOperand(o operand) ([]float64, float64) {
	if o.arr != nil {
		v := float64Values(o.arr)
		if v == nil {
			v = []float64{}
		}
		return v, 0
	}
	return nil, o.val.(float64)
}

// number is the element type of arithmetic kernels.
type number interface{ ~int64 | ~float64 }

// nullZeroDivisors marks NULL every row whose divisor is zero.
func nullZeroDivisors[T number](mem memory.Allocator, valid *memory.Buffer, b []T, bs T, n int) *memory.Buffer {
	if b == nil {
		if bs == 0 {
			for i := 0; i < n; i++ {
				valid = markNull(mem, valid, n, i)
			}
		}
		return valid
	}
	for i, v := range b {
		if v == 0 {
			valid = markNull(mem, valid, n, i)
		}
	}
	return valid
}

// div divides, returning 0 for a zero divisor (the row is made NULL).
func div[T number](a, b T) T {
	if b == 0 {
		return 0
	}
	return a / b
}

// modInt is the remainder with the dividend's sign, 0 for a zero divisor.
func modInt(a, b int64) int64 {
	if b == 0 || b == -1 {
		return 0
	}
	return a % b
}

// modFloat is math.Mod, 0 for a zero divisor.
func modFloat(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return math.Mod(a, b)
}

// modVV, modVS, modSV compute remainders for each operand shape.
func modVV[T number](out, a, b []T, f func(T, T) T) {
	a, b = a[:len(out)], b[:len(out)]
	for i := range out {
		out[i] = f(a[i], b[i])
	}
}

// modVS computes out[i] = a[i] % b.
func modVS[T number](out, a []T, b T, f func(T, T) T) {
	a = a[:len(out)]
	for i := range out {
		out[i] = f(a[i], b)
	}
}

// modSV computes out[i] = a % b[i].
func modSV[T number](out []T, a T, b []T, f func(T, T) T) {
	b = b[:len(out)]
	for i := range out {
		out[i] = f(a, b[i])
	}
}

// modKernel dispatches a remainder on the operand shapes.
func modKernel[T number](out, a []T, as T, b []T, bs T, f func(T, T) T) {
	switch {
	case a != nil && b != nil:
		modVV(out, a, b, f)
	case a != nil:
		modVS(out, a, bs, f)
	case b != nil:
		modSV(out, as, b, f)
	default:
		v := f(as, bs)
		for i := range out {
			out[i] = v
		}
	}
}

// arithVV computes out[i] = a[i] op b[i].
func arithVV[T number](op BinaryOp, out, a, b []T) {
	a, b = a[:len(out)], b[:len(out)]
	switch op {
	case Add:
		for i := range out {
			out[i] = a[i] + b[i]
		}
	case Sub:
		for i := range out {
			out[i] = a[i] - b[i]
		}
	case Mul:
		for i := range out {
			out[i] = a[i] * b[i]
		}
	case Div, IntDiv:
		for i := range out {
			out[i] = div(a[i], b[i])
		}
	}
}

// arithVS computes out[i] = a[i] op b.
func arithVS[T number](op BinaryOp, out, a []T, b T) {
	a = a[:len(out)]
	switch op {
	case Add:
		for i := range out {
			out[i] = a[i] + b
		}
	case Sub:
		for i := range out {
			out[i] = a[i] - b
		}
	case Mul:
		for i := range out {
			out[i] = a[i] * b
		}
	case Div, IntDiv:
		if b == 0 {
			clear(out)
			return
		}
		for i := range out {
			out[i] = a[i] / b
		}
	}
}

// arithSV computes out[i] = a op b[i].
func arithSV[T number](op BinaryOp, out []T, a T, b []T) {
	b = b[:len(out)]
	switch op {
	case Add:
		for i := range out {
			out[i] = a + b[i]
		}
	case Sub:
		for i := range out {
			out[i] = a - b[i]
		}
	case Mul:
		for i := range out {
			out[i] = a * b[i]
		}
	case Div, IntDiv:
		for i := range out {
			out[i] = div(a, b[i])
		}
	}
}

// arithSS fills out with a op b (only reached when folding is bypassed).
func arithSS[T number](op BinaryOp, out []T, a, b T) {
	var v T
	switch op {
	case Add:
		v = a + b
	case Sub:
		v = a - b
	case Mul:
		v = a * b
	case Div, IntDiv:
		v = div(a, b)
	}
	for i := range out {
		out[i] = v
	}
}

// negateExpr is unary minus.
type negateExpr struct{ e Expr }

var _ Expr = (*negateExpr)(nil)

// Negate returns -e for BIGINT or DOUBLE e (BIGINT wraps: -MinInt64 is
// MinInt64).
func Negate(e Expr) (Expr, error) {
	switch e.Type().ID() {
	case arrow.NULL:
		return &literal{typ: Int64}, nil
	case arrow.INT64, arrow.FLOAT64:
		return fold(&negateExpr{e: e}, e), nil
	}
	return nil, fmt.Errorf("cannot apply - to %s", TypeName(e.Type()))
}

// Type implements Expr.
func (e *negateExpr) Type() arrow.DataType { return e.e.Type() }

// String implements Expr.
func (e *negateExpr) String() string { return "(-" + e.e.String() + ")" }

// Eval implements Expr.
func (e *negateExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	in, err := e.e.Eval(mem, batch)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	n := in.Len()
	buf := newBuffer(mem, 8*n)
	if e.Type().ID() == arrow.FLOAT64 {
		out, a := float64Slice(buf), float64Values(in)
		for i := range a {
			out[i] = -a[i]
		}
	} else {
		out, a := int64Slice(buf), int64Values(in)
		for i := range a {
			out[i] = -a[i]
		}
	}
	return finish(e.Type(), n, combineValidity(mem, n, in), buf), nil
}
