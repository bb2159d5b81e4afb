package exec

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestTapAndCheckpointHistory: Tap sees every row given to the sink, in
// order; the completed checkpoint is in the history with its size.
func TestTapAndCheckpointHistory(t *testing.T) {
	for _, serial := range []bool{true, false} {
		dir := t.TempDir()
		sink := &memSink{}
		q := checkpointedQuery(t, dir, sink)
		q.Serial = serial
		var tapped []int64
		q.Tap = func(b arrow.RecordBatch) {
			for i := 0; i < int(b.NumRows()); i++ {
				tapped = append(tapped, b.Column(1).(*array.Int64).Value(i))
			}
		}
		if err := q.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		releaseSink(sink)
		if len(tapped) != 2 || tapped[0] != 1 || tapped[1] != 2 {
			t.Errorf("serial=%v: tapped %v, want [1 2]", serial, tapped)
		}
		h := q.CheckpointHistory()
		if len(h) != 1 || h[0].Seq != 1 || h[0].Time.IsZero() || h[0].Duration <= 0 {
			t.Fatalf("serial=%v: history %+v", serial, h)
		}
		meta, err := os.Stat(filepath.Join(dir, "chk-000000000001", "meta.json"))
		if err != nil {
			t.Fatal(err)
		}
		if h[0].Bytes < meta.Size() {
			t.Errorf("serial=%v: checkpoint bytes %d < meta.json's %d", serial, h[0].Bytes, meta.Size())
		}
	}
}

// TestCheckpointHistoryKeepsLast: the history keeps the newest 50.
func TestCheckpointHistoryKeepsLast(t *testing.T) {
	q := &Query{}
	for i := int64(1); i <= 60; i++ {
		q.ckLog.add(CheckpointInfo{Seq: i})
	}
	h := q.CheckpointHistory()
	if len(h) != checkpointHistorySize || h[0].Seq != 11 || h[49].Seq != 60 {
		t.Errorf("history of %d from %d to %d", len(h), h[0].Seq, h[len(h)-1].Seq)
	}
}
