package exec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestMinMaxAppendOnly: MIN and MAX over an input that is never retracted
// keep only each group's extreme, and give what the counting form gives,
// through State and Merge too; a retraction is refused.
func TestMinMaxAppendOnly(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(5, 6))
	for _, typ := range []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.FixedWidthTypes.Timestamp_ms, arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String} {
		for _, f := range []AggFunc{Min, Max} {
			spec := AggSpec{Func: f, Arg: 0, Name: "m"}
			full, err := NewGroupsAccumulator(spec, typ)
			if err != nil {
				t.Fatal(err)
			}
			lean, _ := NewGroupsAccumulator(spec, typ)
			lean.(appendOnlyAccumulator).setAppendOnly()
			for range 20 {
				n := r.IntN(50)
				groups := make([]uint32, n)
				b := array.NewBuilder(mem, typ)
				for i := range groups {
					groups[i] = uint32(r.IntN(7))
					if r.IntN(10) == 0 {
						groups[i] = NoGroup // a row a FILTER skips
					}
					switch v := r.IntN(40); {
					case v == 0:
						b.AppendNull()
					case typ.ID() == arrow.INT64:
						b.(*array.Int64Builder).Append(int64(v - 20))
					case typ.ID() == arrow.TIMESTAMP:
						b.(*array.TimestampBuilder).Append(arrow.Timestamp(v - 20))
					case typ.ID() == arrow.FLOAT64 && v == 1:
						b.(*array.Float64Builder).Append(math.NaN())
					case typ.ID() == arrow.FLOAT64:
						b.(*array.Float64Builder).Append(float64(v) / 3)
					default:
						b.(*array.StringBuilder).Append(fmt.Sprint("s", v))
					}
				}
				vals := b.NewArray()
				b.Release()
				if err := full.Update(groups, vals); err != nil {
					t.Fatal(err)
				}
				if err := lean.Update(groups, vals); err != nil {
					t.Fatal(err)
				}
				vals.Release()
			}
			all := []uint32{0, 1, 2, 3, 4, 5, 6}
			st, err := lean.State(mem, all)
			if err != nil {
				t.Fatal(err)
			}
			merged, _ := NewGroupsAccumulator(spec, typ)
			merged.(appendOnlyAccumulator).setAppendOnly()
			if err := merged.Merge(all, st); err != nil {
				t.Fatal(err)
			}
			releaseAll(st)
			want, _ := full.Evaluate(mem, all)
			for name, acc := range map[string]GroupsAccumulator{"append-only": lean, "merged": merged} {
				got, _ := acc.Evaluate(mem, all)
				if got.String() != want.String() {
					t.Errorf("%s %s of %s: %s, want %s", name, f, typ, got, want)
				}
				got.Release()
			}
			want.Release()
			probe := array.NewInt64Builder(mem)
			probe.Append(1)
			one := probe.NewArray()
			probe.Release()
			if typ.ID() == arrow.INT64 {
				if err := lean.Retract([]uint32{0}, one); err == nil {
					t.Error("an append-only MIN/MAX took a retraction")
				}
			}
			one.Release()
		}
	}
}
