package kafka

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// A spill file holds the records a checkpointed sink will send in one
// transaction once its checkpoint is durable. Each record is its key and
// its value, each as a uvarint of its length plus one (0 for null)
// followed by its bytes. The records written since the last checkpoint
// are in spillPending; Checkpoint renames it to spillName(n).
const (
	spillPending = "pending.rec"
	spillPrefix  = "spill-"
	spillSuffix  = ".rec"
)

// spillName is the name of checkpoint n's spill file.
func spillName(n int64) string { return fmt.Sprintf("%s%012d%s", spillPrefix, n, spillSuffix) }

// spillNumber returns the checkpoint number of a spill file's name, and
// whether name is one.
func spillNumber(name string) (int64, bool) {
	if !strings.HasPrefix(name, spillPrefix) || !strings.HasSuffix(name, spillSuffix) {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(name, spillPrefix), spillSuffix), 10, 64)
	return n, err == nil && n > 0
}

// spillFiles lists the checkpoint numbers of the spill files in dir,
// in increasing order.
func spillFiles(dir string) ([]int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, e := range entries {
		if n, ok := spillNumber(e.Name()); ok {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// spillWriter appends records to the pending spill file.
type spillWriter struct {
	path string
	f    *os.File
	w    *bufio.Writer
	size int64 // bytes written, buffered included
	tmp  [binary.MaxVarintLen64]byte
}

// openSpill creates (or truncates) the pending spill file at path.
func openSpill(path string) (*spillWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return &spillWriter{path: path, f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// add appends one record; a nil key or value is null.
func (s *spillWriter) add(key, value []byte) error {
	for _, b := range [][]byte{key, value} {
		var l uint64
		if b != nil {
			l = uint64(len(b)) + 1
		}
		k := binary.PutUvarint(s.tmp[:], l)
		if _, err := s.w.Write(s.tmp[:k]); err != nil {
			return err
		}
		if _, err := s.w.Write(b); err != nil {
			return err
		}
		s.size += int64(k + len(b))
	}
	return nil
}

// sync writes the buffered records and makes the file durable.
func (s *spillWriter) sync() error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	return s.f.Sync()
}

// close closes the file.
func (s *spillWriter) close() error { return s.f.Close() }

// readSpill calls fn with each record of the first size bytes of the
// spill file at path; the slices are fn's to keep.
func readSpill(path string, size int64, fn func(key, value []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < size {
		return fmt.Errorf("%s is %d bytes, shorter than the checkpointed %d; it was changed outside Weir", path, fi.Size(), size)
	}
	r := bufio.NewReaderSize(io.LimitReader(f, size), 256<<10)
	field := func() ([]byte, error) {
		l, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		if l == 0 {
			return nil, nil
		}
		if l-1 > uint64(size) {
			return nil, fmt.Errorf("%s is damaged: a record of %d bytes", path, l-1)
		}
		b := make([]byte, l-1)
		_, err = io.ReadFull(r, b)
		return b, err
	}
	for {
		key, err := field()
		if err == io.EOF {
			return nil
		}
		var value []byte
		if err == nil {
			value, err = field()
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%s is damaged: it ends inside a record", path)
			}
			return err
		}
		if err := fn(key, value); err != nil {
			return err
		}
	}
}

// spillPath is the path of file name in dir.
func spillPath(dir, name string) string { return filepath.Join(dir, name) }
