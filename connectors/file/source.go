package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
)

const (
	// chunkSize is how much of the file one read asks for.
	chunkSize = 4 << 20
	// maxRecordSize bounds one record (a line, or a CSV record with quoted
	// newlines): the read buffer grows to hold a record up to this size.
	maxRecordSize = 256 << 20
	// maxBadRecord is how much of a bad record BadRow.Record keeps.
	maxBadRecord = 200
)

// Source reads one file of records. It is bounded: Next returns
// connectors.ErrEndOfInput after the last row.
type Source struct {
	table  string
	path   string
	schema *arrow.Schema
	f      *os.File
	dec    format.Decoder
	badRow connectors.BadRowHandler
	badErr error // the last error the BadRow handler returned
	bad    func(format.BadRecord) error

	buf        []byte // buf[start:end] is read but not yet decoded
	start, end int
	offset     int64 // file offset of buf[start]
	eof        bool  // the whole file is in buf
	done       bool  // ErrEndOfInput was returned
	err        error // a fatal error, returned again by every Next
	closed     bool
}

var (
	_ connectors.Source  = (*Source)(nil)
	_ connectors.Bounded = (*Source)(nil)
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
	dec, err := format.NewDecoder(fmtName, spec.Schema, spec.Options, spec.Alloc)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	if cf, ok := dec.(format.ContainsFilter); ok && spec.Contains != "" {
		cf.SetContains(spec.Contains)
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
	s := &Source{table: spec.Table, path: path, schema: spec.Schema, f: f, dec: dec, badRow: spec.BadRow}
	s.bad = s.reportBad
	// Small files get a small buffer.
	s.buf = make([]byte, max(4096, min(chunkSize, st.Size()+1)))
	return s, nil
}

// Schema is the table's schema.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Bounded reports true: a file ends.
func (s *Source) Bounded() bool { return true }

// Offset is the byte offset in the file of the first record not yet
// returned by Next (a checkpoint position; there is no Seek yet).
func (s *Source) Offset() int64 { return s.offset }

// Next returns the next batch of at most maxRows rows, or
// connectors.ErrEndOfInput after the last one. Bad records go to the
// spec's BadRow handler; if it returns an error, Next returns that error.
func (s *Source) Next(ctx context.Context, maxRows int) (arrow.RecordBatch, error) {
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
			s.err = err
			if b := s.dec.Flush(); b != nil {
				b.Release()
			}
			return nil, err
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
		if err := s.fill(); err != nil {
			s.err = err
			return nil, err
		}
	}
}

// fill moves the undecoded tail of buf to its front and reads more after
// it, growing buf if the tail fills it.
func (s *Source) fill() error {
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxRecordSize {
			return fmt.Errorf("table %s: %s: the record at byte offset %d is longer than %d MiB (an unclosed quote?)",
				s.table, s.path, s.offset, maxRecordSize>>20)
		}
		nb := make([]byte, min(2*len(s.buf), maxRecordSize))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.f.Read(s.buf[s.end:])
		s.end += n
		if errors.Is(err, io.EOF) {
			s.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("table %s: %w", s.table, err)
		}
		if n > 0 {
			return nil
		}
	}
}

// reportBad passes a bad record to the BadRow handler.
func (s *Source) reportBad(r format.BadRecord) error {
	rec := r.Record
	if len(rec) > maxBadRecord {
		cut := maxBadRecord
		for cut > maxBadRecord-utf8.UTFMax && !utf8.RuneStart(rec[cut]) {
			cut--
		}
		rec = rec[:cut]
	}
	err := s.badRow(connectors.BadRow{
		Table:    s.table,
		Position: fmt.Sprintf("%s:%d", s.path, r.Line),
		Record:   string(rec),
		Err:      r.Err,
	})
	if err != nil {
		s.badErr = err
	}
	return err
}

// Close closes the file and frees the decoder.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.dec.Release()
	s.buf = nil
	return s.f.Close()
}
