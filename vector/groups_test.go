package vector

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func groupTestMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func groupTestArray(t *testing.T, mem memory.Allocator, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	a, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
	if err != nil {
		t.Fatalf("FromJSON(%s): %v", js, err)
	}
	return a
}

func groupTestRelease(as []arrow.Array) {
	for _, a := range as {
		a.Release()
	}
}

// groupTestRowKey renders row i of cols as a string key, for reference maps.
func groupTestRowKey(cols []arrow.Array, i int) string {
	var b strings.Builder
	for _, c := range cols {
		if c.IsNull(i) {
			b.WriteString("N|")
			continue
		}
		if f, ok := c.(*array.Float64); ok {
			v := f.Value(i)
			if v == 0 {
				v = 0
			}
			if v != v {
				b.WriteString("NaN|")
				continue
			}
			fmt.Fprintf(&b, "%v|", v)
			continue
		}
		fmt.Fprintf(&b, "%q|", c.ValueStr(i))
	}
	return b.String()
}

func TestGroupTableBasic(t *testing.T) {
	mem := groupTestMem(t)
	g, err := NewGroupTable([]arrow.DataType{Int64, String, Float64, Boolean, Timestamp})
	if err != nil {
		t.Fatal(err)
	}
	cols := []arrow.Array{
		groupTestArray(t, mem, Int64, `[1, 1, null, 1, null, 1, 1]`),
		groupTestArray(t, mem, String, `["a", "a", null, "a", null, "b", "a"]`),
		groupTestArray(t, mem, Float64, `[0.5, 0.5, null, 0.5, null, 0.5, 0.5]`),
		groupTestArray(t, mem, Boolean, `[true, true, null, true, null, true, false]`),
		groupTestArray(t, mem, Timestamp, `[5, 5, null, 5, null, 5, 5]`),
	}
	defer groupTestRelease(cols)
	ids := groupInsert(t, g, cols, nil)
	want := []uint32{0, 0, 1, 0, 1, 2, 3}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("ids %v, want %v", ids, want)
	}
	if g.Len() != 4 || g.NumIDs() != 4 {
		t.Fatalf("Len %d NumIDs %d", g.Len(), g.NumIDs())
	}
	keys := g.Keys([]uint32{3, 1, 0, 2}, mem)
	defer groupTestRelease(keys)
	got := make([]string, len(keys))
	for i, k := range keys {
		got[i] = fmt.Sprint(k)
	}
	wantKeys := `[1 (null) 1 1] ["a" (null) "a" "b"] [0.5 (null) 0.5 0.5] [false (null) true true] [5 (null) 5 5]`
	if strings.Join(got, " ") != wantKeys {
		t.Fatalf("keys\n got %s\nwant %s", strings.Join(got, " "), wantKeys)
	}
	sorted := []uint32{0, 1, 2, 3}
	g.SortIDs(sorted)
	if fmt.Sprint(sorted) != "[1 3 0 2]" {
		t.Fatalf("sorted %v", sorted)
	}
}

func TestGroupTableFloatKeys(t *testing.T) {
	mem := groupTestMem(t)
	g, _ := NewGroupTable([]arrow.DataType{Float64})
	b := array.NewFloat64Builder(mem)
	b.AppendValues([]float64{0, math.Copysign(0, -1), math.NaN(), -math.NaN(), math.Inf(-1), 2, math.Inf(1)}, nil)
	b.AppendNull()
	a := b.NewArray()
	b.Release()
	defer a.Release()
	ids := groupInsert(t, g, []arrow.Array{a}, nil)
	if fmt.Sprint(ids) != "[0 0 1 1 2 3 4 5]" {
		t.Fatalf("ids %v", ids)
	}
	s := []uint32{0, 1, 2, 3, 4, 5}
	g.SortIDs(s)
	if fmt.Sprint(s) != "[5 2 0 3 4 1]" { // NULL, -Inf, 0, 2, +Inf, NaN
		t.Fatalf("sorted %v", s)
	}
}

