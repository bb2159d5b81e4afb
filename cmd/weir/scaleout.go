package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/weirdb/weir/catalog"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/kafka"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
)

// scaledQuery is a query over a Kafka table read by a consumer group
// (its option group): the processes that run the same script with the
// same group share the topic's partitions, and each runs the query as one
// task per partition it owns, each task with its own checkpoint
// (q<N>/p<partition> in the checkpoint directory every process shares).
// A partition moves between processes with its state: the process that
// gives it up stops its task after the batch in flight and checkpoints
// it; the one that gains it restores that checkpoint and goes on from its
// offsets. See docs/scale-out.md.
type scaledQuery struct {
	p     *planner.Prepared
	id    int
	table *catalog.Table
	log   *slog.Logger
	// ckDir is the checkpoint directory, every, batches its settings.
	ckDir   string
	every   exec.Checkpointing
	onBatch func(q *exec.Query, b exec.BatchInfo)

	ctx context.Context
	// member is this process's membership; ready is closed once it is set.
	member *kafka.Membership
	ready  chan struct{}
	mu     sync.Mutex
	tasks  map[int32]*scaledTask
	fail   chan error
	ran    []int32
}

// scaledTask is one partition's instance of a scaled query.
type scaledTask struct {
	q      *exec.Query
	cancel context.CancelFunc
	done   chan struct{}
}

// groupTable returns the Kafka table of a consumer group that query p
// reads, or nil when it reads none; it refuses a query that such a table
// cannot be split for, with the reason.
func groupTable(p *planner.Prepared, id int, reg *connectors.Registry) (*catalog.Table, error) {
	var t *catalog.Table
	tables := p.Tables()
	for _, tt := range tables {
		if tt.Connector() == "kafka" && tt.Options["group"] != "" {
			t = tt
		}
	}
	if t == nil {
		return nil, nil
	}
	group := t.Options["group"]
	what := fmt.Sprintf("query %d reads table %s of Kafka consumer group %q, whose partitions the processes of the group share", id, t.Name, group)
	switch {
	case len(tables) > 1:
		return nil, fmt.Errorf("%s, and other tables: only a query over one such table is split across processes for now; leave out group to read every partition in one process", what)
	case p.Into == nil:
		return nil, fmt.Errorf("%s: write its rows INSERT INTO a sink table (each process prints only its own partitions' rows); to look at the topic, leave out group", what)
	}
	if spec, _ := reg.SinkConfig(p.Into.Connector()); !spec.ManyWriters {
		return nil, fmt.Errorf("%s, each running a task per partition, but the %s sink of table %s takes one writer; write into a kafka or postgres table, or leave out group to read every partition in one process", what, p.Into.Connector(), p.Into.Name)
	}
	if err := p.AlignedWith(t.Name, "_key"); err != nil {
		return nil, fmt.Errorf("%s, but %v: each process would count only part of a key. Repartition first: write the rows into a topic keyed by that column and read that topic, grouping by its _key; or leave out group to read every partition in one process (see docs/scale-out.md)", what, err)
	}
	return t, nil
}

// run joins the group and runs a task for each partition this process
// owns, until ctx is done (then every task stops after its batch in
// flight and checkpoints, and the process leaves the group) or a task
// fails.
func (s *scaledQuery) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.ctx, s.tasks, s.fail, s.ready = ctx, map[int32]*scaledTask{}, make(chan error, 1), make(chan struct{})
	opts := s.table.Options
	m, err := kafka.JoinGroup(kafka.MembershipConfig{
		Brokers: strings.Split(opts["brokers"], ","), Topic: opts["topic"], Group: opts["group"],
		SessionTimeout: sessionTimeout(opts),
		Assigned:       func(_ context.Context, ps []int32) { s.start(ps) },
		Revoked:        func(_ context.Context, ps []int32) { s.stop(ps, false) },
		Lost:           func(_ context.Context, ps []int32) { s.stop(ps, true) },
		Log:            s.log,
	})
	if err != nil {
		close(s.ready)
		return fmt.Errorf("query %d: %w", s.id, err)
	}
	s.member = m
	close(s.ready)
	select {
	case <-ctx.Done():
	case err = <-s.fail:
	}
	cancel()
	s.stop(nil, false) // every task: its batch in flight, then a checkpoint
	if cerr := m.Close(); err == nil && cerr != nil && !errors.Is(cerr, context.Canceled) {
		err = cerr
	}
	return err
}

// start starts the tasks of partitions ps.
func (s *scaledQuery) start(ps []int32) {
	<-s.ready
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, part := range ps {
		if s.ctx.Err() != nil || s.tasks[part] != nil {
			continue
		}
		name := fmt.Sprintf("p%d", part)
		// The task reads its partition directly; the membership commits
		// its offsets and, for start = 'group', gives its start.
		groupStart := strings.EqualFold(s.table.Options["start"], "group")
		over := map[string]string{"partitions": fmt.Sprint(part), "group": ""}
		if groupStart {
			over["start"] = ""
		}
		q, err := s.p.BuildTask(nil, planner.Task{ID: s.id, Name: name, Options: map[string]map[string]string{s.table.Name: over}})
		if err != nil {
			s.failed(fmt.Errorf("query %d, partition %d: %w", s.id, part, err))
			return
		}
		for _, in := range q.Inputs() {
			if t, ok := in.Source.(interface {
				JoinTask(*kafka.Membership, bool)
			}); ok && s.member != nil {
				t.JoinTask(s.member, groupStart)
			}
		}
		ck := s.every
		ck.Dir = filepath.Join(s.ckDir, fmt.Sprintf("q%d", s.id), name)
		q.Checkpoint = &ck
		if s.onBatch != nil {
			q.OnBatch = func(b exec.BatchInfo) { s.onBatch(q, b) }
		}
		ctx, cancel := context.WithCancel(s.ctx)
		t := &scaledTask{q: q, cancel: cancel, done: make(chan struct{})}
		s.tasks[part] = t
		s.ran = append(s.ran, part)
		go func() {
			defer close(t.done)
			if err := q.Run(ctx); err != nil {
				s.failed(fmt.Errorf("query %d, partition %d: %w", s.id, part, err))
			}
		}()
	}
}

// stop stops the tasks of partitions ps (nil: every task) and waits for
// them: after the batch in flight and a checkpoint, or, when lost, at
// once and without either (another process may own them already).
func (s *scaledQuery) stop(ps []int32, lost bool) {
	s.mu.Lock()
	var stopping []*scaledTask
	for part, t := range s.tasks {
		if ps == nil || slices.Contains(ps, part) {
			if lost {
				t.q.Abandon()
			}
			t.cancel()
			stopping = append(stopping, t)
			delete(s.tasks, part)
		}
	}
	s.mu.Unlock()
	for _, t := range stopping {
		<-t.done
	}
}

func (s *scaledQuery) failed(err error) {
	select {
	case s.fail <- err:
	default:
	}
}

// sessionTimeout is the table's session_timeout, 0 (the default) when
// it has none; CREATE TABLE checked its value.
func sessionTimeout(opts map[string]string) time.Duration {
	d, _ := connectors.ParseDuration(opts["session_timeout"])
	return d
}
