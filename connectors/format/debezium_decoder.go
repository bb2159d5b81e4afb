package format

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// debeziumDecoder decodes Debezium's JSON change events, one per line,
// into a changelog, as Flink's debezium-json format does. A record is an
// envelope {"before":{...}|null,"after":{...}|null,"op":"c"|"r"|"u"|"d",
// ...}, or the same envelope in the "payload" of a schema-enabled
// converter's {"schema":{...},"payload":{...}}; its other keys (source,
// ts_ms, transaction) are skipped. Its rows:
//
//	"c", "r"  +I of after (a create, a snapshot read)
//	"u"       -U of before, then +U of after
//	"d"       -D of before
//
// The before and after images decode as the json format decodes a record
// (same keys, types and errors, prefixed "before: " or "after: "). An
// envelope that is not valid, an unknown op, or an image missing for its
// op (an update without its before image, as PostgreSQL sends without
// REPLICA IDENTITY FULL) makes the record bad. Blank lines (and Kafka
// tombstones, which never reach the decoder) make no row.
//
// The decoder's schema is the table's columns followed by the op column
// (vector.WithOpColumn); the schema given may already end with it.
type debeziumDecoder struct {
	img    *jsonDecoder  // decodes an image into the data columns
	schema *arrow.Schema // the data columns and the op column
	mem    memory.Allocator
	ops    []int8 // the row kinds of the pending rows
	line   int64
	bom    bomState
	chk    utf8Check
	keyBuf []byte
}

var _ Resumer = (*debeziumDecoder)(nil)

func newDebeziumDecoder(schema *arrow.Schema, opts map[string]string, mem memory.Allocator) (*debeziumDecoder, error) {
	data := vector.WithoutOpColumn(schema)
	img, err := newJSONDecoder(data, opts, mem)
	if err != nil {
		return nil, err
	}
	return &debeziumDecoder{img: img, schema: vector.WithOpColumn(data), mem: mem, line: 1}, nil
}

// Rows implements Decoder.
func (d *debeziumDecoder) Rows() int { return d.img.rows.rows }

// Release implements Decoder.
func (d *debeziumDecoder) Release() { d.img.Release(); d.ops = d.ops[:0] }

// Flush implements Decoder: the data columns with the op column last.
func (d *debeziumDecoder) Flush() arrow.RecordBatch {
	data := d.img.Flush()
	if data == nil {
		return nil
	}
	defer data.Release()
	b := array.NewInt8Builder(d.mem)
	defer b.Release()
	b.AppendValues(d.ops, nil)
	d.ops = d.ops[:0]
	op := b.NewArray()
	defer op.Release()
	cols := append(append([]arrow.Array(nil), data.Columns()...), op)
	return array.NewRecordBatch(d.schema, cols, data.NumRows())
}

