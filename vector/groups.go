package vector

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// GroupTable maps GROUP BY key tuples to dense group ids (uint32).
//
// A key is a tuple of values, one per key column, of Weir's column types
// (Int64, Float64, String, Boolean, Timestamp, and Null for a bare NULL);
// NULL is a key value like any other, equal to itself. Floats compare by
// value with -0 == +0 and every NaN equal to every NaN.
//
// Ids are dense: they are < NumIDs, and NumIDs only grows when more keys are
// alive at once than ever before. An id names the same key from the Insert
// that creates it until Free; after Free the key is forgotten and its id may
// be handed to a new key by a later Insert. Memory is proportional to the
// peak number of keys alive at once (string bytes are compacted when half
// of them belong to freed keys); the hash slot array never shrinks.
// A key's hash is not stored: growing and Free compute it again from the
// stored key. Per key the table holds its stored values (8 bytes per
// fixed-width column, offset and length for a string, a valid and an
// alive flag) and 10.7 to 21.3 bytes of slots (8-byte slots, kept between
// 3/8 and 3/4 full).
//
// The table lives on the Go heap; the allocator passed to Keys is used only
// for the arrays it returns. A GroupTable is not safe for concurrent use.
type GroupTable struct {
	cols  []groupCol
	seed  maphash.Seed
	slots []uint64 // tag (high 32 bits of the hash) << 32 | id+1; 0 is empty
	mask  uint64
	limit int // grow when more than limit ids are alive

	alive []bool   // by id; its length is NumIDs
	free  []uint32 // freed ids, reused LIFO
	n     int      // alive ids

	hbuf  []uint64
	in    []groupIn
	pairs []groupSortPair
}

// groupKind is how a key column is stored: fixed-width values as int64
// bits, or strings in an arena.
type groupKind uint8

const (
	groupInt    groupKind = iota // Int64, Timestamp
	groupFloat                   // Float64, stored as normalised bits
	groupBool                    // Boolean, stored as 0 or 1
	groupString                  // String
	groupNull                    // Null: every value is NULL
)

// groupCol is the stored keys of one key column, indexed by id.
type groupCol struct {
	kind  groupKind
	typ   arrow.DataType
	vals  []int64 // fixed kinds: the value bits; strings: offset into arena
	lens  []uint32
	valid []bool
	arena []byte
	dead  int // arena bytes of freed keys
}

// groupIn is one input key column prepared for probing: fixed-width values
// as int64 bits (a view, or a scratch conversion), strings as the array.
type groupIn struct {
	arr     arrow.Array
	ints    []int64
	str     *array.String
	nulls   bool
	allNull bool
	scratch []int64
}

// groupNullHash is the hash of a NULL key value.
const groupNullHash = 0x9ae16a3b2f90404f

// NewGroupTable returns an empty table for keys of the given column types.
// A table without key columns has a single key, the empty tuple: it is
// inserted with InsertEmpty, always as group 0.
func NewGroupTable(types []arrow.DataType) (*GroupTable, error) {
	g := &GroupTable{seed: maphash.MakeSeed(), cols: make([]groupCol, len(types)), in: make([]groupIn, len(types))}
	for i, t := range types {
		c := &g.cols[i]
		c.typ = t
		switch t.ID() {
		case arrow.INT64, arrow.TIMESTAMP:
			c.kind = groupInt
		case arrow.FLOAT64:
			c.kind = groupFloat
		case arrow.BOOL:
			c.kind = groupBool
		case arrow.STRING:
			c.kind = groupString
		case arrow.NULL:
			c.kind = groupNull
		default:
			return nil, fmt.Errorf("group key column %d: unsupported type %s", i, t)
		}
	}
	g.initSlots(16)
	return g, nil
}

func (g *GroupTable) initSlots(n int) {
	g.slots = make([]uint64, n)
	g.mask = uint64(n - 1)
	g.limit = n / 4 * 3
}

