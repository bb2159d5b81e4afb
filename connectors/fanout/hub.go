package fanout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live"
)

// DefaultMaxLagBytes is how many bytes of batches one Subscriber may hold
// unread before the others stop pulling (Config.MaxLagBytes).
const DefaultMaxLagBytes = 16 << 20

// Config configures a Hub.
type Config struct {
	// Table names the table, for messages.
	Table string
	// MaxLagBytes bounds what a slow Subscriber holds unread; 0 means
	// DefaultMaxLagBytes.
	MaxLagBytes int64
	// OnClose, if set, is called once, after the real source was closed
	// (the last Subscriber closed), without the hub's lock held.
	OnClose func()
}

// Shareable reports whether src is a live source a Hub can share: one
// that works in the background (a connectors.Starter) and whose input
// never ends (connectors.Bounded reports false).
func Shareable(src connectors.Source) bool {
	_, starter := src.(connectors.Starter)
	b, ok := src.(connectors.Bounded)
	return starter && ok && !b.Bounded()
}

// Open opens a table's source with open and, if it is Shareable, returns
// a Hub over it and the Hub's first Subscriber, whose bad rows go to
// spec.BadRow. The shared source is opened without spec.Contains, since
// other readers need the rows the hint would let it skip. A source that is
// not Shareable is returned as it is, with a nil Hub.
func Open(spec connectors.SourceSpec, open connectors.SourceFactory, cfg Config) (connectors.Source, *Hub, error) {
	h := &Hub{table: cfg.Table, maxLag: cfg.MaxLagBytes, onClose: cfg.OnClose}
	if h.table == "" {
		h.table = spec.Table
	}
	if h.maxLag <= 0 {
		h.maxLag = DefaultMaxLagBytes
	}
	sw := &badRowSwitch{to: spec.BadRow}
	shared := spec
	shared.BadRow = sw.handle
	real, err := open(shared)
	if err != nil {
		return nil, nil, err
	}
	if !Shareable(real) {
		return real, nil, nil
	}
	if shared.Contains != "" {
		real.Close()
		shared.Contains = ""
		if real, err = open(shared); err != nil {
			return nil, nil, err
		}
	}
	h.real = real
	sw.set(h.badRow)
	sub, _ := h.Subscribe(spec.BadRow)
	return sub, h, nil
}

// Hub shares one live source among Subscribers; see the package
// documentation. Its methods may be called from any goroutine.
type Hub struct {
	table   string
	maxLag  int64
	onClose func()
	real    connectors.Source

	mu      sync.Mutex
	subs    []*Subscriber
	started bool
	// startErr is the real source's Start error, returned to every Start.
	startErr error
	cancel   context.CancelFunc
	ended    bool  // the real source returned ErrEndOfInput
	err      error // the real source failed: every Subscriber gets it
	closed   bool  // the real source is closed: no more Subscribers

	// hmu guards handlers, which the real source's BadRow calls, maybe
	// from inside Next (with mu held) or from its own goroutine.
	hmu      sync.Mutex
	handlers []*Subscriber
}

// Subscribe adds a reader that gets every batch from now on; bad records
// found from now on are reported to badRow (nil: skipped). It reports
// false if the hub is closed already (its last Subscriber closed): open
// the table anew then.
func (h *Hub) Subscribe(badRow connectors.BadRowHandler) (*Subscriber, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false
	}
	s := &Subscriber{h: h, badRow: badRow}
	h.subs = append(h.subs, s)
	h.hmu.Lock()
	h.handlers = append(h.handlers, s)
	h.hmu.Unlock()
	return s, true
}

// Subscribers is how many readers the hub has now.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// badRow reports a bad record to every Subscriber's handler (each reader
// skipped it) and returns the first error one of them returned.
func (h *Hub) badRow(b connectors.BadRow) error {
	h.hmu.Lock()
	handlers := slices.Clone(h.handlers)
	h.hmu.Unlock()
	var first error
	for _, s := range handlers {
		if s.badRow == nil {
			continue
		}
		if err := s.badRow(b); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// start starts the real source once, with a context of the hub's own:
// one reader stopping must not stop the others' input.
func (h *Hub) start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return fmt.Errorf("table %s: shared source is closed", h.table)
	}
	if h.started {
		return h.startErr
	}
	h.started = true
	if st, ok := h.real.(connectors.Starter); ok {
		var hctx context.Context
		hctx, h.cancel = context.WithCancel(context.WithoutCancel(ctx))
		h.startErr = st.Start(hctx)
	}
	return h.startErr
}

// blocked reports whether a Subscriber other than s holds more than the
// lag bound unread. Called with mu held.
func (h *Hub) blocked(s *Subscriber) bool {
	for _, o := range h.subs {
		if o != s && o.bytes > h.maxLag {
			return true
		}
	}
	return false
}

// pull takes the next batch from the real source for s (whose queue is
// empty) and appends it to every Subscriber's queue. It returns
// ErrNoData when nothing is there or a slow Subscriber holds the others
// back. Called with mu held.
func (h *Hub) pull(ctx context.Context, s *Subscriber, maxRows int) error {
	if h.blocked(s) {
		return connectors.ErrNoData
	}
	b, err := h.real.Next(ctx, maxRows)
	switch {
	case errors.Is(err, connectors.ErrNoData):
		return err
	case errors.Is(err, connectors.ErrEndOfInput):
		h.ended = true
		return nil
	case err != nil:
		if ctx.Err() != nil {
			return err // this reader was stopped: not the source's failure
		}
		h.err = err
		return nil
	}
	if b.NumRows() > 0 {
		n := live.BatchBytes(b)
		for _, o := range h.subs {
			b.Retain()
			o.queue = append(o.queue, queued{b, n})
			o.bytes += n
		}
	}
	b.Release()
	return nil
}

// leave removes s; the last one out closes the real source.
func (h *Hub) leave(s *Subscriber) error {
	h.mu.Lock()
	h.subs = slices.DeleteFunc(h.subs, func(o *Subscriber) bool { return o == s })
	h.hmu.Lock()
	h.handlers = slices.DeleteFunc(h.handlers, func(o *Subscriber) bool { return o == s })
	h.hmu.Unlock()
	last := len(h.subs) == 0 && !h.closed
	var err error
	if last {
		h.closed = true
		err = h.real.Close()
		if h.cancel != nil {
			h.cancel()
		}
	}
	h.mu.Unlock()
	if last && h.onClose != nil {
		h.onClose()
	}
	return err
}

// badRowSwitch is the real source's BadRow: first the opener's handler,
// then, once the source is shared, the hub's.
type badRowSwitch struct {
	mu sync.Mutex
	to connectors.BadRowHandler
}

func (w *badRowSwitch) set(f connectors.BadRowHandler) {
	w.mu.Lock()
	w.to = f
	w.mu.Unlock()
}

func (w *badRowSwitch) handle(b connectors.BadRow) error {
	w.mu.Lock()
	f := w.to
	w.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(b)
}
