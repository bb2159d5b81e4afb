package socket

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live/livetest"
)

// BenchmarkIngest measures loopback ingest: a writer sends 64-byte lines
// as fast as it can and the benchmark drains them with Next.
func BenchmarkIngest(b *testing.B) {
	for _, bc := range []struct {
		name   string
		schema *arrow.Schema
		opts   map[string]string
		line   func(i int) string
	}{
		{"text", lineSchema, nil, func(i int) string { return strings.Repeat("word ", 12) + "last" }},
		{"csv", userSchema, map[string]string{"format": "csv"}, func(i int) string {
			return strconv.Itoa(i) + "," + strings.Repeat("n", 50)
		}},
		// With a write-ahead log (a checkpointed query).
		{"text+wal", lineSchema, map[string]string{"wal": "yes"}, func(i int) string { return strings.Repeat("word ", 12) + "last" }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			const lines = 1 << 20
			var payload []byte
			for i := range 4096 {
				payload = append(payload, bc.line(i)...)
				payload = append(payload, '\n')
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			opts := map[string]string{"port": strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}
			for k, v := range bc.opts {
				opts[k] = v
			}
			spec := connectors.SourceSpec{Table: "t", Schema: bc.schema, Options: opts, Alloc: memory.DefaultAllocator,
				BadRow: func(connectors.BadRow) error { return nil }, Log: livetest.Discard}
			b.SetBytes(int64(len(payload)) * lines / 4096)
			for b.Loop() {
				if opts["wal"] != "" {
					spec.StateDir = filepath.Join(b.TempDir(), "wal") // fresh: no replay
				}
				src, _ := NewSource(spec)
				src.(connectors.Starter).Start(context.Background())
				if spec.StateDir != "" {
					src.Next(context.Background(), 1) // starts it
				}
				c, err := ln.Accept()
				if err != nil {
					b.Fatal(err)
				}
				go func() {
					for range lines / 4096 {
						c.Write(payload)
					}
					c.Close()
				}()
				for n := 0; n < lines; {
					batch, err := src.Next(context.Background(), 8192)
					if errors.Is(err, connectors.ErrNoData) {
						continue
					}
					if err != nil {
						b.Fatal(err)
					}
					n += int(batch.NumRows())
					batch.Release()
				}
				src.Close()
			}
		})
	}
}
