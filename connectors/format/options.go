package format

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
)

// utf8Mode says what a decoder does with a VARCHAR value that is not valid
// UTF-8 (option invalid_utf8).
type utf8Mode uint8

const (
	utf8Error   utf8Mode = iota // the record is bad: "invalid UTF-8 in column x"
	utf8Replace                 // each run of invalid bytes becomes U+FFFD
	utf8Keep                    // the bytes are kept as they are
)

// invalidUTF8Option reads the "invalid_utf8" option: 'error' (the
// default), 'replace' or 'keep'.
func invalidUTF8Option(opts map[string]string) (utf8Mode, error) {
	switch v := strings.ToLower(strings.TrimSpace(opts["invalid_utf8"])); v {
	case "", "error":
		return utf8Error, nil
	case "replace":
		return utf8Replace, nil
	case "keep":
		return utf8Keep, nil
	}
	return 0, fmt.Errorf("option invalid_utf8: want 'error', 'replace' or 'keep', got %q", opts["invalid_utf8"])
}

// EventTimeKey is the schema metadata key that names a table's event-time
// (WATERMARK) column. A decoder whose schema carries it makes a record
// without a value for that column a bad row ("missing event-time column
// ts") instead of a row with a NULL time.
const EventTimeKey = "weir.event_time"

// WithEventTime returns schema with its event-time column set to col (see
// EventTimeKey). The fields are unchanged, so the result Equals schema.
func WithEventTime(schema *arrow.Schema, col string) *arrow.Schema {
	md := schema.Metadata()
	keys := append([]string{EventTimeKey}, md.Keys()...)
	vals := append([]string{col}, md.Values()...)
	for i := 1; i < len(keys); i++ {
		if keys[i] == EventTimeKey {
			keys, vals = append(keys[:i], keys[i+1:]...), append(vals[:i], vals[i+1:]...)
			break
		}
	}
	m := arrow.NewMetadata(keys, vals)
	return arrow.NewSchema(schema.Fields(), &m)
}

// EventTimeColumn returns the index of schema's event-time column (see
// EventTimeKey), or -1.
func EventTimeColumn(schema *arrow.Schema) int {
	if schema == nil {
		return -1
	}
	md := schema.Metadata()
	i := md.FindKey(EventTimeKey)
	if i < 0 {
		return -1
	}
	if idx := schema.FieldIndices(md.Values()[i]); len(idx) > 0 {
		return idx[0]
	}
	return -1
}

// utf8BlockSize is how much input a decoder checks for valid UTF-8 at
// once (a variable for tests).
var utf8BlockSize = 64 << 10

// utf8Check remembers which part of the data passed to one Decode call is
// known to be valid UTF-8. Decoders check input a block (about
// utf8BlockSize bytes, ending at a record boundary) at a time with one
// utf8.Valid, and check a block's records one by one only when the block
// is not valid: the common case costs one pass over the input.
type utf8Check struct {
	end int  // the checked block is data[:end] of this call
	ok  bool // and it is valid
}

// reset forgets the last call's data.
func (c *utf8Check) reset() { c.end, c.ok = 0, false }

// valid reports whether the block holding the record data[i:next] is valid
// UTF-8 (false: check the record itself).
func (c *utf8Check) valid(data []byte, i, next int, atEOF bool) bool {
	if next <= c.end { // inlined: most records are in the block checked last
		return c.ok
	}
	return c.check(data, i, next, atEOF)
}

// check checks the block that starts with the record data[i:next].
func (c *utf8Check) check(data []byte, i, next int, atEOF bool) bool {
	e := next
	if i+utf8BlockSize < len(data) {
		if e < i+utf8BlockSize {
			if k := bytes.IndexByte(data[i+utf8BlockSize:], '\n'); k >= 0 {
				e = i + utf8BlockSize + k + 1
			}
		}
	} else if atEOF {
		e = len(data)
	} else if k := bytes.LastIndexByte(data[next:], '\n'); k >= 0 {
		e = next + k + 1
	}
	c.end, c.ok = e, utf8.Valid(data[i:e])
	return c.ok
}

var replacementChar = []byte(string(utf8.RuneError))

// checkRow checks the pending values of a decoded record: the event-time
// column must have a value, and VARCHAR values must be valid UTF-8 unless
// the mode keeps them (blockValid says the record's input is known valid).
func (r *rowBuilder) checkRow(blockValid bool) error {
	if r.eventCol >= 0 && !r.vals[r.eventCol].valid {
		return fmt.Errorf("missing event-time column %s", r.cols[r.eventCol].name)
	}
	if blockValid || r.utf8 == utf8Keep {
		return nil
	}
	for c := range r.cols {
		v := &r.vals[c]
		if r.cols[c].kind != kindString || !v.valid || utf8.Valid(v.s) {
			continue
		}
		if r.utf8 == utf8Error {
			return fmt.Errorf("invalid UTF-8 in column %s", r.cols[c].name)
		}
		v.s = bytes.ToValidUTF8(v.s, replacementChar)
	}
	return nil
}
