package postgres

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/jackc/pgx/v5"

	"github.com/weirdb/weir/connectors"
)

// spillPrefix and spillSuffix name a checkpoint's spill file in the state
// directory: spill-<checkpoint number>.arrow.
const (
	spillPrefix = "spill-"
	spillSuffix = ".arrow"
)

func spillName(n int64) string { return fmt.Sprintf("%s%012d%s", spillPrefix, n, spillSuffix) }

// spillNumber returns the checkpoint number of a spill file's name.
func spillNumber(name string) (int64, bool) {
	if !strings.HasPrefix(name, spillPrefix) || !strings.HasSuffix(name, spillSuffix) {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(name, spillPrefix), spillSuffix), 10, 64)
	return n, err == nil
}

// spillWriter appends batches to a spill file as an Arrow IPC stream.
type spillWriter struct {
	f      *os.File
	buf    *bufio.Writer
	w      *ipc.Writer
	schema *arrow.Schema
	name   string
}

// createSpill creates (or truncates) the spill file of checkpoint n.
func createSpill(dir string, n int64, schema *arrow.Schema) (*spillWriter, error) {
	name := spillName(n)
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("spill file: %w", err)
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	return &spillWriter{f: f, buf: buf, w: ipc.NewWriter(buf, ipc.WithSchema(schema)), schema: schema, name: name}, nil
}

func (w *spillWriter) write(b arrow.RecordBatch) error {
	if !b.Schema().Equal(w.schema) {
		if !sameTypes(b.Schema(), w.schema) {
			return fmt.Errorf("a batch of columns %s, want %s", b.Schema(), w.schema)
		}
		// The same columns, told apart only by nullability or metadata.
		b = array.NewRecordBatch(w.schema, b.Columns(), b.NumRows())
		defer b.Release()
	}
	if err := w.w.Write(b); err != nil {
		return fmt.Errorf("spill file %s: %w", w.f.Name(), err)
	}
	return nil
}

// sameTypes reports whether a and b have the same column types in order.
func sameTypes(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		if !arrow.TypeEqual(a.Field(i).Type, b.Field(i).Type) {
			return false
		}
	}
	return true
}

// finish ends the stream, fsyncs and closes the file, and returns its size.
func (w *spillWriter) finish() (int64, error) {
	err := w.w.Close()
	if err == nil {
		err = w.buf.Flush()
	}
	if err == nil {
		err = w.f.Sync()
	}
	var size int64
	if err == nil {
		var st os.FileInfo
		if st, err = w.f.Stat(); err == nil {
			size = st.Size()
		}
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("spill file %s: %w", w.f.Name(), err)
	}
	if err := connectors.SyncDir(filepath.Dir(w.f.Name())); err != nil {
		return 0, fmt.Errorf("spill file %s: %w", w.f.Name(), err)
	}
	return size, nil
}

// discard closes and removes the file.
func (w *spillWriter) discard() {
	w.w.Close()
	w.f.Close()
	os.Remove(w.f.Name())
}

// sinkState is the sink's checkpoint state, as JSON.
type sinkState struct {
	// N is the checkpoint's number, the sink's own count.
	N int64 `json:"n"`
	// File is the spill file of the rows written since checkpoint N-1;
	// empty when there were none.
	File string `json:"file,omitempty"`
	// Size is the spill file's length.
	Size int64 `json:"size,omitempty"`
}

// begin runs at the first Write, Commit or Checkpoint of a sink that was
// not restored: spill files of an earlier run that no checkpoint covers
// are removed (their rows will be written again).
func (s *Sink) begin() error {
	s.began = true
	if !s.checkpointed {
		return nil
	}
	return s.removeSpills()
}

// removeSpills removes every spill file in the state directory.
func (s *Sink) removeSpills() error {
	entries, err := os.ReadDir(s.stateDir)
	if err != nil && !os.IsNotExist(err) {
		return s.fail(s.errorf("state directory: %v", err))
	}
	for _, e := range entries {
		if _, ok := spillNumber(e.Name()); ok {
			if err := os.Remove(filepath.Join(s.stateDir, e.Name())); err != nil {
				return s.fail(s.errorf("state directory: %v", err))
			}
		}
	}
	return nil
}

