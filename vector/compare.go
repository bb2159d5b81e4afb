package vector

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// cmpExpr compares two operands of the same type, giving BOOLEAN.
type cmpExpr struct {
	op   BinaryOp
	l, r Expr
}

var _ Expr = (*cmpExpr)(nil)

// compare type-checks and builds a comparison.
func compare(op BinaryOp, l, r Expr) (Expr, error) {
	if isNullType(l.Type()) || isNullType(r.Type()) {
		return &literal{typ: Boolean}, nil
	}
	us, typ, ok, err := unify([]Expr{l, r})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("cannot apply %s to %s and %s", op, TypeName(l.Type()), TypeName(r.Type()))
	}
	switch typ.ID() {
	case arrow.INT64, arrow.FLOAT64, arrow.STRING, arrow.TIMESTAMP, arrow.BOOL:
	default:
		return nil, fmt.Errorf("cannot apply %s to %s and %s", op, TypeName(l.Type()), TypeName(r.Type()))
	}
	l, r = us[0], us[1]
	if v, ok := IsLiteral(l); ok && v == nil {
		return &literal{typ: Boolean}, nil
	}
	if v, ok := IsLiteral(r); ok && v == nil {
		return &literal{typ: Boolean}, nil
	}
	return fold(&cmpExpr{op: op, l: l, r: r}, l, r), nil
}

// Type implements Expr.
func (e *cmpExpr) Type() arrow.DataType { return Boolean }

// String implements Expr.
func (e *cmpExpr) String() string { return binaryString(e.op, e.l, e.r) }

// cmpMask encodes an operator as the set of three-way outcomes it accepts:
// bit 0 less, bit 1 equal, bit 2 greater.
func cmpMask(op BinaryOp) uint8 {
	switch op {
	case Eq:
		return 0b010
	case NotEq:
		return 0b101
	case Lt:
		return 0b001
	case LtEq:
		return 0b011
	case Gt:
		return 0b100
	case GtEq:
		return 0b110
	}
	return 0
}

// Eval implements Expr.
func (e *cmpExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
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
		return broadcast(mem, nil, Boolean, n), nil
	}
	op, l, r := e.op, lo, ro
	if l.isConst() && !r.isConst() {
		op, l, r = flip(op), ro, lo
	}
	if l.isConst() {
		// Both constant (only when folding): materialise one side.
		l = operand{arr: broadcast(mem, l.val, e.l.Type(), n)}
		defer l.release()
	}
	valid := combineValidity(mem, n, l.arr, r.arr)
	out := newBitmap(mem, n)
	bits := out.Bytes()
	mask := cmpMask(op)
	switch e.l.Type().ID() {
	case arrow.INT64, arrow.TIMESTAMP:
		a, _ := intOperand(l)
		b, bs := intOperand(r)
		if b != nil {
			cmpIntVV(mask, bits, a, b)
		} else {
			cmpIntVS(mask, bits, a, bs)
		}
	case arrow.FLOAT64:
		a, _ := floatOperand(l)
		b, bs := floatOperand(r)
		if b != nil {
			cmpFloatVV(mask, bits, a, b)
		} else {
			cmpFloatVS(mask, bits, a, bs)
		}
	case arrow.STRING:
		a := stringValues(l.arr)
		if r.isConst() {
			cmpStringVS(op, bits, a, r.val.(string))
		} else {
			cmpStringVV(op, bits, a, stringValues(r.arr))
		}
	case arrow.BOOL:
		cmpBool(mask, bits, l, r, n)
	}
	return finish(Boolean, n, valid, out), nil
}

// flip mirrors an operator so that its operands can be swapped.
func flip(op BinaryOp) BinaryOp {
	switch op {
	case Lt:
		return Gt
	case LtEq:
		return GtEq
	case Gt:
		return Lt
	case GtEq:
		return LtEq
	}
	return op
}

// b2u converts a bool to 0 or 1 without a branch.
func b2u(b bool) uint8 {
	var x uint8
	if b {
		x = 1
	}
	return x
}

// cmpIntVV sets bit i when a[i] compared with b[i] is in mask. Bits are
// gathered eight at a time into a register before one store.
func cmpIntVV(mask uint8, out []byte, a, b []int64) {
	b = b[:len(a)]
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x, y := a[i:i+8:i+8], b[i:i+8:i+8]
		var w uint8
		for j := 0; j < 8; j++ {
			c := 1 + b2u(x[j] > y[j]) - b2u(x[j] < y[j])
			w |= ((mask >> c) & 1) << j
		}
		out[i>>3] = w
	}
	for ; i < len(a); i++ {
		c := 1 + b2u(a[i] > b[i]) - b2u(a[i] < b[i])
		out[i>>3] |= ((mask >> c) & 1) << (i & 7)
	}
}

