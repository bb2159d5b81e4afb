package exec

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// RankFunc is the ranking function of a TopN.
type RankFunc int8

// The ranking functions, as in SQL: ROW_NUMBER numbers rows 1, 2, 3...;
// RANK gives rows with equal ORDER BY keys the same rank and skips the
// ranks after them (1, 1, 3); DENSE_RANK does not skip (1, 1, 2).
const (
	RowNumber RankFunc = iota
	Rank
	DenseRank
)

// TopNConfig describes a TopN: ROW_NUMBER() OVER (PARTITION BY Partition
// ORDER BY Order) filtered to the first N rows of each partition.
type TopNConfig struct {
	// Input is the input schema; it may end with a changelog's op column.
	Input *arrow.Schema
	// Partition are the PARTITION BY columns, Order the ORDER BY keys.
	Partition []int
	Order     []SortKey
	// N is the largest rank kept per partition (rn <= N).
	N int64
	// Func ranks the rows; with RANK and DENSE_RANK ties share a rank, so
	// more than N rows may be kept.
	Func RankFunc
	// Columns are the output's columns: an input column's index, or -1
	// for the row number, named RankName. Nil: every input column, then
	// the row number.
	Columns  []int
	RankName string
	// Rank says whether the row number is read downstream: then a row
	// whose rank changes is updated (-U/+U); otherwise only rows entering
	// and leaving the top N are emitted and the rank column is NULL.
	Rank bool
	// WindowEnd, when >= 0, is the PARTITION BY column holding each row's
	// window_end (window top-N): the input is append-only, each window's
	// top N is emitted once, when the watermark passes its end, append-only.
	WindowEnd int
	// AppendOnly says that rows never leave the top N once in it (the
	// planner knows: ascending processing time over an append-only
	// input), so the output is append-only: +I rows without an op column.
	AppendOnly bool
	// TiesToLatest ranks the latest of rows with equal ORDER BY keys
	// first (keep-last deduplication, as Flink's: a row with the same
	// time replaces the one kept); otherwise the earliest.
	TiesToLatest bool
	// TTL, if positive, drops a partition not updated for that long
	// (processing time, by Clock), silently, as Flink's state TTL does
	// (SET state_ttl); unwindowed only.
	TTL time.Duration
	// Clock tells processing time for TTL; nil is the wall clock.
	Clock Clock
	Alloc memory.Allocator
}

// TopN keeps the first N rows of each partition in a given order, as
// Flink's Top-N and deduplication do. Rows with equal order keys rank in
// arrival order. Over an updating input every row is kept (a retraction
// may bring a lower row up); over an append-only input only the top N.
//
// Unwindowed, its output is a changelog: Advance, after every micro-batch,
// compares each touched partition's top N with what it last emitted and
// emits the difference (per rank when Rank is set; otherwise the rows
// that left and entered, as -U/+U when N is 1). Windowed (WindowEnd), it
// emits each window's final top N once, append-only, and frees it.
type TopN struct {
	cfg    TopNConfig
	in     *arrow.Schema // without the op column
	schema *arrow.Schema
	types  []arrow.Type
	opCol  int
	mem    memory.Allocator

	parts topnParts
	dirty []*topnPart
	seq   uint64
	rows  int
	bytes int64
	wm    int64

	clock    Clock
	ttlQueue []topnTouch // partitions in the order they were touched, for TTL
	late     int64       // rows of windows already emitted, dropped
	expired  int64       // partitions dropped by the TTL
}

// topnTouch records that a partition was updated at time t (UnixNano).
type topnTouch struct {
	p *topnPart
	t int64
}

// topnPart is one partition: its rows in rank order and, unwindowed, the
// top N as last emitted.
type topnPart struct {
	key     string     // the encoded partition cells; "" when keyed by ikey
	ikey    topnIntKey // the key by integer columns (topnParts.ints)
	end     int64      // window_end, windowed only
	rows    []topnRow
	emitted []topnRow
	ranks   []int64 // the ranks of emitted
	dirty   bool
	first   uint64 // seq of its first row, for a stable emission order
	touched int64  // when it was last updated (UnixNano), for TTL
	gone    bool   // dropped from parts
	// inline holds the first row of rows and of emitted, so that a
	// partition of one row (deduplication) costs no more allocations.
	inline [2]topnRow
}

