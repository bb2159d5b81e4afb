package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/vector"
)

// Advance emits the changes of the groups touched since the last Advance
// (see UpdatingAgg), then drops the state of closed windows (windowed)
// and of keys idle for longer than the TTL.
func (u *UpdatingAgg) Advance(wm int64) ([]arrow.RecordBatch, error) {
	if wm > u.wm {
		u.wm = wm
	}
	if !u.started && len(u.cfg.Keys) == 0 {
		id, err := u.table.InsertEmpty()
		if err != nil {
			return nil, err
		}
		u.group(id, 0)
		if !u.dirty[id] {
			u.dirty[id] = true
			u.dirtyIDs = append(u.dirtyIDs, id)
		}
	}
	u.started = true
	out, err := u.emit()
	if err != nil {
		return nil, err
	}
	u.evictWindows()
	u.expire()
	return out, nil
}

// emit builds the changelog rows of the dirty groups and clears them.
func (u *UpdatingAgg) emit() ([]arrow.RecordBatch, error) {
	ids := u.dirtyIDs
	if len(ids) == 0 {
		return nil, nil
	}
	defer func() {
		for _, id := range ids {
			u.dirty[id] = false
		}
		u.dirtyIDs = u.dirtyIDs[:0]
	}()
	u.table.SortIDs(ids)
	// The new values of every dirty group, and whether it passes Having.
	newVals := make([][]any, len(ids))
	for i := range newVals {
		newVals[i] = make([]any, len(u.accs))
	}
	cols := u.table.Keys(ids, u.mem)
	for j, a := range u.accs {
		c, err := a.Evaluate(u.mem, ids)
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		for i := range ids {
			newVals[i][j] = updValue(c, i)
		}
		cols = append(cols, c)
	}
	pass := make([]bool, len(ids))
	for i := range pass {
		pass[i] = true
	}
	if u.cfg.Having != nil {
		rb := array.NewRecordBatch(u.result, cols, int64(len(ids)))
		m, err := u.cfg.Having.Eval(u.mem, rb)
		rb.Release()
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		mask, _ := m.(*array.Boolean)
		for i := range pass {
			pass[i] = mask != nil && mask.IsValid(i) && mask.Value(i)
		}
		m.Release()
	}
	releaseAll(cols)
	global := len(u.cfg.Keys) == 0
	var outIDs []uint32
	var outVals [][]any
	var outOps []int8
	add := func(id uint32, vals []any, k vector.RowKind) {
		outIDs, outVals, outOps = append(outIDs, id), append(outVals, vals), append(outOps, int8(k))
	}
	for i, id := range ids {
		exists := global || u.rows[id] > 0
		newIn := exists && pass[i]
		oldIn := u.prevIn[id]
		switch {
		case oldIn && newIn:
			if !updSame(u.prev[id], newVals[i]) {
				add(id, u.prev[id], vector.UpdateBefore)
				add(id, newVals[i], vector.UpdateAfter)
			}
		case oldIn:
			add(id, u.prev[id], vector.Delete)
		case newIn:
			add(id, newVals[i], vector.Insert)
		}
	}
	// Keys materialised before groups are dropped.
	var batch arrow.RecordBatch
	if len(outIDs) > 0 {
		var err error
		if batch, err = u.build(outIDs, outVals, outOps); err != nil {
			return nil, err
		}
	}
	for i, id := range ids {
		if !global && u.rows[id] <= 0 {
			u.drop(id)
			continue
		}
		u.prevSize += updValuesSize(newVals[i]) - updValuesSize(u.prev[id])
		u.prev[id], u.prevIn[id] = newVals[i], pass[i]
	}
	if batch == nil {
		return nil, nil
	}
	return []arrow.RecordBatch{batch}, nil
}

// build makes the output batch of rows (group, aggregate values, kind).
func (u *UpdatingAgg) build(ids []uint32, vals [][]any, ops []int8) (arrow.RecordBatch, error) {
	cols := u.table.Keys(ids, u.mem)
	for j, typ := range u.outType {
		b := array.NewBuilder(u.mem, typ)
		for i := range ids {
			if err := updAppend(b, vals[i][j]); err != nil {
				b.Release()
				releaseAll(cols)
				return nil, err
			}
		}
		cols = append(cols, b.NewArray())
		b.Release()
	}
	ob := array.NewInt8Builder(u.mem)
	ob.AppendValues(ops, nil)
	cols = append(cols, ob.NewArray())
	ob.Release()
	out := array.NewRecordBatch(u.schema, cols, int64(len(ids)))
	releaseAll(cols)
	return out, nil
}

// evictWindows drops the groups of windows that closed (end <= the
// watermark); their last changes were emitted.
func (u *UpdatingAgg) evictWindows() {
	for end, ids := range u.byEnd {
		if end > u.wm {
			continue
		}
		for _, id := range ids {
			if u.live[id] && u.endOf[id] == end {
				u.drop(id)
			}
		}
		delete(u.byEnd, end)
	}
}

// expire drops the keys not updated for the TTL, without output.
func (u *UpdatingAgg) expire() {
	if u.cfg.TTL <= 0 {
		return
	}
	limit := u.clock.Now().UnixNano() - int64(u.cfg.TTL)
	k := 0
	for ; k < len(u.ttlQueue) && u.ttlQueue[k].t <= limit; k++ {
		e := u.ttlQueue[k]
		if int(e.id) < len(u.live) && u.live[e.id] && u.touched[e.id] == e.t && !u.dirty[e.id] {
			if len(u.cfg.Keys) == 0 {
				continue // the global row never expires
			}
			u.drop(e.id)
			u.expired++
		}
	}
	u.ttlQueue = append(u.ttlQueue[:0], u.ttlQueue[k:]...)
}

// updValue reads element i of a as a comparable Go value (nil for NULL):
// int64 for BIGINT and TIMESTAMP, float64, string or bool.
func updValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	}
	return nil
}

// updAppend appends v (from updValue) to b.
func updAppend(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(int64)))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	default:
		return fmt.Errorf("updating aggregate: cannot output %s", b.Type())
	}
	return nil
}

// updSame reports whether two rows of values are equal (NaN equal to NaN).
func updSame(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if fx, ok := x.(float64); ok {
			if fy, ok := y.(float64); ok && fx != fx && fy != fy {
				continue
			}
		}
		if x != y {
			return false
		}
	}
	return true
}

// updValuesSize is the approximate size of a row of values.
func updValuesSize(v []any) int64 {
	if v == nil {
		return 0
	}
	n := int64(24 + 16*len(v))
	for _, x := range v {
		if s, ok := x.(string); ok {
			n += int64(len(s))
		}
	}
	return n
}
