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
// arrival order, so their chunks empty one after the other).

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
	width  int     // values per row
}

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
	c := len(s.chunks) - 1
	if c < 0 || len(s.chunks[c])+len(p) > cap(s.chunks[c]) {
		s.chunks = append(s.chunks, make([]byte, 0, max(joinChunkSize, len(p))))
		s.live = append(s.live, 0)
		c++
	}
	off := len(s.chunks[c])
	s.chunks[c] = append(s.chunks[c], p...)
	s.live[c]++
	*s.at(id) = joinEntry{chunk: int32(c), off: uint32(off), n: uint32(len(p)), prev: -1, next: -1}
	return id
}

// release frees entry id's slot and its row's bytes.
func (s *joinStore) release(id int32) {
	e := s.at(id)
	e.gone = true
	c := e.chunk
	s.live[c]--
	if s.live[c] == 0 && int(c) != len(s.chunks)-1 {
		s.chunks[c] = nil // every row in it left
	}
	s.free = append(s.free, id)
}

// size estimates the memory entry e holds.
func (s *joinStore) size(e *joinEntry) int64 {
	return int64(e.n) + int64(unsafe.Sizeof(joinEntry{}))
}
