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
// A slot holds a piece's first sixteen bytes, a tag of its hash with its
// length, and its count, so that finding a piece of sixteen bytes or less
// (a word) reads one slot and nothing else; longer pieces are compared
// with their first occurrence. Each distinct piece is also an entry, in
// the order the pieces first came: its place in the batch's bytes (not
// copied until it is emitted) and its slot. The arrays are kept from
// batch to batch and only the slots used are cleared, so a batch
// allocates nothing but its output.
type pieceTable struct {
	data    []byte
	slots   []pieceSlot
	entries []uint32 // per slot: its piece's entry (read for long pieces)
	mask    uint64
	starts  []int32 // per entry: the piece is data[start : start+len]
	lens    []int32
	where   []uint32 // per entry: its slot
	size    int      // bytes of all distinct pieces
}

// pieceSlot is one slot of a pieceTable; count 0 marks it empty.
type pieceSlot struct {
	k0, k1 uint64 // the piece's first 16 bytes, zero-padded
	meta   uint32 // the hash's high 20 bits, then the length (up to pieceLenMax)
	count  uint32
}

// pieceLenMax is the largest length a slot's meta holds; a longer
// piece's length is compared from lens.
const pieceLenMax = 1<<12 - 1

// pieceMeta is a slot's meta for a piece of n bytes hashed to h.
func pieceMeta(h uint64, n int) uint32 {
	return uint32(h>>44)<<12 | uint32(min(n, pieceLenMax))
}

const pieceTableMin = 1 << 12

func (t *pieceTable) start(data []byte) {
	t.data = data
	if t.slots == nil {
		t.alloc(pieceTableMin)
	}
}

// The SWAR constants: a byte's low bit in every byte, its high bit.
const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// firstByte is the index of the first byte of x that is zero, 8 if none
// (the SWAR test: the borrow of the subtraction can only mark bytes above
// a true zero, so the lowest mark is exact).
func firstByte(x uint64) int {
	return bits.TrailingZeros64((x-swarLo)&^x&swarHi) >> 3
}

// keyMasks[n] keeps the first n bytes of a piece's 16-byte key.
var keyMasks = func() (m [17][2]uint64) {
	for n := range m {
		for b := range min(n, 8) {
			m[n][0] |= 0xff << (8 * b)
		}
		for b := range max(n-8, 0) {
			m[n][1] |= 0xff << (8 * b)
		}
	}
	return m
}()

// addLine counts the pieces of data[lo:hi] split on sep. Two 8-byte loads
// at the start of a piece find the separator of a piece of up to 16
// bytes and are its key as well.
func (t *pieceTable) addLine(lo, hi int, sep byte, skipEmpty bool) {
	data := t.data
	base := unsafe.Pointer(unsafe.SliceData(data))
	pat := uint64(sep) * swarLo
	i := lo
	for {
		end, more := hi, false
		var k0, k1 uint64
		if i+16 <= len(data) {
			p := unsafe.Add(base, i)
			k0, k1 = *(*uint64)(p), *(*uint64)(unsafe.Add(p, 8))
			// The first separator in the 16 bytes (16: none), chosen
			// without a branch: whether a word is longer than 8 bytes
			// is a coin toss the processor cannot predict.
			j := firstByte(k0 ^ pat)
			j += firstByte(k1^pat) * (j >> 3)
			rest := hi - i
			if j < 16 {
				if j < rest {
					end, more = i+j, true
				}
			} else if rest > 16 {
				if k := indexSep(data[i+16:hi], sep); k >= 0 {
					end, more = i+16+k, true
				}
			}
			n := min(end-i, 16)
			k0 &= keyMasks[n][0]
			k1 &= keyMasks[n][1]
		} else {
			if k := indexSep(data[i:hi], sep); k >= 0 {
				end, more = i+k, true
			}
			for k := min(end, i+16) - 1; k >= i; k-- {
				k1 = k1<<8 | k0>>56
				k0 = k0<<8 | uint64(data[k])
			}
		}
		switch n := end - i; {
		case n > 16:
			t.addLong(i, n, k0, k1)
		case n > 0 || !skipEmpty:
			h := mum(k0^hashK0, k1^uint64(n)^hashK1)
			meta := pieceMeta(h, n)
			at := h & t.mask
			for {
				s := &t.slots[at]
				if s.count == 0 {
					t.insert(at, i, n, pieceSlot{k0: k0, k1: k1, meta: meta, count: 1})
					break
				}
				if s.meta == meta && s.k0 == k0 && s.k1 == k1 {
					s.count++
					break
				}
				at = (at + 1) & t.mask
			}
		}
		if !more {
			return
		}
		i = end + 1
	}
}

