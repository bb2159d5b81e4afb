package file

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/vector"
)

// pendingSuffix names the file that holds a sink's output since its last
// checkpoint: <path>.pending.
const pendingSuffix = ".pending"

// Sink writes rows to one file as JSON lines, CSV or text, exactly once when the
// query checkpoints (it is a connectors.Checkpointer).
//
// Rows go first to <path>.pending: Write buffers them and Commit (once per
// micro-batch) writes them there. Checkpoint moves them to <path>: it
// appends the pending file to it (or renames the pending file to it while
// <path> is empty), fsyncs it, and empties the pending file; its state is
// <path>'s length. So readers of <path> see only checkpointed output, and
// Restore, after a crash, cuts <path> back to a checkpoint's length,
// dropping whatever a checkpoint that never completed appended.
//
// A new sink leaves an existing <path> alone until its first Checkpoint
// or Close, which replaces it (the output of a run without checkpoints
// starts empty, as if NewSink had truncated it); Restore, called instead
// before the first Write, keeps it up to the checkpoint's length. Close
// is a last Checkpoint that also removes the pending file, so after a
// run without checkpoints <path> holds everything written. A CSV header
// is written once, at the start of <path>: a sink restored to a non-empty
// <path> writes none.
type Sink struct {
	table    string
	path     string // the final file
	pendPath string // path + pendingSuffix
	fmtName  string
	schema   *arrow.Schema
	opts     map[string]string

	pend     *os.File // the pending file; nil once Close renamed it
	pendLen  int64    // bytes written to pend since the last checkpoint
	final    *os.File // the final file; nil until the first checkpoint or Restore
	finalLen int64    // the final file's checkpointed length
	enc      format.Encoder
	wrote    bool  // Write was called
	restored bool  // Restore was called
	err      error // a write error, returned again by every call
	closed   bool
}

var (
	_ connectors.Sink         = (*Sink)(nil)
	_ connectors.Checkpointer = (*Sink)(nil)
)

// sinkState is a Sink's checkpoint state, as Checkpoint encodes it in JSON.
type sinkState struct {
	// Length is the final file's length after the checkpoint.
	Length int64 `json:"length"`
}

// NewSink opens a sink of the file named by spec's path option; its
// directory must exist. The format is option format ("json", the default,
// "csv" or "text"), or "csv" or "text" if it is left out and the path ends
// in .csv or .txt. With option rolling = 'batch' the result is a
// *RollingSink, which writes a file per batch. Otherwise it is a *Sink: it
// creates (or truncates) <path>.pending at once, and replaces <path> at
// the first Checkpoint or Close unless Restore comes first; see Sink.
func NewSink(spec connectors.SinkSpec) (connectors.Sink, error) {
	path := spec.Options["path"]
	if path == "" {
		return nil, fmt.Errorf("table %s: connector 'file' needs option path (the file to write)", spec.Table)
	}
	fmtName := sinkFormat(spec.Options)
	if err := checkChangelog(spec); err != nil {
		return nil, err
	}
	// Check the options before touching the file.
	if _, err := format.NewEncoder(fmtName, spec.Schema, io.Discard, spec.Options); err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	perBatch, err := rollingOption(spec.Options)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	if perBatch {
		return newRollingSink(spec, path, fmtName)
	}
	s := &Sink{table: spec.Table, path: path, pendPath: path + pendingSuffix, fmtName: fmtName, schema: spec.Schema, opts: spec.Options}
	if err := s.openPending(); err != nil {
		return nil, err
	}
	if err := s.newEncoder(false); err != nil {
		s.pend.Close()
		os.Remove(s.pendPath)
		return nil, err
	}
	return s, nil
}

// checkChangelog refuses an updating query's rows unless the options ask
// for a changelog, and changelog = 'true' with a format other than json.
func checkChangelog(spec connectors.SinkSpec) error {
	on, err := format.ChangelogOption(spec.Options)
	if err != nil {
		return fmt.Errorf("table %s: %w", spec.Table, err)
	}
	if on || vector.IsChangelog(spec.Schema) {
		if err := AcceptsChangelog(spec.Options); err != nil {
			return fmt.Errorf("table %s: %w", spec.Table, err)
		}
	}
	return nil
}

