package exec

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// updSnapFormat names the format of an UpdatingAgg snapshot: one Arrow IPC
// stream of one batch, a row per live group: its keys, then the columns
// named in updSnapGroupCols, then per aggregate its last emitted value
// (prev_J) and its accumulator's State columns (state_J_K). The schema's
// metadata holds the operator's counters and a fingerprint of its config.
const updSnapFormat = "weir.updating_agg.v1"

// updSnapGroupCols are the per-group columns after the keys.
var updSnapGroupCols = []arrow.Field{
	{Name: "rows", Type: arrow.PrimitiveTypes.Int64},
	{Name: "prev_in", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "has_prev", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "dirty", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "touched", Type: arrow.PrimitiveTypes.Int64},
	{Name: "end", Type: arrow.PrimitiveTypes.Int64},
}

// fingerprint identifies the operator's configuration in its snapshots.
func (u *UpdatingAgg) fingerprint() string {
	return fmt.Sprint(u.cfg.Input, u.schema, u.cfg.WindowEndKey, u.cfg.Having)
}

// Snapshot implements Snapshotter: it writes the whole state to w; the
// operator is unchanged.
func (u *UpdatingAgg) Snapshot(w io.Writer) error {
	if u.table == nil {
		return errors.New("updating aggregate: Snapshot after Close")
	}
	var ids []uint32
	for id := range uint32(u.table.NumIDs()) {
		if u.table.Alive(id) && u.isLive(id) {
			ids = append(ids, id)
		}
	}
	cols := u.table.Keys(ids, u.mem)
	fields := append([]arrow.Field(nil), u.result.Fields()[:len(u.cfg.Keys)]...)
	fields = append(fields, updSnapGroupCols...)
	rows, touched, end := array.NewInt64Builder(u.mem), array.NewInt64Builder(u.mem), array.NewInt64Builder(u.mem)
	prevIn, hasPrev, dirty := array.NewBooleanBuilder(u.mem), array.NewBooleanBuilder(u.mem), array.NewBooleanBuilder(u.mem)
	for _, id := range ids {
		rows.Append(u.rows[id])
		f := u.flags[id]
		prevIn.Append(f&updPrevIn != 0)
		hasPrev.Append(f&updHasPrev != 0)
		dirty.Append(f&updDirty != 0)
		touched.Append(updAt(u.touched, id))
		end.Append(updAt(u.endOf, id))
	}
	for _, b := range []array.Builder{rows, prevIn, hasPrev, dirty, touched, end} {
		cols = append(cols, b.NewArray())
		b.Release()
	}
	for j, acc := range u.accs {
		b := array.NewBuilder(u.mem, u.outType[j])
		for _, id := range ids {
			if u.flags[id]&updHasPrev != 0 {
				u.prev[j].appendTo(b, id)
			} else {
				b.AppendNull()
			}
		}
		cols = append(cols, b.NewArray())
		b.Release()
		fields = append(fields, arrow.Field{Name: "prev_" + strconv.Itoa(j), Type: u.outType[j], Nullable: true})
		st, err := acc.State(u.mem, ids)
		if err != nil {
			releaseAll(cols)
			return err
		}
		for k, c := range st {
			fields = append(fields, arrow.Field{Name: fmt.Sprintf("state_%d_%d", j, k), Type: c.DataType(), Nullable: true})
		}
		cols = append(cols, st...)
	}
	if err := writeBatchSnapshot(w, u.mem, fields, cols, len(ids), updSnapFormat, u.fingerprint(),
		"wm", strconv.FormatInt(u.wm, 10), "late", strconv.FormatInt(u.late, 10),
		"expired", strconv.FormatInt(u.expired, 10), "started", strconv.FormatBool(u.started)); err != nil {
		return fmt.Errorf("updating aggregate: snapshot: %w", err)
	}
	return nil
}

