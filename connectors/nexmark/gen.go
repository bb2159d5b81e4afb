package nexmark

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// kindLo and kindN place each kind in a group of totalProportion events:
// its events are offsets kindLo to kindLo+kindN-1.
var (
	kindLo = [...]int64{Person: 0, Auction: personProportion, Bid: personProportion + auctionProportion}
	kindN  = [...]int64{Person: personProportion, Auction: auctionProportion, Bid: totalProportion - personProportion - auctionProportion}
)

// countOfKind is how many events of kind k come before event i.
func countOfKind(i int64, k Kind) int64 {
	return i/totalProportion*kindN[k] + min(max(i%totalProportion-kindLo[k], 0), kindN[k])
}

// eventOfKind is the event number of the o-th event of kind k (from 0).
func eventOfKind(o int64, k Kind) int64 {
	return o/kindN[k]*totalProportion + kindLo[k] + o%kindN[k]
}

// span is what a batch of at most maxRows rows of kind k, from event
// start up to event end (exclusive), holds: its rows, and the position
// after it (the event after its last row, or end when it stops short).
func span(k Kind, start, end int64, maxRows int) (rows int, next int64) {
	if start >= end {
		return 0, start
	}
	first := countOfKind(start, k)
	avail := countOfKind(end, k) - first
	if avail < int64(maxRows) {
		return int(avail), end
	}
	return maxRows, eventOfKind(first+int64(maxRows)-1, k) + 1
}

// maxBatchRows bounds the rows of one batch.
const maxBatchRows = 1 << 20

// gen makes batches of one kind's rows, column by column, into buffers
// sized up front. It keeps scratch space, so one goroutine uses it at a
// time; the batches it returns are the caller's.
type gen struct {
	schema *arrow.Schema
	mem    memory.Allocator
	kind   Kind
	fields []int // per column: the field of the kind it holds
	ev     events
	// perRow is, per VARCHAR column, the bytes a row took in the last
	// batch: the next reserves that much (and an eighth), so it seldom
	// grows by copies.
	perRow []int
	ids    []int64 // the event numbers of the batch's rows
	tmp    []byte  // one value being made
	// chans is, per row of a bid batch, its channel (channelsOf), made
	// once for the channel and url columns; chansOf is its first event.
	chans   []int32
	chansOf int64
}

func newGen(schema *arrow.Schema, mem memory.Allocator, cfg *config, fields []int) *gen {
	return &gen{schema: schema, mem: mem, kind: cfg.kind, fields: fields,
		ev: events{baseMs: cfg.baseMs, delayNs: cfg.delayNs}, perRow: make([]int, len(fields))}
}

// batch makes the rows of up to maxRows events of g's kind from event
// start up to end (exclusive). It returns the batch (nil when there are no
// rows), its rows and the position after it, as span does.
func (g *gen) batch(start, end int64, maxRows int) (arrow.RecordBatch, int, int64) {
	// A batch's VARCHAR bytes must stay below 2 GiB (int32 offsets): no
	// event takes 2 KiB.
	rows, next := span(g.kind, start, end, min(maxRows, maxBatchRows))
	if rows == 0 {
		return nil, 0, next
	}
	if cap(g.ids) < rows {
		g.ids = make([]int64, rows)
	}
	ids := g.ids[:rows]
	g.chans = g.chans[:0]
	k := g.kind
	o := countOfKind(start, k)
	e, off := eventOfKind(o, k), o%kindN[k]
	for j := range ids {
		ids[j] = e
		e++
		if off++; off == kindN[k] {
			off = 0
			e += totalProportion - kindN[k]
		}
	}
	cols := make([]arrow.Array, len(g.fields))
	for c, f := range g.fields {
		typ := g.schema.Field(c).Type
		if kindFields[k][f].typ == varchar {
			cols[c] = g.strings(c, f, typ, ids)
		} else {
			cols[c] = g.ints(f, typ, ids)
		}
	}
	b := array.NewRecordBatch(g.schema, cols, int64(rows))
	for _, c := range cols {
		c.Release()
	}
	return b, rows, next
}

