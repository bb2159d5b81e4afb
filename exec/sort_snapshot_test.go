package exec

import (
	"bytes"
	"testing"
)

// TestSortSnapshot: ORDER BY's rows held for the next emission survive a
// snapshot and restore; an Advance that does not raise the watermark
// emits nothing (every micro-batch ends with one).
func TestSortSnapshot(t *testing.T) {
	mem := winTestMem(t)
	s := winTestSchema("v:int")
	a := NewSort(mem, s, []SortKey{{Col: 0, Desc: true}})
	defer a.Close()
	for _, rows := range [][][]any{{{int64(2)}, {int64(5)}}, {{int64(3)}}} {
		if out, err := a.Process(winTestBatch(mem, s, rows)); err != nil || out != nil {
			t.Fatal(out, err)
		}
	}
	if out, err := a.Advance(MinWatermark); err != nil || out != nil {
		t.Fatalf("Advance at an unchanged watermark: %v %v", out, err)
	}
	var buf bytes.Buffer
	if err := a.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	b := NewSort(mem, s, []SortKey{{Col: 0, Desc: true}})
	defer b.Close()
	if err := b.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := b.Advance(MaxWatermark)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseBatches(out)
	if got := winTestFormat(winTestValues(out)); len(got) != 3 || got[0] != "5" || got[1] != "3" || got[2] != "2" {
		t.Errorf("restored sort emitted %v", got)
	}
	if out, err := b.Advance(MaxWatermark); err != nil || out != nil {
		t.Errorf("second Advance at MaxWatermark: %v %v", out, err)
	}
}
