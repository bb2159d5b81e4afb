package vector

import (
	"encoding/binary"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// This file holds the low-level helpers every kernel uses: allocating
// output buffers from the caller's allocator, reading the values of an
// input array (honouring its offset), combining validity bitmaps, and
// wrapping finished buffers into arrays.

// newBuffer allocates a buffer of exactly size bytes. Its contents are
// not zeroed; callers write every byte they rely on.
func newBuffer(mem memory.Allocator, size int) *memory.Buffer {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(size)
	return buf
}

// newBitmap allocates a zeroed bitmap of n bits.
func newBitmap(mem memory.Allocator, n int) *memory.Buffer {
	buf := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	clear(buf.Bytes())
	return buf
}

// newOnesBitmap allocates a bitmap of n bits, all set.
func newOnesBitmap(mem memory.Allocator, n int) *memory.Buffer {
	buf := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	b := buf.Bytes()
	for i := range b {
		b[i] = 0xFF
	}
	return buf
}

// int64Slice views a buffer as int64 values.
func int64Slice(buf *memory.Buffer) []int64 {
	return arrow.Int64Traits.CastFromBytes(buf.Bytes())
}

// float64Slice views a buffer as float64 values.
func float64Slice(buf *memory.Buffer) []float64 {
	return arrow.Float64Traits.CastFromBytes(buf.Bytes())
}

// int64Values returns the values of an Int64 or Timestamp array, sliced to
// the array's offset and length.
func int64Values(a arrow.Array) []int64 {
	d := a.Data()
	if d.Len() == 0 || d.Buffers()[1] == nil {
		return nil
	}
	return arrow.Int64Traits.CastFromBytes(d.Buffers()[1].Bytes())[d.Offset() : d.Offset()+d.Len()]
}

// float64Values returns the values of a Float64 array, sliced to the
// array's offset and length.
func float64Values(a arrow.Array) []float64 {
	d := a.Data()
	if d.Len() == 0 || d.Buffers()[1] == nil {
		return nil
	}
	return arrow.Float64Traits.CastFromBytes(d.Buffers()[1].Bytes())[d.Offset() : d.Offset()+d.Len()]
}

// boolBits returns the value bitmap of a Boolean array and its bit offset.
func boolBits(a arrow.Array) ([]byte, int) {
	d := a.Data()
	if d.Buffers()[1] == nil {
		return nil, 0
	}
	return d.Buffers()[1].Bytes(), d.Offset()
}

// validity returns the validity bitmap of a and its bit offset, or nil if
// a has no nulls. Arrays of type Null are not expected here.
func validity(a arrow.Array) ([]byte, int) {
	if a.NullN() == 0 {
		return nil, 0
	}
	return a.NullBitmapBytes(), a.Data().Offset()
}

// strVals is a cheap view of a String array's offsets and bytes, with the
// array offset already applied: value i is data[offs[i]:offs[i+1]].
type strVals struct {
	offs []int32
	data string
}

// stringValues returns the view of a String array.
func stringValues(a arrow.Array) strVals {
	d := a.Data()
	n := d.Len()
	if n == 0 || d.Buffers()[1] == nil {
		return strVals{offs: []int32{0}}
	}
	offs := arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())[d.Offset() : d.Offset()+n+1]
	var data string
	if b := d.Buffers()[2]; b != nil && b.Len() > 0 {
		bs := b.Bytes()
		data = unsafe.String(&bs[0], len(bs))
	}
	return strVals{offs: offs, data: data}
}

// at returns value i.
func (s strVals) at(i int) string { return s.data[s.offs[i]:s.offs[i+1]] }

// span returns the bytes holding every value, from the first offset to the
// last.
func (s strVals) span() string { return s.data[s.offs[0]:s.offs[len(s.offs)-1]] }

// len returns the number of values.
func (s strVals) len() int { return len(s.offs) - 1 }

// combineValidity returns the AND of the validity bitmaps of arrs (nil
// entries are ignored) as a new bitmap of n bits at offset 0, or nil when
// none of them has nulls.
func combineValidity(mem memory.Allocator, n int, arrs ...arrow.Array) *memory.Buffer {
	var out *memory.Buffer
	for _, a := range arrs {
		if a == nil {
			continue
		}
		bm, off := validity(a)
		if bm == nil {
			continue
		}
		if out == nil {
			out = newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
			bitutil.CopyBitmap(bm, off, n, out.Bytes(), 0)
			continue
		}
		bitutil.BitmapAnd(out.Bytes(), bm, 0, int64(off), out.Bytes(), 0, int64(n))
	}
	return out
}

