package socket

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live"
)

const (
	// warnEvery is how often a run of failed connects is logged again.
	warnEvery = time.Minute
	// dialTimeout bounds one connect attempt to an unresponsive host.
	dialTimeout = 10 * time.Second
)

// run connects, reads until the connection ends, and reconnects with
// exponential backoff, until ctx ends.
func (s *Source) run(ctx context.Context) {
	d := net.Dialer{Timeout: dialTimeout}
	first := min(firstBackoff, s.reconnectMax)
	backoff := first
	failures := 0
	var warned time.Time
	for {
		conn, err := d.DialContext(ctx, "tcp", s.addr)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			if failures == 1 || time.Since(warned) >= warnEvery {
				s.log.Warn("socket source cannot connect; retrying", "table", s.table, "addr", s.addr,
					"err", err, "attempts", failures, "retry_in", backoff)
				warned = time.Now()
			}
		} else {
			s.log.Info("socket source connected", "table", s.table, "addr", s.addr)
			failures = 0
			got, err := s.serve(ctx, conn)
			conn.Close()
			if ctx.Err() != nil {
				return
			}
			var fatal live.FatalError
			if errors.As(err, &fatal) {
				s.fail(ctx, fatal.Err)
				return
			}
			if got > 0 {
				backoff = first
			}
			if err == nil {
				s.log.Warn("socket source: peer closed the connection; reconnecting", "table", s.table,
					"addr", s.addr, "retry_in", backoff)
			} else {
				s.log.Warn("socket source: connection failed; reconnecting", "table", s.table,
					"addr", s.addr, "err", err, "retry_in", backoff)
			}
		}
		if !connectors.Sleep(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, s.reconnectMax)
	}
}
