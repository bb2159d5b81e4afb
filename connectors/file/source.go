package file

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/connectors/live"
)

const (
	// chunkSize is how much of the file one read asks for (at most).
	chunkSize = 4 << 20
	// defaultMaxRecord is the default of option max_record_bytes.
	defaultMaxRecord = 16 << 20
	// maxMaxRecord bounds option max_record_bytes.
	maxMaxRecord = 1 << 30
	// maxBadRecord is how much of a bad record BadRow.Record keeps.
	maxBadRecord = 200
)

// minMapSize is the smallest file that is memory-mapped instead of read
// (a variable for tests).
var minMapSize int64 = 1 << 20

// The values of Source.mapState.
const (
	mapUndecided = iota
	mapYes
	mapNo
)

// Source reads one file of records. It is bounded: Next returns
// connectors.ErrEndOfInput after the last row. It is a connectors.Seeker:
// its position is the byte offset of the next unread record. A large file
// is memory-mapped, and with Parallelism > 1 decoded in chunks on several
// goroutines (see the package documentation).
type Source struct {
	table  string
	path   string
	schema *arrow.Schema
	f      *os.File
	dec    format.Decoder
	res    format.Resumer // dec, for Seek and line numbers
	csv    bool           // the format is CSV
	badRow connectors.BadRowHandler
	badErr error // the last error the BadRow handler returned
	bad    func(format.BadRecord) error

	// maxRecord is option max_record_bytes. buf never grows beyond
	// bufCap = maxRecord+2 (room for a "\r\n"), so whether a record fits
	// does not depend on where the reads happened to cut the file: a
	// record that does not fit is bad, wherever reading started.
	maxRecord int
	bufCap    int

	buf        []byte // buf[start:end] is read but not yet decoded
	start, end int
	offset     int64 // file offset of buf[start]
	eof        bool  // the whole file is in buf
	started    bool  // Next or Seek was called
	done       bool  // ErrEndOfInput was returned
	err        error // a fatal error, returned again by every Next
	closed     bool

	// Lines of a text file are counted only when a bad row needs one:
	// countLine is the line that starts at byte countOff.
	countOff  int64
	countLine int64

	// A file of at least minMapSize bytes is memory-mapped when reading
	// starts (mapState), as it is then, if it is to be decoded in parallel
	// or searched for a text: mm is the whole of it and buf a window of
	// mm, so reading copies nothing.
	mm       []byte
	mapState int8
	dropped  int64 // mm before this offset was dropped (dropMapped)
	hdrEnd   int64 // the offset after the header (CSV), once read

	// With Parallelism > 1 a mapped file is decoded in chunks on that many
	// goroutines (see parallel); posLine is then the line of offset, and
	// posRows the rows from there returned.
	spec    connectors.SourceSpec
	fmtName string
	par     *parallel
	// transform, when set, is applied to every batch (source_transform.go);
	// apply and release are the reading goroutine's, when not parallel.
	transform *connectors.Transform
	apply     func(arrow.RecordBatch) (arrow.RecordBatch, error)
	release   func()
	serial    bool // decided: no parallel decoding
	posLine   int64
	posRows   int64
	// skipRows are rows to skip first: the rows of a position Seek went to.
	skipRows int64
	quiet    bool // skipping them: bad records are not reported
}

var (
	_ connectors.Source  = (*Source)(nil)
	_ connectors.Bounded = (*Source)(nil)
	_ connectors.Seeker  = (*Source)(nil)
)

// sourceFormats maps path extensions to source formats.
var sourceFormats = map[string]string{
	".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json",
	".txt": "text", ".log": "text", ".text": "text",
}

