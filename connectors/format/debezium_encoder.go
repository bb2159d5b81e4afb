package format

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/vector"
)

// debeziumEncoder writes a changelog in Debezium's JSON envelope, one
// object per change: {"before":{...}|null,"after":{...}|null,"op":"c"|"u"|"d"}.
// +I is a create (before null); a -U followed at once by its +U is one
// update with both; -D, and a -U without its +U, is a delete (after null);
// a +U without its -U is an update whose old row is unknown (before
// null). An append-only stream is all creates. Rows are written as the
// "json" format writes them.
type debeziumEncoder struct {
	schema *arrow.Schema // with its op column, if any
	opi    int           // the op column's index, or -1
	row    *jsonEncoder  // encodes the data columns
	out    *lineWriter
}

func newDebeziumEncoder(schema *arrow.Schema, kinds []kind, out *lineWriter) *debeziumEncoder {
	opi := vector.OpIndex(schema)
	data := vector.WithoutOpColumn(schema)
	if opi >= 0 {
		kinds = kinds[:opi]
	}
	return &debeziumEncoder{schema: schema, opi: opi, row: newJSONEncoder(data, kinds, out), out: out}
}

func (e *debeziumEncoder) Encode(batch arrow.RecordBatch) error {
	var ops []int8
	data := batch
	if e.opi >= 0 {
		if int(batch.NumCols()) != e.schema.NumFields() {
			return fmt.Errorf("encode: batch has %d columns, schema has %d", batch.NumCols(), e.schema.NumFields())
		}
		opc, ok := batch.Column(e.opi).(*array.Int8)
		if !ok {
			return fmt.Errorf("encode: column %s is %s, want the row kinds (int8)", vector.OpColumn, batch.Column(e.opi).DataType())
		}
		ops = opc.Int8Values()
		data = array.NewRecordBatch(e.row.schema, batch.Columns()[:e.opi], batch.NumRows())
		defer data.Release()
	}
	cols, err := bindColumns(e.row.schema, e.row.kinds, data, e.row.cols)
	if err != nil {
		return err
	}
	e.row.cols = cols
	b := e.out.buf
	n := int(batch.NumRows())
	for r := 0; r < n; r++ {
		kind := vector.Insert
		if ops != nil {
			kind = vector.RowKind(ops[r])
		}
		rowStart := len(b)
		before, after, op := -1, -1, byte('c')
		switch kind {
		case vector.Insert:
			after = r
		case vector.UpdateBefore:
			before, op = r, 'd'
			if r+1 < n && vector.RowKind(ops[r+1]) == vector.UpdateAfter {
				r++
				after, op = r, 'u'
			}
		case vector.UpdateAfter:
			after, op = r, 'u'
		default: // Delete
			before, op = r, 'd'
		}
		b = append(b, `{"before":`...)
		if b, err = e.appendRow(b, before); err == nil {
			b = append(b, `,"after":`...)
			b, err = e.appendRow(b, after)
		}
		if err != nil {
			e.out.buf = b[:rowStart]
			return err
		}
		b = append(b, `,"op":"`...)
		b = append(b, op, '"', '}', '\n')
		var err error
		if b, err = e.out.spill(b); err != nil {
			return err
		}
	}
	e.out.buf = b
	return e.out.err
}

// appendRow appends row r as a JSON object, or null when r < 0.
func (e *debeziumEncoder) appendRow(b []byte, r int) ([]byte, error) {
	if r < 0 {
		return append(b, "null"...), nil
	}
	return e.row.appendRow(b, r)
}

func (e *debeziumEncoder) Flush() error { return e.out.flush() }
