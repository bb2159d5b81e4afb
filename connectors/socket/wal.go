package socket

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/weirdb/weir/connectors"
)

// The write-ahead log's files: wal-<offset>.log starts a connection's
// input, wal-<offset>.cont.log continues the previous segment's
// connection (a rotation); <offset> is the log offset of the segment's
// first byte, 20 digits.
const (
	walPrefix = "wal-"
	walSuffix = ".log"
	walCont   = ".cont"
	// defaultSegmentBytes is the size at which a segment is rotated.
	defaultSegmentBytes = 64 << 20
)

// segFile is an open segment being appended to.
type segFile interface {
	io.Writer
	Sync() error
	Close() error
}

// createSegment creates (or truncates) a segment file for appending. Tests
// replace it to inject write errors.
var createSegment = func(path string) (segFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// segment is one file of the log.
type segment struct {
	first int64 // log offset of its first byte
	conn  bool  // it starts a connection's input
}

func (g segment) name() string {
	s := walPrefix + fmt.Sprintf("%020d", g.first)
	if !g.conn {
		s += walCont
	}
	return s + walSuffix
}

// parseSegment parses a segment file name.
func parseSegment(name string) (segment, bool) {
	if !strings.HasPrefix(name, walPrefix) || !strings.HasSuffix(name, walSuffix) {
		return segment{}, false
	}
	mid := strings.TrimSuffix(strings.TrimPrefix(name, walPrefix), walSuffix)
	g := segment{conn: true}
	if m, ok := strings.CutSuffix(mid, walCont); ok {
		mid, g.conn = m, false
	}
	n, err := strconv.ParseInt(mid, 10, 64)
	if err != nil || n < 0 || len(mid) != 20 {
		return segment{}, false
	}
	g.first = n
	return g, true
}

// wal is a socket source's write-ahead log: the records it received, as
// raw bytes (each ending in '\n'), in segment files of a directory.
// Offsets count bytes from the first record ever logged and never go back.
//
// One goroutine appends (write, startConn); sync may be called from
// another. Appended bytes reach the file (the kernel) before write
// returns, so they survive the process being killed; sync makes them
// durable.
type wal struct {
	dir      string
	segBytes int64

	mu       sync.Mutex
	segs     []segment
	end      int64   // the offset after the last byte logged
	f        segFile // the last segment, open for appending; nil before the first write
	fsize    int64   // bytes in f
	newConn  bool    // the next write starts a connection segment
	dirty    bool    // f has bytes not yet synced
	dirDirty bool    // segments were created since the directory was synced
	synced   []int64 // the offsets passed to the last two syncs
	err      error   // a write or sync error; the log takes no more
}

// openWAL opens the log in dir, creating dir if need be. The last segment
// is cut back to its last '\n': bytes after it are a write that a crash
// interrupted, which the source never queued.
func openWAL(dir string, segBytes int64) (*wal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write-ahead log: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("write-ahead log: %w", err)
	}
	w := &wal{dir: dir, segBytes: max(segBytes, 1)}
	for _, e := range entries {
		if g, ok := parseSegment(e.Name()); ok && !e.IsDir() {
			w.segs = append(w.segs, g)
		}
	}
	sort.Slice(w.segs, func(i, j int) bool { return w.segs[i].first < w.segs[j].first })
	for i, g := range w.segs {
		st, err := os.Stat(w.path(g))
		if err != nil {
			return nil, fmt.Errorf("write-ahead log: %w", err)
		}
		size := st.Size()
		if i == len(w.segs)-1 {
			if size, err = trimTorn(w.path(g), size); err != nil {
				return nil, fmt.Errorf("write-ahead log: %w", err)
			}
			w.end = g.first + size
		} else if next := w.segs[i+1].first; g.first+size != next {
			return nil, fmt.Errorf("write-ahead log %s: %s holds %d bytes but the next segment starts at offset %d; the log is damaged",
				dir, g.name(), size, next)
		}
	}
	return w, nil
}

// trimTorn cuts the file at path back to just after its last '\n' and
// returns its new size.
func trimTorn(path string, size int64) (int64, error) {
	if size == 0 {
		return 0, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	keep, end := int64(0), size
	for end > 0 {
		n := min(end, int64(len(buf)))
		if _, err := f.ReadAt(buf[:n], end-n); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			keep = end - n + int64(i) + 1
			break
		}
		end -= n
	}
	if keep == size {
		return size, nil
	}
	if err := f.Truncate(keep); err != nil {
		return 0, err
	}
	return keep, f.Sync()
}

