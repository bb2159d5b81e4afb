package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// csvDecoder decodes RFC 4180 CSV.
//
// Grammar: a record is a line of fields separated by the delimiter. A field
// that starts with '"' is quoted: it runs to the next lone '"' ("" is an
// escaped quote) and may contain delimiters and newlines; after its closing
// quote must come a delimiter or the end of the record, otherwise the record
// is bad and skipped up to the next newline. Any other field is unquoted and
// runs to the next delimiter or newline; quotes inside it are kept as they
// are. A trailing '\r' is dropped from the record. Blank lines are skipped.
//
// An empty unquoted field is NULL; a quoted empty field is the empty string
// for VARCHAR and NULL for other types. Numbers, booleans and timestamps may
// be padded with spaces or tabs.
//
// With header = true (the default) the first record names the columns:
// names are matched to the schema's fields ignoring case, schema fields it
// does not name are NULL and columns it names that the schema lacks are
// ignored. With header = false, fields map to schema fields by position.
// Either way a record with fewer or more fields than that is bad. So is a
// record without a value for the event-time column (EventTimeKey), and one
// with a VARCHAR field that is not valid UTF-8 (unless option invalid_utf8
// is 'replace' or 'keep').
type csvDecoder struct {
	rows    *rowBuilder
	delim   byte
	header  bool // the input starts with a header record
	mapped  bool // colOf is set
	colOf   []int
	nfields int
	line    int64
	bom     bomState

	fields []csvField
	unesc  []byte
	slow   bool // the last record was split by splitQuoted
	// plain: the delimiter cannot occur in a plain number or timestamp,
	// so parseLine may read those where they stand (scanPlain).
	plain bool
	chk   utf8Check
}

// csvField is one field of the record being split. Unescaped fields live
// in unesc at [s, e) until the record is complete.
type csvField struct {
	b      []byte
	quoted bool
	esc    bool
	s, e   int
}

