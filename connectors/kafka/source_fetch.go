package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/weirdb/weir/connectors"
)

const (
	// pollRecords bounds the records one poll returns.
	pollRecords = 10000
	// firstBackoff and maxBackoff bound the wait between retries of a
	// failing fetch or metadata request.
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 5 * time.Second
	// warnEvery is how often a run of the same failure is logged again.
	warnEvery = time.Minute
	// fetchMaxWait is the longest a fetch waits for records.
	fetchMaxWait = 500 * time.Millisecond
)

// run is the background goroutine: once the position is known (Seek or
// the first Next) it makes the client, joins the group or assigns the
// partitions, and polls records into the buffer until ctx ends.
func (s *Source) run(ctx context.Context) {
	select {
	case <-s.begun:
	case <-ctx.Done():
		return
	}
	// The client outlives this goroutine, which ends with the query's
	// context: the query's last checkpoint commits to the group after
	// that. Close closes it.
	cl, err := s.connect(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.fail(ctx, err)
		}
		return
	}
	backoff := firstBackoff
	var warned time.Time
	for {
		fs := cl.PollRecords(ctx, pollRecords)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.Canceled) {
				ferr = err
			}
		})
		s.noteEnds(fs)
		recs := fs.Records()
		if ferr != nil {
			if time.Since(warned) >= warnEvery {
				s.log.Warn("kafka source: fetching failed; retrying", "table", s.table, "topic", s.topic, "err", ferr, "retry_in", backoff)
				warned = time.Now()
			}
			if len(recs) == 0 {
				if !connectors.Sleep(ctx, backoff) {
					return
				}
				backoff = min(2*backoff, maxBackoff)
				continue
			}
		}
		backoff = firstBackoff
		if len(recs) > 0 && s.buf.put(ctx, recs, s.owns) != nil {
			return
		}
	}
}

