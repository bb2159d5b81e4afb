package kafka

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/connectors/live"
	"github.com/weirdb/weir/vector"
)

// The metadata columns: a table column with one of these names is filled
// from the record, not from its value.
const (
	colKey       = "_key"
	colPartition = "_partition"
	colOffset    = "_offset"
	colTimestamp = "_timestamp"
)

// metaTypes are the types the metadata columns must have.
var metaTypes = map[string]arrow.DataType{
	colKey: vector.String, colPartition: vector.Int64, colOffset: vector.Int64, colTimestamp: vector.Timestamp,
}

// rowMaker turns records into rows of the table: the value decoded into
// the payload columns (every column but the metadata ones), the metadata
// columns appended from the record. It is used on the goroutine of Next.
type rowMaker struct {
	schema    *arrow.Schema
	alloc     memory.Allocator
	maxRecord int
	format    string
	utf8      string // option invalid_utf8
	// cols[i] says where table column i comes from: a metadata column
	// name, or "" for the payload column payload[i].
	cols    []string
	payload []int // the table column of each payload column
	dec     format.Decoder
	res     format.Resumer
	text    *array.StringBuilder // format text: the one payload column
	key     *array.StringBuilder
	part    *array.Int64Builder
	off     *array.Int64Builder
	ts      *array.TimestampBuilder
	n       int     // rows made since the last flush
	parts   []int32 // the partition of each of those rows
	badErr  error   // the error of the record being decoded, if bad
}

// newRowMaker checks the metadata columns' types and makes the value's
// decoder.
func newRowMaker(table string, schema *arrow.Schema, opts map[string]string, alloc memory.Allocator, maxRecord int) (*rowMaker, error) {
	m := &rowMaker{schema: schema, alloc: alloc, maxRecord: maxRecord,
		format: strings.ToLower(strings.TrimSpace(opts["format"])), utf8: strings.ToLower(strings.TrimSpace(opts["invalid_utf8"]))}
	if m.format == "" {
		m.format = "json"
	}
	switch m.utf8 {
	case "", "error", "replace", "keep":
	default:
		return nil, fmt.Errorf("table %s: option invalid_utf8: want 'error', 'replace' or 'keep', got %q", table, opts["invalid_utf8"])
	}
	var fields []arrow.Field
	for _, f := range schema.Fields() {
		name := strings.ToLower(f.Name)
		want, meta := metaTypes[name]
		if !meta {
			m.cols = append(m.cols, "")
			m.payload = append(m.payload, len(m.cols)-1)
			fields = append(fields, f)
			continue
		}
		if !arrow.TypeEqual(f.Type, want) {
			return nil, fmt.Errorf("table %s: metadata column %s must be %s, not %s", table, f.Name, metaSQLType(name), vector.TypeName(f.Type))
		}
		m.cols = append(m.cols, name)
		switch name {
		case colKey:
			m.key = array.NewStringBuilder(alloc)
		case colPartition:
			m.part = array.NewInt64Builder(alloc)
		case colOffset:
			m.off = array.NewInt64Builder(alloc)
		case colTimestamp:
			m.ts = array.NewTimestampBuilder(alloc, vector.Timestamp.(*arrow.TimestampType))
		}
	}
	if len(fields) == 0 {
		return m, nil
	}
	md := schema.Metadata()
	var ps *arrow.Schema
	if i := md.FindKey(format.EventTimeKey); i >= 0 && metaTypes[strings.ToLower(md.Values()[i])] == nil {
		ps = arrow.NewSchema(fields, &md) // the event-time column is in the value
	} else {
		ps = arrow.NewSchema(fields, nil)
	}
	if m.format == "text" {
		if len(fields) != 1 || fields[0].Type.ID() != arrow.STRING {
			return nil, fmt.Errorf("table %s: format 'text' needs exactly one VARCHAR column besides the metadata columns (%s, %s, %s, %s)", table, colKey, colPartition, colOffset, colTimestamp)
		}
		m.text = array.NewStringBuilder(alloc)
		return m, nil
	}
	dopts := make(map[string]string, len(opts)+1)
	for k, v := range opts {
		dopts[k] = v
	}
	dopts["header"] = "false" // a record is one row, never a header
	dec, err := format.NewDecoder(m.format, ps, dopts, alloc)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", table, err)
	}
	m.dec = dec
	m.res, _ = dec.(format.Resumer)
	if m.res != nil {
		m.res.Resume(1) // no byte order mark: every value is a record
	}
	return m, nil
}

func metaSQLType(name string) string {
	if name == colTimestamp {
		return "TIMESTAMP(3)"
	}
	if name == colKey {
		return "VARCHAR"
	}
	return "BIGINT"
}

// changelog reports whether the records are changes (format
// debezium-json): a record may make two rows.
func (m *rowMaker) changelog() bool { return m.format == "debezium-json" }

var errManyRecords = errors.New("the value holds more than one csv record")

