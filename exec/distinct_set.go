package exec

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// The multiset of COUNT(DISTINCT x), SUM(DISTINCT x) and AVG(DISTINCT x):
// each distinct value with the number of rows holding it, so that rows
// (UpdatingAgg) and whole panes (WindowAgg) can be taken back; a value
// counts while its count is positive. The sum of the distinct values is
// kept as they come and go (128 bits), so evaluating never walks the set.

// distinctKey is the Go type of a distinct value: BIGINT, TIMESTAMP,
// BOOLEAN and DOUBLE (its bits, -0 and NaNs made one) as int64, VARCHAR as
// string.
type distinctKey interface{ int64 | string }

// dset is one multiset.
type dset[T distinctKey] struct {
	m      map[T]int64
	hi     int64 // the sum of the distinct values, 128-bit: hi, lo
	lo     uint64
	strLen int64 // bytes of the string values
}

// dsetEntryBytes is the approximate cost of one entry of a Go map.
const dsetEntryBytes = 48

// add adds n (negative: takes back) rows of value v and returns the change
// in the number of entries (+1, -1 or 0).
func (s *dset[T]) add(v T, n int64, sum bool) int {
	if s.m == nil {
		s.m = map[T]int64{}
	}
	old := s.m[v]
	c := old + n
	switch {
	case old <= 0 && c > 0:
		if str, ok := any(v).(string); ok {
			v = any(strings.Clone(str)).(T)
			s.strLen += int64(len(str))
		}
		s.m[v] = c
		if sum {
			s.addSum(any(v), 1)
		}
		return 1
	case old > 0 && c <= 0:
		delete(s.m, v)
		if str, ok := any(v).(string); ok {
			s.strLen -= int64(len(str))
		}
		if sum {
			s.addSum(any(v), -1)
		}
		return -1
	}
	if c > 0 {
		s.m[v] = c
	}
	return 0
}

// addSum adds (sign 1) or subtracts (sign -1) the int64 v to the sum.
func (s *dset[T]) addSum(v any, sign int64) {
	x, _ := v.(int64)
	if sign < 0 {
		x = -x
		if x == math.MinInt64 {
			// -MinInt64 is 2^63, which int64 lacks: subtract two halves.
			s.addSum(int64(math.MinInt64/2), -1)
			s.addSum(int64(math.MinInt64/2), -1)
			return
		}
	}
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, uint64(x), 0)
	s.hi += x>>63 + int64(carry)
}

// sum128 returns the sum as a float64 and whether it fits an int64 (the
// value then being int64(lo)).
func (s *dset[T]) sum128() (float64, bool) {
	if fits := (s.hi == 0 && s.lo>>63 == 0) || (s.hi == -1 && s.lo>>63 == 1); fits {
		return float64(int64(s.lo)), true
	}
	return float64(s.hi)*0x1p64 + float64(s.lo), false
}

// distinctValueOf returns the distinct value of row i of an argument array
// for the key type T (the caller checked IsValid).
type distinctValueOf[T distinctKey] func(arr arrow.Array, i int) T

// newDistinctKeys returns how to read values of type t as T, or an error
// naming the type.
func newDistinctKeys[T distinctKey](t arrow.DataType) (distinctValueOf[T], error) {
	var f any
	switch t.ID() {
	case arrow.INT64:
		f = distinctValueOf[int64](func(a arrow.Array, i int) int64 { return a.(*array.Int64).Value(i) })
	case arrow.TIMESTAMP:
		f = distinctValueOf[int64](func(a arrow.Array, i int) int64 { return int64(a.(*array.Timestamp).Value(i)) })
	case arrow.BOOL:
		f = distinctValueOf[int64](func(a arrow.Array, i int) int64 {
			if a.(*array.Boolean).Value(i) {
				return 1
			}
			return 0
		})
	case arrow.FLOAT64:
		f = distinctValueOf[int64](func(a arrow.Array, i int) int64 { return distinctFloatKey(a.(*array.Float64).Value(i)) })
	case arrow.STRING:
		f = distinctValueOf[string](func(a arrow.Array, i int) string { return a.(*array.String).Value(i) })
	}
	k, ok := f.(distinctValueOf[T])
	if !ok {
		return nil, fmt.Errorf("DISTINCT of %s is not supported", vector.TypeName(t))
	}
	return k, nil
}

// distinctFloatKey is the bits of v with every NaN one value and -0 as 0,
// so that equal values are one key.
func distinctFloatKey(v float64) int64 {
	switch {
	case v != v:
		return int64(math.Float64bits(math.NaN()))
	case v == 0:
		return 0
	}
	return int64(math.Float64bits(v))
}

// dsetFields is the exported state of a multiset: its values and their
// counts, as two lists.
func dsetFields(valType arrow.DataType) []arrow.Field {
	return []arrow.Field{
		accumField("vals", arrow.ListOf(valType)),
		accumField("counts", arrow.ListOf(arrow.PrimitiveTypes.Int64)),
	}
}

// dsetValType is the Arrow type of the values of a T multiset.
func dsetValType[T distinctKey]() arrow.DataType {
	var zero T
	if _, ok := any(zero).(string); ok {
		return arrow.BinaryTypes.String
	}
	return arrow.PrimitiveTypes.Int64
}

