package vector

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// logicExpr is AND or OR with SQL three-valued logic:
// FALSE AND NULL = FALSE, TRUE OR NULL = TRUE, otherwise NULL in, NULL out.
type logicExpr struct {
	op   BinaryOp
	l, r Expr
}

var _ Expr = (*logicExpr)(nil)

// toBoolean checks that e is BOOLEAN (a NULL becomes a BOOLEAN NULL).
func toBoolean(what string, e Expr) (Expr, error) {
	switch e.Type().ID() {
	case arrow.BOOL:
		return e, nil
	case arrow.NULL:
		return &literal{typ: Boolean}, nil
	}
	return nil, fmt.Errorf("%s needs BOOLEAN operands, got %s", what, TypeName(e.Type()))
}

// logic type-checks and builds AND or OR.
func logic(op BinaryOp, l, r Expr) (Expr, error) {
	var err error
	if l, err = toBoolean(op.String(), l); err != nil {
		return nil, err
	}
	if r, err = toBoolean(op.String(), r); err != nil {
		return nil, err
	}
	e := &logicExpr{op: op, l: l, r: r}
	if allLiterals(l, r) {
		return fold(e, l, r), nil
	}
	// x AND TRUE = x, x AND FALSE = FALSE, x OR FALSE = x, x OR TRUE = TRUE.
	for _, pair := range [2][2]Expr{{l, r}, {r, l}} {
		v, ok := IsLiteral(pair[1])
		if !ok || v == nil {
			continue
		}
		b := v.(bool)
		switch {
		case op == And && b, op == Or && !b:
			return pair[0], nil
		default:
			return &literal{v: b, typ: Boolean}, nil
		}
	}
	return e, nil
}

// Type implements Expr.
func (e *logicExpr) Type() arrow.DataType { return Boolean }

// String implements Expr.
func (e *logicExpr) String() string { return binaryString(e.op, e.l, e.r) }

// bitsOperand is a BOOLEAN operand as byte-aligned bitmaps: valid (nil
// means every row is valid: cv) and value (nil means the constant cb).
type bitsOperand struct {
	valid, value []byte
	cv, cb       byte
	hasNulls     bool
	tmp          []*memory.Buffer
}

// alignedBits returns bitmap bits [off, off+n) starting at bit 0 of the
// result, copying only when off is not a multiple of 8.
func (b *bitsOperand) alignedBits(mem memory.Allocator, bm []byte, off, n int) []byte {
	if off%8 == 0 {
		return bm[off/8:]
	}
	buf := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	b.tmp = append(b.tmp, buf)
	bitutil.CopyBitmap(bm, off, n, buf.Bytes(), 0)
	return buf.Bytes()
}

// release frees temporary copies.
func (b *bitsOperand) release() {
	for _, t := range b.tmp {
		t.Release()
	}
}

// newBitsOperand prepares a BOOLEAN operand.
func newBitsOperand(mem memory.Allocator, o operand, n int) *bitsOperand {
	b := &bitsOperand{cv: 0xFF}
	if o.isConst() {
		if o.val == nil {
			b.cv = 0
			b.hasNulls = true
		} else if o.val.(bool) {
			b.cb = 0xFF
		}
		return b
	}
	vals, off := boolBits(o.arr)
	b.value = b.alignedBits(mem, vals, off, n)
	if bm, voff := validity(o.arr); bm != nil {
		b.valid = b.alignedBits(mem, bm, voff, n)
		b.hasNulls = true
	}
	return b
}

// byteAt returns byte i of the validity and value bitmaps.
func (b *bitsOperand) byteAt(i int) (valid, value byte) {
	valid, value = b.cv, b.cb
	if b.valid != nil {
		valid = b.valid[i]
	}
	if b.value != nil {
		value = b.value[i]
	}
	return valid, value
}

// Eval implements Expr.
func (e *logicExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
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
	a, b := newBitsOperand(mem, lo, n), newBitsOperand(mem, ro, n)
	defer a.release()
	defer b.release()
	nb := int(bitutil.BytesForBits(int64(n)))
	out := newBuffer(mem, nb)
	ob := out.Bytes()
	var valid *memory.Buffer
	var vb []byte
	if a.hasNulls || b.hasNulls {
		valid = newBuffer(mem, nb)
		vb = valid.Bytes()
	}
	if e.op == And {
		for i := 0; i < nb; i++ {
			av, ax := a.byteAt(i)
			bv, bx := b.byteAt(i)
			v := (av & bv) | (av &^ ax) | (bv &^ bx)
			ob[i] = v & (ax | ^av) & (bx | ^bv)
			if vb != nil {
				vb[i] = v
			}
		}
	} else {
		for i := 0; i < nb; i++ {
			av, ax := a.byteAt(i)
			bv, bx := b.byteAt(i)
			at, bt := av&ax, bv&bx
			ob[i] = at | bt
			if vb != nil {
				vb[i] = (av & bv) | at | bt
			}
		}
	}
	return finish(Boolean, n, valid, out), nil
}

// notExpr is NOT.
type notExpr struct{ e Expr }

var _ Expr = (*notExpr)(nil)

// Not returns NOT e for a BOOLEAN e (NOT NULL is NULL).
func Not(e Expr) (Expr, error) {
	e, err := toBoolean("NOT", e)
	if err != nil {
		return nil, err
	}
	if inner, ok := e.(*notExpr); ok {
		return inner.e, nil
	}
	return fold(&notExpr{e: e}, e), nil
}

// Type implements Expr.
func (e *notExpr) Type() arrow.DataType { return Boolean }

// String implements Expr.
func (e *notExpr) String() string { return "(NOT " + e.e.String() + ")" }

// Eval implements Expr.
func (e *notExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	in, err := e.e.Eval(mem, batch)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	n := in.Len()
	vals, off := boolBits(in)
	out := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	if n > 0 {
		bitutil.InvertBitmap(vals, off, n, out.Bytes(), 0)
	}
	return finish(Boolean, n, combineValidity(mem, n, in), out), nil
}

// isNullExpr is IS [NOT] NULL; it is never NULL itself.
type isNullExpr struct {
	e       Expr
	negated bool
}

var _ Expr = (*isNullExpr)(nil)

// IsNull returns e IS NULL, or e IS NOT NULL when negated.
func IsNull(e Expr, negated bool) Expr {
	if isNullType(e.Type()) {
		return &literal{v: !negated, typ: Boolean}
	}
	return fold(&isNullExpr{e: e, negated: negated}, e)
}

// Type implements Expr.
func (e *isNullExpr) Type() arrow.DataType { return Boolean }

// String implements Expr.
func (e *isNullExpr) String() string {
	if e.negated {
		return "(" + e.e.String() + " IS NOT NULL)"
	}
	return "(" + e.e.String() + " IS NULL)"
}

// Eval implements Expr.
func (e *isNullExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	in, err := e.e.Eval(mem, batch)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	n := in.Len()
	if in.NullN() == 0 {
		return broadcast(mem, e.negated, Boolean, n), nil
	}
	if in.DataType().ID() == arrow.NULL {
		return broadcast(mem, !e.negated, Boolean, n), nil
	}
	out := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	bm, off := in.NullBitmapBytes(), in.Data().Offset()
	if e.negated {
		bitutil.CopyBitmap(bm, off, n, out.Bytes(), 0)
	} else {
		bitutil.InvertBitmap(bm, off, n, out.Bytes(), 0)
	}
	return finish(Boolean, n, nil, out), nil
}
