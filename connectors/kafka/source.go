package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/connectors/live"
)

const (
	defaultMaxRecord = 1 << 20
	defaultBuffer    = 16 << 20
)

// Source is a live source reading one Kafka topic; see the package
// documentation for its options, columns and positions.
type Source struct {
	table   string
	schema  *arrow.Schema
	alloc   memory.Allocator
	log     *slog.Logger
	badRow  connectors.BadRowHandler
	brokers []string
	topic   string
	group   string
	start   string
	parts   []int32 // option partitions; nil: every partition
	rows    *rowMaker
	// member, for a task of a process in a consumer group (JoinTask),
	// commits this source's offsets to the group; groupStart starts a
	// partition without a position at the group's committed offset.
	member     *Membership
	groupStart bool
	// timeCol is the event-time column, -1 without one; idle is option
	// idle_timeout. The per-partition event time (see EventTimeFloor)
	// is guarded by mu.
	timeCol int
	idle    time.Duration

	buf    *recBuffer
	worker live.Worker
	begun  chan struct{} // closed by begin: Seek or the first Next
	closed bool
	err    error // sticky: Next returns it from now on

	// mu guards next, seeked, adjusted, assigned and cl.
	mu       sync.Mutex
	next     map[int32]int64 // the next offset per partition: delivered, or from Seek
	seeked   bool            // Seek was called: the query restarts from a checkpoint
	adjusted bool            // the group assigned partitions at least once
	assigned map[int32]bool  // the partitions the group gave this member
	cl       *kgo.Client
	clSet    chan struct{}       // closed once cl is set
	hw       map[int32]int64     // each partition's end (last stable offset), from fetches
	maxTs    map[int32]int64     // each partition's largest event time delivered
	lastRow  map[int32]time.Time // when each partition last delivered a row
}

var (
	_ connectors.Source     = (*Source)(nil)
	_ connectors.Starter    = (*Source)(nil)
	_ connectors.Seeker     = (*Source)(nil)
	_ connectors.Completer  = (*Source)(nil)
	_ connectors.Backlogger = (*Source)(nil)
	_ connectors.Bounded    = (*Source)(nil)
)

// NewSource validates spec's options and the table's metadata columns and
// returns a *Source. It does not connect: Start does, in the background.
func NewSource(spec connectors.SourceSpec) (connectors.Source, error) {
	o := spec.Options
	brokers, err := parseBrokers(spec.Table, o["brokers"])
	if err != nil {
		return nil, err
	}
	topic := strings.TrimSpace(o["topic"])
	if topic == "" {
		return nil, fmt.Errorf("table %s: connector 'kafka' needs option topic (the topic to read)", spec.Table)
	}
	if err := checkSourceOptions(spec.Schema, o); err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	s := &Source{
		table: spec.Table, schema: spec.Schema, alloc: spec.Alloc, log: spec.Log, badRow: spec.BadRow,
		brokers: brokers, topic: topic, group: strings.TrimSpace(o["group"]),
		start: strings.ToLower(strings.TrimSpace(o["start"])),
		begun: make(chan struct{}), next: map[int32]int64{}, assigned: map[int32]bool{},
		hw: map[int32]int64{}, maxTs: map[int32]int64{}, lastRow: map[int32]time.Time{}, clSet: make(chan struct{}),
		timeCol: format.EventTimeColumn(spec.Schema),
	}
	if v := o["idle_timeout"]; v != "" {
		if s.idle, err = connectors.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("table %s: option idle_timeout: %w", spec.Table, err)
		}
	}
	if s.alloc == nil {
		s.alloc = memory.DefaultAllocator
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.start == "" {
		s.start = startEarliest
	}
	if v, ok := o["partitions"]; ok {
		s.parts, _ = parsePartitions(v) // checked above
	}
	maxRecord := int64(defaultMaxRecord)
	if v, ok := o["max_record_bytes"]; ok {
		if maxRecord, err = connectors.ParseSize(v); err != nil || maxRecord > 1<<30 {
			return nil, fmt.Errorf("table %s: option max_record_bytes: want a size from 1 byte to 1GiB such as '1MiB', got %q", spec.Table, v)
		}
	}
	budget := int64(defaultBuffer)
	if v, ok := o["buffer_bytes"]; ok {
		if budget, err = connectors.ParseSize(v); err != nil {
			return nil, fmt.Errorf("table %s: option buffer_bytes: %w", spec.Table, err)
		}
	}
	if s.rows, err = newRowMaker(spec.Table, spec.Schema, o, s.alloc, int(maxRecord)); err != nil {
		return nil, err
	}
	s.buf = newRecBuffer(budget)
	return s, nil
}

// JoinTask makes the source, which reads its partitions directly (option
// partitions), one task of a process in consumer group m: it commits its
// offsets to the group through m after each checkpoint, and, with
// groupStart, starts a partition it has no position in at the group's
// committed offset (else as option start says). Call it before Start.
func (s *Source) JoinTask(m *Membership, groupStart bool) {
	s.member, s.groupStart = m, groupStart
}

// Schema is the table's schema.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Bounded reports false: a topic never ends.
func (s *Source) Bounded() bool { return false }

// Backlogged implements connectors.Backlogger: fetched records fill at
// least half of buffer_bytes.
func (s *Source) Backlogged() bool { return s.buf.backlogged() }

// Start starts the background goroutine; it connects and fetches once
// the source's position is known, at Seek or the first Next.
func (s *Source) Start(ctx context.Context) error {
	if err := s.worker.Start(ctx, s.run, s.fail); err != nil {
		return fmt.Errorf("table %s: %w", s.table, err)
	}
	return nil
}