// addLong counts the piece data[i:i+n], longer than 16 bytes, whose
// first 16 bytes are k0, k1.
func (t *pieceTable) addLong(i, n int, k0, k1 uint64) {
	p := t.data[i : i+n]
	h := pieceHash(k0, k1, p)
	meta := pieceMeta(h, n)
	at := h & t.mask
	for {
		s := &t.slots[at]
		if s.count == 0 {
			t.insert(at, i, n, pieceSlot{k0: k0, k1: k1, meta: meta, count: 1})
			return
		}
		if s.meta == meta && s.k0 == k0 && s.k1 == k1 {
			e := t.entries[at]
			start := t.starts[e]
			if int(t.lens[e]) == n && string(t.data[start+16:int(start)+n]) == string(p[16:]) {
				s.count++
				return
			}
		}
		at = (at + 1) & t.mask
	}
}

// indexSep is the index of the first sep in p, or -1, testing eight
// bytes at a time in a register: pieces are short (words), where a call
// of a vector search per piece costs more than it saves.
func indexSep(p []byte, sep byte) int {
	pat := uint64(sep) * swarLo
	i := 0
	for ; i+8 <= len(p); i += 8 {
		if j := firstByte(load64(p[i:]) ^ pat); j < 8 {
			return i + j
		}
	}
	for ; i < len(p); i++ {
		if p[i] == sep {
			return i
		}
	}
	return -1
}

func load64(p []byte) uint64 { return binary.LittleEndian.Uint64(p) }

// The hash's constants (wyhash's).
const hashK0, hashK1 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db

// pieceHash hashes a piece given its first 16 bytes (k0, k1) and all its
// bytes (wyhash's structure: 8-byte words folded by a 128-bit multiply).
// Pieces of up to 16 bytes are hashed inline in addLine, the same way.
func pieceHash(k0, k1 uint64, p []byte) uint64 {
	h := mum(k0^hashK0, k1^uint64(len(p))^hashK1)
	if len(p) <= 16 {
		return h
	}
	p = p[16:]
	for len(p) >= 8 {
		h = mum(h^load64(p), hashK1)
		p = p[8:]
	}
	var v uint64
	for k := len(p) - 1; k >= 0; k-- {
		v = v<<8 | uint64(p[k])
	}
	return mum(h^v, hashK0)
}

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// alloc makes n empty slots (n a power of two).
func (t *pieceTable) alloc(n int) {
	t.slots = make([]pieceSlot, n)
	t.entries = make([]uint32, n)
	t.mask = uint64(n - 1)
}

// insert makes s, the piece data[lo:lo+n], the next entry, in the empty
// slot at, with a count of 1.
func (t *pieceTable) insert(at uint64, lo, n int, s pieceSlot) {
	t.entries[at] = uint32(len(t.where))
	t.starts = append(t.starts, int32(lo))
	t.lens = append(t.lens, int32(n))
	t.where = append(t.where, uint32(at))
	t.slots[at] = s
	t.size += n
	if 4*len(t.where) > 3*len(t.slots) {
		t.grow()
	}
}

// grow doubles the slots and places every piece again.
func (t *pieceTable) grow() {
	old := t.slots
	t.alloc(2 * len(old))
	for e, at := range t.where {
		s := old[at]
		start := t.starts[e]
		h := pieceHash(s.k0, s.k1, t.data[start:start+t.lens[e]])
		i := h & t.mask
		for t.slots[i].count != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i], t.entries[i] = s, uint32(e)
		t.where[e] = uint32(i)
	}
}

// emit builds the batch of the pieces and their counts.
func (t *pieceTable) emit(mem memory.Allocator, schema *arrow.Schema) arrow.RecordBatch {
	n := len(t.where)
	valBuf := memory.NewResizableBuffer(mem)
	valBuf.Resize(t.size + 16) // room to copy a short piece as 16 bytes
	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize((n + 1) * 4)
	cntBuf := memory.NewResizableBuffer(mem)
	cntBuf.Resize(n * 8)
	vals := valBuf.Bytes()
	outOffs := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(offBuf.Bytes()))), n+1)
	cnts := unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(cntBuf.Bytes()))), n)
	pos := 0
	outOffs[0] = 0
	for e, start := range t.starts {
		n := int(t.lens[e])
		if n <= 16 && int(start)+16 <= len(t.data) {
			// Two 8-byte moves rather than a call per piece; the bytes
			// past the piece are overwritten by the next one.
			d := unsafe.Pointer(&vals[pos])
			p := unsafe.Pointer(&t.data[start])
			*(*uint64)(d), *(*uint64)(unsafe.Add(d, 8)) = *(*uint64)(p), *(*uint64)(unsafe.Add(p, 8))
		} else {
			copy(vals[pos:], t.data[start:int(start)+n])
		}
		pos += n
		outOffs[e+1] = int32(pos)
		cnts[e] = int64(t.slots[t.where[e]].count)
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
	for _, at := range t.where {
		t.slots[at] = pieceSlot{}
	}
	t.starts, t.lens, t.where = t.starts[:0], t.lens[:0], t.where[:0]
	t.size = 0
	t.data = nil
	if len(t.slots) > pieceTableKeep {
		// A batch of very many distinct pieces: do not hold its memory
		// for the batches after it.
		*t = pieceTable{}
	}
}

// pieceTableKeep is the most slots kept from one batch to the next (3 MiB).
const pieceTableKeep = 1 << 17
