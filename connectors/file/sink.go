package file

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
)

// Sink writes rows to one file as JSON lines or CSV.
type Sink struct {
	table  string
	path   string
	f      *os.File
	enc    format.Encoder
	closed bool
}

var _ connectors.Sink = (*Sink)(nil)

// NewSink creates (or truncates) the file named by spec's path option; its
// directory must exist. The format is option format ("json", the default,
// or "csv"), or "csv" if it is left out and the path ends in .csv. Output
// is buffered and reaches the file on Commit and Close. The result is a
// *Sink.
func NewSink(spec connectors.SinkSpec) (connectors.Sink, error) {
	path := spec.Options["path"]
	if path == "" {
		return nil, fmt.Errorf("table %s: connector 'file' needs option path (the file to write)", spec.Table)
	}
	fmtName := spec.Options["format"]
	if fmtName == "" {
		fmtName = "json"
		if strings.EqualFold(filepath.Ext(path), ".csv") {
			fmtName = "csv"
		}
	}
	// Check the options before touching the file.
	if _, err := format.NewEncoder(fmtName, spec.Schema, io.Discard, spec.Options); err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	enc, err := format.NewEncoder(fmtName, spec.Schema, f, spec.Options)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("table %s: %w", spec.Table, err)
	}
	return &Sink{table: spec.Table, path: path, f: f, enc: enc}, nil
}

// Write encodes batch and releases it.
func (s *Sink) Write(batch arrow.RecordBatch) error {
	defer batch.Release()
	if s.closed {
		return fmt.Errorf("table %s: sink is closed", s.table)
	}
	if err := s.enc.Encode(batch); err != nil {
		return fmt.Errorf("table %s: %w", s.table, err)
	}
	return nil
}

// Commit writes everything written so far to the file (without fsync).
func (s *Sink) Commit(epoch int64) error {
	if s.closed {
		return fmt.Errorf("table %s: sink is closed", s.table)
	}
	if err := s.enc.Flush(); err != nil {
		return fmt.Errorf("table %s: %w", s.table, err)
	}
	return nil
}

// Close flushes and closes the file.
func (s *Sink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.enc.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("table %s: %w", s.table, err)
	}
	return nil
}
