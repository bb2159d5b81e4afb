package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirdb/weir/connectors"
)

// Sink writes a query's rows to a Kafka topic; see the package's doc.
type Sink struct {
	table string
	set   sinkSettings
	dir   string // the state directory (exactly once)
	enc   *sinkEncoder
	cl    *kgo.Client
	parts []int32 // the topic's partitions

	ctx    context.Context
	cancel context.CancelFunc

	// Exactly once.
	spill    *spillWriter // the pending spill file
	n        int64        // the last checkpoint's number
	wrote    bool         // Write was called
	restored bool         // Restore was called
	cleaned  bool         // stale spill files were removed

	// At least once: the first error of an asynchronous produce, which
	// promise (s.produced) records.
	mu      sync.Mutex
	sendErr error
	promise func(*kgo.Record, error)

	err    error // returned again by every call
	closed bool

	// crashAt, in tests, makes sendSpill stop as a crash would at the
	// stage it names ("before-end", "after-end") when it returns true.
	crashAt func(stage string) bool
}

// errSinkCrashed is what sendSpill returns when crashAt stopped it.
var errSinkCrashed = errors.New("crashed (test)")

var (
	_ connectors.Sink         = (*Sink)(nil)
	_ connectors.Checkpointer = (*Sink)(nil)
	_ connectors.Completer    = (*Sink)(nil)
	_ connectors.Aborter      = (*Sink)(nil)
)

// sinkState is a Sink's checkpoint state, as Checkpoint encodes it in
// JSON.
type sinkState struct {
	// N is the sink's checkpoint number; 0 for an at-least-once sink.
	N int64 `json:"n"`
	// Size is the length of spill-N.rec; 0 when there is none (nothing
	// was written since the checkpoint before).
	Size int64 `json:"size,omitempty"`
	// Start is the topic's end offset of each partition when the
	// checkpoint was taken: spill N's records come after it.
	Start map[int32]int64 `json:"start,omitempty"`
}

// NewSink returns a sink to the Kafka topic spec's options name; it checks
// that the brokers answer and the topic exists.
func NewSink(spec connectors.SinkSpec) (connectors.Sink, error) {
	if spec.Schema == nil {
		return nil, fmt.Errorf("table %s: the Kafka sink needs the query's schema", spec.Table)
	}
	set, err := readSinkOptions(spec)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	enc, err := newSinkEncoder(set.format, spec.Schema, set.key, spec.Options)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	cl, err := newSinkClient(set.brokers, set.topic, set.txnID)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	s := &Sink{table: spec.Table, set: set, dir: spec.StateDir, enc: enc, cl: cl}
	s.promise = s.produced
	s.ctx, s.cancel = context.WithCancel(context.Background())
	ctx, cancel := context.WithTimeout(s.ctx, sinkStartTimeout)
	s.parts, err = sinkPartitions(ctx, cl, set.brokers, set.topic)
	cancel()
	if err == nil && set.exactly {
		if err = os.MkdirAll(s.dir, 0o755); err == nil {
			s.spill, err = openSpill(spillPath(s.dir, spillPending))
		}
	}
	if err != nil {
		s.cancel()
		cl.Close()
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	return s, nil
}

// Guarantee says what a reader of the topic sees of each result:
// "exactly once" (with isolation.level = read_committed) or "at least
// once".
func (s *Sink) Guarantee() string {
	if s.set.exactly {
		return "exactly once"
	}
	return "at least once"
}

// fail makes err the sink's error, returned by every later call.
func (s *Sink) fail(err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("table %s: %w", s.table, err)
	if s.err == nil {
		s.err = err
	}
	return err
}

// usable returns why the sink cannot be used, or nil.
func (s *Sink) usable() error {
	if s.closed {
		return fmt.Errorf("table %s: sink is closed", s.table)
	}
	return s.err
}

// Abort implements connectors.Aborter: the query failed before it
// restored its checkpoint, so nothing more is sent.
func (s *Sink) Abort() {
	if s.err == nil {
		s.err = fmt.Errorf("table %s: the query stopped before it restored its checkpoint", s.table)
	}
}

// Write encodes batch's rows and releases it: exactly once, to the
// pending spill file; at least once, to the producer.
func (s *Sink) Write(batch arrow.RecordBatch) error {
	defer batch.Release()
	if err := s.usable(); err != nil {
		return err
	}
	s.wrote = true
	if s.set.exactly {
		return s.fail(s.enc.encode(batch, s.spill.add))
	}
	if err := s.produceErr(); err != nil {
		return s.fail(err)
	}
	return s.fail(s.enc.encode(batch, func(key, value []byte) error {
		r := &kgo.Record{Key: cloneBytes(key), Value: cloneBytes(value)}
		s.cl.Produce(s.ctx, r, s.promise)
		return nil
	}))
}

// cloneBytes copies b, keeping nil nil.
func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// produced is the promise of an at-least-once record.
func (s *Sink) produced(_ *kgo.Record, err error) {
	if err != nil {
		s.mu.Lock()
		if s.sendErr == nil {
			s.sendErr = fmt.Errorf("write to Kafka topic %q: %w", s.set.topic, err)
		}
		s.mu.Unlock()
	}
}

func (s *Sink) produceErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sendErr
}

