package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// MembershipConfig configures a Membership.
type MembershipConfig struct {
	// Brokers are the seed brokers, host:port.
	Brokers []string
	// Topic is the topic whose partitions the group shares.
	Topic string
	// Group is the consumer group's id.
	Group string
	// Instance, if set, is the member's static group instance id.
	Instance string
	// SessionTimeout is how long the group waits for a member that stopped
	// heartbeating (a killed process) before it hands its partitions to
	// the others; 0 means 10 seconds.
	SessionTimeout time.Duration
	// Assigned is told of partitions this process now owns. It runs on
	// the group's own goroutine and blocks the group until it returns.
	Assigned func(ctx context.Context, partitions []int32)
	// Revoked is told of partitions this process must give up: it returns
	// once it no longer works on them (after their last checkpoint), so
	// that no two processes ever own one.
	Revoked func(ctx context.Context, partitions []int32)
	// Lost is told of partitions this process lost without a rebalance
	// (its session expired): another process may own them already, so
	// the work on them must stop at once, without writing anything.
	Lost func(ctx context.Context, partitions []int32)
	// Log receives a line per change of ownership; nil logs nothing.
	Log *slog.Logger
}

// Membership is a process's membership in a consumer group that shares a
// topic's partitions among processes: it consumes nothing itself, it only
// learns which partitions this process owns, through the group protocol
// with cooperative-sticky assignment (a rebalance moves only the
// partitions that must move, and the others keep working), and tells its
// owner as ownership changes.
type Membership struct {
	cl  *kgo.Client
	cfg MembershipConfig
	mu  sync.Mutex
	own []int32
}

// JoinGroup joins cfg.Group for cfg.Topic. Ownership is reported to the
// callbacks from then on until Close.
func JoinGroup(cfg MembershipConfig) (*Membership, error) {
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	m := &Membership{cfg: cfg}
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topic),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(cfg.SessionTimeout),
		kgo.HeartbeatInterval(max(cfg.SessionTimeout/10, 100*time.Millisecond)),
		kgo.OnPartitionsAssigned(func(ctx context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.change(ctx, "assigned", ps[cfg.Topic], cfg.Assigned)
		}),
		kgo.OnPartitionsRevoked(func(ctx context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.change(ctx, "revoked", ps[cfg.Topic], cfg.Revoked)
		}),
		kgo.OnPartitionsLost(func(ctx context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.change(ctx, "lost", ps[cfg.Topic], cfg.Lost)
		}),
	}
	if cfg.Instance != "" {
		opts = append(opts, kgo.InstanceID(cfg.Instance))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka group %s: %w", cfg.Group, err)
	}
	// Membership only: the partitions' records are read by whoever owns
	// them, never by this client.
	cl.PauseFetchTopics(cfg.Topic)
	m.cl = cl
	return m, nil
}

// change records and reports a change of ownership.
func (m *Membership) change(ctx context.Context, what string, ps []int32, f func(context.Context, []int32)) {
	if len(ps) == 0 {
		return
	}
	ps = slices.Clone(ps)
	slices.Sort(ps)
	m.cfg.Log.Info(fmt.Sprintf("kafka group %s: partitions %v of %s %s", m.cfg.Group, ps, m.cfg.Topic, what))
	if f != nil {
		f(ctx, ps)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if what == "assigned" {
		m.own = append(m.own, ps...)
		slices.Sort(m.own)
		m.own = slices.Compact(m.own)
		return
	}
	m.own = slices.DeleteFunc(m.own, func(p int32) bool { return slices.Contains(ps, p) })
}

// Owned returns the partitions this process owns now, sorted.
func (m *Membership) Owned() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.own)
}

// Close leaves the group: the group revokes this process's partitions
// (Revoked runs for them) and hands them to the other members at once,
// without waiting for the session to time out.
func (m *Membership) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.cfg.SessionTimeout+30*time.Second)
	defer cancel()
	err := m.cl.LeaveGroupContext(ctx)
	m.cl.Close()
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("kafka group %s: leaving: %w", m.cfg.Group, err)
	}
	return nil
}

// Commit commits offsets (the next offset to read, per partition) to the
// group, for the partitions this process owns; the others are left to
// their owners.
func (m *Membership) Commit(offsets map[int32]int64) error {
	own := m.Owned()
	mine := make(map[int32]int64, len(offsets))
	for p, n := range offsets {
		if slices.Contains(own, p) {
			mine[p] = n
		}
	}
	if len(mine) == 0 {
		return nil
	}
	return commitOffsets(m.cl, m.cfg.Topic, mine)
}

// Committed returns the group's committed offsets of partitions ps; a
// partition without one is left out.
func (m *Membership) Committed(ctx context.Context, ps []int32) (map[int32]int64, error) {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = m.cfg.Group
	t := kmsg.NewOffsetFetchRequestTopic()
	t.Topic = m.cfg.Topic
	t.Partitions = ps
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, m.cl)
	if err != nil {
		return nil, fmt.Errorf("kafka group %s: fetching its offsets: %w", m.cfg.Group, err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("kafka group %s: fetching its offsets: %w", m.cfg.Group, err)
	}
	out := map[int32]int64{}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				return nil, fmt.Errorf("kafka group %s: offset of partition %d: %w", m.cfg.Group, rp.Partition, err)
			}
			if rp.Offset >= 0 {
				out[rp.Partition] = rp.Offset
			}
		}
	}
	return out, nil
}
