package exec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/weirdb/weir/connectors"
)

// Checkpointing configures a query's checkpoints: its window state,
// source position, watermark and sink state, saved together so that a
// restart resumes where the last checkpoint left off.
type Checkpointing struct {
	// Dir is the query's own checkpoint directory.
	Dir string
	// Every is the time between checkpoints (0: only at the end).
	Every time.Duration
	// EveryBatches, if positive, also checkpoints every that many batches.
	EveryBatches int
	// Fingerprint identifies the query's plan; a checkpoint taken by a
	// different plan is refused.
	Fingerprint string

	// atEnd records that the checkpoint Run resumed from was taken at the
	// end of the input.
	atEnd bool
}

// ResumedAtEnd reports whether the query's last Run found its newest
// checkpoint taken at the end of its input, so that it had nothing left
// to do and did not read its source. Call it after Run has returned.
func (q *Query) ResumedAtEnd() bool {
	return q.Checkpoint != nil && q.Checkpoint.atEnd
}

// Snapshotter is implemented by operators whose state checkpoints save.
type Snapshotter interface {
	// Snapshot writes the operator's state; the operator is unchanged.
	Snapshot(w io.Writer) error
	// Restore replaces the state of a fresh operator with a snapshot.
	Restore(r io.Reader) error
}

// ErrFingerprint is returned when a checkpoint belongs to another plan.
var ErrFingerprint = errors.New("the checkpoint was taken by a different query")

// checkpointMeta is a checkpoint's meta.json.
//
// A checkpoint holds one source position, largest event time and
// watermark per input (Inputs). Checkpoints of single-input queries taken
// before queries had several inputs kept them in Source and MaxTs, with
// the input's watermark in Watermark; they are still read, as input 0 of
// a query with one input. Single-input checkpoints still fill those
// fields too.
type checkpointMeta struct {
	Fingerprint string            `json:"fingerprint"`
	Seq         int64             `json:"seq"`
	Epoch       int64             `json:"epoch"`
	Watermark   int64             `json:"watermark"`
	MaxTs       int64             `json:"max_ts"`
	Source      []byte            `json:"source,omitempty"`
	Inputs      []inputCheckpoint `json:"inputs,omitempty"`
	Sink        []byte            `json:"sink,omitempty"`
	Ops         []int             `json:"ops"` // graph node indexes with a snapshot file
	// Partitions is the number of partitions the query's keyed state is
	// split into (its parallelism), 0 when no state is partitioned.
	Partitions int `json:"partitions,omitempty"`
	// Parallelism is the parallelism of the run that took the checkpoint
	// (0: written before parallelism was recorded).
	Parallelism int    `json:"parallelism,omitempty"`
	RowsIn      int64  `json:"rows_in"`
	RowsOut     int64  `json:"rows_out"`
	Finished    bool   `json:"finished"`
	Time        string `json:"time"`
	// snaps are the snapshots an aheadStage took of its operators, by
	// node index, when the barrier passed it (not part of meta.json).
	snaps map[int][]byte
}

// inputCheckpoint is one input's part of a checkpoint.
type inputCheckpoint struct {
	Table     string `json:"table"`
	Source    []byte `json:"source,omitempty"`
	MaxTs     int64  `json:"max_ts"`
	Watermark int64  `json:"watermark"`
}

// latestCheckpoint returns the directory of the newest complete checkpoint
// in dir, or "" if there is none.
func latestCheckpoint(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "chk-") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	sort.Strings(names)
	return filepath.Join(dir, names[len(names)-1]), nil
}

// removeTempCheckpoints deletes the temporary directories (.tmp-chk-*)
// that a process killed while writing a checkpoint left in dir.
func removeTempCheckpoints(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-chk-") {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("checkpoint: removing an unfinished checkpoint: %w", err)
			}
		}
	}
	return nil
}

