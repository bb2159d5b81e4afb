package exec

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// Restore replaces the state of a freshly built WindowAgg, of the same
// configuration (but any allocator), with one written by Snapshot: from
// then on the operator emits, for the same input and watermarks, exactly
// what the snapshotted one would have, and its Stats continue from the
// same values (StateBytes, an estimate, aside).
//
// Restore reads exactly the bytes Snapshot wrote. A snapshot of another
// configuration is rejected with an error wrapping ErrSnapshotConfig; a
// damaged one with an error. After an error the operator's state is
// undefined: Close it.
func (w *WindowAgg) Restore(r io.Reader) (err error) {
	w.materialize() // a fresh operator: nothing to build
	defer func() {
		// Arrays are checked as they are read; this is the last line of
		// defence against a damaged snapshot the checks let through.
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt snapshot: %v", p)
		}
		if err != nil {
			err = fmt.Errorf("window aggregate: restore: %w", err)
		}
	}()
	return w.restore(r)
}

func (w *WindowAgg) restore(r io.Reader) error {
	switch {
	case w.closed:
		return errors.New("operator is closed")
	case w.table.NumIDs() != 0 || len(w.panes) != 0 || w.nCells != 0 || w.wm != MinWatermark || w.finished || w.stats != (WindowStats{}):
		return errors.New("the operator is not freshly built")
	}
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	if string(pre[:8]) != winSnapMagic {
		return errors.New("not a window aggregate snapshot")
	}
	if v := binary.LittleEndian.Uint32(pre[8:]); v != winSnapVersion {
		return fmt.Errorf("snapshot format version %d, this build reads version %d: start the query with --reset to discard its checkpoint", v, winSnapVersion)
	}
	fr := &winSnapFrameReader{r: r}
	r = fr
	if _, err := io.ReadFull(r, pre[:4]); err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	n := binary.LittleEndian.Uint32(pre[:4])
	if n > winSnapMaxHeader {
		return fmt.Errorf("header of %d bytes is too large", n)
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	var h winSnapHeader
	if err := json.Unmarshal(js, &h); err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	if d := h.Config.diff(w.fingerprint()); d != "" {
		return fmt.Errorf("%w: %s", ErrSnapshotConfig, d)
	}
	if err := w.checkHeader(&h); err != nil {
		return err
	}
	gids, err := w.restoreGroups(r, &h)
	if err != nil {
		return err
	}
	if err := w.restoreCells(r, &h, gids); err != nil {
		return err
	}
	var end [len(winSnapEnd) + 1]byte
	if n, err := io.ReadFull(r, end[:]); n != len(winSnapEnd) || err != io.ErrUnexpectedEOF || string(end[:n]) != winSnapEnd {
		if fr.err != nil {
			return fr.err
		}
		return errors.New("corrupt snapshot: no end marker after the cells")
	}
	return w.rebuild(&h, gids)
}

// checkHeader checks the scalars and panes of a snapshot's header.
func (w *WindowAgg) checkHeader(h *winSnapHeader) error {
	if h.Groups < 0 || h.Merged < 0 || h.Merged > len(h.Panes) || h.LateRows < 0 || h.NullTimeRows < 0 || h.GapRows < 0 {
		return errors.New("corrupt header")
	}
	if len(w.cfg.Keys) == 0 && h.Groups > 1 {
		return fmt.Errorf("corrupt header: %d groups without keys", h.Groups)
	}
	if !w.win && (len(h.Panes) > 1 || len(h.Panes) == 1 && h.Panes[0].Idx != 0) {
		return errors.New("corrupt header: panes of a plain GROUP BY")
	}
	if (h.Merged > 0 || h.Fired) && w.span == 1 {
		return errors.New("corrupt header: merged panes of a single-pane window")
	}
	cells := 0
	for i, p := range h.Panes {
		if p.Cells < 1 || i > 0 && p.Idx <= h.Panes[i-1].Idx {
			return fmt.Errorf("corrupt header: pane %d", i)
		}
		cells += p.Cells
	}
	if h.Groups > cells { // every key has a cell
		return fmt.Errorf("corrupt header: %d groups in %d cells", h.Groups, cells)
	}
	return nil
}

// winSnapReader opens the next Arrow IPC stream of a snapshot and checks
// its schema: the fields want, in order, then the accumulators' state at
// the cell or (groups) group level, with the columns of their parts
// allocated on first use present or not.
func (w *WindowAgg) winSnapReader(r io.Reader, what string, want []arrow.Field, groups bool) (*ipc.Reader, error) {
	rd, err := ipc.NewReader(r, ipc.WithAllocator(w.mem))
	if err != nil {
		return nil, fmt.Errorf("reading the %s: %w", what, err)
	}
	got := rd.Schema()
	for i, a := range w.accs {
		a.prepareState(func(name string) bool { return got.HasField(fmt.Sprintf("a%d.%s", i, name)) })
	}
	want = append(want, w.stateFields(groups)...)
	ok := got.NumFields() == len(want)
	for i := 0; ok && i < len(want); i++ {
		f := got.Field(i)
		ok = f.Name == want[i].Name && arrow.TypeEqual(f.Type, want[i].Type)
	}
	if !ok {
		rd.Release()
		return nil, fmt.Errorf("corrupt %s: schema %s, want %s", what, got, arrow.NewSchema(want, nil))
	}
	return rd, nil
}

// restoreGroups reads the groups stream: inserts the keys, in order, and
// the stored running state. It returns the new group id of each row.
func (w *WindowAgg) restoreGroups(r io.Reader, h *winSnapHeader) ([]uint32, error) {
	want := make([]arrow.Field, 0, len(w.cfg.Keys)+1)
	for i, k := range w.cfg.Keys {
		want = append(want, arrow.Field{Name: fmt.Sprintf("k%d", i), Type: w.cfg.Input.Field(k).Type})
	}
	want = append(want, arrow.Field{Name: "rows", Type: arrow.PrimitiveTypes.Int64})
	rd, err := w.winSnapReader(r, "groups", want, true)
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	w.growGroups(h.Groups) // a fresh table hands out ids 0, 1, ...
	gids := make([]uint32, 0, h.Groups)
	var ids []uint32
	nk := len(w.cfg.Keys)
	for rd.Next() {
		rec := rd.RecordBatch()
		n := int(rec.NumRows())
		if err := winSnapCheckArrays(rec); err != nil {
			return nil, fmt.Errorf("corrupt groups: %w", err)
		}
		if len(gids)+n > h.Groups {
			return nil, fmt.Errorf("corrupt groups: more than %d", h.Groups)
		}
		before := w.table.Len()
		if nk == 0 {
			ids = append(ids[:0], make([]uint32, n)...)
			for i := range ids {
				if ids[i], err = w.table.InsertEmpty(); err != nil {
					return nil, fmt.Errorf("corrupt groups: %w", err)
				}
			}
		} else if ids, err = w.table.Insert(rec.Columns()[:nk], ids); err != nil {
			return nil, fmt.Errorf("corrupt groups: %w", err)
		}
		if rec.Column(nk).NullN() != 0 {
			return nil, errors.New("corrupt groups: NULL rows")
		}
		if w.table.Len() != before+n {
			return nil, errors.New("corrupt groups: a key appears twice")
		}
		w.growGroups(w.table.NumIDs())
		if err := w.restoreState(true, rec.Columns()[nk+1:], ids); err != nil {
			return nil, err
		}
		// Kept to check the rebuilt running window against.
		for i, v := range rec.Column(nk).(*array.Int64).Int64Values() {
			if w.span == 1 {
				if v != 0 {
					return nil, errors.New("corrupt groups: rows in a running window of one pane")
				}
				continue
			}
			w.winRows[ids[i]] = v
		}
		gids = append(gids, ids...)
	}
	if err := rd.Err(); err != nil {
		return nil, fmt.Errorf("reading the groups: %w", err)
	}
	if len(gids) != h.Groups {
		return nil, fmt.Errorf("corrupt groups: %d, want %d", len(gids), h.Groups)
	}
	return gids, nil
}

// restoreCells reads the cells stream into the panes of the header.
func (w *WindowAgg) restoreCells(r io.Reader, h *winSnapHeader, gids []uint32) error {
	want := []arrow.Field{{Name: "group", Type: arrow.PrimitiveTypes.Uint32}, {Name: "rows", Type: arrow.PrimitiveTypes.Int64}}
	rd, err := w.winSnapReader(r, "cells", want, false)
	if err != nil {
		return err
	}
	defer rd.Release()
	total := 0
	for _, p := range h.Panes {
		total += p.Cells
	}
	w.growCells(total)
	var cells []uint32
	pane, left := -1, 0 // the pane being filled, and its cells still to come
	var pn *winPane
	for rd.Next() {
		rec := rd.RecordBatch()
		n := int(rec.NumRows())
		if err := winSnapCheckArrays(rec); err != nil {
			return fmt.Errorf("corrupt cells: %w", err)
		}
		if w.nCells+n > total {
			return fmt.Errorf("corrupt cells: more than %d", total)
		}
		w.growCells(w.nCells + n)
		if rec.Column(0).NullN() != 0 || rec.Column(1).NullN() != 0 {
			return errors.New("corrupt cells: NULLs")
		}
		groups := rec.Column(0).(*array.Uint32).Uint32Values()
		rows := rec.Column(1).(*array.Int64).Int64Values()
		cells = cells[:0]
		for i, gi := range groups {
			for left == 0 {
				pane++
				pn = &winPane{idx: h.Panes[pane].Idx} // mergePane marks the merged ones
				w.panes = append(w.panes, pn)
				left = h.Panes[pane].Cells
			}
			left--
			if int(gi) >= len(gids) || rows[i] < 1 {
				return fmt.Errorf("corrupt cell %d", w.nCells)
			}
			g := gids[gi]
			if w.lastPane[g] == pn.idx {
				return fmt.Errorf("corrupt cells: a key appears twice in pane %d", pn.idx)
			}
			c := uint32(w.nCells)
			w.nCells++
			w.cellGid[c], w.cellRows[c] = g, rows[i]
			pn.gids = append(pn.gids, g)
			pn.cells = append(pn.cells, c)
			w.refs[g]++
			w.lastPane[g], w.lastCell[g] = pn.idx, c
			cells = append(cells, c)
		}
		if err := w.restoreState(false, rec.Columns()[2:], cells); err != nil {
			return err
		}
	}
	if err := rd.Err(); err != nil {
		return fmt.Errorf("reading the cells: %w", err)
	}
	if w.nCells != total {
		return fmt.Errorf("corrupt cells: %d, want %d", w.nCells, total)
	}
	return nil
}

// winSnapCheckArrays checks that the buffers of a batch read from a
// snapshot hold its rows, so that reading them cannot go out of bounds.
func winSnapCheckArrays(rec arrow.RecordBatch) error {
	for i, c := range rec.Columns() {
		if c.Len() != int(rec.NumRows()) {
			return fmt.Errorf("column %d has %d rows, want %d", i, c.Len(), rec.NumRows())
		}
		d := c.Data()
		bits := d.Offset() + d.Len()
		bufs := d.Buffers()
		short := func(k, n int) bool { return len(bufs) <= k || bufs[k] == nil || bufs[k].Len() < n }
		if c.NullN() > 0 && c.DataType().ID() != arrow.NULL && short(0, (bits+7)/8) {
			return fmt.Errorf("column %d: short validity bitmap", i)
		}
		switch a := c.(type) {
		case *array.String:
			if err := a.ValidateFull(); err != nil {
				return fmt.Errorf("column %d: %w", i, err)
			}
		case *array.List, *array.Binary:
			if err := array.ValidateFull(c); err != nil {
				return fmt.Errorf("column %d: %w", i, err)
			}
		case *array.Boolean:
			if short(1, (bits+7)/8) {
				return fmt.Errorf("column %d: short values", i)
			}
		case *array.Null:
		default:
			fw, ok := c.DataType().(arrow.FixedWidthDataType)
			if !ok || bits > 0 && short(1, bits*fw.BitWidth()/8) {
				return fmt.Errorf("column %d: short values", i)
			}
		}
	}
	return nil
}

// growCells makes cell ids below n valid.
func (w *WindowAgg) growCells(n int) {
	if n <= len(w.cellGid) {
		return
	}
	w.cellGid = accumGrow(w.cellGid, n)
	w.cellRows = accumGrow(w.cellRows, n)
	for _, a := range w.accs {
		a.growCells(n)
	}
}

// rebuild merges the panes of the running window into the running values
// again, puts back the stored ones, checks the result and sets the scalars.
func (w *WindowAgg) rebuild(h *winSnapHeader, gids []uint32) error {
	for _, g := range gids {
		if w.refs[g] == 0 {
			return errors.New("corrupt snapshot: a key without cells")
		}
	}
	// The stored running values and row counts, set aside while the
	// running window is merged again from zero.
	rows := w.runRows(gids)
	if w.span > 1 {
		for _, g := range gids {
			w.winRows[g] = 0
		}
	}
	var saved [][]arrow.Array
	if w.span > 1 {
		saved = make([][]arrow.Array, len(w.accs))
		for i, a := range w.accs {
			if len(a.groupFields()) > 0 {
				saved[i] = a.groupState(w.mem, gids)
				a.resetGroups(gids)
			}
		}
	}
	defer func() {
		for _, cols := range saved {
			for _, c := range cols {
				c.Release()
			}
		}
	}()
	for _, pn := range w.panes[:h.Merged] {
		w.mergePane(pn)
	}
	w.nIn = h.Merged
	for i, g := range gids {
		if w.span > 1 && w.winRows[g] != rows[i] {
			return fmt.Errorf("corrupt snapshot: %d rows of group %d in the running window, the panes have %d", rows[i], i, w.winRows[g])
		}
	}
	for i, cols := range saved {
		if cols != nil {
			if err := w.accs[i].setGroups(gids, cols); err != nil {
				return fmt.Errorf("corrupt snapshot: aggregate %d: %w", i, err)
			}
		}
	}
	w.changed = true
	w.wm, w.nextStart, w.finished = h.Watermark, h.NextStart, h.Finished
	w.fired, w.hi = h.Fired, h.Hi
	w.stats.LateRows, w.stats.NullTimeRows, w.stats.GapRows = h.LateRows, h.NullTimeRows, h.GapRows
	return nil
}
