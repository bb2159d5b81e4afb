package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/vector"
)

// aggFilterMask returns ids (cells or groups) with the entry of every row
// whose FILTER (WHERE ...) value is not true (false or NULL) replaced by
// NoGroup (== winNoCell), so that the aggregate skips it; dst is reused.
// A NULL-typed filter skips every row.
func aggFilterMask(dst, ids []uint32, filter arrow.Array) []uint32 {
	dst = append(dst[:0], ids...)
	b, ok := filter.(*array.Boolean)
	if !ok || b.Data().Buffers()[1] == nil {
		for i := range dst {
			if !ok || b.IsNull(i) || !b.Value(i) {
				dst[i] = NoGroup
			}
		}
		return dst
	}
	bits, off, nulls := b.Data().Buffers()[1].Bytes(), b.Data().Offset(), b.NullN() > 0
	for i := range dst {
		if j := off + i; bits[j>>3]&(1<<(j&7)) == 0 || (nulls && b.IsNull(i)) {
			dst[i] = NoGroup
		}
	}
	return dst
}

// aggFilterTrue reports whether row i passes the filter column of spec
// (always, when spec has none).
func aggFilterTrue(spec AggSpec, b arrow.RecordBatch, i int) bool {
	if !spec.HasFilter {
		return true
	}
	f, ok := b.Column(spec.Filter).(*array.Boolean)
	return ok && f.IsValid(i) && f.Value(i)
}

// aggCheckFilter checks the filter column of spec against the input
// schema: it must exist and be BOOLEAN (or NULL).
func aggCheckFilter(spec AggSpec, in *arrow.Schema, opCol int) error {
	if !spec.HasFilter {
		return nil
	}
	if spec.Filter < 0 || spec.Filter >= in.NumFields() || spec.Filter == opCol {
		return fmt.Errorf("%s(%s): FILTER column %d out of range", spec.Func, spec.Name, spec.Filter)
	}
	if id := in.Field(spec.Filter).Type.ID(); id != arrow.BOOL && id != arrow.NULL {
		return fmt.Errorf("%s: FILTER (WHERE ...) condition is %s, not BOOLEAN", spec.Name, vector.TypeName(in.Field(spec.Filter).Type))
	}
	return nil
}
