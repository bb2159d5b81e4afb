package exec

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// closeSnapFormat names the format of a WindowCloseAgg snapshot: one Arrow
// IPC stream of one batch, a row per open group: its keys, then each
// aggregate's accumulator State columns (state_J_K). The schema's
// metadata holds the watermark, the late rows and a fingerprint of the
// operator's configuration.
const closeSnapFormat = "weir.window_close_agg.v1"

// fingerprint identifies the operator's configuration in its snapshots.
func (w *WindowCloseAgg) fingerprint() string {
	return fmt.Sprint(w.cfg.Input, w.schema, w.cfg.EndKey)
}

// Snapshot implements Snapshotter: it writes the open groups to out; the
// operator is unchanged.
func (w *WindowCloseAgg) Snapshot(out io.Writer) error {
	if w.table == nil {
		return errors.New("window aggregate: Snapshot after Close")
	}
	var ids []uint32
	for id, ok := range w.live {
		if ok {
			ids = append(ids, uint32(id))
		}
	}
	cols := w.table.Keys(ids, w.mem)
	fields := append([]arrow.Field(nil), w.schema.Fields()[:len(w.cfg.Keys)]...)
	for j, acc := range w.accs {
		st, err := acc.State(w.mem, ids)
		if err != nil {
			releaseAll(cols)
			return err
		}
		for k, c := range st {
			fields = append(fields, arrow.Field{Name: fmt.Sprintf("state_%d_%d", j, k), Type: c.DataType(), Nullable: true})
		}
		cols = append(cols, st...)
	}
	if err := writeBatchSnapshot(out, w.mem, fields, cols, len(ids), closeSnapFormat, w.fingerprint(),
		"wm", strconv.FormatInt(w.wm, 10), "late", strconv.FormatInt(w.late, 10)); err != nil {
		return fmt.Errorf("window aggregate: snapshot: %w", err)
	}
	return nil
}

// Restore implements Snapshotter: it replaces the state of a freshly built
// operator with a snapshot written by Snapshot of the same query.
func (w *WindowCloseAgg) Restore(r io.Reader) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt snapshot: %v", p)
		}
		if err != nil {
			err = fmt.Errorf("window aggregate: restore: %w", err)
		}
	}()
	if w.table == nil || w.table.NumIDs() != 0 || w.wm != MinWatermark {
		return errors.New("the operator is not freshly built")
	}
	ir, err := openBatchSnapshot(r, w.mem, closeSnapFormat, w.fingerprint(),
		"not a window aggregate snapshot", "the snapshot was taken by a differently configured aggregate")
	if err != nil {
		return err
	}
	defer ir.Release()
	if err := ir.ints(snapInt{"wm", &w.wm}, snapInt{"late", &w.late}); err != nil {
		return err
	}
	if !ir.Next() {
		if err := ir.Err(); err != nil {
			return err
		}
		return errors.New("the snapshot ends before its groups")
	}
	rec := ir.RecordBatch()
	nk := len(w.cfg.Keys)
	ids, err := w.table.Insert(rec.Columns()[:nk], nil)
	if err != nil {
		return err
	}
	ends, ok := rec.Column(w.cfg.EndKey).(*array.Timestamp)
	if !ok {
		return errors.New("the window end column has the wrong type")
	}
	for i, id := range ids {
		w.add(id, int64(ends.Value(i)))
	}
	c, fs := rec.Columns()[nk:], rec.Schema().Fields()[nk:]
	for j, acc := range w.accs {
		prefix := fmt.Sprintf("state_%d_", j)
		k := 0
		for k < len(c) && len(fs[k].Name) > len(prefix) && fs[k].Name[:len(prefix)] == prefix {
			k++
		}
		if k == 0 {
			return fmt.Errorf("missing the state of aggregate %d", j)
		}
		if err := acc.Merge(ids, c[:k]); err != nil {
			return err
		}
		c, fs = c[k:], fs[k:]
	}
	if ir.Next() {
		return errors.New("more than one batch of groups")
	}
	return nil
}
