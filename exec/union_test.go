package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestUnionPassesBatches: a union hands every batch of every port on
// unchanged, in arrival order, and emits nothing on a watermark.
func TestUnionPassesBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	batch := func(v int64) arrow.RecordBatch {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.Append(v)
		col := b.NewArray()
		defer col.Release()
		return array.NewRecordBatch(schema, []arrow.Array{col}, 1)
	}
	var u MultiInput = NewUnion(schema, 2)
	if u.Ports() != 2 {
		t.Fatalf("Ports() = %d, want 2", u.Ports())
	}
	var got []int64
	for i, port := range []int{1, 0, 1} {
		out, err := u.ProcessFrom(port, batch(int64(i)))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range out {
			got = append(got, b.Column(0).(*array.Int64).Value(0))
			b.Release()
		}
	}
	if len(got) != 3 || got[0] != 0 || got[1] != 1 || got[2] != 2 {
		t.Errorf("rows %v, want [0 1 2]", got)
	}
	if out, err := u.Advance(MaxWatermark); err != nil || out != nil {
		t.Errorf("Advance = %v, %v; want nothing", out, err)
	}
	u.Close()
}
