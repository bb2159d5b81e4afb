package vector

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// inExpr is e [NOT] IN (constants), looked up in a set.
type inExpr struct {
	e       Expr
	list    []Expr
	negated bool
	hasNull bool // the list holds a NULL
	ints    *valueSet[int64]
	floats  *valueSet[float64]
	strs    *valueSet[string]
	bools   [2]bool // which of FALSE, TRUE the list holds
}

var _ Expr = (*inExpr)(nil)

// valueSet is a set of constants: a slice when small, a map when large.
type valueSet[T comparable] struct {
	small []T
	m     map[T]struct{}
}

// smallSet is the list length up to which a linear scan beats a map.
const smallSet = 8

// newValueSet builds a set.
func newValueSet[T comparable](vs []T) *valueSet[T] {
	s := &valueSet[T]{}
	if len(vs) <= smallSet {
		s.small = vs
		return s
	}
	s.m = make(map[T]struct{}, len(vs))
	for _, v := range vs {
		s.m[v] = struct{}{}
	}
	return s
}

// has reports whether v is in the set.
func (s *valueSet[T]) has(v T) bool {
	if s.m != nil {
		_, ok := s.m[v]
		return ok
	}
	for _, x := range s.small {
		if x == v {
			return true
		}
	}
	return false
}

// In returns e IN (list...), or e NOT IN (list...) when negated, with SQL
// semantics: TRUE when e equals an element; otherwise NULL when e is NULL
// or the list holds a NULL; otherwise FALSE (NOT IN negates TRUE and
// FALSE and keeps NULL). The elements and e are converted to a common type
// (see Binary's comparisons). A list of constants is looked up in a hash
// set; other lists are expanded into ORs of equalities.
func In(e Expr, list []Expr, negated bool) (Expr, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("IN needs at least one value")
	}
	if isNullType(e.Type()) {
		return &literal{typ: Boolean}, nil
	}
	all := append([]Expr{e}, list...)
	us, typ, ok, err := unify(all)
	if err != nil {
		return nil, err
	}
	if !ok {
		types := make([]string, len(all))
		for i, x := range all {
			types[i] = TypeName(x.Type())
		}
		return nil, fmt.Errorf("cannot apply IN to %s", strings.Join(types, ", "))
	}
	e, list = us[0], us[1:]
	if !allLiterals(list...) || typ.ID() == arrow.NULL {
		// General case: e = l1 OR e = l2 OR ...
		var out Expr
		for _, item := range list {
			eq, err := Binary(Eq, e, item)
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = eq
			} else if out, err = Binary(Or, out, eq); err != nil {
				return nil, err
			}
		}
		if negated {
			return Not(out)
		}
		return out, nil
	}
	x := &inExpr{e: e, list: list, negated: negated}
	var ints []int64
	var floats []float64
	var strs []string
	for _, item := range list {
		v, _ := IsLiteral(item)
		switch v := v.(type) {
		case nil:
			x.hasNull = true
		case int64:
			ints = append(ints, v)
		case float64:
			floats = append(floats, v)
		case string:
			strs = append(strs, v)
		case bool:
			x.bools[b2u(v)] = true
		}
	}
	switch typ.ID() {
	case arrow.INT64, arrow.TIMESTAMP:
		x.ints = newValueSet(ints)
	case arrow.FLOAT64:
		x.floats = newValueSet(floats)
	case arrow.STRING:
		x.strs = newValueSet(strs)
	}
	return fold(x, e), nil
}

// Type implements Expr.
func (e *inExpr) Type() arrow.DataType { return Boolean }

// String implements Expr.
func (e *inExpr) String() string {
	var sb strings.Builder
	sb.WriteString("(" + e.e.String())
	if e.negated {
		sb.WriteString(" NOT")
	}
	sb.WriteString(" IN (")
	for i, item := range e.list {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(item.String())
	}
	sb.WriteString("))")
	return sb.String()
}

// Eval implements Expr.
func (e *inExpr) Eval(mem memory.Allocator, batch arrow.RecordBatch) (arrow.Array, error) {
	in, err := e.e.Eval(mem, batch)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	n := in.Len()
	out := newBitmap(mem, n)
	found := out.Bytes()
	switch in.DataType().ID() {
	case arrow.INT64, arrow.TIMESTAMP:
		for i, v := range int64Values(in) {
			if e.ints.has(v) {
				found[i>>3] |= 1 << (i & 7)
			}
		}
	case arrow.FLOAT64:
		for i, v := range float64Values(in) {
			if e.floats.has(v) {
				found[i>>3] |= 1 << (i & 7)
			}
		}
	case arrow.STRING:
		sv := stringValues(in)
		for i := 0; i < n; i++ {
			if e.strs.has(sv.at(i)) {
				found[i>>3] |= 1 << (i & 7)
			}
		}
	case arrow.BOOL:
		bits, off := boolBits(in)
		for i := 0; i < n; i++ {
			if e.bools[b2u(bitutil.BitIsSet(bits, off+i))] {
				found[i>>3] |= 1 << (i & 7)
			}
		}
	}
	valid := combineValidity(mem, n, in)
	if e.hasNull {
		// Not found and the list holds NULL: NULL.
		if valid == nil {
			valid = newBuffer(mem, len(found))
			copy(valid.Bytes(), found)
		} else {
			vb := valid.Bytes()
			for i := range vb {
				vb[i] &= found[i]
			}
		}
	}
	if e.negated {
		for i := range found {
			found[i] = ^found[i]
		}
	}
	return finish(Boolean, n, valid, out), nil
}
