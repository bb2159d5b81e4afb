package format

import (
	"bytes"
	"fmt"
)

// Resumer is implemented by every decoder NewDecoder returns. It lets a
// reader start decoding in the middle of its input, at a record boundary
// saved earlier (a checkpoint's position), and keep line numbers right.
type Resumer interface {
	// ReadHeader consumes, from the front of data, the header record (a
	// CSV header with header = 'true') together with any byte order mark
	// and blank lines before it, and maps the columns by it without making
	// a row. data must be the start of the input. It returns how many
	// bytes it consumed and whether the header is done; when done is false
	// the caller passes the unconsumed tail again, followed by more input.
	// Decoders without a header, and decoders that have read theirs,
	// return (0, true, nil). An error is fatal, as in Decode.
	ReadHeader(data []byte, atEOF bool) (n int, done bool, err error)
	// Resume makes the next Decode start in the middle of the input: a
	// byte order mark is no longer looked for, and the next record is
	// taken to start on line (if line > 0 and the decoder counts lines).
	Resume(line int64)
	// Line is the line on which the next record starts, from 1, or 0 if
	// the decoder does not count lines (text).
	Line() int64
	// SkipRecord finds the end of a record without holding it whole, to
	// skip one that is too long to decode. Call it first with the start
	// of the record and state 0, then with each next piece of input and
	// the state the last call returned. It returns done and how many
	// bytes of data, through the record's terminating newline, belong to
	// the record; or done = false when all of data does (n = len(data)).
	// A record ends at a newline, except that a CSV record's quoted
	// fields may contain newlines: for CSV it ends where Decode would end
	// it.
	SkipRecord(data []byte, state int) (n int, done bool, next int)
}

var (
	_ Resumer = (*csvDecoder)(nil)
	_ Resumer = (*jsonDecoder)(nil)
	_ Resumer = (*textDecoder)(nil)
)

// ReadHeader implements Resumer.
func (d *csvDecoder) ReadHeader(data []byte, atEOF bool) (int, bool, error) {
	if d.mapped {
		return 0, true, nil
	}
	i, more := d.bom.skip(data, atEOF)
	if more {
		return 0, false, nil
	}
	for i < len(data) {
		rest := data[i:]
		// Blank lines, as in Decode.
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
		_, next, ok, serr := d.split(rest, atEOF)
		if !ok {
			return i, false, nil
		}
		line := d.line
		if d.slow {
			d.line += int64(bytes.Count(rest[:next], []byte{'\n'}))
		} else if rest[next-1] == '\n' {
			d.line++
		}
		i += next
		if serr != nil {
			return i, false, fmt.Errorf("line %d: bad CSV header: %w", line, serr)
		}
		if err := d.setHeader(); err != nil {
			return i, false, fmt.Errorf("line %d: %w", line, err)
		}
		return i, true, nil
	}
	// No header yet: done only if the input has ended (it is empty).
	return i, atEOF, nil
}

// Resume implements Resumer.
func (d *csvDecoder) Resume(line int64) {
	d.bom.done = true
	if line > 0 {
		d.line = line
	}
}

// Line implements Resumer.
func (d *csvDecoder) Line() int64 { return d.line }

// The states of csvDecoder.SkipRecord.
const (
	skipFieldStart = iota // at the start of a field
	skipUnquoted          // in an unquoted field
	skipQuoted            // in a quoted field
	skipQuote             // just after a quote in a quoted field
	skipToNewline         // after text that follows a closing quote
)

// SkipRecord implements Resumer, following splitQuoted's grammar.
func (d *csvDecoder) SkipRecord(data []byte, state int) (int, bool, int) {
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch state {
		case skipFieldStart, skipUnquoted:
			switch {
			case c == '\n':
				return i + 1, true, 0
			case c == d.delim:
				state = skipFieldStart
			case c == '"' && state == skipFieldStart:
				state = skipQuoted
			default:
				state = skipUnquoted
			}
		case skipQuoted:
			j := bytes.IndexByte(data[i:], '"')
			if j < 0 {
				return len(data), false, state
			}
			i += j
			state = skipQuote
		case skipQuote:
			switch c {
			case '"':
				state = skipQuoted // an escaped quote
			case d.delim:
				state = skipFieldStart
			case '\n':
				return i + 1, true, 0
			default:
				state = skipToNewline
			}
		case skipToNewline:
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				return len(data), false, state
			}
			return i + j + 1, true, 0
		}
	}
	return len(data), false, state
}

// skipLine is SkipRecord for formats whose records are lines.
func skipLine(data []byte, state int) (int, bool, int) {
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		return j + 1, true, 0
	}
	return len(data), false, state
}

// ReadHeader implements Resumer: JSON lines have no header.
func (d *jsonDecoder) ReadHeader([]byte, bool) (int, bool, error) { return 0, true, nil }

// Resume implements Resumer.
func (d *jsonDecoder) Resume(line int64) {
	d.bom.done = true
	if line > 0 {
		d.line = line
	}
}

// Line implements Resumer.
func (d *jsonDecoder) Line() int64 { return d.line }

// SkipRecord implements Resumer: a record is a line.
func (d *jsonDecoder) SkipRecord(data []byte, state int) (int, bool, int) {
	return skipLine(data, state)
}

// ReadHeader implements Resumer: text has no header.
func (d *textDecoder) ReadHeader([]byte, bool) (int, bool, error) { return 0, true, nil }

// Resume implements Resumer; line is ignored when the decoder does not
// count lines (see textDecoder).
func (d *textDecoder) Resume(line int64) {
	d.bom.done = true
	if line > 0 && d.counting() {
		d.line = line
	}
}

// Line implements Resumer: 0 when the decoder does not count lines
// (invalid_utf8 = 'keep', or a contains filter).
func (d *textDecoder) Line() int64 { return d.line }

// SkipRecord implements Resumer: a record is a line.
func (d *textDecoder) SkipRecord(data []byte, state int) (int, bool, int) {
	return skipLine(data, state)
}
