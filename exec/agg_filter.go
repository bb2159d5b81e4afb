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
	f, ok := readFilter(filter)
	for i := range dst {
		if !ok || !f.keeps(i) {
			dst[i] = NoGroup
		}
	}
	return dst
}

// filterBits reads a FILTER (WHERE ...) column's values straight from its
// bits.
type filterBits struct {
	b     *array.Boolean
	bits  []byte
	off   int
	nulls bool
}

// readFilter returns the reader of filter; false when it is not a BOOLEAN
// column with values (a NULL-typed or all-NULL one keeps no row).
func readFilter(filter arrow.Array) (filterBits, bool) {
	b, ok := filter.(*array.Boolean)
	if !ok || b.Data().Buffers()[1] == nil {
		return filterBits{}, false
	}
	return filterBits{b: b, bits: b.Data().Buffers()[1].Bytes(), off: b.Data().Offset(), nulls: b.NullN() > 0}, true
}

// keeps reports whether row i's filter value is TRUE.
func (f filterBits) keeps(i int) bool {
	j := f.off + i
	return f.bits[j>>3]&(1<<(j&7)) != 0 && !(f.nulls && f.b.IsNull(i))
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
