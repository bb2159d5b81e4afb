package format

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// kind is a Weir column type, as decoders and encoders switch on it.
type kind uint8

const (
	kindInt64 kind = iota
	kindFloat64
	kindString
	kindBool
	kindTimestamp
	kindNull // encoders only: a column of bare NULLs
)

// typeName is the SQL name of k, for messages.
func (k kind) typeName() string {
	switch k {
	case kindInt64:
		return "BIGINT"
	case kindFloat64:
		return "DOUBLE"
	case kindString:
		return "VARCHAR"
	case kindBool:
		return "BOOLEAN"
	case kindTimestamp:
		return "TIMESTAMP"
	}
	return "NULL"
}

// kindOf maps an Arrow type to its kind; allowNull admits arrow.NULL.
func kindOf(f arrow.Field, allowNull bool) (kind, error) {
	switch t := f.Type.(type) {
	case *arrow.Int64Type:
		return kindInt64, nil
	case *arrow.Float64Type:
		return kindFloat64, nil
	case *arrow.StringType:
		return kindString, nil
	case *arrow.BooleanType:
		return kindBool, nil
	case *arrow.TimestampType:
		if t.Unit == arrow.Millisecond {
			return kindTimestamp, nil
		}
	case *arrow.NullType:
		if allowNull {
			return kindNull, nil
		}
	}
	return 0, fmt.Errorf("column %s: unsupported type %s", f.Name, f.Type)
}

// value is one decoded field before it is appended: a record's fields are
// all parsed first, so a bad one leaves the batch untouched.
type value struct {
	valid bool    // false: NULL
	i     int64   // BIGINT, BOOLEAN (0/1), TIMESTAMP (ms)
	f     float64 // DOUBLE
	s     []byte  // VARCHAR; aliases input or scratch until appended
}

// column is one output column, written straight into Arrow buffers:
// values (fixed-width values, a BOOLEAN's bits, or a VARCHAR's int32
// offsets), a VARCHAR's bytes, and validity bits, made only once the
// column has a NULL.
type column struct {
	name  string
	kind  kind
	typ   arrow.DataType
	ts    tsCache // TIMESTAMP: the last date parsed
	vals  *memory.Buffer
	data  *memory.Buffer
	valid *memory.Buffer
	nulls int
	// Views of the buffers' memory, to their capacity.
	i64  []int64 // BIGINT, TIMESTAMP
	f64  []float64
	offs []int32 // VARCHAR: rows+1 offsets
	bits []byte  // BOOLEAN values
	d    []byte  // VARCHAR bytes, written up to len(d)
	vb   []byte  // validity bits
}

// rowBuilder accumulates rows of a schema, a whole record at a time.
type rowBuilder struct {
	schema *arrow.Schema
	mem    memory.Allocator
	cols   []column
	vals   []value
	rows   int
	cap    int // rows the columns' buffers hold
	bytes  int // input bytes behind the pending rows
	// last is the rows of the last batch: the next one reserves as many.
	last int
	// eventCol is the event-time column, which every row must have, or -1.
	eventCol int
	// utf8 says what to do with invalid UTF-8 in VARCHAR values.
	utf8 utf8Mode
}

// newRowBuilder returns a builder of rows of schema; opts are the table's
// options (it reads invalid_utf8).
func newRowBuilder(schema *arrow.Schema, opts map[string]string, mem memory.Allocator) (*rowBuilder, error) {
	mode, err := invalidUTF8Option(opts)
	if err != nil {
		return nil, err
	}
	cols := make([]column, schema.NumFields())
	for i, f := range schema.Fields() {
		k, err := kindOf(f, false)
		if err != nil {
			return nil, err
		}
		cols[i] = column{name: f.Name, kind: k, typ: f.Type}
	}
	return &rowBuilder{schema: schema, mem: mem, cols: cols, vals: make([]value, len(cols)),
		eventCol: EventTimeColumn(schema), utf8: mode}, nil
}

// reset sets the pending values to NULL. Only valid is cleared: whoever
// makes a value valid also sets the field its column's kind reads.
func (r *rowBuilder) reset() {
	for i := range r.vals {
		r.vals[i].valid = false
	}
}

// full reports whether a record of n more input bytes must wait for a Flush.
func (r *rowBuilder) full(limit, n int) bool {
	return (limit > 0 && r.rows >= limit) || (r.rows > 0 && r.bytes+n > maxBatchBytes)
}

// grow makes room for at least rows rows in every column.
func (r *rowBuilder) grow(rows int) {
	n := max(rows, 2*r.cap, r.last, 256)
	for i := range r.cols {
		c := &r.cols[i]
		if c.vals == nil {
			c.vals = memory.NewResizableBuffer(r.mem)
		}
		switch c.kind {
		case kindInt64, kindTimestamp:
			c.vals.Reserve(8 * n)
			c.i64 = arrow.Int64Traits.CastFromBytes(c.vals.Buf())
		case kindFloat64:
			c.vals.Reserve(8 * n)
			c.f64 = arrow.Float64Traits.CastFromBytes(c.vals.Buf())
		case kindBool:
			c.vals.Reserve(int(bitutil.BytesForBits(int64(n))))
			c.bits = c.vals.Buf()
		case kindString:
			c.vals.Reserve(4 * (n + 1))
			c.offs = arrow.Int32Traits.CastFromBytes(c.vals.Buf())
			if c.data == nil {
				c.data = memory.NewResizableBuffer(r.mem)
				c.data.Reserve(max(r.last*8, 4096))
				c.d = c.data.Buf()[:0]
				c.offs[0] = 0
			}
		}
		if c.valid != nil {
			c.valid.Reserve(int(bitutil.BytesForBits(int64(n))))
			c.vb = c.valid.Buf()
		}
	}
	r.cap = n
	if len(r.cols) > 0 {
		// What the buffers hold, rounded up by the allocator.
		r.cap = r.cols[0].rowsHeld(n)
		for i := 1; i < len(r.cols); i++ {
			r.cap = min(r.cap, r.cols[i].rowsHeld(n))
		}
	}
}