// Len is the number of keys alive (inserted and not freed).
func (g *GroupTable) Len() int { return g.n }

// NumIDs is one more than the largest id ever handed out: every id is
// below it, so per-group state can live in slices of this length.
func (g *GroupTable) NumIDs() int { return len(g.alive) }

// Alive reports whether id names a key (inserted and not freed).
func (g *GroupTable) Alive(id uint32) bool { return int(id) < len(g.alive) && g.alive[id] }

// Bytes is an estimate of the memory the table holds.
func (g *GroupTable) Bytes() int64 {
	b := int64(cap(g.slots))*8 + int64(cap(g.alive)) + int64(cap(g.free))*4 + int64(cap(g.hbuf))*8
	for i := range g.cols {
		c := &g.cols[i]
		b += int64(cap(c.vals))*8 + int64(cap(c.lens))*4 + int64(cap(c.valid)) + int64(cap(c.arena))
	}
	return b
}

// Insert looks up the key of every row of cols (one array per key column,
// all of the same length, of the table's types) and returns its group id,
// adding the keys not yet present. ids is reused for the result if it is
// large enough. Columns that do not match the table's key columns in
// number, type or length are an error.
func (g *GroupTable) Insert(cols []arrow.Array, ids []uint32) ([]uint32, error) {
	if err := g.checkCols(cols); err != nil {
		return ids, err
	}
	g.ensureIndex()
	n := 0
	if len(cols) > 0 {
		n = cols[0].Len()
	}
	if cap(ids) < n {
		ids = make([]uint32, n)
	}
	ids = ids[:n]
	if len(cols) == 0 {
		return ids, nil // n == 0: nothing to do
	}
	if cap(g.hbuf) < n {
		g.hbuf = make([]uint64, n)
	}
	h := g.hbuf[:n]
	for k, a := range cols {
		g.prepare(k, a)
		g.hashCol(k, h, k == 0)
	}
	if c := &g.cols[0]; len(cols) == 1 && c.kind != groupString && c.kind != groupNull && !g.in[0].nulls {
		vals := g.in[0].ints
		for i := 0; i < n; i++ {
			ids[i] = g.probeFixed(h[i], vals[i], i)
		}
	} else if len(cols) == 1 && c.kind == groupString && g.in[0].str != nil && !g.in[0].nulls {
		str := g.in[0].str
		offs, data := str.ValueOffsets(), str.ValueBytes()
		base := offs[0]
		for i := 0; i < n; i++ {
			v := data[offs[i]-base : offs[i+1]-base]
			ids[i] = g.probeString(h[i], unsafe.String(unsafe.SliceData(v), len(v)), i)
		}
	} else {
		for i := 0; i < n; i++ {
			ids[i] = g.probe(h[i], i)
		}
	}
	for k := range g.in {
		g.in[k].arr, g.in[k].str, g.in[k].ints = nil, nil, nil
	}
	return ids, nil
}

// checkCols checks that cols fit the table's key columns.
func (g *GroupTable) checkCols(cols []arrow.Array) error {
	if len(cols) != len(g.cols) {
		return fmt.Errorf("group table: %d key columns given, the table has %d", len(cols), len(g.cols))
	}
	for k, a := range cols {
		var ok bool
		switch g.cols[k].kind {
		case groupInt:
			switch a.(type) {
			case *array.Int64, *array.Timestamp:
				ok = true
			}
		case groupFloat:
			_, ok = a.(*array.Float64)
		case groupBool:
			_, ok = a.(*array.Boolean)
		case groupString:
			_, ok = a.(*array.String)
		case groupNull:
			ok = true // every value is NULL, whatever the type
		}
		if !ok {
			return fmt.Errorf("group table: key column %d is %s, want %s", k, TypeName(a.DataType()), TypeName(g.cols[k].typ))
		}
		if a.Len() != cols[0].Len() {
			return fmt.Errorf("group table: key column %d has %d rows, column 0 has %d", k, a.Len(), cols[0].Len())
		}
	}
	return nil
}