// cmpIntVS sets bit i when a[i] compared with b is in mask.
func cmpIntVS(mask uint8, out []byte, a []int64, b int64) {
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x := a[i : i+8 : i+8]
		var w uint8
		for j := 0; j < 8; j++ {
			c := 1 + b2u(x[j] > b) - b2u(x[j] < b)
			w |= ((mask >> c) & 1) << j
		}
		out[i>>3] = w
	}
	for ; i < len(a); i++ {
		c := 1 + b2u(a[i] > b) - b2u(a[i] < b)
		out[i>>3] |= ((mask >> c) & 1) << (i & 7)
	}
}

// cmpFloat3 is the three-way comparison of doubles: 0 less, 1 equal,
// 2 greater. NaN equals NaN and is greater than every other value (as in
// Spark), so that comparisons are a total order.
func cmpFloat3(x, y float64) uint8 {
	c := 1 + b2u(x > y) - b2u(x < y)
	if c == 1 && x != y {
		xn, yn := x != x, y != y
		switch {
		case xn && yn:
			return 1
		case xn:
			return 2
		default:
			return 0
		}
	}
	return c
}

// cmpFloatVV sets bit i when a[i] compared with b[i] is in mask.
func cmpFloatVV(mask uint8, out []byte, a, b []float64) {
	b = b[:len(a)]
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x, y := a[i:i+8:i+8], b[i:i+8:i+8]
		var w uint8
		for j := 0; j < 8; j++ {
			w |= ((mask >> cmpFloat3(x[j], y[j])) & 1) << j
		}
		out[i>>3] = w
	}
	for ; i < len(a); i++ {
		out[i>>3] |= ((mask >> cmpFloat3(a[i], b[i])) & 1) << (i & 7)
	}
}

// cmpFloatVS sets bit i when a[i] compared with b is in mask.
func cmpFloatVS(mask uint8, out []byte, a []float64, b float64) {
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x := a[i : i+8 : i+8]
		var w uint8
		for j := 0; j < 8; j++ {
			w |= ((mask >> cmpFloat3(x[j], b)) & 1) << j
		}
		out[i>>3] = w
	}
	for ; i < len(a); i++ {
		out[i>>3] |= ((mask >> cmpFloat3(a[i], b)) & 1) << (i & 7)
	}
}

// cmpStringVV compares strings row by row in byte order.
func cmpStringVV(op BinaryOp, out []byte, a, b strVals) {
	n := a.len()
	switch op {
	case Eq, NotEq:
		want := op == Eq
		for i := 0; i < n; i++ {
			if (a.at(i) == b.at(i)) == want {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	default:
		mask := cmpMask(op)
		for i := 0; i < n; i++ {
			c := uint8(strings.Compare(a.at(i), b.at(i)) + 1)
			out[i>>3] |= ((mask >> c) & 1) << (i & 7)
		}
	}
}

// cmpStringVS compares every string with a constant in byte order.
func cmpStringVS(op BinaryOp, out []byte, a strVals, b string) {
	n := a.len()
	switch op {
	case Eq, NotEq:
		want := op == Eq
		bl := int32(len(b))
		for i := 0; i < n; i++ {
			eq := a.offs[i+1]-a.offs[i] == bl && a.at(i) == b
			if eq == want {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	default:
		mask := cmpMask(op)
		for i := 0; i < n; i++ {
			c := uint8(strings.Compare(a.at(i), b) + 1)
			out[i>>3] |= ((mask >> c) & 1) << (i & 7)
		}
	}
}

// cmpBool compares BOOLEANs (FALSE < TRUE); l is a column.
func cmpBool(mask uint8, out []byte, l, r operand, n int) {
	abits, aoff := boolBits(l.arr)
	var bbits []byte
	var boff int
	var bs uint8
	if r.isConst() {
		bs = b2u(r.val.(bool))
	} else {
		bbits, boff = boolBits(r.arr)
	}
	for i := 0; i < n; i++ {
		x := b2u(bitutil.BitIsSet(abits, aoff+i))
		y := bs
		if bbits != nil {
			y = b2u(bitutil.BitIsSet(bbits, boff+i))
		}
		c := 1 + x - y
		out[i>>3] |= ((mask >> c) & 1) << (i & 7)
	}
}
