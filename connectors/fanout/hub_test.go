package fanout

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
)

var schema = arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)

// fakeLive is a live source over the numbers 0..n-1 in batches of size
// rows; it counts Start and Close, and may end, fail, or report bad rows.
type fakeLive struct {
	mem            memory.Allocator
	n, size, next  int64
	available      int64 // rows that have "arrived" (Next returns ErrNoData past it)
	ends           bool  // ErrEndOfInput after the last row
	failAt         int64 // if > 0, Next fails once next reaches it
	badAt          int64 // if > 0, a bad row is reported when next passes it
	spec           connectors.SourceSpec
	starts, closes int
	startCtx       context.Context
	nexts          int
}

func (f *fakeLive) Schema() *arrow.Schema { return schema }
func (f *fakeLive) Bounded() bool         { return false }
func (f *fakeLive) Backlogged() bool      { return f.next < f.available }
func (f *fakeLive) Start(ctx context.Context) error {
	f.starts++
	f.startCtx = ctx
	return nil
}
func (f *fakeLive) Close() error { f.closes++; return nil }

func (f *fakeLive) Next(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	f.nexts++
	if f.failAt > 0 && f.next >= f.failAt {
		return nil, errors.New("table t: peer sent garbage")
	}
	if f.next >= f.n {
		if f.ends {
			return nil, connectors.ErrEndOfInput
		}
		return nil, connectors.ErrNoData
	}
	if f.next >= f.available {
		return nil, connectors.ErrNoData
	}
	k := min(f.size, int64(maxRows), f.available-f.next)
	b := array.NewInt64Builder(f.mem)
	defer b.Release()
	for i := int64(0); i < k; i++ {
		b.Append(f.next + i)
	}
	if f.badAt > 0 && f.next <= f.badAt && f.badAt < f.next+k {
		if err := f.spec.BadRow(connectors.BadRow{Table: "t", Position: fmt.Sprint(f.badAt), Err: errors.New("bad")}); err != nil {
			return nil, err
		}
	}
	f.next += k
	col := b.NewArray()
	defer col.Release()
	return array.NewRecordBatch(schema, []arrow.Array{col}, k), nil
}

// open opens f through Open, as the planner does.
func open(t *testing.T, f *fakeLive, cfg Config, bad connectors.BadRowHandler) (*Subscriber, *Hub) {
	t.Helper()
	spec := connectors.SourceSpec{Table: "t", Schema: schema, BadRow: bad}
	src, h, err := Open(spec, func(s connectors.SourceSpec) (connectors.Source, error) { f.spec = s; return f, nil }, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if h == nil {
		t.Fatal("a live source was not shared")
	}
	return src.(*Subscriber), h
}

func newFake(t *testing.T, n, size int64) *fakeLive {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return &fakeLive{mem: mem, n: n, size: size, available: n, ends: true}
}

func subscribe(t *testing.T, h *Hub) *Subscriber {
	t.Helper()
	s, ok := h.Subscribe(nil)
	if !ok {
		t.Fatal("Subscribe: hub closed")
	}
	return s
}

// read takes up to maxRows rows from s, appending their values to got; it
// returns Next's error.
func read(s *Subscriber, maxRows int, got *[]int64) error {
	b, err := s.Next(context.Background(), maxRows)
	if err != nil {
		return err
	}
	defer b.Release()
	if b.NumRows() > int64(maxRows) {
		panic("too many rows")
	}
	*got = append(*got, b.Column(0).(*array.Int64).Int64Values()...)
	return nil
}

func seq(n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i)
	}
	return out
}

