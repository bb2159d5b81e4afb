package exec

import (
	"unsafe"
)

// A join side keeps its rows compactly, with nothing per row for the
// garbage collector to trace: each row is packed (packRow) into large byte
// chunks, and described by a joinEntry, a pointer-free struct in blocks
// that never move (so a *joinEntry stays valid while its row is held).
// The rows of a key are a doubly linked chain of entry ids, found through
// the bucket map. A freed entry's slot is reused; a chunk is released when
// none of its rows is held any more (rows freed by the watermark go in
// arrival order, so their chunks empty one after the other). Rows of
// mixed lifetimes (auctions that close at different times) leave chunks
// mostly empty but held: once the bytes freed but held exceed the bytes
// of the rows held, the rows of chunks less than half full are moved to
// the current chunk and those chunks released (compact), so the state's
// memory stays within about twice its rows' bytes.

const (
	joinBlockBits = 12
	joinBlockSize = 1 << joinBlockBits
	joinChunkSize = 1 << 20
)

// joinEntry is one row in a side's state.
type joinEntry struct {
	chunk   int32 // the chunk holding the packed row
	off     uint32
	n       uint32 // the packed row's length
	matches int32  // rows of the other side it joins with
	prev    int32  // the previous and next rows of its key; -1 at the ends
	next    int32
	gone    bool   // retracted or expired (the slot may be reused)
	t       int64  // when it entered the state, Unix nanoseconds
	seq     uint64 // insertion order; tells a reused slot from the row that left it
}

// joinBucket is the chain of one key's rows, oldest first.
type joinBucket struct{ head, tail int32 }

// joinStore holds one side's rows.
type joinStore struct {
	blocks [][]joinEntry
	free   []int32 // slots of entries that left
	used   int32   // slots handed out so far
	chunks [][]byte
	live   []int32 // per chunk, rows held in it
	held   []int64 // per chunk, bytes of the rows held in it
	width  int     // values per row
	// total is the bytes of the chunks held, rowBytes those of the rows
	// in them; compact runs when total - rowBytes passes nextCompact.
	total, rowBytes, nextCompact int64
}

// joinCompactMin is the least garbage worth compacting.
const joinCompactMin = 16 << 20

// at returns entry id.
func (s *joinStore) at(id int32) *joinEntry {
	return &s.blocks[id>>joinBlockBits][id&(joinBlockSize-1)]
}

// packed returns the entry's packed row (a view of its chunk).
func (s *joinStore) packed(e *joinEntry) string {
	c := s.chunks[e.chunk]
	return unsafe.String(&c[e.off], int(e.n))
}

// row decodes entry e's row.
func (s *joinStore) row(e *joinEntry) joinRow { return unpackRow(s.packed(e), s.width) }

// put stores packed row p in a new entry and returns its id, the entry
// otherwise zero (prev and next -1).
func (s *joinStore) put(p string) int32 {
	var id int32
	if n := len(s.free); n > 0 {
		id, s.free = s.free[n-1], s.free[:n-1]
	} else {
		id = s.used
		s.used++
		if int(id>>joinBlockBits) == len(s.blocks) {
			s.blocks = append(s.blocks, make([]joinEntry, joinBlockSize))
		}
	}
	c, off := s.place(p)
	*s.at(id) = joinEntry{chunk: c, off: off, n: uint32(len(p)), prev: -1, next: -1}
	return id
}

// place copies packed row p into the current chunk (a new one if it is
// full) and returns where.
func (s *joinStore) place(p string) (chunk int32, off uint32) {
	c := len(s.chunks) - 1
	if c < 0 || len(s.chunks[c])+len(p) > cap(s.chunks[c]) {
		size := max(joinChunkSize, len(p))
		s.chunks = append(s.chunks, make([]byte, 0, size))
		s.live = append(s.live, 0)
		s.held = append(s.held, 0)
		s.total += int64(size)
		c++
	}
	o := len(s.chunks[c])
	s.chunks[c] = append(s.chunks[c], p...)
	s.live[c]++
	s.held[c] += int64(len(p))
	s.rowBytes += int64(len(p))
	return int32(c), uint32(o)
}

// unplace forgets the row bytes of e in its chunk, releasing the chunk
// when it holds no row any more and is not the current one.
func (s *joinStore) unplace(e *joinEntry) {
	c := e.chunk
	s.live[c]--
	s.held[c] -= int64(e.n)
	s.rowBytes -= int64(e.n)
	if s.live[c] == 0 && int(c) != len(s.chunks)-1 {
		s.total -= int64(cap(s.chunks[c]))
		s.chunks[c] = nil // every row in it left
	}
}

// release frees entry id's slot and its row's bytes.
func (s *joinStore) release(id int32) {
	e := s.at(id)
	e.gone = true
	s.unplace(e)
	s.free = append(s.free, id)
	if garbage := s.total - s.rowBytes; garbage > max(s.rowBytes, joinCompactMin) && garbage > s.nextCompact {
		s.compact()
	}
}

// compact moves the rows of the chunks less than half full to the
// current chunk and releases those chunks. Views of rows handed out
// before stay valid: a released chunk is left to the garbage collector.
func (s *joinStore) compact() {
	last := len(s.chunks) - 1
	sparse := make([]bool, len(s.chunks))
	any := false
	for c := range last {
		if s.chunks[c] != nil && 2*s.held[c] < int64(cap(s.chunks[c])) {
			sparse[c], any = true, true
		}
	}
	if any {
		for id := int32(0); id < s.used; id++ {
			e := s.at(id)
			if e.gone || !sparse[e.chunk] {
				continue
			}
			p := s.packed(e)
			s.unplace(e)
			e.chunk, e.off = s.place(p)
		}
	}
	// Compact again only once as much garbage again has gathered.
	s.nextCompact = s.total - s.rowBytes + max(s.rowBytes, joinCompactMin)
}

// size estimates the memory entry e holds.
func (s *joinStore) size(e *joinEntry) int64 {
	return int64(e.n) + int64(unsafe.Sizeof(joinEntry{}))
}