// ints makes a BIGINT or TIMESTAMP column of field f.
func (g *gen) ints(f int, typ arrow.DataType, ids []int64) arrow.Array {
	buf := memory.NewResizableBuffer(g.mem)
	buf.Resize(8 * len(ids))
	vals := arrow.Int64Traits.CastFromBytes(buf.Bytes())
	ev := &g.ev
	switch {
	case isTime(g.kind, f):
		for j, i := range ids {
			vals[j] = ev.time(i)
		}
	case g.kind == Bid && f == bAuction:
		for j, i := range ids {
			vals[j] = bidAuction(i)
		}
	case g.kind == Bid && f == bBidder:
		for j, i := range ids {
			vals[j] = bidBidder(i)
		}
	case g.kind == Bid && f == bPrice:
		for j, i := range ids {
			r := stream(i, bPrice)
			vals[j] = r.price()
		}
	default:
		for j, i := range ids {
			vals[j] = ev.intField(g.kind, f, i)
		}
	}
	data := array.NewData(typ, len(ids), []*memory.Buffer{nil, buf}, nil, 0, 0)
	buf.Release()
	a := array.MakeFromData(data)
	data.Release()
	return a
}

// isTime reports whether field f of kind k is the event's own time.
func isTime(k Kind, f int) bool {
	switch k {
	case Person:
		return f == pDateTime
	case Auction:
		return f == aDateTime
	}
	return f == bDateTime
}

// strings makes VARCHAR column c, of field f.
func (g *gen) strings(c, f int, typ arrow.DataType, ids []int64) arrow.Array {
	n := len(ids)
	offBuf := memory.NewResizableBuffer(g.mem)
	offBuf.Resize(4 * (n + 1))
	offs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	w := strColumn{data: memory.NewResizableBuffer(g.mem)}
	w.data.Reserve(n * max(g.perRow[c]+g.perRow[c]/8, 16))
	w.d = w.data.Buf()[:0]
	offs[0] = 0
	k := g.kind
	switch {
	case k == Bid && (f == bChannel || f == bURL):
		ch := channels()
		vals := &ch.name
		if f == bURL {
			vals = &ch.url
		}
		data, off := vals.data, vals.off
		for j, n := range g.channelsOf(ids) {
			w.addBytes(data[off[n]:off[n+1]])
			offs[j+1] = int32(len(w.d))
		}
	case k == Bid && f == bExtra:
		// r.extra(32, avgBidBytes), with what does not change from row to
		// row worked out once.
		text := extraText()
		lo, spread := extraLen(32, avgBidBytes)
		for j, i := range ids {
			r := stream(i, bExtra)
			n := lo
			if spread > 0 {
				n += r.intn(spread)
			}
			off := r.intn(int64(len(text)) - n)
			w.add(text[off : off+n])
			offs[j+1] = int32(len(w.d))
		}
	default:
		for j, i := range ids {
			g.tmp = g.ev.appendString(g.tmp[:0], k, f, i)
			w.addBytes(g.tmp)
			offs[j+1] = int32(len(w.d))
		}
	}
	g.perRow[c] = len(w.d) / n
	w.data.ResizeNoShrink(len(w.d))
	data := array.NewData(typ, n, []*memory.Buffer{nil, offBuf, w.data}, nil, 0, 0)
	offBuf.Release()
	w.data.Release()
	a := array.MakeFromData(data)
	data.Release()
	return a
}

// strColumn appends a string column's bytes straight into its buffer.
type strColumn struct {
	data *memory.Buffer
	d    []byte // the buffer's memory, as far as it is written
}

func (w *strColumn) add(s string) {
	if len(w.d)+len(s) > cap(w.d) {
		w.grow(len(s))
	}
	w.d = append(w.d, s...)
}

func (w *strColumn) addBytes(s []byte) {
	if len(w.d)+len(s) > cap(w.d) {
		w.grow(len(s))
	}
	w.d = append(w.d, s...)
}

// grow makes room for need more bytes, keeping what is written.
func (w *strColumn) grow(need int) {
	n := len(w.d)
	w.data.ResizeNoShrink(n)
	w.data.Reserve(max(2*cap(w.d), n+need, 1024))
	w.d = w.data.Buf()[:n]
}

// channelsOf is the channel of each bid of ids: an index into
// channels().name and url.
func (g *gen) channelsOf(ids []int64) []int32 {
	if len(g.chans) == len(ids) && g.chansOf == ids[0] {
		return g.chans
	}
	if cap(g.chans) < len(ids) {
		g.chans = make([]int32, len(ids))
	}
	g.chans, g.chansOf = g.chans[:len(ids)], ids[0]
	for j, i := range ids {
		g.chans[j] = int32(bidChannel(i))
	}
	return g.chans
}
