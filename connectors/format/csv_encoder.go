package format

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/vector"
)

// csvEncoder writes CSV; see NewEncoder.
type csvEncoder struct {
	schema     *arrow.Schema
	kinds      []kind
	delim      byte
	header     bool // a header line is still to be written
	out        *lineWriter
	cols       []encColumn
	needsQuote [256]bool
	ts         vector.TimestampWriter
}

func newCSVEncoder(schema *arrow.Schema, kinds []kind, out *lineWriter, opts map[string]string) (*csvEncoder, error) {
	header := true
	switch strings.ToLower(opts["header"]) {
	case "", "true":
	case "false":
		header = false
	default:
		return nil, fmt.Errorf("option header: want 'true' or 'false', got %q", opts["header"])
	}
	delim, err := delimiterOption(opts)
	if err != nil {
		return nil, err
	}
	e := &csvEncoder{schema: schema, kinds: kinds, delim: delim, header: header, out: out}
	e.needsQuote['"'], e.needsQuote['\n'], e.needsQuote['\r'], e.needsQuote[delim] = true, true, true, true
	return e, nil
}

func (e *csvEncoder) writeHeader() {
	if !e.header {
		return
	}
	e.header = false
	b := e.out.buf
	for i, f := range e.schema.Fields() {
		if i > 0 {
			b = append(b, e.delim)
		}
		b = e.appendString(b, f.Name)
	}
	e.out.buf = append(b, '\n')
}

// appendString appends s, quoted if it is empty or holds a delimiter, a
// quote or a newline.
func (e *csvEncoder) appendString(b []byte, s string) []byte {
	quote := len(s) == 0
	for i := 0; i < len(s) && !quote; i++ {
		quote = e.needsQuote[s[i]]
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		j := strings.IndexByte(s, '"')
		if j < 0 {
			break
		}
		b = append(b, s[:j+1]...)
		b = append(b, '"')
		s = s[j+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

func (e *csvEncoder) Encode(batch arrow.RecordBatch) error {
	cols, err := bindColumns(e.schema, e.kinds, batch, e.cols)
	if err != nil {
		return err
	}
	e.cols = cols
	e.writeHeader()
	b := e.out.buf
	for r := 0; r < int(batch.NumRows()); r++ {
		for c := range cols {
			if c > 0 {
				b = append(b, e.delim)
			}
			col := &cols[c]
			if e.kinds[c] == kindNull || col.arr.IsNull(r) {
				continue
			}
			switch e.kinds[c] {
			case kindInt64:
				b = strconv.AppendInt(b, col.i64.Value(r), 10)
			case kindFloat64:
				f := col.f64.Value(r)
				switch {
				case math.IsNaN(f):
					b = append(b, "NaN"...)
				case math.IsInf(f, 1):
					b = append(b, "+Inf"...)
				case math.IsInf(f, -1):
					b = append(b, "-Inf"...)
				default:
					b = appendFloat(b, f)
				}
			case kindString:
				b = e.appendString(b, col.str.Value(r))
			case kindBool:
				b = strconv.AppendBool(b, col.bln.Value(r))
			case kindTimestamp:
				b = e.ts.Append(b, int64(col.ts.Value(r)), ' ', false)
			}
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

func (e *csvEncoder) Flush() error {
	e.writeHeader()
	return e.out.flush()
}