// add makes r's row, or returns the bad row it is (with Table unset). A
// record without a value (a tombstone) makes no row and is not bad; nor
// is a json or csv value that is blank.
func (m *rowMaker) add(r *kgo.Record) *connectors.BadRow {
	if r.Value == nil {
		return nil
	}
	bad := func(err error) *connectors.BadRow {
		return &connectors.BadRow{Position: where(r), Record: live.Truncate(r.Value), Err: err}
	}
	if len(r.Value) > m.maxRecord {
		return bad(fmt.Errorf("record of %d bytes is longer than max_record_bytes (%d)", len(r.Value), m.maxRecord))
	}
	var key []byte
	if m.key != nil && r.Key != nil {
		key = r.Key
		if !utf8.Valid(key) {
			switch m.utf8 {
			case "replace":
				key = bytes.ToValidUTF8(key, []byte(string(utf8.RuneError)))
			case "keep":
			default:
				return bad(fmt.Errorf("invalid UTF-8 in column %s", colKey))
			}
		}
	}
	rows := 1
	switch {
	case m.text != nil:
		v := trimNewline(r.Value)
		if !utf8.Valid(v) {
			switch m.utf8 {
			case "replace":
				v = bytes.ToValidUTF8(v, []byte(string(utf8.RuneError)))
			case "keep":
			default:
				return bad(fmt.Errorf("invalid UTF-8 in column %s", m.schema.Field(m.payload[0]).Name))
			}
		}
		m.text.Append(string(v))
	case m.dec != nil:
		v := trimNewline(r.Value)
		if m.format == "csv" {
			if n, done, _ := m.res.SkipRecord(v, 0); done && len(bytes.TrimSpace(v[n:])) > 0 {
				return bad(errManyRecords)
			}
		} else if bytes.ContainsAny(v, "\r\n") {
			// Pretty-printed JSON: outside strings, where they cannot be,
			// line breaks are white space.
			v = bytes.Map(func(c rune) rune {
				if c == '\n' || c == '\r' {
					return ' '
				}
				return c
			}, v)
		}
		before := m.dec.Rows()
		m.badErr = nil
		if _, _, err := m.dec.Decode(v, 0, true, m.onBad); err != nil {
			return bad(err)
		}
		if m.badErr != nil {
			return bad(m.badErr)
		}
		if rows = m.dec.Rows() - before; rows == 0 {
			return nil // blank
		}
	}
	// Every row of the record (a debezium-json update makes two) gets
	// the record's metadata.
	for range rows {
		if m.key != nil {
			if r.Key == nil {
				m.key.AppendNull()
			} else {
				m.key.Append(string(key))
			}
		}
		if m.part != nil {
			m.part.Append(int64(r.Partition))
		}
		if m.off != nil {
			m.off.Append(r.Offset)
		}
		if m.ts != nil {
			m.ts.Append(arrow.Timestamp(r.Timestamp.UnixMilli()))
		}
		m.parts = append(m.parts, r.Partition)
	}
	m.n += rows
	return nil
}

// onBad notes the decoder's complaint about the record being decoded.
func (m *rowMaker) onBad(b format.BadRecord) error {
	m.badErr = b.Err
	return nil
}

// trimNewline drops one trailing "\n" or "\r\n".
func trimNewline(v []byte) []byte {
	v = bytes.TrimSuffix(v, []byte{'\n'})
	return bytes.TrimSuffix(v, []byte{'\r'})
}

// flush returns the rows made since the last flush as one batch of the
// table's schema, or nil if there are none.
func (m *rowMaker) flush() (arrow.RecordBatch, error) {
	if m.n == 0 {
		return nil, nil
	}
	n := m.n
	m.n = 0
	m.parts = m.parts[:0]
	cols := make([]arrow.Array, len(m.cols))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var payload arrow.RecordBatch
	switch {
	case m.text != nil:
		cols[m.payload[0]] = m.text.NewArray()
	case m.dec != nil:
		payload = m.dec.Flush()
		if payload == nil || payload.NumRows() != int64(n) {
			if payload != nil {
				payload.Release()
			}
			return nil, fmt.Errorf("internal error: the decoder made a different number of rows than records")
		}
		for i, c := range m.payload {
			cols[c] = payload.Column(i)
			cols[c].Retain()
		}
		payload.Release()
	}
	for i, name := range m.cols {
		switch name {
		case colKey:
			cols[i] = m.key.NewArray()
		case colPartition:
			cols[i] = m.part.NewArray()
		case colOffset:
			cols[i] = m.off.NewArray()
		case colTimestamp:
			cols[i] = m.ts.NewArray()
		}
	}
	return array.NewRecordBatch(m.schema, cols, int64(n)), nil
}

// discard drops the rows made since the last flush.
func (m *rowMaker) discard() {
	if b, err := m.flush(); err == nil && b != nil {
		b.Release()
	}
}

// release frees the builders and the decoder.
func (m *rowMaker) release() {
	m.discard()
	if m.dec != nil {
		m.dec.Release()
	}
	if m.text != nil {
		m.text.Release()
	}
	if m.key != nil {
		m.key.Release()
	}
	if m.part != nil {
		m.part.Release()
	}
	if m.off != nil {
		m.off.Release()
	}
	if m.ts != nil {
		m.ts.Release()
	}
}
