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

// Checkpoints of a WindowAgg (DESIGN.md §4): Snapshot writes the whole
// state, Restore reads it back into a new operator of the same
// configuration, which then goes on exactly as the original would have.
//
// The format, integers little-endian: "WEIRWAGG", a uint32 version (1),
// then the payload in frames of at most 1 MiB, each preceded by its length
// and CRC-32C (two uint32s), ended by an empty frame. The payload is:
//
//	header   uint32 length, then that many bytes of JSON (winSnapHeader):
//	         the configuration's fingerprint, the watermark, the next
//	         window to fire, the counters of dropped rows, and the panes
//	         (index and number of cells), oldest first
//	groups   an Arrow IPC stream, one row per live key: the key columns
//	         k0, k1, ...; "rows", the key's rows in the running window (a
//	         check); and, for windows of several panes, the running state
//	         each accumulator exports (accumulator.groupState: only the
//	         Float64 SUM and AVG have some, a<i>.sum, a<i>.comp, a<i>.nn,
//	         and a<i>.nf.pos/neg/nan once a non-finite value was seen)
//	cells    an Arrow IPC stream, one row per (pane, key) cell, pane by
//	         pane in the order of the header, each pane's cells in the
//	         order the keys arrived: "group" (the key's row in groups),
//	         "rows", and every accumulator's partial state as it exports
//	         it (accumulator.cellState), its columns named a<i>.<name>
//	end      "WAGG-END"
//
// The operator never looks inside an accumulator: it asks each for the
// fields and arrays of its state and hands them back to it (mergeCells
// into empty cells, setGroups), the seam partial aggregates merge through
// too. Version 1 was first written by code that read the accumulators'
// slices itself; the columns did not change, and
// testdata/window_snapshot_v1.snap, written by that code, pins them.
//
// Batches hold at most winSnapChunk rows. The frames let Restore read
// exactly the bytes Snapshot wrote (a snapshot can be followed by other
// data in the same file) and check them before parsing any, so that a
// torn or damaged checkpoint is an error, never a crash.
//
// Stored versus rebuilt: group and cell ids are not stored (Restore hands
// out new ones, which output never depends on: rows are emitted in key
// order). The pane partials (cells) are stored. The running values of a
// multi-pane window, and each key's rows in it, are rebuilt by merging the
// panes of the running window again, which is exact for COUNT, integer SUM
// and AVG (integer or 128-bit arithmetic) and for MIN and MAX (the
// monotonic deque is determined by the extremes of the panes it covers);
// only the compensated sums of Float64 SUM and AVG depend on the history
// of merges and retractions, so they are stored, bit for bit. The key
// table's, the panes' and the deques' spare capacity is not kept, so
// Stats.StateBytes may differ after Restore.

// winSnapMagic starts every snapshot.
const winSnapMagic = "WEIRWAGG"

// winSnapEnd ends every snapshot, after the cells stream.
const winSnapEnd = "WAGG-END"

// winSnapVersion is the version of the format written.
const winSnapVersion = 1

// winSnapChunk is the largest number of rows in one record batch.
const winSnapChunk = 1 << 16

// winSnapFrame is the largest frame of a snapshot's payload.
const winSnapFrame = 1 << 20

// winSnapMaxHeader bounds the JSON header Restore accepts.
const winSnapMaxHeader = 1 << 28

// ErrSnapshotConfig is returned (wrapped, with the difference) by Restore
// when the snapshot was taken by an operator of another configuration.
var ErrSnapshotConfig = errors.New("snapshot of a different configuration")

// winSnapHeader is the JSON header of a snapshot.
type winSnapHeader struct {
	Config       winSnapConfig
	Watermark    int64         // highest watermark advanced to
	NextStart    int64         // windows starting before it were emitted (or empty)
	Finished     bool          // Advance(MaxWatermark) happened
	Fired        bool          // a multi-pane window was fired
	Hi           int64         // panes below it are in the last fired window
	Merged       int           // the oldest Merged panes are in the running values
	LateRows     int64         // Stats counters
	NullTimeRows int64         //
	GapRows      int64         //
	Groups       int           // rows of the groups stream
	Panes        []winSnapPane // alive, oldest first
}

// winSnapPane is one pane of a snapshot.
type winSnapPane struct {
	Idx   int64 // pane index
	Cells int   // its cells, rows of the cells stream
}

// winSnapConfig is the fingerprint of a WindowAggConfig: everything but
// the allocator, in words.
type winSnapConfig struct {
	Input  []string // "name type" of each input column
	Keys   []string // "column AS name" of each key
	Aggs   []string // "FUNC(column) AS name" of each aggregate
	Window string
}

