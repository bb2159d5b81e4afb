package socket

import (
	"bytes"
	"context"
	"fmt"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/connectors/live"
)

// stream decodes one connection's input as it is written to the
// write-ahead log, or as it is read back from it, and queues the rows.
// What it makes of the input depends on the bytes alone, not on how they
// were cut into reads, so replaying a stretch of the log yields the rows
// and bad rows that the live input yielded. It notes for every queued
// item the log positions before and after it (a mark).
//
// Records longer than max_record_bytes are bad rows: a line, or for CSV a
// record whose quoted fields span lines, found with the decoder's
// SkipRecord; they are dropped without being decoded.
type stream struct {
	s   *Source
	ctx context.Context
	dec format.Decoder
	res format.Resumer

	// buf[start:end] is input not yet decoded or dropped; buf[start] is at
	// log offset off and on line line. Records in buf[start:rs] are
	// checked; the one at rs is checked up to rp, SkipRecord being in
	// state rstate there. start <= rs <= rp <= end.
	buf           []byte
	start, rs, rp int
	end           int
	rstate        int
	skipping      bool // dropping the rest of an over-long record
	off           int64
	line          int64
	header        []byte // the header record (CSV) with what came before it
	headerDone    bool
	bad           []connectors.BadRow
	markStart     position // the position after the last queued item
	skipRows      int64    // rows still to drop (a replay from a checkpoint)
	skipBad       int64    // bad rows still to drop
	skippedRows   int64    // rows dropped since markStart
	skippedBad    int64    // bad rows dropped since markStart
	collect       func(format.BadRecord) error
}

// newStream returns a stream whose input starts at log position at: a
// connection's first byte if fresh, else the middle of a connection (its
// header and line number taken from at).
func (s *Source) newStream(ctx context.Context, at position, fresh bool) (*stream, error) {
	dec, err := format.NewDecoder(s.format, s.schema, s.opts, s.alloc)
	if err != nil {
		return nil, err
	}
	res, ok := dec.(format.Resumer)
	if !ok {
		dec.Release()
		return nil, fmt.Errorf("format %s cannot resume from the write-ahead log", s.format)
	}
	st := &stream{s: s, ctx: ctx, dec: dec, res: res, off: at.Offset, line: 1}
	st.collect = st.collectBad
	if !fresh {
		if len(at.Header) > 0 {
			if _, _, err := res.ReadHeader(at.Header, true); err != nil {
				dec.Release()
				return nil, err
			}
			st.header = at.Header
		}
		st.headerDone = true
		st.line = max(at.Line, 1)
		res.Resume(st.line)
	}
	st.markStart = st.state()
	return st, nil
}

// release frees the decoder and any rows not yet queued.
func (st *stream) release() {
	st.dec.Release()
}

// state is the log position of buf[start].
func (st *stream) state() position {
	return position{Offset: st.off, Line: st.line, Header: st.header}
}

// append adds input after what the stream holds.
func (st *stream) append(p []byte) {
	if st.start > 0 && (st.start == st.end || cap(st.buf)-st.end < len(p)) {
		k := st.start
		st.end = copy(st.buf, st.buf[k:st.end])
		st.start, st.rs, st.rp = 0, st.rs-k, st.rp-k
	}
	st.buf = append(st.buf[:st.end], p...)
	st.end = len(st.buf)
}

// process decodes and queues the complete lines held (everything, at
// the end of the input).
func (st *stream) process(atEOF bool) error {
	lim := st.end
	if !atEOF {
		lim = st.start + bytes.LastIndexByte(st.buf[st.start:st.end], '\n') + 1
	}
	maxLine := st.s.maxLine
	if !st.headerDone {
		n, done, err := st.res.ReadHeader(st.buf[st.start:lim], atEOF)
		st.header = append(st.header, st.buf[st.start:st.start+n]...)
		st.advance(n)
		if err != nil {
			return live.FatalError{Err: err}
		}
		if !done && !atEOF {
			if lim-st.start > maxLine {
				return live.FatalError{Err: fmt.Errorf("the CSV header is longer than %d bytes (max_record_bytes)", maxLine)}
			}
			return nil
		}
		st.headerDone = true
		if len(st.header) == 0 {
			st.header = nil
		}
		st.rs, st.rp = st.start, st.start
	}
	for st.rp < lim {
		n, done, state := st.recordEnd(st.buf[st.rp:lim], st.rstate)
		st.rp += n
		st.rstate = state
		if done {
			st.rstate = 0
		}
		size := st.rp - st.rs
		if done {
			size-- // its '\n'
		}
		switch {
		case st.skipping:
			st.drop(st.rp)
			st.skipping = !done
		case size > maxLine:
			if err := st.decode(st.rs, false); err != nil {
				return err
			}
			st.tooLong(done)
			st.drop(st.rp)
			st.skipping = !done
		case done:
			st.rs = st.rp
		}
	}
	to := st.rs
	if atEOF {
		to = lim
	}
	if err := st.decode(to, atEOF); err != nil {
		return err
	}
	return st.flush()
}

