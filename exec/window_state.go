package exec

import (
	"math"
	"sort"

	"github.com/weirdb/weir/vector"
)

// winNoCell marks a dropped row in a batch's cell vector.
const winNoCell = math.MaxUint32

// winPane is the state of one pane: the cells (partial aggregates) of the
// keys seen in it, in order of first appearance.
type winPane struct {
	idx   int64             // pane index: the pane covers [idx*width, (idx+1)*width)
	gids  []uint32          // slot -> group id
	cells []uint32          // slot -> cell id
	byGid map[uint32]uint32 // group id -> cell, built only for out-of-order input
	inRun bool              // merged into the running values
}

// winPanes is the panes and cells of a WindowAgg.
type winPanes struct {
	panes   []*winPane // alive, in pane order
	nIn     int        // panes[:nIn] are merged into the running values
	hi      int64      // when fired: panes below hi are in the last fired window
	fired   bool       // a multi-pane window has been fired
	spare   []*winPane // freed panes for reuse
	pending []*winPane // dropped by Advance, freed when it ends

	cellGid   []uint32 // by cell: its group
	cellRows  []int64  // by cell: rows in it
	freeCells []uint32
	nCells    int      // cells ever allocated (ids below it are valid)
	newCells  []uint32 // allocated during the current batch
}

// winGroups is the per-group state of a WindowAgg, indexed by group id.
// The running window (winRows, alivePos and the accumulators' group
// level) exists only when a window spans several panes (span > 1): a
// single-pane window is emitted straight from its cells.
type winGroups struct {
	lastPane []int64  // the latest pane the group has a cell in, or MinInt64
	lastCell []uint32 // its cell there
	refs     []int32  // live cells of the group
	winRows  []int64  // rows of the group in the running window (span > 1)
	alivePos []int32  // position in alive (span > 1)
	alive    []uint32 // groups with winRows > 0
	changed  bool     // alive changed since sorted was computed from it
	zero     []uint32 // scratch: groups that left the window
	sorted   []uint32 // the running window's groups in key order, unless changed
}

// winSlowRow is a row that fell in a pane already merged into the running
// values (it arrived after the watermark passed its time).
type winSlowRow struct {
	row  int32
	pane int64
}

// growGroups sizes the per-group state for n group ids.
func (w *WindowAgg) growGroups(n int) {
	if w.ident || n <= len(w.lastPane) {
		return
	}
	old := len(w.lastPane)
	w.lastPane = accumGrow(w.lastPane, n)
	for i := old; i < n; i++ {
		w.lastPane[i] = math.MinInt64
	}
	w.lastCell = accumGrow(w.lastCell, n)
	w.refs = accumGrow(w.refs, n)
	if w.span == 1 {
		return
	}
	w.winRows = accumGrow(w.winRows, n)
	w.alivePos = accumGrow(w.alivePos, n)
	for _, a := range w.accs {
		a.growGroups(n)
	}
}

// runRows is the rows of groups ids in the running window (0 without
// one).
func (w *WindowAgg) runRows(ids []uint32) []int64 {
	rows := make([]int64, len(ids))
	if w.span > 1 {
		for i, g := range ids {
			rows[i] = w.winRows[g]
		}
	}
	return rows
}

// paneAt returns the pane of index p, creating it (in order) if missing.
func (w *WindowAgg) paneAt(p int64) *winPane {
	n := len(w.panes)
	if n > 0 && w.panes[n-1].idx == p {
		return w.panes[n-1]
	}
	i := n
	if n > 0 && w.panes[n-1].idx > p {
		i = sort.Search(n, func(i int) bool { return w.panes[i].idx >= p })
		if w.panes[i].idx == p {
			return w.panes[i]
		}
	}
	var pn *winPane
	if k := len(w.spare); k > 0 {
		pn = w.spare[k-1]
		w.spare = w.spare[:k-1]
	} else {
		pn = &winPane{}
	}
	pn.idx = p
	pn.inRun = w.fired && p < w.hi
	if pn.inRun {
		w.nIn++
	}
	w.panes = append(w.panes, nil)
	copy(w.panes[i+1:], w.panes[i:])
	w.panes[i] = pn
	return pn
}

