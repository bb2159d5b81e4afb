package exec

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// joinRow is one row held in a join's state: a Go value per column
// (int64 for BIGINT and TIMESTAMP, float64, string, bool; nil is NULL).
type joinRow []any

// rowsOf reads the first n columns of b as rows. b is borrowed.
func rowsOf(b arrow.RecordBatch, n int) ([]joinRow, error) {
	rows := make([]joinRow, b.NumRows())
	flat := make([]any, int(b.NumRows())*n)
	for i := range rows {
		rows[i] = flat[i*n : (i+1)*n : (i+1)*n]
	}
	for c := 0; c < n; c++ {
		col := b.Column(c)
		for i := range rows {
			if col.IsNull(i) {
				continue
			}
			switch a := col.(type) {
			case *array.Int64:
				rows[i][c] = a.Value(i)
			case *array.Float64:
				rows[i][c] = a.Value(i)
			case *array.String:
				rows[i][c] = a.Value(i)
			case *array.Boolean:
				rows[i][c] = a.Value(i)
			case *array.Timestamp:
				rows[i][c] = int64(a.Value(i))
			case *array.Int8:
				rows[i][c] = int64(a.Value(i))
			case *array.Null:
			default:
				return nil, fmt.Errorf("join: unsupported column type %s", col.DataType())
			}
		}
	}
	return rows, nil
}

// buildColumns builds one array per field of fields from rows (each row
// has at least len(fields) values, in order).
func buildColumns(mem memory.Allocator, fields []arrow.Field, rows []joinRow) ([]arrow.Array, error) {
	cols := make([]arrow.Array, len(fields))
	for c, f := range fields {
		b := array.NewBuilder(mem, f.Type)
		b.Reserve(len(rows))
		for _, r := range rows {
			v := r[c]
			if v == nil {
				b.AppendNull()
				continue
			}
			switch b := b.(type) {
			case *array.Int64Builder:
				b.Append(v.(int64))
			case *array.Float64Builder:
				b.Append(v.(float64))
			case *array.StringBuilder:
				b.Append(v.(string))
			case *array.BooleanBuilder:
				b.Append(v.(bool))
			case *array.TimestampBuilder:
				b.Append(arrow.Timestamp(v.(int64)))
			case *array.Int8Builder:
				b.Append(int8(v.(int64)))
			default:
				b.Release()
				releaseAll(cols[:c])
				return nil, fmt.Errorf("join: unsupported column type %s", f.Type)
			}
		}
		cols[c] = b.NewArray()
		b.Release()
	}
	return cols, nil
}

// buildBatch builds a batch of schema from rows.
func buildBatch(mem memory.Allocator, schema *arrow.Schema, rows []joinRow) (arrow.RecordBatch, error) {
	cols, err := buildColumns(mem, schema.Fields(), rows)
	if err != nil {
		return nil, err
	}
	out := array.NewRecordBatch(schema, cols, int64(len(rows)))
	releaseAll(cols)
	return out, nil
}

// joinKey encodes the values of r at cols as a map key. ok is false when
// one of them is NULL: a NULL key equals nothing.
func joinKey(r joinRow, cols []int, buf []byte) (key string, ok bool) {
	buf = buf[:0]
	for _, c := range cols {
		switch v := r[c].(type) {
		case nil:
			return "", false
		case int64:
			buf = binary.LittleEndian.AppendUint64(append(buf, 'i'), uint64(v))
		case float64:
			if v == 0 {
				v = 0 // -0 equals 0
			}
			buf = binary.LittleEndian.AppendUint64(append(buf, 'f'), math.Float64bits(v))
		case string:
			buf = binary.LittleEndian.AppendUint32(append(buf, 's'), uint32(len(v)))
			buf = append(buf, v...)
		case bool:
			if v {
				buf = append(buf, 'T')
			} else {
				buf = append(buf, 'F')
			}
		}
	}
	return string(buf), true
}

// packRow encodes r as one string: per value a tag byte ('n' NULL, 'i'
// int64, 'f' float64, 's' string with its length, 'T'/'F' bool) and its
// bytes. Equal rows pack to equal strings.
func packRow(r joinRow) string {
	n := 0
	for _, v := range r {
		n += 9
		if s, ok := v.(string); ok {
			n += len(s) + binary.MaxVarintLen32
		}
	}
	buf := make([]byte, 0, n)
	for _, v := range r {
		switch v := v.(type) {
		case nil:
			buf = append(buf, 'n')
		case int64:
			buf = binary.LittleEndian.AppendUint64(append(buf, 'i'), uint64(v))
		case float64:
			buf = binary.LittleEndian.AppendUint64(append(buf, 'f'), math.Float64bits(v))
		case string:
			buf = binary.AppendUvarint(append(buf, 's'), uint64(len(v)))
			buf = append(buf, v...)
		case bool:
			if v {
				buf = append(buf, 'T')
			} else {
				buf = append(buf, 'F')
			}
		}
	}
	return string(buf)
}

// unpackRow decodes a row of width values packed by packRow.
func unpackRow(p string, width int) joinRow {
	r := make(joinRow, width)
	for i := range r {
		tag := p[0]
		p = p[1:]
		switch tag {
		case 'i':
			r[i] = int64(binary.LittleEndian.Uint64([]byte(p[:8])))
			p = p[8:]
		case 'f':
			r[i] = math.Float64frombits(binary.LittleEndian.Uint64([]byte(p[:8])))
			p = p[8:]
		case 's':
			n, k := binary.Uvarint([]byte(p[:min(len(p), binary.MaxVarintLen64)]))
			r[i] = p[k : k+int(n)]
			p = p[k+int(n):]
		case 'T':
			r[i] = true
		case 'F':
			r[i] = false
		}
	}
	return r
}

// packedLen returns the length of the first value packed in p.
func packedLen(p string) int {
	switch p[0] {
	case 'i', 'f':
		return 9
	case 's':
		n, k := binary.Uvarint([]byte(p[1:min(len(p), 1+binary.MaxVarintLen64)]))
		return 1 + k + int(n)
	}
	return 1
}

// rowBytes estimates the memory a row holds.
func rowBytes(r joinRow) int64 {
	n := int64(48 + 16*len(r))
	for _, v := range r {
		if s, ok := v.(string); ok {
			n += int64(len(s))
		}
	}
	return n
}
