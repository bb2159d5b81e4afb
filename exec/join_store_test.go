package exec

import (
	"math"
	"runtime"
	"slices"
	"testing"
)

// TestHashJoinStateIsCompact holds 200,000 rows (ten per key) and checks
// the heap they take: packed rows and pointer-free entries, not a Go
// object and a boxed key per row.
func TestHashJoinStateIsCompact(t *testing.T) {
	cfg := HashJoinConfig{Left: joinSchema(false), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0}}
	j := mustJoin(t, cfg)
	const n = 200_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i += 1000 {
		rows := make([]jrow, 1000)
		for k := range rows {
			rows[k] = jrow{int64((i + k) / 10), int64(i + k), 0}
		}
		feed(t, j, 0, joinBatch(false, rows...))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if st := j.Stats(); st.Keys != n/10 {
		t.Fatalf("%d keys, want %d", st.Keys, n/10)
	}
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes of heap per row held", per)
	if per > 100 {
		t.Errorf("%.0f bytes of heap per row held, want at most 100", per)
	}
	runtime.KeepAlive(j)
}

// TestHashJoinReleasesExpiredRows frees every row by the watermark and
// checks that their chunks are released and their slots reused.
func TestHashJoinReleasesExpiredRows(t *testing.T) {
	cfg := HashJoinConfig{Left: joinSchema(false), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0},
		Expire: [2]JoinExpiry{{Set: true, Col: 1}, {Set: true, Col: 1}}}
	j := mustJoin(t, cfg)
	const n = 100_000
	for i := 0; i < n; i += 1000 {
		rows := make([]jrow, 1000)
		for k := range rows {
			rows[k] = jrow{int64(i + k), int64(i + k), 0}
		}
		feed(t, j, 0, joinBatch(false, rows...))
	}
	s := &j.sides[0].store
	used, chunks := s.used, len(s.chunks)
	if chunks < 2 {
		t.Fatalf("%d chunks for %d rows, want several", chunks, n)
	}
	if _, err := j.Advance(n); err != nil {
		t.Fatal(err)
	}
	if st := j.Stats(); st.Keys != 0 || st.StateBytes != 0 {
		t.Fatalf("after the watermark: %d keys, %d bytes", st.Keys, st.StateBytes)
	}
	for c := range chunks - 1 {
		if s.chunks[c] != nil {
			t.Fatalf("chunk %d of %d is still held", c, chunks)
		}
	}
	got := feed(t, j, 1, joinBatch(false, jrow{5, n + 5, 0}))
	feed(t, j, 0, joinBatch(false, jrow{5, n + 6, 0}))
	if len(got) != 0 || s.used != used {
		t.Fatalf("after refilling: output %q, %d slots used, want %d (reused)", got, s.used, used)
	}
}

// TestJoinKeyOfPackedRow checks that the key read from a packed row is
// the key joinKey gives for the row, for every type of key column.
func TestJoinKeyOfPackedRow(t *testing.T) {
	row := joinRow{int64(-7), "héllo", math.Copysign(0, -1), true, int64(1 << 40), "", 2.5, false}
	for _, keys := range [][]int{{0}, {1}, {2}, {3}, {6, 1, 0}, {5, 7, 4}, {7, 6, 5, 4, 3, 2, 1, 0}} {
		s := &joinSide{keys: keys}
		s.store.width = len(row)
		id := s.store.put(packRow(row))
		want, _ := joinKey(row, keys, nil)
		if got := s.keyOf(s.store.at(id)); got != want {
			t.Errorf("keys %v: %q, want %q", keys, got, want)
		}
	}
}

// TestHashJoinCompactsMixedLifetimes holds rows of which one in ten
// lives long: the chunks the short-lived rows leave mostly empty are
// compacted, and the long-lived rows still join.
func TestHashJoinCompactsMixedLifetimes(t *testing.T) {
	cfg := HashJoinConfig{Left: joinSchema(false), Right: joinSchema(false), LeftKeys: []int{0}, RightKeys: []int{0},
		Expire: [2]JoinExpiry{{Set: true, Col: 1}, {Set: true, Col: 1}}}
	j := mustJoin(t, cfg)
	const n = 1_000_000
	for i := 0; i < n; i += 10_000 {
		rows := make([]jrow, 10_000)
		for k := range rows {
			v := int64(i + k)
			if v%10 == 0 {
				v += 10 * n // lives long
			}
			rows[k] = jrow{int64(i + k), v, 0}
		}
		feed(t, j, 0, joinBatch(false, rows...))
		if _, err := j.Advance(int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := j.Advance(n); err != nil {
		t.Fatal(err)
	}
	s := &j.sides[0].store
	if st := j.Stats(); st.Keys != n/10 {
		t.Fatalf("%d keys held, want %d", st.Keys, n/10)
	}
	t.Logf("%d bytes of chunks for %d bytes of rows", s.total, s.rowBytes)
	if s.total > 2*s.rowBytes+2*joinChunkSize {
		t.Fatalf("%d bytes of chunks for %d bytes of rows", s.total, s.rowBytes)
	}
	got := feed(t, j, 1, joinBatch(false, jrow{500_000, 7 * n, 0}, jrow{500_001, 7 * n, 0}))
	if want := []string{"500000 10500000 500000 7000000"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