// cellFor returns group gid's cell in pane pn, allocating it if new.
func (w *WindowAgg) cellFor(pn *winPane, gid uint32) uint32 {
	if w.lastPane[gid] > pn.idx { // out of order: the group is in a later pane
		if pn.byGid == nil {
			pn.byGid = make(map[uint32]uint32, len(pn.gids))
			for k, g := range pn.gids {
				pn.byGid[g] = pn.cells[k]
			}
		}
		if c, ok := pn.byGid[gid]; ok {
			return c
		}
		c := w.newCell(pn, gid)
		pn.byGid[gid] = c
		return c
	}
	c := w.newCell(pn, gid)
	if pn.byGid != nil {
		pn.byGid[gid] = c
	}
	w.lastPane[gid], w.lastCell[gid] = pn.idx, c
	return c
}

func (w *WindowAgg) newCell(pn *winPane, gid uint32) uint32 {
	var c uint32
	if k := len(w.freeCells); k > 0 {
		c = w.freeCells[k-1]
		w.freeCells = w.freeCells[:k-1]
	} else {
		c = uint32(w.nCells)
		w.nCells++
		if w.nCells > len(w.cellGid) {
			n := max(64, 2*len(w.cellGid))
			if len(w.cellGid) >= accumGrowSlow {
				n = len(w.cellGid) + len(w.cellGid)/4 // as accumGrow
			}
			w.cellGid = accumGrow(w.cellGid, n)
			w.cellRows = accumGrow(w.cellRows, n)
			for _, a := range w.accs {
				a.growCells(n)
			}
		}
	}
	w.cellGid[c], w.cellRows[c] = gid, 0
	pn.gids = append(pn.gids, gid)
	pn.cells = append(pn.cells, c)
	w.refs[gid]++
	w.newCells = append(w.newCells, c)
	return c
}

// mergePane adds a pane to the running values.
func (w *WindowAgg) mergePane(pn *winPane) {
	for k, g := range pn.gids {
		r := w.winRows[g]
		if r == 0 {
			w.alivePos[g] = int32(len(w.alive))
			w.alive = append(w.alive, g)
			w.changed = true
		}
		w.winRows[g] = r + w.cellRows[pn.cells[k]]
	}
	for _, a := range w.accs {
		a.merge(pn.idx, pn.gids, pn.cells)
	}
	pn.inRun = true
}

// retractPane removes a pane from the running values.
func (w *WindowAgg) retractPane(pn *winPane) {
	w.zero = w.zero[:0]
	for k, g := range pn.gids {
		if w.winRows[g] -= w.cellRows[pn.cells[k]]; w.winRows[g] == 0 {
			w.zero = append(w.zero, g)
		}
	}
	for _, a := range w.accs {
		a.retract(pn.idx, pn.gids, pn.cells)
		a.resetGroups(w.zero)
	}
	for _, g := range w.zero {
		w.removeAlive(g)
	}
	pn.inRun = false
}

// addAliveRow counts one more row of group g in the running window.
func (w *WindowAgg) addAliveRow(g uint32) {
	if w.winRows[g] == 0 {
		w.alivePos[g] = int32(len(w.alive))
		w.alive = append(w.alive, g)
		w.changed = true
	}
	w.winRows[g]++
}

func (w *WindowAgg) removeAlive(g uint32) {
	i := w.alivePos[g]
	last := w.alive[len(w.alive)-1]
	w.alive[i] = last
	w.alivePos[last] = i
	w.alive = w.alive[:len(w.alive)-1]
	w.changed = true
}

// dropFront removes the oldest pane, retracting it if merged; it is freed
// at the end of the current Advance, after the output is built.
func (w *WindowAgg) dropFront() {
	pn := w.panes[0]
	if pn.inRun {
		w.retractPane(pn)
		w.nIn--
	}
	w.panes[0] = nil
	w.panes = w.panes[1:]
	w.pending = append(w.pending, pn)
}

