package exec

import (
	"container/heap"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/vector"
)

// JoinKind is the kind of a join: which sides keep their unmatched rows.
type JoinKind int

// The join kinds.
const (
	// InnerJoin emits matched pairs only.
	InnerJoin JoinKind = iota
	// LeftJoin also emits each unmatched left row padded with NULLs.
	LeftJoin
	// RightJoin also emits each unmatched right row padded with NULLs.
	RightJoin
	// FullJoin emits the unmatched rows of both sides, padded.
	FullJoin
)

// String is the kind as SQL spells it.
func (k JoinKind) String() string {
	switch k {
	case LeftJoin:
		return "LEFT OUTER"
	case RightJoin:
		return "RIGHT OUTER"
	case FullJoin:
		return "FULL OUTER"
	}
	return "INNER"
}

// Pads reports whether the join pads rows of side (0 left, 1 right) with
// NULLs: whether the other side keeps its unmatched rows.
func (k JoinKind) Pads(side int) bool { return k.preserves(1 - side) }

// preserves reports whether side (0 left, 1 right) keeps its unmatched
// rows.
func (k JoinKind) preserves(side int) bool {
	return k == FullJoin || (side == 0 && k == LeftJoin) || (side == 1 && k == RightJoin)
}

// HashJoinConfig configures a HashJoin.
type HashJoinConfig struct {
	// Left and Right are the inputs' schemas; an updating input's ends
	// with the op column.
	Left, Right *arrow.Schema
	// LeftKeys and RightKeys are the equi-join keys, pairwise: column
	// LeftKeys[i] of the left equals column RightKeys[i] of the right.
	// Paired columns have the same type.
	LeftKeys, RightKeys []int
	// Kind is inner, left, right or full outer.
	Kind JoinKind
	// Residual, if not nil, is a Boolean condition over a joined row (the
	// left columns, then the right ones, without op columns) that a
	// pair of rows with equal keys must also meet to match.
	Residual vector.Expr
	// TTL, if positive, forgets a row that has been in the state for
	// that long (processing time, by Clock), silently, as Flink's state
	// TTL does; Stats().ExpiredKeys counts them.
	TTL time.Duration
	// Clock tells processing time for TTL; nil is the wall clock.
	Clock Clock
	// Expire, per side (0 left, 1 right), frees that side's rows as the
	// watermark passes them (interval and window joins): a row whose
	// TIMESTAMP column Col plus Offset (milliseconds) is below the
	// watermark leaves the state, as no row of the other side that could
	// still match it is yet to come. A zero JoinExpiry keeps the rows.
	Expire [2]JoinExpiry
	// Alloc allocates output batches; nil is the Go allocator.
	Alloc memory.Allocator
}

// JoinExpiry says when the watermark frees a row of one side of a join.
type JoinExpiry struct {
	// Set turns it on.
	Set bool
	// Col is the row's TIMESTAMP column (without the op column).
	Col int
	// Offset is added to it: the row leaves when Col + Offset < the
	// watermark.
	Offset int64
}

// HashJoin is a regular (unwindowed) equi-join of two streams, as
// Flink's regular join: a symmetric hash join that keeps every row of
// both sides, by key, and joins each arriving row with the other side's
// rows of its key.
//
// Output: the left columns, then the right ones; over append-only inputs
// an inner join is append-only. Otherwise (an updating input, or an
// outer join) the output is a changelog of +I and -D rows: a retracted
// input row retracts every joined row it produced; an outer join emits a
// preserved row padded with NULLs while it has no match, retracts the
// padded row (-D) when its first match arrives and emits it again (+I)
// when its last match is retracted. A retraction of a row not in the
// state (expired by TTL, or never seen) is ignored. A NULL key matches
// nothing.
type HashJoin struct {
	cfg      HashJoinConfig
	mem      memory.Allocator
	clock    Clock
	schema   *arrow.Schema
	resIn    *arrow.Schema // the residual's input: left ++ right, no op
	updating bool
	sides    [2]*joinSide
	seq      uint64
	expired  int64
	keyBuf   []byte
	// wm is the watermark of the last Advance; late counts the rows that
	// arrived with their expiry already behind it (see ProcessFrom).
	wm, late int64
}