func (w *wal) path(g segment) string { return filepath.Join(w.dir, g.name()) }

// bounds returns the offsets of the first byte kept and of the end.
func (w *wal) bounds() (first, end int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.segs) == 0 {
		return w.end, w.end
	}
	return w.segs[0].first, w.end
}

// snapshot returns the segments and the end offset.
func (w *wal) snapshot() ([]segment, int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]segment(nil), w.segs...), w.end
}

// start is where reading the whole log starts.
func (w *wal) start() position {
	first, _ := w.bounds()
	return position{Offset: first, Line: 1}
}

// startConn makes the next write start a new segment for a new
// connection's input.
func (w *wal) startConn() {
	w.mu.Lock()
	w.newConn = true
	w.mu.Unlock()
}

// endOffset returns the offset after the last byte logged.
func (w *wal) endOffset() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.end
}

// write appends p, whole records, to the log.
func (w *wal) write(p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.f == nil || w.newConn || w.fsize >= w.segBytes {
		if err := w.rotate(); err != nil {
			w.err = err
			return err
		}
	}
	n, err := w.f.Write(p)
	w.fsize += int64(n)
	w.end += int64(n)
	w.dirty = true
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = fmt.Errorf("write-ahead log %s: %w", w.path(w.segs[len(w.segs)-1]), err)
		return w.err
	}
	return nil
}

// rotate syncs and closes the segment being appended to and creates the
// next one, at the end of the log.
func (w *wal) rotate() error {
	if w.f != nil {
		last := w.path(w.segs[len(w.segs)-1])
		if w.dirty {
			if err := w.f.Sync(); err != nil {
				w.f.Close()
				w.f = nil
				return fmt.Errorf("write-ahead log %s: sync: %w", last, err)
			}
		}
		if err := w.f.Close(); err != nil {
			w.f = nil
			return fmt.Errorf("write-ahead log %s: %w", last, err)
		}
		w.f, w.dirty = nil, false
	}
	g := segment{first: w.end, conn: w.newConn || len(w.segs) == 0}
	if n := len(w.segs); n > 0 && w.segs[n-1].first == w.end {
		// An empty segment (cut back after a crash) gives way.
		if err := os.Remove(w.path(w.segs[n-1])); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("write-ahead log: %w", err)
		}
		w.segs = w.segs[:n-1]
	}
	f, err := createSegment(w.path(g))
	if err != nil {
		return fmt.Errorf("write-ahead log: %w", err)
	}
	w.segs = append(w.segs, g)
	w.f, w.fsize, w.newConn, w.dirDirty = f, 0, false, true
	return nil
}

// sync makes everything logged so far durable, for a checkpoint whose
// source position is at offset keep. It then deletes the segments that
// end at or before the position of the sync before this one: the last
// two checkpoints need nothing before that.
func (w *wal) sync(keep int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.f != nil && w.dirty {
		if err := w.f.Sync(); err != nil {
			w.err = fmt.Errorf("write-ahead log %s: sync: %w", w.path(w.segs[len(w.segs)-1]), err)
			return w.err
		}
		w.dirty = false
	}
	if w.dirDirty {
		if err := connectors.SyncDir(w.dir); err != nil {
			return fmt.Errorf("write-ahead log %s: sync: %w", w.dir, err)
		}
		w.dirDirty = false
	}
	w.synced = append(w.synced, keep)
	if len(w.synced) > 2 {
		w.synced = append(w.synced[:0], w.synced[len(w.synced)-2:]...)
	}
	if len(w.synced) == 2 {
		before := w.synced[0]
		i := 0
		for i+1 < len(w.segs) && w.segs[i+1].first <= before {
			if err := os.Remove(w.path(w.segs[i])); err != nil && !errors.Is(err, os.ErrNotExist) {
				break
			}
			i++
		}
		w.segs = w.segs[i:]
	}
	return nil
}

// close closes the segment being appended to, without syncing it.
func (w *wal) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	if w.err == nil {
		w.err = errors.New("write-ahead log is closed")
	}
	return err
}