// restore loads the newest checkpoint, if any, into the query before it
// runs: operator state, sink state, source position and watermark. It
// first removes unfinished checkpoints of an earlier run.
func (r *runner) restore() error {
	c := r.q.Checkpoint
	c.atEnd = false
	if err := removeTempCheckpoints(c.Dir); err != nil {
		return err
	}
	dir, err := latestCheckpoint(c.Dir)
	if err != nil || dir == "" {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	var m checkpointMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	if m.Fingerprint != c.Fingerprint {
		return fmt.Errorf("%w (in %s): start it with --reset to discard it, or use another --checkpoint-dir", ErrFingerprint, c.Dir)
	}
	q := r.q
	g := r.plan.g
	if n := graphPartitions(g); m.Partitions != n {
		was := max(1, m.Parallelism, m.Partitions)
		return fmt.Errorf("the checkpoint in %s was taken at parallelism %d, this run has parallelism %d: its keyed state is split by key hash into %d partition(s), this run's into %d, so it restores only at the parallelism it was taken at; run with --parallelism %d, or --reset to start over", c.Dir, was, max(1, q.Parallelism), max(1, m.Partitions), max(1, n), was)
	}
	ins := m.Inputs
	if ins == nil && len(g.Inputs) == 1 { // a checkpoint of an older version
		ins = []inputCheckpoint{{Source: m.Source, MaxTs: m.MaxTs, Watermark: m.Watermark}}
	}
	if len(ins) != len(g.Inputs) {
		return fmt.Errorf("checkpoint %s holds %d source positions, but the query reads %d inputs: start it with --reset to discard it, or use another --checkpoint-dir", dir, len(ins), len(g.Inputs))
	}
	for _, i := range m.Ops {
		var s Snapshotter
		ok := i >= 0 && i < len(g.Nodes)
		if ok {
			s, ok = g.Nodes[i].Op.(Snapshotter)
		}
		if !ok {
			return fmt.Errorf("checkpoint %s: operator %d has no state to restore", dir, i)
		}
		f, err := os.Open(filepath.Join(dir, fmt.Sprintf("op-%d.snap", i)))
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", dir, err)
		}
		err = s.Restore(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("checkpoint %s: operator %d: %w", dir, i, err)
		}
	}
	if ck, ok := q.Sink.(connectors.Checkpointer); ok && m.Sink != nil {
		if err := ck.Restore(m.Sink); err != nil {
			return fmt.Errorf("checkpoint %s: sink: %w", dir, err)
		}
	}
	for i, in := range g.Inputs {
		if sk, ok := in.Source.(connectors.Seeker); ok && ins[i].Source != nil {
			if err := sk.Seek(ins[i].Source); err != nil {
				return fmt.Errorf("checkpoint %s: source %s: %w", dir, in.Table, err)
			}
		}
		r.ins[i].maxTs, r.ins[i].wm = ins[i].MaxTs, ins[i].Watermark
	}
	r.wm, r.ckSeq, r.restoredEpoch = m.Watermark, m.Seq, m.Epoch
	r.back.epoch = m.Epoch
	q.watermark.Store(m.Watermark)
	q.rowsIn.Store(m.RowsIn)
	q.rowsOut.Store(m.RowsOut)
	r.restoredFrom = dir
	c.atEnd = m.Finished
	return nil
}

// maybeCheckpoint takes a checkpoint when one is due.
func (r *runner) maybeCheckpoint() error {
	c := r.q.Checkpoint
	if c == nil {
		return nil
	}
	r.sinceCk++
	now := r.q.Clock.Now()
	if (c.EveryBatches > 0 && r.sinceCk >= c.EveryBatches) || (c.Every > 0 && now.Sub(r.lastCk) >= c.Every) {
		return r.checkpoint(false)
	}
	return nil
}

// checkpoint sends a checkpoint barrier down the graph, after every
// input's batches of the micro-batch (see stageMsg: the barrier is
// aligned across inputs by construction): the back stage saves the state
// reached after every batch sent before it, together with each input's
// source position taken now.
func (r *runner) checkpoint(finished bool) error {
	q := r.q
	m := checkpointMeta{Fingerprint: q.Checkpoint.Fingerprint, Watermark: r.wm,
		RowsIn: q.rowsIn.Load(), Finished: finished, Partitions: graphPartitions(r.plan.g), Parallelism: q.Parallelism}
	for i, in := range r.plan.g.Inputs {
		ic := inputCheckpoint{Table: in.Table, MaxTs: r.ins[i].maxTs, Watermark: r.ins[i].wm}
		if sk, ok := in.Source.(connectors.Seeker); ok {
			p, err := sk.Position()
			if err != nil {
				return fmt.Errorf("checkpoint: position of source %s: %w", in.Table, err)
			}
			ic.Source = p
		}
		m.Inputs = append(m.Inputs, ic)
	}
	if len(m.Inputs) == 1 {
		m.Source, m.MaxTs = m.Inputs[0].Source, m.Inputs[0].MaxTs
	}
	r.ckSeq++
	m.Seq = r.ckSeq
	r.sinceCk = 0
	r.lastCk = q.Clock.Now()
	return r.back.send(stageMsg{checkpoint: &m})
}

