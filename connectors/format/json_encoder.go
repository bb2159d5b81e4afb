package format

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/vector"
)

// jsonEncoder writes JSON lines; see NewEncoder.
type jsonEncoder struct {
	schema *arrow.Schema
	kinds  []kind
	keys   [][]byte // `{"a":` then `,"b":` ...
	out    *lineWriter
	cols   []encColumn
	ts     vector.TimestampWriter
}

func newJSONEncoder(schema *arrow.Schema, kinds []kind, out *lineWriter) *jsonEncoder {
	e := &jsonEncoder{schema: schema, kinds: kinds, out: out}
	for i, f := range schema.Fields() {
		var k []byte
		if i == 0 {
			k = append(k, '{')
		} else {
			k = append(k, ',')
		}
		k = appendJSONString(k, f.Name)
		e.keys = append(e.keys, append(k, ':'))
	}
	return e
}

func (e *jsonEncoder) Encode(batch arrow.RecordBatch) error {
	cols, err := bindColumns(e.schema, e.kinds, batch, e.cols)
	if err != nil {
		return err
	}
	e.cols = cols
	b := e.out.buf
	for r := 0; r < int(batch.NumRows()); r++ {
		rowStart := len(b)
		if b, err = e.appendRow(b, r); err != nil {
			e.out.buf = b[:rowStart]
			return err
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

// appendRow appends row r of the columns bound last as a JSON object,
// without a newline.
func (e *jsonEncoder) appendRow(b []byte, r int) ([]byte, error) {
	cols := e.cols
	if len(cols) == 0 {
		b = append(b, '{')
	}
	for c := range cols {
		b = append(b, e.keys[c]...)
		col := &cols[c]
		if e.kinds[c] == kindNull || col.arr.IsNull(r) {
			b = append(b, "null"...)
			continue
		}
		switch e.kinds[c] {
		case kindInt64:
			b = strconv.AppendInt(b, col.i64.Value(r), 10)
		case kindFloat64:
			f := col.f64.Value(r)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				b = append(b, "null"...)
			} else {
				b = appendFloat(b, f)
			}
		case kindString:
			var ok bool
			if b, ok = appendJSONValue(b, col.str.Value(r)); !ok {
				return b, fmt.Errorf("column %s: a value is not valid UTF-8 and cannot be written as JSON without changing it; "+
					"read it with invalid_utf8 = 'replace', or write format = 'csv'", e.schema.Field(c).Name)
			}
		case kindBool:
			b = strconv.AppendBool(b, col.bln.Value(r))
		case kindTimestamp:
			b = append(b, '"')
			b = e.ts.Append(b, int64(col.ts.Value(r)), 'T', true)
			b = append(b, '"')
		}
	}
	return append(b, '}'), nil
}

func (e *jsonEncoder) Flush() error { return e.out.flush() }

const hexDigits = "0123456789abcdef"

// jsonSafe marks ASCII bytes that need no escaping in a JSON string.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for i := 0x20; i < utf8.RuneSelf; i++ {
		t[i] = true
	}
	t['"'], t['\\'] = false, false
	return t
}()

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD; U+2028 and U+2029 are escaped, as encoding/json does, but HTML
// characters are not.
func appendJSONString(b []byte, s string) []byte {
	b, _ = appendJSONValue(b, s)
	return b
}

// appendJSONValue is appendJSONString that also reports whether s was
// valid UTF-8, that is whether the JSON string holds s unchanged.
func appendJSONValue(b []byte, s string) (_ []byte, valid bool) {
	valid = true
	b = append(b, '"')
	start := 0
	i := jsonSafePrefix(s)
	if i == len(s) {
		// Most strings need no escaping: copy them as they are.
		b = append(b, s...)
		return append(b, '"'), true
	}
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			valid = false
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"'), valid
}

// SWAR constants: a byte of 0x01 or 0x80 in each lane.
const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// jsonSafePrefix returns the length of the longest prefix of s, rounded
// down to 8 bytes, whose bytes need no escaping in a JSON string
// (printable ASCII other than '"' and '\\'), testing 8 bytes at a time.
func jsonSafePrefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q := x ^ ('"' * lanes01)
		bs := x ^ ('\\' * lanes01)
		// A lane is flagged if its byte is >= 0x80, < 0x20, '"' or '\\'.
		bad := x | ((x - 0x20*lanes01) &^ x) | ((q - lanes01) &^ q) | ((bs - lanes01) &^ bs)
		if bad&lanes80 != 0 {
			break
		}
	}
	if i == len(s)&^7 {
		// The tail of fewer than 8 bytes, one at a time.
		for i < len(s) && s[i] < utf8.RuneSelf && jsonSafe[s[i]] {
			i++
		}
	}
	return i
}