// connect makes the consuming client: a group member (option group), or
// a direct consumer of the partitions (option partitions, else all the
// topic's partitions, listed now).
func (s *Source) connect(ctx context.Context) (*kgo.Client, error) {
	// A fetch waits at most fetchMaxWait for data, as Kafka's consumers
	// do: partitions added meanwhile join the next fetch. An offset that
	// is no longer in the log (deleted by retention, or a topic made
	// anew) continues at the log's start: the fewest records skipped.
	opts := append(clientOpts(s.brokers, s.log, s.table), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(fetchMaxWait), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if s.group != "" {
		opts = append(opts, kgo.ConsumerGroup(s.group), kgo.ConsumeTopics(s.topic), kgo.DisableAutoCommit(),
			kgo.Balancers(kgo.CooperativeStickyBalancer()),
			kgo.OnPartitionsAssigned(s.onAssigned), kgo.OnPartitionsRevoked(s.onRevoked),
			kgo.OnPartitionsLost(s.onRevoked), kgo.AdjustFetchOffsetsFn(s.adjust))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cl = cl
	s.mu.Unlock()
	close(s.clSet)
	if s.group != "" {
		s.log.Info("kafka source joining group", "table", s.table, "topic", s.topic, "group", s.group)
		return cl, nil
	}
	parts := s.parts
	if parts == nil {
		if parts, err = s.listPartitions(ctx, cl); err != nil {
			return nil, err
		}
	}
	var ends map[int32]int64
	if s.member != nil && s.groupStart {
		if ends, err = s.member.Committed(ctx, s.unknown(parts)); err != nil {
			return nil, err
		}
	} else if s.start == startLatest {
		if ends, err = s.endOffsets(ctx, cl, s.unknown(parts)); err != nil {
			return nil, err
		}
	}
	at := make(map[int32]kgo.Offset, len(parts))
	s.mu.Lock()
	for _, p := range parts {
		s.assigned[p] = true
		if n, ok := ends[p]; ok {
			s.next[p] = n // in the position from now on: a restart does not skip what comes meanwhile
		}
		if n, ok := s.next[p]; ok {
			at[p] = kgo.NewOffset().At(n)
		} else {
			at[p] = kgo.NewOffset().AtStart()
		}
	}
	s.mu.Unlock()
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{s.topic: at})
	s.log.Info("kafka source reading", "table", s.table, "topic", s.topic, "partitions", parts)
	return cl, nil
}

// listPartitions asks the brokers for the topic's partitions, retrying
// with a warning while they cannot answer or the topic does not exist.
func (s *Source) listPartitions(ctx context.Context, cl *kgo.Client) ([]int32, error) {
	backoff := firstBackoff
	var warned time.Time
	for {
		req := kmsg.NewPtrMetadataRequest()
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(s.topic)
		req.Topics = append(req.Topics, t)
		resp, err := req.RequestWith(ctx, cl)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err == nil {
			for _, rt := range resp.Topics {
				if rt.Topic == nil || *rt.Topic != s.topic {
					continue
				}
				if err = kerr.ErrorForCode(rt.ErrorCode); err == nil {
					var parts []int32
					for _, p := range rt.Partitions {
						parts = append(parts, p.Partition)
					}
					slices.Sort(parts)
					if len(parts) > 0 {
						return parts, nil
					}
					err = errors.New("the topic has no partitions")
				}
			}
			if err == nil {
				err = errors.New("the brokers did not describe the topic")
			}
		}
		if time.Since(warned) >= warnEvery {
			s.log.Warn("kafka source cannot read the topic's partitions; retrying", "table", s.table,
				"brokers", s.brokers, "topic", s.topic, "err", err, "retry_in", backoff)
			warned = time.Now()
		}
		if !connectors.Sleep(ctx, backoff) {
			return nil, ctx.Err()
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// unknown returns the partitions of ps that have no next offset yet.
func (s *Source) unknown(ps []int32) []int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int32
	for _, p := range ps {
		if _, ok := s.next[p]; !ok {
			out = append(out, p)
		}
	}
	return out
}

// endOffsets returns the end (last stable) offset of each partition of
// ps, retrying with a warning until the brokers answer.
func (s *Source) endOffsets(ctx context.Context, cl *kgo.Client, ps []int32) (map[int32]int64, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	backoff := firstBackoff
	var warned time.Time
	for {
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		req.IsolationLevel = 1 // read_committed: the last stable offset
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic = s.topic
		for _, p := range ps {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition, rp.CurrentLeaderEpoch, rp.Timestamp = p, -1, -1 // -1: the end
			t.Partitions = append(t.Partitions, rp)
		}
		req.Topics = append(req.Topics, t)
		resp, err := req.RequestWith(ctx, cl)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out := map[int32]int64{}
		if err == nil {
			for _, rt := range resp.Topics {
				for _, rp := range rt.Partitions {
					if e := kerr.ErrorForCode(rp.ErrorCode); e != nil {
						err = fmt.Errorf("partition %d: %w", rp.Partition, e)
					} else if rt.Topic == s.topic {
						out[rp.Partition] = rp.Offset
					}
				}
			}
			if err == nil && len(out) != len(ps) {
				err = errors.New("the brokers did not give every partition's end offset")
			}
		}
		if err == nil {
			return out, nil
		}
		if time.Since(warned) >= warnEvery {
			s.log.Warn("kafka source cannot read the partitions' end offsets; retrying", "table", s.table,
				"topic", s.topic, "err", err, "retry_in", backoff)
			warned = time.Now()
		}
		if !connectors.Sleep(ctx, backoff) {
			return nil, ctx.Err()
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// owns reports whether records of partition p may be buffered: it is
// assigned to this source (always, for a direct consumer).
func (s *Source) owns(p int32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.assigned[p]
}

// onAssigned notes partitions the group gave this member.
func (s *Source) onAssigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	s.mu.Lock()
	for _, p := range m[s.topic] {
		s.assigned[p] = true
	}
	s.mu.Unlock()
	s.log.Info("kafka source assigned partitions", "table", s.table, "topic", s.topic, "group", s.group, "partitions", m[s.topic])
}

// onRevoked forgets partitions taken from this member and drops their
// buffered records: their next owner reads them.
func (s *Source) onRevoked(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	ps := m[s.topic]
	if len(ps) == 0 {
		return
	}
	s.mu.Lock()
	for _, p := range ps {
		delete(s.assigned, p)
	}
	s.mu.Unlock()
	s.buf.drop(ps)
	s.log.Info("kafka source released partitions", "table", s.table, "topic", s.topic, "group", s.group, "partitions", ps)
}

// adjust chooses where each partition the group assigns starts: where
// this source is in it (its checkpoint's offset, or where it got before
// the partition was last taken from it), unless the group has committed
// a later offset (another member read on); else, at the query's first
// start, as option start says; else at the group's committed offset.
func (s *Source) adjust(ctx context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	// The group can assign partitions before NewClient has returned the
	// client to connect.
	select {
	case <-s.clSet:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	fresh := !s.seeked && !s.adjusted
	s.adjusted = true
	cl := s.cl
	var latest []int32 // partitions to start at their end
	for p, o := range offsets[s.topic] {
		committed := o.EpochOffset().Offset // < 0: nothing committed
		if n, ok := s.next[p]; ok && n >= committed {
			offsets[s.topic][p] = kgo.NewOffset().At(n)
			continue
		}
		if committed >= 0 && (!fresh || s.start == startGroup) {
			continue
		}
		if s.start == startLatest {
			latest = append(latest, p)
		} else {
			offsets[s.topic][p] = kgo.NewOffset().AtStart()
		}
	}
	s.mu.Unlock()
	if len(latest) == 0 {
		return offsets, nil
	}
	ends, err := s.endOffsets(ctx, cl, latest)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	for p, n := range ends {
		s.next[p] = n // in the position from now on: a restart does not skip what comes meanwhile
		offsets[s.topic][p] = kgo.NewOffset().At(n)
	}
	s.mu.Unlock()
	return offsets, nil
}

// commit commits offsets to the group, as this member.
func (s *Source) commit(cl *kgo.Client, offsets map[int32]int64) error {
	if cerr := commitOffsets(cl, s.topic, offsets); cerr != nil {
		// The offsets are in the checkpoint; the group's are only behind.
		s.log.Warn("kafka source could not commit the checkpoint's offsets to the group", "table", s.table,
			"topic", s.topic, "group", s.group, "err", cerr)
	}
	return nil
}

// commitOffsets commits offsets of topic's partitions for cl's group.
func commitOffsets(cl *kgo.Client, topic string, offsets map[int32]int64) error {
	eo := make(map[int32]kgo.EpochOffset, len(offsets))
	for p, n := range offsets {
		eo[p] = kgo.EpochOffset{Epoch: -1, Offset: n}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cerr error
	cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{topic: eo},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if err != nil {
				cerr = err
				return
			}
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					if e := kerr.ErrorForCode(p.ErrorCode); e != nil && cerr == nil {
						cerr = fmt.Errorf("partition %d: %w", p.Partition, e)
					}
				}
			}
		})
	return cerr
}

// recBuffer is the bounded FIFO of fetched records between the
// background goroutine (put) and Next (take).
type recBuffer struct {
	budget int64
	mu     sync.Mutex
	recs   []*kgo.Record
	head   int
	bytes  int64
	err    error // the stream's end, after recs
	closed bool
	space  chan struct{}
}

func newRecBuffer(budget int64) *recBuffer {
	return &recBuffer{budget: max(budget, 1), space: make(chan struct{}, 1)}
}

// recordBytes is what a record is charged.
func recordBytes(r *kgo.Record) int64 { return int64(len(r.Key)+len(r.Value)) + 128 }

// put appends the records of partitions owned reports, waiting while the
// buffer is full; it fails when ctx ends or the buffer is closed.
func (b *recBuffer) put(ctx context.Context, recs []*kgo.Record, owned func(int32) bool) error {
	for len(recs) > 0 {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return errors.New("closed")
		}
		i := 0
		for ; i < len(recs); i++ {
			n := recordBytes(recs[i])
			if b.bytes > 0 && b.bytes+n > b.budget {
				break
			}
			if owned(recs[i].Partition) {
				b.recs = append(b.recs, recs[i])
				b.bytes += n
			}
		}
		recs = recs[i:]
		b.mu.Unlock()
		if len(recs) == 0 {
			return nil
		}
		select {
		case <-b.space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// take removes up to max records; with none left it returns the stream's
// end error, if any.
func (b *recBuffer) take(max int) ([]*kgo.Record, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(max, len(b.recs)-b.head)
	if n == 0 {
		return nil, b.err
	}
	out := slices.Clone(b.recs[b.head : b.head+n])
	for i := b.head; i < b.head+n; i++ {
		b.bytes -= recordBytes(b.recs[i])
		b.recs[i] = nil
	}
	b.head += n
	if b.head == len(b.recs) {
		b.recs, b.head = b.recs[:0], 0
	} else if b.head > 1024 && b.head*2 > len(b.recs) {
		b.recs = append(b.recs[:0], b.recs[b.head:]...)
		b.head = 0
	}
	b.signal()
	return out, nil
}

// drop removes the records of partitions ps.
func (b *recBuffer) drop(ps []int32) {
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := b.recs[:b.head]
	for _, r := range b.recs[b.head:] {
		if slices.Contains(ps, r.Partition) {
			b.bytes -= recordBytes(r)
			continue
		}
		kept = append(kept, r)
	}
	clear(b.recs[len(kept):])
	b.recs = kept
	b.signal()
}

// signal wakes a waiting put; b.mu is held.
func (b *recBuffer) signal() {
	select {
	case b.space <- struct{}{}:
	default:
	}
}

// backlogged reports whether at least half the budget is in use.
func (b *recBuffer) backlogged() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bytes >= b.budget/2
}

// fail ends the stream with err, after the records buffered.
func (b *recBuffer) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
}

// close drops every record and makes put fail.
func (b *recBuffer) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.recs, b.head, b.bytes = nil, 0, 0
	b.signal()
}
