package exec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The state of an accumulator as Arrow arrays: each accumulator names its
// own columns (accumulator.cellFields, groupFields), builds them from its
// slices and folds them back, so that checkpoints and partial aggregates
// never look inside it. The helpers below build and check those columns.

// accumField is a non-nullable state column.
func accumField(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: t}
}

// accumFixed is an array of type typ (of T's width, without NULLs) of
// src[idx[k]], or of src itself if idx is nil, allocated from mem.
func accumFixed[T int64 | uint64 | uint32 | float64](mem memory.Allocator, typ arrow.DataType, src []T, idx []uint32) arrow.Array {
	n := len(src)
	if idx != nil {
		n = len(idx)
	}
	var zero T
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n * int(unsafe.Sizeof(zero)))
	if n > 0 {
		dst := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
		if idx == nil {
			copy(dst, src)
		} else {
			for k, i := range idx {
				dst[k] = src[i]
			}
		}
	}
	data := array.NewData(typ, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
	buf.Release()
	defer data.Release()
	return array.MakeFromData(data)
}

// accumBools is a Boolean array of src[idx[k]].
func accumBools(mem memory.Allocator, src []bool, idx []uint32) arrow.Array {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	b.Reserve(len(idx))
	for _, i := range idx {
		b.UnsafeAppend(src[i])
	}
	return b.NewArray()
}

// accumStrings is a String array of src[idx[k]].
func accumStrings(mem memory.Allocator, src []string, idx []uint32) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	n := 0
	for _, i := range idx {
		n += len(src[i])
	}
	b.Reserve(len(idx))
	b.ReserveData(n)
	for _, i := range idx {
		b.Append(src[i])
	}
	return b.NewArray()
}

// accumNFFields is the columns of non-finite counters named name.
func accumNFFields(name string) []arrow.Field {
	return []arrow.Field{
		accumField(name+".pos", arrow.PrimitiveTypes.Int64),
		accumField(name+".neg", arrow.PrimitiveTypes.Int64),
		accumField(name+".nan", arrow.PrimitiveTypes.Int64),
	}
}

// accumNFState is the columns of accumNFFields of nf[idx[k]].
func accumNFState(mem memory.Allocator, nf []accumNonFinite, idx []uint32) []arrow.Array {
	pos, neg, nan := make([]int64, len(idx)), make([]int64, len(idx)), make([]int64, len(idx))
	for k, i := range idx {
		pos[k], neg[k], nan[k] = nf[i].pos, nf[i].neg, nf[i].nan
	}
	t := arrow.PrimitiveTypes.Int64
	return []arrow.Array{accumFixed(mem, t, pos, nil), accumFixed(mem, t, neg, nil), accumFixed(mem, t, nan, nil)}
}

// accumStateCheck checks that state has one of the column counts cols,
// each column of n rows without NULLs.
func accumStateCheck(state []arrow.Array, n int, cols ...int) error {
	if !slices.Contains(cols, len(state)) {
		want := make([]string, len(cols))
		for i, c := range cols {
			want[i] = strconv.Itoa(c)
		}
		return fmt.Errorf("state of %d columns, want %s", len(state), strings.Join(want, " or "))
	}
	for i, c := range state {
		if c.Len() != n {
			return fmt.Errorf("state column %d has %d rows, want %d", i, c.Len(), n)
		}
		if c.NullN() != 0 {
			return fmt.Errorf("state column %d has NULLs", i)
		}
	}
	return nil
}

// accumCol returns the values of state column k, which must be of T's
// Arrow type (Int64, Uint64 or Float64).
func accumCol[T int64 | uint64 | float64](state []arrow.Array, k int) ([]T, error) {
	var vals any
	switch c := state[k].(type) {
	case *array.Int64:
		vals = c.Int64Values()
	case *array.Uint64:
		vals = c.Uint64Values()
	case *array.Float64:
		vals = c.Float64Values()
	}
	v, ok := vals.([]T)
	if !ok {
		var zero T
		return nil, fmt.Errorf("state column %d is %s, want %T", k, state[k].DataType(), zero)
	}
	return v, nil
}

// accumCols returns the values of state columns from, from+1, ... as
// accumCol does, into the slices dst point to.
func accumCols[T int64 | uint64 | float64](state []arrow.Array, from int, dst ...*[]T) error {
	for i, d := range dst {
		v, err := accumCol[T](state, from+i)
		if err != nil {
			return err
		}
		*d = v
	}
	return nil
}

// accumNFCols reads the columns of accumNFFields at state[from:].
func accumNFCols(state []arrow.Array, from int) (pos, neg, nan []int64, err error) {
	err = accumCols(state, from, &pos, &neg, &nan)
	return pos, neg, nan, err
}

// accumStringCol returns state column k as strings.
func accumStringCol(state []arrow.Array, k int) (*array.String, error) {
	s, ok := state[k].(*array.String)
	if !ok {
		return nil, fmt.Errorf("state column %d is %s, want string", k, state[k].DataType())
	}
	return s, nil
}

// accumBoolCol returns state column k as Booleans.
func accumBoolCol(state []arrow.Array, k int) (*array.Boolean, error) {
	b, ok := state[k].(*array.Boolean)
	if !ok {
		return nil, fmt.Errorf("state column %d is %s, want bool", k, state[k].DataType())
	}
	return b, nil
}

// accumNoGroupState is embedded by the accumulators whose running values
// merging the panes again rebuilds exactly: they have no group state.
type accumNoGroupState struct{}

func (accumNoGroupState) groupFields() []arrow.Field                          { return nil }
func (accumNoGroupState) groupState(memory.Allocator, []uint32) []arrow.Array { return nil }
func (accumNoGroupState) prepareState(func(string) bool)                      {}

func (accumNoGroupState) setGroups(gids []uint32, state []arrow.Array) error {
	return accumStateCheck(state, len(gids), 0)
}