// InsertEmpty returns the group id of the empty key of a table with no key
// columns, adding it if it is not alive. On a table with key columns it is
// an error.
func (g *GroupTable) InsertEmpty() (uint32, error) {
	if len(g.cols) != 0 {
		return 0, fmt.Errorf("group table: an empty key given, the table has %d key columns", len(g.cols))
	}
	if g.n == 0 {
		if len(g.alive) == 0 {
			g.alive = append(g.alive, false)
		}
		g.alive[0] = true
		g.n = 1
	}
	return 0, nil
}

// prepare makes a view of key column k's input for hashing and comparing;
// checkCols has checked its type.
func (g *GroupTable) prepare(k int, a arrow.Array) {
	in := &g.in[k]
	in.arr = a
	in.nulls = a.NullN() > 0
	in.allNull = false
	n := a.Len()
	fill := func() []int64 {
		if cap(in.scratch) < n {
			in.scratch = make([]int64, n)
		}
		return in.scratch[:n]
	}
	switch g.cols[k].kind {
	case groupInt:
		switch a := a.(type) {
		case *array.Int64:
			in.ints = a.Int64Values()
		case *array.Timestamp:
			ts := a.TimestampValues()
			in.ints = unsafe.Slice((*int64)(unsafe.SliceData(ts)), len(ts))
		}
	case groupFloat:
		f := a.(*array.Float64).Float64Values()
		s := fill()
		for i, v := range f {
			s[i] = groupFloatBits(v)
		}
		in.ints = s
	case groupBool:
		b := a.(*array.Boolean)
		s := fill()
		for i := range s {
			s[i] = 0
			if b.Value(i) {
				s[i] = 1
			}
		}
		in.ints = s
	case groupString:
		in.str = a.(*array.String)
	case groupNull:
		in.allNull = true
	}
}

// groupFloatBits is the bits a float key is stored and hashed as: -0 is 0
// and every NaN is the same NaN.
func groupFloatBits(v float64) int64 {
	if v == 0 {
		return 0
	}
	if v != v {
		return 0x7ff8000000000001
	}
	return int64(math.Float64bits(v))
}

func groupMix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// hashCol folds key column k into h, one row at a time, column at a time.
func (g *GroupTable) hashCol(k int, h []uint64, first bool) {
	in := &g.in[k]
	if first {
		for i := range h {
			h[i] = 0x243f6a8885a308d3
		}
	}
	switch {
	case g.cols[k].kind == groupNull:
		for i := range h {
			h[i] = groupMix((h[i] ^ groupNullHash) * 0x9e3779b97f4a7c15)
		}
	case in.str != nil:
		s := in.str
		for i := range h {
			v := uint64(groupNullHash)
			if !in.nulls || s.IsValid(i) {
				v = maphash.String(g.seed, s.Value(i))
			}
			h[i] = groupMix((h[i] ^ v) * 0x9e3779b97f4a7c15)
		}
	case !in.nulls:
		for i, v := range in.ints {
			h[i] = groupMix((h[i] ^ uint64(v)) * 0x9e3779b97f4a7c15)
		}
	default:
		a := in.arr
		for i, v := range in.ints {
			x := uint64(v)
			if a.IsNull(i) {
				x = groupNullHash
			}
			h[i] = groupMix((h[i] ^ x) * 0x9e3779b97f4a7c15)
		}
	}
}

// probe returns the id of row i's key, whose hash is h, adding it if new.
func (g *GroupTable) probe(h uint64, i int) uint32 {
	tag := h >> 32
	pos := h & g.mask
	for {
		s := g.slots[pos]
		if s == 0 {
			if g.n >= g.limit {
				g.grow()
				pos = h & g.mask
				for g.slots[pos] != 0 {
					pos = (pos + 1) & g.mask
				}
			}
			id := g.add(i)
			g.slots[pos] = tag<<32 | uint64(id+1)
			return id
		}
		if s>>32 == tag {
			id := uint32(s) - 1
			if g.equal(id, i) {
				return id
			}
		}
		pos = (pos + 1) & g.mask
	}
}