func TestGroupTableNoKeys(t *testing.T) {
	g, _ := NewGroupTable(nil)
	if id, err := g.InsertEmpty(); err != nil || id != 0 || g.Len() != 1 {
		t.Fatalf("id %d len %d", id, g.Len())
	}
	g.Free(0)
	if g.Len() != 0 || g.Alive(0) {
		t.Fatal("not freed")
	}
	if id, err := g.InsertEmpty(); err != nil || id != 0 || g.Len() != 1 {
		t.Fatalf("id %d len %d", id, g.Len())
	}
}

func TestGroupTableNullType(t *testing.T) {
	mem := groupTestMem(t)
	g, _ := NewGroupTable([]arrow.DataType{Null, Int64})
	a := array.NewNull(3)
	defer a.Release()
	b := groupTestArray(t, mem, Int64, `[1, 2, 1]`)
	defer b.Release()
	ids := groupInsert(t, g, []arrow.Array{a, b}, nil)
	if fmt.Sprint(ids) != "[0 1 0]" {
		t.Fatalf("ids %v", ids)
	}
	keys := g.Keys([]uint32{1}, mem)
	defer groupTestRelease(keys)
	if keys[0].DataType().ID() != arrow.NULL || fmt.Sprint(keys[1]) != "[2]" {
		t.Fatalf("keys %v", keys)
	}
}

// TestGroupTableRandom checks ids against a map on random batches, with
// keys freed and re-inserted, sliced arrays, and Keys round trips.
func TestGroupTableRandom(t *testing.T) {
	mem := groupTestMem(t)
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		g, _ := NewGroupTable([]arrow.DataType{String, Int64})
		ref := map[string]uint32{} // alive keys
		byID := map[uint32]string{}
		for round := 0; round < 30; round++ {
			n := 1 + r.IntN(700)
			nk := 1 + r.IntN(2000)
			sb := array.NewStringBuilder(mem)
			ib := array.NewInt64Builder(mem)
			sb.Append("pad")
			ib.Append(0)
			for i := 0; i < n; i++ {
				k := r.IntN(nk)
				if r.IntN(20) == 0 {
					sb.AppendNull()
				} else {
					sb.Append(strings.Repeat("x", k%7) + fmt.Sprint(k%300))
				}
				if r.IntN(20) == 0 {
					ib.AppendNull()
				} else {
					ib.Append(int64(k / 300))
				}
			}
			sa, ia := sb.NewArray(), ib.NewArray()
			sb.Release()
			ib.Release()
			cols := []arrow.Array{array.NewSlice(sa, 1, int64(n+1)), array.NewSlice(ia, 1, int64(n+1))}
			sa.Release()
			ia.Release()
			ids := groupInsert(t, g, cols, nil)
			for i, id := range ids {
				k := groupTestRowKey(cols, i)
				if want, ok := ref[k]; ok {
					if id != want {
						t.Fatalf("seed %d: key %s id %d, want %d", seed, k, id, want)
					}
					continue
				}
				if other, ok := byID[id]; ok {
					t.Fatalf("seed %d: id %d for %s already names %s", seed, id, k, other)
				}
				ref[k], byID[id] = id, k
			}
			if g.Len() != len(ref) {
				t.Fatalf("seed %d: Len %d, want %d", seed, g.Len(), len(ref))
			}
			// Keys round trip of every alive id.
			all := make([]uint32, 0, len(byID))
			for id := range byID {
				all = append(all, id)
			}
			keys := g.Keys(all, mem)
			for i, id := range all {
				if k := groupTestRowKey(keys, i); k != byID[id] {
					t.Fatalf("seed %d: Keys(%d) = %s, want %s", seed, id, k, byID[id])
				}
			}
			groupTestRelease(keys)
			groupTestRelease(cols)
			// Free a random half.
			for id, k := range byID {
				if r.IntN(2) == 0 {
					g.Free(id)
					delete(byID, id)
					delete(ref, k)
				}
			}
		}
	}
}