// openPending creates (or truncates) the pending file.
func (s *Sink) openPending() error {
	f, err := os.OpenFile(s.pendPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return s.fileError("open", s.pendPath, err)
	}
	s.pend, s.pendLen = f, 0
	return nil
}

// newEncoder makes the encoder, which writes to the pending file; with
// noHeader it writes no CSV header.
func (s *Sink) newEncoder(noHeader bool) error {
	opts := s.opts
	if noHeader {
		opts = maps.Clone(opts)
		opts["header"] = "false"
	}
	enc, err := format.NewEncoder(s.fmtName, s.schema, pendingWriter{s}, opts)
	if err != nil {
		return fmt.Errorf("table %s: %w", s.table, err)
	}
	s.enc = enc
	return nil
}

// pendingWriter writes the encoder's output to the pending file.
type pendingWriter struct{ s *Sink }

func (w pendingWriter) Write(p []byte) (int, error) {
	n, err := w.s.pend.Write(p)
	w.s.pendLen += int64(n)
	if err != nil {
		return n, fileOpError("write", w.s.pendPath, err)
	}
	return n, nil
}

// fileOpError says "op path: cause", without the *os.PathError's or
// *os.LinkError's own (possibly different) operation and paths.
func fileOpError(op, path string, err error) error {
	var pe *os.PathError
	var le *os.LinkError
	if errors.As(err, &pe) {
		err = pe.Err
	} else if errors.As(err, &le) {
		err = le.Err
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}

// fileError is fileOpError naming the table.
func (s *Sink) fileError(op, path string, err error) error {
	return fmt.Errorf("table %s: %w", s.table, fileOpError(op, path, err))
}

// fail makes err the sink's error, returned by every later call.
func (s *Sink) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return err
}

// Abort implements connectors.Aborter: the query failed before it
// restored its checkpoint, so Close leaves the published file as it is.
func (s *Sink) Abort() {
	s.fail(fmt.Errorf("table %s: the query stopped before it restored its checkpoint", s.table))
}

// usable returns why the sink cannot be used, or nil.
func (s *Sink) usable() error {
	if s.closed {
		return fmt.Errorf("table %s: sink is closed", s.table)
	}
	return s.err
}

// Write encodes batch and releases it.
func (s *Sink) Write(batch arrow.RecordBatch) error {
	defer batch.Release()
	if err := s.usable(); err != nil {
		return err
	}
	s.wrote = true
	if err := s.enc.Encode(batch); err != nil {
		return s.fail(fmt.Errorf("table %s: %w", s.table, err))
	}
	return nil
}

// Commit writes everything written so far to the pending file (without
// fsync); Checkpoint makes it visible in the final file.
func (s *Sink) Commit(epoch int64) error {
	if err := s.usable(); err != nil {
		return err
	}
	if err := s.enc.Flush(); err != nil {
		return s.fail(fmt.Errorf("table %s: %w", s.table, err))
	}
	return nil
}

// Checkpoint moves everything written so far to the final file, durably,
// and returns the final file's length as JSON {"length":N}. It implements
// connectors.Checkpointer.
func (s *Sink) Checkpoint() ([]byte, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	if err := s.publish(false); err != nil {
		return nil, err
	}
	return json.Marshal(sinkState{Length: s.finalLen})
}

