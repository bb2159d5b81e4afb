package exec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// The HyperLogLog sketch of APPROX_COUNT_DISTINCT: 2^14 registers of 6
// bits' worth (one byte each), a standard error of 1.04/sqrt(2^14) ≈ 0.8%,
// estimated with Ertl's improved estimator ("New cardinality estimation
// algorithms for HyperLogLog sketches", 2017), which needs no bias tables
// and is accurate from a handful of values to billions. A sketch starts
// sparse, as the sorted 64-bit hashes of its values, exact up to
// hllSparseMax values, and turns dense past that. Sketches merge (the
// union of the hashes, or the maximum of each register) but cannot take
// a value back. Values are hashed with a fixed function, so a sketch in a
// checkpoint means the same after a restart.

const (
	hllP         = 14
	hllM         = 1 << hllP
	hllQ         = 64 - hllP
	hllSparseMax = 256              // a sparse sketch of more hashes turns dense
	hllSortMax   = 4 * hllSparseMax // mergeAll unions sparse sketches of up to this many hashes exactly
)

// hll is one sketch; the zero value is empty.
type hll struct {
	sparse []uint64 // sorted distinct hashes, while regs is nil
	regs   []uint8  // hllM registers, once dense
	hist   []int32  // once dense: how many registers hold each value 0..hllQ+1
	spare  []uint8  // registers densify may reuse (a scratch sketch's)
}

// bytes is the memory the sketch holds.
func (h *hll) bytes() int64 {
	return int64(cap(h.sparse))*8 + int64(cap(h.regs)) + int64(cap(h.hist))*4
}

// addHash adds a value's hash.
func (h *hll) addHash(x uint64) {
	if h.regs != nil {
		h.setReg(x)
		return
	}
	i, found := slices.BinarySearch(h.sparse, x)
	if found {
		return
	}
	h.sparse = slices.Insert(h.sparse, i, x)
	if len(h.sparse) > hllSparseMax {
		h.densify()
	}
}

func (h *hll) setReg(x uint64) {
	idx := x >> hllQ
	rho := uint8(bits.LeadingZeros64(x<<hllP|1<<(hllP-1)) + 1)
	if old := h.regs[idx]; rho > old {
		h.hist[old]--
		h.hist[rho]++
		h.regs[idx] = rho
	}
}

func (h *hll) densify() {
	if len(h.spare) == hllM {
		h.regs, h.spare = h.spare, nil
		clear(h.regs)
	} else {
		h.regs = make([]uint8, hllM)
	}
	if h.hist == nil {
		h.hist = make([]int32, hllQ+2)
	}
	clear(h.hist)
	h.hist[0] = hllM
	for _, x := range h.sparse {
		h.setReg(x)
	}
	h.sparse = h.sparse[:0]
}

// reset empties h, keeping its memory for reuse.
func (h *hll) reset() {
	if h.regs != nil {
		h.spare = h.regs
	}
	h.sparse, h.regs = h.sparse[:0], nil
}

// mergeAll adds every value of the sketches to h: while all are sparse
// and hold at most hllSortMax hashes together, as one sorted union (exact
// while it is small), else register by register.
func (h *hll) mergeAll(sketches func(yield func(*hll) bool)) {
	dense, n := h.regs != nil, len(h.sparse)
	for o := range sketches {
		if o != nil {
			dense = dense || o.regs != nil
			n += len(o.sparse)
		}
	}
	// Sorting a union of many hashes costs more than the registers.
	if dense || n > hllSortMax {
		if h.regs == nil {
			h.densify()
		}
		for o := range sketches {
			h.merge(o)
		}
		return
	}
	for o := range sketches {
		if o != nil {
			h.sparse = append(h.sparse, o.sparse...)
		}
	}
	slices.Sort(h.sparse)
	h.sparse = slices.Compact(h.sparse)
	if len(h.sparse) > hllSparseMax {
		h.densify()
	}
}

// merge adds every value of o to h.
func (h *hll) merge(o *hll) {
	if o == nil {
		return
	}
	if o.regs == nil {
		for _, x := range o.sparse {
			h.addHash(x)
		}
		return
	}
	if h.regs == nil {
		h.densify()
	}
	for i, r := range o.regs {
		if old := h.regs[i]; r > old {
			h.hist[old]--
			h.hist[r]++
			h.regs[i] = r
		}
	}
}