// TestSubscribersGetEveryRowInOrder: two and three readers, each reading
// with its own maxRows and in its own rhythm, all get every row once, in
// order, then end of input.
func TestSubscribersGetEveryRowInOrder(t *testing.T) {
	for _, readers := range []int{2, 3} {
		t.Run(fmt.Sprint(readers), func(t *testing.T) {
			f := newFake(t, 100, 7)
			first, h := open(t, f, Config{}, nil)
			subs := []*Subscriber{first}
			for len(subs) < readers {
				subs = append(subs, subscribe(t, h))
			}
			for _, s := range subs {
				if err := s.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			got := make([][]int64, readers)
			done := make([]bool, readers)
			maxRows := []int{3, 100, 5}
			for step := 0; step < 1000; step++ {
				i := step % readers
				if done[i] || (step/readers)%(i+2) == 1 { // readers go at different speeds
					continue
				}
				err := read(subs[i], maxRows[i], &got[i])
				if errors.Is(err, connectors.ErrEndOfInput) {
					done[i] = true
				} else if err != nil {
					t.Fatalf("reader %d: %v", i, err)
				}
			}
			for i := range subs {
				if !done[i] {
					t.Fatalf("reader %d did not see end of input", i)
				}
				if !reflect.DeepEqual(got[i], seq(100)) {
					t.Errorf("reader %d got %v", i, got[i])
				}
				subs[i].Close()
			}
			if f.starts != 1 || f.closes != 1 {
				t.Errorf("real source started %d and closed %d times, want 1 and 1", f.starts, f.closes)
			}
		})
	}
}

// TestSlowSubscriberBoundsMemory: a reader that does not read holds the
// others back once it has MaxLagBytes unread; the real source is then not
// read further (so its own bounded buffer pushes back on its input), and
// everything flows again when the slow reader catches up.
func TestSlowSubscriberBoundsMemory(t *testing.T) {
	f := newFake(t, 10000, 10)
	fast, h := open(t, f, Config{MaxLagBytes: 1000}, nil)
	slow := subscribe(t, h)
	fast.Start(context.Background())
	slow.Start(context.Background())
	var got []int64
	var err error
	for err == nil {
		err = read(fast, 1000, &got)
	}
	if !errors.Is(err, connectors.ErrNoData) {
		t.Fatalf("fast reader: %v, want ErrNoData", err)
	}
	held := slow.bytes
	if held <= 1000 || held > 1000+200 {
		t.Fatalf("slow reader holds %d bytes, want just over the 1000 bound", held)
	}
	if fast.Backlogged() {
		t.Error("fast reader reports a backlog it cannot read")
	}
	pulled := f.next
	for i := 0; i < 10; i++ {
		if err := read(fast, 1000, &got); !errors.Is(err, connectors.ErrNoData) {
			t.Fatalf("fast reader: %v, want ErrNoData while the slow one lags", err)
		}
	}
	if f.next != pulled {
		t.Errorf("source read on from %d to %d while a reader lagged", pulled, f.next)
	}
	var slowGot []int64
	for len(slowGot) < len(got) {
		if err := read(slow, 1000, &slowGot); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(slowGot, got) {
		t.Fatalf("slow reader got other rows")
	}
	if err := read(fast, 1000, &got); err != nil {
		t.Fatalf("fast reader after the slow one caught up: %v", err)
	}
	fast.Close()
	slow.Close()
}

// TestEarlyClose: a reader that closes early (its LIMIT is satisfied)
// holds nobody back, and the real source stays open for the others.
func TestEarlyClose(t *testing.T) {
	f := newFake(t, 1000, 10)
	a, h := open(t, f, Config{MaxLagBytes: 100}, nil)
	b := subscribe(t, h)
	a.Start(context.Background())
	b.Start(context.Background())
	var bGot []int64
	read(b, 5, &bGot)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil { // twice is fine
		t.Fatal(err)
	}
	if f.closes != 0 {
		t.Fatal("real source closed while a reader is left")
	}
	if _, err := b.Next(context.Background(), 5); err == nil {
		t.Error("Next after Close succeeded")
	}
	var got []int64
	for {
		err := read(a, 64, &got)
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(got, seq(1000)) {
		t.Errorf("remaining reader got %d rows", len(got))
	}
	a.Close()
	if f.closes != 1 {
		t.Errorf("real source closed %d times", f.closes)
	}
}

// TestStartOnceCloseOnce: the real source starts with the first Start,
// on a context of its own that outlives the starting reader's, and closes
// once, with the last reader; OnClose is told then, and the hub takes no
// more readers.
func TestStartOnceCloseOnce(t *testing.T) {
	f := newFake(t, 10, 10)
	closed := 0
	a, h := open(t, f, Config{OnClose: func() { closed++ }}, nil)
	b := subscribe(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel() // the first reader is stopped
	if f.starts != 1 {
		t.Fatalf("started %d times", f.starts)
	}
	if f.startCtx.Err() != nil {
		t.Fatal("stopping the first reader stopped the shared source")
	}
	a.Close()
	if f.closes != 0 || closed != 0 {
		t.Fatal("closed with a reader left")
	}
	b.Close()
	if f.closes != 1 || closed != 1 {
		t.Fatalf("closed %d times, OnClose %d times", f.closes, closed)
	}
	if f.startCtx.Err() == nil {
		t.Error("the shared source's context outlives the hub")
	}
	if _, ok := h.Subscribe(nil); ok {
		t.Error("a closed hub took a reader")
	}
}

// TestLateSubscriberAndEnd: a reader that joins late gets the rows from
// then on; end of input reaches each reader after its queue drains.
func TestLateSubscriberAndEnd(t *testing.T) {
	f := newFake(t, 30, 10)
	f.available = 10
	a, h := open(t, f, Config{}, nil)
	a.Start(context.Background())
	var aGot, bGot []int64
	for read(a, 100, &aGot) == nil {
	}
	b := subscribe(t, h)
	b.Start(context.Background())
	f.available = 30
	if err := read(a, 100, &aGot); err != nil { // a pulls 10..19 for both
		t.Fatal(err)
	}
	for {
		err := read(a, 100, &aGot)
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(aGot, seq(30)) {
		t.Fatalf("first reader got %v", aGot)
	}
	for {
		err := read(b, 4, &bGot)
		if errors.Is(err, connectors.ErrEndOfInput) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(bGot, seq(30)[10:]) {
		t.Fatalf("late reader got %v, want 10..29", bGot)
	}
	a.Close()
	b.Close()
}

// TestFailureReachesEveryReader: the real source's error reaches each
// reader after the rows it had queued.
func TestFailureReachesEveryReader(t *testing.T) {
	f := newFake(t, 100, 10)
	f.failAt = 20
	a, h := open(t, f, Config{}, nil)
	b := subscribe(t, h)
	a.Start(context.Background())
	var aGot, bGot []int64
	var err error
	for err == nil {
		err = read(a, 100, &aGot)
	}
	if err == nil || err.Error() != "table t: peer sent garbage" {
		t.Fatalf("first reader: %v", err)
	}
	for err = nil; err == nil; {
		err = read(b, 100, &bGot)
	}
	if err.Error() != "table t: peer sent garbage" || !reflect.DeepEqual(bGot, seq(20)) {
		t.Fatalf("second reader: %v after %v", err, bGot)
	}
	a.Close()
	b.Close()
}

// TestBadRowsReachEveryReader: each reader's handler is told of a bad
// record (each query skipped it), and an error from one makes it fatal.
func TestBadRowsReachEveryReader(t *testing.T) {
	f := newFake(t, 30, 10)
	f.badAt = 15
	var seen []string
	handler := func(name string, fail bool) connectors.BadRowHandler {
		return func(b connectors.BadRow) error {
			seen = append(seen, name+"@"+b.Position)
			if fail {
				return errors.New("bad row in " + name)
			}
			return nil
		}
	}
	a, h := open(t, f, Config{}, handler("a", false))
	b, _ := h.Subscribe(handler("b", false))
	a.Start(context.Background())
	var got []int64
	for read(a, 100, &got) == nil {
	}
	if want := []string{"a@15", "b@15"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("bad row reported to %v, want %v", seen, want)
	}
	a.Close()
	b.Close()

	f = newFake(t, 30, 10)
	f.badAt = 15
	a, h = open(t, f, Config{}, handler("a", false))
	b, _ = h.Subscribe(handler("b", true))
	a.Start(context.Background())
	var err error
	for err == nil {
		err = read(a, 100, &got)
	}
	if err.Error() != "bad row in b" {
		t.Errorf("Next: %v, want the failing handler's error", err)
	}
	a.Close()
	b.Close()
}

// TestOpenBoundedNotShared: a bounded source is returned as it is, and a
// shared one is opened without the Contains hint.
func TestOpenBoundedNotShared(t *testing.T) {
	bounded := &boundedSource{}
	src, h, err := Open(connectors.SourceSpec{Table: "t", Contains: "x"}, func(s connectors.SourceSpec) (connectors.Source, error) {
		if s.Contains != "x" {
			t.Errorf("bounded source opened with Contains %q", s.Contains)
		}
		return bounded, nil
	}, Config{})
	if err != nil || h != nil || src != bounded {
		t.Fatalf("Open of a bounded source: %v, %v, %v", src, h, err)
	}
	f := newFake(t, 1, 1)
	var specs []connectors.SourceSpec
	src, h, err = Open(connectors.SourceSpec{Table: "t", Contains: "x"}, func(s connectors.SourceSpec) (connectors.Source, error) {
		specs = append(specs, s)
		return f, nil
	}, Config{})
	if err != nil || h == nil {
		t.Fatalf("Open of a live source: %v, %v", h, err)
	}
	if last := specs[len(specs)-1]; last.Contains != "" {
		t.Errorf("shared source opened with Contains %q", last.Contains)
	}
	src.Close()
}

type boundedSource struct{ connectors.Source }

func (boundedSource) Bounded() bool { return true }

// TestConcurrentReaders: three readers on their own goroutines, as three
// queries run; run with -race.
func TestConcurrentReaders(t *testing.T) {
	f := newFake(t, 20000, 64)
	a, h := open(t, f, Config{MaxLagBytes: 4096}, nil)
	subs := []*Subscriber{a, subscribe(t, h), subscribe(t, h)}
	var wg sync.WaitGroup
	got := make([][]int64, len(subs))
	errs := make([]error, len(subs))
	for i, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.Close()
			if err := s.Start(context.Background()); err != nil {
				errs[i] = err
				return
			}
			for {
				s.Backlogged()
				err := read(s, 50+i*30, &got[i])
				switch {
				case errors.Is(err, connectors.ErrEndOfInput):
					return
				case errors.Is(err, connectors.ErrNoData):
				case err != nil:
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range subs {
		if errs[i] != nil {
			t.Fatalf("reader %d: %v", i, errs[i])
		}
		if !reflect.DeepEqual(got[i], seq(20000)) {
			t.Errorf("reader %d got %d rows", i, len(got[i]))
		}
	}
	if f.starts != 1 || f.closes != 1 {
		t.Errorf("started %d, closed %d times", f.starts, f.closes)
	}
}