// Checkpoint ends the current spill file: it is fsynced, and the state
// names it with the next checkpoint number. Nothing reaches the table
// until CheckpointComplete. Without checkpoints (a Checkpoint nobody
// asked for) it returns no state.
func (s *Sink) Checkpoint() ([]byte, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	if !s.checkpointed {
		return nil, nil
	}
	if !s.began {
		if err := s.begin(); err != nil {
			return nil, err
		}
	}
	st := sinkState{N: s.n + 1}
	if s.spill != nil {
		size, err := s.spill.finish()
		st.File, st.Size = s.spill.name, size
		s.spill = nil
		if err != nil {
			return nil, s.fail(s.errorf("%v", err))
		}
	}
	s.n = st.N
	return json.Marshal(st)
}

// CheckpointComplete writes the checkpoint's spill file to the table in
// one transaction that also records the checkpoint in the progress
// table, then removes the file.
func (s *Sink) CheckpointComplete(state []byte) error {
	if err := s.usable(); err != nil {
		return err
	}
	if !s.checkpointed || len(state) == 0 {
		return nil
	}
	st, err := s.parseState(state)
	if err != nil {
		return s.fail(err)
	}
	return s.fail(s.publish(st))
}

// Restore continues from a checkpoint's state after a restart: if the
// checkpoint's rows are not in the table yet (the crash came before its
// CheckpointComplete finished), they are written now; spill files written
// after it are removed, and numbering goes on from it.
func (s *Sink) Restore(state []byte) error {
	if err := s.usable(); err != nil {
		return err
	}
	if !s.checkpointed {
		return nil
	}
	st, err := s.parseState(state)
	if err != nil {
		return s.fail(err)
	}
	if err := s.publish(st); err != nil {
		return s.fail(err)
	}
	if err := s.removeSpills(); err != nil {
		return err
	}
	s.n, s.began = st.N, true
	return nil
}

func (s *Sink) parseState(state []byte) (sinkState, error) {
	var st sinkState
	if err := json.Unmarshal(state, &st); err != nil || st.N < 1 {
		return st, s.errorf("corrupt checkpoint state %q", state)
	}
	if st.File != "" && (filepath.Base(st.File) != st.File || st.File != spillName(st.N)) {
		return st, s.errorf("corrupt checkpoint state %q", state)
	}
	return st, nil
}

// publish writes checkpoint st's spill file to the table unless the
// progress table says it is there already, and removes the file.
func (s *Sink) publish(st sinkState) error {
	if st.File == "" {
		return nil
	}
	path := filepath.Join(s.stateDir, st.File)
	err := s.retry(fmt.Sprintf("writing checkpoint %d", st.N), func(ctx context.Context, conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO "+s.progress+" (sink, epoch) VALUES ($1, 0) ON CONFLICT (sink) DO NOTHING", s.opts.progressKey); err != nil {
				return err
			}
			var done int64
			if err := tx.QueryRow(ctx, "SELECT epoch FROM "+s.progress+" WHERE sink = $1 FOR UPDATE", s.opts.progressKey).Scan(&done); err != nil {
				return err
			}
			if done >= st.N {
				return nil // written before a crash
			}
			if err := s.applySpill(ctx, tx, path, st.Size); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "UPDATE "+s.progress+" SET epoch = $2 WHERE sink = $1", s.opts.progressKey, st.N)
			return err
		})
	})
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return s.errorf("state directory: %v", err)
	}
	return nil
}

// spillError is a spill file that cannot be read: not worth a retry.
type spillError struct{ err error }

func (e spillError) Error() string { return e.err.Error() }

// applySpill writes the rows of the spill file at path in tx.
func (s *Sink) applySpill(ctx context.Context, tx pgx.Tx, path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return spillError{fmt.Errorf("the checkpoint's rows are missing: %w", err)}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() < size {
		return spillError{fmt.Errorf("spill file %s: %d bytes, the checkpoint wrote %d", path, st.Size(), size)}
	}
	r, err := ipc.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return spillError{fmt.Errorf("spill file %s: %w", path, err)}
	}
	defer r.Release()
	return s.apply(ctx, tx, func() (arrow.RecordBatch, error) {
		if r.Next() {
			return r.RecordBatch(), nil
		}
		if err := r.Err(); err != nil && err != io.EOF {
			return nil, spillError{fmt.Errorf("spill file %s: %w", path, err)}
		}
		return nil, io.EOF
	})
}