// newTopnPart returns an empty partition of key.
func newTopnPart(key string, end int64, first uint64) *topnPart {
	p := &topnPart{key: key, end: end, first: first}
	p.rows, p.emitted = p.inline[0:0:1], p.inline[1:1:2]
	return p
}

// topnRow is one row held: its cells packed (packCells), which is also
// its identity, and its arrival number.
type topnRow struct {
	data string
	seq  uint64
}

// topnRowBytes estimates the memory of a held row.
func topnRowBytes(r topnRow) int64 { return int64(len(r.data)) + 48 }

// cell returns column c of row r.
func (t *TopN) cell(r topnRow, c int) Cell {
	return packedCell(r.data, len(t.types), c, t.types[c])
}

var (
	_ Operator      = (*TopN)(nil)
	_ Snapshotter   = (*TopN)(nil)
	_ StateReporter = (*TopN)(nil)
	_ Windowed      = (*TopN)(nil)
)

// NewTopN returns a TopN.
func NewTopN(cfg TopNConfig) (*TopN, error) {
	if cfg.N < 1 {
		return nil, fmt.Errorf("top-N: N must be at least 1, got %d", cfg.N)
	}
	if cfg.Alloc == nil {
		cfg.Alloc = memory.DefaultAllocator
	}
	if cfg.Clock == nil {
		cfg.Clock = WallClock{}
	}
	in := vector.WithoutOpColumn(cfg.Input)
	t := &TopN{cfg: cfg, in: in, opCol: vector.OpIndex(cfg.Input), mem: cfg.Alloc,
		wm: MinWatermark, clock: cfg.Clock}
	if cfg.WindowEnd >= 0 && t.opCol >= 0 {
		return nil, fmt.Errorf("top-N: a window top-N needs an append-only input")
	}
	var ptypes []arrow.Type
	for _, c := range cfg.Partition {
		if c < 0 || c >= in.NumFields() {
			return nil, fmt.Errorf("top-N: partition column %d of %d", c, in.NumFields())
		}
		ptypes = append(ptypes, in.Field(c).Type.ID())
	}
	t.parts = newTopnParts(ptypes)
	for _, f := range in.Fields() {
		a, err := buildCells(cfg.Alloc, f.Type, 0, nil)
		if err != nil {
			return nil, err
		}
		a.Release()
		t.types = append(t.types, f.Type.ID())
	}
	if t.cfg.Columns == nil {
		for i := range in.NumFields() {
			t.cfg.Columns = append(t.cfg.Columns, i)
		}
		t.cfg.Columns = append(t.cfg.Columns, -1)
	}
	var fs []arrow.Field
	for _, c := range t.cfg.Columns {
		switch {
		case c < 0:
			fs = append(fs, arrow.Field{Name: cfg.RankName, Type: arrow.PrimitiveTypes.Int64, Nullable: true})
		case c < in.NumFields():
			fs = append(fs, in.Field(c))
		default:
			return nil, fmt.Errorf("top-N: output column %d of %d", c, in.NumFields())
		}
	}
	t.schema = arrow.NewSchema(fs, nil)
	if cfg.WindowEnd < 0 && !cfg.AppendOnly {
		t.schema = vector.WithOpColumn(t.schema)
	}
	return t, nil
}

// Schema is the Columns (the input's and the rank), then the op column
// when the output is a changelog.
func (t *TopN) Schema() *arrow.Schema { return t.schema }

// WaitsForWatermark implements Windowed: a window top-N emits as the
// watermark passes each window's end.
func (t *TopN) WaitsForWatermark() bool { return t.cfg.WindowEnd >= 0 }

// keepAll says whether every row must be kept (an updating input).
func (t *TopN) keepAll() bool { return t.opCol >= 0 }