// finish wraps buffers into an array of type typ and length n, taking
// over the caller's references to the buffers (nil buffers are allowed).
// The null count is computed here, so that NullN on the result is a plain
// read (safe to share between goroutines); a validity bitmap without
// nulls is dropped.
func finish(typ arrow.DataType, n int, valid *memory.Buffer, bufs ...*memory.Buffer) arrow.Array {
	nulls := 0
	if valid != nil {
		nulls = n - bitutil.CountSetBits(valid.Bytes(), 0, n)
		if nulls == 0 {
			valid.Release()
			valid = nil
		}
	}
	all := make([]*memory.Buffer, 0, 1+len(bufs))
	all = append(all, valid)
	all = append(all, bufs...)
	data := array.NewData(typ, n, all, nil, nulls, 0)
	for _, b := range all {
		if b != nil {
			b.Release()
		}
	}
	arr := array.MakeFromData(data)
	data.Release()
	return arr
}

// retype returns a zero-copy view of a fixed-width array with another type
// of the same width (Int64 <-> Timestamp).
func retype(a arrow.Array, typ arrow.DataType) arrow.Array {
	d := a.Data()
	data := array.NewData(typ, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
	arr := array.MakeFromData(data)
	data.Release()
	return arr
}

// markNull clears bit i of valid (creating it, all set, if nil) and
// returns it. Kernels use it to turn extra rows into NULL (division by
// zero, unparsable text).
func markNull(mem memory.Allocator, valid *memory.Buffer, n, i int) *memory.Buffer {
	if valid == nil {
		valid = newOnesBitmap(mem, n)
	}
	bitutil.ClearBit(valid.Bytes(), i)
	return valid
}

// strOut builds the offsets and bytes of a String array directly in
// allocator memory. Rows are written in order: append the bytes of row i,
// then call end(i).
type strOut struct {
	offBuf  *memory.Buffer
	dataBuf *memory.Buffer
	offs    []int32
	data    []byte
}

// newStrOut prepares n rows with an initial capacity of hint bytes.
func newStrOut(mem memory.Allocator, n, hint int) *strOut {
	s := &strOut{offBuf: newBuffer(mem, (n+1)*4), dataBuf: memory.NewResizableBuffer(mem)}
	s.offs = arrow.Int32Traits.CastFromBytes(s.offBuf.Bytes())
	s.offs[0] = 0
	if hint < 64 {
		hint = 64
	}
	s.dataBuf.Reserve(hint)
	s.data = s.dataBuf.Buf()[:0]
	return s
}

// reserve makes room for k more bytes.
func (s *strOut) reserve(k int) {
	if len(s.data)+k <= cap(s.data) {
		return
	}
	need := len(s.data) + k
	newCap := 2 * cap(s.data)
	if newCap < need {
		newCap = need
	}
	s.dataBuf.ResizeNoShrink(len(s.data))
	s.dataBuf.Reserve(newCap)
	s.data = s.dataBuf.Buf()[:len(s.data)]
}

// appendString appends v to the current row.
func (s *strOut) appendString(v string) {
	s.reserve(len(v))
	s.data = append(s.data, v...)
}

// end closes row i.
func (s *strOut) end(i int) { s.offs[i+1] = int32(len(s.data)) }

// finish returns the String array of n rows.
func (s *strOut) finish(valid *memory.Buffer, n int) arrow.Array {
	s.dataBuf.ResizeNoShrink(len(s.data))
	arr := finish(String, n, valid, s.offBuf, s.dataBuf)
	s.offBuf, s.dataBuf, s.offs, s.data = nil, nil, nil, nil
	return arr
}

// isASCII reports whether s holds only ASCII bytes, 32 at a time.
func isASCII(s string) bool {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+32 <= len(b); i += 32 {
		w := binary.LittleEndian.Uint64(b[i:]) | binary.LittleEndian.Uint64(b[i+8:]) |
			binary.LittleEndian.Uint64(b[i+16:]) | binary.LittleEndian.Uint64(b[i+24:])
		if w&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= 0x80 {
			return false
		}
	}
	return true
}