func TestGroupTableCompact(t *testing.T) {
	mem := groupTestMem(t)
	g, _ := NewGroupTable([]arrow.DataType{String})
	long := strings.Repeat("y", 1000)
	for round := 0; round < 50; round++ {
		b := array.NewStringBuilder(mem)
		for i := 0; i < 100; i++ {
			b.Append(fmt.Sprintf("%s%d-%d", long, round, i))
		}
		a := b.NewArray()
		b.Release()
		ids := groupInsert(t, g, []arrow.Array{a}, nil)
		a.Release()
		if round%2 == 0 {
			for _, id := range ids {
				g.Free(id)
			}
		}
	}
	if g.Len() != 25*100 {
		t.Fatalf("Len %d", g.Len())
	}
	if live := 25 * 100 * 1005; len(g.cols[0].arena) > 2*live {
		t.Fatalf("arena %d bytes for %d live", len(g.cols[0].arena), live)
	}
	keys := g.Keys([]uint32{uint32(g.NumIDs() - 1)}, mem)
	defer groupTestRelease(keys)
	if !strings.HasPrefix(keys[0].ValueStr(0), long+"49-") {
		t.Fatalf("key %.20s", keys[0].ValueStr(0))
	}
}

func BenchmarkGroupTableInt64(b *testing.B) {
	mem := memory.NewGoAllocator()
	bld := array.NewInt64Builder(mem)
	for i := 0; i < 8192; i++ {
		bld.Append(int64(i % 100))
	}
	a := bld.NewArray()
	defer a.Release()
	g, _ := NewGroupTable([]arrow.DataType{Int64})
	ids := make([]uint32, 8192)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ids = groupInsert(b, g, []arrow.Array{a}, ids)
	}
	b.ReportMetric(float64(b.N)*8192/b.Elapsed().Seconds(), "rows/s")
}

// groupInsert is g.Insert, failing the test on an error.
func groupInsert(t testing.TB, g *GroupTable, cols []arrow.Array, ids []uint32) []uint32 {
	t.Helper()
	ids, err := g.Insert(cols, ids)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestGroupTableMismatchedColumns: columns that do not fit the table are
// an error, not a panic.
func TestGroupTableMismatchedColumns(t *testing.T) {
	g, err := NewGroupTable([]arrow.DataType{Int64})
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewGoAllocator()
	sb := array.NewStringBuilder(mem)
	sb.Append("a")
	s := sb.NewArray()
	defer s.Release()
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{1, 2}, nil)
	i := ib.NewArray()
	defer i.Release()
	for _, tc := range []struct {
		cols []arrow.Array
		want string
	}{
		{nil, "group table: 0 key columns given, the table has 1"},
		{[]arrow.Array{s}, "group table: key column 0 is VARCHAR, want BIGINT"},
		{[]arrow.Array{i, i}, "group table: 2 key columns given, the table has 1"},
	} {
		if _, err := g.Insert(tc.cols, nil); err == nil || err.Error() != tc.want {
			t.Errorf("Insert(%d columns) = %v, want %s", len(tc.cols), err, tc.want)
		}
	}
	if _, err := g.InsertEmpty(); err == nil || err.Error() != "group table: an empty key given, the table has 1 key columns" {
		t.Errorf("InsertEmpty = %v", err)
	}
	g2, _ := NewGroupTable([]arrow.DataType{Int64, Int64})
	if _, err := g2.Insert([]arrow.Array{i, s}, nil); err == nil || err.Error() != "group table: key column 1 is VARCHAR, want BIGINT" {
		t.Errorf("Insert(mixed) = %v", err)
	}
}

