package format

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// textDecoder makes each line a row of its one VARCHAR column, without the
// line's '\n' or "\r\n"; empty lines are rows holding "". It builds the
// string column's buffers directly: one copy of each line, one offset per
// line, no per-row builder calls. A line that is not valid UTF-8 is bad
// unless option invalid_utf8 is 'replace' or 'keep'; the input is checked a
// block at a time (see utf8Check), and lines are counted, for bad records'
// line numbers, only when invalid_utf8 is not 'keep' and there is no
// contains filter.
type textDecoder struct {
	schema  *arrow.Schema
	mem     memory.Allocator
	values  *memory.Buffer // string bytes
	offsets *memory.Buffer // int32 offsets, rows+1 of them
	vals    []byte         // values' bytes, len = capacity
	offs    []int32        // offsets' int32s, len = capacity
	nvals   int
	rows    int
	hintV   int // capacity to start the next batch with
	hintO   int
	bom     bomState
	// contains, when set, keeps only the lines holding it (see
	// ContainsFilter): the chunk is searched as a whole, not line by line.
	contains []byte
	utf8     utf8Mode
	line     int64 // the line the next Decode starts on; 0 if not counting
	badLines int   // bad lines in this Decode
	chk      utf8Check
}

// ContainsFilter is implemented by decoders that can skip, without
// decoding them, the records that do not contain a given text.
type ContainsFilter interface {
	// SetContains makes the decoder keep only records containing sub.
	SetContains(sub string)
}

// SetContains implements ContainsFilter. The decoder then stops counting
// lines, which would cost a pass over the input it skips: Line() is 0, and
// so is BadRecord.Line (see BadRecord for how to find the record).
func (d *textDecoder) SetContains(sub string) {
	d.contains = []byte(sub)
	if sub != "" {
		d.line = 0
	}
}

// counting reports whether the decoder counts lines: when it checks UTF-8
// and has no contains filter.
func (d *textDecoder) counting() bool { return d.utf8 != utf8Keep && len(d.contains) == 0 }

func newTextDecoder(schema *arrow.Schema, opts map[string]string, mem memory.Allocator) (*textDecoder, error) {
	if schema.NumFields() != 1 || schema.Field(0).Type.ID() != arrow.STRING {
		return nil, fmt.Errorf("format 'text' needs a table of exactly one VARCHAR column, not (%s)", describeFields(schema))
	}
	mode, err := invalidUTF8Option(opts)
	if err != nil {
		return nil, err
	}
	d := &textDecoder{schema: schema, mem: mem, hintV: 1024, hintO: 256, utf8: mode}
	if mode != utf8Keep {
		d.line = 1
	}
	return d, nil
}

func describeFields(schema *arrow.Schema) string {
	var b bytes.Buffer
	for i, f := range schema.Fields() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", f.Name, f.Type)
	}
	return b.String()
}

func (d *textDecoder) Rows() int { return d.rows }

// growValues makes room for n more value bytes.
func (d *textDecoder) growValues(n int) {
	if d.values == nil {
		d.values = memory.NewResizableBuffer(d.mem)
	}
	c := max(2*len(d.vals), d.nvals+n, d.hintV)
	d.values.Reserve(c)
	d.vals = d.values.Buf()
}

// growOffsets makes room for one more offset.
func (d *textDecoder) growOffsets() {
	if d.offsets == nil {
		d.offsets = memory.NewResizableBuffer(d.mem)
	}
	c := max(2*len(d.offs), d.hintO, 2)
	d.offsets.Reserve(c * 4)
	d.offs = arrow.Int32Traits.CastFromBytes(d.offsets.Buf())
	if d.rows == 0 {
		d.offs[0] = 0
	}
}

func (d *textDecoder) Decode(data []byte, limit int, atEOF bool, bad func(BadRecord) error) (int, bool, error) {
	i, more := d.bom.skip(data, atEOF)
	if more {
		return 0, false, nil
	}
	rows := d.rows
	d.badLines = 0
	n, full, err := d.decode(data, i, limit, atEOF, bad)
	if d.counting() {
		// Without a contains filter every line consumed became a row or
		// was bad.
		d.line += int64(d.rows - rows + d.badLines)
	}
	return n, full, err
}

