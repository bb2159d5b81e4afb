package exec

import (
	"context"
	"time"
)

// Clock tells the scheduler the time and lets it wait; it is injected so
// tests can run processing-time queries on virtual time.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// SleepUntil waits until t or until ctx is done (returning its error).
	SleepUntil(ctx context.Context, t time.Time) error
}

// WallClock is the real clock.
type WallClock struct{}

// Now implements Clock.
func (WallClock) Now() time.Time { return time.Now() }

// SleepUntil implements Clock.
func (WallClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