// Process folds b's rows into their partitions.
func (t *TopN) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	var ops []int8
	if t.opCol >= 0 {
		ops = b.Column(t.opCol).(*array.Int8).Int8Values()
	}
	ncols := len(t.types)
	var kbuf []byte
	pk := make([]Cell, len(t.cfg.Partition))
	var now int64
	if t.cfg.TTL > 0 && t.cfg.WindowEnd < 0 {
		now = t.clock.Now().UnixNano()
	}
	// A row that cannot enter a full top N of an append-only input is
	// judged on its keys alone, before its other cells are read.
	cells := make([]Cell, ncols)
	var pbuf []byte
	probe := topnRow{}
	prune := !t.keepAll() && t.cfg.Func == RowNumber
	for i := 0; i < int(b.NumRows()); i++ {
		for k, c := range t.cfg.Partition {
			v, err := readCell(b.Column(c), i)
			if err != nil {
				return nil, err
			}
			pk[k] = v
		}
		if !t.parts.ints {
			kbuf = encodeCells(kbuf[:0], pk)
		}
		p := t.parts.get(pk, kbuf)
		if prune && p != nil && int64(len(p.rows)) >= t.cfg.N {
			clear(cells)
			for _, k := range t.cfg.Order {
				v, err := readCell(b.Column(k.Col), i)
				if err != nil {
					return nil, err
				}
				cells[k.Col] = v
			}
			pbuf = packCells(pbuf[:0], cells, t.types)
			probe.data, probe.seq = unsafe.String(unsafe.SliceData(pbuf), len(pbuf)), t.seq
			if t.compare(probe, p.rows[len(p.rows)-1]) > 0 {
				t.seq++
				continue
			}
		}
		for c := range cells {
			v, err := readCell(b.Column(c), i)
			if err != nil {
				return nil, err
			}
			cells[c] = v
		}
		retract := ops != nil && vector.RowKind(ops[i]).Retracts()
		if p == nil {
			if retract {
				continue // nothing to retract from
			}
			if t.cfg.WindowEnd >= 0 {
				if e := cells[t.cfg.WindowEnd]; !e.Null && e.I <= t.wm {
					t.late++ // its window was already emitted
					continue
				}
			}
			var end int64
			if t.cfg.WindowEnd >= 0 {
				end = cells[t.cfg.WindowEnd].I
			}
			key := ""
			if !t.parts.ints {
				key = string(kbuf)
			}
			p = newTopnPart(key, end, t.seq)
			t.parts.put(p, pk)
		}
		pbuf = packCells(pbuf[:0], cells, t.types)
		probe.data, probe.seq = unsafe.String(unsafe.SliceData(pbuf), len(pbuf)), t.seq
		t.seq++
		if retract {
			t.remove(p, probe.data)
		} else {
			t.insert(p, probe)
		}
		if !p.dirty {
			p.dirty = true
			t.dirty = append(t.dirty, p)
		}
		if now != 0 && p.touched != now {
			p.touched = now
			t.ttlQueue = append(t.ttlQueue, topnTouch{p, now})
		}
	}
	return nil, nil
}

// expire drops the partitions not updated for the TTL, without output.
func (t *TopN) expire() {
	if t.cfg.TTL <= 0 || t.cfg.WindowEnd >= 0 {
		return
	}
	limit := t.clock.Now().UnixNano() - int64(t.cfg.TTL)
	k := 0
	for ; k < len(t.ttlQueue) && t.ttlQueue[k].t <= limit; k++ {
		e := t.ttlQueue[k]
		if !e.p.gone && e.p.touched == e.t && !e.p.dirty {
			t.drop(e.p)
			t.expired++
		}
	}
	t.ttlQueue = append(t.ttlQueue[:0], t.ttlQueue[k:]...)
}

// drop removes partition p and its rows from the state.
func (t *TopN) drop(p *topnPart) {
	for _, r := range p.rows {
		t.bytes -= topnRowBytes(r)
	}
	t.rows -= len(p.rows)
	p.gone = true
	t.parts.del(p)
}