// probeFixed is probe for a single fixed-width key column without NULLs:
// row i's key is v.
func (g *GroupTable) probeFixed(h uint64, v int64, i int) uint32 {
	tag := h >> 32
	pos := h & g.mask
	c := &g.cols[0]
	for {
		s := g.slots[pos]
		if s == 0 {
			return g.probe(h, i) // insert, growing if needed
		}
		if s>>32 == tag {
			if id := uint32(s) - 1; c.vals[id] == v && c.valid[id] {
				return id
			}
		}
		pos = (pos + 1) & g.mask
	}
}

// probeString is probe for a single VARCHAR key column without NULLs:
// row i's key is v.
func (g *GroupTable) probeString(h uint64, v string, i int) uint32 {
	tag := h >> 32
	pos := h & g.mask
	c := &g.cols[0]
	for {
		s := g.slots[pos]
		if s == 0 {
			return g.probe(h, i) // insert, growing if needed
		}
		if s>>32 == tag {
			id := uint32(s) - 1
			if int(c.lens[id]) == len(v) && c.valid[id] {
				off := c.vals[id]
				if unsafe.String(unsafe.SliceData(c.arena[off:]), len(v)) == v {
					return id
				}
			}
		}
		pos = (pos + 1) & g.mask
	}
}

// grow doubles the slot array.
func (g *GroupTable) grow() { g.rehash(2 * len(g.slots)) }

// DropIndex frees the table's hash index (its slots) and keeps the keys:
// Keys, Compare and SortIDs go on working, and the next Insert or Free
// builds the index again. It is for a table about to be read in full and
// then dropped, as a GROUP BY's at end of input: the memory of the index
// can hold the output.
func (g *GroupTable) DropIndex() {
	g.slots, g.mask, g.limit = nil, 0, 0
}

// ensureIndex builds the index after DropIndex.
func (g *GroupTable) ensureIndex() {
	if g.slots != nil {
		return
	}
	n := 16
	for n/4*3 <= g.n {
		n *= 2
	}
	g.rehash(n)
}

// rehash makes a slot array of n slots and puts every alive key back, in
// id order (reading the stored keys in sequence), its hash computed again.
func (g *GroupTable) rehash(n int) {
	g.initSlots(n)
	const chunk = 1024
	var hs [chunk]uint64
	for lo := 0; lo < len(g.alive); lo += chunk {
		hi := min(lo+chunk, len(g.alive))
		h := hs[:hi-lo]
		g.hashStored(lo, h)
		for i, v := range h {
			id := lo + i
			if !g.alive[id] {
				continue
			}
			pos := v & g.mask
			for g.slots[pos] != 0 {
				pos = (pos + 1) & g.mask
			}
			g.slots[pos] = v>>32<<32 | uint64(id+1)
		}
	}
}

// hashStored sets h[i] to the hash of the stored key of id lo+i, as
// hashCol computes it for the same key in an input (for freed ids it is
// the hash of whatever is stored).
func (g *GroupTable) hashStored(lo int, h []uint64) {
	for i := range h {
		h[i] = 0x243f6a8885a308d3
	}
	for k := range g.cols {
		c := &g.cols[k]
		for i := range h {
			id := uint32(lo + i)
			x := uint64(groupNullHash)
			switch {
			case c.kind == groupNull || !c.valid[id]:
			case c.kind == groupString:
				x = maphash.String(g.seed, c.stringAt(id))
			default:
				x = uint64(c.vals[id])
			}
			h[i] = groupMix((h[i] ^ x) * 0x9e3779b97f4a7c15)
		}
	}
}