func newCSVDecoder(schema *arrow.Schema, opts map[string]string, mem memory.Allocator) (*csvDecoder, error) {
	header := true
	switch v := strings.ToLower(opts["header"]); v {
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
	rows, err := newRowBuilder(schema, opts, mem)
	if err != nil {
		return nil, err
	}
	d := &csvDecoder{rows: rows, delim: delim, header: header, line: 1, plain: strings.IndexByte(",;|\t", delim) >= 0}
	if !header {
		d.mapped = true
		d.nfields = schema.NumFields()
		d.colOf = make([]int, d.nfields)
		for i := range d.colOf {
			d.colOf[i] = i
		}
	}
	return d, nil
}

// delimiterOption reads the CSV "delimiter" option.
func delimiterOption(opts map[string]string) (byte, error) {
	v, ok := opts["delimiter"]
	if !ok {
		return ',', nil
	}
	switch strings.ToLower(v) {
	case `\t`, "tab", "\t":
		return '\t', nil
	}
	if len(v) != 1 || v[0] == '"' || v[0] == '\n' || v[0] == '\r' || v[0] >= 0x80 {
		return 0, fmt.Errorf("option delimiter: want one ASCII character other than a quote or newline, got %q", v)
	}
	return v[0], nil
}

func (d *csvDecoder) Rows() int { return d.rows.rows }

func (d *csvDecoder) Flush() arrow.RecordBatch { return d.rows.flush() }

func (d *csvDecoder) Release() { d.rows.release() }

func (d *csvDecoder) Decode(data []byte, limit int, atEOF bool, bad func(BadRecord) error) (int, bool, error) {
	i, more := d.bom.skip(data, atEOF)
	if more {
		return 0, false, nil
	}
	d.chk.reset()
	for i < len(data) {
		rest := data[i:]
		// Blank lines.
		if rest[0] == '\n' {
			i++
			d.line++
			continue
		}
		if rest[0] == '\r' {
			if len(rest) == 1 {
				if !atEOF {
					return i, false, nil
				}
				i++
				continue
			}
			if rest[1] == '\n' {
				i += 2
				d.line++
				continue
			}
		}
		if limit > 0 && d.rows.rows >= limit {
			return i, true, nil
		}
		if d.mapped {
			// The fast path: a record of one line, parsed as it is split.
			nl := bytes.IndexByte(rest, '\n')
			if nl < 0 && !atEOF {
				return i, false, nil
			}
			next, line := len(rest), rest
			if nl >= 0 {
				next, line = nl+1, rest[:nl]
			}
			line = trimCR(line)
			if ok, serr := d.parseLine(line); ok {
				if d.rows.full(limit, next) {
					return i, true, nil
				}
				lineNo := d.line
				if nl >= 0 {
					d.line++
				}
				i += next
				if serr == nil {
					serr = d.rows.checkRow(d.rows.utf8 == utf8Keep || d.chk.valid(data, i-next, i, atEOF))
				}
				if serr == nil {
					d.rows.commit(next)
					continue
				}
				if bad != nil {
					if err := bad(BadRecord{Line: lineNo, Record: line, Err: serr}); err != nil {
						return i, false, err
					}
				}
				continue
			}
		}
		end, next, ok, serr := d.split(rest, atEOF)
		if !ok {
			return i, false, nil
		}
		if d.mapped && d.rows.full(limit, next) {
			return i, true, nil
		}
		line := d.line
		if d.slow {
			d.line += int64(bytes.Count(rest[:next], []byte{'\n'}))
		} else if rest[next-1] == '\n' {
			d.line++
		}
		i += next
		rec := rest[:end]
		if serr == nil {
			if !d.mapped {
				if err := d.setHeader(); err != nil {
					return i, false, fmt.Errorf("line %d: %w", line, err)
				}
				continue
			}
			serr = d.convert()
			if serr == nil {
				serr = d.rows.checkRow(d.rows.utf8 == utf8Keep || d.chk.valid(data, i-next, i, atEOF))
			}
			if serr == nil {
				d.rows.commit(next)
				continue
			}
		} else if !d.mapped {
			return i, false, fmt.Errorf("line %d: bad CSV header: %w", line, serr)
		}
		if bad != nil {
			if err := bad(BadRecord{Line: line, Record: rec, Err: serr}); err != nil {
				return i, false, err
			}
		}
	}
	return i, d.rows.full(limit, 0), nil
}

// parseLine parses a record of one line (without its line terminator)
// straight into the row builder's pending values, field by field. It
// returns ok false, having decided nothing, when a field starts with a
// quote: the record then takes split's way. Otherwise err is what makes
// the record bad: the wrong number of fields first, else the first field
// that does not parse.
func (d *csvDecoder) parseLine(line []byte) (ok bool, err error) {
	r := d.rows
	r.reset()
	delim := d.delim
	n, p := 0, 0
	for {
		start := p
		if p < len(line) && line[p] == '"' {
			return false, nil
		}
		if n < len(d.colOf) && err == nil {
			if c := d.colOf[n]; c >= 0 && d.plain {
				// A plain number or timestamp is read where it stands, and
				// must end at a delimiter or the end of the line.
				if q, ok := scanPlain(&r.cols[c], line, p, delim, &r.vals[c]); ok {
					p = q
					goto next
				}
			}
		}
		p = indexDelim(line, p, delim)
		if n < len(d.colOf) && err == nil {
			if c := d.colOf[n]; c >= 0 && p > start {
				col, v := &r.cols[c], &r.vals[c]
				if col.kind == kindString {
					v.valid, v.s = true, line[start:p]
				} else if e := parseText(col, line[start:p], v); e != nil {
					err = badValue(col.name, col.kind, line[start:p], e)
				}
			}
		}
	next:
		n++
		if p == len(line) {
			break
		}
		p++
	}
	if n != d.nfields {
		return true, fmt.Errorf("expected %d fields, got %d", d.nfields, n)
	}
	return true, err
}

// scanPlain reads the field of column c at line[p:] when it is in the
// plain form of its type, one the general parse reads alike: digits with a
// sign (BIGINT), a plain decimal (DOUBLE), 'YYYY-MM-DD HH:MM:SS[.fff]'
// (TIMESTAMP). It returns where the field ends, with ok false (and v
// untouched) for anything else, or when the field does not end at a
// delimiter or the end of the line.
func scanPlain(c *column, line []byte, p int, delim byte, v *value) (int, bool) {
	start := p
	switch c.kind {
	case kindInt64:
		neg := p < len(line) && line[p] == '-'
		if neg {
			p++
		}
		digitsAt := p
		var x int64
		for ; p < len(line) && line[p]-'0' <= 9; p++ {
			x = x*10 + int64(line[p]-'0')
		}
		digits := p - digitsAt
		if neg {
			x = -x
		}
		if digits == 0 || digits > 18 || p < len(line) && line[p] != delim {
			return 0, false
		}
		v.valid, v.i = true, x
		return p, true
	case kindFloat64:
		f, q, ok := decimalAt(line, p)
		if !ok || q < len(line) && line[q] != delim {
			return 0, false
		}
		v.valid, v.f = true, f
		return q, true
	case kindTimestamp:
		for _, n := range [...]int{23, 19} {
			if e := start + n; e <= len(line) && (e == len(line) || line[e] == delim) {
				if ms, ok := c.ts.parseFixed(line[start:e]); ok {
					v.valid, v.i = true, ms
					return e, true
				}
			}
		}
	}
	return 0, false
}

// indexDelim is the index of the first delim in line at or after p, or
// len(line): eight bytes at a time while eight remain.
func indexDelim(line []byte, p int, delim byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	pat := ones * uint64(delim)
	for ; p+8 <= len(line); p += 8 {
		x := binary.LittleEndian.Uint64(line[p:]) ^ pat
		// The lowest zero byte of x sets its high bit here; bytes above it
		// may be marked too (by the borrow), never below.
		if t := (x - ones) &^ x & highs; t != 0 {
			return p + bits.TrailingZeros64(t)/8
		}
	}
	for p < len(line) && line[p] != delim {
		p++
	}
	return p
}

// split splits the record at the front of data into d.fields. It returns
// the end of the record's content, the start of the next record, whether
// the record is complete (false: more data is needed), and a syntax error
// that makes the record bad.
func (d *csvDecoder) split(data []byte, atEOF bool) (end, next int, ok bool, err error) {
	d.fields = d.fields[:0]
	d.slow = false
	nl := bytes.IndexByte(data, '\n')
	line := data
	if nl >= 0 {
		line = data[:nl]
		next = nl + 1
	} else if !atEOF {
		return 0, 0, false, nil
	} else {
		next = len(data)
	}
	if bytes.IndexByte(line, '"') < 0 {
		// Fast path: no quotes, the record is this line.
		line = trimCR(line)
		end = len(line)
		for {
			j := bytes.IndexByte(line, d.delim)
			if j < 0 {
				d.fields = append(d.fields, csvField{b: line})
				break
			}
			d.fields = append(d.fields, csvField{b: line[:j]})
			line = line[j+1:]
		}
		return end, next, true, nil
	}
	d.slow = true
	return d.splitQuoted(data, atEOF)
}

// splitQuoted is split for records that contain quotes.
func (d *csvDecoder) splitQuoted(data []byte, atEOF bool) (end, next int, ok bool, err error) {
	d.unesc = d.unesc[:0]
	p := 0
	for {
		if p < len(data) && data[p] == '"' {
			p++
			start := p
			esc := false
			for {
				q := bytes.IndexByte(data[p:], '"')
				if q < 0 {
					if !atEOF {
						return 0, 0, false, nil
					}
					return len(trimNewline(data)), len(data), true, errors.New("unterminated quoted field")
				}
				p += q
				if p+1 == len(data) && !atEOF {
					return 0, 0, false, nil // is the quote doubled?
				}
				if p+1 < len(data) && data[p+1] == '"' {
					esc = true
					p += 2
					continue
				}
				break
			}
			f := csvField{b: data[start:p], quoted: true}
			if esc {
				f.esc = true
				f.s = len(d.unesc)
				d.unesc = unescapeQuotes(d.unesc, f.b)
				f.e = len(d.unesc)
			}
			d.fields = append(d.fields, f)
			p++ // the closing quote
			if p == len(data) {
				d.resolve()
				return p, p, true, nil
			}
			switch c := data[p]; {
			case c == d.delim:
				p++
				continue
			case c == '\n':
				d.resolve()
				return p, p + 1, true, nil
			case c == '\r' && p+1 < len(data) && data[p+1] == '\n':
				d.resolve()
				return p, p + 2, true, nil
			case c == '\r' && p+1 == len(data):
				if !atEOF {
					return 0, 0, false, nil
				}
				d.resolve()
				return p, p + 1, true, nil
			}
			// Text after a closing quote: skip to the end of the line.
			err = fmt.Errorf("unexpected %s after closing quote", quoteShort(data[p:p+1]))
			q := bytes.IndexByte(data[p:], '\n')
			if q < 0 {
				if !atEOF {
					return 0, 0, false, nil
				}
				return len(trimCR(data)), len(data), true, err
			}
			return len(trimCR(data[:p+q])), p + q + 1, true, err
		}
		// Unquoted field.
		start := p
		for p < len(data) && data[p] != d.delim && data[p] != '\n' {
			p++
		}
		if p == len(data) {
			if !atEOF {
				return 0, 0, false, nil
			}
			f := trimCR(data[start:])
			d.fields = append(d.fields, csvField{b: f})
			d.resolve()
			return start + len(f), len(data), true, nil
		}
		if data[p] == d.delim {
			d.fields = append(d.fields, csvField{b: data[start:p]})
			p++
			continue
		}
		f := trimCR(data[start:p])
		d.fields = append(d.fields, csvField{b: f})
		d.resolve()
		return start + len(f), p + 1, true, nil
	}
}

// trimNewline drops a trailing "\n" or "\r\n".
func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return trimCR(b[:n-1])
	}
	return b
}