// Restore implements Snapshotter: it replaces the state of a freshly
// built operator with a snapshot written by Snapshot of the same query.
func (u *UpdatingAgg) Restore(r io.Reader) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt snapshot: %v", p)
		}
		if err != nil {
			err = fmt.Errorf("updating aggregate: restore: %w", err)
		}
	}()
	if u.table == nil || u.table.NumIDs() != 0 || u.started {
		return errors.New("the operator is not freshly built")
	}
	ir, err := openBatchSnapshot(r, u.mem, updSnapFormat, u.fingerprint(),
		"not an updating aggregate snapshot", "the snapshot was taken by a differently configured aggregate")
	if err != nil {
		return err
	}
	defer ir.Release()
	if err := ir.ints(snapInt{"wm", &u.wm}, snapInt{"late", &u.late}, snapInt{"expired", &u.expired}); err != nil {
		return err
	}
	u.started = ir.get("started") == "true"
	batches := 0
	for ir.Next() {
		if batches++; batches > 1 {
			return errors.New("more than one batch of groups")
		}
		if err := u.restoreBatch(ir.RecordBatch()); err != nil {
			return err
		}
	}
	if err := ir.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if batches == 0 {
		return errors.New("the snapshot ends before its groups")
	}
	slices.SortStableFunc(u.ttlQueue, func(a, b updTouch) int { return int(min(max(a.t-b.t, -1), 1)) })
	return nil
}

// restoreBatch restores the groups of one snapshot batch.
func (u *UpdatingAgg) restoreBatch(rec arrow.RecordBatch) error {
	nk := len(u.cfg.Keys)
	n := int(rec.NumRows())
	var ids []uint32
	var err error
	if nk == 0 {
		if n > 1 {
			return errors.New("a global aggregate with more than one group")
		}
		if n == 1 {
			id, err := u.table.InsertEmpty()
			if err != nil {
				return err
			}
			ids = []uint32{id}
		}
	} else if ids, err = u.table.Insert(rec.Columns()[:nk], nil); err != nil {
		return err
	}
	now := u.clock.Now().UnixNano()
	c := rec.Columns()[nk:]
	rows, ok1 := c[0].(*array.Int64)
	prevIn, ok2 := c[1].(*array.Boolean)
	hasPrev, ok3 := c[2].(*array.Boolean)
	dirty, ok4 := c[3].(*array.Boolean)
	touched, ok5 := c[4].(*array.Int64)
	end, ok6 := c[5].(*array.Int64)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
		return errors.New("the group columns have the wrong types")
	}
	for i, id := range ids {
		u.group(id, end.Value(i))
		u.rows[id] = rows.Value(i)
		u.setFlag(id, updPrevIn, prevIn.Value(i))
		if dirty.Value(i) {
			u.markDirty(id)
		}
		if u.cfg.TTL > 0 {
			// A snapshot taken without a TTL has no update times: its
			// keys count as updated now.
			t := touched.Value(i)
			if t == 0 {
				t = now
			}
			u.touched[id] = t
			u.ttlQueue = append(u.ttlQueue, updTouch{id, t})
		}
	}
	c = c[len(updSnapGroupCols):]
	for j, acc := range u.accs {
		if len(c) == 0 {
			return errors.New("missing aggregate columns")
		}
		prev := c[0]
		if !arrow.TypeEqual(prev.DataType(), u.outType[j]) {
			return fmt.Errorf("aggregate %d's values are %s, want %s", j, prev.DataType(), u.outType[j])
		}
		for i, id := range ids {
			if hasPrev.Value(i) {
				u.flags[id] |= updHasPrev
				u.prev[j].set(id, prev, i)
			}
		}
		// The state columns of aggregate j are those named state_j_*.
		k := 1
		prefix := fmt.Sprintf("state_%d_", j)
		fs := rec.Schema().Fields()[len(rec.Schema().Fields())-len(c):]
		for k < len(c) && len(fs[k].Name) > len(prefix) && fs[k].Name[:len(prefix)] == prefix {
			k++
		}
		if err := acc.Merge(ids, c[1:k]); err != nil {
			return err
		}
		c = c[k:]
	}
	return nil
}

// updAt is s[id], or 0 for a per-group slice the operator does not keep
// (touched without a TTL, endOf without a window).
func updAt(s []int64, id uint32) int64 {
	if int(id) < len(s) {
		return s[id]
	}
	return 0
}
