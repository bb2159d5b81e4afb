package exec

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/weirdb/weir/vector"
)

// Process absorbs the rows of b into the panes' partial aggregates and
// returns nil: windows are emitted only by Advance. It takes ownership of b.
func (w *WindowAgg) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	if w.closed {
		return nil, errors.New("window aggregate: Process after Close")
	}
	if err := w.checkBatch(b); err != nil {
		return nil, err
	}
	n := int(b.NumRows())
	if n == 0 {
		return nil, nil
	}
	ids, err := w.groupIDs(b, n)
	if err != nil {
		return nil, fmt.Errorf("window aggregate: %w", err)
	}
	w.growGroups(w.table.NumIDs())
	if cap(w.cells) < n {
		w.cells = make([]uint32, n)
	}
	cells := w.cells[:n]
	w.slow, w.dropped, w.newCells = w.slow[:0], w.dropped[:0], w.newCells[:0]
	if w.win {
		w.assignWindowed(b.Column(w.cfg.Window.TimeCol).(*array.Timestamp), ids, cells)
	} else {
		w.assignPlain(ids, cells)
	}
	for k, a := range w.accs {
		a.resetCells(w.newCells)
		var arg arrow.Array
		if w.args[k] >= 0 {
			arg = b.Column(w.args[k])
		}
		if spec := w.cfg.Aggs[k]; spec.HasFilter {
			w.masked = aggFilterMask(w.masked, cells, b.Column(spec.Filter))
			a.update(w.masked, arg)
			continue
		}
		a.update(cells, arg)
	}
	for _, s := range w.slow {
		gid, c := ids[s.row], cells[s.row]
		w.addAliveRow(gid)
		for k, a := range w.accs {
			if !aggFilterTrue(w.cfg.Aggs[k], b, int(s.row)) {
				continue
			}
			var arg arrow.Array
			if w.args[k] >= 0 {
				arg = b.Column(w.args[k])
			}
			a.mergeRow(s.pane, gid, c, arg, int(s.row))
		}
	}
	// Keys inserted only by dropped rows are not referenced by any cell.
	for _, i := range w.dropped {
		if g := ids[i]; w.refs[g] == 0 {
			w.table.Free(g)
		}
	}
	return nil, nil
}

// checkBatch checks that the columns the operator reads have the types it
// was configured with.
func (w *WindowAgg) checkBatch(b arrow.RecordBatch) error {
	in := w.cfg.Input
	if int(b.NumCols()) != in.NumFields() {
		return fmt.Errorf("window aggregate: batch has %d columns, want %d", b.NumCols(), in.NumFields())
	}
	check := func(i int) error {
		if got, want := b.Column(i).DataType(), in.Field(i).Type; !arrow.TypeEqual(got, want) {
			return fmt.Errorf("window aggregate: column %d (%s) is %s, want %s", i, in.Field(i).Name, vector.TypeName(got), vector.TypeName(want))
		}
		return nil
	}
	if w.win {
		if err := check(w.cfg.Window.TimeCol); err != nil {
			return err
		}
	}
	for _, k := range w.cfg.Keys {
		if err := check(k); err != nil {
			return err
		}
	}
	for _, a := range w.args {
		if a >= 0 {
			if err := check(a); err != nil {
				return err
			}
		}
	}
	for _, a := range w.cfg.Aggs {
		if a.HasFilter {
			if err := check(a.Filter); err != nil {
				return err
			}
		}
	}
	return nil
}

// groupIDs maps every row of b to its group id.
func (w *WindowAgg) groupIDs(b arrow.RecordBatch, n int) ([]uint32, error) {
	if len(w.cfg.Keys) == 0 {
		if cap(w.ids) < n {
			w.ids = make([]uint32, n)
		}
		ids := w.ids[:n]
		id, err := w.table.InsertEmpty()
		if err != nil {
			return nil, err
		}
		for i := range ids {
			ids[i] = id
		}
		return ids, nil
	}
	for i, k := range w.cfg.Keys {
		w.keyCols[i] = b.Column(k)
	}
	ids, err := w.table.Insert(w.keyCols, w.ids)
	clear(w.keyCols)
	if err != nil {
		return nil, err
	}
	w.ids = ids
	return ids, nil
}

// assignPlain puts every row in the single pane of a plain GROUP BY.
func (w *WindowAgg) assignPlain(ids, cells []uint32) {
	if w.finished {
		w.materialize() // dropped rows free their keys
		w.stats.LateRows += int64(len(ids))
		for i := range cells {
			cells[i] = winNoCell
			w.dropped = append(w.dropped, int32(i))
		}
		return
	}
	pn := w.paneAt(0)
	if w.ident {
		w.growIdent(w.table.NumIDs())
		for i, gid := range ids {
			w.cellRows[gid]++
			cells[i] = gid
		}
		return
	}
	for i, gid := range ids {
		c := w.lastCell[gid]
		if w.lastPane[gid] != 0 {
			c = w.cellFor(pn, gid)
		}
		w.cellRows[c]++
		cells[i] = c
	}
}

// Why a pane takes no rows.
const (
	winPaneOpen = iota
	winPaneLate
	winPaneGap
)

// paneState tells whether pane p can still take rows: not if every window
// containing it was emitted (late), or if it lies in no window (gap).
func (w *WindowAgg) paneState(p int64) int {
	start := p * w.width
	lastStart := winFloorDiv(start, w.slide) * w.slide
	if start-lastStart >= w.size {
		return winPaneGap
	}
	if winEnd(lastStart, w.size) <= w.wm {
		return winPaneLate
	}
	return winPaneOpen
}

// assignWindowed puts every row in the cell of its (pane, key), dropping
// rows with a NULL time, late rows and rows in no window.
func (w *WindowAgg) assignWindowed(tcol *array.Timestamp, ids, cells []uint32) {
	raw := tcol.TimestampValues()
	ts := unsafe.Slice((*int64)(unsafe.SliceData(raw)), len(raw))
	nulls := tcol.NullN() > 0
	width := w.width
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64) // time range of pn
	var pn *winPane
	state := winPaneOpen
	for i, t := range ts {
		if nulls && tcol.IsNull(i) {
			cells[i] = winNoCell
			w.stats.NullTimeRows++
			w.dropped = append(w.dropped, int32(i))
			continue
		}
		if t < lo || t >= hi {
			p := winFloorDiv(t, width)
			lo = p * width
			hi = lo + width
			if state = w.paneState(p); state == winPaneOpen {
				pn = w.paneAt(p)
			}
		}
		if state != winPaneOpen {
			cells[i] = winNoCell
			if state == winPaneLate {
				w.stats.LateRows++
			} else {
				w.stats.GapRows++
			}
			w.dropped = append(w.dropped, int32(i))
			continue
		}
		gid := ids[i]
		var c uint32
		if w.lastPane[gid] == pn.idx {
			c = w.lastCell[gid]
		} else {
			c = w.cellFor(pn, gid)
		}
		w.cellRows[c]++
		cells[i] = c
		if pn.inRun {
			w.slow = append(w.slow, winSlowRow{int32(i), pn.idx})
		}
	}
}
