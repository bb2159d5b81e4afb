package socket

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/connectors/live"
)

const (
	defaultMaxLine      = 1 << 20
	defaultReconnectMax = 5 * time.Second
	defaultBuffer       = 64 << 20 // about a batch interval of a fast peer: the buffer caps ingest at buffer/interval
	// firstBackoff is the wait before the first reconnect attempt.
	firstBackoff = 100 * time.Millisecond
)

// Source is a live source reading records from a TCP connection. It is
// unbounded; see the package documentation for its options.
type Source struct {
	table        string
	addr         string
	schema       *arrow.Schema
	alloc        memory.Allocator
	format       string
	opts         map[string]string // for format.NewDecoder
	maxLine      int
	reconnectMax time.Duration
	log          *slog.Logger
	badRow       connectors.BadRowHandler
	contains     string // spec.Contains, for the text decoder

	q      *live.Queue
	worker live.Worker
	closed bool

	// With a write-ahead log (stateDir set; see WALSource):
	stateDir string
	segBytes int64         // the size at which log segments rotate
	wal      *wal          // opened by Seek or begin
	begun    chan struct{} // closed by begin, once from is set
	from     position      // where the background goroutine starts reading the log
	// On the goroutine of Next:
	began    bool
	beginErr error
	countBad connectors.BadRowHandler // badRow, counting into gotBad
	gotRows  int64                    // rows returned, and bad rows reported,
	gotBad   int64                    // of the items of marks not yet settled
	// Shared with the background goroutine:
	mu    sync.Mutex
	marks []mark   // marks[head:] are of the items not yet fully delivered
	head  int      // the first mark in use
	pos   position // the position after the last fully delivered item
}

var (
	_ connectors.Source  = (*Source)(nil)
	_ connectors.Starter = (*Source)(nil)
	_ connectors.Bounded = (*Source)(nil)
)

// NewSource validates spec's options and returns a *Source, or a
// *WALSource if spec.StateDir is set. It does not connect: Start does, in
// the background.
func NewSource(spec connectors.SourceSpec) (connectors.Source, error) {
	o := spec.Options
	host := o["host"]
	if host == "" {
		host = "127.0.0.1"
	}
	if o["port"] == "" {
		return nil, fmt.Errorf("table %s: connector 'socket' needs option port (the TCP port to connect to)", spec.Table)
	}
	port, err := strconv.Atoi(strings.TrimSpace(o["port"]))
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("table %s: option port: want a number from 1 to 65535, got %q", spec.Table, o["port"])
	}
	fmtName := strings.ToLower(o["format"])
	if fmtName == "" {
		fmtName = "text"
	}
	opts := o
	if _, ok := o["header"]; !ok && fmtName == "csv" {
		opts = make(map[string]string, len(o)+1)
		for k, v := range o {
			opts[k] = v
		}
		opts["header"] = "false"
	}
	alloc := spec.Alloc
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	dec, err := format.NewDecoder(fmtName, spec.Schema, opts, alloc)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	dec.Release()
	s := &Source{
		table: spec.Table, addr: net.JoinHostPort(host, strconv.Itoa(port)), schema: spec.Schema,
		alloc: alloc, format: fmtName, opts: opts, maxLine: defaultMaxLine,
		reconnectMax: defaultReconnectMax, log: spec.Log, badRow: spec.BadRow,
		contains: spec.Contains,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if v, ok := o["max_record_bytes"]; ok {
		n, err := live.ParseBytes(v)
		if err != nil || n > 1<<30 {
			return nil, fmt.Errorf("table %s: option max_record_bytes: want a size from 1 byte to 1GiB such as '1MiB', got %q", spec.Table, v)
		}
		s.maxLine = int(n)
	}
	if v, ok := o["reconnect_max"]; ok {
		d, err := live.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("table %s: option reconnect_max: want a positive duration such as '5s', got %q", spec.Table, v)
		}
		s.reconnectMax = d
	}
	budget := int64(defaultBuffer)
	if v, ok := o["buffer_bytes"]; ok {
		if budget, err = live.ParseBytes(v); err != nil {
			return nil, fmt.Errorf("table %s: option buffer_bytes: %w", spec.Table, err)
		}
	}
	s.q = live.NewQueue(budget)
	if spec.StateDir != "" {
		s.stateDir, s.segBytes, s.begun = spec.StateDir, defaultSegmentBytes, make(chan struct{})
		s.countBad = func(b connectors.BadRow) error {
			s.gotBad++
			return s.badRow(b)
		}
		return &WALSource{Source: s}, nil
	}
	return s, nil
}

// Schema is the table's schema.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Bounded reports false: a socket never ends; a closed connection is
// reopened.
func (s *Source) Bounded() bool { return false }

// Addr is the host:port the source connects to.
func (s *Source) Addr() string { return s.addr }

// Buffered is how many bytes of decoded rows wait for Next; it stays
// within the buffer_bytes option (or one batch, if that is larger).
func (s *Source) Buffered() int64 { return s.q.Buffered() }

// Backlogged implements connectors.Backlogger: input arrives faster than
// one batch per tick takes it.
func (s *Source) Backlogged() bool { return s.q.Backlogged() }

// Start connects in the background and keeps reconnecting until ctx ends
// or Close is called. With a write-ahead log, the background goroutine
// first waits for Seek or the first Next and replays the log.
func (s *Source) Start(ctx context.Context) error {
	run := s.run
	if s.stateDir != "" {
		run = s.runWAL
	}
	if err := s.worker.Start(ctx, run, s.fail); err != nil {
		return fmt.Errorf("table %s: %w", s.table, err)
	}
	return nil
}

// fail ends the stream with err: Next returns it after the rows before it.
func (s *Source) fail(ctx context.Context, err error) {
	_ = s.q.Put(ctx, live.Item{Err: fmt.Errorf("table %s: socket %s: %w", s.table, s.addr, err)})
}

// Next returns up to maxRows rows that have arrived, or
// connectors.ErrNoData; it never waits. Bad records are reported to the
// spec's BadRow handler first; if it returns an error, so does Next.
func (s *Source) Next(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	if err := live.CheckNext(ctx, s.table, s.closed, maxRows); err != nil {
		return nil, err
	}
	if s.stateDir == "" {
		return s.q.Next(maxRows, s.badRow)
	}
	if err := s.begin(nil); err != nil {
		return nil, err
	}
	b, err := s.q.Next(maxRows, s.countBad)
	if b != nil {
		s.gotRows += b.NumRows()
	}
	s.settle()
	return b, err
}

// Close stops reading, closes the connection, waits for the background
// goroutine and frees every buffered batch.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.worker.Stop()
	s.q.Close()
	if s.wal != nil {
		return s.wal.close()
	}
	return nil
}