// freePending frees the dropped panes: their cells, and the keys that no
// longer have any. When the input has ended and no pane is left, the whole
// state goes at once instead.
func (w *WindowAgg) freePending() {
	if w.finished && len(w.panes) == 0 && w.nCells > 0 {
		w.dropState()
		return
	}
	for _, pn := range w.pending {
		for k, g := range pn.gids {
			w.freeCells = append(w.freeCells, pn.cells[k])
			if w.refs[g]--; w.refs[g] == 0 {
				w.table.Free(g)
				w.lastPane[g] = math.MinInt64
			}
		}
		pn.gids, pn.cells, pn.byGid = pn.gids[:0], pn.cells[:0], nil
		w.spare = append(w.spare, pn)
	}
	clear(w.pending)
	w.pending = w.pending[:0]
}

func (w *WindowAgg) panesBytes() int64 {
	n := int64(cap(w.panes)+cap(w.spare)+cap(w.pending))*8 + int64(cap(w.cellGid))*4 + int64(cap(w.cellRows))*8 + int64(cap(w.freeCells))*4
	for _, pn := range w.panes {
		n += 64 + int64(cap(pn.gids)+cap(pn.cells))*4 + int64(len(pn.byGid))*16
	}
	return n
}

func (w *WindowAgg) groupsBytes() int64 {
	return int64(cap(w.lastPane))*8 + int64(cap(w.lastCell)+cap(w.refs)+cap(w.alivePos)+cap(w.alive)+cap(w.sorted))*4 + int64(cap(w.winRows))*8
}

// The identity layout of a plain GROUP BY (ident): as long as no key has
// been freed and no snapshot read, group ids are handed out 0, 1, 2, ...
// and each gets its one cell in the single pane when it is created, so
// cell id == group id. The operator then keeps none of what maps one to
// the other (lastPane, lastCell, refs, cellGid, the pane's gids and
// cells): per key there is only the group table, the cell's row count and
// the accumulators' cells. materialize builds the general layout when
// something needs it (a snapshot, a restore, a key freed).

// growIdent makes cells, one per group, for group ids below n.
func (w *WindowAgg) growIdent(n int) {
	if n <= w.nCells {
		return
	}
	w.cellRows = accumGrow(w.cellRows, n)
	for _, a := range w.accs {
		a.growCells(n)
	}
	for c := w.nCells; c < n; c++ {
		w.newCells = append(w.newCells, uint32(c))
	}
	w.nCells = n
}

// materialize leaves the identity layout for the general one.
func (w *WindowAgg) materialize() {
	if !w.ident {
		return
	}
	w.ident = false
	n := w.nCells
	w.growGroups(n)
	w.cellGid = accumGrow(w.cellGid, len(w.cellRows))
	if n == 0 {
		return
	}
	pn := w.panes[0] // the cells are in pane 0, which is alive
	pn.gids, pn.cells = make([]uint32, n), make([]uint32, n)
	for g := range uint32(n) {
		pn.gids[g], pn.cells[g], w.cellGid[g] = g, g, g
		w.lastPane[g], w.lastCell[g], w.refs[g] = 0, g, 1
	}
}

// dropState empties the state at once: the group table, the per-group and
// per-cell state and the accumulators start anew, holding no memory. It
// is for the end of input, when every key would otherwise be freed one by
// one (a GROUP BY of 10 million keys would grow free lists of 10 million
// ids to hand out to no one).
func (w *WindowAgg) dropState() {
	table, err := vector.NewGroupTable(w.keyTypes)
	if err != nil {
		return // cannot happen: NewWindowAgg made a table of these types; keep the old one
	}
	accs := make([]accumulator, len(w.accs))
	for i, spec := range w.cfg.Aggs {
		if accs[i], err = newAccumulator(spec, w.argTypes[i]); err != nil {
			return // cannot happen, as above
		}
	}
	w.table, w.accs = table, accs
	w.winGroups = winGroups{}
	w.winPanes = winPanes{panes: w.panes[:0], hi: w.hi, fired: w.fired}
	w.ident = false
}
