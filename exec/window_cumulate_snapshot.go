package exec

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// cumSnapFormat names the format of a CumulateAgg snapshot: one Arrow IPC
// stream of one batch, a row per cell: its keys, its period's start, its
// pane (-1 for the period's running value), then each aggregate's
// accumulator State columns (state_J_K). The schema's metadata holds the
// watermark (which tells each period's next window), the counters and a
// fingerprint of the operator's configuration.
const cumSnapFormat = "weir.cumulate_agg.v1"

// fingerprint identifies the operator's configuration in its snapshots.
func (c *CumulateAgg) fingerprint() string {
	return fmt.Sprint(c.cfg.Input, c.schema, c.cfg.TimeCol, c.cfg.Step, c.cfg.Size)
}

// Snapshot implements Snapshotter: it writes the cells to w; the operator
// is unchanged.
func (c *CumulateAgg) Snapshot(w io.Writer) error {
	if c.table == nil {
		return errors.New("cumulating window: Snapshot after Close")
	}
	var keys, groups []uint32
	sb, pb := array.NewInt64Builder(c.mem), array.NewInt64Builder(c.mem)
	defer sb.Release()
	defer pb.Release()
	add := func(s, pane int64, cells map[uint32]uint32) {
		for id, g := range cells {
			keys, groups = append(keys, id), append(groups, g)
			sb.Append(s)
			pb.Append(pane)
		}
	}
	for s, p := range c.periods {
		add(s, -1, p.running)
		for i, pane := range p.panes {
			add(s, i, pane)
		}
	}
	nk := len(c.cfg.Keys)
	var cols []arrow.Array
	if nk > 0 {
		cols = c.table.Keys(keys, c.mem)
	}
	fields := append([]arrow.Field(nil), c.schema.Fields()[2:2+nk]...)
	fields = append(fields, arrow.Field{Name: "period", Type: arrow.PrimitiveTypes.Int64}, arrow.Field{Name: "pane", Type: arrow.PrimitiveTypes.Int64})
	cols = append(cols, sb.NewArray(), pb.NewArray())
	for j, acc := range c.accs {
		st, err := acc.State(c.mem, groups)
		if err != nil {
			releaseAll(cols)
			return err
		}
		for k, col := range st {
			fields = append(fields, arrow.Field{Name: fmt.Sprintf("state_%d_%d", j, k), Type: col.DataType(), Nullable: true})
		}
		cols = append(cols, st...)
	}
	if err := writeBatchSnapshot(w, c.mem, fields, cols, len(groups), cumSnapFormat, c.fingerprint(),
		"wm", strconv.FormatInt(c.wm, 10), "late", strconv.FormatInt(c.late, 10), "null_time", strconv.FormatInt(c.nullTime, 10)); err != nil {
		return fmt.Errorf("cumulating window: snapshot: %w", err)
	}
	return nil
}

// Restore implements Snapshotter: it replaces the state of a freshly built
// operator with a snapshot written by Snapshot of the same query.
func (c *CumulateAgg) Restore(r io.Reader) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt snapshot: %v", p)
		}
		if err != nil {
			err = fmt.Errorf("cumulating window: restore: %w", err)
		}
	}()
	if c.table == nil || c.table.NumIDs() != 0 || c.wm != MinWatermark {
		return errors.New("the operator is not freshly built")
	}
	ir, err := openBatchSnapshot(r, c.mem, cumSnapFormat, c.fingerprint(),
		"not a cumulating window snapshot", "the snapshot was taken by a differently configured cumulating window")
	if err != nil {
		return err
	}
	defer ir.Release()
	if err := ir.ints(snapInt{"wm", &c.wm}, snapInt{"late", &c.late}, snapInt{"null_time", &c.nullTime}); err != nil {
		return err
	}
	if !ir.Next() {
		if err := ir.Err(); err != nil {
			return err
		}
		return errors.New("the snapshot ends before its cells")
	}
	rec := ir.RecordBatch()
	nk := len(c.cfg.Keys)
	n := int(rec.NumRows())
	if int(rec.NumCols()) < nk+2 {
		return errors.New("too few columns")
	}
	ids := make([]uint32, n)
	if nk == 0 {
		if n > 0 {
			id, err := c.table.InsertEmpty()
			if err != nil {
				return err
			}
			for i := range ids {
				ids[i] = id
			}
		}
	} else if ids, err = c.table.Insert(rec.Columns()[:nk], ids); err != nil {
		return err
	}
	periods, ok1 := rec.Column(nk).(*array.Int64)
	panes, ok2 := rec.Column(nk + 1).(*array.Int64)
	if !ok1 || !ok2 {
		return errors.New("the cell columns have the wrong types")
	}
	groups := make([]uint32, n)
	for i, id := range ids {
		p := c.period(periods.Value(i))
		if pane := panes.Value(i); pane < 0 {
			groups[i] = c.newGroup(id)
			p.running[id] = groups[i]
		} else {
			groups[i] = c.cell(p, pane, id)
		}
	}
	col, fs := rec.Columns()[nk+2:], rec.Schema().Fields()[nk+2:]
	for j, acc := range c.accs {
		prefix := fmt.Sprintf("state_%d_", j)
		k := 0
		for k < len(col) && len(fs[k].Name) > len(prefix) && fs[k].Name[:len(prefix)] == prefix {
			k++
		}
		if k == 0 {
			return fmt.Errorf("missing the state of aggregate %d", j)
		}
		if err := acc.Merge(groups, col[:k]); err != nil {
			return err
		}
		col, fs = col[k:], fs[k:]
	}
	if ir.Next() {
		return errors.New("more than one batch of cells")
	}
	return nil
}
