package exec

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SplitCount is UNNEST(STRING_TO_ARRAY(col, sep)) followed by the first
// phase of COUNT(*) GROUP BY piece, fused: it splits each value of a
// VARCHAR column on a one-byte separator and counts the pieces of each
// batch by their bytes, emitting one row per distinct piece of the batch
// (piece, count), pieces in the order they first appear. It keeps
// nothing between batches, so the aggregation after it (summing the
// counts per piece) holds the state, emits and checkpoints as it would
// over the pieces themselves.
//
// The pieces are those of Unnest: a NULL or empty value has none, and
// empty pieces (between two separators, or before a leading or after a
// trailing one) are counted unless SkipEmpty (a filter that the piece is
// not the empty string).
type SplitCount struct {
	col       int
	sep       byte
	skipEmpty bool
	schema    *arrow.Schema
	mem       memory.Allocator
	t         pieceTable
}

var _ Operator = (*SplitCount)(nil)

// NewSplitCount splits column col of input (which must be VARCHAR) on
// sep, one ASCII byte, and counts the pieces of each batch; the output
// columns are the piece (named name) and its count (named countName).
func NewSplitCount(mem memory.Allocator, input *arrow.Schema, col int, sep string, skipEmpty bool, name, countName string) (*SplitCount, error) {
	if col < 0 || col >= input.NumFields() {
		return nil, fmt.Errorf("split count: column %d out of range", col)
	}
	if t := input.Field(col).Type; t.ID() != arrow.STRING {
		return nil, fmt.Errorf("UNNEST(STRING_TO_ARRAY(...)) needs a VARCHAR value, got %s", t)
	}
	if len(sep) != 1 || sep[0] >= 0x80 {
		return nil, fmt.Errorf("split count: the separator must be one ASCII character, got %q", sep)
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: name, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: countName, Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	return &SplitCount{col: col, sep: sep[0], skipEmpty: skipEmpty, schema: schema, mem: mem}, nil
}

// String names the operator.
func (s *SplitCount) String() string { return "SplitCount" }

// Schema implements Operator: (piece VARCHAR, count BIGINT).
func (s *SplitCount) Schema() *arrow.Schema { return s.schema }

// Process implements Operator: the batch's pieces and their counts.
func (s *SplitCount) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	src := b.Column(s.col).(*array.String)
	n := src.Len()
	if n == 0 {
		return nil, nil
	}
	offs := src.ValueOffsets()
	data := src.ValueBytes()
	base := offs[0]
	t := &s.t
	t.start(data)
	nulls := src.NullN() > 0
	for i := 0; i < n; i++ {
		if nulls && src.IsNull(i) {
			continue
		}
		lo, hi := int(offs[i]-base), int(offs[i+1]-base)
		if lo == hi {
			continue
		}
		t.addLine(lo, hi, s.sep, s.skipEmpty)
	}
	if len(t.where) == 0 {
		t.clear()
		return nil, nil
	}
	out := t.emit(s.mem, s.schema)
	t.clear()
	return []arrow.RecordBatch{out}, nil
}

// Advance does nothing: the operator holds no state between batches.
func (s *SplitCount) Advance(int64) ([]arrow.RecordBatch, error) { return nil, nil }

// Close releases the table.
func (s *SplitCount) Close() { s.t = pieceTable{} }

// pieceTable counts the pieces of one batch in an open-addressing table.
// A slot holds a piece's first eight bytes, a tag of its hash, its place
// in the batch's bytes (not copied until it is emitted) and its count, so
// that finding a word of eight bytes or less touches one slot and nothing
// else. The slots are kept from batch to batch and only those used are
// cleared, so a batch allocates nothing but its output.
type pieceTable struct {
	data  []byte
	slots []pieceSlot
	mask  uint64
	where []uint32 // the slots in use, in the order their pieces came
	size  int      // bytes of all distinct pieces
}

// pieceSlot is one slot of a pieceTable; count 0 marks it empty.
type pieceSlot struct {
	key   uint64 // the piece's first 8 bytes, zero-padded
	tag   uint32 // the hash's high 32 bits
	count uint32
	start int32 // the piece is data[start : start+len]
	len   int32
}

const pieceTableMin = 1 << 12

func (t *pieceTable) start(data []byte) {
	t.data = data
	if t.slots == nil {
		t.slots = make([]pieceSlot, pieceTableMin)
		t.mask = pieceTableMin - 1
	}
}

// The SWAR constants: a byte's low bit in every byte, its high bit.
const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// addLine counts the pieces of data[lo:hi] split on sep. One 8-byte load
// at the start of a piece finds the separator of a short piece and is
// its key as well.
func (t *pieceTable) addLine(lo, hi int, sep byte, skipEmpty bool) {
	data := t.data
	pat := uint64(sep) * swarLo
	i := lo
	for {
		var w uint64
		end, more := hi, false
		if i+8 <= len(data) {
			w = load64(data[i:])
			x := w ^ pat
			j := 8
			if m := (x - swarLo) &^ x & swarHi; m != 0 {
				j = trailingZeroBytes(m)
			}
			switch rest := hi - i; {
			case j < rest && j < 8:
				end, more = i+j, true
			case rest <= 8:
				// The last piece: end stays hi.
			default:
				if k := indexSep(data[i+8:hi], sep); k >= 0 {
					end, more = i+8+k, true
				}
			}
			if n := end - i; n < 8 {
				w &= uint64(1)<<(8*n) - 1
			}
		} else {
			if k := indexSep(data[i:hi], sep); k >= 0 {
				end, more = i+k, true
			}
			for k := min(end, i+8) - 1; k >= i; k-- {
				w = w<<8 | uint64(data[k])
			}
		}
		if end > i || !skipEmpty {
			t.add(i, end, w)
		}
		if !more {
			return
		}
		i = end + 1
	}
}

