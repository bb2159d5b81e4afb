package kafka

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/vector"
)

// sinkEncoder turns the rows of the query's batches into Kafka records:
// a key (nil without key columns) and a value (nil for a tombstone).
type sinkEncoder struct {
	format string        // json, csv, text or debezium-json
	schema *arrow.Schema // the batches' schema, with the op column if any
	data   *arrow.Schema // schema without its op column
	opi    int           // the op column's index, or -1
	upsert bool          // an updating result written as upserts

	keyCols []int          // the key's columns in data, or nil
	keyText bool           // the key is one VARCHAR column, written as its text
	keyEnc  format.Encoder // json of the key columns, unless keyText
	keyBuf  bytes.Buffer
	keySch  *arrow.Schema

	valEnc format.Encoder // the value encoder (debezium: over schema; else over data)
	valBuf bytes.Buffer
	keys   [][]byte // one batch's keys, reused
}

// newSinkEncoder returns an encoder of batches of schema in format, keyed
// by the columns named in key (none when key is empty). An updating
// result (schema has an op column) is written as upserts unless format is
// debezium-json.
func newSinkEncoder(fmtName string, schema *arrow.Schema, key []string, opts map[string]string) (*sinkEncoder, error) {
	e := &sinkEncoder{format: fmtName, schema: schema, data: vector.WithoutOpColumn(schema), opi: vector.OpIndex(schema)}
	e.upsert = e.opi >= 0 && fmtName != "debezium-json"
	for _, k := range key {
		i := fieldIndex(e.data, k)
		if i < 0 {
			return nil, fmt.Errorf("key column %q is not a column of the result (%s)", k, columnList(e.data))
		}
		e.keyCols = append(e.keyCols, i)
	}
	if len(e.keyCols) == 1 && e.data.Field(e.keyCols[0]).Type.ID() == arrow.STRING {
		e.keyText = true
	} else if len(e.keyCols) > 0 {
		fs := make([]arrow.Field, len(e.keyCols))
		for j, i := range e.keyCols {
			fs[j] = e.data.Field(i)
		}
		e.keySch = arrow.NewSchema(fs, nil)
		enc, err := format.NewEncoder("json", e.keySch, &e.keyBuf, nil)
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		e.keyEnc = enc
	}
	vopts := map[string]string{"header": "false"}
	if d, ok := opts["delimiter"]; ok {
		vopts["delimiter"] = d
	}
	encSchema := e.data
	if fmtName == "debezium-json" {
		encSchema = schema
	}
	enc, err := format.NewEncoder(fmtName, encSchema, &e.valBuf, vopts)
	if err != nil {
		return nil, err
	}
	e.valEnc = enc
	return e, nil
}

