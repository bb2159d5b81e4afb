package format

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// OpTextColumn is the name of the VARCHAR column OpText writes the row
// kinds to: "_op", as jsonl and csv output show it.
const OpTextColumn = vector.OpColumn

// OpTextSchema returns the schema of OpText's batches: schema without its
// op column (vector.OpIndex), with a VARCHAR column "_op" inserted at
// position at.
func OpTextSchema(schema *arrow.Schema, at int) *arrow.Schema {
	data := vector.WithoutOpColumn(schema).Fields()
	fs := make([]arrow.Field, 0, len(data)+1)
	fs = append(fs, data[:at]...)
	fs = append(fs, arrow.Field{Name: OpTextColumn, Type: arrow.BinaryTypes.String})
	fs = append(fs, data[at:]...)
	md := schema.Metadata()
	return arrow.NewSchema(fs, &md)
}

// OpText returns batch with its op column replaced by a VARCHAR column of
// the row kinds' names ("+I", "-U", "+U", "-D") at position at, as
// OpTextSchema describes; an append-only batch gets "+I" in every row. It
// does not release batch.
func OpText(batch arrow.RecordBatch, at int) arrow.RecordBatch {
	schema := batch.Schema()
	opi := vector.OpIndex(schema)
	n := int(batch.NumRows())
	bld := array.NewStringBuilder(memory.DefaultAllocator)
	defer bld.Release()
	bld.Reserve(n)
	if opi < 0 {
		for range n {
			bld.Append(vector.Insert.String())
		}
	} else {
		ops := batch.Column(opi).(*array.Int8)
		for r := range n {
			bld.Append(vector.RowKind(ops.Value(r)).String())
		}
	}
	op := bld.NewArray()
	defer op.Release()
	data := batch.Columns()
	if opi >= 0 {
		data = data[:opi]
	}
	cols := make([]arrow.Array, 0, len(data)+1)
	cols = append(cols, data[:at]...)
	cols = append(cols, op)
	cols = append(cols, data[at:]...)
	return array.NewRecordBatch(OpTextSchema(schema, at), cols, batch.NumRows())
}

// opTextEncoder writes a changelog with a JSON or CSV encoder of
// OpTextSchema(schema, 0): the row kind first, as "_op".
type opTextEncoder struct{ inner Encoder }

func (e *opTextEncoder) Encode(batch arrow.RecordBatch) error {
	b := OpText(batch, 0)
	defer b.Release()
	return e.inner.Encode(b)
}

func (e *opTextEncoder) Flush() error { return e.inner.Flush() }

// ChangelogOption reads option changelog: whether an encoder writes every
// row's kind ('true'), or only the rows' values ('false', the default).
func ChangelogOption(opts map[string]string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(opts["changelog"])); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, fmt.Errorf("option changelog: want 'true' or 'false', got %q", opts["changelog"])
}