// NewSource opens the file named by spec's path option; see the package
// documentation for the options. The result is a *Source.
func NewSource(spec connectors.SourceSpec) (connectors.Source, error) {
	path := spec.Options["path"]
	if path == "" {
		return nil, fmt.Errorf("table %s: connector 'file' needs option path (the file to read)", spec.Table)
	}
	fmtName := spec.Options["format"]
	if fmtName == "" {
		fmtName = sourceFormats[strings.ToLower(filepath.Ext(path))]
		if fmtName == "" {
			return nil, fmt.Errorf("table %s: cannot tell the format of %q from its name; set option format to 'csv', 'json' or 'text'", spec.Table, path)
		}
	}
	maxRecord := defaultMaxRecord
	if v, ok := spec.Options["max_record_bytes"]; ok {
		n, err := live.ParseBytes(v)
		if err != nil || n > maxMaxRecord {
			return nil, fmt.Errorf("table %s: option max_record_bytes: want a size from 1 byte to 1GiB such as '16MiB', got %q", spec.Table, v)
		}
		maxRecord = int(n)
	}
	dec, err := format.NewDecoder(fmtName, spec.Schema, spec.Options, spec.Alloc)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	res, ok := dec.(format.Resumer)
	if !ok {
		dec.Release()
		return nil, fmt.Errorf("table %s: format %q cannot resume mid-file", spec.Table, fmtName)
	}
	// Mapping the file pays when it is decoded in parallel chunks, or
	// searched for a text more than decoded.
	mapWanted := spec.Parallelism > 1
	if cf, ok := dec.(format.ContainsFilter); ok && spec.Contains != "" {
		cf.SetContains(spec.Contains)
		mapWanted = true
	}
	f, err := os.Open(path)
	if err != nil {
		dec.Release()
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		err = fmt.Errorf("%s is a directory, not a file", path)
	}
	if err != nil {
		f.Close()
		dec.Release()
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	s := &Source{table: spec.Table, path: path, schema: spec.Schema, f: f, dec: dec, res: res, csv: strings.EqualFold(fmtName, "csv"), badRow: spec.BadRow,
		maxRecord: maxRecord, bufCap: maxRecord + 2, countLine: 1, spec: spec, fmtName: fmtName}
	if !mapWanted {
		s.mapState = mapNo
	}
	s.bad = s.reportBad
	// Small files get a small buffer.
	s.buf = make([]byte, min(int64(s.bufCap), max(4096, min(chunkSize, st.Size()+1))))
	return s, nil
}

// Schema is the table's schema.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Bounded reports true: a file ends.
func (s *Source) Bounded() bool { return true }

// Offset is the byte offset in the file of the first record not yet
// returned by Next; when the position has rows (see Position), of the
// first of the rows decoded together that Next is returning.
func (s *Source) Offset() int64 { return s.offset }

// position is a Source's position, as Position encodes it in JSON.
type position struct {
	// Offset is the byte offset of the next unread record.
	Offset int64 `json:"offset"`
	// Line is the line that record starts on, for bad rows' positions;
	// 0 (left out) for text, whose lines are counted only when needed.
	Line int64 `json:"line,omitempty"`
	// Rows, when not 0, is how many rows decoded from Offset were
	// returned already: a file decoded in parallel can stop in the middle
	// of a piece of rows decoded together (see parallel).
	Rows int64 `json:"rows,omitempty"`
}

// Position returns the position just after the last row Next returned:
// JSON {"offset":N,"line":L}, the byte offset of the next unread record
// and the line it starts on (no line for text). It implements
// connectors.Seeker.
func (s *Source) Position() ([]byte, error) {
	if s.err != nil {
		return nil, fmt.Errorf("table %s: no position after an error: %w", s.table, s.err)
	}
	if s.par != nil {
		return json.Marshal(position{Offset: s.offset, Line: s.posLine, Rows: s.posRows})
	}
	return json.Marshal(position{Offset: s.offset, Line: s.res.Line()})
}

// Seek moves to a position returned by Position, of a source of the same
// file and options; it must come before the first Next. A CSV file's
// header is read first, to map its columns, however far the position is
// past it. It implements connectors.Seeker.
func (s *Source) Seek(pos []byte) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer s.recoverFault(&err)
	switch {
	case s.closed:
		return fmt.Errorf("table %s: source is closed", s.table)
	case s.started:
		return fmt.Errorf("table %s: Seek must come before the first Next", s.table)
	}
	var p position
	if err := json.Unmarshal(pos, &p); err != nil || p.Offset < 0 || p.Line < 0 || p.Rows < 0 {
		return fmt.Errorf("table %s: invalid file source position %q", s.table, pos)
	}
	st, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("table %s: %w", s.table, err)
	}
	if p.Offset > st.Size() {
		return fmt.Errorf("table %s: %s is %d bytes, shorter than the saved position %d; it changed since the checkpoint", s.table, s.path, st.Size(), p.Offset)
	}
	s.started = true
	s.skipRows = p.Rows
	if p.Offset == 0 {
		return nil
	}
	if err := s.readHeader(); err != nil {
		s.err = err
		return err
	}
	if s.offset > p.Offset {
		s.err = fmt.Errorf("table %s: %s: the saved position %d is inside the CSV header; it changed since the checkpoint", s.table, s.path, p.Offset)
		return s.err
	}
	if p.Line == 0 && s.res.Line() > 0 {
		// The decoder counts lines but the position has none (saved by
		// a text source that did not): count them.
		if p.Line, err = s.lineAt(p.Offset); err != nil {
			s.err = err
			return err
		}
	}
	s.res.Resume(p.Line)
	if _, err := s.f.Seek(p.Offset, io.SeekStart); err != nil {
		s.err = fmt.Errorf("table %s: %w", s.table, err)
		return s.err
	}
	s.start, s.end, s.eof, s.offset = 0, 0, false, p.Offset
	if p.Line > 0 {
		s.countOff, s.countLine = p.Offset, p.Line
	}
	return nil
}

