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
type checkpointMeta struct {
	Fingerprint string `json:"fingerprint"`
	Seq         int64  `json:"seq"`
	Epoch       int64  `json:"epoch"`
	Watermark   int64  `json:"watermark"`
	MaxTs       int64  `json:"max_ts"`
	Source      []byte `json:"source,omitempty"`
	Sink        []byte `json:"sink,omitempty"`
	Ops         []int  `json:"ops"` // pipeline indexes with a snapshot file
	RowsIn      int64  `json:"rows_in"`
	RowsOut     int64  `json:"rows_out"`
	Finished    bool   `json:"finished"`
	Time        string `json:"time"`
}

// checkStateful refuses pipelines with state that checkpoints cannot save.
func (q *Query) checkStateful() error {
	for _, op := range q.Pipeline {
		switch op.(type) {
		case Snapshotter:
		case *Sort:
			return fmt.Errorf("checkpoints cannot save ORDER BY's buffered rows yet: drop ORDER BY or run without --checkpoint-dir")
		}
	}
	return nil
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
	for _, i := range m.Ops {
		s, ok := q.Pipeline[i].(Snapshotter)
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
	if sk, ok := q.Input.Source.(connectors.Seeker); ok && m.Source != nil {
		if err := sk.Seek(m.Source); err != nil {
			return fmt.Errorf("checkpoint %s: source: %w", dir, err)
		}
	}
	r.wm, r.maxTs, r.ckSeq, r.restoredEpoch = m.Watermark, m.MaxTs, m.Seq, m.Epoch
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

// checkpoint sends a checkpoint barrier down the pipeline: the back stage
// saves the state reached after every batch sent before it, together with
// the source position taken now.
func (r *runner) checkpoint(finished bool) error {
	q := r.q
	var pos []byte
	if sk, ok := q.Input.Source.(connectors.Seeker); ok {
		p, err := sk.Position()
		if err != nil {
			return fmt.Errorf("checkpoint: source position: %w", err)
		}
		pos = p
	}
	r.ckSeq++
	r.sinceCk = 0
	r.lastCk = q.Clock.Now()
	m := checkpointMeta{Fingerprint: q.Checkpoint.Fingerprint, Seq: r.ckSeq, Watermark: r.wm, MaxTs: r.maxTs,
		Source: pos, RowsIn: q.rowsIn.Load(), Finished: finished}
	return r.back.send(stageMsg{checkpoint: &m})
}

// writeCheckpoint runs on the back stage: it snapshots the operators and
// the sink and writes the checkpoint atomically (a temporary directory,
// fsynced, then renamed), keeping the last two.
func (s *backStage) writeCheckpoint(m *checkpointMeta) error {
	q := s.q
	dir := q.Checkpoint.Dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-chk-")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer os.RemoveAll(tmp)
	for i, op := range q.Pipeline {
		sn, ok := op.(Snapshotter)
		if !ok {
			continue
		}
		var buf bytes.Buffer
		if err := sn.Snapshot(&buf); err != nil {
			return fmt.Errorf("checkpoint: operator %d: %w", i, err)
		}
		if err := writeSynced(filepath.Join(tmp, fmt.Sprintf("op-%d.snap", i)), buf.Bytes()); err != nil {
			return err
		}
		m.Ops = append(m.Ops, i)
	}
	if ck, ok := q.Sink.(connectors.Checkpointer); ok {
		st, err := ck.Checkpoint()
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
	syncDir(tmp)
	final := filepath.Join(dir, "chk-"+pad(m.Seq))
	os.RemoveAll(final) // a leftover of a run that crashed after renaming
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	syncDir(dir)
	q.checkpoints.Add(1)
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

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