// writeCheckpoint runs on the back stage: it snapshots the operators (the
// back stage's nodes, which are all the stateful ones; those of its
// aheadStage come with the barrier, taken there) and the sink and writes the checkpoint atomically (a temporary directory,
// fsynced, then renamed), keeping the last two.
func (s *backStage) writeCheckpoint(m *checkpointMeta) error {
	q := s.q
	start := time.Now()
	var size int64
	dir := q.Checkpoint.Dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-chk-")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer os.RemoveAll(tmp)
	for i := s.plan.cut; i < len(s.plan.g.Nodes); i++ {
		var data []byte
		if i < s.lo { // taken by the aheadStage, which owns the operator
			var ok bool
			if data, ok = m.snaps[i]; !ok {
				continue
			}
		} else {
			sn, ok := s.plan.g.Nodes[i].Op.(Snapshotter)
			if !ok {
				continue
			}
			var buf bytes.Buffer
			if err := sn.Snapshot(&buf); err != nil {
				return fmt.Errorf("checkpoint: operator %d: %w", i, err)
			}
			data = buf.Bytes()
		}
		size += int64(len(data))
		if err := writeSynced(filepath.Join(tmp, fmt.Sprintf("op-%d.snap", i)), data); err != nil {
			return err
		}
		m.Ops = append(m.Ops, i)
	}
	if ck, ok := q.Sink.(connectors.Checkpointer); ok {
		var st []byte
		var err error
		if s.sink != nil {
			st, err = s.sink.checkpoint()
		} else {
			st, err = ck.Checkpoint()
		}
		if err != nil {
			return fmt.Errorf("checkpoint: sink: %w", err)
		}
		m.Sink = st
	}
	m.Epoch = s.epoch
	m.RowsOut = q.rowsOut.Load()
	m.Time = time.Now().UTC().Format(time.RFC3339Nano)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeSynced(filepath.Join(tmp, "meta.json"), b); err != nil {
		return err
	}
	connectors.SyncDir(tmp) // best effort: meta.json itself is synced
	final := filepath.Join(dir, "chk-"+pad(m.Seq))
	os.RemoveAll(final) // a leftover of a run that crashed after renaming
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	connectors.SyncDir(dir) // best effort
	q.checkpoints.Add(1)
	q.ckLog.add(CheckpointInfo{Seq: m.Seq, Time: time.Now(), Duration: time.Since(start), Bytes: size + int64(len(b))})
	if err := s.checkpointComplete(m); err != nil {
		return err
	}
	// Keep the last two.
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "chk-") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for len(names) > 2 {
		os.RemoveAll(filepath.Join(dir, names[0]))
		names = names[1:]
	}
	return nil
}

// checkpointComplete tells the sink and the sources that implement
// connectors.Completer that the checkpoint m is durable.
func (s *backStage) checkpointComplete(m *checkpointMeta) error {
	q := s.q
	if _, ok := q.Sink.(connectors.Completer); ok {
		st := m.Sink
		if st == nil {
			st = []byte{}
		}
		var err error
		if s.sink != nil {
			err = s.sink.checkpointComplete(st)
		} else {
			err = q.Sink.(connectors.Completer).CheckpointComplete(st)
		}
		if err != nil {
			return fmt.Errorf("checkpoint: sink: %w", err)
		}
	}
	for i, in := range s.plan.g.Inputs {
		c, ok := in.Source.(connectors.Completer)
		if !ok || i >= len(m.Inputs) || m.Inputs[i].Source == nil {
			continue
		}
		if err := c.CheckpointComplete(m.Inputs[i].Source); err != nil {
			return fmt.Errorf("checkpoint: source %s: %w", in.Table, err)
		}
	}
	return nil
}

func pad(n int64) string {
	s := strconv.FormatInt(n, 10)
	return strings.Repeat("0", max(0, 12-len(s))) + s
}

func writeSynced(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint: sync %s: %w", path, err)
	}
	return f.Close()
}