// estimate is the number of distinct values: exact while sparse (up to
// 64-bit hash collisions), Ertl's estimate once dense.
func (h *hll) estimate() int64 {
	if h == nil {
		return 0
	}
	if h.regs == nil {
		return int64(len(h.sparse))
	}
	c := h.hist
	m := float64(hllM)
	z := m * hllTau(1-float64(c[hllQ+1])/m)
	for k := hllQ; k >= 1; k-- {
		z = 0.5 * (z + float64(c[k]))
	}
	z += m * hllSigma(float64(c[0])/m)
	return int64(math.Round(m * m / (2 * math.Ln2) / z))
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zOld := z
		z += x * y
		y += y
		if z == zOld {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zOld := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if z == zOld {
			return z / 3
		}
	}
}

// hllMix is the splitmix64 finalizer.
func hllMix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hllHasher returns the hash of row i of an argument of type t (the caller
// checked IsValid), or an error naming the type.
func hllHasher(t arrow.DataType) (func(a arrow.Array, i int) uint64, error) {
	switch t.ID() {
	case arrow.INT64, arrow.TIMESTAMP, arrow.BOOL, arrow.FLOAT64:
		k, err := newDistinctKeys[int64](t)
		if err != nil {
			return nil, err
		}
		return func(a arrow.Array, i int) uint64 { return hllMix(uint64(k(a, i))) }, nil
	case arrow.STRING:
		return func(a arrow.Array, i int) uint64 {
			// FNV-1a, then mixed.
			h := uint64(14695981039346656037)
			s := a.(*array.String).Value(i)
			for j := 0; j < len(s); j++ {
				h ^= uint64(s[j])
				h *= 1099511628211
			}
			return hllMix(h)
		}, nil
	}
	return nil, fmt.Errorf("APPROX_COUNT_DISTINCT of %s is not supported", vector.TypeName(t))
}

// hllFields is the exported state of sketches: one binary column, each
// row a kind byte (0 sparse, 1 dense) then the sorted hashes (8 bytes
// each, little-endian) or the hllM registers.
func hllFields() []arrow.Field {
	return []arrow.Field{accumField("hll", arrow.BinaryTypes.Binary)}
}

// hllState exports sketches[idx[k]] (nil: empty).
func hllState(mem memory.Allocator, sketches []*hll, idx []uint32) []arrow.Array {
	b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	defer b.Release()
	var buf []byte
	for _, i := range idx {
		buf = buf[:0]
		var h *hll
		if int(i) < len(sketches) {
			h = sketches[i]
		}
		switch {
		case h != nil && h.regs != nil:
			buf = append(append(buf, 1), h.regs...)
		default:
			buf = append(buf, 0)
			if h != nil {
				for _, x := range h.sparse {
					buf = binary.LittleEndian.AppendUint64(buf, x)
				}
			}
		}
		b.Append(buf)
	}
	return []arrow.Array{b.NewArray()}
}

// hllMerge folds exported sketches into the sketches at idx (skipping
// NoGroup) through into, which returns the sketch of an id.
func hllMerge(state []arrow.Array, idx []uint32, into func(i uint32) *hll) error {
	if err := accumStateCheck(state, len(idx), 1); err != nil {
		return err
	}
	col, ok := state[0].(*array.Binary)
	if !ok {
		return fmt.Errorf("APPROX_COUNT_DISTINCT state: column is %s, want binary", state[0].DataType())
	}
	for k, i := range idx {
		raw := col.Value(k)
		if len(raw) == 0 {
			return errors.New("APPROX_COUNT_DISTINCT state: empty sketch")
		}
		var o hll
		switch body := raw[1:]; {
		case raw[0] == 0 && len(body)%8 == 0:
			o.sparse = make([]uint64, len(body)/8)
			for j := range o.sparse {
				o.sparse[j] = binary.LittleEndian.Uint64(body[8*j:])
			}
			if !slices.IsSorted(o.sparse) {
				return errors.New("APPROX_COUNT_DISTINCT state: sparse hashes out of order")
			}
		case raw[0] == 1 && len(body) == hllM:
			o.regs = body
		default:
			return fmt.Errorf("APPROX_COUNT_DISTINCT state: bad sketch of %d bytes", len(raw))
		}
		if i != NoGroup && (o.regs != nil || len(o.sparse) > 0) {
			into(i).merge(&o)
		}
	}
	return nil
}