// Restore cuts the final file back to the length in state, a state
// Checkpoint returned, and drops the pending output; it must come before
// the first Write. The final file must be at least that long. It
// implements connectors.Checkpointer.
func (s *Sink) Restore(state []byte) error {
	if err := s.usable(); err != nil {
		return err
	}
	if s.wrote || s.restored || s.final != nil {
		return fmt.Errorf("table %s: Restore must come once, before the first Write and Checkpoint", s.table)
	}
	var st sinkState
	if err := json.Unmarshal(state, &st); err != nil || st.Length < 0 {
		return fmt.Errorf("table %s: invalid file sink state %q", s.table, state)
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return s.fileError("open", s.path, err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() < st.Length {
		err = fmt.Errorf("table %s: %s is %d bytes, shorter than the checkpointed %d; it was changed outside Weir", s.table, s.path, fi.Size(), st.Length)
	} else if err != nil {
		err = s.fileError("stat", s.path, err)
	} else if fi.Size() > st.Length {
		if err = f.Truncate(st.Length); err != nil {
			err = s.fileError("truncate", s.path, err)
		} else if err = f.Sync(); err != nil {
			err = s.fileError("fsync", s.path, err)
		}
	}
	if err != nil {
		f.Close()
		return err
	}
	s.final, s.finalLen, s.restored = f, st.Length, true
	// Drop the pending output: a crashed run's, or a header.
	if err := s.resetPending(); err != nil {
		return s.fail(err)
	}
	return s.newEncoder(st.Length > 0)
}

// resetPending empties the pending file.
func (s *Sink) resetPending() error {
	if err := s.pend.Truncate(0); err != nil {
		return s.fileError("truncate", s.pendPath, err)
	}
	if _, err := s.pend.Seek(0, io.SeekStart); err != nil {
		return s.fileError("seek", s.pendPath, err)
	}
	s.pendLen = 0
	return nil
}

// publish flushes the encoder and moves the pending file's content to the
// final file, durably. When closing, it leaves no pending file open.
func (s *Sink) publish(closing bool) error {
	if err := s.enc.Flush(); err != nil {
		return s.fail(fmt.Errorf("table %s: %w", s.table, err))
	}
	switch {
	case s.final == nil || s.finalLen == 0 && s.pendLen > 0:
		// The final file is to be replaced (the first checkpoint of a
		// sink that was not restored) or is empty: the pending file
		// becomes it.
		if err := s.pend.Sync(); err != nil {
			return s.fail(s.fileError("fsync", s.pendPath, err))
		}
		if err := os.Rename(s.pendPath, s.path); err != nil {
			return s.fail(s.fileError("rename", s.pendPath+" to "+s.path, err))
		}
		if err := connectors.SyncDir(filepath.Dir(s.path)); err != nil {
			return s.fail(s.fileError("fsync", filepath.Dir(s.path), err))
		}
		if s.final != nil {
			s.final.Close()
		}
		s.final, s.finalLen = s.pend, s.pendLen
		s.pend, s.pendLen = nil, 0
		if closing {
			return nil
		}
		return s.fail(s.openPending())
	case s.pendLen > 0:
		if _, err := s.pend.Seek(0, io.SeekStart); err != nil {
			return s.fail(s.fileError("seek", s.pendPath, err))
		}
		if _, err := s.final.Seek(s.finalLen, io.SeekStart); err != nil {
			return s.fail(s.fileError("seek", s.path, err))
		}
		n, err := s.final.ReadFrom(io.LimitReader(s.pend, s.pendLen))
		if err == nil && n != s.pendLen {
			err = fmt.Errorf("copied %d of %d bytes of %s", n, s.pendLen, s.pendPath)
		}
		if err != nil {
			return s.fail(s.fileError("append to", s.path, err))
		}
		// A failed earlier append may have left bytes after the end.
		if err := s.final.Truncate(s.finalLen + n); err != nil {
			return s.fail(s.fileError("truncate", s.path, err))
		}
		if err := s.final.Sync(); err != nil {
			return s.fail(s.fileError("fsync", s.path, err))
		}
		s.finalLen += n
	}
	if closing {
		return nil
	}
	return s.fail(s.resetPending())
}

// Close moves everything written to the final file (a last checkpoint),
// removes the pending file and closes the files. After a failure the
// pending file is kept.
func (s *Sink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.err
	if err == nil {
		err = s.publish(true)
	}
	if s.pend != nil {
		s.pend.Close()
		if err == nil {
			if rerr := os.Remove(s.pendPath); rerr != nil {
				err = s.fileError("remove", s.pendPath, rerr)
			}
		}
	}
	if s.final != nil {
		if cerr := s.final.Close(); err == nil && cerr != nil {
			err = s.fileError("close", s.path, cerr)
		}
	}
	return err
}
