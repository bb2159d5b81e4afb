package file

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
)

// RollingSink writes one file per micro-batch that produced rows, named
// <path>-<batch time in ms>.<suffix>, as Spark's saveAsTextFiles(prefix,
// suffix) does (option rolling = 'batch'). A batch without rows makes no
// file.
//
// A batch's rows go to a hidden file in the same directory,
// .<base>.inprogress.tmp, and Commit (once per batch) renames it: to its
// final name at once when the query is not checkpointed, or else to
// .<name>.tmp, a pending file that Checkpoint renames to <name>. So a file
// appears whole or not at all, and with checkpoints only when the
// checkpoint that covers it is taken. Its checkpoint state is the time of
// the last published file; Restore deletes the files published after it
// and every pending file, so the output after a crash equals one run.
//
// Batch times come from BatchTime, which exec calls before each Commit
// (connectors.BatchTimer); if two batches fall in the same millisecond the
// later one is named a millisecond later, so names never repeat.
type RollingSink struct {
	table   string
	dir     string // the directory of the files
	base    string // the file name prefix: the path option's last element
	suffix  string // ".json", or "" for none
	fmtName string
	schema  *arrow.Schema
	opts    map[string]string
	ckpt    bool // the query is checkpointed: publish at Checkpoint

	cur       *os.File // the batch being written, or nil
	enc       format.Encoder
	rows      int64     // rows written to cur
	batchTime time.Time // set by BatchTime, zero if not
	last      int64     // the ms of the last file named (published or pending)
	published int64     // the ms of the last file published
	pending   []string  // names of files committed but not yet published
	err       error
	closed    bool
}

var (
	_ connectors.Sink         = (*RollingSink)(nil)
	_ connectors.Checkpointer = (*RollingSink)(nil)
	_ connectors.BatchTimer   = (*RollingSink)(nil)
)

// rollingState is a RollingSink's checkpoint state, as JSON.
type rollingState struct {
	// Last is the batch time (ms) of the last file published, 0 if none.
	Last int64 `json:"last"`
}

// rollingOption reads option rolling: 'none' (the default: one file) or
// 'batch' (one file per batch).
func rollingOption(opts map[string]string) (perBatch bool, err error) {
	switch v := strings.ToLower(strings.TrimSpace(opts["rolling"])); v {
	case "", "none":
		return false, nil
	case "batch":
		return true, nil
	}
	return false, fmt.Errorf("option rolling: want 'none' or 'batch', got %q", opts["rolling"])
}

// suffixOption reads option suffix: the files' extension, with or without
// its dot; by default the format's usual one ("json", "csv", "txt"). An
// empty suffix names files <path>-<ms>.
func suffixOption(opts map[string]string, fmtName string) string {
	v, ok := opts["suffix"]
	if !ok {
		v = map[string]string{"csv": "csv", "text": "txt"}[strings.ToLower(fmtName)]
		if v == "" {
			v = "json"
		}
	}
	if v = strings.TrimPrefix(v, "."); v == "" {
		return ""
	}
	return "." + v
}

// newRollingSink opens a RollingSink; fmtName is checked already.
func newRollingSink(spec connectors.SinkSpec, path, fmtName string) (*RollingSink, error) {
	if fi, err := os.Stat(path); strings.HasSuffix(path, "/") || err == nil && fi.IsDir() {
		return nil, fmt.Errorf("table %s: option path: with rolling = 'batch' the path is a file name prefix (such as 'out/counts'), not a directory", spec.Table)
	}
	dir, base := filepath.Dir(path), filepath.Base(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("table %s: option path: directory %s does not exist", spec.Table, dir)
	}
	return &RollingSink{table: spec.Table, dir: dir, base: base, suffix: suffixOption(spec.Options, fmtName),
		fmtName: fmtName, schema: spec.Schema, opts: spec.Options, ckpt: spec.Checkpointed}, nil
}

// fileName is the name of the file of the batch at ms.
func (s *RollingSink) fileName(ms int64) string {
	return s.base + "-" + strconv.FormatInt(ms, 10) + s.suffix
}

// inProgress is the path of the file of the batch being written.
func (s *RollingSink) inProgress() string {
	return filepath.Join(s.dir, "."+s.base+".inprogress.tmp")
}

func (s *RollingSink) fileError(op, path string, err error) error {
	return fmt.Errorf("table %s: %w", s.table, fileOpError(op, path, err))
}

func (s *RollingSink) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return err
}

func (s *RollingSink) usable() error {
	if s.closed {
		return fmt.Errorf("table %s: sink is closed", s.table)
	}
	return s.err
}

// Write encodes batch into the current batch's file and releases it.
func (s *RollingSink) Write(batch arrow.RecordBatch) error {
	defer batch.Release()
	if err := s.usable(); err != nil {
		return err
	}
	if batch.NumRows() == 0 {
		return nil
	}
	if s.cur == nil {
		f, err := os.OpenFile(s.inProgress(), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return s.fail(s.fileError("open", s.inProgress(), err))
		}
		enc, err := format.NewEncoder(s.fmtName, s.schema, rollingWriter{s, f}, s.opts)
		if err != nil {
			f.Close()
			return s.fail(fmt.Errorf("table %s: %w", s.table, err))
		}
		s.cur, s.enc = f, enc
	}
	s.rows += batch.NumRows()
	if err := s.enc.Encode(batch); err != nil {
		return s.fail(fmt.Errorf("table %s: %w", s.table, err))
	}
	return nil
}

