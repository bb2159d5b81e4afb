package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/format"
	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/vector"
)

// consoleSink prints a query's rows to stdout (or to a file of
// --output-dir). JSON lines and CSV stream out as they come; a table is
// printed once per micro-batch, like Spark's print(): a header with the
// batch time, then at most maxRows rows. Each batch goes out in one Write,
// so that the lines of queries sharing stdout never mix.
//
// An updating query's rows (a changelog: its batches end with the op
// column) show their kind first, as Flink's SQL client does in changelog
// mode: a column "op" of a table, a key or column "_op" of jsonl and csv
// (after "_query" when there is one), holding +I, -U, +U or -D. An
// append-only query's output has no such column.
type consoleSink struct {
	out    io.Writer
	format string
	// schema is the schema the rows are printed with: for a changelog,
	// format.OpTextSchema of the query's, the kind first as text.
	schema    *arrow.Schema
	changelog bool
	maxRows   int
	label     string
	buf       bytes.Buffer
	enc       format.Encoder
	rows      [][]string // a table's rows of the current batch
	more      int        // rows past maxRows
	// query, when not 0, is written as a first "_query" column (jsonl, csv).
	query int64
	// file, if set, is the sink's own output file; Close closes it.
	file *os.File
}

var _ connectors.Sink = (*consoleSink)(nil)

func newConsoleSink(out io.Writer, fmtName string, schema *arrow.Schema, maxRows int) (*consoleSink, error) {
	s := &consoleSink{out: out, format: fmtName, schema: schema, maxRows: maxRows}
	if vector.IsChangelog(schema) {
		s.schema, s.changelog = format.OpTextSchema(schema, 0), true
	}
	if fmtName != "table" {
		enc, err := format.NewEncoder(map[string]string{"jsonl": "json", "csv": "csv"}[fmtName], s.schema, &s.buf, nil)
		if err != nil {
			return nil, err
		}
		s.enc = enc
	}
	return s, nil
}

// tagQuery labels the sink's output with query number n: a first
// "_query" column in jsonl and csv, "(query n)" in a table's batch header.
func (s *consoleSink) tagQuery(n int) error {
	if s.enc == nil {
		s.label = fmt.Sprintf(" (query %d)", n)
		return nil
	}
	fields := append([]arrow.Field{{Name: "_query", Type: arrow.PrimitiveTypes.Int64}}, s.schema.Fields()...)
	enc, err := format.NewEncoder(map[string]string{"jsonl": "json", "csv": "csv"}[s.format], arrow.NewSchema(fields, nil), &s.buf, nil)
	if err != nil {
		return err
	}
	s.enc, s.query = enc, int64(n)
	return nil
}

// withQuery returns b with a first column holding s.query in every row;
// it takes over b.
func (s *consoleSink) withQuery(b arrow.RecordBatch) arrow.RecordBatch {
	defer b.Release()
	bld := array.NewInt64Builder(memory.DefaultAllocator)
	defer bld.Release()
	n := int(b.NumRows())
	bld.Reserve(n)
	for range n {
		bld.UnsafeAppend(s.query)
	}
	id := bld.NewArray()
	defer id.Release()
	cols := append([]arrow.Array{id}, b.Columns()...)
	fields := append([]arrow.Field{{Name: "_query", Type: arrow.PrimitiveTypes.Int64}}, b.Schema().Fields()...)
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, b.NumRows())
}

// Write prints a batch's lines, or keeps a table's rows for endBatch.
func (s *consoleSink) Write(b arrow.RecordBatch) error {
	if s.changelog {
		t := format.OpText(b, 0)
		b.Release()
		b = t
	}
	if s.query != 0 && s.enc != nil {
		b = s.withQuery(b)
	}
	defer b.Release()
	if s.enc == nil {
		for r := 0; r < int(b.NumRows()); r++ {
			if s.maxRows > 0 && len(s.rows) >= s.maxRows {
				s.more += int(b.NumRows()) - r
				break
			}
			row := make([]string, b.NumCols())
			for c := range row {
				row[c] = cell(b.Column(c), r)
			}
			s.rows = append(s.rows, row)
		}
		return nil
	}
	s.buf.Reset()
	if err := s.enc.Encode(b); err != nil {
		return err
	}
	if err := s.enc.Flush(); err != nil {
		return err
	}
	_, err := s.out.Write(s.buf.Bytes())
	return err
}

// endBatch prints the table of the batch just finished, if it has rows.
func (s *consoleSink) endBatch(info exec.BatchInfo) error {
	if s.enc != nil || (len(s.rows) == 0 && s.more == 0) {
		return nil
	}
	s.buf.Reset()
	fmt.Fprintf(&s.buf, "-------------------------------------------\n")
	fmt.Fprintf(&s.buf, "Batch %d: %s%s\n", info.Seq, info.Time.UTC().Format("2006-01-02 15:04:05.000 UTC"), s.label)
	fmt.Fprintf(&s.buf, "-------------------------------------------\n")
	header := make([]string, s.schema.NumFields())
	for i, f := range s.schema.Fields() {
		header[i] = f.Name
	}
	if s.changelog {
		header[0] = "op"
	}
	if err := renderTable(&s.buf, header, s.rows); err != nil {
		return err
	}
	if s.more > 0 {
		fmt.Fprintf(&s.buf, "... %d more rows\n", s.more)
	}
	s.rows, s.more = s.rows[:0], 0
	_, err := s.out.Write(s.buf.Bytes())
	return err
}

// Commit does nothing: tables are printed per batch by endBatch.
func (s *consoleSink) Commit(int64) error { return nil }

// Close closes the sink's output file, if it has one.
func (s *consoleSink) Close() error {
	if s.file == nil {
		return nil
	}
	f := s.file
	s.file = nil
	return f.Close()
}

// rate formats rows per second.
func rate(rows int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return humanCount(float64(rows)/d.Seconds()) + "/s"
}

func humanCount(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