// recordEnd finds where the record at the front of data ends, as
// Resumer.SkipRecord does, with a fast path for lines without quotes.
func (st *stream) recordEnd(data []byte, state int) (int, bool, int) {
	if state == 0 {
		i := bytes.IndexByte(data, '\n')
		if i >= 0 && (st.s.format != "csv" || bytes.IndexByte(data[:i], '"') < 0) {
			return i + 1, true, 0
		}
	}
	return st.res.SkipRecord(data, state)
}

// tooLong reports the record at rs, checked up to rp, as too long.
func (st *stream) tooLong(done bool) {
	rec := st.buf[st.rs:st.rp]
	body := rec
	if done {
		body = rec[:len(rec)-1]
	}
	msg := "line longer than %d bytes (max_record_bytes)"
	if bytes.IndexByte(body, '\n') >= 0 {
		msg = "record longer than %d bytes (max_record_bytes; an unclosed quote?)"
	}
	line := st.line + int64(bytes.Count(st.buf[st.start:st.rs], []byte{'\n'}))
	st.addBad(line, rec[:min(len(rec), live.MaxBadRecord+8)], fmt.Errorf(msg, st.s.maxLine))
}

// advance moves start on by n decoded bytes.
func (st *stream) advance(n int) {
	st.line += int64(bytes.Count(st.buf[st.start:st.start+n], []byte{'\n'}))
	st.off += int64(n)
	st.start += n
	st.rs = max(st.rs, st.start)
	st.rp = max(st.rp, st.start)
}

// drop discards buf[start:to] without decoding it.
func (st *stream) drop(to int) {
	st.advance(to - st.start)
	st.rs = st.start
	st.res.Resume(st.line)
}

// decode feeds buf[start:to] to the decoder.
func (st *stream) decode(to int, atEOF bool) error {
	for {
		n, full, err := st.dec.Decode(st.buf[st.start:to], 0, atEOF, st.collect)
		st.advance(n)
		if err != nil {
			return live.FatalError{Err: err}
		}
		if !full {
			return nil
		}
		if err := st.flush(); err != nil {
			return err
		}
	}
}

// finish decodes what is left at the end of the connection's input.
func (st *stream) finish() error {
	return st.process(true)
}

// cutOff reports the unfinished last record of a connection that failed;
// it never reached the log.
func (st *stream) cutOff(rec []byte, err error) error {
	st.addBad(st.line, rec, fmt.Errorf("input failed in the middle of this record: %w", err))
	return st.flush()
}

// flush queues the rows decoded and the bad rows found since the last
// flush, after dropping those a replay skips, and notes the item's mark.
func (st *stream) flush() error {
	b := st.dec.Flush()
	bad := st.bad
	st.bad = nil
	if st.skipBad > 0 && len(bad) > 0 {
		k := min(int64(len(bad)), st.skipBad)
		bad = bad[k:]
		st.skipBad -= k
		st.skippedBad += k
	}
	var rows int64
	if b != nil {
		rows = b.NumRows()
		if k := min(rows, st.skipRows); k > 0 {
			st.skipRows -= k
			st.skippedRows += k
			rows -= k
			if rows > 0 {
				nb := b.NewSlice(k, k+rows)
				b.Release()
				b = nb
			}
		}
		if rows == 0 {
			b.Release()
			b = nil
		}
	}
	if rows == 0 && len(bad) == 0 {
		return nil
	}
	m := mark{start: st.markStart, end: st.state(), rows: rows, bad: int64(len(bad))}
	m.start.Rows, m.start.Bad = st.skippedRows, st.skippedBad
	st.markStart, st.skippedRows, st.skippedBad = m.end, 0, 0
	st.s.addMark(m)
	return st.s.q.Put(st.ctx, live.Item{Batch: b, Bad: bad})
}

func (st *stream) collectBad(b format.BadRecord) error {
	st.addBad(b.Line, b.Record, b.Err)
	return nil
}

func (st *stream) addBad(line int64, rec []byte, err error) {
	st.bad = append(st.bad, connectors.BadRow{
		Table:    st.s.table,
		Position: fmt.Sprintf("%s:line %d", st.s.addr, line),
		Record:   live.Truncate(rec),
		Err:      err,
	})
}