// indexSep is the index of the first sep in p, or -1, testing eight
// bytes at a time in a register: pieces are short (words), where a call
// of a vector search per piece costs more than it saves.
func indexSep(p []byte, sep byte) int {
	pat := uint64(sep) * swarLo
	i := 0
	for ; i+8 <= len(p); i += 8 {
		x := load64(p[i:]) ^ pat
		if m := (x - swarLo) &^ x & swarHi; m != 0 {
			return i + trailingZeroBytes(m)
		}
	}
	for ; i < len(p); i++ {
		if p[i] == sep {
			return i
		}
	}
	return -1
}

// trailingZeroBytes is the index of the lowest byte of m with its high
// bit set (m != 0). The borrow of the subtraction in the SWAR test can
// only mark bytes above a true match, so the lowest mark is exact.
func trailingZeroBytes(m uint64) int { return bits.TrailingZeros64(m) >> 3 }

func load64(p []byte) uint64 { return binary.LittleEndian.Uint64(p) }

// pieceHash hashes a piece given its first 8 bytes (key) and all its
// bytes (wyhash's structure: 8-byte words folded by a 128-bit multiply).
func pieceHash(key uint64, p []byte) uint64 {
	const k0, k1 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db
	h := mum(key^k0, uint64(len(p))^k1)
	if len(p) <= 8 {
		return h
	}
	p = p[8:]
	for len(p) >= 8 {
		h = mum(h^load64(p), k1)
		p = p[8:]
	}
	var v uint64
	for k := len(p) - 1; k >= 0; k-- {
		v = v<<8 | uint64(p[k])
	}
	return mum(h^v, k0)
}

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// add counts the piece data[lo:hi], whose first 8 bytes are key.
func (t *pieceTable) add(lo, hi int, key uint64) {
	p := t.data[lo:hi]
	h := pieceHash(key, p)
	tag := uint32(h >> 32)
	n := int32(len(p))
	i := h & t.mask
	for {
		s := &t.slots[i]
		if s.count == 0 {
			break
		}
		if s.tag == tag && s.key == key && s.len == n &&
			(n <= 8 || string(t.data[s.start+8:s.start+n]) == string(p[8:])) {
			s.count++
			return
		}
		i = (i + 1) & t.mask
	}
	t.slots[i] = pieceSlot{key: key, tag: tag, count: 1, start: int32(lo), len: n}
	t.where = append(t.where, uint32(i))
	t.size += len(p)
	if 2*len(t.where) > len(t.slots) {
		t.grow()
	}
}

// grow doubles the slots and places every piece again, keeping their
// order.
func (t *pieceTable) grow() {
	old := t.slots
	t.slots = make([]pieceSlot, 2*len(old))
	t.mask = uint64(len(t.slots) - 1)
	for k, at := range t.where {
		s := old[at]
		h := pieceHash(s.key, t.data[s.start:s.start+s.len])
		i := h & t.mask
		for t.slots[i].count != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
		t.where[k] = uint32(i)
	}
}

// emit builds the batch of the pieces and their counts.
func (t *pieceTable) emit(mem memory.Allocator, schema *arrow.Schema) arrow.RecordBatch {
	n := len(t.where)
	valBuf := memory.NewResizableBuffer(mem)
	valBuf.Resize(t.size)
	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize((n + 1) * 4)
	cntBuf := memory.NewResizableBuffer(mem)
	cntBuf.Resize(n * 8)
	vals := valBuf.Bytes()
	outOffs := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(offBuf.Bytes()))), n+1)
	cnts := unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(cntBuf.Bytes()))), n)
	pos := 0
	outOffs[0] = 0
	for e, at := range t.where {
		s := &t.slots[at]
		pos += copy(vals[pos:], t.data[s.start:s.start+s.len])
		outOffs[e+1] = int32(pos)
		cnts[e] = int64(s.count)
	}
	wd := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, offBuf, valBuf}, nil, 0, 0)
	cd := array.NewData(arrow.PrimitiveTypes.Int64, n, []*memory.Buffer{nil, cntBuf}, nil, 0, 0)
	words, counts := array.NewStringData(wd), array.NewInt64Data(cd)
	wd.Release()
	cd.Release()
	valBuf.Release()
	offBuf.Release()
	cntBuf.Release()
	out := array.NewRecordBatch(schema, []arrow.Array{words, counts}, int64(n))
	words.Release()
	counts.Release()
	return out
}

// clear empties the table for the next batch: only the slots in use are
// reset, and the batch's bytes are no longer referenced.
func (t *pieceTable) clear() {
	for _, i := range t.where {
		t.slots[i] = pieceSlot{}
	}
	t.where = t.where[:0]
	t.size = 0
	t.data = nil
}
