package exec

import (
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
		u.markDirty(id)
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

// updEmitRows is how many groups an emission handles at a time: the
// changes of more groups come out in several batches, of at most twice
// this many rows (a -U and a +U per group), so that a micro-batch that
// touches millions of keys does not build them all at once.
const updEmitRows = 8192

// emit builds the changelog rows of the dirty groups, in key order, and
// clears them.
func (u *UpdatingAgg) emit() ([]arrow.RecordBatch, error) {
	ids := u.dirtyIDs
	if len(ids) == 0 {
		return nil, nil
	}
	defer func() {
		for _, id := range ids {
			u.flags[id] &^= updDirty
		}
		u.dirtyIDs = u.dirtyIDs[:0]
		if cap(u.dirtyIDs) > 4*updEmitRows {
			u.dirtyIDs = nil // a burst of new keys: do not hold its list
		}
	}()
	u.table.SortIDs(ids)
	var out []arrow.RecordBatch
	for lo := 0; lo < len(ids); lo += updEmitRows {
		b, err := u.emitGroups(ids[lo:min(lo+updEmitRows, len(ids))])
		if err != nil {
			for _, o := range out {
				o.Release()
			}
			return nil, err
		}
		if b != nil {
			out = append(out, b)
		}
	}
	return out, nil
}

// emitGroups builds the changelog rows of the dirty groups ids (sorted),
// or nil if they have none, and records their emitted values.
func (u *UpdatingAgg) emitGroups(ids []uint32) (arrow.RecordBatch, error) {
	// The new values of every dirty group (row i for ids[i]), and whether
	// it passes Having.
	cols := u.table.Keys(ids, u.mem)
	nk := len(cols)
	for _, a := range u.accs {
		c, err := a.Evaluate(u.mem, ids)
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols = append(cols, c)
	}
	defer releaseAll(cols)
	vals := cols[nk:]
	pass := make([]bool, len(ids))
	for i := range pass {
		pass[i] = true
	}
	if u.cfg.Having != nil {
		rb := array.NewRecordBatch(u.result, cols, int64(len(ids)))
		m, err := u.cfg.Having.Eval(u.mem, rb)
		rb.Release()
		if err != nil {
			return nil, err
		}
		mask, _ := m.(*array.Boolean)
		for i := range pass {
			pass[i] = mask != nil && mask.IsValid(i) && mask.Value(i)
		}
		m.Release()
	}
	global := len(u.cfg.Keys) == 0
	var out updOut
	for i, id := range ids {
		newIn := (global || u.rows[id] > 0) && pass[i]
		switch oldIn := u.flags[id]&updPrevIn != 0; {
		case oldIn && newIn:
			if !u.samePrev(id, vals, i) {
				out.add(id, -1, vector.UpdateBefore)
				out.add(id, i, vector.UpdateAfter)
			}
		case oldIn:
			out.add(id, -1, vector.Delete)
		case newIn:
			out.add(id, i, vector.Insert)
		}
	}
	// Built before groups are dropped: the keys and old values go then.
	var batch arrow.RecordBatch
	if len(out.ids) > 0 {
		batch = u.build(&out, vals)
	}
	for i, id := range ids {
		if !global && u.rows[id] <= 0 {
			u.drop(id)
			continue
		}
		for j, c := range u.prev {
			c.set(id, vals[j], i)
		}
		u.flags[id] |= updHasPrev
		u.setFlag(id, updPrevIn, pass[i])
	}
	return batch, nil
}

// updOut lists the rows of an emission: group, row of the new values (-1
// for the group's old values) and kind.
type updOut struct {
	ids  []uint32
	rows []int
	ops  []int8
}

func (o *updOut) add(id uint32, row int, k vector.RowKind) {
	o.ids, o.rows, o.ops = append(o.ids, id), append(o.rows, row), append(o.ops, int8(k))
}

// samePrev reports whether group id's emitted values equal row i of vals.
func (u *UpdatingAgg) samePrev(id uint32, vals []arrow.Array, i int) bool {
	for j, c := range u.prev {
		if !c.same(id, vals[j], i) {
			return false
		}
	}
	return true
}

// build makes the output batch of out's rows.
func (u *UpdatingAgg) build(out *updOut, vals []arrow.Array) arrow.RecordBatch {
	cols := u.table.Keys(out.ids, u.mem)
	for j, typ := range u.outType {
		b := array.NewBuilder(u.mem, typ)
		b.Reserve(len(out.ids))
		for k, id := range out.ids {
			if r := out.rows[k]; r >= 0 {
				updAppendFrom(b, vals[j], r)
			} else {
				u.prev[j].appendTo(b, id)
			}
		}
		cols = append(cols, b.NewArray())
		b.Release()
	}
	ob := array.NewInt8Builder(u.mem)
	ob.AppendValues(out.ops, nil)
	cols = append(cols, ob.NewArray())
	ob.Release()
	batch := array.NewRecordBatch(u.schema, cols, int64(len(out.ids)))
	releaseAll(cols)
	return batch
}

// evictWindows drops the groups of windows that closed (end <= the
// watermark); their last changes were emitted.
func (u *UpdatingAgg) evictWindows() {
	for end, ids := range u.byEnd {
		if end > u.wm {
			continue
		}
		for _, id := range ids {
			if u.isLive(id) && u.endOf[id] == end {
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
		if u.isLive(e.id) && u.touched[e.id] == e.t && u.flags[e.id]&updDirty == 0 {
			if len(u.cfg.Keys) == 0 {
				continue // the global row never expires
			}
			u.drop(e.id)
			u.expired++
		}
	}
	u.ttlQueue = append(u.ttlQueue[:0], u.ttlQueue[k:]...)
}
