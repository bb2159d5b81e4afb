package socket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/live"
)

// WALSource is a socket Source with a write-ahead log, which NewSource
// returns when the query is checkpointed (spec.StateDir is set). Every
// complete record received is appended to the log, in spec.StateDir,
// before its rows are queued for Next; so it is a connectors.Seeker: its
// position is an offset in the log, and after a crash Seek makes it
// replay, from the log, the records received after the checkpoint,
// before it reads the socket again. See the package documentation.
type WALSource struct {
	*Source
}

var (
	_ connectors.Source  = (*WALSource)(nil)
	_ connectors.Starter = (*WALSource)(nil)
	_ connectors.Bounded = (*WALSource)(nil)
	_ connectors.Seeker  = (*WALSource)(nil)
)

// position is a place in the write-ahead log from which decoding can
// resume, as Position encodes it in JSON.
type position struct {
	// Offset is the log offset of a record boundary.
	Offset int64 `json:"offset"`
	// Line is the line of the connection's input that starts there.
	Line int64 `json:"line,omitempty"`
	// Header is the connection's CSV header record (with what came before
	// it), which a decoder starting at Offset needs.
	Header []byte `json:"header,omitempty"`
	// Rows and Bad are how many rows and bad rows decoded from Offset on
	// were already returned by Next (reported, for bad rows).
	Rows int64 `json:"rows,omitempty"`
	Bad  int64 `json:"bad,omitempty"`
}

// mark is the log range behind one queued item: from start (plus the
// rows and bad rows counted in start, which a replay dropped) to end.
type mark struct {
	start, end position
	rows, bad  int64
}

// addMark notes the range of an item about to be queued.
func (s *Source) addMark(m mark) {
	s.mu.Lock()
	s.marks = append(s.marks, m)
	s.mu.Unlock()
}

// settle retires the marks of the items Next has fully delivered.
func (s *Source) settle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.head < len(s.marks) {
		h := &s.marks[s.head]
		if s.gotRows < h.rows || s.gotBad < h.bad {
			break
		}
		s.gotRows -= h.rows
		s.gotBad -= h.bad
		s.pos = h.end
		*h = mark{}
		s.head++
	}
	if s.head == len(s.marks) {
		s.marks, s.head = s.marks[:0], 0
	} else if s.head > 256 && 2*s.head > len(s.marks) {
		s.marks = append(s.marks[:0], s.marks[s.head:]...)
		s.head = 0
	}
}

// position is the log position just after the last row Next returned.
func (s *Source) position() position {
	s.settle()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.head < len(s.marks) && (s.gotRows > 0 || s.gotBad > 0) {
		p := s.marks[s.head].start
		p.Rows += s.gotRows
		p.Bad += s.gotBad
		return p
	}
	return s.pos
}

// begin fixes where the background goroutine starts, on the goroutine of
// Next: at from (Seek), or at the start of the log (from == nil: no
// checkpoint, so nothing in the log was ever checkpointed). It opens the
// log if Seek did not.
func (s *Source) begin(from *position) error {
	if s.began || s.beginErr != nil {
		return s.beginErr
	}
	if s.wal == nil {
		w, err := openWAL(s.stateDir, s.segBytes)
		if err != nil {
			s.beginErr = fmt.Errorf("table %s: socket source: %w", s.table, err)
			return s.beginErr
		}
		s.wal = w
	}
	if from == nil {
		p := s.wal.start()
		from = &p
	}
	s.from, s.pos, s.began = *from, *from, true
	close(s.begun)
	return nil
}

// Seek makes the source replay the write-ahead log from pos, a position
// returned by Position, before it reads the socket. It must come before
// the first Next (before or after Start).
func (s *WALSource) Seek(pos []byte) error {
	switch {
	case s.closed:
		return fmt.Errorf("table %s: source is closed", s.table)
	case s.began:
		return fmt.Errorf("table %s: Seek must come before the first Next", s.table)
	}
	var p position
	if err := json.Unmarshal(pos, &p); err != nil || p.Offset < 0 || p.Line < 0 || p.Rows < 0 || p.Bad < 0 {
		return fmt.Errorf("table %s: invalid socket source position %q", s.table, pos)
	}
	if s.wal == nil {
		w, err := openWAL(s.stateDir, s.segBytes)
		if err != nil {
			return fmt.Errorf("table %s: socket source: %w", s.table, err)
		}
		s.wal = w
	}
	first, end := s.wal.bounds()
	switch {
	case p.Offset > end:
		return fmt.Errorf("table %s: the write-ahead log in %s ends at byte %d, before the checkpoint's position %d; it was truncated or deleted",
			s.table, s.stateDir, end, p.Offset)
	case p.Offset < first:
		return fmt.Errorf("table %s: the write-ahead log in %s starts at byte %d, after the checkpoint's position %d; its segments were deleted",
			s.table, s.stateDir, first, p.Offset)
	}
	return s.begin(&p)
}

// Position fsyncs the write-ahead log and returns the position just after
// the last row Next returned: JSON {"offset":N,...}, a record boundary
// in the log, with the line number and CSV header a decoder starting
// there needs, and how many rows (and bad rows) after it were already
// returned.
func (s *WALSource) Position() ([]byte, error) {
	if err := s.begin(nil); err != nil {
		return nil, err
	}
	p := s.position()
	if err := s.wal.sync(p.Offset); err != nil {
		return nil, fmt.Errorf("table %s: socket source: %w", s.table, err)
	}
	return json.Marshal(p)
}

