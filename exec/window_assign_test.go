package exec

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// TestWindowAssign: each row comes out once per window holding it, with
// window_start, window_end and window_time; NULL times belong nowhere.
func TestWindowAssign(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: vector.Timestamp, Nullable: true}, {Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	cases := []struct {
		spec WindowSpec
		want string
	}{
		{WindowSpec{Kind: Tumble, Size: 10}, "[0 10 9 1] [0 10 9 2] [10 20 19 3] [-10 0 -1 4]"},
		{WindowSpec{Kind: Hop, Size: 10, Slide: 5}, "[-5 5 4 1] [0 10 9 1] [0 10 9 2] [5 15 14 2] [5 15 14 3] [10 20 19 3] [-10 0 -1 4] [-5 5 4 4]"},
		{WindowSpec{Kind: Cumulate, Size: 12, Slide: 4}, "[0 4 3 1] [0 8 7 1] [0 12 11 1] [0 12 11 2] [12 16 15 3] [12 20 19 3] [12 24 23 3] [-12 0 -1 4]"},
		{WindowSpec{Kind: Hop, Size: 10, Slide: 4}, "[-8 2 1 1] [-4 6 5 1] [0 10 9 1] [0 10 9 2] [4 14 13 2] [8 18 17 2] [4 14 13 3] [8 18 17 3] [12 22 21 3] [-12 -2 -3 4] [-8 2 1 4] [-4 6 5 4]"},
	}
	for _, c := range cases {
		w, err := NewWindowAssign(mem, in, c.spec)
		if err != nil {
			t.Fatal(err)
		}
		tb := array.NewTimestampBuilder(mem, vector.Timestamp.(*arrow.TimestampType))
		tb.AppendValues([]arrow.Timestamp{1, 9, 12, -3}, nil)
		tb.AppendNull()
		kb := array.NewInt64Builder(mem)
		kb.AppendValues([]int64{1, 2, 3, 4, 5}, nil)
		ta, ka := tb.NewArray(), kb.NewArray()
		tb.Release()
		kb.Release()
		b := array.NewRecordBatch(in, []arrow.Array{ta, ka}, 5)
		ta.Release()
		ka.Release()
		out, err := w.Process(b)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, o := range out {
			for r := 0; r < int(o.NumRows()); r++ {
				s := o.Column(2).(*array.Timestamp).Value(r)
				e := o.Column(3).(*array.Timestamp).Value(r)
				wt := o.Column(4).(*array.Timestamp).Value(r)
				k := o.Column(1).(*array.Int64).Value(r)
				if got != "" {
					got += " "
				}
				got += fmt.Sprintf("[%d %d %d %d]", s, e, wt, k)
			}
			o.Release()
		}
		// Order: per row, its windows from the earliest start.
		if got != c.want {
			t.Errorf("%+v: got %s, want %s", c.spec, got, c.want)
		}
		w.Close()
	}
}
