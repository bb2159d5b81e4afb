package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
)

// ReadChunk is how much one read of a RecordReader's input asks for, and
// so about how much input is behind one queued batch.
const ReadChunk = 256 << 10

// FatalError wraps an error after which a source must stop, such as a
// decoder error that is not about one record (a CSV header that names
// none of the columns).
type FatalError struct{ Err error }

// Error returns e.Err's message.
func (e FatalError) Error() string { return e.Err.Error() }

// Unwrap returns e.Err.
func (e FatalError) Unwrap() error { return e.Err }

// RecordReader reads newline-delimited records from a stream (a
// connection, a file), decodes them and puts the rows on a Queue, one
// batch per read of up to ReadChunk bytes; it waits while the queue is
// full, so the stream is read no faster than the query consumes it.
//
// It scans every byte for newlines once, to number lines and to enforce
// MaxLine: a line longer than that is a bad row, reported and skipped
// without ever being held whole. The decoder is fed complete lines only
// (and the last line at EOF), so a record never ends in the middle of a
// read.
type RecordReader struct {
	// Table names the table in bad rows.
	Table string
	// Queue receives the batches and bad rows.
	Queue *Queue
	// Decoder decodes the records; the caller releases it.
	Decoder format.Decoder
	// MaxLine is the longest line accepted, in bytes (without its '\n').
	MaxLine int
	// Where returns a bad row's Position for a line number (from 1).
	Where func(line int64) string

	ctx context.Context
	buf []byte
	// buf[start:end] is read but not consumed by the decoder;
	// buf[line0:end] is the current, unfinished line, numbered line;
	// buf[scan:end] is not yet scanned. start <= line0 <= scan <= end.
	start, line0, scan, end int
	line                    int64
	dropped                 int64 // lines dropped before the decoder saw them
	skip                    bool  // dropping the rest of an over-long line
	bad                     []connectors.BadRow
	collect                 func(format.BadRecord) error
}

var nl = []byte{'\n'}

// ReadFrom reads in until EOF, ctx ends or an error, decoding and queueing
// as it goes. It returns how many bytes it read and: nil at EOF (a last
// line without '\n' is a record); ctx.Err() or ErrClosed if it was
// stopped; a FatalError; or in's read error, after reporting an
// unfinished last record as a bad row (cut off by the failure). A
// RecordReader reads one stream; make a new one for the next.
func (r *RecordReader) ReadFrom(ctx context.Context, in io.Reader) (int64, error) {
	r.ctx = ctx
	r.line = 1
	r.collect = r.collectBad
	var got int64
	for {
		r.makeRoom()
		n, rerr := in.Read(r.buf[r.end:min(len(r.buf), r.end+ReadChunk)])
		r.end += n
		got += int64(n)
		if err := ctx.Err(); err != nil {
			return got, err
		}
		eof := errors.Is(rerr, io.EOF)
		if n > 0 || eof {
			if err := r.process(eof); err != nil {
				return got, err
			}
		}
		if eof {
			return got, nil
		}
		if rerr != nil {
			if r.start < r.end && !r.skip {
				r.addBad(r.line-int64(bytes.Count(r.buf[r.start:r.line0], nl)), r.buf[r.start:r.end],
					fmt.Errorf("input failed in the middle of this record: %w", rerr))
			}
			if err := r.flush(); err != nil {
				return got, err
			}
			return got, rerr
		}
	}
}

