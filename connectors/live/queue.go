package live

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
)

// ErrClosed is returned by Queue.Put after Queue.Close.
var ErrClosed = errors.New("queue closed")

// Item is one unit a producer hands to a Queue: a batch, the bad records
// found while decoding it, or a terminal error. All fields are optional.
type Item struct {
	// Batch holds rows; the Queue owns it from Put on.
	Batch arrow.RecordBatch
	// Bad are records skipped while decoding Batch's input; Next reports
	// them, in order, before it returns Batch's rows.
	Bad []connectors.BadRow
	// Err ends the stream: Next returns it once the items before it are
	// delivered, and on every call after that (connectors.ErrEndOfInput
	// for a bounded source that is done, or a fatal error).
	Err error
	// Done, if set, is called by Next once the item is fully delivered:
	// its bad records reported and its last row returned.
	Done func()
}

// badRowBytes is what one queued BadRow is charged besides its record.
const badRowBytes = 128

// size is how many bytes of the budget it takes.
func (it *Item) size() int64 {
	n := int64(0)
	if it.Batch != nil {
		n += BatchBytes(it.Batch)
	}
	for _, b := range it.Bad {
		n += badRowBytes + int64(len(b.Record)+len(b.Position))
	}
	return n
}

// Queue is a FIFO of Items bounded by the bytes they hold. It has one
// producer (Put) and one consumer (Next, Buffered may be called by anyone).
//
// The bound: Put admits an item if the queue is empty or the item fits in
// what is left of the budget, and otherwise waits; so the queue holds at
// most max(budget, one item) bytes. An item stays charged until its last
// row has been returned by Next.
type Queue struct {
	budget int64

	mu     sync.Mutex
	items  []queued
	head   int
	bytes  int64
	closed bool
	space  chan struct{} // signalled when bytes shrink

	// Consumer state, touched only by Next and Close.
	cur     queued // the item being delivered, cur.Batch sliced from off
	off     int64
	haveCur bool
	err     error
}

type queued struct {
	Item
	n int64
}

// NewQueue returns an empty queue that holds about budget bytes.
func NewQueue(budget int64) *Queue {
	return &Queue{budget: max(budget, 1), space: make(chan struct{}, 1)}
}

// Buffered is how many bytes the queued items hold (Arrow buffer capacity
// plus bad records), including the batch Next is part-way through.
func (q *Queue) Buffered() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

// Backlogged reports whether at least half the budget is in use.
func (q *Queue) Backlogged() bool { return q.Buffered() >= q.budget/2 }

// Budget is the queue's byte bound.
func (q *Queue) Budget() int64 { return q.budget }

// Put appends it, waiting while the queue is full. It returns ctx.Err()
// if ctx ends first and ErrClosed after Close; in both cases it releases
// it.Batch.
func (q *Queue) Put(ctx context.Context, it Item) error {
	e := queued{Item: it, n: it.size()}
	if err := ctx.Err(); err != nil {
		release(e.Item)
		return err
	}
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			release(e.Item)
			return ErrClosed
		}
		if q.bytes == 0 || q.bytes+e.n <= q.budget {
			q.items = append(q.items, e)
			q.bytes += e.n
			q.mu.Unlock()
			return nil
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-ctx.Done():
			release(e.Item)
			return ctx.Err()
		}
	}
}

// pop removes the oldest item.
func (q *Queue) pop() (queued, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.items) {
		return queued{}, false
	}
	e := q.items[q.head]
	q.items[q.head] = queued{}
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 64 && q.head*2 > len(q.items) {
		q.items = append(q.items[:0], q.items[q.head:]...)
		q.head = 0
	}
	return e, true
}

// popMarker removes the oldest item if it only carries a Done hook.
func (q *Queue) popMarker() (queued, bool) {
	q.mu.Lock()
	if q.head == len(q.items) {
		q.mu.Unlock()
		return queued{}, false
	}
	if e := q.items[q.head]; e.Batch != nil || len(e.Bad) > 0 || e.Err != nil {
		q.mu.Unlock()
		return queued{}, false
	}
	q.mu.Unlock()
	return q.pop()
}