// resolve points unescaped fields at their final bytes.
func (d *csvDecoder) resolve() {
	for i := range d.fields {
		if f := &d.fields[i]; f.esc {
			f.b = d.unesc[f.s:f.e]
		}
	}
}

// unescapeQuotes appends b to dst with each "" turned into ".
func unescapeQuotes(dst, b []byte) []byte {
	for {
		j := bytes.Index(b, []byte(`""`))
		if j < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:j+1]...)
		b = b[j+2:]
	}
}

// setHeader maps the header record in d.fields to the schema's columns.
func (d *csvDecoder) setHeader() error {
	d.colOf = make([]int, len(d.fields))
	seen := make([]bool, len(d.rows.cols))
	matched := 0
	for j, f := range d.fields {
		d.colOf[j] = -1
		name := strings.TrimSpace(string(f.b))
		for c := range d.rows.cols {
			if !seen[c] && strings.EqualFold(name, d.rows.cols[c].name) {
				d.colOf[j] = c
				seen[c] = true
				matched++
				break
			}
		}
	}
	if matched == 0 && len(d.rows.cols) > 0 {
		names := make([]string, len(d.rows.cols))
		for c := range d.rows.cols {
			names[c] = d.rows.cols[c].name
		}
		return fmt.Errorf("CSV header (%d fields) names none of the columns %s; check the delimiter option, or set header = 'false'",
			len(d.fields), strings.Join(names, ", "))
	}
	d.nfields = len(d.fields)
	d.mapped = true
	return nil
}

// convert parses d.fields into the row builder's pending values.
func (d *csvDecoder) convert() error {
	if len(d.fields) != d.nfields {
		return fmt.Errorf("expected %d fields, got %d", d.nfields, len(d.fields))
	}
	r := d.rows
	r.reset()
	for j := range d.fields {
		c := d.colOf[j]
		if c < 0 {
			continue
		}
		f := &d.fields[j]
		k := r.cols[c].kind
		if len(f.b) == 0 && (!f.quoted || k != kindString) {
			continue // NULL
		}
		if err := parseText(&r.cols[c], f.b, &r.vals[c]); err != nil {
			return badValue(r.cols[c].name, k, f.b, err)
		}
	}
	return nil
}