// fieldIndex returns the index of the column named name (case-insensitive)
// in s, or -1.
func fieldIndex(s *arrow.Schema, name string) int {
	for i, f := range s.Fields() {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

// columnList names the columns of s, for messages.
func columnList(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// encode calls emit with the key and value of each record batch makes,
// in row order; the slices are valid only during the call.
func (e *sinkEncoder) encode(batch arrow.RecordBatch, emit func(key, value []byte) error) error {
	n := int(batch.NumRows())
	if n == 0 {
		return nil
	}
	var ops []int8
	data := batch
	if e.opi >= 0 {
		opc, ok := batch.Column(e.opi).(*array.Int8)
		if !ok {
			return fmt.Errorf("encode: column %s is %s, want the row kinds (int8)", vector.OpColumn, batch.Column(e.opi).DataType())
		}
		ops = opc.Int8Values()
		data = array.NewRecordBatch(e.data, batch.Columns()[:e.opi], batch.NumRows())
		defer data.Release()
	}
	if err := e.encodeKeys(data); err != nil {
		return err
	}
	kind := func(r int) vector.RowKind {
		if ops == nil {
			return vector.Insert
		}
		return vector.RowKind(ops[r])
	}
	if e.format == "debezium-json" {
		return e.encodeDebezium(batch, n, kind, emit)
	}
	values, err := e.encodeValues(data, n)
	if err != nil {
		return err
	}
	for r := 0; r < n; r++ {
		switch k := kind(r); {
		case e.upsert && k == vector.UpdateBefore:
			// The +U that follows overwrites the key's record.
		case e.upsert && k == vector.Delete:
			if err := emit(e.keys[r], nil); err != nil { // a tombstone
				return err
			}
		default:
			v, err := values(r)
			if err != nil {
				return err
			}
			if err := emit(e.keys[r], v); err != nil {
				return err
			}
		}
	}
	return nil
}

// encodeKeys fills e.keys with the key of each row of data (nil without
// key columns, or for a NULL text key).
func (e *sinkEncoder) encodeKeys(data arrow.RecordBatch) error {
	n := int(data.NumRows())
	e.keys = e.keys[:0]
	switch {
	case len(e.keyCols) == 0:
		for range n {
			e.keys = append(e.keys, nil)
		}
	case e.keyText:
		col := data.Column(e.keyCols[0]).(*array.String)
		for r := range n {
			if col.IsNull(r) {
				e.keys = append(e.keys, nil)
			} else {
				e.keys = append(e.keys, []byte(col.Value(r)))
			}
		}
	default:
		cols := make([]arrow.Array, len(e.keyCols))
		for j, i := range e.keyCols {
			cols[j] = data.Column(i)
		}
		kb := array.NewRecordBatch(e.keySch, cols, data.NumRows())
		defer kb.Release()
		e.keyBuf.Reset()
		if err := e.keyEnc.Encode(kb); err != nil {
			return fmt.Errorf("key: %w", err)
		}
		if err := e.keyEnc.Flush(); err != nil {
			return err
		}
		lines, err := splitLines(e.keyBuf.Bytes(), n)
		if err != nil {
			return fmt.Errorf("key: %w", err)
		}
		e.keys = append(e.keys, lines...)
	}
	return nil
}

// encodeValues returns a function giving the value of row r of data. JSON
// lines are encoded for the whole batch and split; text is the column's
// bytes; CSV, whose quoted fields may hold newlines, is encoded row by
// row.
func (e *sinkEncoder) encodeValues(data arrow.RecordBatch, n int) (func(r int) ([]byte, error), error) {
	switch e.format {
	case "text":
		col := data.Column(0).(*array.String)
		return func(r int) ([]byte, error) {
			if col.IsNull(r) {
				return []byte{}, nil
			}
			return []byte(col.Value(r)), nil
		}, nil
	case "csv":
		return func(r int) ([]byte, error) {
			row := data.NewSlice(int64(r), int64(r+1))
			defer row.Release()
			e.valBuf.Reset()
			if err := e.valEnc.Encode(row); err != nil {
				return nil, err
			}
			if err := e.valEnc.Flush(); err != nil {
				return nil, err
			}
			return bytes.TrimSuffix(e.valBuf.Bytes(), []byte{'\n'}), nil
		}, nil
	}
	e.valBuf.Reset()
	if err := e.valEnc.Encode(data); err != nil {
		return nil, err
	}
	if err := e.valEnc.Flush(); err != nil {
		return nil, err
	}
	lines, err := splitLines(e.valBuf.Bytes(), n)
	if err != nil {
		return nil, err
	}
	return func(r int) ([]byte, error) { return lines[r], nil }, nil
}

// encodeDebezium emits one record per change, as the debezium-json
// encoder pairs a -U with the +U that follows it; the key is the row's
// (the new row's for an update).
func (e *sinkEncoder) encodeDebezium(batch arrow.RecordBatch, n int, kind func(int) vector.RowKind, emit func(key, value []byte) error) error {
	var keyRows []int
	for r := 0; r < n; r++ {
		if kind(r) == vector.UpdateBefore && r+1 < n && kind(r+1) == vector.UpdateAfter {
			r++
		}
		keyRows = append(keyRows, r)
	}
	e.valBuf.Reset()
	if err := e.valEnc.Encode(batch); err != nil {
		return err
	}
	if err := e.valEnc.Flush(); err != nil {
		return err
	}
	lines, err := splitLines(e.valBuf.Bytes(), len(keyRows))
	if err != nil {
		return err
	}
	for i, r := range keyRows {
		if err := emit(e.keys[r], lines[i]); err != nil {
			return err
		}
	}
	return nil
}

// splitLines splits b, want lines each ended by a newline, into the lines
// without their newlines.
func splitLines(b []byte, want int) ([][]byte, error) {
	out := make([][]byte, 0, want)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, io.ErrUnexpectedEOF
		}
		out = append(out, b[:i])
		b = b[i+1:]
	}
	if len(out) != want {
		return nil, fmt.Errorf("encode: %d lines for %d records", len(out), want)
	}
	return out, nil
}