// rowsHeld is how many rows c's buffers hold (at least n).
func (c *column) rowsHeld(n int) int {
	switch c.kind {
	case kindInt64, kindTimestamp:
		n = len(c.i64)
	case kindFloat64:
		n = len(c.f64)
	case kindBool:
		n = 8 * len(c.bits)
	case kindString:
		n = len(c.offs) - 1
	}
	if c.valid != nil {
		n = min(n, 8*len(c.vb))
	}
	return n
}

// setNull marks row null in c, making its validity bits on the first NULL.
func (c *column) setNull(r *rowBuilder, row int) {
	if c.valid == nil {
		c.valid = memory.NewResizableBuffer(r.mem)
		c.valid.Reserve(int(bitutil.BytesForBits(int64(r.cap))))
		c.vb = c.valid.Buf()
		// Every earlier row is valid.
		for b := 0; b < row/8; b++ {
			c.vb[b] = 0xFF
		}
		for j := row &^ 7; j < row; j++ {
			bitutil.SetBit(c.vb, j)
		}
	}
	bitutil.ClearBit(c.vb, row)
	c.nulls++
}

// commit appends the pending values as one row; n is its size in input bytes.
func (r *rowBuilder) commit(n int) {
	row := r.rows
	if row >= r.cap {
		r.grow(row + 1)
	}
	vals := r.vals[:len(r.cols)]
	for i := range r.cols {
		c := &r.cols[i]
		v := &vals[i]
		if !v.valid {
			c.setNull(r, row)
			switch c.kind {
			case kindInt64, kindTimestamp:
				c.i64[row] = 0
			case kindFloat64:
				c.f64[row] = 0
			case kindBool:
				bitutil.ClearBit(c.bits, row)
			case kindString:
				c.offs[row+1] = int32(len(c.d))
			}
			continue
		}
		if c.valid != nil {
			bitutil.SetBit(c.vb, row)
		}
		switch c.kind {
		case kindInt64, kindTimestamp:
			c.i64[row] = v.i
		case kindFloat64:
			c.f64[row] = v.f
		case kindString:
			c.appendBytes(v.s)
			c.offs[row+1] = int32(len(c.d))
		case kindBool:
			if v.i != 0 {
				bitutil.SetBit(c.bits, row)
			} else {
				bitutil.ClearBit(c.bits, row)
			}
		}
	}
	r.rows++
	r.bytes += n
}

// appendBytes appends a VARCHAR value's bytes.
func (c *column) appendBytes(s []byte) {
	if len(c.d)+len(s) > cap(c.d) {
		c.growData(len(s))
	}
	c.d = append(c.d, s...)
}

// growData makes room for need more VARCHAR bytes.
func (c *column) growData(need int) {
	n := len(c.d)
	c.data.Reserve(max(2*cap(c.d), n+need))
	c.d = c.data.Buf()[:n]
}

// flush returns the pending rows as a batch, or nil.
func (r *rowBuilder) flush() arrow.RecordBatch {
	if r.rows == 0 {
		return nil
	}
	rows := r.rows
	arrs := make([]arrow.Array, len(r.cols))
	for i := range r.cols {
		c := &r.cols[i]
		switch c.kind {
		case kindInt64, kindTimestamp, kindFloat64:
			c.vals.ResizeNoShrink(8 * rows)
		case kindBool:
			c.vals.ResizeNoShrink(int(bitutil.BytesForBits(int64(rows))))
		case kindString:
			c.vals.ResizeNoShrink(4 * (rows + 1))
			c.data.ResizeNoShrink(len(c.d))
		}
		if c.valid != nil {
			c.valid.ResizeNoShrink(int(bitutil.BytesForBits(int64(rows))))
		}
		c.vals, c.data, c.valid = r.fit(c.vals), r.fit(c.data), r.fit(c.valid)
		bufs := []*memory.Buffer{c.valid, c.vals}
		if c.kind == kindString {
			bufs = append(bufs, c.data)
		}
		data := array.NewData(c.typ, rows, bufs, nil, c.nulls, 0)
		arrs[i] = array.MakeFromData(data)
		data.Release()
		c.releaseBuffers()
	}
	b := array.NewRecordBatch(r.schema, arrs, int64(rows))
	for _, a := range arrs {
		a.Release()
	}
	r.last = rows
	r.rows, r.bytes, r.cap = 0, 0, 0
	return b
}

// fit returns b, or, when b holds far more than its length (a batch
// smaller than the one before it reserved for), a copy of b's bytes in a
// buffer of their size (releasing b), so that a batch kept keeps no
// unused memory.
func (r *rowBuilder) fit(b *memory.Buffer) *memory.Buffer {
	if b == nil || b.Cap() <= 2*b.Len()+4096 {
		return b
	}
	nb := memory.NewResizableBuffer(r.mem)
	nb.Resize(b.Len())
	copy(nb.Bytes(), b.Bytes())
	b.Release()
	return nb
}

// releaseBuffers drops c's buffers (the next row makes new ones).
func (c *column) releaseBuffers() {
	for _, b := range []*memory.Buffer{c.vals, c.data, c.valid} {
		if b != nil {
			b.Release()
		}
	}
	*c = column{name: c.name, kind: c.kind, typ: c.typ, ts: c.ts}
}

func (r *rowBuilder) release() {
	for i := range r.cols {
		r.cols[i].releaseBuffers()
	}
	r.rows, r.bytes, r.cap = 0, 0, 0
}