var (
	_ MultiInput    = (*HashJoin)(nil)
	_ Snapshotter   = (*HashJoin)(nil)
	_ StateReporter = (*HashJoin)(nil)
)

// joinSide is the state of one input of a join.
type joinSide struct {
	fields  []arrow.Field // without the op column
	op      int           // the op column's index, -1 if append-only
	keys    []int
	buckets map[string]*joinBucket
	store   joinStore
	rows    int
	bytes   int64
	ttl     []joinRef // in insertion order, for TTL
	// expiry holds the rows by the watermark that frees them
	// (HashJoinConfig.Expire), earliest first.
	expiry expiryHeap
	// byRow finds a changelog side's rows by a hash of their values, so
	// that retracting a row does not search every row of its key (all
	// the auctions of a window, when the key is the window): the oldest
	// row of each hash, and in byRowMore the later ones in insertion
	// order, for the rare hash that more than one row holds. Neither map
	// holds a pointer per row, so the collector does not scan them.
	byRow     map[uint64]int32
	byRowMore map[uint64][]int32
}

// rowSeed hashes packed rows for joinSide.byRow.
var rowSeed = maphash.MakeSeed()

// indexRow records entry id, holding packed row p, in byRow.
func (s *joinSide) indexRow(id int32, p string) {
	if s.op < 0 {
		return
	}
	if s.byRow == nil {
		s.byRow, s.byRowMore = map[uint64]int32{}, map[uint64][]int32{}
	}
	h := maphash.String(rowSeed, p)
	if _, ok := s.byRow[h]; ok {
		s.byRowMore[h] = append(s.byRowMore[h], id)
	} else {
		s.byRow[h] = id
	}
	s.bytes += joinIndexBytes
}

// rowsByHash calls f with the ids of the rows whose packed values hash to
// h, oldest first, until f returns false.
func (s *joinSide) rowsByHash(h uint64, f func(id int32) bool) {
	first, ok := s.byRow[h]
	if !ok || !f(first) {
		return
	}
	for _, id := range s.byRowMore[h] {
		if !f(id) {
			return
		}
	}
}

// joinIndexBytes is about what byRow holds per row: a map entry and an id.
const joinIndexBytes = 32

// unindexRow forgets entry id, holding packed row p, in byRow.
func (s *joinSide) unindexRow(id int32, p string) {
	if s.byRow == nil {
		return
	}
	h := maphash.String(rowSeed, p)
	first, ok := s.byRow[h]
	if !ok {
		return
	}
	more := s.byRowMore[h]
	if first == id {
		s.bytes -= joinIndexBytes
		if len(more) == 0 {
			delete(s.byRow, h)
			return
		}
		s.byRow[h], more = more[0], more[1:]
	} else {
		for i, x := range more {
			if x == id {
				more = append(more[:i], more[i+1:]...)
				s.bytes -= joinIndexBytes
				break
			}
		}
	}
	if len(more) == 0 {
		delete(s.byRowMore, h)
	} else {
		s.byRowMore[h] = more
	}
}

// joinRef names a row held by a side: its entry id and insertion number
// (an id is reused once its row leaves; the number tells them apart).
type joinRef struct {
	id  int32
	seq uint64
}

// held returns the entry of r, nil if its row left the state.
func (s *joinSide) held(r joinRef) *joinEntry {
	e := s.store.at(r.id)
	if e.gone || e.seq != r.seq {
		return nil
	}
	return e
}

