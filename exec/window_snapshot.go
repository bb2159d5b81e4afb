package exec

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
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
//	         of the Float64 SUM and AVG accumulators, a<i>.sum, a<i>.comp,
//	         a<i>.nn (and a<i>.nf.pos/neg/nan once a non-finite value was
//	         seen)
//	cells    an Arrow IPC stream, one row per (pane, key) cell, pane by
//	         pane in the order of the header, each pane's cells in the
//	         order the keys arrived: "group" (the key's row in groups),
//	         "rows", and every accumulator's partial state a<i>.<name>
//	end      "WAGG-END"
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
		c.Aggs = append(c.Aggs, fmt.Sprintf("%s(%s) AS %s", a.Func, arg, a.Name))
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

// winSnapVec is one vector of an accumulator's state, by cell or by group.
type winSnapVec struct {
	name  string
	ptr   any    // *[]int64, *[]uint64, *[]float64, *[]bool, *[]string or *[]accumNonFinite
	alloc func() // for a vector allocated on first use: allocates it
}

// winSnapAccum is an accumulator whose state can be checkpointed.
type winSnapAccum interface {
	// snapCells lists the partial state, by cell.
	snapCells() []winSnapVec
	// snapGroups lists the running state, by group, that merging the
	// panes of the running window again would not rebuild exactly.
	snapGroups() []winSnapVec
	// snapRestored recomputes what derives from restored cells.
	snapRestored()
}

func (a *accumCount) snapCells() []winSnapVec  { return []winSnapVec{{name: "n", ptr: &a.cell}} }
func (a *accumCount) snapGroups() []winSnapVec { return nil }
func (a *accumCount) snapRestored()            {}

func (a *accumSumInt) snapCells() []winSnapVec {
	return []winSnapVec{{name: "sum", ptr: &a.csum}, {name: "nn", ptr: &a.cnn}}
}
func (a *accumSumInt) snapGroups() []winSnapVec { return nil }
func (a *accumSumInt) snapRestored()            {}

func (a *accumAvgInt) snapCells() []winSnapVec {
	return []winSnapVec{{name: "hi", ptr: &a.chi}, {name: "lo", ptr: &a.clo}, {name: "nn", ptr: &a.cnn}}
}
func (a *accumAvgInt) snapGroups() []winSnapVec { return nil }
func (a *accumAvgInt) snapRestored()            {}

func (a *accumSumFloat) snapCells() []winSnapVec {
	return []winSnapVec{{name: "sum", ptr: &a.csum}, {name: "nn", ptr: &a.cnn}, {name: "nf", ptr: &a.cnf, alloc: a.nonFinite}}
}

func (a *accumSumFloat) snapGroups() []winSnapVec {
	return []winSnapVec{{name: "sum", ptr: &a.sum}, {name: "comp", ptr: &a.comp}, {name: "nn", ptr: &a.nn}, {name: "nf", ptr: &a.nf, alloc: a.nonFinite}}
}
func (a *accumSumFloat) snapRestored() {}

func (a *accumMinMax[T]) snapCells() []winSnapVec {
	return []winSnapVec{{name: "val", ptr: &a.val}, {name: "has", ptr: &a.has}}
}
func (a *accumMinMax[T]) snapGroups() []winSnapVec { return nil }

func (a *accumMinMax[T]) snapRestored() {
	if sv, ok := any(a.val).([]string); ok {
		a.strBytes = 0
		for _, s := range sv {
			a.strBytes += int64(len(s))
		}
	}
}

func (a *accumNull) snapCells() []winSnapVec  { return nil }
func (a *accumNull) snapGroups() []winSnapVec { return nil }
func (a *accumNull) snapRestored()            {}

// winSnapCols is the state vectors of the accumulators, named a<i>.<name>.
type winSnapCols struct {
	cells, groups []winSnapVec
}

