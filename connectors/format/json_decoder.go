package format

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// jsonDecoder decodes JSON lines: one object per line, blank lines skipped.
//
// Keys match schema fields exactly, else ignoring case; other keys are
// skipped (but must be valid JSON); a missing key or null is NULL; if a key
// repeats, the last wins. Values convert as follows, anything else makes
// the record bad:
//
//	BIGINT     integers, and numbers with no fraction (3.0, 1e3)
//	DOUBLE     any number
//	VARCHAR    strings; numbers, booleans, objects and arrays as their JSON text
//	BOOLEAN    true, false
//	TIMESTAMP  strings vector.ParseTimestamp accepts; integers as epoch milliseconds
//
// BIGINT and DOUBLE columns also take numbers in strings ("42", "1.11"),
// as Flink's JSON format does. VARCHAR values must be valid UTF-8 unless
// option invalid_utf8 says otherwise (see NewDecoder); the event-time
// column, if the schema names one (EventTimeKey), must have a value.
type jsonDecoder struct {
	rows    *rowBuilder
	exact   map[string]int
	folded  map[string]int
	cache   []keyCol // the columns of the last record's keys, by position
	line    int64
	bom     bomState
	scratch []byte // unescaped strings of the record; never reallocated mid-record
	keyBuf  []byte
	chk     utf8Check
}

type keyCol struct {
	key   string
	col   int
	plain bool // key needs no escape: its JSON is "key"
}

func newJSONDecoder(schema *arrow.Schema, opts map[string]string, mem memory.Allocator) (*jsonDecoder, error) {
	rows, err := newRowBuilder(schema, opts, mem)
	if err != nil {
		return nil, err
	}
	d := &jsonDecoder{rows: rows, exact: map[string]int{}, folded: map[string]int{}, line: 1}
	for i, f := range schema.Fields() {
		if _, ok := d.exact[f.Name]; !ok {
			d.exact[f.Name] = i
		}
		if _, ok := d.folded[strings.ToLower(f.Name)]; !ok {
			d.folded[strings.ToLower(f.Name)] = i
		}
	}
	return d, nil
}

func (d *jsonDecoder) Rows() int { return d.rows.rows }

func (d *jsonDecoder) Flush() arrow.RecordBatch { return d.rows.flush() }

func (d *jsonDecoder) Release() { d.rows.release() }

func (d *jsonDecoder) Decode(data []byte, limit int, atEOF bool, bad func(BadRecord) error) (int, bool, error) {
	i, more := d.bom.skip(data, atEOF)
	if more {
		return 0, false, nil
	}
	d.chk.reset()
	for i < len(data) {
		if limit > 0 && d.rows.rows >= limit {
			return i, true, nil
		}
		rec, next, ok := nextLine(data, i, atEOF)
		if !ok {
			break
		}
		if isBlank(rec) {
			i = next
			d.line++
			continue
		}
		if d.rows.full(limit, next-i) {
			return i, true, nil
		}
		line := d.line
		d.line++
		err := d.parse(rec)
		if err == nil {
			err = d.rows.checkRow(d.rows.utf8 == utf8Keep || d.chk.valid(data, i, next, atEOF))
		}
		if err == nil {
			d.rows.commit(next - i)
		}
		i = next
		if err != nil && bad != nil {
			if err := bad(BadRecord{Line: line, Record: rec, Err: err}); err != nil {
				return i, false, err
			}
		}
	}
	return i, d.rows.full(limit, 0), nil
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// parse decodes one object into the pending values.
func (d *jsonDecoder) parse(rec []byte) error {
	d.rows.reset()
	if cap(d.scratch) < len(rec) {
		d.scratch = make([]byte, 0, len(rec))
	}
	d.scratch = d.scratch[:0]
	s := jsonScanner{b: rec}
	s.ws()
	if s.peek() != '{' {
		if c := s.peek(); c == '[' || c == '"' || c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n' {
			return fmt.Errorf("expected a JSON object, got %s", quoteShort(rec[s.p:min(len(rec), s.p+16)]))
		}
		return s.unexpected("'{'")
	}
	s.p++
	s.ws()
	if s.peek() == '}' {
		s.p++
	} else {
		for n := 0; ; n++ {
			if s.peek() != '"' {
				return s.unexpected("a string key")
			}
			var col int
			if k, ok := d.sameKey(&s, n); ok {
				col = k
			} else {
				raw, esc, err := s.str()
				if err != nil {
					return err
				}
				if esc {
					d.keyBuf = unescapeJSON(d.keyBuf[:0], raw)
					raw = d.keyBuf
				}
				col = d.lookup(n, raw)
			}
			s.ws()
			if s.peek() != ':' {
				return s.unexpected("':'")
			}
			s.p++
			s.ws()
			var err error
			if col < 0 {
				err = s.skip(1)
			} else {
				err = d.value(&s, col)
			}
			if err != nil {
				return err
			}
			s.ws()
			if s.peek() == '}' {
				s.p++
				break
			}
			if s.peek() != ',' {
				return s.unexpected("',' or '}'")
			}
			s.p++
			s.ws()
		}
	}
	s.ws()
	if s.p != len(rec) {
		return s.errorf("unexpected %s after the object", quoteShort(rec[s.p:s.p+1]))
	}
	return nil
}

