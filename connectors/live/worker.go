package live

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
)

// Worker runs a source's background goroutine and stops it. The zero
// Worker is ready to use; its methods may be called from any goroutine.
type Worker struct {
	mu      sync.Mutex
	started bool
	stopped bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// Start runs f in a new goroutine with a context that ends when ctx does
// or Stop is called. A panic in f is recovered and passed to onPanic (if
// not nil) as an error, with the goroutine's context, so a bug in a
// source fails its query instead of the process. Start fails if called twice or after Stop.
func (w *Worker) Start(ctx context.Context, f func(ctx context.Context), onPanic func(context.Context, error)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return errors.New("source is closed")
	}
	if w.started {
		return errors.New("source already started")
	}
	w.started = true
	ctx, w.cancel = context.WithCancel(ctx)
	w.done = make(chan struct{})
	go func() {
		defer close(w.done)
		defer func() {
			if r := recover(); r != nil && onPanic != nil {
				onPanic(ctx, fmt.Errorf("internal error: %v\n%s", r, debug.Stack()))
			}
		}()
		f(ctx)
	}()
	return nil
}

// Stop cancels the goroutine and waits for it to return. It is safe to
// call before Start and more than once.
func (w *Worker) Stop() {
	w.mu.Lock()
	w.stopped = true
	cancel, done := w.cancel, w.done
	w.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