// makeRoom moves the unconsumed bytes to the front of buf and grows it so
// that at least ReadChunk bytes fit after them.
func (r *RecordReader) makeRoom() {
	if r.start > 0 {
		k := r.start
		r.end = copy(r.buf, r.buf[k:r.end])
		r.start, r.line0, r.scan = 0, r.line0-k, r.scan-k
	}
	if len(r.buf)-r.end < ReadChunk {
		// The unconsumed bytes are at most two lines of MaxLine (an
		// unfinished multi-line record and the current line), so the
		// buffer stays under 2*MaxLine + 2*ReadChunk.
		size := min(max(2*len(r.buf), 2*ReadChunk), 2*r.MaxLine+2*ReadChunk)
		nb := make([]byte, max(size, r.end+ReadChunk))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
}

// process scans the new bytes, drops over-long lines, decodes complete
// lines (all lines at EOF) and queues the rows.
func (r *RecordReader) process(atEOF bool) error {
	maxLine := r.MaxLine
	for r.scan < r.end {
		i := bytes.IndexByte(r.buf[r.scan:r.end], '\n')
		if i < 0 {
			r.scan = r.end
			break
		}
		p := r.scan + i
		r.scan = p + 1
		switch {
		case r.skip:
			// The end of an over-long line already reported and dropped.
			r.skip = false
			r.dropped++
			r.start = p + 1
		case p-r.line0 > maxLine:
			if err := r.tooLong(p); err != nil {
				return err
			}
			r.start = p + 1
		}
		r.line0 = p + 1
		r.line++
	}
	if r.skip {
		r.start, r.line0 = r.end, r.end // drop what came of the over-long line
	} else if r.end-r.line0 > maxLine {
		if err := r.tooLong(r.end); err != nil {
			return err
		}
		r.skip = true
		r.start, r.line0 = r.end, r.end
	}
	to := r.line0
	if atEOF && !r.skip {
		to = r.end
	}
	if err := r.decode(to, atEOF); err != nil {
		return err
	}
	if r.line0-r.start > maxLine {
		// An unfinished record (CSV with a quoted newline) spanning more
		// than MaxLine bytes of complete lines.
		lines := int64(bytes.Count(r.buf[r.start:r.line0], nl))
		r.addBad(r.line-lines, r.buf[r.start:r.line0], fmt.Errorf("record longer than %d bytes (an unclosed quote?)", maxLine))
		r.dropped += lines
		r.start = r.line0
	}
	return r.flush()
}

// tooLong reports the line at buf[line0:end] as over-long, after decoding
// the complete lines before it; bytes of an unfinished record before the
// line are dropped with it, up to end.
func (r *RecordReader) tooLong(end int) error {
	if err := r.decode(r.line0, false); err != nil {
		return err
	}
	lines := int64(bytes.Count(r.buf[r.start:r.line0], nl))
	r.addBad(r.line-lines, r.buf[r.start:min(end, r.start+MaxBadRecord+8)],
		fmt.Errorf("line longer than %d bytes (max_record_bytes)", r.MaxLine))
	r.dropped += lines
	if end < r.end && r.buf[end] == '\n' {
		r.dropped++ // the over-long line's own newline
	}
	return nil
}

// decode feeds buf[start:to] to the decoder.
func (r *RecordReader) decode(to int, atEOF bool) error {
	for {
		n, full, err := r.Decoder.Decode(r.buf[r.start:to], 0, atEOF, r.collect)
		r.start += n
		if err != nil {
			return FatalError{err}
		}
		if !full {
			return nil
		}
		if err := r.flush(); err != nil {
			return err
		}
	}
}

// flush queues the decoded rows and bad records, waiting while the queue
// is full.
func (r *RecordReader) flush() error {
	b := r.Decoder.Flush()
	if b == nil && len(r.bad) == 0 {
		return nil
	}
	it := Item{Batch: b, Bad: r.bad}
	r.bad = nil
	return r.Queue.Put(r.ctx, it)
}

func (r *RecordReader) collectBad(b format.BadRecord) error {
	r.addBad(b.Line+r.dropped, b.Record, b.Err)
	return nil
}

func (r *RecordReader) addBad(line int64, rec []byte, err error) {
	r.bad = append(r.bad, connectors.BadRow{
		Table:    r.Table,
		Position: r.Where(line),
		Record:   Truncate(rec),
		Err:      err,
	})
}