// home is the slot position the key of alive id hashes to.
func (g *GroupTable) home(id uint32) uint64 {
	var h [1]uint64
	g.hashStored(int(id), h[:])
	return h[0] & g.mask
}

// equal reports whether the stored key id equals row i of the input.
func (g *GroupTable) equal(id uint32, i int) bool {
	for k := range g.in {
		in, c := &g.in[k], &g.cols[k]
		if in.allNull || in.nulls && in.arr.IsNull(i) {
			if c.valid[id] {
				return false
			}
			continue
		}
		if !c.valid[id] {
			return false
		}
		if in.str != nil {
			off, n := c.vals[id], c.lens[id]
			if unsafe.String(unsafe.SliceData(c.arena[off:]), n) != in.str.Value(i) {
				return false
			}
		} else if c.vals[id] != in.ints[i] {
			return false
		}
	}
	return true
}

// add stores row i's key under a new or recycled id.
func (g *GroupTable) add(i int) uint32 {
	var id uint32
	if k := len(g.free); k > 0 {
		id = g.free[k-1]
		g.free = g.free[:k-1]
		g.alive[id] = true
	} else {
		id = uint32(len(g.alive))
		g.alive = append(g.alive, true)
		for k := range g.cols {
			c := &g.cols[k]
			c.vals = append(c.vals, 0)
			c.valid = append(c.valid, false)
			if c.kind == groupString {
				c.lens = append(c.lens, 0)
			}
		}
	}
	g.n++
	for k := range g.in {
		in, c := &g.in[k], &g.cols[k]
		if in.allNull || in.nulls && in.arr.IsNull(i) {
			c.valid[id] = false
			c.vals[id] = 0
			if c.kind == groupString {
				c.lens[id] = 0
			}
			continue
		}
		c.valid[id] = true
		if in.str != nil {
			v := in.str.Value(i)
			c.vals[id] = int64(len(c.arena))
			c.lens[id] = uint32(len(v))
			c.arena = append(c.arena, v...)
		} else {
			c.vals[id] = in.ints[i]
		}
	}
	return id
}

// Free forgets the key of id; the id may be reused by a later Insert.
// Freeing an id that is not alive does nothing.
func (g *GroupTable) Free(id uint32) {
	if !g.Alive(id) {
		return
	}
	g.n--
	if len(g.cols) == 0 {
		g.alive[id] = false
		return // the empty key is always id 0
	}
	g.free = append(g.free, id)
	g.ensureIndex()
	// Remove the slot by backward-shift deletion (linear probing).
	pos := g.home(id)
	g.alive[id] = false
	for uint32(g.slots[pos]) != id+1 {
		pos = (pos + 1) & g.mask
	}
	i := pos
	j := pos
	for {
		j = (j + 1) & g.mask
		s := g.slots[j]
		if s == 0 {
			break
		}
		home := g.home(uint32(s) - 1)
		var stays bool // home lies cyclically in (i, j]
		if i <= j {
			stays = i < home && home <= j
		} else {
			stays = i < home || home <= j
		}
		if !stays {
			g.slots[i] = s
			i = j
		}
	}
	g.slots[i] = 0
	for k := range g.cols {
		c := &g.cols[k]
		if c.kind == groupString && c.valid[id] {
			c.dead += int(c.lens[id])
			if c.dead > 1<<16 && 2*c.dead > len(c.arena) {
				g.compact(c)
			}
		}
	}
}

// compact rewrites a string column's arena without the bytes of freed keys.
func (g *GroupTable) compact(c *groupCol) {
	live := len(c.arena) - c.dead
	arena := make([]byte, 0, live+live/2)
	for id, ok := range g.alive {
		if ok && c.valid[id] {
			off := c.vals[id]
			c.vals[id] = int64(len(arena))
			arena = append(arena, c.arena[off:off+int64(c.lens[id])]...)
		}
	}
	c.arena, c.dead = arena, 0
}

