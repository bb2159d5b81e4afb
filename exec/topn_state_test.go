package exec

import (
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// TestTopNHeldRowsDoNotPinBatches keeps the first row of each of 100
// batches of 1,000 rows of 1 KiB strings (a partition per batch): what
// the TopN holds is those 100 rows, not the batches they came in.
func TestTopNHeldRowsDoNotPinBatches(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: vector.Int64}, {Name: "v", Type: vector.Int64},
		{Name: "s", Type: vector.String}}, nil)
	op := mustTopN(t, TopNConfig{Input: schema, Partition: []int{0}, Order: []SortKey{{Col: 1}}, N: 1, WindowEnd: -1,
		Alloc: memory.DefaultAllocator})
	payload := strings.Repeat("x", 1024)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for b := range 100 {
		rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := range 1000 {
			rb.Field(0).(*array.Int64Builder).Append(int64(b))
			rb.Field(1).(*array.Int64Builder).Append(int64(i))
			rb.Field(2).(*array.StringBuilder).Append(payload)
		}
		batch := rb.NewRecordBatch()
		rb.Release()
		if _, err := op.Process(batch); err != nil {
			t.Fatal(err)
		}
		out, err := op.Advance(MinWatermark)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out {
			o.Release()
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if st := op.Stats(); st.Keys != 100 {
		t.Fatalf("%d partitions, want 100", st.Keys)
	}
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew by %d bytes for 100 rows held", grown)
	if grown > 2<<20 {
		t.Errorf("heap grew by %d bytes for 100 rows of 1 KiB held, want at most 2 MiB", grown)
	}
	runtime.KeepAlive(op)
}

// TestTopNIntegerKeys checks the integer partition keys: NULL is not 0,
// and a key survives the snapshot's encoding.
func TestTopNIntegerKeys(t *testing.T) {
	ps := newTopnParts([]arrow.Type{arrow.INT64, arrow.TIMESTAMP})
	if !ps.ints {
		t.Fatal("two integer columns are not keyed by integers")
	}
	if newTopnParts([]arrow.Type{arrow.INT64, arrow.STRING}).ints {
		t.Fatal("a string column is keyed by integers")
	}
	keys := [][]Cell{{{I: 0}, {I: 0}}, {{Null: true}, {I: 0}}, {{I: 0}, {Null: true}}, {{I: -5}, {I: 1 << 50}}}
	for i, pk := range keys {
		ps.put(newTopnPart("", 0, uint64(i)), pk)
	}
	if ps.len() != len(keys) {
		t.Fatalf("%d partitions, want %d", ps.len(), len(keys))
	}
	for i, pk := range keys {
		p := ps.get(pk, nil)
		if p == nil || p.first != uint64(i) {
			t.Fatalf("key %v: partition %v", pk, p)
		}
		back, ok := cellsOfKey(ps.keyOf(p, 2), 2)
		if !ok || intKey(back) != intKey(pk) {
			t.Fatalf("key %v: through the snapshot %v (%v)", pk, back, ok)
		}
	}
}