// compare orders two rows by the ORDER BY keys, then by arrival (the
// latest first with TiesToLatest).
func (t *TopN) compare(x, y topnRow) int {
	for _, k := range t.cfg.Order {
		c := compareCells(t.types[k.Col], t.cell(x, k.Col), t.cell(y, k.Col))
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	c := 0
	switch {
	case x.seq < y.seq:
		c = -1
	case x.seq > y.seq:
		c = 1
	}
	if t.cfg.TiesToLatest {
		c = -c
	}
	return c
}

// insert puts a copy of probe (whose data may be a view of a buffer) in
// rank order, trimming to the top N when the input is append-only (a row
// ranked past N can never rise again).
func (t *TopN) insert(p *topnPart, probe topnRow) {
	if !t.keepAll() && t.cfg.Func == RowNumber && int64(len(p.rows)) >= t.cfg.N && t.compare(probe, p.rows[len(p.rows)-1]) > 0 {
		return // below the top N, which is all that is kept
	}
	at, _ := slices.BinarySearchFunc(p.rows, probe, t.compare)
	r := topnRow{data: strings.Clone(probe.data), seq: probe.seq}
	p.rows = slices.Insert(p.rows, at, r)
	t.rows++
	t.bytes += topnRowBytes(r)
	if !t.keepAll() {
		keep, _ := t.top(p, false)
		for _, last := range p.rows[len(keep):] {
			t.rows--
			t.bytes -= topnRowBytes(last)
		}
		clear(p.rows[len(keep):]) // the strings they hold
		p.rows = p.rows[:len(keep)]
	}
}

// remove takes out one row equal to id (the latest-ranked such row, so a
// retraction undoes the most recent equal insert), if held.
func (t *TopN) remove(p *topnPart, id string) {
	for i := len(p.rows) - 1; i >= 0; i-- {
		if p.rows[i].data == id {
			r := p.rows[i]
			p.rows = slices.Delete(p.rows, i, i+1)
			t.rows--
			t.bytes -= topnRowBytes(r)
			return
		}
	}
}

// top is the partition's current top N and, if withRanks, their ranks.
func (t *TopN) top(p *topnPart, withRanks bool) ([]topnRow, []int64) {
	if t.cfg.Func == RowNumber && !withRanks {
		return p.rows[:min(int64(len(p.rows)), t.cfg.N)], nil
	}
	ranks := make([]int64, 0, min(len(p.rows), int(min(t.cfg.N, 1<<20))))
	var rank int64
	for i, r := range p.rows {
		switch {
		case t.cfg.Func == RowNumber || i == 0:
			rank = int64(i + 1)
		case t.sameKeys(p.rows[i-1], r):
		case t.cfg.Func == Rank:
			rank = int64(i + 1)
		default:
			rank++
		}
		if rank > t.cfg.N {
			return p.rows[:i], ranks
		}
		ranks = append(ranks, rank)
	}
	return p.rows, ranks
}

// sameKeys reports whether x and y have equal ORDER BY keys (a tie).
func (t *TopN) sameKeys(x, y topnRow) bool {
	for _, k := range t.cfg.Order {
		if compareCells(t.types[k.Col], t.cell(x, k.Col), t.cell(y, k.Col)) != 0 {
			return false
		}
	}
	return true
}

// Advance emits the changes of the partitions touched since the last
// Advance (unwindowed), or the top N of every window whose end is <= wm.
func (t *TopN) Advance(wm int64) ([]arrow.RecordBatch, error) {
	if wm > t.wm {
		t.wm = wm
	}
	if t.cfg.WindowEnd >= 0 {
		return t.fireWindows()
	}
	out, err := t.emitChanges()
	t.expire()
	return out, err
}

// Close drops the state.
func (t *TopN) Close() {
	t.parts = topnParts{ints: t.parts.ints, byStr: map[string]*topnPart{}, byInt: map[topnIntKey]*topnPart{}}
	t.dirty = nil
	t.ttlQueue = nil
	t.rows, t.bytes = 0, 0
}

// Stats implements StateReporter: partitions as keys, rows held as bytes.
func (t *TopN) Stats() WindowStats {
	return WindowStats{LateRows: t.late, Keys: t.parts.len(), StateBytes: t.bytes + int64(t.parts.len())*96, ExpiredKeys: t.expired}
}