// NewHashJoin returns a join of cfg.Left and cfg.Right.
func NewHashJoin(cfg HashJoinConfig) (*HashJoin, error) {
	if len(cfg.LeftKeys) == 0 || len(cfg.LeftKeys) != len(cfg.RightKeys) {
		return nil, fmt.Errorf("join: needs as many left keys as right keys, at least one")
	}
	j := &HashJoin{cfg: cfg, mem: cfg.Alloc, clock: cfg.Clock, wm: MinWatermark}
	if j.mem == nil {
		j.mem = memory.DefaultAllocator
	}
	if j.clock == nil {
		j.clock = WallClock{}
	}
	var fields []arrow.Field
	for i, s := range []*arrow.Schema{cfg.Left, cfg.Right} {
		side := &joinSide{op: vector.OpIndex(s), buckets: map[string]*joinBucket{}}
		side.fields = vector.WithoutOpColumn(s).Fields()
		side.store.width = len(side.fields)
		side.keys = cfg.LeftKeys
		if i == 1 {
			side.keys = cfg.RightKeys
		}
		for _, k := range side.keys {
			if k < 0 || k >= len(side.fields) {
				return nil, fmt.Errorf("join: key column %d out of range", k)
			}
		}
		j.sides[i] = side
		for _, f := range side.fields {
			f.Nullable = true
			fields = append(fields, f)
		}
		j.updating = j.updating || side.op >= 0
	}
	for i := range cfg.LeftKeys {
		l, r := j.sides[0].fields[cfg.LeftKeys[i]].Type, j.sides[1].fields[cfg.RightKeys[i]].Type
		if !arrow.TypeEqual(l, r) {
			return nil, fmt.Errorf("join: key %d is %s on the left but %s on the right", i+1, vector.TypeName(l), vector.TypeName(r))
		}
	}
	j.resIn = arrow.NewSchema(fields, nil)
	j.updating = j.updating || cfg.Kind != InnerJoin
	j.schema = j.resIn
	if j.updating {
		j.schema = vector.WithOpColumn(j.resIn)
	}
	if cfg.Residual != nil && cfg.Residual.Type().ID() != arrow.BOOL && cfg.Residual.Type().ID() != arrow.NULL {
		return nil, fmt.Errorf("join: condition %s is not BOOLEAN", cfg.Residual)
	}
	return j, nil
}

// String names the operator.
func (j *HashJoin) String() string { return "HashJoin" }

// Schema is the left columns, the right columns and, when the output is
// updating, the op column.
func (j *HashJoin) Schema() *arrow.Schema { return j.schema }

// Ports implements MultiInput: left is port 0, right port 1.
func (j *HashJoin) Ports() int { return 2 }

// Process is ProcessFrom(0, b).
func (j *HashJoin) Process(b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	return j.ProcessFrom(0, b)
}