// flush waits until every produced record is acknowledged.
func (s *Sink) flush() error {
	if err := s.cl.Flush(s.ctx); err != nil {
		return fmt.Errorf("write to Kafka topic %q: %w", s.set.topic, err)
	}
	return s.produceErr()
}

// Commit ends a micro-batch. At least once, it waits until the batch's
// records are acknowledged; exactly once, they wait in the spill file
// for the next checkpoint.
func (s *Sink) Commit(epoch int64) error {
	if err := s.usable(); err != nil {
		return err
	}
	if s.set.exactly {
		return nil
	}
	return s.fail(s.flush())
}

// Checkpoint implements connectors.Checkpointer. Exactly once, it makes
// the pending spill file durable as spill-N.rec and returns N, its size
// and the topic's end offsets; nothing is sent until CheckpointComplete.
// At least once, it waits until every record is acknowledged.
func (s *Sink) Checkpoint() ([]byte, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	if !s.set.exactly {
		if err := s.flush(); err != nil {
			return nil, s.fail(err)
		}
		return json.Marshal(sinkState{})
	}
	if err := s.cleanStale(); err != nil {
		return nil, s.fail(err)
	}
	st := sinkState{N: s.n + 1}
	if err := s.spill.sync(); err != nil {
		return nil, s.fail(fmt.Errorf("write %s: %w", s.spill.path, err))
	}
	if st.Size = s.spill.size; st.Size > 0 {
		start, err := sinkEndOffsets(s.ctx, s.cl, s.set.topic, s.parts, false)
		if err != nil {
			return nil, s.fail(err)
		}
		st.Start = start
		if err := s.spill.close(); err != nil {
			return nil, s.fail(fmt.Errorf("close %s: %w", s.spill.path, err))
		}
		name := spillPath(s.dir, spillName(st.N))
		if err := os.Rename(s.spill.path, name); err != nil {
			return nil, s.fail(err)
		}
		if err := connectors.SyncDir(s.dir); err != nil {
			return nil, s.fail(fmt.Errorf("fsync %s: %w", s.dir, err))
		}
		sp, err := openSpill(spillPath(s.dir, spillPending))
		if err != nil {
			return nil, s.fail(err)
		}
		s.spill = sp
	}
	s.n = st.N
	return json.Marshal(st)
}

// cleanStale removes, before a sink that was not restored takes its first
// checkpoint, the spill files of an earlier run whose checkpoints were
// discarded.
func (s *Sink) cleanStale() error {
	if s.cleaned || s.restored {
		return nil
	}
	s.cleaned = true
	ns, err := spillFiles(s.dir)
	if err != nil {
		return err
	}
	for _, n := range ns {
		if err := os.Remove(spillPath(s.dir, spillName(n))); err != nil {
			return err
		}
	}
	return nil
}

// CheckpointComplete implements connectors.Completer: exactly once, it
// sends the checkpoint's spill file in one transaction, then deletes it.
func (s *Sink) CheckpointComplete(state []byte) error {
	if err := s.usable(); err != nil {
		return err
	}
	if !s.set.exactly {
		return nil
	}
	st, err := parseSinkState(state)
	if err != nil {
		return s.fail(err)
	}
	if st.Size == 0 {
		return nil
	}
	return s.fail(s.sendSpill(st))
}

// parseSinkState decodes a state Checkpoint returned.
func parseSinkState(state []byte) (sinkState, error) {
	var st sinkState
	if len(state) == 0 {
		return st, nil
	}
	if err := json.Unmarshal(state, &st); err != nil || st.N < 0 || st.Size < 0 {
		return st, fmt.Errorf("invalid Kafka sink state %q", state)
	}
	return st, nil
}

