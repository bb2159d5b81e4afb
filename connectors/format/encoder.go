package format

import (
	"fmt"
	"io"
	"maps"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/vector"
)

// Encoder writes record batches as lines of text.
type Encoder interface {
	// Encode encodes the rows of batch, whose schema must match the
	// encoder's. It does not release the batch. Output is buffered: it
	// reaches the writer in pieces of about 64 KiB and on Flush.
	Encode(batch arrow.RecordBatch) error
	// Flush writes everything encoded so far to the writer.
	Flush() error
}

// EncoderFormats are the formats NewEncoder accepts.
var EncoderFormats = []string{"csv", "debezium-json", "json", "text"}

// NewEncoder returns an encoder of batches of schema to w.
//
// "json" (also "jsonl", "ndjson") writes one object per row, keys the
// column names in schema order: NULL is null, timestamps are RFC 3339
// strings in UTC with milliseconds ("2024-01-01T00:00:05.000Z"), doubles
// are the shortest text that reads back as the same value, formatted as
// encoding/json does (3.0 as 3, 1e21 as 1e+21), and NaN and infinities
// are null.
//
// "csv" writes a header line of the column names first (option "header",
// default "true"), then one line per row, fields separated by option
// "delimiter" (default ","), quoted as RFC 4180 asks when they contain the
// delimiter, a quote or a newline. NULL is an empty field, an empty string
// is "", timestamps are "2024-01-01 00:00:05.000" (UTC), doubles are as in
// JSON except NaN, +Inf and -Inf. The header is written by the first
// Encode or Flush, so an empty result still has one.
//
// "text" writes the value of the one VARCHAR column of each row and a
// newline, as Spark's text format and saveAsTextFiles do; NULL is an empty
// line. A schema of other columns is an error that names them.
//
// "debezium-json" writes each change in Debezium's JSON envelope,
// {"before":{...}|null,"after":{...}|null,"op":"c"|"u"|"d"}, the rows as
// "json" writes them: an insert (+I) is op "c" with before null; an
// update (-U then its +U) one op "u" with both; a delete (-D, or a -U
// without its +U) op "d" with after null.
//
// An updating stream's batches end with an op column (vector.OpField):
// "json" and "csv" write the row kind first, as a key or column "_op"
// ("+I", "-U", "+U" or "-D"); "text" refuses such a schema. With option
// changelog = 'true' they write "_op" for an append-only stream too (+I).
//
// Columns may be of Weir's types or arrow.Null (always NULL).
func NewEncoder(format string, schema *arrow.Schema, w io.Writer, opts map[string]string) (Encoder, error) {
	changelog, err := ChangelogOption(opts)
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(format)
	if name != "debezium-json" && (changelog || vector.IsChangelog(schema)) {
		switch name {
		case "json", "jsonl", "ndjson", "csv":
			opts = maps.Clone(opts)
			delete(opts, "changelog")
			inner, err := NewEncoder(format, OpTextSchema(schema, 0), w, opts)
			if err != nil {
				return nil, err
			}
			return &opTextEncoder{inner: inner}, nil
		case "text":
			return nil, fmt.Errorf("format 'text' cannot write the kind of each row of a changelog: use format 'json' with changelog = 'true', or 'debezium-json'")
		}
	}
	kinds := make([]kind, schema.NumFields())
	for i, f := range schema.Fields() {
		if vector.IsOpField(f) && name == "debezium-json" {
			continue
		}
		k, err := kindOf(f, true)
		if err != nil {
			return nil, err
		}
		kinds[i] = k
	}
	out := &lineWriter{w: w}
	switch name {
	case "json", "jsonl", "ndjson":
		return newJSONEncoder(schema, kinds, out), nil
	case "debezium-json":
		return newDebeziumEncoder(schema, kinds, out), nil
	case "csv":
		return newCSVEncoder(schema, kinds, out, opts)
	case "text":
		return newTextEncoder(schema, kinds, out)
	}
	return nil, fmt.Errorf("unknown output format %q (have %s)", format, strings.Join(EncoderFormats, ", "))
}

// flushSize is how much encoded text an encoder buffers before writing.
const flushSize = 64 << 10

// lineWriter buffers encoded text for a writer; its error is sticky.
type lineWriter struct {
	w   io.Writer
	buf []byte
	err error
}

// spill takes b, the buffer being appended to, and writes it out once it
// holds flushSize bytes; it returns the buffer to go on appending to.
func (l *lineWriter) spill(b []byte) ([]byte, error) {
	if len(b) < flushSize {
		return b, nil
	}
	l.buf = b
	err := l.flush()
	return l.buf, err
}

func (l *lineWriter) flush() error {
	if l.err != nil {
		return l.err
	}
	if len(l.buf) > 0 {
		_, l.err = l.w.Write(l.buf)
		l.buf = l.buf[:0]
	}
	return l.err
}

// encColumn is one column of a batch being encoded, cast to its type.
type encColumn struct {
	arr arrow.Array
	i64 *array.Int64
	f64 *array.Float64
	str *array.String
	bln *array.Boolean
	ts  *array.Timestamp
}

// bindColumns checks batch against the encoder's schema and casts its
// columns.
func bindColumns(schema *arrow.Schema, kinds []kind, batch arrow.RecordBatch, cols []encColumn) ([]encColumn, error) {
	if int(batch.NumCols()) != len(kinds) {
		return nil, fmt.Errorf("encode: batch has %d columns, schema has %d", batch.NumCols(), len(kinds))
	}
	cols = cols[:0]
	for i, k := range kinds {
		arr := batch.Column(i)
		bk, err := kindOf(arrow.Field{Name: schema.Field(i).Name, Type: arr.DataType()}, true)
		if err != nil || bk != k {
			return nil, fmt.Errorf("encode: column %s is %s, want %s", schema.Field(i).Name, arr.DataType(), schema.Field(i).Type)
		}
		c := encColumn{arr: arr}
		switch a := arr.(type) {
		case *array.Int64:
			c.i64 = a
		case *array.Float64:
			c.f64 = a
		case *array.String:
			c.str = a
		case *array.Boolean:
			c.bln = a
		case *array.Timestamp:
			c.ts = a
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// appendFloat appends f as encoding/json formats a float64.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	fmtc := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmtc = 'e'
	}
	b = strconv.AppendFloat(b, f, fmtc, -1, 64)
	if fmtc == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
