package format

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// textEncoder writes one line per row: the value of its one VARCHAR column.
type textEncoder struct {
	schema *arrow.Schema
	kinds  []kind
	out    *lineWriter
	cols   []encColumn
}

func newTextEncoder(schema *arrow.Schema, kinds []kind, out *lineWriter) (*textEncoder, error) {
	if len(kinds) != 1 || kinds[0] != kindString {
		cols := make([]string, len(kinds))
		for i, k := range kinds {
			cols[i] = schema.Field(i).Name + " " + k.typeName()
		}
		return nil, fmt.Errorf("format 'text' writes exactly one VARCHAR column, but the query outputs (%s)", strings.Join(cols, ", "))
	}
	return &textEncoder{schema: schema, kinds: kinds, out: out}, nil
}

func (e *textEncoder) Encode(batch arrow.RecordBatch) error {
	cols, err := bindColumns(e.schema, e.kinds, batch, e.cols)
	if err != nil {
		return err
	}
	e.cols = cols
	col := cols[0].str
	b := e.out.buf
	if col.NullN() == 0 {
		// The lines' bytes as they are, each followed by a newline.
		data, offs := col.ValueBytes(), col.ValueOffsets()
		base := offs[0]
		for r := 0; r < col.Len(); r++ {
			b = append(b, data[offs[r]-base:offs[r+1]-base]...)
			b = append(b, '\n')
			if len(b) >= flushSize {
				var err error
				if b, err = e.out.spill(b); err != nil {
					return err
				}
			}
		}
		e.out.buf = b
		return e.out.err
	}
	for r := 0; r < int(batch.NumRows()); r++ {
		if col.IsValid(r) {
			b = append(b, col.Value(r)...)
		}
		b = append(b, '\n')
		var err error
		if b, err = e.out.spill(b); err != nil {
			return err
		}
	}
	e.out.buf = b
	return e.out.err
}

func (e *textEncoder) Flush() error { return e.out.flush() }