// begin lets the background goroutine start fetching.
func (s *Source) begin() {
	select {
	case <-s.begun:
	default:
		close(s.begun)
	}
}

// position is the JSON of a Position: the topic, and the next offset to
// read of each partition this source has read from.
type position struct {
	Topic   string          `json:"topic"`
	Offsets map[int32]int64 `json:"offsets"`
}

// Position returns the next offset of every partition read so far, just
// after the last row Next returned.
func (s *Source) Position() ([]byte, error) {
	s.mu.Lock()
	p := position{Topic: s.topic, Offsets: make(map[int32]int64, len(s.next))}
	for k, v := range s.next {
		p.Offsets[k] = v
	}
	s.mu.Unlock()
	return json.Marshal(p)
}

// Seek makes the source continue at pos, a Position: each partition in
// it at its offset, the others as option start says.
func (s *Source) Seek(pos []byte) error {
	p, err := s.parsePosition(pos)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.seeked = true
	for k, v := range p.Offsets {
		s.next[k] = v
	}
	s.mu.Unlock()
	s.begin()
	return nil
}

// parsePosition reads a Position of this source's topic.
func (s *Source) parsePosition(pos []byte) (position, error) {
	var p position
	if err := json.Unmarshal(pos, &p); err != nil {
		return p, fmt.Errorf("table %s: the checkpoint's kafka position is not readable: %w", s.table, err)
	}
	if p.Topic != s.topic {
		return p, fmt.Errorf("table %s: the checkpoint is of topic %q, the table reads topic %q; start without the checkpoint (--reset)", s.table, p.Topic, s.topic)
	}
	return p, nil
}

// CheckpointComplete commits pos, the Position of a durable checkpoint,
// to the consumer group (with option group), for the partitions the group
// assigns to this source now; without a group it does nothing, the
// offsets being in the checkpoint.
func (s *Source) CheckpointComplete(pos []byte) error {
	if (s.group == "" && s.member == nil) || len(pos) == 0 {
		return nil
	}
	p, err := s.parsePosition(pos)
	if err != nil {
		return err
	}
	if s.member != nil {
		if err := s.member.Commit(p.Offsets); err != nil {
			// The offsets are in the checkpoint; the group's are only behind.
			s.log.Warn("kafka source could not commit the checkpoint's offsets to the group", "table", s.table,
				"topic", s.topic, "group", s.member.cfg.Group, "err", err)
		}
		return nil
	}
	// Only the partitions this member owns: another member's commits of
	// a partition it took over must not be set back.
	s.mu.Lock()
	cl := s.cl
	for k := range p.Offsets {
		if !s.assigned[k] {
			delete(p.Offsets, k)
		}
	}
	s.mu.Unlock()
	if cl == nil || len(p.Offsets) == 0 {
		return nil
	}
	return s.commit(cl, p.Offsets)
}

// Next returns up to maxRows rows of the records fetched, or
// connectors.ErrNoData; it never waits. (With format debezium-json and a
// maxRows of 1, an update's two rows come together.) Records that do not
// decode are reported to the BadRow handler and skipped; if it returns an
// error, so does Next, now and on every later call.
func (s *Source) Next(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	if err := live.CheckNext(ctx, s.table, s.closed, maxRows); err != nil {
		return nil, err
	}
	if s.err != nil {
		return nil, s.err
	}
	s.begin()
	records := maxRows
	if s.rows.changelog() {
		// A debezium-json update is two rows (-U, +U), kept together.
		records = max(1, maxRows/2)
	}
	recs, ferr := s.buf.take(records)
	if len(recs) == 0 {
		if ferr != nil {
			s.err = ferr
			return nil, ferr
		}
		return nil, connectors.ErrNoData
	}
	done := make(map[int32]int64)
	for _, r := range recs {
		// A record before the partition's next offset was delivered
		// already (a fetch that raced a rebalance): skip it.
		n, ok := done[r.Partition]
		if !ok {
			s.mu.Lock()
			n, ok = s.next[r.Partition]
			s.mu.Unlock()
		}
		if ok && r.Offset < n {
			continue
		}
		done[r.Partition] = r.Offset + 1
		if bad := s.rows.add(r); bad != nil {
			bad.Table = s.table
			if err := s.badRow(*bad); err != nil {
				s.rows.discard()
				s.setNext(done)
				s.err = err
				return nil, err
			}
		}
	}
	s.setNext(done)
	parts := s.rows.parts
	b, err := s.rows.flush()
	if err != nil {
		s.err = fmt.Errorf("table %s: %w", s.table, err)
		return nil, s.err
	}
	if b == nil {
		return nil, connectors.ErrNoData
	}
	s.noteEventTimes(b, parts)
	return b, nil
}

// setNext records the partitions' next offsets after a Next.
func (s *Source) setNext(done map[int32]int64) {
	s.mu.Lock()
	for p, n := range done {
		s.next[p] = n
	}
	s.mu.Unlock()
}

// fail ends the stream with err: Next returns it after the records
// fetched before it.
func (s *Source) fail(_ context.Context, err error) {
	s.buf.fail(fmt.Errorf("table %s: kafka %s: %w", s.table, s.topic, err))
}

// Close stops fetching, closes the client (leaving the group) and frees
// what is buffered. Until then the client stays open after the context
// of Start ends, for the query's last CheckpointComplete.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.buf.close()
	s.worker.Stop()
	s.mu.Lock()
	cl := s.cl
	s.cl = nil
	s.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
	s.rows.release()
	return nil
}

// where is a bad row's Position: topic/partition@offset.
func where(r *kgo.Record) string {
	return r.Topic + "/" + strconv.Itoa(int(r.Partition)) + "@" + strconv.FormatInt(r.Offset, 10)
}
