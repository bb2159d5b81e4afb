package format

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Decoder decodes records of one format into record batches of one schema.
//
// A caller feeds it bytes in chunks of any size with Decode, which consumes
// whole records from the front of each chunk and appends their rows to the
// batch being built; the caller keeps the unconsumed tail and passes it again,
// followed by more input, on the next call. Flush hands over the rows decoded
// so far as one batch. Records never need to be split by the caller: the
// decoder itself knows where a record ends (for CSV, a newline inside quotes
// does not end one).
//
// A Decoder counts lines from 1 across calls, so BadRecord.Line is the line
// of the input on which a bad record starts. A Decoder is not safe for
// concurrent use, but decoders share no state: several goroutines may each
// decode with their own (as a source decoding chunks in parallel does).
type Decoder interface {
	// Decode consumes whole records from the front of data and returns how
	// many bytes it consumed. Records end at '\n' (a trailing '\r' is
	// dropped) or, when atEOF is true, at the end of data; when atEOF is
	// false a last record that is not yet ended is left unconsumed for the
	// next call. Decode stops, with full = true, once Rows() reaches limit
	// (no limit if limit <= 0) or the pending rows hold about 1 GiB of
	// input; the caller must then Flush before decoding more. With atEOF
	// true and full false, all of data was consumed. A header (CSV) is
	// consumed without making a row; blank lines (CSV, JSON) likewise.
	//
	// Each record that cannot be decoded is passed to bad (which may be nil)
	// and skipped; if bad returns an error, Decode stops after that record
	// and returns the error unchanged. Other errors (such as a CSV header
	// that names none of the schema's columns) are fatal: the decoder must
	// not be used again, except to Release it.
	Decode(data []byte, limit int, atEOF bool, bad func(BadRecord) error) (n int, full bool, err error)
	// Flush returns the rows decoded since the last Flush as one batch with
	// the decoder's schema, or nil if there are none. The caller releases it.
	Flush() arrow.RecordBatch
	// Rows is the number of rows decoded since the last Flush.
	Rows() int
	// Release frees the decoder's buffers, including unflushed rows.
	Release()
}

// BadRecord is a record that a Decoder could not decode.
type BadRecord struct {
	// Line is the line of the input on which the record starts, from 1,
	// or 0 from a decoder that does not count lines (Resumer.Line is 0): a
	// caller that wants it then finds the record's offset in the data
	// passed to Decode as cap(data) - cap(Record), and counts.
	Line int64
	// Record is the record's bytes without its line terminator. It aliases
	// the data passed to Decode (from where the record starts): copy it to
	// keep it.
	Record []byte
	// Err says what is wrong with the record.
	Err error
}

// Formats are the record formats NewDecoder accepts.
var Formats = []string{"csv", "json", "text", "debezium-json"}

// NewDecoder returns a decoder of format ("csv", "json" — also "jsonl" and
// "ndjson" —, "text" or "debezium-json") into batches of schema, allocated
// with mem. A "debezium-json" decoder makes a changelog: its batches have
// schema's columns followed by the op column (vector.WithOpColumn; schema
// may already end with it); see debeziumDecoder.
//
// Every field of schema must be one of Weir's column types (BIGINT, DOUBLE,
// VARCHAR, BOOLEAN, TIMESTAMP(3)). opts are the table's options with
// lower-cased keys; options of other components are ignored. CSV reads
// "header" ("true", the default, or "false") and "delimiter" (one ASCII
// character, default ","; "\t" or "tab" for a tab). Every format reads
// "invalid_utf8": a VARCHAR value that is not valid UTF-8 makes its record
// bad ("invalid UTF-8 in column x") with "error" (the default), becomes
// valid with each run of bad bytes replaced by U+FFFD with "replace"
// (strings.ToValidUTF8), or is kept as it is with "keep". The text format
// needs a schema of exactly one VARCHAR column. If schema names an
// event-time column (WithEventTime), a CSV or JSON record without a value
// for it is bad ("missing event-time column ts"). A nil mem means
// memory.DefaultAllocator.
func NewDecoder(format string, schema *arrow.Schema, opts map[string]string, mem memory.Allocator) (Decoder, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	switch strings.ToLower(format) {
	case "csv":
		return newCSVDecoder(schema, opts, mem)
	case "json", "jsonl", "ndjson":
		return newJSONDecoder(schema, opts, mem)
	case "text":
		return newTextDecoder(schema, opts, mem)
	case "debezium-json":
		return newDebeziumDecoder(schema, opts, mem)
	}
	return nil, fmt.Errorf("unknown format %q (have %s)", format, strings.Join(Formats, ", "))
}

// maxBatchBytes bounds the input bytes behind one batch so that string
// offsets (int32) cannot overflow.
const maxBatchBytes = 1 << 30

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// bomState strips a UTF-8 byte order mark from the very start of input.
type bomState struct{ done bool }

// skip returns how many bytes of data to skip as a byte order mark, and
// whether more data is needed to decide.
func (s *bomState) skip(data []byte, atEOF bool) (n int, more bool) {
	if s.done {
		return 0, false
	}
	if len(data) < len(utf8BOM) && !atEOF && bytes.HasPrefix(utf8BOM, data) {
		return 0, true
	}
	s.done = true
	if bytes.HasPrefix(data, utf8BOM) {
		return len(utf8BOM), false
	}
	return 0, false
}

// trimCR drops one trailing '\r'.
func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// nextLine returns the line that starts at data[i], without its "\n" or
// "\r\n", and where the next line starts; ok is false when the line does
// not end within data and more may come (not atEOF).
func nextLine(data []byte, i int, atEOF bool) (line []byte, next int, ok bool) {
	j := bytes.IndexByte(data[i:], '\n')
	switch {
	case j >= 0:
		line, next = data[i:i+j], i+j+1
	case atEOF:
		line, next = data[i:], len(data)
	default:
		return nil, i, false
	}
	return trimCR(line), next, true
}
