package exec

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// The inner join of two append-only inputs without a residual condition
// (the common case: Nexmark's q3, q4, q9, q20) runs on Arrow columns:
// keys are encoded from the key columns, each row is packed from its
// columns into the state, and the output gathers this side's columns by
// row index and decodes the other side's matched rows column by column.
// Nothing is boxed per value, and the result is the one ProcessFrom's
// general path gives, row for row.

// processAppend is ProcessFrom for an inner join of append-only inputs
// without a residual condition. b is borrowed.
func (j *HashJoin) processAppend(port int, b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	this, other := j.sides[port], j.sides[1-port]
	n := int(b.NumRows())
	cols := make([]arrow.Array, len(this.fields))
	for c := range cols {
		cols[c] = b.Column(c)
	}
	keyCols := make([]arrow.Array, len(this.keys))
	for i, k := range this.keys {
		keyCols[i] = cols[k]
	}
	x := j.cfg.Expire[port]
	now := j.clock.Now().UnixNano()
	var thisIdx, otherIDs []int32
	var kbuf, pbuf []byte
	var err error
	for i := 0; i < n; i++ {
		var exp int64
		hasExp := false
		if x.Set && cols[x.Col].IsValid(i) {
			if exp, hasExp = timeValue(cols[x.Col], i); hasExp && j.wm != MinWatermark && exp+x.Offset < j.wm {
				j.late++ // see dropLate
				continue
			}
		}
		var ok bool
		if kbuf, ok = colsKey(kbuf[:0], keyCols, i); !ok {
			continue // a NULL key matches nothing and is not kept
		}
		var matches int32
		if ob := other.buckets[string(kbuf)]; ob != nil {
			for id := ob.head; id >= 0; {
				e := other.store.at(id)
				e.matches++
				matches++
				thisIdx = append(thisIdx, int32(i))
				otherIDs = append(otherIDs, id)
				id = e.next
			}
		}
		if pbuf, err = packCols(pbuf[:0], cols, i); err != nil {
			return nil, err
		}
		p := unsafe.String(unsafe.SliceData(pbuf), len(pbuf)) // copied by put
		var id int32
		if mine := this.buckets[string(kbuf)]; mine != nil {
			id = this.addTo(mine, p)
		} else {
			id = this.add(string(kbuf), p)
		}
		j.seq++
		j.register(port, id, matches, now, j.seq, exp, hasExp)
	}
	if len(thisIdx) == 0 {
		return nil, nil
	}
	out := make([]arrow.Array, 0, j.schema.NumFields())
	thisCols := func() error {
		for _, c := range cols {
			a, err := takeArray(j.mem, c, thisIdx)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	}
	otherCols := func() error {
		as, err := other.store.columns(j, other.fields, otherIDs)
		out = append(out, as...)
		return err
	}
	first, second := thisCols, otherCols
	if port == 1 {
		first, second = otherCols, thisCols
	}
	if err := first(); err != nil {
		releaseAll(out)
		return nil, err
	}
	if err := second(); err != nil {
		releaseAll(out)
		return nil, err
	}
	res := array.NewRecordBatch(j.schema, out, int64(len(thisIdx)))
	releaseAll(out)
	return []arrow.RecordBatch{res}, nil
}

// timeValue reads row i of a BIGINT or TIMESTAMP column.
func timeValue(a arrow.Array, i int) (int64, bool) {
	switch a := a.(type) {
	case *array.Timestamp:
		return int64(a.Value(i)), true
	case *array.Int64:
		return a.Value(i), true
	}
	return 0, false
}

// colsKey appends the encoding of row i of key columns cols to buf, as
// joinKey encodes the same values; ok is false when one of them is NULL:
// a NULL key equals nothing.
func colsKey(buf []byte, cols []arrow.Array, i int) (_ []byte, ok bool) {
	for _, c := range cols {
		if c.IsNull(i) {
			return buf, false
		}
		switch a := c.(type) {
		case *array.Int64:
			buf = binary.LittleEndian.AppendUint64(append(buf, 'i'), uint64(a.Value(i)))
		case *array.Timestamp:
			buf = binary.LittleEndian.AppendUint64(append(buf, 'i'), uint64(a.Value(i)))
		case *array.Int8:
			buf = binary.LittleEndian.AppendUint64(append(buf, 'i'), uint64(a.Value(i)))
		case *array.Float64:
			v := a.Value(i)
			if v == 0 {
				v = 0 // -0 equals 0
			}
			buf = binary.LittleEndian.AppendUint64(append(buf, 'f'), math.Float64bits(v))
		case *array.String:
			v := a.Value(i)
			buf = binary.LittleEndian.AppendUint32(append(buf, 's'), uint32(len(v)))
			buf = append(buf, v...)
		case *array.Boolean:
			if a.Value(i) {
				buf = append(buf, 'T')
			} else {
				buf = append(buf, 'F')
			}
		default:
			return buf, false
		}
	}
	return buf, true
}

// packCols appends row i of cols to buf, packed as packRow packs the
// same values.
func packCols(buf []byte, cols []arrow.Array, i int) ([]byte, error) {
	for _, c := range cols {
		if c.IsNull(i) {
			buf = append(buf, 'n')
			continue
		}
		switch a := c.(type) {
		case *array.Int64:
			buf = binary.LittleEndian.AppendUint64(append(buf, 'i'), uint64(a.Value(i)))
		case *array.Timestamp:
			buf = binary.LittleEndian.AppendUint64(append(buf, 'i'), uint64(a.Value(i)))
		case *array.Int8:
			buf = binary.LittleEndian.AppendUint64(append(buf, 'i'), uint64(int64(a.Value(i))))
		case *array.Float64:
			buf = binary.LittleEndian.AppendUint64(append(buf, 'f'), math.Float64bits(a.Value(i)))
		case *array.String:
			v := a.Value(i)
			buf = binary.AppendUvarint(append(buf, 's'), uint64(len(v)))
			buf = append(buf, v...)
		case *array.Boolean:
			if a.Value(i) {
				buf = append(buf, 'T')
			} else {
				buf = append(buf, 'F')
			}
		case *array.Null:
			buf = append(buf, 'n')
		default:
			return buf, fmt.Errorf("join: unsupported column type %s", c.DataType())
		}
	}
	return buf, nil
}

// columns decodes the rows of entries ids into one array per field.
func (s *joinStore) columns(j *HashJoin, fields []arrow.Field, ids []int32) ([]arrow.Array, error) {
	w := len(fields)
	// offs holds, per row, where each of its values starts, and its end.
	offs := make([]int32, len(ids)*(w+1))
	rows := make([]string, len(ids))
	for k, id := range ids {
		p := s.packed(s.at(id))
		rows[k] = p
		o := offs[k*(w+1) : (k+1)*(w+1)]
		at := 0
		for c := range w {
			o[c] = int32(at)
			at += packedLen(p[at:])
		}
		o[w] = int32(at)
	}
	value := func(k, c int) string {
		o := offs[k*(w+1):]
		return rows[k][o[c]:o[c+1]]
	}
	cols := make([]arrow.Array, 0, w)
	for c, f := range fields {
		b := array.NewBuilder(j.mem, f.Type)
		b.Reserve(len(ids))
		if sb, ok := b.(*array.StringBuilder); ok {
			total := 0
			for k := range ids {
				total += len(value(k, c))
			}
			sb.ReserveData(total)
		}
		for k := range ids {
			v := value(k, c)
			if v[0] == 'n' {
				b.AppendNull()
				continue
			}
			switch b := b.(type) {
			case *array.Int64Builder:
				b.UnsafeAppend(int64(binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(v[1:]), 8))))
			case *array.TimestampBuilder:
				b.UnsafeAppend(arrow.Timestamp(binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(v[1:]), 8))))
			case *array.Int8Builder:
				b.UnsafeAppend(int8(binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(v[1:]), 8))))
			case *array.Float64Builder:
				b.UnsafeAppend(math.Float64frombits(binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(v[1:]), 8))))
			case *array.StringBuilder:
				_, n := binary.Uvarint(unsafe.Slice(unsafe.StringData(v[1:]), min(len(v)-1, binary.MaxVarintLen64)))
				b.Append(v[1+n:])
			case *array.BooleanBuilder:
				b.UnsafeAppend(v[0] == 'T')
			default:
				b.Release()
				releaseAll(cols)
				return nil, fmt.Errorf("join: unsupported column type %s", f.Type)
			}
		}
		cols = append(cols, b.NewArray())
		b.Release()
	}
	return cols, nil
}
