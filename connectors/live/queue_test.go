package live

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

var ints = arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)

func batch(mem memory.Allocator, from, to int64) arrow.RecordBatch {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for i := from; i < to; i++ {
		b.Append(i)
	}
	a := b.NewArray()
	defer a.Release()
	return array.NewRecordBatch(ints, []arrow.Array{a}, to-from)
}

func noBad(connectors.BadRow) error { return nil }

func TestQueueSlicesAndOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	q := NewQueue(1 << 20)
	ctx := context.Background()
	var done []string
	var bad []connectors.BadRow
	report := func(b connectors.BadRow) error { bad = append(bad, b); return nil }
	q.Put(ctx, Item{Batch: batch(mem, 0, 5), Bad: []connectors.BadRow{{Position: "p:1"}}})
	q.Put(ctx, Item{Done: func() { done = append(done, "a") }})
	q.Put(ctx, Item{Batch: batch(mem, 5, 7), Done: func() { done = append(done, "b") }})
	q.Put(ctx, Item{Err: connectors.ErrEndOfInput})
	var got []int64
	for {
		b, err := q.Next(2, report)
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.NumRows() > 2 {
			t.Fatalf("%d rows", b.NumRows())
		}
		col := b.Column(0).(*array.Int64)
		got = append(got, col.Int64Values()...)
		if len(got) == 5 && len(done) != 1 {
			t.Fatalf("Done hook after the first item's last row: %v", done)
		}
		b.Release()
	}
	if len(got) != 7 || got[6] != 6 || len(bad) != 1 || len(done) != 2 || q.Buffered() != 0 {
		t.Fatalf("rows %v, bad %v, done %v, buffered %d", got, bad, done, q.Buffered())
	}
	if _, err := q.Next(2, report); !errors.Is(err, connectors.ErrEndOfInput) {
		t.Fatal("end not sticky")
	}
	q.Close()
}

func TestQueueBound(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	one := batch(mem, 0, 100)
	size := BatchBytes(one)
	one.Release()
	q := NewQueue(2 * size)
	ctx := context.Background()
	// An item larger than the budget still goes into an empty queue.
	if err := q.Put(ctx, Item{Batch: batch(mem, 0, 1000)}); err != nil {
		t.Fatal(err)
	}
	put := make(chan error, 1)
	go func() { put <- q.Put(ctx, Item{Batch: batch(mem, 0, 100)}) }()
	select {
	case <-put:
		t.Fatal("Put did not wait on a full queue")
	case <-time.After(20 * time.Millisecond):
	}
	b, _ := q.Next(500, noBad)
	b.Release()
	select {
	case <-put:
		t.Fatal("Put went on before the big item was delivered")
	case <-time.After(20 * time.Millisecond):
	}
	b, _ = q.Next(500, noBad)
	b.Release()
	if err := <-put; err != nil {
		t.Fatal(err)
	}
	// A failing BadRow handler is fatal.
	fail := errors.New("fatal")
	b, _ = q.Next(500, noBad) // the item Put waited with
	b.Release()
	q.Put(ctx, Item{Batch: batch(mem, 0, 1), Bad: []connectors.BadRow{{}}})
	for range 2 {
		if _, err := q.Next(500, func(connectors.BadRow) error { return fail }); err != fail {
			t.Fatalf("Next: %v", err)
		}
	}
	if q.Buffered() != 0 {
		t.Fatalf("%d bytes still charged", q.Buffered())
	}
	// Close releases what is queued, and unblocks and fails Put.
	q2 := NewQueue(1)
	q2.Put(ctx, Item{Batch: batch(mem, 0, 3)})
	go func() { put <- q2.Put(ctx, Item{Batch: batch(mem, 0, 3)}) }()
	time.Sleep(10 * time.Millisecond)
	q2.Close()
	if err := <-put; !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	q3 := NewQueue(1)
	q3.Put(ctx, Item{Batch: batch(mem, 0, 3)})
	if err := q3.Put(cctx, Item{Batch: batch(mem, 0, 3)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context: %v", err)
	}
	q3.Close()
}

func TestParse(t *testing.T) {
	for s, want := range map[string]time.Duration{"200ms": 200 * time.Millisecond, "5 seconds": 5 * time.Second,
		"1.5 min": 90 * time.Second, "1m30s": 90 * time.Second, " 2 H ": 2 * time.Hour} {
		if d, err := ParseDuration(s); err != nil || d != want {
			t.Errorf("ParseDuration(%q) = %v, %v", s, d, err)
		}
	}
	for _, s := range []string{"", "5", "-1s", "soon", "5 fortnights"} {
		if _, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", s)
		}
	}
	for s, want := range map[string]int64{"100": 100, "64KiB": 64 << 10, "1 MiB": 1 << 20, "2m": 2 << 20, "1GB": 1 << 30} {
		if n, err := ParseBytes(s); err != nil || n != want {
			t.Errorf("ParseBytes(%q) = %v, %v", s, n, err)
		}
	}
	for _, s := range []string{"", "0", "-1", "1TB", "lots", "99999999999999999999"} {
		if _, err := ParseBytes(s); err == nil {
			t.Errorf("ParseBytes(%q) succeeded", s)
		}
	}
	if got := Truncate([]byte(string(make([]byte, 199)) + "é")); len(got) != 199 {
		t.Errorf("Truncate cut inside a character: %d bytes", len(got))
	}
}
