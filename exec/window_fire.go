package exec

import (
	"errors"
	"math"
	"runtime"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// bigIndexBytes is the size of a group table past which dropping its
// index at the end of the input is followed by a collection.
const bigIndexBytes = 64 << 20

// winOutRows is the row count past which Advance starts a new output
// batch; a window of more keys is split into batches of this many rows.
const winOutRows = 8192

// winOutput collects the rows of the windows fired by one Advance.
type winOutput struct {
	starts []int64  // by row: window start
	gids   []uint32 // by row: group
	rows   int
	done   []arrow.RecordBatch
}

// discard releases what was built and not handed out.
func (o *winOutput) discard() {
	for _, b := range o.done {
		b.Release()
	}
	o.done = nil
	o.starts, o.gids, o.rows = o.starts[:0], o.gids[:0], 0
}

// Advance emits every window not yet emitted whose end is <= wm, in order of
// window end, and frees the panes no window still to come needs. A
// watermark at or below an earlier one does nothing. For NoWindow only
// Advance(MaxWatermark) emits.
func (w *WindowAgg) Advance(wm int64) ([]arrow.RecordBatch, error) {
	if w.closed {
		return nil, errors.New("window aggregate: Advance after Close")
	}
	if wm <= w.wm {
		return nil, nil
	}
	w.wm = wm
	if wm == MaxWatermark {
		// Every window fires and the state goes (dropState): the table's
		// index is not needed to emit, and its memory can hold the output.
		big := w.table.Bytes() > bigIndexBytes
		w.table.DropIndex()
		if big {
			// Collect it now, so that the sort of the result and the
			// result reuse its memory instead of adding to it.
			runtime.GC()
		}
	}
	if !w.win {
		if wm == MaxWatermark {
			w.finished = true
			switch {
			case len(w.panes) > 0:
				w.emitPane(w.panes[0], 0)
				w.dropFront()
			case len(w.cfg.Keys) == 0:
				for _, a := range w.accs {
					a.evalEmpty()
				}
				w.out.rows++
			}
		}
	} else {
		w.fireUpTo(wm)
	}
	w.flush()
	w.freePending()
	out := w.out.done
	w.out.done = nil
	return out, nil
}

// fireUpTo fires, in order, every window with data that ends by wm.
func (w *WindowAgg) fireUpTo(wm int64) {
	for len(w.panes) > 0 {
		p0 := w.panes[0]
		ps := p0.idx * w.width
		// The first window still to emit that contains the oldest pane.
		s := (winFloorDiv(ps-w.size, w.slide) + 1) * w.slide
		s = max(s, w.nextStart)
		if s > ps { // every window of the pane was emitted
			w.dropFront()
			continue
		}
		if winEnd(s, w.size) > wm {
			break
		}
		if w.span == 1 {
			w.emitPane(p0, s) // the window is this one pane
		} else {
			w.fireRun(s)
		}
		w.nextStart = s + w.slide
	}
	if wm == MaxWatermark {
		w.nextStart = math.MaxInt64
		w.finished = true
	} else {
		// Windows ending by wm are done, with or without data.
		w.nextStart = max(w.nextStart, (winFloorDiv(wm-w.size, w.slide)+1)*w.slide)
	}
}

// fireRun emits the multi-pane window starting at s: every pane before it
// was retracted by dropFront; merge the panes that entered it.
func (w *WindowAgg) fireRun(s int64) {
	end := s/w.width + w.span
	for w.nIn < len(w.panes) && w.panes[w.nIn].idx < end {
		w.mergePane(w.panes[w.nIn])
		w.nIn++
	}
	w.hi, w.fired = end, true
	if len(w.alive) == 0 {
		return
	}
	if w.changed { // else the same keys as the last window, still sorted
		w.sorted = append(w.sorted[:0], w.alive...)
		w.table.SortIDs(w.sorted)
		w.changed = false
	}
	for lo := 0; lo < len(w.sorted); lo += winOutRows {
		hi := min(lo+winOutRows, len(w.sorted))
		for _, a := range w.accs {
			a.evalGroups(w.sorted[lo:hi])
		}
		w.appendRows(s, w.sorted[lo:hi])
	}
}

// emitPane emits a window made of the single pane pn, starting at s,
// straight from its cells, in batches of winOutRows rows. The pane is
// about to be dropped: its groups and cells are sorted in place, by key.
func (w *WindowAgg) emitPane(pn *winPane, s int64) {
	gids, cells := pn.gids, pn.cells
	if w.ident { // every group, each in its own cell
		gids = make([]uint32, w.nCells)
		for g := range gids {
			gids[g] = uint32(g)
		}
		cells = gids
		w.table.SortIDs(gids)
	} else {
		w.table.SortIDsWith(gids, cells)
	}
	for lo := 0; lo < len(gids); lo += winOutRows {
		hi := min(lo+winOutRows, len(gids))
		for _, a := range w.accs {
			a.evalCells(cells[lo:hi])
		}
		w.appendRows(s, gids[lo:hi])
	}
}

// appendRows records the key and window of rows the accumulators have just
// appended values for, and cuts a batch when enough rows are collected.
func (w *WindowAgg) appendRows(s int64, gids []uint32) {
	o := &w.out
	if w.win {
		for range gids {
			o.starts = append(o.starts, s)
		}
	}
	o.gids = append(o.gids, gids...)
	o.rows += len(gids)
	if o.rows >= winOutRows {
		w.flush()
	}
}

// flush builds a batch of the collected rows; the scratch it collected
// them in is dropped if a large window made it grow past a batch.
func (w *WindowAgg) flush() {
	o := &w.out
	if o.rows == 0 {
		return
	}
	cols := make([]arrow.Array, 0, w.schema.NumFields())
	if w.win {
		cols = append(cols,
			winTimes(w.mem, o.starts, 0),
			winTimes(w.mem, o.starts, w.size))
	}
	cols = append(cols, w.table.Keys(o.gids, w.mem)...)
	for _, a := range w.accs {
		cols = append(cols, a.finish(w.mem))
	}
	b := array.NewRecordBatch(w.schema, cols, int64(o.rows))
	for _, c := range cols {
		c.Release()
	}
	w.hand(b)
	o.starts, o.gids, o.rows = o.starts[:0], o.gids[:0], 0
	if cap(o.gids) > 4*winOutRows {
		o.starts, o.gids = nil, nil
	}
}

// winTimes is a Timestamp array of starts[i]+add (saturating).
func winTimes(mem memory.Allocator, starts []int64, add int64) arrow.Array {
	b := array.NewTimestampBuilder(mem, vector.Timestamp.(*arrow.TimestampType))
	defer b.Release()
	if add == 0 {
		b.AppendValues(unsafe.Slice((*arrow.Timestamp)(unsafe.SliceData(starts)), len(starts)), nil)
		return b.NewArray()
	}
	b.Reserve(len(starts))
	for _, s := range starts {
		b.UnsafeAppend(arrow.Timestamp(winEnd(s, add)))
	}
	return b.NewArray()
}