// decode is Decode after the byte order mark, from data[i:].
func (d *textDecoder) decode(data []byte, i, limit int, atEOF bool, bad func(BadRecord) error) (int, bool, error) {
	if limit <= 0 {
		limit = int(^uint(0) >> 1)
	}
	d.chk.reset()
	check := d.utf8 != utf8Keep
	rows0 := d.rows
	vals, offs, nvals, rows := d.vals, d.offs, d.nvals, d.rows
	for i < len(data) {
		if len(d.contains) > 0 {
			// Jump to the next line holding the text: one search over the
			// whole chunk instead of one per line.
			k := bytes.Index(data[i:], d.contains)
			if k < 0 {
				if atEOF {
					i = len(data)
				} else if nl := bytes.LastIndexByte(data[i:], '\n'); nl >= 0 {
					i += nl + 1 // keep the unfinished last line for the next call
				}
				break
			}
			if nl := bytes.LastIndexByte(data[i:i+k], '\n'); nl >= 0 {
				i += nl + 1 // the start of the line holding the match
			}
		}
		if rows >= limit {
			d.nvals, d.rows = nvals, rows
			return i, true, nil
		}
		// nextLine, written out: it is too large to inline, and this is
		// the loop of the word count and grep.
		j := bytes.IndexByte(data[i:], '\n')
		var line []byte
		next := 0
		if j >= 0 {
			line = data[i : i+j]
			next = i + j + 1
		} else if atEOF {
			line = data[i:]
			next = len(data)
		} else {
			break
		}
		line = trimCR(line)
		// With a contains filter most of the input is skipped unread, so
		// only the lines kept are checked, one by one.
		if check && (len(d.contains) > 0 || !d.chk.valid(data, i, next, atEOF)) && !utf8.Valid(line) {
			if d.utf8 == utf8Replace {
				line = bytes.ToValidUTF8(line, replacementChar)
			} else {
				var at int64 // the line's number, when counting
				if d.counting() {
					at = d.line + int64(rows-rows0+d.badLines)
				}
				d.badLines++
				i = next
				if bad != nil {
					err := bad(BadRecord{Line: at, Record: line, Err: fmt.Errorf("invalid UTF-8 in column %s", d.schema.Field(0).Name)})
					if err != nil {
						d.nvals, d.rows = nvals, rows
						return i, false, err
					}
				}
				continue
			}
		}
		if rows > 0 && nvals+len(line) > maxBatchBytes {
			d.nvals, d.rows = nvals, rows
			return i, true, nil
		}
		if nvals+len(line) > len(vals) || rows+2 > len(offs) {
			d.nvals, d.rows = nvals, rows
			if nvals+len(line) > len(vals) {
				d.growValues(len(line))
			}
			if rows+2 > len(offs) {
				d.growOffsets()
			}
			vals, offs = d.vals, d.offs
		}
		nvals += copy(vals[nvals:], line)
		rows++
		offs[rows] = int32(nvals)
		i = next
	}
	d.nvals, d.rows = nvals, rows
	return i, rows >= limit, nil
}

func (d *textDecoder) Flush() arrow.RecordBatch {
	if d.rows == 0 {
		return nil
	}
	if d.values == nil {
		d.growValues(0)
	}
	d.values.ResizeNoShrink(d.nvals)
	d.offsets.ResizeNoShrink((d.rows + 1) * 4)
	data := array.NewData(d.schema.Field(0).Type, d.rows, []*memory.Buffer{nil, d.offsets, d.values}, nil, 0, 0)
	arr := array.MakeFromData(data)
	data.Release()
	batch := array.NewRecordBatch(d.schema, []arrow.Array{arr}, int64(d.rows))
	arr.Release()
	d.hintV, d.hintO = d.nvals+d.nvals/8, d.rows+1+d.rows/8
	d.values.Release()
	d.offsets.Release()
	d.values, d.offsets, d.vals, d.offs = nil, nil, nil, nil
	d.nvals, d.rows = 0, 0
	return batch
}

func (d *textDecoder) Release() {
	if d.values != nil {
		d.values.Release()
	}
	if d.offsets != nil {
		d.offsets.Release()
	}
	d.values, d.offsets, d.vals, d.offs = nil, nil, nil, nil
	d.nvals, d.rows = 0, 0
}