// TestGroupTableSortIDsWith checks that what sorts along with the ids
// follows them, for a fixed-width key with NULLs and for a string key.
func TestGroupTableSortIDsWith(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  arrow.DataType
		js   string
	}{
		{"int", Int64, `[30, null, 10, 0, 20]`},
		{"string", String, `["d", null, "b", "a", "c"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := groupTestMem(t)
			col := groupTestArray(t, mem, tc.typ, tc.js)
			defer col.Release()
			g, err := NewGroupTable([]arrow.DataType{tc.typ})
			if err != nil {
				t.Fatal(err)
			}
			ids, err := g.Insert([]arrow.Array{col}, nil)
			if err != nil {
				t.Fatal(err)
			}
			with := make([]uint32, len(ids))
			for i, id := range ids {
				with[i] = 100 + id
			}
			g.SortIDsWith(ids, with)
			if want := []uint32{1, 3, 2, 4, 0}; !slices.Equal(ids, want) {
				t.Fatalf("ids %v, want %v", ids, want)
			}
			for i, id := range ids {
				if with[i] != 100+id {
					t.Fatalf("with %v does not follow ids %v", with, ids)
				}
			}
		})
	}
}

// TestGroupTableDropIndex: after DropIndex the keys are still there, and
// Insert and Free build the index again: known keys keep their ids.
func TestGroupTableDropIndex(t *testing.T) {
	mem := groupTestMem(t)
	g, err := NewGroupTable([]arrow.DataType{String})
	if err != nil {
		t.Fatal(err)
	}
	in := groupTestArray(t, mem, String, `["a", "b", null, "c"]`)
	defer in.Release()
	ids, err := g.Insert([]arrow.Array{in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.DropIndex()
	if g.Bytes() >= 16*8 || g.Len() != 4 {
		t.Fatalf("after DropIndex: %d bytes, %d keys", g.Bytes(), g.Len())
	}
	sorted := slices.Clone(ids)
	g.SortIDs(sorted)
	if want := []uint32{2, 0, 1, 3}; !slices.Equal(sorted, want) {
		t.Fatalf("sorted %v, want %v", sorted, want)
	}
	again := groupTestArray(t, mem, String, `["c", null, "d"]`)
	defer again.Release()
	got, err := g.Insert([]arrow.Array{again}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint32{3, 2, 4}; !slices.Equal(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
	g.DropIndex()
	g.Free(0)
	if got, err = g.Insert([]arrow.Array{again}, got); err != nil || !slices.Equal(got, []uint32{3, 2, 4}) || g.Len() != 4 {
		t.Fatalf("after Free: ids %v (%v), %d keys", got, err, g.Len())
	}
}

// TestGroupTableSortStringsByCompare: sorting a VARCHAR key column (by an
// eight-byte prefix, then the whole string) gives Compare's order, over
// strings that share prefixes, hold zero bytes, are longer than eight
// bytes or NULL.
func TestGroupTableSortStringsByCompare(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "b", "\x00", "ab", "abcdefgh", "é", "z"}
	for round := 0; round < 50; round++ {
		mem := groupTestMem(t)
		b := array.NewStringBuilder(mem)
		for i := 0; i < 200; i++ {
			if r.IntN(20) == 0 {
				b.AppendNull()
				continue
			}
			var s strings.Builder
			for n := r.IntN(5); n > 0; n-- {
				s.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			b.Append(s.String())
		}
		col := b.NewArray()
		b.Release()
		g, err := NewGroupTable([]arrow.DataType{String})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := g.Insert([]arrow.Array{col}, nil)
		col.Release()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		want := slices.Clone(ids)
		slices.SortStableFunc(want, g.Compare)
		g.SortIDs(ids)
		for i := range ids {
			if g.Compare(ids[i], want[i]) != 0 {
				t.Fatalf("round %d: position %d holds id %d, Compare's order has %d", round, i, ids[i], want[i])
			}
		}
	}
}
