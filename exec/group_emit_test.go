package exec

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/vector"
)

// emitTestKeys is 20,000 distinct keys in scrambled order: more than two
// output batches' worth.
func emitTestKeys() [][]any {
	rows := make([][]any, 20000)
	for i := range rows {
		rows[i] = []any{int64(i*7919) % 20000}
	}
	return rows
}

// emitTestCheck checks that out holds the rows of keys 0..19999 in key
// order (each key's rows adjacent, of the given ops, count n), in batches
// of the given sizes.
func emitTestCheck(t *testing.T, out []arrow.RecordBatch, sizes []int64, ops []vector.RowKind, n func(op vector.RowKind) int64) {
	t.Helper()
	var got []int64
	for _, b := range out {
		got = append(got, b.NumRows())
	}
	if fmt.Sprint(got) != fmt.Sprint(sizes) {
		t.Fatalf("batches of %v rows, want %v", got, sizes)
	}
	row := 0
	for _, b := range out {
		k, c := b.Column(0).(*array.Int64), b.Column(1).(*array.Int64)
		for i := 0; i < int(b.NumRows()); i++ {
			key, op := int64(row/len(ops)), ops[row%len(ops)]
			if b.NumCols() > 2 {
				if got := vector.RowKind(b.Column(2).(*array.Int8).Value(i)); got != op {
					t.Fatalf("row %d: op %v, want %v", row, got, op)
				}
			}
			if k.Value(i) != key || c.Value(i) != n(op) {
				t.Fatalf("row %d: key %d count %d, want key %d count %d", row, k.Value(i), c.Value(i), key, n(op))
			}
			row++
		}
	}
}

// TestWindowAggEmitsInBatches: a plain GROUP BY of 20,000 keys emits its
// result in key order in batches of at most 8192 rows, and holds no keys
// afterwards.
func TestWindowAggEmitsInBatches(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("k:int")
	w, err := NewWindowAgg(WindowAggConfig{Input: s, Keys: []int{0}, KeyNames: []string{"k"},
		Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Process(winTestBatch(mem, s, emitTestKeys())); err != nil {
		t.Fatal(err)
	}
	out, err := w.Advance(MaxWatermark)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseBatches(out)
	emitTestCheck(t, out, []int64{8192, 8192, 3616}, []vector.RowKind{vector.Insert}, func(vector.RowKind) int64 { return 1 })
	if st := w.Stats(); st.Keys != 0 || st.Panes != 0 {
		t.Errorf("after the end: %d keys, %d panes", st.Keys, st.Panes)
	}
	// A late row is counted and dropped.
	if _, err := w.Process(winTestBatch(mem, s, [][]any{{int64(1)}})); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Keys != 0 || st.LateRows != 1 {
		t.Errorf("after a late row: %d keys, %d late", st.Keys, st.LateRows)
	}
}

// TestUpdatingAggEmitsInBatches: the changes of 20,000 keys touched in one
// micro-batch come out in key order in batches of the changes of at most
// 8192 keys, a key's -U and +U in the same batch.
func TestUpdatingAggEmitsInBatches(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("k:int")
	u, err := NewUpdatingAgg(UpdatingAggConfig{Input: s, Keys: []int{0}, KeyNames: []string{"k"},
		Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for round, want := range []struct {
		sizes []int64
		ops   []vector.RowKind
	}{
		{[]int64{8192, 8192, 3616}, []vector.RowKind{vector.Insert}},
		{[]int64{16384, 16384, 7232}, []vector.RowKind{vector.UpdateBefore, vector.UpdateAfter}},
	} {
		if _, err := u.Process(winTestBatch(mem, s, emitTestKeys())); err != nil {
			t.Fatal(err)
		}
		out, err := u.Advance(0)
		if err != nil {
			t.Fatal(err)
		}
		emitTestCheck(t, out, want.sizes, want.ops, func(op vector.RowKind) int64 {
			if op == vector.UpdateBefore {
				return int64(round)
			}
			return int64(round + 1)
		})
		releaseBatches(out)
	}
}