// sendSpill sends spill st.N in one transaction whose records carry the
// checkpoint's marker, commits it and deletes the file.
func (s *Sink) sendSpill(st sinkState) error {
	path := spillPath(s.dir, spillName(st.N))
	if err := s.cl.BeginTransaction(); err != nil {
		return fmt.Errorf("begin a Kafka transaction: %w", err)
	}
	headers := []kgo.RecordHeader{
		{Key: sinkHeaderSink, Value: []byte(s.set.txnID)},
		{Key: sinkHeaderCheckpoint, Value: []byte(strconv.FormatInt(st.N, 10))},
	}
	var mu sync.Mutex
	var perr error
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			if perr == nil {
				perr = err
			}
			mu.Unlock()
		}
	}
	err := readSpill(path, st.Size, func(key, value []byte) error {
		s.cl.Produce(s.ctx, &kgo.Record{Key: key, Value: value, Headers: headers}, promise)
		return nil
	})
	if ferr := s.cl.Flush(s.ctx); err == nil {
		err = ferr
	}
	mu.Lock()
	if err == nil {
		err = perr
	}
	mu.Unlock()
	if err == nil && s.crashAt != nil && s.crashAt("before-end") {
		return errSinkCrashed
	}
	if err == nil {
		err = s.cl.EndTransaction(s.ctx, kgo.TryCommit)
	}
	if err != nil {
		s.cl.AbortBufferedRecords(s.ctx)
		s.cl.EndTransaction(s.ctx, kgo.TryAbort)
		return fmt.Errorf("send checkpoint %d's output to Kafka topic %q: %w", st.N, s.set.topic, err)
	}
	if s.crashAt != nil && s.crashAt("after-end") {
		return errSinkCrashed
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Restore implements connectors.Checkpointer: exactly once, it fences the
// crashed run's producer, sends the checkpoint's spill file unless the
// topic already holds its marker, and drops the output written after the
// checkpoint, which the query writes again. At least once, output cannot
// be taken back: it does nothing.
func (s *Sink) Restore(state []byte) error {
	if err := s.usable(); err != nil {
		return err
	}
	if s.wrote || s.restored || s.cleaned {
		return fmt.Errorf("table %s: Restore must come once, before the first Write and Checkpoint", s.table)
	}
	s.restored = true
	if !s.set.exactly {
		return nil
	}
	st, err := parseSinkState(state)
	if err != nil {
		return s.fail(err)
	}
	s.n = st.N
	ns, err := spillFiles(s.dir)
	if err != nil {
		return s.fail(err)
	}
	// Spill files before N were sent (N's checkpoint was taken after
	// their CheckpointComplete); those after it belong to checkpoints
	// that never became durable.
	doubt := false
	for _, n := range ns {
		if n == st.N && st.Size > 0 {
			doubt = true
			continue
		}
		if err := os.Remove(spillPath(s.dir, spillName(n))); err != nil {
			return s.fail(err)
		}
	}
	if !doubt {
		return nil
	}
	// Fence the crashed producer: its open transaction is aborted.
	if _, _, err := s.cl.ProducerID(s.ctx); err != nil {
		return s.fail(fmt.Errorf("start the Kafka transactional producer %q: %w", s.set.txnID, err))
	}
	end, err := sinkStableEnd(s.ctx, s.cl, s.set.topic, s.parts)
	if err != nil {
		return s.fail(err)
	}
	sent, err := sinkFindMarked(s.ctx, s.set.brokers, s.set.topic, st.Start, end, s.set.txnID, st.N)
	if err != nil {
		return s.fail(err)
	}
	if sent {
		return s.fail(os.Remove(spillPath(s.dir, spillName(st.N))))
	}
	return s.fail(s.sendSpill(st))
}

// Close closes the producer. At least once, it first waits for every
// record to be acknowledged; exactly once, the records written since the
// last checkpoint are dropped (a restart writes them again).
func (s *Sink) Close() error {
	if s.closed {
		return nil
	}
	err := s.err
	if err == nil && !s.set.exactly {
		err = s.fail(s.flush())
	}
	s.closed = true
	if s.spill != nil {
		s.spill.close()
		if s.spill.size == 0 || err == nil {
			os.Remove(s.spill.path)
		}
	}
	s.cancel()
	s.cl.Close()
	return err
}
