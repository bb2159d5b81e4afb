package nexmark

import (
	"encoding/binary"
	"hash/fnv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// fingerprint hashes every value of every batch, in order.
func fingerprint(t testing.TB, batches []arrow.RecordBatch) uint64 {
	t.Helper()
	h := fnv.New64a()
	var buf [8]byte
	for _, b := range batches {
		for r := 0; r < int(b.NumRows()); r++ {
			for c := 0; c < int(b.NumCols()); c++ {
				switch a := b.Column(c).(type) {
				case *array.Int64:
					h.Write(binary.LittleEndian.AppendUint64(buf[:0], uint64(a.Value(r))))
				case *array.Timestamp:
					h.Write(binary.LittleEndian.AppendUint64(buf[:0], uint64(a.Value(r))))
				case *array.String:
					h.Write([]byte(a.Value(r)))
					h.Write([]byte{0})
				default:
					t.Fatalf("column %d is a %T", c, a)
				}
				if b.Column(c).IsNull(r) {
					t.Fatalf("column %d row %d is null", c, r)
				}
			}
		}
	}
	return h.Sum64()
}

// The generator's output is pinned: every value of the first 200,000
// events of each kind hashes to the same fingerprint, so a faster
// generator must make exactly the same rows.
func TestFingerprint(t *testing.T) {
	for _, c := range []struct {
		k    Kind
		want uint64
	}{{Person, 0x460f27481029c179}, {Auction, 0xed33dfba94da4e57}, {Bid, 0x601ee1267754f7d5}} {
		src := open(t, fullSchema(c.k), opts(c.k.String(), 200_000))
		batches := readBatches(t, src, 8192)
		if got := fingerprint(t, batches); got != c.want {
			t.Errorf("%s: fingerprint %#x, want %#x", c.k, got, c.want)
		}
		release(batches)
	}
}

// personLen is the length of the string personString makes.
func TestPersonLen(t *testing.T) {
	var e events
	for i := int64(0); i < 5000; i += 50 {
		for _, f := range []int{pName, pEmail, pCard, pCity, pState} {
			if got, want := e.personLen(f, i), int64(len(e.personString(f, i))); got != want {
				t.Fatalf("person %d field %d: length %d, string of %d", i, f, got, want)
			}
		}
	}
}