// snapCols lists the state vectors of the accumulators.
func (w *WindowAgg) snapCols() (winSnapCols, error) {
	var s winSnapCols
	for i, a := range w.accs {
		sa, ok := a.(winSnapAccum)
		if !ok {
			return s, fmt.Errorf("window aggregate: %s (%T) cannot be checkpointed", w.cfg.Aggs[i].Func, a)
		}
		for _, v := range sa.snapCells() {
			v.name = fmt.Sprintf("a%d.%s", i, v.name)
			s.cells = append(s.cells, v)
		}
		if w.span > 1 {
			for _, v := range sa.snapGroups() {
				v.name = fmt.Sprintf("a%d.%s", i, v.name)
				s.groups = append(s.groups, v)
			}
		}
	}
	return s, nil
}

// Snapshot writes the operator's whole state to wr; the operator is
// unchanged and can go on. It is called between the operator's other
// methods, never during one. See Restore.
func (w *WindowAgg) Snapshot(wr io.Writer) error {
	if w.closed {
		return errors.New("window aggregate: Snapshot after Close")
	}
	cols, err := w.snapCols()
	if err != nil {
		return err
	}
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
	fields = append(fields, winSnapFields(cols.groups)...)
	err = w.snapStream(bw, fields, len(gids), func(lo, hi int) []arrow.Array {
		ids := gids[lo:hi]
		out := w.table.Keys(ids, w.mem)
		out = append(out, winSnapFixed(w.mem, arrow.PrimitiveTypes.Int64, w.winRows, ids))
		return append(out, winSnapGather(w.mem, cols.groups, ids)...)
	})
	if err != nil {
		return err
	}

	// The cells stream.
	fields = []arrow.Field{{Name: "group", Type: arrow.PrimitiveTypes.Uint32}, {Name: "rows", Type: arrow.PrimitiveTypes.Int64}}
	fields = append(fields, winSnapFields(cols.cells)...)
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
			winSnapFixed(w.mem, arrow.PrimitiveTypes.Uint32, groups, nil),
			winSnapFixed(w.mem, arrow.PrimitiveTypes.Int64, w.cellRows, cells),
		}
		return append(out, winSnapGather(w.mem, cols.cells, cells)...)
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

// winSnapFields is the fields of state vectors; a vector allocated on
// first use has none until it is.
func winSnapFields(vecs []winSnapVec) []arrow.Field {
	var fs []arrow.Field
	for _, v := range vecs {
		var t arrow.DataType
		switch p := v.ptr.(type) {
		case *[]int64:
			t = arrow.PrimitiveTypes.Int64
		case *[]uint64:
			t = arrow.PrimitiveTypes.Uint64
		case *[]float64:
			t = arrow.PrimitiveTypes.Float64
		case *[]bool:
			t = arrow.FixedWidthTypes.Boolean
		case *[]string:
			t = arrow.BinaryTypes.String
		case *[]accumNonFinite:
			if *p != nil {
				for _, s := range []string{".pos", ".neg", ".nan"} {
					fs = append(fs, arrow.Field{Name: v.name + s, Type: arrow.PrimitiveTypes.Int64})
				}
			}
			continue
		default:
			panic(fmt.Sprintf("winSnapFields: %T", v.ptr))
		}
		fs = append(fs, arrow.Field{Name: v.name, Type: t})
	}
	return fs
}

// winSnapGather builds the columns of winSnapFields(vecs) from the
// entries idx of each vector.
func winSnapGather(mem memory.Allocator, vecs []winSnapVec, idx []uint32) []arrow.Array {
	var out []arrow.Array
	for _, v := range vecs {
		switch p := v.ptr.(type) {
		case *[]int64:
			out = append(out, winSnapFixed(mem, arrow.PrimitiveTypes.Int64, *p, idx))
		case *[]uint64:
			out = append(out, winSnapFixed(mem, arrow.PrimitiveTypes.Uint64, *p, idx))
		case *[]float64:
			out = append(out, winSnapFixed(mem, arrow.PrimitiveTypes.Float64, *p, idx))
		case *[]bool:
			b := array.NewBooleanBuilder(mem)
			b.Reserve(len(idx))
			for _, i := range idx {
				b.UnsafeAppend((*p)[i])
			}
			out = append(out, b.NewArray())
			b.Release()
		case *[]string:
			b := array.NewStringBuilder(mem)
			n := 0
			for _, i := range idx {
				n += len((*p)[i])
			}
			b.Reserve(len(idx))
			b.ReserveData(n)
			for _, i := range idx {
				b.Append((*p)[i])
			}
			out = append(out, b.NewArray())
			b.Release()
		case *[]accumNonFinite:
			if *p == nil {
				continue
			}
			nf := *p
			for _, field := range []func(f *accumNonFinite) int64{
				func(f *accumNonFinite) int64 { return f.pos },
				func(f *accumNonFinite) int64 { return f.neg },
				func(f *accumNonFinite) int64 { return f.nan },
			} {
				vals := make([]int64, len(idx))
				for k, i := range idx {
					vals[k] = field(&nf[i])
				}
				out = append(out, winSnapFixed(mem, arrow.PrimitiveTypes.Int64, vals, nil))
			}
		}
	}
	return out
}