// fingerprint describes w's configuration.
func (w *WindowAgg) fingerprint() winSnapConfig {
	var c winSnapConfig
	for _, f := range w.cfg.Input.Fields() {
		c.Input = append(c.Input, fmt.Sprintf("%s %s", f.Name, f.Type))
	}
	for i, k := range w.cfg.Keys {
		c.Keys = append(c.Keys, fmt.Sprintf("%d AS %s", k, w.cfg.KeyNames[i]))
	}
	for _, a := range w.cfg.Aggs {
		arg := fmt.Sprint(a.Arg)
		if a.Func == CountStar {
			arg = "*"
		}
		if a.Distinct {
			arg = "DISTINCT " + arg
		}
		filter := ""
		if a.HasFilter {
			filter = fmt.Sprintf(" FILTER (WHERE %d)", a.Filter)
		}
		c.Aggs = append(c.Aggs, fmt.Sprintf("%s(%s)%s AS %s", a.Func, arg, filter, a.Name))
	}
	switch {
	case !w.win:
		c.Window = "none"
	case w.cfg.Window.Kind == Tumble:
		c.Window = fmt.Sprintf("TUMBLE(time %d, size %d ms)", w.cfg.Window.TimeCol, w.size)
	default:
		c.Window = fmt.Sprintf("HOP(time %d, slide %d ms, size %d ms)", w.cfg.Window.TimeCol, w.slide, w.size)
	}
	return c
}

// diff describes the first difference between the configuration of a
// snapshot (c) and of the operator restoring it (o), or "" if none.
func (c winSnapConfig) diff(o winSnapConfig) string {
	list := func(what string, a, b []string) string {
		for i := range max(len(a), len(b)) {
			switch {
			case i >= len(a):
				return fmt.Sprintf("the operator has %s %d (%s), the snapshot has %d", what, i, b[i], len(a))
			case i >= len(b):
				return fmt.Sprintf("the snapshot has %s %d (%s), the operator has %d", what, i, a[i], len(b))
			case a[i] != b[i]:
				return fmt.Sprintf("%s %d is %s in the snapshot, %s in the operator", what, i, a[i], b[i])
			}
		}
		return ""
	}
	if c.Window != o.Window {
		return fmt.Sprintf("window is %s in the snapshot, %s in the operator", c.Window, o.Window)
	}
	if d := list("key", c.Keys, o.Keys); d != "" {
		return d
	}
	if d := list("aggregate", c.Aggs, o.Aggs); d != "" {
		return d
	}
	return list("input column", c.Input, o.Input)
}

// stateFields is the fields of the accumulators' state at the cell level,
// or (groups) at the group level, each named a<i>.<name> after its
// accumulator's own name. Group state is kept only for windows of several
// panes.
func (w *WindowAgg) stateFields(groups bool) []arrow.Field {
	var fs []arrow.Field
	if groups && w.span == 1 {
		return nil
	}
	for i, a := range w.accs {
		own := a.cellFields()
		if groups {
			own = a.groupFields()
		}
		for _, f := range own {
			f.Name = fmt.Sprintf("a%d.%s", i, f.Name)
			fs = append(fs, f)
		}
	}
	return fs
}

// stateArrays exports the state of the accumulators at ids, cells or
// (groups) groups, as the columns of stateFields.
func (w *WindowAgg) stateArrays(groups bool, ids []uint32) []arrow.Array {
	var out []arrow.Array
	if groups && w.span == 1 {
		return nil
	}
	for _, a := range w.accs {
		if groups {
			out = append(out, a.groupState(w.mem, ids)...)
		} else {
			out = append(out, a.cellState(w.mem, ids)...)
		}
	}
	return out
}

// restoreState hands the state columns cols (as stateFields, checked) to
// the accumulators: merged into the empty cells ids, or (groups) set as
// the running values of groups ids.
func (w *WindowAgg) restoreState(groups bool, cols []arrow.Array, ids []uint32) error {
	if groups && w.span == 1 {
		return nil
	}
	k := 0
	for i, a := range w.accs {
		var err error
		if groups {
			n := len(a.groupFields())
			err = a.setGroups(ids, cols[k:k+n])
			k += n
		} else {
			n := len(a.cellFields())
			err = a.mergeCells(ids, cols[k:k+n])
			k += n
		}
		if err != nil {
			return fmt.Errorf("corrupt snapshot: aggregate %d: %w", i, err)
		}
	}
	return nil
}

