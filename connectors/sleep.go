package connectors

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx ends, and reports whether it waited the
// whole d: a connector's backoff between retries.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