// dsetState exports sets[idx[k]] (nil: empty) as the columns of dsetFields,
// values in ascending order so that a snapshot is deterministic.
func dsetState[T distinctKey](mem memory.Allocator, sets []*dset[T], idx []uint32) []arrow.Array {
	vb := array.NewListBuilder(mem, dsetValType[T]())
	defer vb.Release()
	cb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	defer cb.Release()
	cv := cb.ValueBuilder().(*array.Int64Builder)
	var keys []T
	for _, i := range idx {
		vb.Append(true)
		cb.Append(true)
		if int(i) >= len(sets) || sets[i] == nil {
			continue
		}
		s := sets[i]
		keys = keys[:0]
		for k := range s.m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		switch b := vb.ValueBuilder().(type) {
		case *array.Int64Builder:
			for _, k := range keys {
				b.Append(any(k).(int64))
			}
		case *array.StringBuilder:
			for _, k := range keys {
				b.Append(any(k).(string))
			}
		}
		for _, k := range keys {
			cv.Append(s.m[k])
		}
	}
	return []arrow.Array{vb.NewArray(), cb.NewArray()}
}

// dsetMerge folds exported multisets (dsetState's columns) into the sets
// at idx (skipping NoGroup), calling add for each value and count.
func dsetMerge[T distinctKey](state []arrow.Array, idx []uint32, add func(i uint32, v T, n int64)) error {
	if err := accumStateCheck(state, len(idx), 2); err != nil {
		return err
	}
	vl, ok1 := state[0].(*array.List)
	cl, ok2 := state[1].(*array.List)
	if !ok1 || !ok2 {
		return fmt.Errorf("DISTINCT state: columns are %s and %s, want lists", state[0].DataType(), state[1].DataType())
	}
	counts, ok := cl.ListValues().(*array.Int64)
	if !ok {
		return fmt.Errorf("DISTINCT state: counts are %s, want int64", cl.ListValues().DataType())
	}
	var get func(j int) T
	switch v := vl.ListValues().(type) {
	case *array.Int64:
		g, ok := any(func(j int) int64 { return v.Value(j) }).(func(int) T)
		if !ok {
			return fmt.Errorf("DISTINCT state: values are int64, want %s", dsetValType[T]())
		}
		get = g
	case *array.String:
		g, ok := any(func(j int) string { return v.Value(j) }).(func(int) T)
		if !ok {
			return fmt.Errorf("DISTINCT state: values are strings, want %s", dsetValType[T]())
		}
		get = g
	default:
		return fmt.Errorf("DISTINCT state: values are %s", v.DataType())
	}
	vo, co := vl.Offsets(), cl.Offsets()
	for k, i := range idx {
		lo, hi := int(vo[k]), int(vo[k+1])
		if int(co[k+1])-int(co[k]) != hi-lo {
			return fmt.Errorf("DISTINCT state: row %d has %d values but %d counts", k, hi-lo, co[k+1]-co[k])
		}
		if i == NoGroup {
			continue
		}
		for j := lo; j < hi; j++ {
			n := counts.Value(int(co[k]) + j - lo)
			if n <= 0 {
				return fmt.Errorf("DISTINCT state: count %d is not positive", n)
			}
			add(i, get(j), n)
		}
	}
	return nil
}

// distinctOut is the output type of a DISTINCT aggregate: COUNT and SUM
// BIGINT, AVG DOUBLE.
func distinctOut(f AggFunc) arrow.DataType {
	if f == Avg {
		return vector.Float64
	}
	return vector.Int64
}

// dsetValue appends the value of s (nil: empty) for f to the output: the
// number of distinct values, their sum or their average.
func dsetValue[T distinctKey](f AggFunc, s *dset[T], ints *accumOut[int64], floats *accumOut[float64]) {
	n := 0
	if s != nil {
		n = len(s.m)
	}
	switch {
	case f == Count || f == CountStar:
		ints.add(int64(n), true)
	case n == 0 && f == Avg:
		floats.addNull()
	case n == 0:
		ints.addNull()
	case f == Avg:
		sum, _ := s.sum128()
		floats.add(sum/float64(n), true)
	default: // SUM wraps, as SUM of BIGINT does
		ints.add(int64(s.lo), true)
	}
}

// checkDistinct checks that spec is a DISTINCT aggregate this package
// keeps: COUNT of any comparable type, SUM and AVG of BIGINT.
func checkDistinct(spec AggSpec, argType arrow.DataType) error {
	if argType == nil {
		return fmt.Errorf("%s(DISTINCT ...) needs an argument column", spec.Func)
	}
	switch spec.Func {
	case Count:
	case Sum, Avg:
		if argType.ID() != arrow.INT64 {
			return fmt.Errorf("%s(DISTINCT ...) of %s is not supported (only of BIGINT); use COUNT(DISTINCT ...) or cast the argument to BIGINT", spec.Func, vector.TypeName(argType))
		}
	default:
		return fmt.Errorf("%s(DISTINCT ...) is not supported", spec.Func)
	}
	return nil
}