// stringAt is the stored string of id in column c (a view into the arena,
// valid until the next Insert or Free).
func (c *groupCol) stringAt(id uint32) string {
	off := c.vals[id]
	return unsafe.String(unsafe.SliceData(c.arena[off:]), c.lens[id])
}

// Keys materialises the key columns of the given ids, in order, as new
// arrays of the table's types allocated from mem. The caller releases them.
func (g *GroupTable) Keys(ids []uint32, mem memory.Allocator) []arrow.Array {
	out := make([]arrow.Array, len(g.cols))
	for k := range g.cols {
		out[k] = g.keyColumn(&g.cols[k], ids, mem)
	}
	return out
}

func (g *GroupTable) keyColumn(c *groupCol, ids []uint32, mem memory.Allocator) arrow.Array {
	n := len(ids)
	switch c.kind {
	case groupNull:
		return array.NewNull(n)
	case groupString:
		b := array.NewStringBuilder(mem)
		defer b.Release()
		total := 0
		for _, id := range ids {
			total += int(c.lens[id])
		}
		b.Reserve(n)
		b.ReserveData(total)
		for _, id := range ids {
			if c.valid[id] {
				b.Append(c.stringAt(id))
			} else {
				b.AppendNull()
			}
		}
		return b.NewArray()
	case groupBool:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.Reserve(n)
		for _, id := range ids {
			if c.valid[id] {
				b.UnsafeAppend(c.vals[id] != 0)
			} else {
				b.UnsafeAppendBoolToBitmap(false)
			}
		}
		return b.NewArray()
	case groupFloat:
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		b.Reserve(n)
		for _, id := range ids {
			if c.valid[id] {
				b.UnsafeAppend(math.Float64frombits(uint64(c.vals[id])))
			} else {
				b.UnsafeAppendBoolToBitmap(false)
			}
		}
		return b.NewArray()
	}
	if tt, ok := c.typ.(*arrow.TimestampType); ok {
		b := array.NewTimestampBuilder(mem, tt)
		defer b.Release()
		b.Reserve(n)
		for _, id := range ids {
			if c.valid[id] {
				b.UnsafeAppend(arrow.Timestamp(c.vals[id]))
			} else {
				b.UnsafeAppendBoolToBitmap(false)
			}
		}
		return b.NewArray()
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(n)
	for _, id := range ids {
		if c.valid[id] {
			b.UnsafeAppend(c.vals[id])
		} else {
			b.UnsafeAppendBoolToBitmap(false)
		}
	}
	return b.NewArray()
}

// Compare orders the keys of two alive ids: column by column, NULL first,
// false before true, floats by value with NaN last, strings bytewise.
func (g *GroupTable) Compare(a, b uint32) int {
	for k := range g.cols {
		if r := g.compareCol(&g.cols[k], a, b); r != 0 {
			return r
		}
	}
	return 0
}

func (g *GroupTable) compareCol(c *groupCol, a, b uint32) int {
	va, vb := c.valid[a], c.valid[b]
	if !va || !vb {
		switch {
		case va:
			return 1
		case vb:
			return -1
		}
		return 0
	}
	switch c.kind {
	case groupString:
		return cmp.Compare(c.stringAt(a), c.stringAt(b))
	case groupFloat:
		return groupCompareFloat(c.vals[a], c.vals[b])
	}
	return cmp.Compare(c.vals[a], c.vals[b])
}

// groupCompareFloat compares stored float bits by value, NaN last.
func groupCompareFloat(a, b int64) int {
	x, y := math.Float64frombits(uint64(a)), math.Float64frombits(uint64(b))
	switch xn, yn := x != x, y != y; {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return cmp.Compare(x, y)
}

// SortIDs sorts alive ids by their keys, in the order of Compare.
func (g *GroupTable) SortIDs(ids []uint32) { g.SortIDsWith(ids, nil) }

// SortIDsWith sorts alive ids by their keys, in the order of Compare, and
// with (nil, or as long as ids) along with them: with[i] moves where
// ids[i] goes.
func (g *GroupTable) SortIDsWith(ids, with []uint32) {
	if len(ids) < 2 || len(g.cols) == 0 {
		return
	}
	ps := g.pairs[:0]
	if len(g.cols) == 1 && g.cols[0].kind != groupString {
		ps = g.sortFixed(&g.cols[0], ids, with, ps)
	} else if len(g.cols) == 1 && g.cols[0].kind == groupString {
		ps = g.sortString(&g.cols[0], ids, with, ps)
	} else if with == nil {
		slices.SortFunc(ids, g.Compare)
	} else {
		ps = slices.Grow(ps[:0], len(ids))
		for i, id := range ids {
			p := groupSortPair{id: id}
			if with != nil {
				p.with = with[i]
			}
			ps = append(ps, p)
		}
		slices.SortFunc(ps, func(a, b groupSortPair) int { return g.Compare(a.id, b.id) })
		for i, p := range ps {
			ids[i] = p.id
			if with != nil {
				with[i] = p.with
			}
		}
	}
	// Keep the scratch for the next sort unless it is large: a table
	// sorted once in full (the end of a GROUP BY) must not hold a second
	// copy of its ids.
	g.pairs = nil
	if cap(ps) <= groupKeepPairs {
		g.pairs = ps[:0]
	}
}

// groupKeepPairs is the largest sort scratch a table keeps between sorts.
const groupKeepPairs = 1 << 16

// sortFixed sorts ids (and with) by a single fixed-width key column: NULL
// first, then by a uint64 image of the value whose order is the value
// order. ps is scratch; it returns it.
func (g *GroupTable) sortFixed(c *groupCol, ids, with []uint32, ps []groupSortPair) []groupSortPair {
	return sortByImage(c, ids, with, ps, func(id uint32) uint64 {
		v := uint64(c.vals[id])
		if c.kind == groupFloat {
			if v>>63 != 0 { // negative: flip all bits
				return ^v
			}
			return v | 1<<63
		}
		return v ^ 1<<63 // signed to unsigned order
	}, nil)
}

// sortString sorts ids (and with) by a single VARCHAR key column: NULL
// first, then bytewise, comparing the first eight bytes as one integer and
// the whole strings only when those are equal. ps is scratch; it returns
// it.
func (g *GroupTable) sortString(c *groupCol, ids, with []uint32, ps []groupSortPair) []groupSortPair {
	return sortByImage(c, ids, with, ps, func(id uint32) uint64 {
		var pre [8]byte
		copy(pre[:], c.stringAt(id))
		return binary.BigEndian.Uint64(pre[:])
	}, func(a, b uint32) int { return cmp.Compare(c.stringAt(a), c.stringAt(b)) })
}

// sortByImage sorts ids (and with) by column c: NULL keys first, then by
// image, an unsigned image of each key whose order is the keys' order
// except where tie (nil: never) must decide between equal images.
func sortByImage(c *groupCol, ids, with []uint32, ps []groupSortPair, image func(uint32) uint64, tie func(a, b uint32) int) []groupSortPair {
	ps = slices.Grow(ps[:0], len(ids))
	nulls := 0
	for i, id := range ids {
		var w uint32
		if with != nil {
			w = with[i]
		}
		if !c.valid[id] {
			ids[nulls] = id
			if with != nil {
				with[nulls] = w
			}
			nulls++
			continue
		}
		ps = append(ps, groupSortPair{image(id), id, w})
	}
	ps = sortPairs(ps, tie)
	for i, p := range ps {
		ids[nulls+i] = p.id
		if with != nil {
			with[nulls+i] = p.with
		}
	}
	return ps
}

// groupSortPair is an id (and what moves with it) with an unsigned image
// of its key for sorting.
type groupSortPair struct {
	k    uint64
	id   uint32
	with uint32
}