// readHeader reads the file's header (CSV), if it has one, from the
// start of the file.
func (s *Source) readHeader() error {
	for {
		n, done, err := s.res.ReadHeader(s.buf[s.start:s.end], s.eof)
		s.start += n
		s.offset += int64(n)
		if err != nil {
			return fmt.Errorf("table %s: %s: %w", s.table, s.path, err)
		}
		if done || s.eof {
			s.hdrEnd = s.offset
			return nil
		}
		full, err := s.fill()
		if err != nil {
			return err
		}
		if full {
			return fmt.Errorf("table %s: %s: the CSV header is longer than %d bytes (max_record_bytes)", s.table, s.path, s.maxRecord)
		}
	}
}

// Next returns the next batch of at most maxRows rows, or
// connectors.ErrEndOfInput after the last one. Bad records go to the
// spec's BadRow handler; if it returns an error, Next returns that error.
func (s *Source) Next(ctx context.Context, maxRows int) (b arrow.RecordBatch, err error) {
	switch {
	case s.closed:
		return nil, fmt.Errorf("table %s: source is closed", s.table)
	case s.err != nil:
		return nil, s.err
	case s.done:
		return nil, connectors.ErrEndOfInput
	case maxRows <= 0:
		return nil, fmt.Errorf("table %s: Next needs maxRows > 0, got %d", s.table, maxRows)
	}
	// A mapped file that shrinks while it is read faults: make that an
	// error rather than a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer s.recoverFault(&err)
	if !s.serial && s.par == nil {
		if err := s.startParallel(maxRows); err != nil {
			return nil, s.fail(err)
		}
	}
	if s.par != nil {
		if s.transform != nil {
			return s.par.nextTransformed(ctx, maxRows)
		}
		return s.par.next(ctx, maxRows)
	}
	s.started = true
	for s.skipRows > 0 {
		// Skip the rows of the position sought that were returned before
		// it was saved, and the bad records among them.
		s.quiet = true
		b, err := s.nextSerial(ctx, int(min(s.skipRows, 1<<30)))
		s.quiet = false
		if err != nil {
			return nil, err
		}
		s.skipRows -= b.NumRows()
		b.Release()
	}
	if s.transform != nil {
		return s.nextSerialTransformed(ctx, maxRows)
	}
	return s.nextSerial(ctx, maxRows)
}

// nextSerial is Next on the reading goroutine.
func (s *Source) nextSerial(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, full, err := s.dec.Decode(s.buf[s.start:s.end], maxRows, s.eof, s.bad)
		s.start += n
		s.offset += int64(n)
		if err != nil {
			if s.badErr == nil || err != s.badErr {
				err = fmt.Errorf("table %s: %s: %w", s.table, s.path, err)
			}
			return nil, s.fail(err)
		}
		if full || s.dec.Rows() >= maxRows {
			return s.dec.Flush(), nil
		}
		if s.eof {
			if s.dec.Rows() > 0 {
				return s.dec.Flush(), nil
			}
			s.done = true
			return nil, connectors.ErrEndOfInput
		}
		full, err = s.fill()
		if err == nil && full {
			err = s.skipRecord()
		}
		if err != nil {
			return nil, s.fail(err)
		}
	}
}

// fail makes err the source's fatal error and drops the rows decoded for
// the batch being built.
func (s *Source) fail(err error) error {
	s.err = err
	if b := s.dec.Flush(); b != nil {
		b.Release()
	}
	return err
}

// fill moves the undecoded tail of buf to its front and reads more after
// it, growing buf up to bufCap if the tail fills it. It reports full, and
// reads nothing, if the tail fills a buffer of bufCap: an unfinished
// record that is too long.
func (s *Source) fill() (full bool, err error) {
	if s.mapped() {
		return s.fillMapped()
	}
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= s.bufCap {
			return true, nil
		}
		nb := make([]byte, min(2*len(s.buf), s.bufCap))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	n, err := s.read(s.buf[s.end:])
	s.end += n
	return false, err
}

