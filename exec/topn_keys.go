package exec

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
)

// A TopN partitioned by at most two integer columns (BIGINT, TIMESTAMP,
// BOOLEAN: Nexmark's bidder and auction) keys its partitions by their
// values, not by an encoded string: no allocation per partition for its
// key, and a map the garbage collector does not trace through.

// topnIntKey is the key of a partition by integer columns.
type topnIntKey struct {
	v     [2]int64
	nulls uint8
}

// topnParts are a TopN's partitions, by encoded key or by integer key.
type topnParts struct {
	ints  bool // keyed by intKey
	byStr map[string]*topnPart
	byInt map[topnIntKey]*topnPart
}

// newTopnParts returns the partition map for partition columns of types.
func newTopnParts(types []arrow.Type) topnParts {
	ints := len(types) <= 2
	for _, t := range types {
		ints = ints && (t == arrow.INT64 || t == arrow.TIMESTAMP || t == arrow.BOOL)
	}
	return topnParts{ints: ints, byStr: map[string]*topnPart{}, byInt: map[topnIntKey]*topnPart{}}
}

// intKey is the integer key of partition cells pk.
func intKey(pk []Cell) topnIntKey {
	var k topnIntKey
	for i, c := range pk {
		if c.Null {
			k.nulls |= 1 << i
		} else {
			k.v[i] = c.I
		}
	}
	return k
}

// get returns the partition of cells pk, encoded as enc (for the string
// map), nil if there is none.
func (ps *topnParts) get(pk []Cell, enc []byte) *topnPart {
	if ps.ints {
		return ps.byInt[intKey(pk)]
	}
	return ps.byStr[string(enc)]
}

// put adds p, whose cells are pk (for the integer map).
func (ps *topnParts) put(p *topnPart, pk []Cell) {
	if ps.ints {
		p.ikey = intKey(pk)
		ps.byInt[p.ikey] = p
		return
	}
	ps.byStr[p.key] = p
}

// del removes p.
func (ps *topnParts) del(p *topnPart) {
	if ps.ints {
		delete(ps.byInt, p.ikey)
		return
	}
	delete(ps.byStr, p.key)
}

// len is the number of partitions.
func (ps *topnParts) len() int { return len(ps.byInt) + len(ps.byStr) }

// each calls f for every partition.
func (ps *topnParts) each(f func(*topnPart)) {
	for _, p := range ps.byInt {
		f(p)
	}
	for _, p := range ps.byStr {
		f(p)
	}
}

// keyOf is p's key as encodeCells encodes its cells (the snapshot's).
func (ps *topnParts) keyOf(p *topnPart, n int) string {
	if !ps.ints {
		return p.key
	}
	pk := make([]Cell, n)
	for i := range pk {
		pk[i] = Cell{Null: p.ikey.nulls&(1<<i) != 0, I: p.ikey.v[i]}
		if pk[i].Null {
			pk[i].I = 0
		}
	}
	return string(encodeCells(nil, pk))
}

// cellsOfKey decodes n integer cells encoded by encodeCells; ok is false
// if key is not such an encoding.
func cellsOfKey(key string, n int) (pk []Cell, ok bool) {
	b := []byte(key)
	for range n {
		switch {
		case len(b) >= 1 && b[0] == 0:
			pk = append(pk, Cell{Null: true})
			b = b[1:]
		case len(b) >= 10 && b[0] == 1 && b[9] == 0:
			pk = append(pk, Cell{I: int64(binary.LittleEndian.Uint64(b[1:9]))})
			b = b[10:]
		default:
			return nil, false
		}
	}
	return pk, len(b) == 0
}
