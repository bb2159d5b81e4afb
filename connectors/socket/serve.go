package socket

import (
	"context"
	"fmt"
	"net"

	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/connectors/live"
)

// serve reads conn until it ends or ctx does. It returns how many bytes
// it received and nil if the peer closed the connection, a network
// error, ctx's error, or a live.FatalError.
func (s *Source) serve(ctx context.Context, conn net.Conn) (int64, error) {
	if s.stateDir != "" {
		return s.serveWAL(ctx, conn)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	dec, err := format.NewDecoder(s.format, s.schema, s.opts, s.alloc)
	if err != nil {
		return 0, live.FatalError{Err: err}
	}
	defer dec.Release()
	if cf, ok := dec.(format.ContainsFilter); ok && s.contains != "" {
		cf.SetContains(s.contains)
	}
	r := &live.RecordReader{
		Table: s.table, Queue: s.q, Decoder: dec, MaxLine: s.maxLine,
		Where: func(line int64) string { return fmt.Sprintf("%s:line %d", s.addr, line) },
	}
	return r.ReadFrom(ctx, conn)
}