// rollingWriter writes encoded rows to the current batch's file.
type rollingWriter struct {
	s *RollingSink
	f *os.File
}

func (w rollingWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		return n, fileOpError("write", w.s.inProgress(), err)
	}
	return n, nil
}

// BatchTime sets the time of the batch the next Commit ends. It
// implements connectors.BatchTimer.
func (s *RollingSink) BatchTime(t time.Time) { s.batchTime = t }

// Commit ends a batch: its file, if it has rows, is renamed to its final
// name, or to a pending name when the query is checkpointed.
func (s *RollingSink) Commit(epoch int64) error {
	if err := s.usable(); err != nil {
		return err
	}
	t := s.batchTime
	s.batchTime = time.Time{}
	if s.cur == nil {
		return nil
	}
	if t.IsZero() {
		t = time.Now()
	}
	ms := max(t.UnixMilli(), s.last+1)
	if err := s.enc.Flush(); err != nil {
		return s.fail(fmt.Errorf("table %s: %w", s.table, err))
	}
	if s.ckpt {
		if err := s.cur.Sync(); err != nil {
			return s.fail(s.fileError("fsync", s.inProgress(), err))
		}
	}
	if err := s.cur.Close(); err != nil {
		return s.fail(s.fileError("close", s.inProgress(), err))
	}
	s.cur, s.enc, s.rows = nil, nil, 0
	name := s.fileName(ms)
	to := filepath.Join(s.dir, name)
	if s.ckpt {
		to = filepath.Join(s.dir, "."+name+".tmp")
	}
	if err := os.Rename(s.inProgress(), to); err != nil {
		return s.fail(s.fileError("rename", s.inProgress()+" to "+to, err))
	}
	s.last = ms
	if s.ckpt {
		s.pending = append(s.pending, name)
	} else {
		s.published = ms
	}
	return nil
}

// Checkpoint publishes the pending files, durably, and returns the time of
// the last one as JSON {"last":ms}. It implements connectors.Checkpointer.
func (s *RollingSink) Checkpoint() ([]byte, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	if err := s.publish(); err != nil {
		return nil, err
	}
	return json.Marshal(rollingState{Last: s.published})
}

// publish renames the pending files to their final names.
func (s *RollingSink) publish() error {
	if len(s.pending) == 0 {
		return nil
	}
	for _, name := range s.pending {
		from := filepath.Join(s.dir, "."+name+".tmp")
		if err := os.Rename(from, filepath.Join(s.dir, name)); err != nil {
			return s.fail(s.fileError("rename", from+" to "+name, err))
		}
	}
	if err := connectors.SyncDir(s.dir); err != nil {
		return s.fail(s.fileError("fsync", s.dir, err))
	}
	s.published = s.last
	s.pending = s.pending[:0]
	return nil
}

// Restore deletes the files published after the state (a state Checkpoint
// returned) and every pending or unfinished file of this sink's prefix;
// it must come before the first Write. It implements
// connectors.Checkpointer.
func (s *RollingSink) Restore(state []byte) error {
	if err := s.usable(); err != nil {
		return err
	}
	if s.cur != nil || s.last != 0 {
		return fmt.Errorf("table %s: Restore must come once, before the first Write", s.table)
	}
	var st rollingState
	if err := json.Unmarshal(state, &st); err != nil || st.Last < 0 {
		return fmt.Errorf("table %s: invalid file sink state %q", s.table, state)
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return s.fileError("list", s.dir, err)
	}
	removed := false
	for _, e := range entries {
		name := e.Name()
		ms, hidden, ok := s.parseName(name)
		stale := ok && (hidden || ms > st.Last) || name == "."+s.base+".inprogress.tmp"
		if !stale {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil {
			return s.fileError("remove", filepath.Join(s.dir, name), err)
		}
		removed = true
	}
	if removed {
		if err := connectors.SyncDir(s.dir); err != nil {
			return s.fileError("fsync", s.dir, err)
		}
	}
	s.last, s.published = st.Last, st.Last
	return nil
}

// parseName reports whether name is one of this sink's files, published
// (<base>-<ms><suffix>) or pending (hidden: .<base>-<ms><suffix>.tmp), and
// its batch time.
func (s *RollingSink) parseName(name string) (ms int64, hidden, ok bool) {
	if strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp") {
		name, hidden = name[1:len(name)-len(".tmp")], true
	}
	rest, ok := strings.CutPrefix(name, s.base+"-")
	if !ok {
		return 0, false, false
	}
	rest, ok = strings.CutSuffix(rest, s.suffix)
	if !ok || rest == "" || strings.TrimLeft(rest, "0123456789") != "" {
		return 0, false, false
	}
	ms, err := strconv.ParseInt(rest, 10, 64)
	return ms, hidden, err == nil
}

// Close commits a batch left open and publishes the pending files (a last
// checkpoint). After a failure the files are left as they are, for
// Restore to clean up.
func (s *RollingSink) Close() error {
	if s.closed {
		return nil
	}
	err := s.err
	if err == nil && s.cur != nil {
		err = s.Commit(0)
	}
	s.closed = true
	if err == nil {
		err = s.publish()
	}
	if s.cur != nil {
		s.cur.Close()
		s.cur = nil
	}
	return err
}