// winSnapFixed is an array of type typ (of T's width, without NULLs) of
// src[idx[k]], or of src itself if idx is nil, allocated from mem.
func winSnapFixed[T int64 | uint64 | uint32 | float64](mem memory.Allocator, typ arrow.DataType, src []T, idx []uint32) arrow.Array {
	n := len(src)
	if idx != nil {
		n = len(idx)
	}
	var zero T
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n * int(unsafe.Sizeof(zero)))
	if n > 0 {
		dst := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
		if idx == nil {
			copy(dst, src)
		} else {
			for k, i := range idx {
				dst[k] = src[i]
			}
		}
	}
	data := array.NewData(typ, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
	buf.Release()
	defer data.Release()
	return array.MakeFromData(data)
}

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
		return fmt.Errorf("snapshot format version %d, want %d", v, winSnapVersion)
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
	cols, err := w.snapCols()
	if err != nil {
		return err
	}
	gids, err := w.restoreGroups(r, &h, cols.groups)
	if err != nil {
		return err
	}
	if err := w.restoreCells(r, &h, cols.cells, gids); err != nil {
		return err
	}
	var end [len(winSnapEnd) + 1]byte
	if n, err := io.ReadFull(r, end[:]); n != len(winSnapEnd) || err != io.ErrUnexpectedEOF || string(end[:n]) != winSnapEnd {
		if fr.err != nil {
			return fr.err
		}
		return errors.New("corrupt snapshot: no end marker after the cells")
	}
	return w.rebuild(&h, cols.groups, gids)
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
// its schema: the fields want, in order, with the optional vectors' fields
// present or not.
func (w *WindowAgg) winSnapReader(r io.Reader, what string, want []arrow.Field, vecs []winSnapVec) (*ipc.Reader, error) {
	rd, err := ipc.NewReader(r, ipc.WithAllocator(w.mem))
	if err != nil {
		return nil, fmt.Errorf("reading the %s: %w", what, err)
	}
	got := rd.Schema()
	// Allocate the optional vectors the snapshot has.
	for _, v := range vecs {
		if v.alloc != nil && got.HasField(v.name+".pos") {
			v.alloc()
		}
	}
	want = append(want, winSnapFields(vecs)...)
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
func (w *WindowAgg) restoreGroups(r io.Reader, h *winSnapHeader, vecs []winSnapVec) ([]uint32, error) {
	want := make([]arrow.Field, 0, len(w.cfg.Keys)+1)
	for i, k := range w.cfg.Keys {
		want = append(want, arrow.Field{Name: fmt.Sprintf("k%d", i), Type: w.cfg.Input.Field(k).Type})
	}
	want = append(want, arrow.Field{Name: "rows", Type: arrow.PrimitiveTypes.Int64})
	rd, err := w.winSnapReader(r, "groups", want, vecs)
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
				ids[i] = w.table.InsertEmpty()
			}
		} else {
			ids = w.table.Insert(rec.Columns()[:nk], ids)
		}
		if rec.Column(nk).NullN() != 0 {
			return nil, errors.New("corrupt groups: NULL rows")
		}
		if w.table.Len() != before+n {
			return nil, errors.New("corrupt groups: a key appears twice")
		}
		w.growGroups(w.table.NumIDs())
		if err := winSnapScatter(rec.Columns()[nk+1:], vecs, ids); err != nil {
			return nil, err
		}
		// Kept to check the rebuilt running window against.
		for i, v := range rec.Column(nk).(*array.Int64).Int64Values() {
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
func (w *WindowAgg) restoreCells(r io.Reader, h *winSnapHeader, vecs []winSnapVec, gids []uint32) error {
	want := []arrow.Field{{Name: "group", Type: arrow.PrimitiveTypes.Uint32}, {Name: "rows", Type: arrow.PrimitiveTypes.Int64}}
	rd, err := w.winSnapReader(r, "cells", want, vecs)
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
		if err := winSnapScatter(rec.Columns()[2:], vecs, cells); err != nil {
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
func (w *WindowAgg) rebuild(h *winSnapHeader, stored []winSnapVec, gids []uint32) error {
	for _, g := range gids {
		if w.refs[g] == 0 {
			return errors.New("corrupt snapshot: a key without cells")
		}
	}
	for _, a := range w.accs {
		a.(winSnapAccum).snapRestored()
	}
	// The stored running values and row counts, set aside while the
	// running window is merged again from zero.
	rows := make([]int64, len(gids))
	for i, g := range gids {
		rows[i], w.winRows[g] = w.winRows[g], 0
	}
	saved := winSnapTake(stored, gids)
	for _, pn := range w.panes[:h.Merged] {
		w.mergePane(pn)
	}
	w.nIn = h.Merged
	for i, g := range gids {
		if w.winRows[g] != rows[i] {
			return fmt.Errorf("corrupt snapshot: %d rows of group %d in the running window, the panes have %d", rows[i], i, w.winRows[g])
		}
	}
	winSnapPut(stored, saved, gids)
	w.changed = true
	w.wm, w.nextStart, w.finished = h.Watermark, h.NextStart, h.Finished
	w.fired, w.hi = h.Fired, h.Hi
	w.stats.LateRows, w.stats.NullTimeRows, w.stats.GapRows = h.LateRows, h.NullTimeRows, h.GapRows
	return nil
}

// winSnapTake moves the entries gids of vectors out (zeroing them) and
// returns them; winSnapPut puts them back.
func winSnapTake(vecs []winSnapVec, gids []uint32) []any {
	out := make([]any, len(vecs))
	for k, v := range vecs {
		switch p := v.ptr.(type) {
		case *[]int64:
			out[k] = winSnapMove(*p, gids)
		case *[]float64:
			out[k] = winSnapMove(*p, gids)
		case *[]accumNonFinite:
			if *p != nil {
				out[k] = winSnapMove(*p, gids)
			}
		default:
			panic(fmt.Sprintf("winSnapTake: %T", v.ptr))
		}
	}
	return out
}

func winSnapPut(vecs []winSnapVec, saved []any, gids []uint32) {
	for k, v := range vecs {
		switch p := v.ptr.(type) {
		case *[]int64:
			winSnapUnmove(*p, saved[k].([]int64), gids)
		case *[]float64:
			winSnapUnmove(*p, saved[k].([]float64), gids)
		case *[]accumNonFinite:
			if *p != nil {
				winSnapUnmove(*p, saved[k].([]accumNonFinite), gids)
			}
		}
	}
}

func winSnapMove[T any](s []T, gids []uint32) []T {
	out := make([]T, len(gids))
	var zero T
	for i, g := range gids {
		out[i], s[g] = s[g], zero
	}
	return out
}

func winSnapUnmove[T any](s, saved []T, gids []uint32) {
	for i, g := range gids {
		s[g] = saved[i]
	}
}

// winSnapScatter stores the rows of columns (as winSnapFields(vecs),
// checked) into the entries dst of the vectors.
func winSnapScatter(cols []arrow.Array, vecs []winSnapVec, dst []uint32) error {
	k := 0
	for _, v := range vecs {
		switch p := v.ptr.(type) {
		case *[]int64:
			winSnapSet(*p, cols[k].(*array.Int64).Int64Values(), dst)
		case *[]uint64:
			winSnapSet(*p, cols[k].(*array.Uint64).Uint64Values(), dst)
		case *[]float64:
			winSnapSet(*p, cols[k].(*array.Float64).Float64Values(), dst)
		case *[]bool:
			b := cols[k].(*array.Boolean)
			for i, d := range dst {
				(*p)[d] = b.Value(i)
			}
		case *[]string:
			s := cols[k].(*array.String)
			for i, d := range dst {
				(*p)[d] = strings.Clone(s.Value(i))
			}
		case *[]accumNonFinite:
			if *p == nil {
				continue
			}
			pos := cols[k].(*array.Int64).Int64Values()
			neg := cols[k+1].(*array.Int64).Int64Values()
			nan := cols[k+2].(*array.Int64).Int64Values()
			for i, d := range dst {
				(*p)[d] = accumNonFinite{pos[i], neg[i], nan[i]}
			}
			k += 3
			continue
		}
		if cols[k].NullN() != 0 {
			return fmt.Errorf("corrupt snapshot: NULLs in %s", v.name)
		}
		k++
	}
	return nil
}

func winSnapSet[T any](s, vals []T, dst []uint32) {
	for i, d := range dst {
		s[d] = vals[i]
	}
}

// winSnapCRC is the table of CRC-32C, the checksum of frames.
var winSnapCRC = crc32.MakeTable(crc32.Castagnoli)

// winSnapFrameWriter cuts what is written into frames of at most
// winSnapFrame bytes, each preceded by its length and CRC-32C (uint32s);
// Close writes what is left and an empty frame, the end.
type winSnapFrameWriter struct {
	w   io.Writer
	buf []byte
	err error
}

// Write buffers p; an error is kept and returned by later calls and Close.
func (f *winSnapFrameWriter) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n := len(p)
	for len(p) > 0 {
		if f.buf == nil {
			f.buf = make([]byte, 8, 8+winSnapFrame)
		}
		k := min(len(p), 8+winSnapFrame-len(f.buf))
		f.buf = append(f.buf, p[:k]...)
		p = p[k:]
		if len(f.buf) == 8+winSnapFrame {
			if err := f.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// flush writes the buffered frame.
func (f *winSnapFrameWriter) flush() error {
	if f.buf == nil {
		f.buf = make([]byte, 8, 8+winSnapFrame)
	}
	data := f.buf[8:]
	binary.LittleEndian.PutUint32(f.buf, uint32(len(data)))
	binary.LittleEndian.PutUint32(f.buf[4:], crc32.Checksum(data, winSnapCRC))
	if _, err := f.w.Write(f.buf); err != nil {
		f.err = err
		return err
	}
	f.buf = f.buf[:8]
	return nil
}

// Close writes the last frames.
func (f *winSnapFrameWriter) Close() error {
	if f.err != nil {
		return f.err
	}
	if len(f.buf) > 8 {
		if err := f.flush(); err != nil {
			return err
		}
	}
	return f.flush() // the empty frame
}

// winSnapFrameReader reads the frames winSnapFrameWriter writes, checking
// each one's length and checksum before handing out its bytes, up to the
// empty frame: it reads no byte beyond it.
type winSnapFrameReader struct {
	r    io.Reader
	buf  []byte
	pos  int
	done bool
	err  error // a damaged frame
}

// Read implements io.Reader; it returns io.EOF after the last frame.
func (f *winSnapFrameReader) Read(p []byte) (int, error) {
	for f.pos == len(f.buf) {
		if f.err != nil {
			return 0, f.err
		}
		if f.done {
			return 0, io.EOF
		}
		var hdr [8]byte
		if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
			f.err = fmt.Errorf("corrupt snapshot: truncated: %w", err)
			continue
		}
		n := binary.LittleEndian.Uint32(hdr[:])
		if n > winSnapFrame {
			f.err = fmt.Errorf("corrupt snapshot: frame of %d bytes", n)
			continue
		}
		if n == 0 {
			f.done = true
			continue
		}
		if cap(f.buf) < int(n) {
			f.buf = make([]byte, n)
		}
		f.buf, f.pos = f.buf[:n], 0
		if _, err := io.ReadFull(f.r, f.buf); err != nil {
			f.buf, f.err = f.buf[:0], fmt.Errorf("corrupt snapshot: truncated: %w", err)
			continue
		}
		if crc32.Checksum(f.buf, winSnapCRC) != binary.LittleEndian.Uint32(hdr[4:]) {
			f.buf, f.err = f.buf[:0], errors.New("corrupt snapshot: checksum mismatch")
		}
	}
	n := copy(p, f.buf[f.pos:])
	f.pos += n
	return n, nil
}