// runWAL is the background goroutine of a source with a log: it waits
// for Seek or the first Next, replays the log, then reads the socket.
func (s *Source) runWAL(ctx context.Context) {
	select {
	case <-s.begun:
	case <-ctx.Done():
		return
	}
	if err := s.replay(ctx); err != nil {
		if ctx.Err() == nil && !errors.Is(err, live.ErrClosed) {
			s.fail(ctx, err)
		}
		return
	}
	s.run(ctx)
}

// replay decodes and queues the log from s.from to its end.
func (s *Source) replay(ctx context.Context) error {
	from := s.from
	segs, end := s.wal.snapshot()
	if from.Offset >= end || len(segs) == 0 {
		return nil
	}
	k := 0
	for k+1 < len(segs) && segs[k+1].first <= from.Offset {
		k++
	}
	s.log.Info("socket source: replaying the write-ahead log", "table", s.table, "from", from.Offset, "bytes", end-from.Offset)
	var st *stream
	defer func() {
		if st != nil {
			st.release()
		}
	}()
	buf := make([]byte, live.ReadChunk)
	for i := k; i < len(segs); i++ {
		g := segs[i]
		at := g.first
		var err error
		switch {
		case i == k && !(g.conn && from.Offset == g.first):
			at = from.Offset
			st, err = s.newStream(ctx, from, false)
			if err == nil {
				st.skipRows, st.skipBad = from.Rows, from.Bad
			}
		case g.conn || st == nil:
			var skipRows, skipBad int64
			if st != nil {
				if err := st.finish(); err != nil {
					return err
				}
				if st.skippedRows == 0 && st.skippedBad == 0 {
					skipRows, skipBad = st.skipRows, st.skipBad
				}
				st.release()
				st = nil
			} else {
				skipRows, skipBad = from.Rows, from.Bad
			}
			st, err = s.newStream(ctx, position{Offset: g.first}, true)
			if err == nil {
				st.skipRows, st.skipBad = skipRows, skipBad
			}
		}
		if err != nil {
			return live.FatalError{Err: err}
		}
		if err := s.replaySegment(st, g, at, buf); err != nil {
			return err
		}
	}
	return st.finish()
}

// replaySegment feeds segment g, from log offset at on, to st.
func (s *Source) replaySegment(st *stream, g segment, at int64, buf []byte) error {
	f, err := os.Open(s.wal.path(g))
	if err != nil {
		return fmt.Errorf("write-ahead log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(at-g.first, io.SeekStart); err != nil {
		return fmt.Errorf("write-ahead log: %w", err)
	}
	for {
		n, err := f.Read(buf)
		if n > 0 {
			st.append(buf[:n])
			if perr := st.process(false); perr != nil {
				return perr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("write-ahead log %s: %w", f.Name(), err)
		}
	}
}

// serveWAL reads conn like serve, appending every complete record to the
// log before decoding it. A line is held until its '\n' arrives, at most
// max_record_bytes+1 bytes of it: the rest of a longer line is dropped, and
// the line, a bad row either way, is logged cut. A last line ended by the
// peer closing the connection is logged with a '\n' added.
func (s *Source) serveWAL(ctx context.Context, conn net.Conn) (int64, error) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	st, err := s.newStream(ctx, position{Offset: s.wal.endOffset()}, true)
	if err != nil {
		return 0, live.FatalError{Err: err}
	}
	defer st.release()
	s.wal.startConn()
	rbuf := make([]byte, live.ReadChunk)
	var (
		part []byte // the current line so far, at most maxLine+1 bytes
		cut  bool   // part was cut: the rest of the line is dropped
		got  int64
	)
	hold := func(p []byte) {
		if cut {
			return
		}
		if room := s.maxLine + 1 - len(part); len(p) > room {
			p, cut = p[:room], true
		}
		part = append(part, p...)
	}
	// logged writes what was appended to st since it held n bytes to the
	// log, then decodes it.
	logged := func(n int, atEOF bool) error {
		if fresh := st.end - st.start - n; fresh > 0 {
			if err := s.wal.write(st.buf[st.end-fresh : st.end]); err != nil {
				return live.FatalError{Err: err}
			}
		}
		if atEOF {
			return st.finish()
		}
		return st.process(false)
	}
	for {
		n, rerr := conn.Read(rbuf)
		got += int64(n)
		if err := ctx.Err(); err != nil {
			return got, err
		}
		eof := errors.Is(rerr, io.EOF)
		data := rbuf[:n]
		held := st.end - st.start
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			j := bytes.IndexByte(data, '\n')
			hold(data[:j])
			st.append(part)
			st.append(data[j : i+1])
			part, cut = part[:0], false
			hold(data[i+1:])
		} else {
			hold(data)
		}
		if eof && (len(part) > 0 || cut) {
			st.append(part)
			st.append([]byte{'\n'})
			part, cut = part[:0], false
		}
		if n > 0 || eof {
			if err := logged(held, eof); err != nil {
				return got, err
			}
		}
		if eof {
			return got, nil
		}
		if rerr != nil {
			if err := st.finish(); err != nil {
				return got, err
			}
			if len(part) > 0 || cut {
				if err := st.cutOff(part, rerr); err != nil {
					return got, err
				}
			}
			return got, rerr
		}
	}
}