// Decode implements Decoder. An update makes two rows, kept in one batch:
// Decode stops before one that would pass limit (so Rows() may stop one
// short of it), except that a limit of 1 gets both.
func (d *debeziumDecoder) Decode(data []byte, limit int, atEOF bool, bad func(BadRecord) error) (int, bool, error) {
	i, more := d.bom.skip(data, atEOF)
	if more {
		return 0, false, nil
	}
	d.chk.reset()
	rows := d.img.rows
	for i < len(data) {
		if limit > 0 && rows.rows >= limit {
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
		if rows.full(limit, next-i) {
			return i, true, nil
		}
		valid := rows.utf8 == utf8Keep || d.chk.valid(data, i, next, atEOF)
		room := 2
		if limit > 0 && rows.rows > 0 {
			room = limit - rows.rows
		}
		err := d.record(rec, valid, next-i, room)
		if err == errNoRoom {
			return i, true, nil
		}
		line := d.line
		d.line++
		i = next
		if err != nil && bad != nil {
			if err := bad(BadRecord{Line: line, Record: rec, Err: err}); err != nil {
				return i, false, err
			}
		}
	}
	return i, rows.full(limit, 0), nil
}

// errNoRoom says that a record's rows do not fit in the batch.
var errNoRoom = errors.New("no room for an update's two rows")

// record decodes one envelope into its rows, or none if it is bad; n is
// its size in input bytes. It makes no rows and returns errNoRoom if they
// are more than room.
func (d *debeziumDecoder) record(rec []byte, valid bool, n, room int) error {
	before, after, op, err := d.envelope(rec, 0)
	if err != nil {
		return err
	}
	var imgs [2][]byte
	var kinds [2]vector.RowKind
	names := [2]string{"after", "after"}
	switch op {
	case "c", "r":
		if after == nil {
			return fmt.Errorf("Debezium op %q without an after image", op)
		}
		imgs[0], kinds[0] = after, vector.Insert
	case "u":
		if before == nil {
			return fmt.Errorf(`Debezium op "u" without a before image: an update needs the old row (in PostgreSQL, ALTER TABLE ... REPLICA IDENTITY FULL)`)
		}
		if after == nil {
			return fmt.Errorf(`Debezium op "u" without an after image`)
		}
		if room < 2 {
			return errNoRoom
		}
		imgs, kinds = [2][]byte{before, after}, [2]vector.RowKind{vector.UpdateBefore, vector.UpdateAfter}
		names[0] = "before"
	case "d":
		if before == nil {
			return fmt.Errorf(`Debezium op "d" without a before image: a delete needs the old row (in PostgreSQL, ALTER TABLE ... REPLICA IDENTITY FULL)`)
		}
		imgs[0], kinds[0], names[0] = before, vector.Delete, "before"
	default:
		return fmt.Errorf(`unknown Debezium op %s (want "c", "r", "u" or "d")`, quoteShort([]byte(op)))
	}
	// Both images are checked before either becomes a row, so that a bad
	// after image leaves no -U behind; then decoded again to commit them.
	if imgs[1] != nil {
		for k, img := range imgs {
			if err := d.image(img, names[k], valid); err != nil {
				return err
			}
		}
	}
	for k, img := range imgs {
		if img == nil {
			break
		}
		if err := d.image(img, names[k], valid); err != nil {
			return err
		}
		d.img.rows.commit(n)
		d.ops = append(d.ops, int8(kinds[k]))
		n = 0
	}
	return nil
}

// image decodes one image, named what ("before" or "after") in
// messages, into the pending values.
func (d *debeziumDecoder) image(img []byte, what string, valid bool) error {
	err := d.img.parse(img)
	if err == nil {
		err = d.img.rows.checkRow(valid)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// envelope finds a record's before and after images (nil when null or
// absent) and its op; depth 0 is the record, 1 its "payload".
func (d *debeziumDecoder) envelope(rec []byte, depth int) (before, after []byte, op string, err error) {
	s := jsonScanner{b: rec}
	s.ws()
	if s.peek() != '{' {
		return nil, nil, "", fmt.Errorf("expected a Debezium envelope (a JSON object with before, after and op), got %s", quoteShort(rec[s.p:min(len(rec), s.p+16)]))
	}
	s.p++
	s.ws()
	var payload []byte
	hasOp := false
	for s.peek() != '}' {
		if s.peek() != '"' {
			return nil, nil, "", s.unexpected("a string key")
		}
		key, esc, err := s.str()
		if err != nil {
			return nil, nil, "", err
		}
		if esc {
			d.keyBuf = unescapeJSON(d.keyBuf[:0], key)
			key = d.keyBuf
		}
		name := string(key)
		s.ws()
		if s.peek() != ':' {
			return nil, nil, "", s.unexpected("':'")
		}
		s.p++
		s.ws()
		start := s.p
		if err := s.skip(depth + 1); err != nil {
			return nil, nil, "", err
		}
		val := rec[start:s.p]
		switch name {
		case "before", "after":
			img, err := imageOf(name, val)
			if err != nil {
				return nil, nil, "", err
			}
			if name == "before" {
				before = img
			} else {
				after = img
			}
		case "op":
			if len(val) == 0 || val[0] != '"' {
				return nil, nil, "", fmt.Errorf(`Debezium "op" must be a string, got %s`, quoteShort(val))
			}
			vs := jsonScanner{b: val}
			raw, esc, _ := vs.str()
			if esc {
				raw = unescapeJSON(nil, raw)
			}
			op, hasOp = string(raw), true
		case "payload":
			payload = val
		}
		s.ws()
		if s.peek() == ',' {
			s.p++
			s.ws()
			if s.peek() == '}' {
				return nil, nil, "", s.unexpected("a string key")
			}
		} else if s.peek() != '}' {
			return nil, nil, "", s.unexpected("',' or '}'")
		}
	}
	s.p++
	s.ws()
	if s.p != len(rec) {
		return nil, nil, "", s.errorf("unexpected %s after the object", quoteShort(rec[s.p:s.p+1]))
	}
	if !hasOp {
		if depth == 0 && len(payload) > 0 && payload[0] == '{' {
			return d.envelope(payload, 1)
		}
		return nil, nil, "", fmt.Errorf(`not a Debezium envelope: no "op" key`)
	}
	return before, after, op, nil
}

// imageOf checks that val, the value of key "before" or "after", is an
// object or null, and returns it (nil for null).
func imageOf(name string, val []byte) ([]byte, error) {
	if string(val) == "null" {
		return nil, nil
	}
	if len(val) == 0 || val[0] != '{' {
		return nil, fmt.Errorf("Debezium %q must be an object or null, got %s", name, quoteShort(val))
	}
	return val, nil
}

// ReadHeader implements Resumer: there is no header.
func (d *debeziumDecoder) ReadHeader([]byte, bool) (int, bool, error) { return 0, true, nil }

// Resume implements Resumer.
func (d *debeziumDecoder) Resume(line int64) {
	d.bom.done = true
	if line > 0 {
		d.line = line
	}
}

// Line implements Resumer.
func (d *debeziumDecoder) Line() int64 { return d.line }

// SkipRecord implements Resumer: a record is a line.
func (d *debeziumDecoder) SkipRecord(data []byte, state int) (int, bool, int) {
	return skipLine(data, state)
}
