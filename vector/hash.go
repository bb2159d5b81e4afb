package vector

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// HashRows folds the values of cols into h, one hash per row: h[i]
// becomes the hash of the key (cols[0][i], cols[1][i], ...). Keys equal
// as GROUP BY and join keys are equal (-0 is 0, every NaN is one NaN,
// NULL equals NULL) hash alike, and the hash is the same in every
// process and on every run, so it can place keys in partitions whose
// state a checkpoint keeps. The column types are those of group keys:
// BIGINT, TIMESTAMP, DOUBLE, BOOLEAN, VARCHAR and NULL. h must have one
// element per row; it is overwritten.
func HashRows(cols []arrow.Array, h []uint64) error {
	for i := range h {
		h[i] = hashSeed
	}
	for k, c := range cols {
		if c.Len() != len(h) {
			return fmt.Errorf("hash key column %d has %d rows, want %d", k, c.Len(), len(h))
		}
		if err := hashCol(c, h); err != nil {
			return fmt.Errorf("hash key column %d: %v", k, err)
		}
	}
	return nil
}

const (
	hashSeed  = 0x2d358dccaa6c78a5
	hashNull  = 0x8bb84b93962eacc9
	hashPrime = 0x9e3779b97f4a7c15
)

// hashFold combines a running row hash with one column value's hash.
func hashFold(h, v uint64) uint64 { return groupMix(h*hashPrime ^ v) }

func hashCol(c arrow.Array, h []uint64) error {
	switch a := c.(type) {
	case *array.Int64:
		hashInts(a, a.Int64Values(), h)
	case *array.Timestamp:
		ts := a.TimestampValues()
		hashInts(a, unsafe.Slice((*int64)(unsafe.SliceData(ts)), len(ts)), h)
	case *array.Float64:
		for i, v := range a.Float64Values() {
			if a.IsNull(i) {
				h[i] = hashFold(h[i], hashNull)
				continue
			}
			h[i] = hashFold(h[i], groupMix(uint64(groupFloatBits(v))))
		}
	case *array.Boolean:
		for i := range h {
			switch {
			case a.IsNull(i):
				h[i] = hashFold(h[i], hashNull)
			case a.Value(i):
				h[i] = hashFold(h[i], groupMix(1))
			default:
				h[i] = hashFold(h[i], groupMix(2))
			}
		}
	case *array.String:
		nulls := a.NullN() > 0
		for i := range h {
			if nulls && a.IsNull(i) {
				h[i] = hashFold(h[i], hashNull)
				continue
			}
			h[i] = hashFold(h[i], hashString(a.Value(i)))
		}
	case *array.Null:
		for i := range h {
			h[i] = hashFold(h[i], hashNull)
		}
	default:
		return fmt.Errorf("unsupported type %s", TypeName(c.DataType()))
	}
	return nil
}

func hashInts(a arrow.Array, vals []int64, h []uint64) {
	if a.NullN() == 0 {
		for i, v := range vals {
			h[i] = hashFold(h[i], groupMix(uint64(v)))
		}
		return
	}
	for i, v := range vals {
		if a.IsNull(i) {
			h[i] = hashFold(h[i], hashNull)
		} else {
			h[i] = hashFold(h[i], groupMix(uint64(v)))
		}
	}
}

// hashString hashes s eight bytes at a time.
func hashString(s string) uint64 {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	x := uint64(len(s)) * hashPrime
	for len(b) >= 8 {
		hi, lo := bits.Mul64(x^binary.LittleEndian.Uint64(b), 0xa0761d6478bd642f)
		x = hi ^ lo
		b = b[8:]
	}
	if len(b) > 0 {
		var t [8]byte
		copy(t[:], b)
		hi, lo := bits.Mul64(x^binary.LittleEndian.Uint64(t[:])^0xe7037ed1a0b428db, 0xa0761d6478bd642f)
		x = hi ^ lo
	}
	return groupMix(x)
}
