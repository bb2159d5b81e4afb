package exec

import (
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/weirdb/weir/vector"
)

// TestWindowAggAdvanceEach: AdvanceEach hands over the batches Advance
// would return, each as soon as it is built, and none is left for
// Advance; after emit fails the rest are released and its error returned.
func TestWindowAggAdvanceEach(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("k:int")
	mk := func() *WindowAgg {
		w, err := NewWindowAgg(WindowAggConfig{Input: s, Keys: []int{0}, KeyNames: []string{"k"},
			Aggs: []AggSpec{{Func: CountStar, Arg: -1, Name: "n"}}, Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Process(winTestBatch(mem, s, emitTestKeys())); err != nil {
			t.Fatal(err)
		}
		return w
	}
	w := mk()
	defer w.Close()
	var got []arrow.RecordBatch
	if err := w.AdvanceEach(MaxWatermark, func(b arrow.RecordBatch) error {
		if len(got) == 0 && w.emit == nil {
			t.Error("emit called outside AdvanceEach")
		}
		got = append(got, b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	defer releaseBatches(got)
	emitTestCheck(t, got, []int64{8192, 8192, 3616}, []vector.RowKind{vector.Insert}, func(vector.RowKind) int64 { return 1 })

	v := mk()
	defer v.Close()
	calls := 0
	boom := errors.New("sink full")
	err := v.AdvanceEach(MaxWatermark, func(b arrow.RecordBatch) error {
		calls++
		b.Release()
		return boom
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("error %v after %d calls, want %v after 1", err, calls, boom)
	}
}