// read reads into b until it reads something or the file ends (setting
// eof).
func (s *Source) read(b []byte) (int, error) {
	for {
		n, err := s.f.Read(b)
		if errors.Is(err, io.EOF) {
			s.eof = true
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("table %s: %w", s.table, err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// skipRecord reports the unfinished record that fills buf as bad and
// drops it, reading on to its end without holding more of it. The
// decoder's SkipRecord says where it ends: at a newline, except inside a
// CSV quoted field; a CSV record with an unclosed quote runs to the end
// of the file, as it does when it is short enough to decode.
func (s *Source) skipRecord() error {
	if _, done, _ := s.res.ReadHeader(nil, false); !done {
		// The decoder still wants its header.
		return fmt.Errorf("table %s: %s: the CSV header is longer than %d bytes (max_record_bytes)", s.table, s.path, s.maxRecord)
	}
	line, err := s.line()
	if err != nil {
		return err
	}
	rec := s.buf[s.start:s.end]
	msg := "record longer than %d bytes (max_record_bytes)"
	if s.csv && bytes.IndexByte(rec, '"') >= 0 {
		msg = "record longer than %d bytes (max_record_bytes; an unclosed quote?)"
	}
	if err := s.bad(format.BadRecord{Line: line, Record: rec, Err: fmt.Errorf(msg, s.maxRecord)}); err != nil {
		return err
	}
	// Drop the record, reading on until it ends.
	var nl int64
	n, done, state := s.res.SkipRecord(rec, 0)
	for {
		nl += int64(bytes.Count(s.buf[s.start:s.start+n], []byte{'\n'}))
		s.start += n
		s.offset += int64(n)
		if done || s.eof {
			break
		}
		if err = s.refill(); err != nil {
			return err
		}
		n, done, state = s.res.SkipRecord(s.buf[:s.end], state)
	}
	s.res.Resume(line + nl)
	if s.res.Line() == 0 {
		s.countOff, s.countLine = s.offset, line+nl
	}
	return nil
}

// line returns the line on which the record at s.offset starts. Some
// text decoders do not count lines (invalid_utf8 = 'keep', or a contains
// filter), so for them the lines of the file before it are counted now,
// from the last place counted.
func (s *Source) line() (int64, error) {
	if l := s.res.Line(); l > 0 {
		return l, nil
	}
	return s.lineAt(s.offset)
}

// lineAt returns the line on which the byte at offset off starts, counting
// the lines of the file before it from the last place counted.
func (s *Source) lineAt(off int64) (int64, error) {
	if s.countOff > off {
		s.countOff, s.countLine = 0, 1
	}
	buf := make([]byte, 64<<10)
	for s.countOff < off {
		n, err := s.f.ReadAt(buf[:min(int64(len(buf)), off-s.countOff)], s.countOff)
		s.countLine += int64(bytes.Count(buf[:n], []byte{'\n'}))
		s.countOff += int64(n)
		if err != nil && s.countOff < off {
			return 0, fmt.Errorf("table %s: %w", s.table, err)
		}
	}
	return s.countLine, nil
}

// reportBad passes a bad record to the BadRow handler (but not while
// skipping rows returned before a position sought).
func (s *Source) reportBad(r format.BadRecord) error {
	if s.quiet {
		return nil
	}
	if r.Line == 0 {
		// The decoder does not count lines (text with a contains filter):
		// count up to the record, at its offset in the data given to Decode.
		line, err := s.lineAt(s.offset + int64(cap(s.buf[s.start:])-cap(r.Record)))
		if err != nil {
			return err
		}
		r.Line = line
	}
	return s.report(r.Line, clipRecord(r.Record), r.Err)
}

// clipRecord returns the first maxBadRecord bytes of rec, cut at the start
// of a UTF-8 sequence.
func clipRecord(rec []byte) []byte {
	if len(rec) > maxBadRecord {
		cut := maxBadRecord
		for cut > maxBadRecord-utf8.UTFMax && !utf8.RuneStart(rec[cut]) {
			cut--
		}
		rec = rec[:cut]
	}
	return rec
}

// report passes the bad record rec, on line, to the BadRow handler.
func (s *Source) report(line int64, rec []byte, rerr error) error {
	err := s.badRow(connectors.BadRow{
		Table:    s.table,
		Position: fmt.Sprintf("%s:%d", s.path, line),
		Record:   string(rec),
		Err:      rerr,
	})
	if err != nil {
		s.badErr = err
	}
	return err
}

// Close stops the goroutines decoding ahead, closes the file and frees
// the decoders and the batches not returned.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.par != nil {
		s.par.close()
	}
	if s.release != nil {
		s.release()
	}
	s.dec.Release()
	s.buf = nil
	err := s.f.Close()
	if s.mm != nil {
		if uerr := unmapFile(s.mm); err == nil {
			err = uerr
		}
		s.mm = nil
	}
	return err
}