// Snapshot writes the operator's whole state to wr; the operator is
// unchanged and can go on. It is called between the operator's other
// methods, never during one. See Restore.
func (w *WindowAgg) Snapshot(wr io.Writer) error {
	if w.closed {
		return errors.New("window aggregate: Snapshot after Close")
	}
	w.materialize()
	// The live keys, in id order, and each one's row in the groups stream.
	nids := w.table.NumIDs()
	gids := make([]uint32, 0, w.table.Len())
	row := make([]uint32, nids)
	for id := range uint32(nids) {
		if w.table.Alive(id) {
			row[id] = uint32(len(gids))
			gids = append(gids, id)
		}
	}
	h := winSnapHeader{
		Config:    w.fingerprint(),
		Watermark: w.wm, NextStart: w.nextStart, Finished: w.finished,
		Fired: w.fired, Hi: w.hi, Merged: w.nIn,
		LateRows: w.stats.LateRows, NullTimeRows: w.stats.NullTimeRows, GapRows: w.stats.GapRows,
		Groups: len(gids),
		Panes:  make([]winSnapPane, len(w.panes)),
	}
	for i, pn := range w.panes {
		h.Panes[i] = winSnapPane{pn.idx, len(pn.cells)}
	}
	js, err := json.Marshal(&h)
	if err != nil {
		return fmt.Errorf("window aggregate: snapshot header: %w", err)
	}
	var pre [12]byte
	copy(pre[:], winSnapMagic)
	binary.LittleEndian.PutUint32(pre[8:], winSnapVersion)
	if _, err := wr.Write(pre[:]); err != nil {
		return fmt.Errorf("window aggregate: snapshot: %w", err)
	}
	bw := &winSnapFrameWriter{w: wr}
	binary.LittleEndian.PutUint32(pre[:], uint32(len(js)))
	bw.Write(pre[:4])
	bw.Write(js)

	// The groups stream.
	fields := make([]arrow.Field, 0, len(w.cfg.Keys)+1)
	for i, k := range w.cfg.Keys {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("k%d", i), Type: w.cfg.Input.Field(k).Type, Nullable: true})
	}
	fields = append(fields, arrow.Field{Name: "rows", Type: arrow.PrimitiveTypes.Int64})
	fields = append(fields, w.stateFields(true)...)
	err = w.snapStream(bw, fields, len(gids), func(lo, hi int) []arrow.Array {
		ids := gids[lo:hi]
		out := w.table.Keys(ids, w.mem)
		out = append(out, accumFixed(w.mem, arrow.PrimitiveTypes.Int64, w.runRows(ids), nil))
		return append(out, w.stateArrays(true, ids)...)
	})
	if err != nil {
		return err
	}

	// The cells stream.
	fields = []arrow.Field{{Name: "group", Type: arrow.PrimitiveTypes.Uint32}, {Name: "rows", Type: arrow.PrimitiveTypes.Int64}}
	fields = append(fields, w.stateFields(false)...)
	nCells := 0
	for _, pn := range w.panes {
		nCells += len(pn.cells)
	}
	var cells, groups []uint32
	pane, slot := 0, 0 // the next cell to write
	err = w.snapStream(bw, fields, nCells, func(lo, hi int) []arrow.Array {
		cells, groups = cells[:0], groups[:0]
		for len(cells) < hi-lo {
			pn := w.panes[pane]
			k := min(len(pn.cells)-slot, hi-lo-len(cells))
			cells = append(cells, pn.cells[slot:slot+k]...)
			for _, g := range pn.gids[slot : slot+k] {
				groups = append(groups, row[g])
			}
			if slot += k; slot == len(pn.cells) {
				pane, slot = pane+1, 0
			}
		}
		out := []arrow.Array{
			accumFixed(w.mem, arrow.PrimitiveTypes.Uint32, groups, nil),
			accumFixed(w.mem, arrow.PrimitiveTypes.Int64, w.cellRows, cells),
		}
		return append(out, w.stateArrays(false, cells)...)
	})
	if err != nil {
		return err
	}
	bw.Write([]byte(winSnapEnd))
	if err := bw.Close(); err != nil {
		return fmt.Errorf("window aggregate: snapshot: %w", err)
	}
	return nil
}

// snapStream writes an Arrow IPC stream of n rows, in batches of at most
// winSnapChunk rows whose columns batch(lo, hi) builds.
func (w *WindowAgg) snapStream(wr io.Writer, fields []arrow.Field, n int, batch func(lo, hi int) []arrow.Array) error {
	schema := arrow.NewSchema(fields, nil)
	iw := ipc.NewWriter(wr, ipc.WithSchema(schema), ipc.WithAllocator(w.mem))
	for lo := 0; lo < n; lo += winSnapChunk {
		hi := min(n, lo+winSnapChunk)
		cols := batch(lo, hi)
		rec := array.NewRecordBatch(schema, cols, int64(hi-lo))
		for _, c := range cols {
			c.Release()
		}
		err := iw.Write(rec)
		rec.Release()
		if err != nil {
			iw.Close()
			return fmt.Errorf("window aggregate: snapshot: %w", err)
		}
	}
	if err := iw.Close(); err != nil {
		return fmt.Errorf("window aggregate: snapshot: %w", err)
	}
	return nil
}
