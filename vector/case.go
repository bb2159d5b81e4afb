package vector

import (
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// caseExpr is a searched CASE: the first WHEN that is TRUE picks its THEN;
// none picks ELSE (NULL when absent). Simple CASE is rewritten into it.
type caseExpr struct {
	conds []Expr // BOOLEAN
	thens []Expr // all of type typ
	els   Expr   // nil: NULL
	typ   arrow.DataType
	// for String: the CASE as written (nil once simplified)
	operand Expr
	whens   []Expr
}

var _ Expr = (*caseExpr)(nil)

// Case returns CASE [operand] WHEN ... THEN ... [ELSE els] END. With an
// operand (simple CASE) each WHEN value is compared with it by =; without
// one (searched CASE) each WHEN is a BOOLEAN condition. The first WHEN that
// is TRUE wins; a NULL condition is not a match. The result type is the
// common type of the THENs and ELSE (see CommonType; a VARCHAR literal next
// to another type is converted to it); els nil means ELSE NULL.
func Case(operand Expr, whens, thens []Expr, els Expr) (Expr, error) {
	if len(whens) == 0 || len(whens) != len(thens) {
		return nil, fmt.Errorf("CASE needs as many THENs as WHENs, and at least one (got %d WHEN, %d THEN)", len(whens), len(thens))
	}
	x := &caseExpr{operand: operand, whens: whens}
	for _, w := range whens {
		var c Expr
		var err error
		if operand != nil {
			c, err = Binary(Eq, operand, w)
		} else {
			c, err = toBoolean("CASE WHEN", w)
		}
		if err != nil {
			return nil, err
		}
		x.conds = append(x.conds, c)
	}
	vals := append([]Expr{}, thens...)
	if els != nil {
		vals = append(vals, els)
	}
	us, typ, ok, err := unify(vals)
	if err != nil {
		return nil, err
	}
	if !ok {
		types := make([]string, len(vals))
		for i, v := range vals {
			types[i] = TypeName(v.Type())
		}
		return nil, fmt.Errorf("CASE branches have incompatible types %s", strings.Join(types, ", "))
	}
	x.typ = typ
	x.thens = us[:len(thens)]
	if els != nil {
		x.els = us[len(thens)]
	}
	// Drop conditions that can never hold; a leading TRUE decides.
	var conds, outs []Expr
	for i, c := range x.conds {
		v, isLit := IsLiteral(c)
		if isLit && v != true {
			continue
		}
		if isLit && len(conds) == 0 {
			return x.thens[i], nil
		}
		conds = append(conds, c)
		outs = append(outs, x.thens[i])
	}
	if len(conds) == 0 {
		if x.els == nil {
			return &literal{typ: typ}, nil
		}
		return x.els, nil
	}
	if len(conds) != len(x.conds) {
		x.operand, x.whens = nil, nil // render what runs
	}
	x.conds, x.thens = conds, outs
	inputs := append(append([]Expr{}, conds...), outs...)
	inputs = append(inputs, x.els)
	return fold(x, inputs...), nil
}

// Type implements Expr.
func (x *caseExpr) Type() arrow.DataType { return x.typ }

// String implements Expr.
func (x *caseExpr) String() string {
	var sb strings.Builder
	sb.WriteString("CASE")
	whens := x.conds
	if x.whens != nil {
		whens = x.whens
		if x.operand != nil {
			sb.WriteString(" " + x.operand.String())
		}
	}
	for i, w := range whens {
		sb.WriteString(" WHEN " + w.String() + " THEN " + x.thens[i].String())
	}
	if x.els != nil {
		sb.WriteString(" ELSE " + x.els.String())
	}
	sb.WriteString(" END")
	return sb.String()
}

// Eval implements Expr.
func (x *caseExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	n := int(batch.NumRows())
	choiceBuf := newBuffer(mem, 4*n)
	defer choiceBuf.Release()
	choice := arrow.Int32Traits.CastFromBytes(choiceBuf.Bytes())
	for i := range choice {
		choice[i] = -1
	}
	undecided := n
	for k, c := range x.conds {
		if undecided == 0 {
			break
		}
		op, err := evalOperand(mem, c, batch)
		if err != nil {
			return nil, err
		}
		undecided = decide(choice, int32(k), op, undecided, true)
		op.release()
	}
	branches := make([]operand, len(x.thens)+1)
	if undecided > 0 && x.els != nil {
		for i, c := range choice {
			if c < 0 {
				choice[i] = int32(len(x.thens))
			}
		}
	}
	used := make([]bool, len(branches))
	for _, c := range choice {
		if c >= 0 {
			used[c] = true
		}
	}
	defer releaseOperands(branches)
	for k := range branches {
		if !used[k] {
			continue
		}
		e := x.els
		if k < len(x.thens) {
			e = x.thens[k]
		}
		op, err := evalOperand(mem, e, batch)
		if err != nil {
			return nil, err
		}
		branches[k] = op
	}
	return mergeChoice(mem, x.typ, n, branches, choice), nil
}

// decide assigns branch k to every undecided row (choice < 0) where op is
// TRUE (cond) or non-NULL (!cond), returning how many rows stay undecided.
func decide(choice []int32, k int32, op operand, undecided int, cond bool) int {
	if op.isConst() {
		if op.val == nil || (cond && op.val != true) {
			return undecided
		}
		for i, c := range choice {
			if c < 0 {
				choice[i] = k
			}
		}
		return 0
	}
	vbm, voff := validity(op.arr)
	var bits []byte
	var off int
	if cond {
		bits, off = boolBits(op.arr)
	}
	for i, c := range choice {
		if c >= 0 {
			continue
		}
		if vbm != nil && bitutil.BitIsNotSet(vbm, voff+i) {
			continue
		}
		if cond && bitutil.BitIsNotSet(bits, off+i) {
			continue
		}
		choice[i] = k
		undecided--
	}
	return undecided
}

// branchView is one input of mergeChoice, ready for row access.
type branchView struct {
	isConst, null bool
	valid         []byte // nil: no nulls
	voff          int
	u64           []uint64
	cu            uint64
	bits          []byte
	boff          int
	cb            bool
	sv            strVals
	cs            string
}

// newBranchView prepares an operand of type typ.
func newBranchView(o operand, typ arrow.DataType) branchView {
	var b branchView
	if o.isConst() {
		b.isConst, b.null = true, o.val == nil
		switch v := o.val.(type) {
		case int64:
			b.cu = uint64(v)
		case float64:
			b.cu = math.Float64bits(v)
		case bool:
			b.cb = v
		case string:
			b.cs = v
		}
		return b
	}
	b.valid, b.voff = validity(o.arr)
	switch typ.ID() {
	case arrow.INT64, arrow.TIMESTAMP, arrow.FLOAT64:
		d := o.arr.Data()
		if buf := d.Buffers()[1]; buf != nil {
			b.u64 = arrow.Uint64Traits.CastFromBytes(buf.Bytes())[d.Offset() : d.Offset()+d.Len()]
		}
	case arrow.BOOL:
		b.bits, b.boff = boolBits(o.arr)
	case arrow.STRING:
		b.sv = stringValues(o.arr)
	}
	return b
}

// isValid reports whether row i of the branch is non-NULL.
func (b *branchView) isValid(i int) bool {
	if b.isConst {
		return !b.null
	}
	return b.valid == nil || bitutil.BitIsSet(b.valid, b.voff+i)
}

// mergeChoice builds the output whose row i is row i of
// branches[choice[i]] (NULL when choice[i] < 0).
func mergeChoice(mem memory.Allocator, typ arrow.DataType, n int, branches []operand, choice []int32) arrow.Array {
	if typ.ID() == arrow.NULL {
		return array.NewNull(n)
	}
	views := make([]branchView, len(branches))
	for k, o := range branches {
		if o.arr != nil || o.val != nil {
			views[k] = newBranchView(o, typ)
		} else {
			views[k] = branchView{isConst: true, null: true}
		}
	}
	valid := newBitmap(mem, n)
	vb := valid.Bytes()
	switch typ.ID() {
	case arrow.INT64, arrow.TIMESTAMP, arrow.FLOAT64:
		buf := newBuffer(mem, 8*n)
		out := arrow.Uint64Traits.CastFromBytes(buf.Bytes())
		for i, c := range choice {
			out[i] = 0
			if c < 0 {
				continue
			}
			b := &views[c]
			if !b.isValid(i) {
				continue
			}
			bitutil.SetBit(vb, i)
			if b.isConst {
				out[i] = b.cu
			} else {
				out[i] = b.u64[i]
			}
		}
		return finish(typ, n, valid, buf)
	case arrow.BOOL:
		buf := newBitmap(mem, n)
		out := buf.Bytes()
		for i, c := range choice {
			if c < 0 {
				continue
			}
			b := &views[c]
			if !b.isValid(i) {
				continue
			}
			bitutil.SetBit(vb, i)
			if (b.isConst && b.cb) || (!b.isConst && bitutil.BitIsSet(b.bits, b.boff+i)) {
				bitutil.SetBit(out, i)
			}
		}
		return finish(typ, n, valid, buf)
	default: // STRING
		out := newStrOut(mem, n, 0)
		for i, c := range choice {
			if c >= 0 {
				b := &views[c]
				if b.isValid(i) {
					bitutil.SetBit(vb, i)
					if b.isConst {
						out.appendString(b.cs)
					} else {
						out.appendString(b.sv.at(i))
					}
				}
			}
			out.end(i)
		}
		return out.finish(valid, n)
	}
}

// coalesceExpr is COALESCE(args...): the first non-NULL argument.
type coalesceExpr struct {
	name string
	args []Expr
	typ  arrow.DataType
}

var _ Expr = (*coalesceExpr)(nil)

// newCoalesce builds COALESCE (or IFNULL, named name) over args.
func newCoalesce(name string, args []Expr) (Expr, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("%s expects at least 1 argument", strings.ToUpper(name))
	}
	us, typ, ok, err := unify(args)
	if err != nil {
		return nil, err
	}
	if !ok {
		types := make([]string, len(args))
		for i, a := range args {
			types[i] = TypeName(a.Type())
		}
		return nil, fmt.Errorf("%s arguments have incompatible types %s", strings.ToUpper(name), strings.Join(types, ", "))
	}
	var kept []Expr
	for _, a := range us {
		v, isLit := IsLiteral(a)
		if isLit && v == nil {
			continue
		}
		kept = append(kept, a)
		if isLit {
			break // a non-NULL constant ends the search
		}
	}
	switch len(kept) {
	case 0:
		return &literal{typ: typ}, nil
	case 1:
		return kept[0], nil
	}
	return &coalesceExpr{name: name, args: kept, typ: typ}, nil
}

// Type implements Expr.
func (x *coalesceExpr) Type() arrow.DataType { return x.typ }

// String implements Expr.
func (x *coalesceExpr) String() string { return funcString(x.name, x.args) }

// Eval implements Expr.
func (x *coalesceExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	n := int(batch.NumRows())
	choiceBuf := newBuffer(mem, 4*n)
	defer choiceBuf.Release()
	choice := arrow.Int32Traits.CastFromBytes(choiceBuf.Bytes())
	for i := range choice {
		choice[i] = -1
	}
	ops := make([]operand, len(x.args))
	defer releaseOperands(ops)
	undecided := n
	for k, a := range x.args {
		if undecided == 0 {
			break
		}
		op, err := evalOperand(mem, a, batch)
		if err != nil {
			return nil, err
		}
		ops[k] = op
		undecided = decide(choice, int32(k), op, undecided, false)
	}
	return mergeChoice(mem, x.typ, n, ops, choice), nil
}

// funcString renders name(args...).
func funcString(name string, args []Expr) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return strings.ToLower(name) + "(" + strings.Join(parts, ", ") + ")"
}
