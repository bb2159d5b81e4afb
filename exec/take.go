package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// takeBatch builds a batch of b's rows at the given indices, in order;
// indices may repeat. b is borrowed.
func takeBatch(mem memory.Allocator, b arrow.RecordBatch, idx []int32) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, b.NumCols())
	for i := range cols {
		c, err := takeArray(mem, b.Column(i), idx)
		if err != nil {
			releaseAll(cols[:i])
			return nil, err
		}
		cols[i] = c
	}
	out := array.NewRecordBatch(b.Schema(), cols, int64(len(idx)))
	releaseAll(cols)
	return out, nil
}

// takeArray gathers a's values at idx into a new array.
func takeArray(mem memory.Allocator, a arrow.Array, idx []int32) (arrow.Array, error) {
	switch a := a.(type) {
	case *array.Int64:
		return takeFixed(array.NewInt64Builder(mem), a, a.Int64Values(), idx), nil
	case *array.Float64:
		return takeFixed(array.NewFloat64Builder(mem), a, a.Float64Values(), idx), nil
	case *array.Int8: // a changelog's op column
		return takeFixed(array.NewInt8Builder(mem), a, a.Int8Values(), idx), nil
	case *array.Timestamp:
		b := array.NewTimestampBuilder(mem, a.DataType().(*arrow.TimestampType))
		return takeFixed(b, a, a.TimestampValues(), idx), nil
	case *array.Boolean:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.Reserve(len(idx))
		for _, j := range idx {
			if a.IsNull(int(j)) {
				b.AppendNull()
			} else {
				b.UnsafeAppend(a.Value(int(j)))
			}
		}
		return b.NewArray(), nil
	case *array.String:
		b := array.NewStringBuilder(mem)
		defer b.Release()
		total := 0
		for _, j := range idx {
			total += a.ValueLen(int(j))
		}
		b.Reserve(len(idx))
		b.ReserveData(total)
		nulls := a.NullN() > 0
		for _, j := range idx {
			if nulls && a.IsNull(int(j)) {
				b.AppendNull()
			} else {
				b.Append(a.Value(int(j)))
			}
		}
		return b.NewArray(), nil
	case *array.Null:
		return array.NewNull(len(idx)), nil
	case *array.Struct: // a partial AVG's states (avgState), never NULL
		if a.NullN() > 0 {
			break
		}
		st := a.DataType().(*arrow.StructType)
		fields := make([]arrow.Array, a.NumField())
		defer func() { releaseAll(fields) }()
		for i := range fields {
			c, err := takeArray(mem, a.Field(i), idx) // the fields are sliced as a is
			if err != nil {
				return nil, err
			}
			fields[i] = c
		}
		return array.NewStructArrayWithFields(fields, st.Fields())
	}
	return nil, fmt.Errorf("take: unsupported column type %s", a.DataType())
}

type fixedBuilder[T any] interface {
	array.Builder
	AppendValues([]T, []bool)
	UnsafeAppend(T)
}

func takeFixed[T any](b fixedBuilder[T], a arrow.Array, vals []T, idx []int32) arrow.Array {
	defer b.Release()
	b.Reserve(len(idx))
	if a.NullN() == 0 {
		for _, j := range idx {
			b.UnsafeAppend(vals[j])
		}
	} else {
		for _, j := range idx {
			if a.IsNull(int(j)) {
				b.UnsafeAppendBoolToBitmap(false)
			} else {
				b.UnsafeAppend(vals[j])
			}
		}
	}
	return b.NewArray()
}

func releaseAll(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}
