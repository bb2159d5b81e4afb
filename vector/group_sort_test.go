package vector

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestSortIDsWithAgainstCompare: SortIDsWith gives Compare's order, and
// what sorts along with the ids follows them, for every kind of single key
// column, below and above the size where it sorts by radix, over keys
// whose images often tie (strings sharing long prefixes, narrow integer
// ranges) or differ only in high bytes.
func TestSortIDsWithAgainstCompare(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	mem := groupTestMem(t)
	gens := map[string]struct {
		typ  arrow.DataType
		make func(n int) arrow.Array
	}{
		"int narrow": {Int64, func(n int) arrow.Array {
			b := array.NewInt64Builder(mem)
			defer b.Release()
			for range n {
				if r.IntN(50) == 0 {
					b.AppendNull()
				} else {
					b.Append(int64(r.IntN(4000)) - 2000)
				}
			}
			return b.NewArray()
		}},
		"int wide": {Int64, func(n int) arrow.Array {
			b := array.NewInt64Builder(mem)
			defer b.Release()
			for range n {
				b.Append(int64(r.Uint64()))
			}
			return b.NewArray()
		}},
		"int high bytes": {Int64, func(n int) arrow.Array {
			b := array.NewInt64Builder(mem)
			defer b.Release()
			for range n {
				b.Append(int64(r.IntN(300)-150) << 48)
			}
			return b.NewArray()
		}},
		"float": {Float64, func(n int) arrow.Array {
			b := array.NewFloat64Builder(mem)
			defer b.Release()
			special := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), math.SmallestNonzeroFloat64}
			for range n {
				switch r.IntN(10) {
				case 0:
					b.Append(special[r.IntN(len(special))])
				case 1:
					b.AppendNull()
				default:
					b.Append(r.NormFloat64() * 1e6)
				}
			}
			return b.NewArray()
		}},
		"string": {String, func(n int) arrow.Array {
			b := array.NewStringBuilder(mem)
			defer b.Release()
			parts := []string{"/p", "https://example.com/", "a", "\x00", "zz", "é"}
			for range n {
				if r.IntN(40) == 0 {
					b.AppendNull()
					continue
				}
				var s strings.Builder
				for k := r.IntN(4); k >= 0; k-- {
					s.WriteString(parts[r.IntN(len(parts))])
				}
				s.WriteString(strings.Repeat("x", r.IntN(3)))
				b.Append(s.String())
			}
			return b.NewArray()
		}},
	}
	for name, gen := range gens {
		for _, n := range []int{5, radixMin - 1, radixMin, 3000} {
			col := gen.make(n)
			g, err := NewGroupTable([]arrow.DataType{gen.typ})
			if err != nil {
				t.Fatal(err)
			}
			ids := groupInsert(t, g, []arrow.Array{col}, nil)
			col.Release()
			slices.Sort(ids)
			ids = slices.Compact(ids)
			r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			want := slices.Clone(ids)
			slices.SortStableFunc(want, g.Compare)
			with := make([]uint32, len(ids))
			for i, id := range ids {
				with[i] = id * 3
			}
			g.SortIDsWith(ids, with)
			for i := range ids {
				if g.Compare(ids[i], want[i]) != 0 {
					t.Fatalf("%s, %d keys: position %d holds id %d, Compare's order has %d", name, n, i, ids[i], want[i])
				}
				if with[i] != ids[i]*3 {
					t.Fatalf("%s, %d keys: with does not follow the ids at %d", name, n, i)
				}
			}
		}
	}
}