// ProcessFrom joins the rows of b, from input port, with the other
// side's state and adds them to their own side's.
func (j *HashJoin) ProcessFrom(port int, b arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	defer b.Release()
	if port != 0 && port != 1 {
		return nil, fmt.Errorf("join: no input port %d", port)
	}
	if b.NumRows() == 0 {
		return nil, nil
	}
	if !j.updating && j.cfg.Residual == nil {
		return j.processAppend(port, b)
	}
	this, other := j.sides[port], j.sides[1-port]
	rows, err := rowsOf(b, len(this.fields))
	if err != nil {
		return nil, err
	}
	var ops []int8
	if this.op >= 0 {
		ops = b.Column(this.op).(*array.Int8).Int8Values()
	}
	rows, ops = j.dropLate(port, rows, ops)
	if len(rows) == 0 {
		return nil, nil
	}
	keys := make([]string, len(rows))
	keyed := make([]bool, len(rows))
	// The other side's rows of each key; they do not change while this
	// batch is processed, as only this side's state does.
	cands := make([][]int32, len(rows))
	var flat []int32
	for i, r := range rows {
		keys[i], keyed[i] = joinKey(r, this.keys, j.keyBuf)
		if keyed[i] {
			start := len(flat)
			flat = other.appendBucket(flat, keys[i])
			cands[i] = flat[start:len(flat):len(flat)]
		}
	}
	matched, err := j.residual(port, rows, cands)
	if err != nil {
		return nil, err
	}
	now := j.clock.Now().UnixNano()
	var out []joinRow
	for i, r := range rows {
		kind := vector.Insert
		if ops != nil {
			kind = vector.RowKind(ops[i])
		}
		m := cands[i]
		if matched != nil {
			m = matched[i]
		}
		if kind.Retracts() {
			out = j.retract(out, port, r, keys[i], keyed[i], m)
		} else {
			out = j.insert(out, port, r, keys[i], keyed[i], m, now)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	res, err := buildBatch(j.mem, j.schema, out)
	if err != nil {
		return nil, err
	}
	return []arrow.RecordBatch{res}, nil
}

// residual keeps, of each row's candidates, those the residual condition
// holds for; nil when there is no residual condition.
func (j *HashJoin) residual(port int, rows []joinRow, cands [][]int32) ([][]int32, error) {
	if j.cfg.Residual == nil {
		return nil, nil
	}
	other := &j.sides[1-port].store
	var pairs []joinRow
	for i, r := range rows {
		for _, id := range cands[i] {
			pairs = append(pairs, j.joined(port, r, other.row(other.at(id)), -1))
		}
	}
	matched := make([][]int32, len(rows))
	if len(pairs) == 0 {
		return matched, nil
	}
	in, err := buildBatch(j.mem, j.resIn, pairs)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	arr, err := j.cfg.Residual.Eval(j.mem, in)
	if err != nil {
		return nil, err
	}
	defer arr.Release()
	bools, _ := arr.(*array.Boolean)
	k := 0
	for i := range rows {
		for _, id := range cands[i] {
			if bools != nil && bools.IsValid(k) && bools.Value(k) {
				matched[i] = append(matched[i], id)
			}
			k++
		}
	}
	return matched, nil
}

// joined is the output row of r (from port) with o (from the other
// side; nil pads with NULLs), with kind as its op when kind >= 0 and the
// output is updating.
func (j *HashJoin) joined(port int, r, o joinRow, kind vector.RowKind) joinRow {
	l, rt := r, o
	nl, nr := len(j.sides[0].fields), len(j.sides[1].fields)
	if port == 1 {
		l, rt = o, r
	}
	out := make(joinRow, nl+nr, nl+nr+1)
	if l != nil {
		copy(out, l)
	}
	if rt != nil {
		copy(out[nl:], rt)
	}
	if kind >= 0 && j.updating {
		out = append(out, int64(kind))
	}
	return out
}

// insert adds row r of port to the state and emits what it changes.
func (j *HashJoin) insert(out []joinRow, port int, r joinRow, key string, keyed bool, m []int32, now int64) []joinRow {
	other := &j.sides[1-port].store
	for _, id := range m {
		e := other.at(id)
		o := other.row(e)
		if j.cfg.Kind.preserves(1-port) && e.matches == 0 {
			out = append(out, j.joined(1-port, o, nil, vector.Delete))
		}
		e.matches++
		out = append(out, j.joined(port, r, o, vector.Insert))
	}
	if len(m) == 0 && j.cfg.Kind.preserves(port) {
		out = append(out, j.joined(port, r, nil, vector.Insert))
	}
	if !keyed {
		return out // a NULL key never matches: nothing to keep
	}
	j.seq++
	j.track(port, r, packRow(r), key, int32(len(m)), now, j.seq)
	return out
}

// retract takes row r of port out of the state and retracts what it
// produced.
func (j *HashJoin) retract(out []joinRow, port int, r joinRow, key string, keyed bool, m []int32) []joinRow {
	this := j.sides[port]
	other := &j.sides[1-port].store
	if !keyed {
		if j.cfg.Kind.preserves(port) {
			out = append(out, j.joined(port, r, nil, vector.Delete))
		}
		return out
	}
	matches, ok := this.remove(key, r)
	if !ok {
		return out // expired, or never seen
	}
	for _, id := range m {
		o := other.at(id)
		orow := other.row(o)
		out = append(out, j.joined(port, r, orow, vector.Delete))
		o.matches--
		if j.cfg.Kind.preserves(1-port) && o.matches == 0 {
			out = append(out, j.joined(1-port, orow, nil, vector.Insert))
		}
	}
	if j.cfg.Kind.preserves(port) && matches == 0 {
		out = append(out, j.joined(port, r, nil, vector.Delete))
	}
	return out
}

// add stores packed row p under key and returns its entry id.
func (s *joinSide) add(key, p string) int32 {
	b := s.buckets[key]
	if b == nil {
		b = &joinBucket{head: -1, tail: -1}
		s.buckets[key] = b
		s.bytes += int64(len(key)) + 64
	}
	return s.addTo(b, p)
}

// addTo stores packed row p (copied) at the end of bucket b and returns
// its entry id.
func (s *joinSide) addTo(b *joinBucket, p string) int32 {
	id := s.store.put(p)
	e := s.store.at(id)
	if b.head < 0 {
		b.head = id
	} else {
		e.prev = b.tail
		s.store.at(b.tail).next = id
	}
	b.tail = id
	s.rows++
	s.bytes += s.store.size(e)
	s.indexRow(id, p)
	return id
}

// appendBucket appends the entry ids of key's rows, oldest first, to ids.
func (s *joinSide) appendBucket(ids []int32, key string) []int32 {
	b := s.buckets[key]
	if b == nil {
		return ids
	}
	for id := b.head; id >= 0; id = s.store.at(id).next {
		ids = append(ids, id)
	}
	return ids
}

// remove takes the first row equal to r out of key's bucket and returns
// its match count; ok is false if there is none.
func (s *joinSide) remove(key string, r joinRow) (matches int32, ok bool) {
	b := s.buckets[key]
	if b == nil {
		return 0, false
	}
	packed := packRow(r)
	if s.byRow != nil {
		found := int32(-1)
		s.rowsByHash(maphash.String(rowSeed, packed), func(id int32) bool {
			if s.store.packed(s.store.at(id)) == packed {
				found = id
				return false
			}
			return true
		})
		if found < 0 {
			return 0, false
		}
		matches = s.store.at(found).matches
		s.drop(key, found)
		return matches, true
	}
	for id := b.head; id >= 0; id = s.store.at(id).next {
		if e := s.store.at(id); s.store.packed(e) == packed {
			matches = e.matches
			s.drop(key, id)
			return matches, true
		}
	}
	return 0, false
}

// drop removes entry id, one of key's rows.
func (s *joinSide) drop(key string, id int32) {
	e := s.store.at(id)
	b := s.buckets[key]
	if e.prev >= 0 {
		s.store.at(e.prev).next = e.next
	} else {
		b.head = e.next
	}
	if e.next >= 0 {
		s.store.at(e.next).prev = e.prev
	} else {
		b.tail = e.prev
	}
	if b.head < 0 {
		delete(s.buckets, key)
		s.bytes -= int64(len(key)) + 64
	}
	s.rows--
	s.bytes -= s.store.size(e)
	if s.byRow != nil {
		s.unindexRow(id, s.store.packed(e))
	}
	s.store.release(id)
}

// keyOf returns the key of entry e's row (as joinKey encodes it),
// decoding only the key's values.
func (s *joinSide) keyOf(e *joinEntry) string {
	p := s.store.packed(e)
	want := make([][2]int, len(s.keys))
	found := 0
	for c, off := 0, 0; c < s.store.width && found < len(s.keys); c++ {
		end := off + packedLen(p[off:])
		for i, k := range s.keys {
			if k == c {
				want[i] = [2]int{off, end}
				found++
			}
		}
		off = end
	}
	var buf []byte
	for _, w := range want {
		v := p[w[0]:w[1]]
		switch v[0] {
		case 'i', 'T', 'F':
			buf = append(buf, v...)
		case 'f':
			f := math.Float64frombits(binary.LittleEndian.Uint64([]byte(v[1:9])))
			if f == 0 {
				f = 0 // -0 equals 0
			}
			buf = binary.LittleEndian.AppendUint64(append(buf, 'f'), math.Float64bits(f))
		case 's':
			n, k := binary.Uvarint([]byte(v[1:min(len(v), 1+binary.MaxVarintLen64)]))
			buf = binary.LittleEndian.AppendUint32(append(buf, 's'), uint32(n))
			buf = append(buf, v[1+k:]...)
		}
	}
	return string(buf)
}

// dropLate removes, from rows arriving on port (ops their kinds, nil for
// inserts), the inserted rows that are late: rows of a side the watermark
// frees (Expire) whose own expiry is already behind the watermark. The
// other side's rows they could have matched are gone, so joining them
// would give a result that depends on batch boundaries; as Flink's
// interval and window joins do, they are dropped, and counted
// (Stats().LateRows) so that none goes silently.
func (j *HashJoin) dropLate(port int, rows []joinRow, ops []int8) ([]joinRow, []int8) {
	x := j.cfg.Expire[port]
	if !x.Set || j.wm == MinWatermark {
		return rows, ops
	}
	keep := 0
	for i, r := range rows {
		t, ok := r[x.Col].(int64)
		retract := ops != nil && vector.RowKind(ops[i]).Retracts()
		if ok && !retract && t+x.Offset < j.wm {
			j.late++
			continue
		}
		rows[keep] = r
		if ops != nil {
			ops[keep] = ops[i]
		}
		keep++
	}
	if ops != nil {
		ops = ops[:keep]
	}
	return rows[:keep], ops
}

// track adds row r, packed as p, (key's) to side, with its match count,
// time and insertion number, and to the indexes that free it.
func (j *HashJoin) track(side int, r joinRow, p, key string, matches int32, t int64, seq uint64) {
	exp, hasExp := int64(0), false
	if x := j.cfg.Expire[side]; x.Set {
		exp, hasExp = r[x.Col].(int64)
	}
	j.register(side, j.sides[side].add(key, p), matches, t, seq, exp, hasExp)
}

// register sets the match count, time and insertion number of entry id,
// just added to side, and adds it to the indexes that free it (exp is
// its expiry column's value, if it has one).
func (j *HashJoin) register(side int, id, matches int32, t int64, seq uint64, exp int64, hasExp bool) {
	s := j.sides[side]
	e := s.store.at(id)
	e.matches, e.t, e.seq = matches, t, seq
	ref := joinRef{id, seq}
	if j.cfg.TTL > 0 {
		s.ttl = append(s.ttl, ref)
	}
	if x := j.cfg.Expire[side]; x.Set && hasExp {
		heap.Push(&s.expiry, expiryItem{exp + x.Offset, ref})
	}
}

// Advance forgets the rows the watermark frees (Expire) and the rows
// older than the TTL; a join emits nothing on the watermark.
func (j *HashJoin) Advance(wm int64) ([]arrow.RecordBatch, error) {
	j.wm = max(j.wm, wm)
	for _, s := range j.sides {
		for len(s.expiry) > 0 && s.expiry[0].t < wm {
			r := heap.Pop(&s.expiry).(expiryItem).r
			if e := s.held(r); e != nil {
				s.drop(s.keyOf(e), r.id)
			}
		}
	}
	if j.cfg.TTL <= 0 {
		return nil, nil
	}
	limit := j.clock.Now().UnixNano() - int64(j.cfg.TTL)
	for _, s := range j.sides {
		k := 0
		for ; k < len(s.ttl); k++ {
			e := s.held(s.ttl[k])
			if e == nil {
				continue
			}
			if e.t > limit {
				break
			}
			s.drop(s.keyOf(e), s.ttl[k].id)
			j.expired++
		}
		s.ttl = append(s.ttl[:0], s.ttl[k:]...)
	}
	return nil, nil
}

// Stats reports the keys and rows held (Keys counts the keys of both
// sides) and the rows expired by the TTL.
func (j *HashJoin) Stats() WindowStats {
	st := WindowStats{ExpiredKeys: j.expired, LateRows: j.late}
	for _, s := range j.sides {
		st.Keys += len(s.buckets)
		st.StateBytes += s.bytes
	}
	return st
}

// Close drops the state.
func (j *HashJoin) Close() {
	for _, s := range j.sides {
		s.buckets, s.ttl, s.expiry, s.rows, s.bytes = map[string]*joinBucket{}, nil, nil, 0, 0
		s.store = joinStore{width: len(s.fields)}
		s.byRow, s.byRowMore = nil, nil
	}
}

// expiryItem is a row and the watermark past which it leaves.
type expiryItem struct {
	t int64
	r joinRef
}

// expiryHeap is a min-heap of rows by expiry (container/heap).
type expiryHeap []expiryItem

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, k int) bool { return h[i].t < h[k].t }
func (h expiryHeap) Swap(i, k int)      { h[i], h[k] = h[k], h[i] }

// Push implements heap.Interface.
func (h *expiryHeap) Push(x any) { *h = append(*h, x.(expiryItem)) }

// Pop implements heap.Interface.
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