// sameKey reads the n-th key of a record, at s (which holds '"'), when it
// is the n-th key of the last record with its column known, written
// without escapes: records of one source mostly repeat their keys. It
// returns the key's column; ok false (s unmoved) when it is another key.
func (d *jsonDecoder) sameKey(s *jsonScanner, n int) (col int, ok bool) {
	if n >= len(d.cache) {
		return 0, false
	}
	k := &d.cache[n]
	end := s.p + 1 + len(k.key)
	if !k.plain || end >= len(s.b) || s.b[end] != '"' || string(s.b[s.p+1:end]) != k.key {
		return 0, false
	}
	s.p = end + 1
	return d.cache[n].col, true
}

// lookup returns the column of the n-th key of a record, or -1.
func (d *jsonDecoder) lookup(n int, key []byte) int {
	if n < len(d.cache) && d.cache[n].key == string(key) {
		return d.cache[n].col
	}
	col, ok := d.exact[string(key)]
	if !ok {
		col = -1
		if k := d.fold(key); k != nil {
			if c, ok := d.folded[string(k)]; ok {
				col = c
			}
		}
	}
	if n < 64 {
		for len(d.cache) <= n {
			d.cache = append(d.cache, keyCol{col: -1})
		}
		plain := true
		for _, c := range key {
			plain = plain && strSafe[c]
		}
		d.cache[n] = keyCol{key: string(key), col: col, plain: plain}
	}
	return col
}

// fold lower-cases key into keyBuf, or returns nil if it has no upper case.
func (d *jsonDecoder) fold(key []byte) []byte {
	upper := false
	for _, c := range key {
		if c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return nil
	}
	d.keyBuf = append(d.keyBuf[:0], strings.ToLower(string(key))...)
	return d.keyBuf
}

// value decodes the value at s into column c's pending value.
func (d *jsonDecoder) value(s *jsonScanner, c int) error {
	col := &d.rows.cols[c]
	v := &d.rows.vals[c]
	switch s.peek() {
	case '"':
		raw, esc, err := s.str()
		if err != nil {
			return err
		}
		if esc {
			start := len(d.scratch)
			d.scratch = unescapeJSON(d.scratch, raw)
			raw = d.scratch[start:]
		}
		switch col.kind {
		case kindString:
			*v = value{valid: true, s: raw}
		case kindTimestamp:
			ms, err := col.ts.parseTimestamp(raw)
			if err != nil {
				return fmt.Errorf("column %s: %w", col.name, err)
			}
			v.valid, v.i = true, ms
		case kindInt64, kindFloat64:
			// A number in a string, as Flink's JSON format accepts.
			return stringNumber(col, v, trimSpace(raw))
		default:
			return wrongType(col, "string", raw)
		}
	case '{', '[':
		start := s.p
		if err := s.skip(1); err != nil {
			return err
		}
		if col.kind != kindString {
			what := "an object"
			if s.b[start] == '[' {
				what = "an array"
			}
			return fmt.Errorf("column %s: expected %s, got %s", col.name, col.kind.typeName(), what)
		}
		*v = value{valid: true, s: s.b[start:s.p]}
	case 't', 'f', 'n':
		start := s.p
		w, err := s.literal()
		if err != nil {
			return err
		}
		switch {
		case w == 'n':
			v.valid = false
		case col.kind == kindBool:
			v.valid, v.i = true, 0
			if w == 't' {
				v.i = 1
			}
		case col.kind == kindString:
			*v = value{valid: true, s: s.b[start:s.p]}
		default:
			return wrongType(col, "boolean", s.b[start:s.p])
		}
	default:
		lit, isInt, err := s.number()
		if err != nil {
			return err
		}
		switch col.kind {
		case kindInt64, kindTimestamp:
			n, err := jsonInt(col, lit, isInt)
			if err != nil {
				return err
			}
			v.valid, v.i = true, n
		case kindFloat64:
			f, err := ParseFloat64(lit)
			if err != nil {
				return badValue(col.name, kindFloat64, lit, err)
			}
			v.valid, v.f = true, f
		case kindString:
			*v = value{valid: true, s: lit}
		default:
			return wrongType(col, "number", lit)
		}
	}
	return nil
}

// jsonInt parses lit, a JSON number (an integer if isInt), as a BIGINT:
// numbers with a fraction are accepted if it is zero (3.0, 1e3).
func jsonInt(col *column, lit []byte, isInt bool) (int64, error) {
	if isInt {
		n, err := ParseInt64(lit)
		if err != nil {
			return 0, badValue(col.name, kindInt64, lit, err)
		}
		return n, nil
	}
	f, err := ParseFloat64(lit)
	if err != nil {
		return 0, badValue(col.name, kindInt64, lit, err)
	}
	n, ok := floatToInt64(f)
	if !ok {
		return 0, fmt.Errorf("column %s: expected %s, got %s", col.name, col.kind.typeName(), lit)
	}
	return n, nil
}

// stringNumber parses the content of a JSON string as a number for a
// BIGINT or DOUBLE column: "42", "1.11", "1e3".
func stringNumber(col *column, v *value, b []byte) error {
	if col.kind == kindFloat64 {
		f, err := ParseFloat64(b)
		if err != nil {
			return badValue(col.name, kindFloat64, b, err)
		}
		v.valid, v.f = true, f
		return nil
	}
	n, err := ParseInt64(b)
	if err != nil {
		f, ferr := ParseFloat64(b)
		var ok bool
		if n, ok = floatToInt64(f); ferr != nil || !ok || err != errSyntax {
			return badValue(col.name, kindInt64, b, err)
		}
	}
	v.valid, v.i = true, n
	return nil
}

func wrongType(col *column, what string, text []byte) error {
	return fmt.Errorf("column %s: expected %s, got %s %s", col.name, col.kind.typeName(), what, quoteShort(text))
}