// delivered finishes e, whose last row was just returned, and the
// Done-only items right after it, so that a Done hook queued after a
// stream's last batch runs when that batch is returned.
func (q *Queue) delivered(e queued) {
	q.finish(e)
	for {
		m, ok := q.popMarker()
		if !ok {
			return
		}
		q.finish(m)
	}
}

// finish uncharges a delivered item and wakes the producer.
func (q *Queue) finish(e queued) {
	q.mu.Lock()
	q.bytes -= e.n
	q.mu.Unlock()
	select {
	case q.space <- struct{}{}:
	default:
	}
	if e.Done != nil {
		e.Done()
	}
}

// Next returns up to maxRows rows of the oldest queued batch, or
// (nil, connectors.ErrNoData) when nothing is queued. Before a batch's
// rows it reports the item's bad records to report; if report returns an
// error, Next drops the batch and returns that error, now and on every
// later call. An item's Err is likewise returned now and forever after.
func (q *Queue) Next(maxRows int, report connectors.BadRowHandler) (arrow.RecordBatch, error) {
	for {
		if q.err != nil {
			return nil, q.err
		}
		if q.haveCur {
			b := q.cur.Batch
			n := b.NumRows()
			if q.off == 0 && n <= int64(maxRows) {
				q.haveCur = false
				q.cur.Batch = nil
				q.delivered(q.cur)
				return b, nil
			}
			end := min(n, q.off+int64(maxRows))
			out := b.NewSlice(q.off, end)
			q.off = end
			if end == n {
				q.haveCur = false
				b.Release()
				q.cur.Batch = nil
				q.delivered(q.cur)
			}
			return out, nil
		}
		e, ok := q.pop()
		if !ok {
			return nil, connectors.ErrNoData
		}
		for _, r := range e.Bad {
			if err := report(r); err != nil {
				q.err = err
				release(e.Item)
				e.Batch = nil
				q.finish(e)
				return nil, err
			}
		}
		e.Bad = nil
		if e.Err != nil {
			q.err = e.Err
			release(e.Item)
			e.Batch = nil
			q.finish(e)
			return nil, e.Err
		}
		if e.Batch == nil || e.Batch.NumRows() == 0 {
			release(e.Item)
			e.Batch = nil
			q.finish(e)
			continue
		}
		q.cur, q.off, q.haveCur = e, 0, true
	}
}

// Close releases every queued batch and makes later Puts fail. Stop the
// producer first, or it may block in Put until Close.
func (q *Queue) Close() {
	q.mu.Lock()
	q.closed = true
	items := q.items[q.head:]
	q.items, q.head, q.bytes = nil, 0, 0
	q.mu.Unlock()
	for _, e := range items {
		release(e.Item)
	}
	if q.haveCur {
		release(q.cur.Item)
		q.haveCur = false
		q.cur = queued{}
	}
	select {
	case q.space <- struct{}{}:
	default:
	}
}

func release(it Item) {
	if it.Batch != nil {
		it.Batch.Release()
	}
}

// BatchBytes is the capacity of the Arrow buffers behind b, counting a
// buffer shared by several columns once per column.
func BatchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		n += dataBytes(c.Data())
	}
	return n
}

func dataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, buf := range d.Buffers() {
		if buf != nil {
			n += int64(buf.Cap())
		}
	}
	for _, c := range d.Children() {
		n += dataBytes(c)
	}
	return n
}

// CheckNext is the check every live source's Next starts with: the source
// is open, maxRows is positive and ctx is not done.
func CheckNext(ctx context.Context, table string, closed bool, maxRows int) error {
	switch {
	case closed:
		return fmt.Errorf("table %s: source is closed", table)
	case maxRows <= 0:
		return fmt.Errorf("table %s: Next needs maxRows > 0, got %d", table, maxRows)
	}
	return ctx.Err()
}
